import { common } from 'node-mavlink';
import { afterEach, describe, expect, it } from 'vitest';
import { WallClock } from '../../core/clock.js';
import type { MissionItem } from '../../core/mission.js';
import { createMavlinkVehiclePort, type MavlinkVehiclePort } from '../../hardware/real/mavlink/mavlink-vehicle.adapter.js';
import { toMavPlan } from '../../hardware/real/mavlink/mission-items.js';
import type { VehicleResult } from '../../hardware/vehicle.port.js';
import { ackCommands, sendReadyTelemetry, startScriptedAutopilot, until, type ScriptedAutopilot } from './scripted-autopilot.js';
import { serveMissions, type MissionServerKnobs } from './scripted-mission-server.js';

const HOME = { lat_deg: 47.397742, lon_deg: 8.545594, alt_m: 488 };
const wp = (i: number, extra: Partial<MissionItem> = {}): MissionItem =>
  ({ kind: 'waypoint', lat_deg: HOME.lat_deg + i * 1e-4, lon_deg: HOME.lon_deg, alt_m: 20, hold_s: 0, acceptance_m: 2, capture: false, ...extra }) as MissionItem;
const mission = (n: number) => Array.from({ length: n }, (_, i) => wp(i + 1));
const code = (r: VehicleResult<unknown>) => (r.ok ? 'ok' : r.error.code);
/** degE7 is the wire precision: compare positions at it. */
const at7 = (items: readonly MissionItem[]) =>
  items.map((it) => Object.fromEntries(Object.entries(it).map(([k, v]) => [k, k.endsWith('_deg') ? Math.round((v as number) * 1e7) : v])));

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

/** A connected adapter against a scripted PX4 with a mission server; 10× speed factor keeps retries short. */
async function setup(knobs: MissionServerKnobs = {}, mission: { itemTimeoutMs?: number; retries?: number } = {}) {
  const ap = await startScriptedAutopilot();
  ackCommands(ap);
  const srv = serveMissions(ap, knobs);
  const port = createMavlinkVehiclePort({ id: 'd1', url: ap.url, clock: new WallClock(), speedFactor: 10, mission });
  cleanup.push(() => ap.close(), () => port.dispose());
  expect(code(await port.connect())).toBe('ok');
  sendReadyTelemetry(ap);
  return { ap, srv, port };
}

function expectSameRows(srvRows: { seq: number; command: number; x: number; y: number; z: number }[], items: MissionItem[]) {
  const plan = toMavPlan(items, { autopilot: 'px4', home: HOME });
  if (!plan.ok) throw new Error(plan.error.message);
  expect(srvRows.map((r) => [r.seq, r.command, r.x, r.y, r.z])).toEqual(plan.value.items.map((r) => [r.seq, r.command, r.x, r.y, r.z]));
}

