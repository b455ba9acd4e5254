/**
 * The end of a mission on the wire, as PX4 v1.15.4 ends it (issue 8): a NAV_RETURN_TO_LAUNCH item
 * hands over to RTL mode ("Returning to launch"), is never reported reached, and after
 * "Disarmed by landing" the first disarmed HEARTBEAT is back in AUTO.MISSION; a mission ending
 * in LAND is reported reached, then "Mission finished, landed". MISSION_CURRENT.mission_state
 * stays 0 throughout (PX4 does not fill it).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { common, minimal } from 'node-mavlink';
import { PX4_AUTO_SUB, PX4_MAIN, px4ModeToFlightMode } from '../../hardware/real/mavlink/px4-modes.js';
import { at, startSitl, type SitlHarness } from './support/sitl-harness.js';
import { uploadMission, type ItemFields } from './support/mission-client.js';
import type { Received } from './support/test-gcs.js';

let h: SitlHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const BODY: ItemFields[] = [
  { frame: 3, command: 22, ...at(0, 0), z: 10 },
  { frame: 3, command: 16, param2: 2, ...at(20, 0), z: 12 },
  { frame: 3, command: 16, param2: 2, ...at(20, 20), z: 12 },
];

const modeOf = (r: Received) => px4ModeToFlightMode((r.msg as minimal.Heartbeat).customMode);
const armedOf = (r: Received) => ((r.msg as minimal.Heartbeat).baseMode & 128) !== 0;

async function fly(items: ItemFields[]): Promise<{ since: number; gcs: SitlHarness['gcs'] }> {
  h = await startSitl({ speed: 40 });
  const { gcs } = h;
  expect((await uploadMission(gcs, items)).ack.type).toBe(0);
  expect((await gcs.command(1, 400, [1])).result).toBe(0);
  const since = gcs.log.length;
  expect((await gcs.command(1, 176, [1, PX4_MAIN.AUTO, PX4_AUTO_SUB.MISSION])).result).toBe(0);
  await gcs.next(minimal.Heartbeat, (m) => ((m.baseMode & 128) === 0), { since, timeoutMs: 60_000 });
  return { since, gcs };
}

describe('SITL end of mission, as PX4 v1.15.4', () => {
  it('DO rows run in turn: each becomes MISSION_CURRENT, then MISSION_ITEM_REACHED (speed change and capture too)', { timeout: 90_000 }, async () => {
    const speed: ItemFields = { frame: 2, command: 178, param1: 1, param2: 8, param3: -1, x: 0, y: 0, z: 0 };
    const shot: ItemFields = { frame: 2, command: 2000, param3: 1, param4: 1, x: 0, y: 0, z: 0 };
    // 0 DO_CHANGE_SPEED, 1 takeoff, 2 waypoint, 3 capture, 4 DO_CHANGE_SPEED, 5 waypoint, 6 land
    const { since, gcs } = await fly([speed, BODY[0]!, BODY[1]!, shot, { ...speed, param2: -2 }, BODY[2]!, { frame: 3, command: 21, ...at(20, 20), z: 0 }]);
    expect([...new Set(gcs.all(common.MissionItemReached, since).map((r) => r.msg.seq))]).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const currents = gcs.all(common.MissionCurrent, since).map((r) => r.msg.seq);
    const changes = currents.filter((q, k) => k === 0 || q !== currents[k - 1]);
    expect(changes).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(gcs.all(common.CameraTrigger, since)).toHaveLength(1);
  });


  it('a final RTL item: RTL mode, never reached, "Disarmed by landing" and one HEARTBEAT disarmed in AUTO.MISSION', { timeout: 90_000 }, async () => {
    const { since, gcs } = await fly([...BODY, { frame: 2, command: 20, x: 0, y: 0, z: 0 }]);
    const reached = [...new Set(gcs.all(common.MissionItemReached, since).map((r) => r.msg.seq))];
    expect(reached).toEqual([0, 1, 2]); // not 3: PX4 hands the RTL item over to RTL mode
    const currents = gcs.all(common.MissionCurrent, since);
    expect(currents.at(-1)!.msg.seq).toBe(3);
    expect(currents.every((r) => r.msg.missionState === 0 && r.msg.missionMode === 0)).toBe(true);
    // Whole texts: a long one comes in 50-character chunks sharing an id.
    const texts: string[] = [];
    for (const { msg: m } of gcs.all(common.StatusText, since)) {
      if (m.id && m.chunkSeq > 0) texts[texts.length - 1] += m.text;
      else texts.push(m.text);
    }
    // As PX4 sends them: with the trailing tab of a text that is also an event.
    expect(texts).toContain('Returning to launch\t');
    expect(texts).toContain('Disarmed by landing\t');
    expect(texts).toContain('RTL: start return at 548 m (60 m above destination)\t'); // home 488 m AMSL, RTL_RETURN_ALT 60 m (PX4's)
    expect(texts).toContain('RTL: land at destination\t');
    expect(texts.some((t) => t.startsWith('Mission finished'))).toBe(false);
    const beats = gcs.all(minimal.Heartbeat, since);
    const rtl = beats.findIndex((r) => modeOf(r) === 'rtl');
    const firstDisarmed = beats.findIndex((r, k) => k > rtl && !armedOf(r));
    expect(rtl).toBeGreaterThan(-1);
    expect(beats.slice(rtl, firstDisarmed).every((r) => modeOf(r) === 'rtl' && armedOf(r))).toBe(true);
    expect(modeOf(beats[firstDisarmed]!)).toBe('mission');
    // It landed at home.
    const p = h!.world.truePosition('d1');
    expect(Math.hypot(p.north_m, p.east_m)).toBeLessThan(2);
  });

  it('a final LAND item: reached on the ground, "Mission finished, landed", then "Disarmed by landing" still in AUTO.MISSION', { timeout: 90_000 }, async () => {
    const { since, gcs } = await fly([...BODY, { frame: 3, command: 21, ...at(20, 20), z: 0 }]);
    const reached = gcs.all(common.MissionItemReached, since);
    expect([...new Set(reached.map((r) => r.msg.seq))]).toEqual([0, 1, 2, 3]);
    const texts = gcs.all(common.StatusText, since);
    const finished = texts.find((r) => r.msg.text === 'Mission finished, landed\t');
    const disarmed = texts.find((r) => r.msg.text === 'Disarmed by landing\t');
    expect(finished && disarmed).toBeTruthy();
    const landReached = reached.find((r) => r.msg.seq === 3)!;
    expect(landReached.t).toBeLessThanOrEqual(finished!.t);
    expect(disarmed!.t - finished!.t).toBeGreaterThanOrEqual(2000); // COM_DISARM_LAND
    expect(gcs.all(common.StatusText, since).map((r) => r.msg.text.trim())).not.toContain('Returning to launch');
    const beats = gcs.all(minimal.Heartbeat, since).filter((r) => r.t >= landReached.t);
    expect(beats.every((r) => modeOf(r) === 'mission')).toBe(true);
    expect(armedOf(beats.at(-1)!)).toBe(false);
  });
});
