import { afterEach, describe, expect, it } from 'vitest';
import { common, minimal } from 'node-mavlink';
import { PX4_AUTO_SUB, PX4_MAIN, px4ModeToFlightMode } from '../../hardware/real/mavlink/px4-modes.js';
import { LocalFrame } from '../../core/geo.js';
import { ORIGIN, at, startSitl, type SitlHarness } from './support/sitl-harness.js';
import { mk } from './support/test-gcs.js';
import { downloadMission, uploadMission, type ItemFields } from './support/mission-client.js';

let h: SitlHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const frame = new LocalFrame(ORIGIN);
const home = at(0, 0);
const MISSION: ItemFields[] = [
  { frame: 3, command: 22, ...home, z: 10 },
  { frame: 3, command: 16, param2: 2, ...at(20, 0), z: 12 },
  { frame: 3, command: 16, param2: 2, ...at(20, 20), z: 12 },
];

describe('SITL mission upload/download', () => {
  it('requests with legacy MISSION_REQUEST until a MISSION_ITEM_INT arrives, ACKs, and downloads the plan back', async () => {
    h = await startSitl();
    const { ack, requests } = await uploadMission(h.gcs, MISSION);
    expect(ack.type).toBe(0);
    expect(requests.map((r) => [r.frame.msgid, (r.msg as common.MissionRequest).seq])).toEqual([[40, 0], [51, 1], [51, 2]]);
    expect(ack.opaqueId).not.toBe(0);
    const back = await downloadMission(h.gcs);
    expect(back).toHaveLength(3);
    back.forEach((b, k) => {
      const it = MISSION[k]!;
      // PX4 stores "relative altitude" and gives it back in the int frame of the link (3 → 6).
      expect(b.frame).toBe(6);
      expect([b.command, b.x, b.y, b.z, b.param1, b.param2, b.param3, b.param4, b.autocontinue])
        .toEqual([it.command, it.x, it.y, it.z, it.param1 ?? 0, it.param2 ?? 0, 0, 0, 1]);
    });
    expect(back[0]!.current).toBe(1);
  });

  it('rejects an RTL item in a global frame with MAV_MISSION_UNSUPPORTED (3) and keeps the previous mission', async () => {
    h = await startSitl();
    expect((await uploadMission(h.gcs, MISSION)).ack.type).toBe(0);
    const bad: ItemFields[] = [{ frame: 3, command: 16, ...at(5, 5), z: 5 }, { frame: 3, command: 20, x: 0, y: 0, z: 0 }];
    const r = await uploadMission(h.gcs, bad);
    expect(r.ack.type).toBe(3);
    expect(r.requests).toHaveLength(2);
    const back = await downloadMission(h.gcs);
    expect(back.map((b) => b.x)).toEqual(MISSION.map((m) => m.x));
    // RTL is fine in frame MISSION (2).
    const good: ItemFields[] = [...MISSION, { frame: 2, command: 20, x: 0, y: 0, z: 0 }];
    expect((await uploadMission(h.gcs, good)).ack.type).toBe(0);
    // An unknown frame is UNSUPPORTED_FRAME (2).
    expect((await uploadMission(h.gcs, [{ frame: 1, command: 16, x: 0, y: 0, z: 5 }])).ack.type).toBe(2);
  });

  it('answers each download request exactly once and ignores duplicate items during an upload', async () => {
    h = await startSitl();
    const { gcs } = h;
    expect((await uploadMission(gcs, MISSION)).ack.type).toBe(0);
    let since = gcs.log.length;
    gcs.send(mk(common.MissionRequestList, { targetSystem: 1, targetComponent: 1, missionType: 0 }));
    await gcs.next(common.MissionCount, () => true, { since });
    since = gcs.log.length;
    const req = (seq: number) => gcs.send(mk(common.MissionRequestInt, { targetSystem: 1, targetComponent: 1, seq, missionType: 0 }));
    req(0);
    req(0);
    req(1);
    await gcs.next(common.MissionItemInt, (m) => m.seq === 1, { since });
    await h.waitSim(300);
    expect(gcs.all(common.MissionItemInt, since).map((r) => r.msg.seq)).toEqual([0, 0, 1]);
    gcs.send(mk(common.MissionAck, { targetSystem: 1, targetComponent: 1, type: 0, missionType: 0 }));

    // Upload: the same item twice → one request for the next item (within the 250 ms retry).
    since = gcs.log.length;
    gcs.send(mk(common.MissionCount, { targetSystem: 1, targetComponent: 1, count: 2, missionType: 0 }));
    const r0 = await gcs.next(common.MissionRequestInt, (m) => m.seq === 0, { since });
    const item0 = mk(common.MissionItemInt, { targetSystem: 1, targetComponent: 1, seq: 0, frame: 3, command: 16, param2: 2, ...at(5, 0), z: 5, autocontinue: 1 });
    gcs.send(item0);
    gcs.send(item0);
    await gcs.next(common.MissionRequestInt, (m) => m.seq === 1, { since });
    await h.waitSim(120);
    const forOne = gcs.all(common.MissionRequestInt, since).filter((r) => r.msg.seq === 1 && r.t < r0.t + 240);
    expect(forOne).toHaveLength(1);
    gcs.send(mk(common.MissionItemInt, { ...item0, seq: 1, ...at(5, 5) }));
    const ack = await gcs.next(common.MissionAck, () => true, { since });
    expect(ack.msg.type).toBe(0);
    // A duplicate of the last item after the ACK gets the ACK again (PX4).
    const s2 = gcs.log.length;
    gcs.send(mk(common.MissionItemInt, { ...item0, seq: 1, ...at(5, 5) }));
    expect((await gcs.next(common.MissionAck, () => true, { since: s2 })).msg.type).toBe(0);
  });

  it('re-requests an unanswered item every 250 ms of sim time and gives up after 5 s silently, like PX4', async () => {
    h = await startSitl();
    const { gcs } = h;
    const since = gcs.log.length;
    gcs.send(mk(common.MissionCount, { targetSystem: 1, targetComponent: 1, count: 2, missionType: 0 }));
    const timeout = await gcs.next(common.StatusText, (m) => m.text.includes('Operation timeout'), { since, timeoutMs: 10_000 });
    const reqs = gcs.log.slice(since).filter((r) => r.msg instanceof common.MissionRequest && r.t <= timeout.t);
    expect(reqs.length).toBe(20);
    const times = reqs.map((r) => r.t);
    for (let k = 1; k < times.length; k++) expect(times[k]! - times[k - 1]!).toBe(250);
    expect(timeout.t - times[0]!).toBe(5000); // 5 s after the MISSION_COUNT
    // PX4 sends no MISSION_ACK when it gives up…
    await h.waitSim(1000);
    expect(gcs.all(common.MissionAck, since)).toHaveLength(0);
    expect(gcs.all(common.MissionRequest, gcs.log.indexOf(timeout) + 1)).toHaveLength(0);
    // …a late item is what gets an ERROR ACK ("No transfer").
    const s2 = gcs.log.length;
    gcs.send(mk(common.MissionItemInt, { targetSystem: 1, targetComponent: 1, seq: 0, frame: 3, command: 16, param2: 2, ...at(5, 0), z: 5, autocontinue: 1 }));
    expect((await gcs.next(common.MissionAck, () => true, { since: s2 })).msg.type).toBe(1);
  });

  it('stores fence and rally plans, serves them back, and MISSION_CLEAR_ALL empties them', async () => {
    h = await startSitl();
    const { gcs } = h;
    const fence: ItemFields[] = [[-50, -50], [50, -50], [50, 50], [-50, 50]].map(([n, e]) => ({ frame: 3, command: 5001, param1: 4, ...at(n!, e!), z: 0 }));
    expect((await uploadMission(gcs, fence, { type: 1 })).ack.type).toBe(0);
    expect((await uploadMission(gcs, [{ frame: 3, command: 5100, ...at(10, 10), z: 20 }], { type: 2 })).ack.type).toBe(0);
    // A polygon with fewer than 3 vertices is refused (PX4 feasibility check).
    expect((await uploadMission(gcs, [{ frame: 3, command: 5001, param1: 2, ...at(1, 1), z: 0 }], { type: 1 })).ack.type).toBe(1);
    expect((await downloadMission(gcs, { type: 1 })).map((i) => [i.command, i.param1, i.x])).toEqual(fence.map((f) => [5001, 4, f.x]));
    expect((await downloadMission(gcs, { type: 2 }))).toHaveLength(1);
    const since = gcs.log.length;
    gcs.send(mk(common.MissionClearAll, { targetSystem: 1, targetComponent: 1, missionType: 255 }));
    expect((await gcs.next(common.MissionAck, () => true, { since })).msg.type).toBe(0);
    expect(await downloadMission(gcs, { type: 1 })).toHaveLength(0);
  });
});