describe('mission upload against a scripted PX4', () => {
  it('uploads with legacy MISSION_REQUEST (40), answering with MISSION_ITEM_INT', async () => {
    const { srv, port, ap } = await setup({ legacy: true });
    const items = [wp(1), wp(2, { speed_mps: 4, capture: true }), wp(3), { kind: 'rtl' } as MissionItem];
    expect(code(await port.uploadMission(items))).toBe('ok');
    expectSameRows(srv.committed, items);
    // Exactly one item per request, nothing unrequested.
    const sent = ap.received.filter((r) => r.msg.constructor.name === 'MissionItemInt').length;
    expect(sent).toBe([...srv.requestsSent.values()].reduce((a, b) => a + b, 0));
    // RTL travels in MAV_FRAME_MISSION.
    expect(srv.committed.at(-1)!.frame).toBe(2);
  });

  it('answers each duplicated request once, never queueing extra answers', async () => {
    const { srv, port } = await setup({ duplicateRequests: true });
    expect(code(await port.uploadMission(mission(20)))).toBe('ok');
    for (const [seq, n] of srv.itemsReceived) expect(n, `seq ${seq}`).toBe(2); // two requests → two answers
    expect(srv.committed).toHaveLength(20);
  });

  it('recovers dropped items, dropped requests, a lost ACK, reordering and corruption within the retry budget', async () => {
    const { srv, port } = await setup({
      dropItem: (seq, n) => seq % 3 === 1 && n === 0,
      dropRequest: (seq, n) => seq % 5 === 2 && n === 0,
      reorder: true,
      corrupt: true,
      loseFirstAck: true,
    });
    const items = mission(30);
    expect(code(await port.uploadMission(items))).toBe('ok');
    expectSameRows(srv.committed, items);
    expect(port.linkStats()!.badCrc).toBeGreaterThan(0);
  });

  it('fails with MISSION.UPLOAD_FAILED and the MAV_MISSION_RESULT name when the vehicle rejects', async () => {
    const { port } = await setup({ rejectWith: 4 /* NO_SPACE */ });
    const r = await port.uploadMission(mission(3));
    expect(code(r)).toBe('MISSION.UPLOAD_FAILED');
    expect(!r.ok && r.error.message).toContain('MAV_MISSION_NO_SPACE');
  });

  it('times out with MISSION.UPLOAD_TIMEOUT on a silent vehicle, and the previous plan stays', async () => {
    const { srv, port, ap } = await setup({}, { itemTimeoutMs: 1500, retries: 5 });
    const good = mission(4);
    expect(code(await port.uploadMission(good))).toBe('ok');
    srv.knobs.silent = true;
    const t0 = Date.now();
    const r = await port.uploadMission(mission(7));
    expect(code(r)).toBe('MISSION.UPLOAD_TIMEOUT');
    // 1 + 5 retries of 1500 ms autopilot time at 10× → ~0.9 s.
    expect(Date.now() - t0).toBeGreaterThan(700);
    const counts = ap.received.filter((x) => x.msg.constructor.name === 'MissionCount');
    expect(counts.length).toBe(1 + 1 + 5);
    srv.knobs.silent = false;
    const back = await port.downloadMission();
    expect(back.ok && at7(back.value)).toEqual(at7(good));
  });

  /** Progress totals the adapter reports for a MISSION_CURRENT: which plan it follows. */
  async function followedTotal(ap: ScriptedAutopilot, port: MavlinkVehiclePort, seq: number): Promise<number | undefined> {
    let total: number | undefined;
    const off = port.subscribeEvents((e) => {
      if (e.type === 'mission.current') total = e.total;
    });
    ap.send(Object.assign(new common.MissionCurrent(), { seq, total: 0, missionState: 0, missionMode: 0, missionId: 0, fenceId: 0, rallyPointsId: 0 }));
    await until(() => total !== undefined, 2000, 'mission.current');
    off();
    return total;
  }

  it('a vehicle-side refusal mid-upload (MAV_MISSION_INVALID_SEQUENCE at item 3) fails, and the vehicle and the adapter keep the previous mission', async () => {
    const { srv, port, ap } = await setup();
    const good = mission(4);
    expect(code(await port.uploadMission(good))).toBe('ok');
    srv.knobs.nackAt = { seq: 3, result: 13 /* INVALID_SEQUENCE */ };
    const r = await port.uploadMission(mission(7));
    expect(code(r)).toBe('MISSION.UPLOAD_FAILED');
    expect(!r.ok && r.error.message).toContain('MAV_MISSION_INVALID_SEQUENCE');
    expect(!r.ok && r.error.context?.['requested']).toBe(4);
    srv.knobs.nackAt = undefined;
    const back = await port.downloadMission();
    expect(back.ok && at7(back.value)).toEqual(at7(good));
    // Progress still speaks in the previous plan's items.
    expect(await followedTotal(ap, port, 1)).toBe(4);
  });

  it('a vehicle-side NO_SPACE answer to the count fails with its name, the previous mission stays', async () => {
    const { srv, port } = await setup();
    const good = mission(3);
    expect(code(await port.uploadMission(good))).toBe('ok');
    srv.knobs.rejectWith = 4; /* NO_SPACE */
    const r = await port.uploadMission(mission(9));
    expect(!r.ok && r.error.message).toContain('MAV_MISSION_NO_SPACE');
    srv.knobs.rejectWith = undefined;
    const back = await port.downloadMission();
    expect(back.ok && at7(back.value)).toEqual(at7(good));
  });

  it('a vehicle that goes silent mid-upload: MISSION.UPLOAD_TIMEOUT, the transfer is cancelled, the previous mission stays', async () => {
    const { srv, port, ap } = await setup({}, { itemTimeoutMs: 1000, retries: 3 });
    const good = mission(4);
    expect(code(await port.uploadMission(good))).toBe('ok');
    srv.knobs.stallAfter = 4;
    const r = await port.uploadMission(mission(9));
    expect(code(r)).toBe('MISSION.UPLOAD_TIMEOUT');
    // The GCS told the vehicle it gave up.
    await until(() => ap.received.some((x) => x.msg.constructor.name === 'MissionAck' && (x.msg as common.MissionAck).type === 15 /* OPERATION_CANCELLED */), 2000, 'MISSION_ACK(OPERATION_CANCELLED)');
    srv.knobs.stallAfter = undefined;
    const back = await port.downloadMission();
    expect(back.ok && at7(back.value)).toEqual(at7(good));
    expect(await followedTotal(ap, port, 2)).toBe(4);
  });

  it('fails cleanly (never hangs) when items keep getting lost past the budget', async () => {
    const { port } = await setup({ dropItem: (seq) => seq === 2, retryMs: 1000 }, { itemTimeoutMs: 500, retries: 3 });
    const r = await port.uploadMission(mission(5));
    expect(code(r)).toBe('MISSION.UPLOAD_TIMEOUT');
  });

  it('rejects invalid missions before any traffic', async () => {
    const { port, ap } = await setup();
    const before = ap.received.length;
    expect(code(await port.uploadMission([]))).toBe('MISSION.INVALID');
    expect(code(await port.uploadMission([wp(0, { lat_deg: 0, lon_deg: 0 })]))).toBe('MISSION.INVALID');
    expect(code(await port.uploadMission([wp(1, { alt_m: 20_000 })]))).toBe('MISSION.INVALID');
    expect(ap.received.slice(before).some((r) => r.msg.constructor.name === 'MissionCount')).toBe(false);
  });

  it('downloads and clears', async () => {
    const { port, srv } = await setup();
    const items = [{ kind: 'takeoff', alt_m: 10 } as MissionItem, wp(1, { speed_mps: 3 }), wp(2, { capture: true }), { kind: 'land' } as MissionItem];
    expect(code(await port.uploadMission(items))).toBe('ok');
    const back = await port.downloadMission();
    // A land without a position is written at the previous waypoint's; it comes back with it.
    expect(back.ok && at7(back.value)).toEqual(at7([items[0]!, items[1]!, items[2]!, { kind: 'land', lat_deg: HOME.lat_deg + 2e-4, lon_deg: HOME.lon_deg } as MissionItem]));
    expect(code(await port.clearMission())).toBe('ok');
    expect(srv.committed).toHaveLength(0);
  });
});

export type { MavlinkVehiclePort, ScriptedAutopilot };
