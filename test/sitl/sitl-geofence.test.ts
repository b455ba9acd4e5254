/**
 * The SITL enforces an uploaded fence as PX4 v1.15 does (navigator/geofence.cpp, Commander's
 * geofenceCheck.cpp and failsafe fromGfActParam): GF_* parameters in PX4's types, polygon and
 * circle fences, the breach texts, the GF_ACTION failsafe, arming refused while breached.
 * Everything over loopback UDP.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { common, minimal } from 'node-mavlink';
import { PX4_AUTO_SUB, PX4_MAIN, px4ModeToFlightMode, unpackPx4Mode } from '../../hardware/real/mavlink/px4-modes.js';
import { intToWireFloat, wireFloatToInt } from '../../hardware/sim/sitl/param-server.js';
import { LocalFrame } from '../../core/geo.js';
import { ORIGIN, at, startSitl, type SitlHarness } from './support/sitl-harness.js';
import { mk } from './support/test-gcs.js';
import { downloadMission, uploadMission, type ItemFields } from './support/mission-client.js';

const ACCEPTED = 0, TEMP_REJECTED = 1;
const INT32 = 6, REAL32 = 9;
const PREARM = 268435456;
let h: SitlHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const frame = new LocalFrame(ORIGIN);
/** A square inclusion polygon of half-side `r` m around home, QGC's rows (MAV_FRAME_GLOBAL). */
const square = (r: number): ItemFields[] =>
  [at(-r, -r), at(r, -r), at(r, r), at(-r, r)].map((p) => ({ frame: 0, command: 5001, param1: 4, ...p, z: 0 }));

async function setParam(name: string, value: number, type: number): Promise<common.ParamValue> {
  const gcs = h!.gcs;
  const since = gcs.log.length;
  gcs.send(mk(common.ParamSet, { targetSystem: 1, targetComponent: 1, paramId: name, paramValue: type === INT32 ? intToWireFloat(value) : value, paramType: type }));
  return (await gcs.next(common.ParamValue, (m) => m.paramId === name, { since })).msg;
}

async function takeoff(alt: number): Promise<void> {
  const gcs = h!.gcs;
  expect((await gcs.command(1, 400, [1])).result).toBe(ACCEPTED);
  expect((await gcs.command(1, 22, [0, 0, 0, Number.NaN, Number.NaN, Number.NaN, 488 + alt])).result).toBe(ACCEPTED);
  await gcs.next(common.ExtendedSysState, (m) => m.landedState === 2, { timeoutMs: 15_000 });
}

/** A STATUSTEXT (its first 50-character chunk for a longer text, as PX4 chunks it too). */
const text = (t: string) => (m: common.StatusText) => m.text === t.slice(0, 50);