describe('SITL mission execution', () => {
  it('DO_SET_MODE AUTO.MISSION flies the mission: MISSION_CURRENT advances, MISSION_ITEM_REACHED arrives (and repeats)', async () => {
    h = await startSitl({ speed: 40 });
    const { gcs } = h;
    expect((await uploadMission(gcs, MISSION)).ack.type).toBe(0);
    expect((await gcs.command(1, 400, [1])).result).toBe(0);
    const since = gcs.log.length;
    expect((await gcs.command(1, 176, [1, PX4_MAIN.AUTO, PX4_AUTO_SUB.MISSION])).result).toBe(0);
    await gcs.next(minimal.Heartbeat, (m) => px4ModeToFlightMode(m.customMode) === 'mission', { since });
    const last = await gcs.next(common.MissionItemReached, (m) => m.seq === 2, { since, timeoutMs: 20_000 });
    const reached = gcs.all(common.MissionItemReached, since).map((r) => r.msg.seq);
    expect([...new Set(reached)]).toEqual([0, 1, 2]);
    const current = gcs.all(common.MissionCurrent, since).map((r) => r.msg.seq);
    expect(current).toContain(1);
    expect(current).toContain(2);
    // PX4 repeats the last reached item on its slow beat.
    await gcs.next(common.MissionItemReached, (m, r) => m.seq === 2 && r.t > last.t, { timeoutMs: 5000 });
    // PX4 v1.15.4 leaves mission_state/mission_mode at 0; a mission ending in the air loiters in Hold.
    const cur = await gcs.next(common.MissionCurrent, () => true, { since });
    expect([cur.msg.total, cur.msg.missionState, cur.msg.missionMode]).toEqual([3, 0, 0]);
    expect(gcs.all(common.StatusText, since).map((r) => r.msg.text)).toContain('Mission finished, loitering\t');
    await gcs.next(minimal.Heartbeat, (m) => px4ModeToFlightMode(m.customMode) === 'hold', { since });
  });

  it('MISSION_START arms and starts; MISSION_SET_CURRENT jumps', async () => {
    h = await startSitl({ speed: 40 });
    const { gcs } = h;
    expect((await uploadMission(gcs, MISSION)).ack.type).toBe(0);
    const since = gcs.log.length;
    gcs.send(mk(common.MissionSetCurrent, { targetSystem: 1, targetComponent: 1, seq: 1 }));
    await gcs.next(common.MissionCurrent, (m) => m.seq === 1, { since });
    expect((await gcs.command(1, 300, [0, 0])).result).toBe(0);
    await gcs.next(minimal.Heartbeat, (m) => (m.baseMode & 128) !== 0 && px4ModeToFlightMode(m.customMode) === 'mission', { since });
    const r = await gcs.next(common.MissionItemReached, () => true, { since, timeoutMs: 20_000 });
    expect(r.msg.seq).toBe(1);
  });
});
