/**
 * Mode selection while disarmed and arming in a mode, as PX4 v1.15's Commander does
 * (`UserModeIntention::change`: every mode change is allowed while disarmed; `arm()` checks
 * canArm(nav_state): Mission needs a valid mission, RTL/Land prevent arming), and the navigator
 * launching the mission when the vehicle arms in AUTO.MISSION. Over loopback UDP.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { common, minimal } from 'node-mavlink';
import { PX4_AUTO_SUB, PX4_MAIN, px4ModeToFlightMode, unpackPx4Mode } from '../../hardware/real/mavlink/px4-modes.js';
import { at, startSitl, type SitlHarness } from './support/sitl-harness.js';
import { uploadMission, type ItemFields } from './support/mission-client.js';

const ACCEPTED = 0, TEMP_REJECTED = 1;
const PREARM = 268435456;
let h: SitlHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const MISSION: ItemFields[] = [
  { frame: 3, command: 22, ...at(0, 0), z: 10 },
  { frame: 3, command: 16, param2: 2, ...at(20, 0), z: 12 },
];

describe('SITL modes while disarmed (PX4 v1.15 Commander)', () => {
  it('boots in AUTO.LOITER, as PX4 v1.15.4 SIH without RC shows it, and arms there', async () => {
    h = await startSitl();
    const hb = await h.gcs.next(minimal.Heartbeat, () => true, { since: 0 });
    expect(unpackPx4Mode(hb.msg.customMode)).toEqual({ main: PX4_MAIN.AUTO, sub: PX4_AUTO_SUB.LOITER });
    expect((await h.gcs.command(1, 400, [1])).result).toBe(ACCEPTED);
  });

  it('selects AUTO.MISSION with no mission and Position without RC while disarmed; arming in Mission without a mission is refused', async () => {
    h = await startSitl();
    const { gcs } = h;
    expect((await gcs.command(1, 176, [1, PX4_MAIN.AUTO, PX4_AUTO_SUB.MISSION])).result).toBe(ACCEPTED);
    let since = gcs.log.length;
    const hb = await gcs.next(minimal.Heartbeat, (m) => px4ModeToFlightMode(m.customMode) === 'mission', { since: 0 });
    expect(hb.msg.baseMode & 128).toBe(0);
    const sys = await gcs.next(common.SysStatus, () => true, { since });
    expect(sys.msg.onboardControlSensorsHealth & PREARM).toBe(0); // cannot arm in Mission without a mission
    since = gcs.log.length;
    expect((await gcs.command(1, 400, [1])).result).toBe(TEMP_REJECTED);
    await gcs.next(common.StatusText, (m) => m.text.startsWith('Arming denied: Resolve system health failures'), { since });
    expect((await gcs.command(1, 176, [1, PX4_MAIN.POSCTL, 0])).result).toBe(ACCEPTED);
    since = gcs.log.length;
    const pos = await gcs.next(minimal.Heartbeat, () => true, { since });
    expect(unpackPx4Mode(pos.msg.customMode)).toEqual({ main: PX4_MAIN.POSCTL, sub: 0 });
    // Position without RC cannot arm (PX4 v1.15.4 SIH: the same refusal, tab-suffixed).
    since = gcs.log.length;
    expect((await gcs.command(1, 400, [1])).result).toBe(TEMP_REJECTED);
    const chunks = gcs.all(common.StatusText, since).filter((r) => r.msg.severity === 2).map((r) => r.msg.text).join('');
    expect(chunks).toBe('Arming denied: Resolve system health failures first\t');
    // RTL and Land can be selected too, and then prevent arming.
    expect((await gcs.command(1, 176, [1, PX4_MAIN.AUTO, PX4_AUTO_SUB.RTL])).result).toBe(ACCEPTED);
    expect((await gcs.command(1, 400, [1])).result).toBe(TEMP_REJECTED);
    expect(h.world.telemetry('d1').armed).toBe(false);
  });

  it('arming in AUTO.MISSION launches the mission: takeoff, then the items', async () => {
    h = await startSitl();
    const { gcs, world } = h;
    expect((await uploadMission(gcs, MISSION)).ack.type).toBe(0);
    expect((await gcs.command(1, 176, [1, PX4_MAIN.AUTO, PX4_AUTO_SUB.MISSION])).result).toBe(ACCEPTED);
    await h.waitSim(2000);
    expect(world.telemetry('d1').landed).toBe('on_ground'); // selecting the mode alone does not fly
    const since = gcs.log.length;
    expect((await gcs.command(1, 400, [1])).result).toBe(ACCEPTED);
    // As PX4 v1.15.4 SIH said it (recorded on the real SITL, instance 5): armed, then the navigator.
    await gcs.next(common.StatusText, (m) => m.text === 'Armed by external command\t', { since });
    await gcs.next(common.StatusText, (m) => m.text === 'Executing Mission\t', { since });
    await gcs.next(common.StatusText, (m) => m.text === 'Climb to 10.0 meters above home\t', { since });
    await gcs.next(common.StatusText, (m) => m.text === 'Takeoff detected\t', { since });
    await gcs.next(common.ExtendedSysState, (m) => m.landedState === 3 || m.landedState === 2, { since });
    const reached = await gcs.next(common.MissionItemReached, (m) => m.seq === 1, { since, timeoutMs: 20_000 });
    expect(reached.msg.seq).toBe(1);
  });
});