describe('SITL geofence (PX4 v1.15 navigator + Commander)', () => {
  it('knows PX4\'s GF_* parameters, with PX4\'s defaults and types', async () => {
    h = await startSitl();
    const { gcs } = h;
    for (const [name, def, type] of [['GF_ACTION', 2, INT32], ['GF_MAX_HOR_DIST', 0, REAL32], ['GF_MAX_VER_DIST', 0, REAL32], ['GF_SOURCE', 0, INT32], ['GF_PREDICT', 0, INT32]] as const) {
      const since = gcs.log.length;
      gcs.send(mk(common.ParamRequestRead, { targetSystem: 1, targetComponent: 1, paramId: name, paramIndex: -1 }));
      const v = (await gcs.next(common.ParamValue, (m) => m.paramId === name, { since })).msg;
      expect(v.paramType).toBe(type);
      expect(type === INT32 ? wireFloatToInt(v.paramValue) : v.paramValue).toBe(def);
    }
    const act = await setParam('GF_ACTION', 3, INT32);
    expect([act.paramType, wireFloatToInt(act.paramValue)]).toEqual([INT32, 3]);
    const ver = await setParam('GF_MAX_VER_DIST', 100, REAL32);
    expect([ver.paramType, ver.paramValue]).toEqual([REAL32, 100]);
    expect(h.world.getParams('d1').GF_ACTION).toBe(3);
  });

  it('an uploaded polygon is enforced: a target outside is ignored, a leg that leaves it says PX4\'s texts and GF_ACTION 3 returns home', async () => {
    h = await startSitl();
    const { gcs, world } = h;
    // An L-shaped fence (QGC's rows, MAV_FRAME_GLOBAL): both waypoints inside, the leg between
    // them cuts the inner corner, outside.
    const L = [at(-20, -20), at(100, -20), at(100, 20), at(20, 20), at(20, 100), at(-20, 100)].map((p) => ({ frame: 0, command: 5001, param1: 6, ...p, z: 0 }));
    expect((await uploadMission(gcs, L, { type: 1 })).ack.type).toBe(0);
    expect((await downloadMission(gcs, { type: 1 })).map((r) => r.command)).toEqual(Array(6).fill(5001));
    await setParam('GF_ACTION', 3, INT32);
    await takeoff(10);
    // PX4 v1.15.4 SIH: DO_REPOSITION outside the fence is ACCEPTED, then ignored by the navigator.
    let since = gcs.log.length;
    const out = frame.toLatLon(60, 60);
    expect((await gcs.command(1, 192, [-1, 1, 0, Number.NaN, out.lat_deg, out.lon_deg, 488 + 10])).result).toBe(ACCEPTED);
    await gcs.next(common.StatusText, text('Reposition is outside geofence\t'), { since });
    await h.waitSim(3000);
    expect(Math.hypot(world.truePosition('d1').north_m, world.truePosition('d1').east_m)).toBeLessThan(3);
    const mission: ItemFields[] = [
      { frame: 3, command: 16, param2: 2, ...at(0, 80), z: 10 },
      { frame: 3, command: 16, param2: 2, ...at(80, 0), z: 10 },
    ];
    expect((await uploadMission(gcs, mission)).ack.type).toBe(0);
    since = gcs.log.length;
    expect((await gcs.command(1, 176, [1, PX4_MAIN.AUTO, PX4_AUTO_SUB.MISSION])).result).toBe(ACCEPTED);
    const breach = await gcs.next(common.StatusText, text('Geofence violation: approaching or outside geofence'), { since, timeoutMs: 30_000 });
    expect(breach.msg.severity).toBe(2);
    const p = world.truePosition('d1');
    expect(p.north_m > 14 && p.east_m > 14).toBe(true); // past the inner corner (20, 20), GPS error aside
    const fs = await gcs.next(common.StatusText, text('Failsafe activated\t'), { since });
    expect(fs.t).toBe(breach.t);
    const hb = await gcs.next(minimal.Heartbeat, (m) => px4ModeToFlightMode(m.customMode) === 'rtl', { since });
    expect(unpackPx4Mode(hb.msg.customMode)).toEqual({ main: PX4_MAIN.AUTO, sub: PX4_AUTO_SUB.RTL });
    expect(hb.msg.systemStatus).toBe(5); // CRITICAL
    await gcs.next(common.StatusText, text('Disarmed by landing\t'), { since, timeoutMs: 30_000 });
    const home = world.truePosition('d1');
    expect(Math.hypot(home.north_m, home.east_m)).toBeLessThan(3);
  });

  it('GF_MAX_VER_DIST with the default GF_ACTION (2): exceeding the height says so and holds', async () => {
    h = await startSitl();
    const { gcs, world } = h;
    await setParam('GF_MAX_VER_DIST', 15, REAL32);
    const since = gcs.log.length;
    expect((await gcs.command(1, 400, [1])).result).toBe(ACCEPTED);
    expect((await gcs.command(1, 22, [0, 0, 0, Number.NaN, Number.NaN, Number.NaN, 488 + 25])).result).toBe(ACCEPTED);
    await gcs.next(common.StatusText, text('Geofence violation: exceeding maximum altitude above Home'), { since, timeoutMs: 20_000 });
    const hb = await gcs.next(minimal.Heartbeat, (m) => px4ModeToFlightMode(m.customMode) === 'hold' && (m.baseMode & 128) !== 0, { since });
    expect(hb.msg.systemStatus).toBe(5);
    await h.waitSim(5000);
    const alt = -world.truePosition('d1').down_m;
    expect(alt).toBeGreaterThan(12);
    expect(alt).toBeLessThan(20); // stopped near the limit, not at the 25 m asked for
  });

  it('a circle exclusion around home: arming refused while breached (PREARM bit clear), allowed once cleared', async () => {
    h = await startSitl();
    const { gcs } = h;
    let sys = await gcs.next(common.SysStatus);
    expect(sys.msg.onboardControlSensorsHealth & PREARM).toBe(PREARM);
    expect(sys.msg.onboardControlSensorsPresent & PREARM).toBe(0); // as PX4: health only
    expect((await uploadMission(gcs, [{ frame: 0, command: 5004, param1: 20, ...at(5, 5), z: 0 }], { type: 1 })).ack.type).toBe(0);
    await h.waitSim(500);
    const since = gcs.log.length;
    sys = await gcs.next(common.SysStatus, () => true, { since });
    expect(sys.msg.onboardControlSensorsHealth & PREARM).toBe(0);
    expect((await gcs.command(1, 400, [1])).result).toBe(TEMP_REJECTED);
    await gcs.next(common.StatusText, text('Arming denied: Resolve system health failures first'), { since });
    // GF_ACTION 0: no geofence checks at all (PX4's navigator skips them).
    await setParam('GF_ACTION', 0, INT32);
    await h.waitSim(500);
    expect((await gcs.command(1, 400, [1])).result).toBe(ACCEPTED);
  });

  it('refuses a fence polygon cut short (fewer rows than its vertex count) and keeps the old fence', async () => {
    h = await startSitl();
    const { gcs } = h;
    expect((await uploadMission(gcs, square(40), { type: 1 })).ack.type).toBe(0);
    const short = square(40).slice(0, 3);
    expect((await uploadMission(gcs, short, { type: 1 })).ack.type).not.toBe(0);
    expect(await downloadMission(gcs, { type: 1 })).toHaveLength(4);
  });
});
