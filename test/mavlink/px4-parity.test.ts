/**
 * The MAVLink adapter against PX4 v1.15 behaviours found on a real PX4 SITL (issue 8), played
 * by a scripted PX4 over loopback UDP (real sockets, the real wire protocol):
 * mission start after an upload, the end of a mission, lost ACKs, and resuming a mission an
 * earlier process uploaded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WallClock } from '../../core/clock.js';
import type { MissionItem } from '../../core/mission.js';
import { createMavlinkVehiclePort, type MavlinkVehiclePortOptions } from '../../hardware/real/mavlink/mavlink-vehicle.adapter.js';
import type { VehicleEvent, VehicleResult } from '../../hardware/vehicle.port.js';
import { until } from './scripted-autopilot.js';
import { PX4, startScriptedPx4, type ScriptedPx4Knobs } from './scripted-px4.js';

const HOME = { lat_deg: 47.397742, lon_deg: 8.545594 };
const wp = (i: number): MissionItem =>
  ({ kind: 'waypoint', lat_deg: HOME.lat_deg + i * 1e-4, lon_deg: HOME.lon_deg + (i % 7) * 1e-4, alt_m: 20, hold_s: 0, acceptance_m: 2, capture: false }) as MissionItem;
const code = (r: VehicleResult<unknown>) => (r.ok ? 'ok' : `${r.error.code}: ${r.error.message}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function setup(knobs: Partial<ScriptedPx4Knobs> = {}, port: Partial<MavlinkVehiclePortOptions> = {}, waitReady = true) {
  const px4 = await startScriptedPx4({ knobs });
  const events: VehicleEvent[] = [];
  const v = createMavlinkVehiclePort({ id: 'd1', url: px4.ap.url, clock: new WallClock(), ...port });
  cleanup.push(() => px4.close(), () => v.dispose());
  v.subscribeEvents((e) => events.push(e));
  expect(code(await v.connect())).toBe('ok');
  await until(() => v.home() !== undefined && (!waitReady || v.readiness().ready), 3000, 'ready telemetry');
  return { px4, v, events };
}

describe('startMission right after an upload (PX4 checks the plan after its ACK)', () => {
  it('waits for MISSION_CURRENT to carry the upload\'s mission id with a real seq, then switches once', async () => {
    const { px4, v } = await setup({ checkDelayMs: 400 });
    const items = Array.from({ length: 561 }, (_, i) => wp(i + 1));
    expect(code(await v.uploadMission(items))).toBe('ok');
    const uploadedAt = Date.now();
    expect(code(await v.arm())).toBe('ok');
    expect(code(await v.startMission())).toBe('ok');
    const toMission = px4.modeRequests.filter((r) => r.main === PX4.AUTO && r.sub === PX4.MISSION);
    expect(toMission.map((r) => r.result)).toEqual([0]);
    expect(toMission[0]!.at - uploadedAt).toBeGreaterThanOrEqual(300);
    expect(px4.state.sub).toBe(PX4.MISSION);
  });

  it('retries TEMPORARILY_REJECTED with backoff when the vehicle gives no mission id', async () => {
    const { px4, v } = await setup({ checkDelayMs: 700, sendMissionId: false });
    expect(code(await v.uploadMission([wp(1), wp(2)]))).toBe('ok');
    expect(code(await v.arm())).toBe('ok');
    expect(code(await v.startMission())).toBe('ok');
    const toMission = px4.modeRequests.filter((r) => r.sub === PX4.MISSION);
    expect(toMission.length).toBeGreaterThanOrEqual(2);
    expect(toMission[0]!.result).toBe(1);
    expect(toMission.at(-1)!.result).toBe(0);
    // 250 ms, then doubling.
    const gaps = toMission.slice(1).map((r, i) => r.at - toMission[i]!.at);
    expect(gaps[0]).toBeGreaterThanOrEqual(200);
    if (gaps[1] !== undefined) expect(gaps[1]).toBeGreaterThanOrEqual(400);
  });

  it('gives up after the backoff budget with the vehicle\'s answer', async () => {
    // 10× autopilot time: the 5 s budget is 0.5 s of wall time.
    const { px4, v } = await setup({ rejectMission: true }, { speedFactor: 10 });
    expect(code(await v.uploadMission([wp(1), wp(2)]))).toBe('ok');
    expect(code(await v.arm())).toBe('ok');
    const r = await v.startMission();
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('VEHICLE.COMMAND_DENIED');
    expect(r.error.message).toContain('TEMPORARILY_REJECTED');
    // 250 + 500 + 1000 + 2000 + 1250 ms of waiting: six attempts.
    expect(r.error.context?.['attempts']).toBe(6);
    expect(px4.modeRequests.filter((m) => m.sub === PX4.MISSION)).toHaveLength(6);
  });

  it('an abort ends the retries at once', async () => {
    const { v } = await setup({ rejectMission: true });
    expect(code(await v.uploadMission([wp(1), wp(2)]))).toBe('ok');
    expect(code(await v.arm())).toBe('ok');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 600);
    const t0 = Date.now();
    const r = await v.startMission(ac.signal);
    expect(!r.ok && r.error.code).toBe('VEHICLE.TIMEOUT');
    expect(!r.ok && r.error.context?.['aborted']).toBe(true);
    expect(Date.now() - t0).toBeLessThan(1200);
  });
});

describe('a new plan starts at its first item', () => {
  it('PX4 carries the previous plan\'s current index over: startMission sets item 0 current first (MISSION_SET_CURRENT)', async () => {
    const { px4, v } = await setup({ checkDelayMs: 100 });
    expect(code(await v.uploadMission([wp(1), wp(2), wp(3), wp(4), wp(5)]))).toBe('ok');
    await sleep(200);
    px4.setCurrent(3); // the previous flight got to item 3
    expect(code(await v.uploadMission([wp(6), wp(7), wp(8), wp(9), wp(10), wp(11)]))).toBe('ok');
    expect(code(await v.arm())).toBe('ok');
    expect(code(await v.startMission())).toBe('ok');
    expect(px4.missionStarts).toEqual([0]);
    expect(px4.ap.received.some((x) => x.msg.constructor.name === 'MissionSetCurrent')).toBe(true);
  });

  it('a resume after hold continues from the current item (no rewind)', async () => {
    const { px4, v } = await setup();
    expect(code(await v.uploadMission([wp(1), wp(2), wp(3), wp(4)]))).toBe('ok');
    expect(code(await v.arm())).toBe('ok');
    expect(code(await v.startMission())).toBe('ok');
    px4.setCurrent(2);
    expect(code(await v.hold())).toBe('ok');
    expect(code(await v.startMission())).toBe('ok');
    expect(px4.missionStarts).toEqual([0, 2]);
  });

  it.each([['mission', PX4.MISSION], ['land', PX4.LAND]] as const)('arm on a PX4 left disarmed in %s mode after the last flight: hold first (armed in Mission it launches; in Land it refuses)', async (name, sub) => {
    const { px4, v, events } = await setup();
    px4.setMode(PX4.AUTO, sub);
    await until(() => events.some((e) => e.type === 'mode' && e.mode === name), 2000, `${name} mode`);
    expect(code(await v.arm())).toBe('ok');
    expect(px4.armedIn).toEqual([{ main: PX4.AUTO, sub: PX4.LOITER }]);
  });

  it('arm retries a TEMPORARILY_REJECTED (a check still settling)', async () => {
    const { px4, v } = await setup({ armRejections: 2 });
    expect(code(await v.arm())).toBe('ok');
    expect(px4.state.armed).toBe(true);
  });
});

describe('arming waits for PX4\'s own pre-arm verdict (scripts/px4/FINDINGS.md F1, F2)', () => {
  it('F1: PX4 sets PREARM_CHECK in SYS_STATUS health only: arm waits for it (no ARM while its checks fail)', async () => {
    const { px4, v } = await setup({ checksFailing: 'Preflight Fail: horizontal velocity unstable' }, {}, false);
    expect(v.readiness().ready).toBe(false);
    expect(v.readiness().missing).toContain('pre-arm checks failing');
    setTimeout(() => (px4.knobs.checksFailing = undefined), 700);
    const t0 = Date.now();
    expect(code(await v.arm())).toBe('ok');
    expect(px4.armAttempts).toEqual([{ at: expect.any(Number), result: 0 }]);
    expect(px4.armAttempts[0]!.at - t0).toBeGreaterThanOrEqual(700);
  }, 15_000);

  it('F1: a PX4 whose checks never pass: after the readiness timeout one ARM, refused, in PX4\'s words', async () => {
    const { px4, v } = await setup({ checksFailing: 'Preflight Fail: horizontal velocity unstable' }, { readinessTimeoutMs: 2500 }, false);
    const t0 = Date.now();
    const r = await v.arm();
    expect(!r.ok && r.error.code).toBe('VEHICLE.COMMAND_DENIED');
    expect(!r.ok && r.error.message).toMatch(/TEMPORARILY_REJECTED \(after waiting 2.5 s: pre-arm checks failing\); vehicle says: "Preflight Fail: horizontal velocity unstable"/);
    expect(px4.armAttempts.map((a) => [a.result, a.at - t0 >= 2400])).toEqual([[1, true]]);
  }, 15_000);

  it('F2: NAV_DLL_ACT = 2 set right after connect, arm and mission at once: armed only once PX4 has seen our GCS heartbeat, no failsafe', async () => {
    // PX4: gcs_connection_lost until ~1–1.3 s after our first heartbeat; its checks re-run every 300 ms.
    const px4 = await startScriptedPx4({ knobs: { gcsSeenDelayMs: 1300, checksPeriodMs: 300 } });
    const v = createMavlinkVehiclePort({ id: 'd1', url: px4.ap.url, clock: new WallClock() });
    cleanup.push(() => px4.close(), () => v.dispose());
    expect(code(await v.connect())).toBe('ok');
    expect(code(await v.setParameters({ COM_DL_LOSS_T: 10, NAV_DLL_ACT: 2 }))).toBe('ok');
    await until(() => v.home() !== undefined, 3000, 'home');
    expect(code(await v.uploadMission([wp(1), wp(2)]))).toBe('ok');
    expect(code(await v.arm())).toBe('ok');
    expect(code(await v.startMission())).toBe('ok');
    await sleep(400);
    expect(px4.failsafes).toEqual([]);
    expect(px4.armAttempts.map((a) => a.result)).toEqual([0]);
    expect(px4.state.sub).toBe(PX4.MISSION);
  }, 15_000);

  // F2b: PX4 at PX4_SIM_SPEED_FACTOR=4 on a starved host runs well below 4×; the adapter's clock
  // (the runner's wall clock at speed 4) then overstates PX4's time. Played here by a scripted
  // PX4 at 1× and the adapter on a 4× clock: PX4 counts the GCS as seen 1.3 s after our first heartbeat and its failsafe
  // delay (COM_FAIL_ACT_T 5 s) starts when NAV_DLL_ACT = 2 is set before that.
  for (const ignores of [false, true]) {
    it(`F2b: PX4 slower than its nominal speed${ignores ? ', pre-arm bit blind to the GCS check' : ''}: arm waits on PX4's own clock (time_boot_ms), outside its failsafe delay`, async () => {
      const px4 = await startScriptedPx4({ knobs: { gcsSeenDelayMs: 1300, checksPeriodMs: 300, sendTimeBoot: true, prearmIgnoresGcs: ignores } });
      const v = createMavlinkVehiclePort({ id: 'd1', url: px4.ap.url, clock: new WallClock({ speed: 4 }) });
      cleanup.push(() => px4.close(), () => v.dispose());
      expect(code(await v.connect())).toBe('ok');
      const setAt = Date.now();
      expect(code(await v.setParameters({ COM_DL_LOSS_T: 10, NAV_DLL_ACT: 2 }))).toBe('ok');
      await until(() => v.home() !== undefined, 3000, 'home');
      expect(code(await v.uploadMission([wp(1), wp(2)]))).toBe('ok');
      expect(code(await v.arm())).toBe('ok');
      expect(code(await v.startMission())).toBe('ok');
      await sleep(300);
      expect(px4.failsafes).toEqual([]);
      expect(px4.armAttempts.map((a) => a.result)).toEqual([0]);
      // Not before PX4's own 5 s failsafe delay from the moment NAV_DLL_ACT took effect.
      expect(px4.armAttempts[0]!.at - setAt).toBeGreaterThanOrEqual(5000);
      expect(px4.state.sub).toBe(PX4.MISSION);
    }, 30_000);
  }

  it('a parameter set after readiness was judged makes arm judge it again (the bit of a stale SYS_STATUS does not count)', async () => {
    const px4 = await startScriptedPx4({ knobs: { gcsSeenDelayMs: 60_000, checksPeriodMs: 300 } });
    const v = createMavlinkVehiclePort({ id: 'd1', url: px4.ap.url, clock: new WallClock(), readinessTimeoutMs: 2500 });
    cleanup.push(() => px4.close(), () => v.dispose());
    expect(code(await v.connect())).toBe('ok');
    await until(() => v.readiness().ready, 4000, 'ready with NAV_DLL_ACT 0');
    expect(code(await v.setParameters({ NAV_DLL_ACT: 2 }))).toBe('ok');
    expect(v.readiness().ready).toBe(false);
    const r = await v.arm();
    expect(!r.ok && r.error.code).toBe('VEHICLE.COMMAND_DENIED');
    expect(!r.ok && r.error.message).toMatch(/pre-arm checks failing.*"Preflight Fail: No connection to the ground/);
    expect(px4.armAttempts.map((a) => a.result)).toEqual([1]); // the one ARM after the wait, refused
  }, 15_000);
});

describe('the end of a mission as PX4 v1.15.4 reports it', () => {
  /** Index of the first event matching `pred`, for ordering checks. */
  const indexOf = (events: VehicleEvent[], pred: (e: VehicleEvent) => boolean) => events.findIndex(pred);
  /** Index of the disarm that followed the arm (the first event is the initial `armed: false`). */
  const disarmIndex = (events: VehicleEvent[]) => {
    const armedAt = events.findIndex((e) => e.type === 'armed' && e.armed);
    const i = events.slice(armedAt + 1).findIndex((e) => e.type === 'armed' && !e.armed);
    return armedAt < 0 || i < 0 ? -1 : armedAt + 1 + i;
  };

  async function flying(items: MissionItem[]) {
    const s = await setup();
    expect(code(await s.v.uploadMission(items))).toBe('ok');
    expect(code(await s.v.arm())).toBe('ok');
    s.px4.setLanded(false);
    expect(code(await s.v.startMission())).toBe('ok');
    return s;
  }

  it('final RTL: no reached, no mission_state, one HEARTBEAT disarmed and back in AUTO.MISSION → finished before the disarm', async () => {
    const { px4, events } = await flying([wp(1), wp(2), wp(3), { kind: 'rtl' } as MissionItem]);
    px4.reached(0);
    px4.setCurrent(1);
    px4.reached(1);
    px4.setCurrent(2);
    px4.reached(2);
    px4.setCurrent(3);
    await sleep(100);
    px4.setMode(PX4.AUTO, PX4.RTL); // the RTL item hands over to RTL mode
    await until(() => events.some((e) => e.type === 'mode' && e.mode === 'rtl'), 2000, 'rtl mode');
    px4.setLanded(true);
    await sleep(150);
    // "Disarmed by landing": one heartbeat both disarmed and in AUTO.MISSION.
    px4.state.armed = false;
    px4.setMode(PX4.AUTO, PX4.MISSION);
    await until(() => disarmIndex(events) >= 0, 2000, 'disarm');
    expect(events.filter((e) => e.type === 'mission.reached').map((e) => (e as { seq: number }).seq)).toEqual([0, 1, 2, 3]);
    const finished = indexOf(events, (e) => e.type === 'mission.finished');
    const disarmed = disarmIndex(events);
    expect(finished).toBeGreaterThan(-1);
    expect(finished).toBeLessThan(disarmed);
  });

  it('final LAND whose MISSION_ITEM_REACHED was lost: finished when it lands and disarms there', async () => {
    const { px4, events } = await flying([wp(1), wp(2), { kind: 'land' } as MissionItem]);
    px4.setCurrent(1);
    px4.setCurrent(2);
    await sleep(100);
    px4.setLanded(true);
    await sleep(150);
    px4.setArmed(false);
    await until(() => disarmIndex(events) >= 0, 2000, 'disarm');
    expect(events.filter((e) => e.type === 'mission.reached').map((e) => (e as { seq: number }).seq)).toEqual([0, 1, 2]);
    expect(indexOf(events, (e) => e.type === 'mission.finished')).toBeGreaterThan(-1);
    expect(indexOf(events, (e) => e.type === 'mission.finished')).toBeLessThan(disarmIndex(events));
  });

  it('a disarm before the final item is not a finished mission', async () => {
    const { px4, events } = await flying([wp(1), wp(2), { kind: 'rtl' } as MissionItem]);
    px4.setCurrent(1);
    await sleep(100);
    px4.setLanded(true);
    await sleep(100);
    px4.setArmed(false);
    await until(() => disarmIndex(events) >= 0, 2000, 'disarm');
    await sleep(200);
    expect(events.some((e) => e.type === 'mission.finished')).toBe(false);
  });
});

