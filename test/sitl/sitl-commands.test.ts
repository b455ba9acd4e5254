import { afterEach, describe, expect, it } from 'vitest';
import { common, minimal, standard } from 'node-mavlink';
import { PX4_AUTO_SUB, PX4_MAIN, px4ModeToFlightMode, unpackPx4Mode } from '../../hardware/real/mavlink/px4-modes.js';
import { pump, startSitl, type SitlHarness } from './support/sitl-harness.js';
import { TestGcs } from './support/test-gcs.js';
import { VirtualClock } from '../../core/clock.js';
import { Rng } from '../../core/rng.js';
import { SimWorld } from '../../hardware/sim/index.js';
import { createSitl } from '../../hardware/sim/sitl/index.js';

const ACCEPTED = 0, TEMP_REJECTED = 1, DENIED = 2, UNSUPPORTED = 3, FAILED = 4;
let h: SitlHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('SITL heartbeat', () => {
  it('sends PX4 heartbeats to the configured remote before any peer talks (udpin client)', async () => {
    const clock = new VirtualClock();
    const world = new SimWorld({ clock, rng: new Rng(1), origin: { lat_deg: 47.397742, lon_deg: 8.545594, alt_m: 488 } });
    world.addVehicle('a', { spawn: { north_m: 0, east_m: 0 } });
    const client = await TestGcs.open(clock);
    const sitl = createSitl({ world, vehicles: [{ id: 'a', sysid: 7 }], apiLocalPortBase: 0, apiRemotePortBase: client.port, gcsLocalPortBase: 0, gcsRemotePort: 0 });
    await sitl.start();
    const ac = new AbortController();
    const run = pump(clock, 20, ac.signal);
    try {
      const hb = await client.next(minimal.Heartbeat);
      expect(hb.frame.sysid).toBe(7);
      expect(hb.frame.compid).toBe(1);
      expect(hb.frame.version).toBe(2);
      expect(hb.msg.autopilot).toBe(12);
      expect(hb.msg.type).toBe(2);
      expect(hb.msg.baseMode & 1).toBe(1);
      expect(hb.msg.baseMode & 128).toBe(0);
      expect(hb.msg.systemStatus).toBe(3); // STANDBY
      expect(px4ModeToFlightMode(hb.msg.customMode)).toBe('hold'); // PX4 v1.15.4 SIH without RC: AUTO.LOITER from boot
      expect(sitl.endpoints[0]!.apiLocalPort).toBeGreaterThan(0);
      expect(sitl.endpoints[0]!.apiRemotePort).toBe(client.port);
      // 1 Hz in sim time
      const second = await client.next(minimal.Heartbeat, (_, r) => r.t > hb.t);
      expect(second.t - hb.t).toBe(1000);
    } finally {
      ac.abort();
      await run;
      await sitl.stop();
      await client.close();
    }
  });
});

