/**
 * One mission-item codec (issue 8): the MAVLink adapter, the built-in SITL and the mission files
 * convert through `core/mavlink-mission`, so a mission survives every path and all three read
 * the same mission back. Property tests (fast-check) over random missions with per-waypoint
 * speeds and captures.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MissionItem } from '../../core/mission.js';
import { decodeMission, encodeMission, MAV_CMD, type MissionRow } from '../../core/mavlink-mission/index.js';
import { fromMissionItems, parseQgcPlan, parseQgcWpl, rawItem, toMissionItems, writeQgcPlan, writeQgcWpl, type MissionPlan } from '../../core/mission-files/index.js';
import { fromMavItems, toMavPlan, type MavMissionItem } from '../../hardware/real/mavlink/mission-items.js';
import { formatItem, parseItem, toWorldPlan, type StoredItem } from '../../hardware/sim/sitl/mission-items.js';

const HOME = { lat_deg: 47.3977419, lon_deg: 8.545594, alt_m: 488 };

/** Values MAVLink carries exactly: float32 params, degE7 positions. */
const f32 = (min: number, max: number) => fc.float({ min: Math.fround(min), max: Math.fround(max), noNaN: true }).map((v) => (Object.is(v, -0) ? 0 : v));
const degE7 = (min: number, max: number) => fc.integer({ min: min * 1e7, max: max * 1e7 }).map((v) => v / 1e7);

const waypoint = fc.record({
  kind: fc.constant('waypoint' as const),
  lat_deg: degE7(1, 89), lon_deg: degE7(1, 179), alt_m: f32(0, 1000), hold_s: f32(0, 3600),
  acceptance_m: f32(0.01, 100), capture: fc.boolean(),
}).chain((w) => fc.option(f32(0.1, 50), { nil: undefined }).map((s): MissionItem => (s === undefined ? w : { ...w, speed_mps: s })));
const item: fc.Arbitrary<MissionItem> = fc.oneof(
  { weight: 5, arbitrary: waypoint },
  { weight: 1, arbitrary: f32(1, 1000).map((alt_m): MissionItem => ({ kind: 'takeoff', alt_m })) },
  { weight: 1, arbitrary: fc.constant<MissionItem>({ kind: 'rtl' }) },
  { weight: 1, arbitrary: fc.constant<MissionItem>({ kind: 'land' }) },
  { weight: 1, arbitrary: fc.record({ lat_deg: degE7(1, 89), lon_deg: degE7(1, 179) }).map((p): MissionItem => ({ kind: 'land', ...p })) },
);
const mission = fc.array(item, { minLength: 1, maxLength: 25 });

/** What a vehicle flies: a land without a position lands where the vehicle was (home after an RTL). */
function asFlown(items: readonly MissionItem[]): MissionItem[] {
  let last: { lat_deg: number; lon_deg: number } = HOME;
  return items.map((it) => {
    if (it.kind === 'waypoint') last = it;
    if (it.kind === 'rtl') last = HOME;
    if (it.kind !== 'land') return it;
    if (it.lat_deg !== undefined && it.lon_deg !== undefined) {
      last = { lat_deg: it.lat_deg, lon_deg: it.lon_deg };
      return it;
    }
    return { kind: 'land', lat_deg: last.lat_deg, lon_deg: last.lon_deg };
  });
}

/** The SITL's side of an upload: each MISSION_ITEM_INT through PX4's parse (float32 params on the wire). */
function sitlStore(rows: readonly MavMissionItem[]): StoredItem[] {
  return rows.map((r) => {
    const s = parseItem({ ...r, param1: Math.fround(r.param1), param2: Math.fround(r.param2), param3: Math.fround(r.param3), param4: Math.fround(r.param4), z: Math.fround(r.z) }, true, 0);
    if (typeof s === 'number') throw new Error(`SITL refused seq ${r.seq} (MAV_CMD ${r.command}): ${s}`);
    return s;
  });
}