describe('commands whose ACK is lost (a lossy link)', () => {
  it('arm: no ACK, but the HEARTBEAT shows it armed → ok', async () => {
    const { v, px4 } = await setup({ dropAckFor: new Set([400]) }, { speedFactor: 10 });
    expect(code(await v.arm())).toBe('ok');
    expect(px4.state.armed).toBe(true);
    expect(v.snapshot()?.armed).toBe(true);
  });

  it('mode change and disarm: no ACK, read back from the HEARTBEAT', async () => {
    const { v } = await setup({ dropAckFor: new Set([176, 400]) }, { speedFactor: 10 });
    expect(code(await v.hold())).toBe('ok');
    expect(code(await v.returnToLaunch())).toBe('ok'); // NAV_RETURN_TO_LAUNCH is ACKed normally
    expect(code(await v.arm())).toBe('ok');
    expect(code(await v.disarm())).toBe('ok');
  });

  it('a command the vehicle never got still times out', async () => {
    const { v, px4 } = await setup({ loseCommand: new Set([400]) }, { speedFactor: 10 });
    const r = await v.arm();
    expect(!r.ok && r.error.code).toBe('VEHICLE.TIMEOUT');
    expect(px4.state.armed).toBe(false);
  });
});

describe('resume: following a mission an earlier process uploaded', () => {
  it('adoptVehiclePlan downloads the plan; progress then reports its items through to finished', async () => {
    const { px4, v } = await setup();
    const items = [wp(1), { ...wp(2), speed_mps: 4 } as MissionItem, { ...wp(3), capture: true } as MissionItem, { kind: 'land' } as MissionItem];
    expect(code(await v.uploadMission(items))).toBe('ok');
    await v.dispose();
    // A new process: no plan of its own.
    const events: VehicleEvent[] = [];
    const v2 = createMavlinkVehiclePort({ id: 'd1', url: px4.ap.url, clock: new WallClock() });
    cleanup.push(() => v2.dispose());
    v2.subscribeEvents((e) => events.push(e));
    expect(code(await v2.connect())).toBe('ok');
    const adopted = await v2.adoptVehiclePlan();
    expect(adopted.ok && adopted.value.items).toBe(4);
    // The vehicle flies on in Mission mode.
    px4.state.armed = true;
    px4.setMode(PX4.AUTO, PX4.MISSION);
    await until(() => events.some((e) => e.type === 'mode' && e.mode === 'mission'), 2000, 'mission mode');
    // Rows: wp, speed, wp, speed reset, wp, capture, land → NAV rows 0, 2, 4, 6.
    px4.setCurrent(2);
    px4.reached(2);
    px4.setCurrent(4);
    px4.reached(4);
    px4.setCurrent(6);
    px4.reached(6);
    await until(() => events.some((e) => e.type === 'mission.finished'), 2000, 'finished');
    expect(events.filter((e) => e.type === 'mission.reached').map((e) => (e as { seq: number }).seq)).toEqual([0, 1, 2, 3]);
    expect(events.filter((e) => e.type === 'mission.current').map((e) => (e as { seq: number; total: number }).total)).toContain(4);
  });

  it('adopted mid-return (armed, in RTL on the final item): finished before the landing disarm', async () => {
    const { px4, v } = await setup();
    expect(code(await v.uploadMission([wp(1), wp(2), { kind: 'rtl' } as MissionItem]))).toBe('ok');
    await v.dispose();
    await sleep(100); // the scripted navigator's check of the plan
    px4.state.armed = true;
    px4.setMode(PX4.AUTO, PX4.RTL);
    px4.setLanded(false);
    px4.setCurrent(2);
    const events: VehicleEvent[] = [];
    const v2 = createMavlinkVehiclePort({ id: 'd1', url: px4.ap.url, clock: new WallClock() });
    cleanup.push(() => v2.dispose());
    v2.subscribeEvents((e) => events.push(e));
    expect(code(await v2.connect())).toBe('ok');
    await until(() => events.some((e) => e.type === 'armed' && e.armed), 2000, 'armed');
    expect(code(await v2.adoptVehiclePlan())).toBe('ok');
    await sleep(150);
    px4.setLanded(true);
    await sleep(150);
    px4.state.armed = false;
    px4.setMode(PX4.AUTO, PX4.MISSION);
    await until(() => events.some((e) => e.type === 'armed' && !e.armed), 2000, 'disarm');
    const finished = events.findIndex((e) => e.type === 'mission.finished');
    expect(finished).toBeGreaterThan(-1);
    expect(finished).toBeLessThan(events.findIndex((e) => e.type === 'armed' && !e.armed));
  });

  it('adoptVehiclePlan says MISSION.NONE_LOADED when the vehicle has none', async () => {
    const { v } = await setup();
    const r = await v.adoptVehiclePlan();
    expect(!r.ok && r.error.code).toBe('MISSION.NONE_LOADED');
  });
});