describe('SITL commands', () => {
  it('arms with ACCEPTED, reports SAFETY_ARMED, and takeoff while disarmed is refused TEMPORARILY_REJECTED', async () => {
    h = await startSitl();
    const { gcs } = h;
    // PX4 Commander answers every refused mode change with TEMPORARILY_REJECTED, never DENIED.
    // (PX4 itself would accept the switch to AUTO.TAKEOFF while disarmed; see the README.)
    expect((await gcs.command(1, 22, [0, 0, 0, Number.NaN, Number.NaN, Number.NaN, Number.NaN])).result).toBe(TEMP_REJECTED);
    const text = await gcs.next(common.StatusText, (m) => /Takeoff denied/.test(m.text), { since: 0 });
    expect(text.msg.severity).toBe(2);
    expect((await gcs.command(1, 400, [1])).result).toBe(ACCEPTED);
    const hb = await gcs.next(minimal.Heartbeat, (m) => (m.baseMode & 128) !== 0);
    expect(hb.msg.systemStatus).toBe(4); // ACTIVE
  });

  it('takes off to param7 AMSL, then DO_SET_MODE AUTO.LOITER / AUTO.RTL change custom_mode', async () => {
    h = await startSitl();
    const { gcs } = h;
    expect((await gcs.command(1, 400, [1])).result).toBe(ACCEPTED);
    expect((await gcs.command(1, 22, [0, 0, 0, Number.NaN, Number.NaN, Number.NaN, 488 + 8])).result).toBe(ACCEPTED);
    const hb = await gcs.next(minimal.Heartbeat, (m) => px4ModeToFlightMode(m.customMode) === 'takeoff');
    expect(unpackPx4Mode(hb.msg.customMode)).toEqual({ main: PX4_MAIN.AUTO, sub: PX4_AUTO_SUB.TAKEOFF });
    await gcs.next(common.ExtendedSysState, (m) => m.landedState === 2, { timeoutMs: 15_000 });
    const pos = await gcs.next(common.GlobalPositionInt);
    expect(pos.msg.relativeAlt / 1000).toBeGreaterThan(5);
    expect((await gcs.command(1, 176, [1, PX4_MAIN.AUTO, PX4_AUTO_SUB.LOITER])).result).toBe(ACCEPTED);
    expect((await gcs.command(1, 176, [1, PX4_MAIN.AUTO, PX4_AUTO_SUB.RTL])).result).toBe(ACCEPTED);
    await gcs.next(minimal.Heartbeat, (m) => px4ModeToFlightMode(m.customMode) === 'rtl');
    // Position mode needs manual control input the simulator does not have.
    expect((await gcs.command(1, 176, [1, PX4_MAIN.POSCTL, 0])).result).toBe(TEMP_REJECTED);
  });

  it('answers unknown commands UNSUPPORTED and ignores commands for another system', async () => {
    h = await startSitl();
    const { gcs } = h;
    expect((await gcs.command(1, 31000, [])).result).toBe(UNSUPPORTED);
    const since = gcs.log.length;
    gcs.send(Object.assign(new common.CommandLong(), { targetSystem: 42, targetComponent: 1, command: 400, _param1: 1 }));
    await h.waitSim(500);
    expect(gcs.all(common.CommandAck, since)).toHaveLength(0);
    expect(h.sitl.stats().vehicles[0]!.gcs.rxForeign).toBe(1);
  });

  it('answers a retransmission (higher confirmation) with the first result, not a second execution', async () => {
    h = await startSitl();
    const { gcs } = h;
    await gcs.command(1, 400, [1]);
    const params = [0, 0, 0, Number.NaN, Number.NaN, Number.NaN, 488 + 10];
    expect((await gcs.command(1, 22, params, 0)).result).toBe(ACCEPTED);
    await h.waitSim(200);
    // Executed again it would be refused ("already flying"); as a retry it is ACCEPTED again.
    expect((await gcs.command(1, 22, params, 1)).result).toBe(ACCEPTED);
    // A fresh command (confirmation 0) is executed.
    expect((await gcs.command(1, 22, params, 0)).result).toBe(TEMP_REJECTED);
  });

  it('answers (dis)arm refusals like PX4 Commander: TEMPORARILY_REJECTED, and UNSUPPORTED for a bad param1', async () => {
    h = await startSitl();
    const { gcs } = h;
    expect((await gcs.command(1, 400, [2])).result).toBe(UNSUPPORTED);
    expect((await gcs.command(1, 400, [1])).result).toBe(ACCEPTED);
    expect((await gcs.command(1, 22, [0, 0, 0, Number.NaN, Number.NaN, Number.NaN, 488 + 10])).result).toBe(ACCEPTED);
    await gcs.next(common.ExtendedSysState, (m) => m.landedState === 2, { timeoutMs: 15_000 });
    // "Disarming denied: not landed" is TRANSITION_DENIED → TEMPORARILY_REJECTED in PX4.
    expect((await gcs.command(1, 400, [0])).result).toBe(TEMP_REJECTED);
  });

  it('MISSION_START without a mission is DENIED (PX4: "No valid mission")', async () => {
    h = await startSitl();
    expect((await h.gcs.command(1, 300, [0, 0])).result).toBe(DENIED);
  });

  it('COMMAND_INT: PX4 ignores the frame (z is AMSL), INT32_MAX x/y keep the position, NaN-as-int x/y is DENIED', async () => {
    h = await startSitl();
    const { gcs, world } = h;
    expect((await gcs.command(1, 400, [1])).result).toBe(ACCEPTED);
    expect((await gcs.command(1, 22, [0, 0, 0, Number.NaN, Number.NaN, Number.NaN, 488 + 10])).result).toBe(ACCEPTED);
    await gcs.next(common.ExtendedSysState, (m) => m.landedState === 2, { timeoutMs: 15_000 });
    await h.waitSim(4000);
    expect((await gcs.commandInt(1, 192, 6, [-1, 1, 0, Number.NaN], 0x7ff80000, 0x7ff80000, 20)).result).toBe(DENIED);
    // MAV_FRAME_GLOBAL_RELATIVE_ALT_INT (6) with z = 488 + 15: PX4 reads z as AMSL regardless.
    const before = world.telemetry('d1').position;
    expect((await gcs.commandInt(1, 192, 6, [-1, 1, 0, Number.NaN], 0x7fffffff, 0x7fffffff, 488 + 15)).result).toBe(ACCEPTED);
    await h.waitSim(20_000);
    const t = world.telemetry('d1');
    expect(t.alt_rel_m).toBeGreaterThan(13);
    expect(t.alt_rel_m).toBeLessThan(17);
    expect(Math.abs(t.position.lat_deg - before.lat_deg)).toBeLessThan(2e-5);
    expect(Math.abs(t.position.lon_deg - before.lon_deg)).toBeLessThan(2e-5);
  });

  it('SET_MESSAGE_INTERVAL changes a stream rate; GET/REQUEST_MESSAGE and AUTOPILOT_VERSION', async () => {
    h = await startSitl();
    const { gcs } = h;
    // GCS link (normal mode): GLOBAL_POSITION_INT at 5 Hz.
    const a = await gcs.next(common.GlobalPositionInt);
    const b = await gcs.next(common.GlobalPositionInt, (_, r) => r.t > a.t);
    expect(b.t - a.t).toBe(200);
    expect((await gcs.command(1, 511, [33, 100_000])).result).toBe(ACCEPTED); // 10 Hz
    const c = await gcs.next(common.GlobalPositionInt);
    const d = await gcs.next(common.GlobalPositionInt, (_, r) => r.t > c.t);
    expect(d.t - c.t).toBe(100);
    const since = gcs.log.length;
    expect((await gcs.command(1, 510, [33])).result).toBe(ACCEPTED);
    expect((await gcs.next(common.MessageInterval, () => true, { since })).msg.intervalUs).toBe(100_000);
    expect((await gcs.command(1, 511, [33, -1])).result).toBe(ACCEPTED); // off
    await h.waitSim(100);
    const off = gcs.log.length;
    await h.waitSim(1000);
    expect(gcs.all(common.GlobalPositionInt, off)).toHaveLength(0);
    expect((await gcs.command(1, 511, [9999, 100_000])).result).toBe(FAILED);
    const s2 = gcs.log.length;
    expect((await gcs.command(1, 512, [242])).result).toBe(ACCEPTED);
    const home = await gcs.next(common.HomePosition, () => true, { since: s2 });
    expect(home.msg.latitude).toBe(473977420);
    expect(home.msg.altitude).toBe(488_000);
    const s3 = gcs.log.length;
    expect((await gcs.command(1, 520, [1])).result).toBe(ACCEPTED);
    const v = await gcs.next(standard.AutopilotVersion, () => true, { since: s3 });
    expect(Number(v.msg.capabilities) & 4).toBe(4); // MISSION_INT
    expect(v.msg.flightSwVersion >>> 24).toBe(1);
  });
});