describe('one mission-item codec, three users', () => {
  it('adapter → SITL → adapter, and mission files: every path gives the same mission back', () => {
    fc.assert(fc.property(mission, (m) => {
      const flown = asFlown(m);
      // Adapter: port items → MISSION_ITEM_INT rows → port items.
      const plan = toMavPlan(m, { autopilot: 'px4', home: HOME });
      if (!plan.ok) throw new Error(plan.error.message);
      const back = fromMavItems(plan.value.items, { autopilot: 'px4', home: HOME });
      expect(back.ok && back.value).toEqual(flown);
      // SITL: the uploaded rows as PX4 stores them → what the simulator flies, each item from its NAV row.
      const stored = sitlStore(plan.value.items);
      const world = toWorldPlan(stored, HOME.alt_m, 2);
      expect(world.items).toEqual(flown);
      expect(world.seqOf).toEqual(plan.value.navSeq);
      // SITL download (PX4's format) read by the adapter: the same mission again.
      const downloaded = stored.map((s, seq): MavMissionItem => ({ ...formatItem(s, true), seq, current: 0, missionType: 0 }));
      const again = fromMavItems(downloaded, { autopilot: 'px4', home: HOME });
      expect(again.ok && again.value).toEqual(flown);
      // Mission files: items → raw rows → WPL and .plan text → items.
      const file: MissionPlan = { items: fromMissionItems(m, HOME), home: HOME, fence: { polygons: [], circles: [] }, rally: [], complex: [] };
      const wpl = parseQgcWpl(writeQgcWpl(file));
      const qgc = parseQgcPlan(writeQgcPlan(file));
      if (!wpl.ok || !qgc.ok) throw new Error('file did not read back');
      expect(toMissionItems(wpl.value)).toEqual(m);
      expect(toMissionItems(qgc.value)).toEqual(m);
      // The file's rows are the vehicle's rows but for the frame (3 vs 6) and unset positions.
      const cmds = (rows: readonly { command: number }[]) => rows.map((r) => r.command);
      expect(cmds(file.items)).toEqual(cmds(plan.value.items));
    }), { numRuns: 300 });
  });

  it('a file flown by the SITL: the same items as the file reader lifts', () => {
    fc.assert(fc.property(mission, (m) => {
      const rows = fromMissionItems(m, HOME);
      const stored = rows.map((r) => parseItem({ ...r, param1: r.params[0], param2: r.params[1], param3: r.params[2], param4: r.params[3], autocontinue: 1 }, false, 0));
      if (stored.some((s) => typeof s === 'number')) throw new Error('SITL refused a file row');
      const world = toWorldPlan(stored as StoredItem[], HOME.alt_m, 2);
      // A land without a position stays "here" in a file (NaN): the SITL lands where it is.
      expect(world.items).toEqual(toMissionItems({ items: rows, home: HOME }));
    }), { numRuns: 200 });
  });

  it('DO_CHANGE_SPEED: the speed holds for later legs; −1 and −2 both return to the default (PX4 v1.15)', () => {
    const wp = (lat: number): MissionRow => ({ frame: 3, command: 16, params: [0, 2, 0, Number.NaN], x: lat, y: 8.5, z: 30 });
    const speed = (v: number): MissionRow => ({ frame: 2, command: 178, params: [1, v, -1, 0], x: 0, y: 0, z: 0 });
    const speeds = (rows: MissionRow[]) => {
      const r = decodeMission(rows, { unknown: 'fail' });
      if (!r.ok) throw new Error(r.error.message);
      return r.value.items.map((i) => (i.kind === 'waypoint' ? i.speed_mps : 'x'));
    };
    expect(speeds([speed(4), wp(47.1), wp(47.2), speed(-1), wp(47.3), speed(9), wp(47.4), speed(-2), wp(47.5)])).toEqual([4, 4, undefined, 9, undefined]);
    // And the encoder writes the reset the decoder needs.
    const enc = encodeMission([{ kind: 'waypoint', lat_deg: 47.1, lon_deg: 8.5, alt_m: 30, hold_s: 0, acceptance_m: 2, speed_mps: 4, capture: false },
      { kind: 'waypoint', lat_deg: 47.2, lon_deg: 8.5, alt_m: 30, hold_s: 0, acceptance_m: 2, capture: false }], { target: 'vehicle' });
    expect(enc.ok && enc.value.rows.map((r) => [r.row.command, r.row.params[1]])).toEqual([[178, 4], [16, 2], [178, -2], [16, 2]]);
  });

  it('camera items: IMAGE_START_CAPTURE and a DO_DIGICAM_CONTROL shot both capture at the waypoint before them, in every reader', () => {
    const wp: MissionRow = { frame: 3, command: 16, params: [0, 2, 0, Number.NaN], x: 47.1, y: 8.5, z: 30 };
    const image: MissionRow = { frame: 2, command: MAV_CMD.IMAGE_START_CAPTURE, params: [0, 0, 1, 0], x: 0, y: 0, z: Number.NaN };
    const shot: MissionRow = { frame: 2, command: MAV_CMD.DO_DIGICAM_CONTROL, params: [0, 0, 0, 0], x: 1, y: 0, z: 0 };
    for (const cam of [image, shot]) {
      for (const unknown of ['raw', 'fail', 'fly'] as const) {
        const r = decodeMission([wp, cam], { unknown });
        expect(r.ok && r.value.items.map((i) => i.kind === 'waypoint' && i.capture), `${cam.command} ${unknown}`).toEqual([true]);
      }
      // The SITL, from the wire: the same.
      const stored = parseItem({ ...cam, param1: 0, param2: 0, param3: cam.params[2], param4: 0, autocontinue: 1 }, true, 0) as StoredItem;
      const w = parseItem({ ...wp, x: 471000000, y: 85000000, param1: 0, param2: 2, param3: 0, param4: Number.NaN, autocontinue: 1 }, true, 0) as StoredItem;
      expect(toWorldPlan([w, stored], 0, 2).items.map((i) => i.kind === 'waypoint' && i.capture)).toEqual([true]);
    }
    // A file keeps a camera row it cannot place as a raw item; the adapter refuses it.
    expect(toMissionItems({ items: [rawItem(MAV_CMD.IMAGE_START_CAPTURE, { frame: 2, params: [0, 0, 1, 0] })] })[0]!.kind).toBe('raw');
    expect(decodeMission([image], { unknown: 'fail' }).ok).toBe(false);
  });
});