describe('parameters, geofence and faults on a PX4', () => {
  it('setParameters sends each in the type the vehicle declares (COM_DL_LOSS_T as INT32) and verifies the echo', async () => {
    const { v, px4 } = await setup({}, { speedFactor: 10 });
    const r = await v.setParameters({ COM_DL_LOSS_T: 3, NAV_DLL_ACT: 2, MPC_XY_CRUISE: 7.5 });
    expect(code(r)).toBe('ok');
    expect(r.ok && r.value.map((x) => [x.name, x.value])).toEqual([['COM_DL_LOSS_T', 3], ['NAV_DLL_ACT', 2], ['MPC_XY_CRUISE', 7.5]]);
    expect(px4.paramSets.map((x) => [x.name, x.type, x.taken])).toEqual([['COM_DL_LOSS_T', 6, true], ['NAV_DLL_ACT', 6, true], ['MPC_XY_CRUISE', 9, true]]);
    expect(px4.params.get('COM_DL_LOSS_T')!.value).toBe(3);
  });

  it('setParameters fails naming a parameter the vehicle does not have, after setting the others', async () => {
    const { v, px4 } = await setup({}, { speedFactor: 10 });
    const r = await v.setParameters({ NAV_DLL_ACT: 3, NO_SUCH_PARAM: 1 });
    expect(!r.ok && r.error.code).toBe('VEHICLE.UNSUPPORTED');
    expect(!r.ok && r.error.message).toContain('NO_SUCH_PARAM');
    expect(px4.params.get('NAV_DLL_ACT')!.value).toBe(3);
    expect(code(await v.setParameters({ 'BAD NAME': 1 }))).toMatch(/^VEHICLE.COMMAND_DENIED/);
  });

  it('uploadGeofence: inclusion and exclusion polygons as MAV_MISSION_TYPE_FENCE rows, GF_MAX_VER_DIST and GF_ACTION', async () => {
    const { v, px4 } = await setup({}, { speedFactor: 10 });
    const d = 0.002;
    const polygon = [[-d, -d], [-d, d], [d, d], [d, -d]].map(([a, b]) => ({ lat_deg: HOME.lat_deg + a!, lon_deg: HOME.lon_deg + b! }));
    const hole = [[0, 0], [0, d / 2], [d / 2, 0]].map(([a, b]) => ({ lat_deg: HOME.lat_deg + a!, lon_deg: HOME.lon_deg + b! }));
    expect(code(await v.uploadGeofence({ polygon, exclusions: [hole], max_alt_m: 120, action: 'rtl' }))).toBe('ok');
    const rows = px4.srv.committed;
    expect(rows.map((r) => [r.command, r.param1, r.missionType])).toEqual([...polygon.map(() => [5001, 4, 1]), ...hole.map(() => [5002, 3, 1])]);
    expect(rows[1]!.x).toBe(Math.round(polygon[1]!.lat_deg * 1e7));
    expect(px4.params.get('GF_MAX_VER_DIST')!.value).toBeCloseTo(120);
    expect(px4.params.get('GF_ACTION')!.value).toBe(3);
    // Malformed: refused before any traffic.
    const before = px4.ap.received.length;
    const bad = await v.uploadGeofence({ polygon: polygon.slice(0, 2) });
    expect(!bad.ok && bad.error.code).toBe('MISSION.INVALID');
    expect(!bad.ok && bad.error.message).toContain('fence.polygon');
    expect(px4.ap.received.slice(before).some((x) => x.msg.constructor.name === 'MissionCount')).toBe(false);
  });

  it('uploadGeofence on a vehicle without GF_MAX_VER_DIST: the polygons go up, the missing limit is reported', async () => {
    const { v, px4 } = await setup({}, { speedFactor: 10 });
    px4.params.delete('GF_MAX_VER_DIST');
    const polygon = [[-1, -1], [-1, 1], [1, 1]].map(([a, b]) => ({ lat_deg: HOME.lat_deg + a! * 1e-3, lon_deg: HOME.lon_deg + b! * 1e-3 }));
    const r = await v.uploadGeofence({ polygon, max_alt_m: 50 });
    expect(!r.ok && r.error.code).toBe('VEHICLE.UNSUPPORTED');
    expect(!r.ok && r.error.message).toContain('GF_MAX_VER_DIST');
    expect(!r.ok && r.error.context?.['fenceUploaded']).toBe(true);
    expect(px4.srv.committed.map((x) => x.command)).toEqual([5001, 5001, 5001]);
  });

  it('injectFault: SYS_FAILURE_EN set first, then MAV_CMD_INJECT_FAILURE; the vehicle\'s answer per fault', async () => {
    const { v, px4 } = await setup({}, { speedFactor: 10 });
    const motor = await v.injectFault({ kind: 'motor_failure' });
    expect(motor.ok && motor.value.result).toBe('ACCEPTED');
    expect(px4.params.get('SYS_FAILURE_EN')!.value).toBe(1);
    expect(px4.injections[0]).toEqual({ unit: 101, type: 1, instance: 0, result: 0 });
    // No module handles GPS failures here (SIH): PX4 never answers.
    const gps = await v.injectFault({ kind: 'gps_loss', duration_s: 5 });
    expect(!gps.ok && gps.error.code).toBe('VEHICLE.TIMEOUT');
    expect(!gps.ok && gps.error.message).toContain('FAILURE_UNIT_SENSOR_GPS');
    const baro = await v.injectFault({ kind: 'sensor_failure', sensor: 'baro' });
    expect(!baro.ok && baro.error.context?.['unit']).toBe('FAILURE_UNIT_SENSOR_BARO');
    const n = px4.injections.length;
    expect(!(await v.injectFault({ kind: 'wind_gust', speed_mps: 10, direction_deg: 0, duration_s: 5 })).ok).toBe(true);
    expect(code(await v.injectFault({ kind: 'sensor_failure', sensor: 'flux_capacitor' }))).toMatch(/^VEHICLE.UNSUPPORTED/);
    expect(px4.injections.length).toBe(n);
    expect(code(await v.injectFault({ kind: 'battery_drop', pct: -3 } as never))).toMatch(/^VEHICLE.COMMAND_DENIED: invalid fault/);
  });

  it('F3: battery_drop on a PX4 SITL: a drop of N points through SIM_BAT_MIN_PCT / SIM_BAT_DRAIN, both restored, no battery failure injected', async () => {
    const { v, px4 } = await setup({ simSpeed: 10 }, { speedFactor: 10 });
    px4.params.get('SIM_BAT_DRAIN')!.value = 1800;
    px4.params.get('SIM_BAT_MIN_PCT')!.value = 0;
    // Disarmed, the simulator holds the pack at 100 %: a drop asked for then waits for arming (up to
    // 30 s of vehicle time, 3 s here) and is refused if it never comes.
    const disarmed = await v.injectFault({ kind: 'battery_drop', pct: 30 });
    expect(!disarmed.ok && disarmed.error.code).toBe('VEHICLE.COMMAND_DENIED');
    expect(!disarmed.ok && disarmed.error.message).toContain('disarmed');
    expect(px4.paramSets).toEqual([]);
    expect(code(await v.arm())).toBe('ok');
    await until(() => (v.snapshot()?.battery.remaining_pct ?? 0) > 0, 2000, 'battery');
    const before = v.snapshot()!.battery.remaining_pct;
    const r = await v.injectFault({ kind: 'battery_drop', pct: 30 });
    expect(code(r)).toBe('ok');
    expect(r.ok && r.value.note).toMatch(/SIM_BAT_MIN_PCT .*SIM_BAT_DRAIN back to 1800 s, SIM_BAT_MIN_PCT back to 0 %$/);
    const after = v.snapshot()!.battery.remaining_pct;
    expect(after).toBeGreaterThanOrEqual(before - 31);
    expect(after).toBeLessThanOrEqual(before - 29);
    expect(px4.params.get('SIM_BAT_DRAIN')!.value).toBe(1800);
    expect(px4.params.get('SIM_BAT_MIN_PCT')!.value).toBe(0);
    expect(px4.injections).toEqual([]);
    expect(px4.paramSets.filter((p) => p.name.startsWith('SIM_BAT')).map((p) => [p.name, Math.round(p.value)])).toEqual([
      ['SIM_BAT_MIN_PCT', Math.round(before - 30)], ['SIM_BAT_DRAIN', 1], ['SIM_BAT_DRAIN', 1800], ['SIM_BAT_MIN_PCT', 0],
    ]);
    await sleep(500);
    expect(v.snapshot()!.battery.remaining_pct).toBeGreaterThanOrEqual(after - 1); // drains at its own pace again
  });

  it('F3: a battery_drop due before the vehicle has armed (PX4 arms seconds later than the simulator) is applied once it arms', async () => {
    const { v, px4 } = await setup({ simSpeed: 10 }, { speedFactor: 10 });
    px4.params.get('SIM_BAT_DRAIN')!.value = 1800;
    px4.params.get('SIM_BAT_MIN_PCT')!.value = 0;
    const drop = v.injectFault({ kind: 'battery_drop', pct: 30 });
    await sleep(500);
    expect(px4.paramSets).toEqual([]); // nothing touched while disarmed
    expect(code(await v.arm())).toBe('ok');
    const r = await drop;
    expect(code(r)).toBe('ok');
    expect(r.ok && r.value.note).toMatch(/applied once the vehicle armed/);
    expect(v.snapshot()!.battery.remaining_pct).toBeLessThanOrEqual(71);
  });

  it('F3: PX4 reports the level plus its load-drop compensation, clamped at 100 %: the floor is corrected until the reported level dropped N points', async () => {
    const { v, px4 } = await setup({ batteryOffsetPct: 20, simSpeed: 10 }, { speedFactor: 10 });
    px4.params.get('SIM_BAT_DRAIN')!.value = 1800;
    px4.params.get('SIM_BAT_MIN_PCT')!.value = 0;
    expect(code(await v.arm())).toBe('ok');
    await sleep(200);
    expect(v.snapshot()!.battery.remaining_pct).toBe(100); // 99.x + 20, clamped
    const r = await v.injectFault({ kind: 'battery_drop', pct: 30 });
    expect(code(r)).toBe('ok');
    expect(v.snapshot()!.battery.remaining_pct).toBeGreaterThanOrEqual(69);
    expect(v.snapshot()!.battery.remaining_pct).toBeLessThanOrEqual(71);
    expect(px4.battery.level).toBeGreaterThan(48);
    expect(px4.battery.level).toBeLessThan(51);
    expect(px4.params.get('SIM_BAT_MIN_PCT')!.value).toBe(0);
  });

  it('F3: a floor above the new level (stock SIM_BAT_MIN_PCT 50) is left at the new level, else the level would jump back', async () => {
    const { v, px4 } = await setup({ simSpeed: 10 }, { speedFactor: 10 });
    px4.params.get('SIM_BAT_DRAIN')!.value = 600;
    expect(code(await v.arm())).toBe('ok');
    await until(() => (v.snapshot()?.battery.remaining_pct ?? 0) > 90, 2000, 'battery');
    const r = await v.injectFault({ kind: 'battery_drop', pct: 70 });
    expect(code(r)).toBe('ok');
    expect(r.ok && r.value.note).toContain('left at');
    expect(px4.params.get('SIM_BAT_MIN_PCT')!.value).toBeLessThan(31);
    await sleep(300);
    expect(v.snapshot()!.battery.remaining_pct).toBeLessThan(32);
  });

  it('F3: battery_drop on a vehicle without SIM_BAT_MIN_PCT (real hardware): a partial drop is refused with the reason; a drop to empty is PX4\'s battery failure', async () => {
    const { v, px4 } = await setup({}, { speedFactor: 10 });
    px4.params.delete('SIM_BAT_MIN_PCT');
    px4.params.delete('SIM_BAT_DRAIN');
    const r = await v.injectFault({ kind: 'battery_drop', pct: 40 });
    expect(!r.ok && r.error.code).toBe('VEHICLE.UNSUPPORTED');
    expect(!r.ok && r.error.message).toMatch(/cannot be injected.*no SIM_BAT_MIN_PCT.*"battery empty"/);
    expect(!r.ok && r.error.context?.['note']).toContain('battery empty');
    expect(px4.injections).toEqual([]);
    const empty = await v.injectFault({ kind: 'battery_drop', pct: 100 });
    expect(code(empty)).toBe('ok');
    expect(empty.ok && empty.value.note).toContain('empties the battery');
    expect(px4.injections).toEqual([{ unit: 100, type: 1, instance: 0, result: 0 }]);
  });

  it('injectFault refused by the vehicle: its exact result code; SYS_FAILURE_EN that will not turn on', async () => {
    const { v, px4 } = await setup({ injectResult: 4 /* FAILED */ }, { speedFactor: 10 });
    const r = await v.injectFault({ kind: 'motor_failure' });
    expect(!r.ok && r.error.code).toBe('VEHICLE.COMMAND_DENIED');
    expect(!r.ok && r.error.context?.['result']).toBe('FAILED');
    const { v: v2 } = await setup({ frozenParams: new Set(['SYS_FAILURE_EN']) }, { speedFactor: 10 });
    const r2 = await v2.injectFault({ kind: 'motor_failure' });
    expect(!r2.ok && r2.error.code).toBe('VEHICLE.COMMAND_DENIED');
    expect(!r2.ok && r2.error.message).toContain('SYS_FAILURE_EN');
    expect(px4.injections).toHaveLength(1);
  });

  it('link_loss is a two-way outage for its duration: nothing we send (heartbeat included) goes out, nothing the vehicle sends comes in', async () => {
    const { v, px4, events } = await setup({}, { speedFactor: 10 });
    const ours = () => px4.ap.received.filter((x) => x.msg.constructor.name === 'Heartbeat').length;
    const linkEvents = () => events.filter((e) => e.type === 'link').map((e) => (e as { up: boolean }).up);
    const r = await v.injectFault({ kind: 'link_loss', duration_s: 3 }); // 2 s of margin over the 1 s we watch, for loaded machines
    expect(r.ok && r.value.result).toBe('LINK_SILENCED');
    // Frames already on the wire when the silence began still land: count from after they have.
    await sleep(150);
    const at0 = ours();
    const telemetryBefore = v.snapshot()?.t_ms ?? 0;
    await sleep(1000);
    expect(ours()).toBe(at0); // the vehicle hears nothing from us (10× speed: 10 heartbeats would have gone)
    expect(v.snapshot()?.t_ms ?? 0).toBe(telemetryBefore); // and we hear nothing from it
    await until(() => ours() > at0, 6000, 'heartbeats again');
    await until(() => (v.snapshot()?.t_ms ?? 0) > telemetryBefore, 6000, 'telemetry again');
    // The twin judged the link lost during the silence (15 s of vehicle time) and judges it up again on the
    // vehicle's next heartbeat, which can come a little after its first telemetry: commands wait for that.
    await until(() => linkEvents().at(-1) === true && linkEvents().includes(false), 3000, 'link judged up again');
    // link_restore lifts an open-ended silence.
    expect(code(await v.injectFault({ kind: 'link_loss' }))).toBe('ok');
    await sleep(300);
    const at1 = ours();
    await sleep(300);
    expect(ours()).toBe(at1);
    expect(code(await v.injectFault({ kind: 'link_restore' }))).toBe('ok');
    await until(() => ours() > at1, 2000, 'heartbeats after restore');
  });
});
