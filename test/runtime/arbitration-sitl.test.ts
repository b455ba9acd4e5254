/**
 * Failsafe pre-emption on the field path: the twin over the MAVLink adapter, real loopback UDP,
 * the built-in SITL behind a relay that loses the operator's DO_REPOSITION. The MAVLink command
 * protocol is retrying it when the battery drops; the RTL must go out at once, and the retries
 * must stop (the pre-empted command's AbortSignal reaches the command protocol). And a relay
 * that loses every ARM ACK: the vehicle armed, the launch must go on (issue 8).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../core/clock.js';
import { silentLogger } from '../../core/logger.js';
import { Rng } from '../../core/rng.js';
import { createTwin, type Twin } from '../../actors/twin.js';
import { DEFAULT_HOME } from '../../actors/scenario/backends.js';
import { SimWorld } from '../../hardware/sim/index.js';
import { createSitl } from '../../hardware/sim/sitl/index.js';
import { createMavlinkVehiclePort } from '../../hardware/real/mavlink/index.js';
import { startLossyProxy, type LossyProxy } from '../mavlink/ftp-lossy-proxy.js';

const PACE = 10; // sim seconds per wall second: MAVLink timeouts run on the (paced) clock
const DO_REPOSITION = 192;
const NAV_RETURN_TO_LAUNCH = 20;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Rule = Parameters<typeof startLossyProxy>[1];

/** Twin → MAVLink adapter → lossy relay (`rule`) → built-in SITL, on a paced virtual clock. */
async function fieldPath(rule: (clock: VirtualClock) => Rule) {
  const clock = new VirtualClock();
  const world = new SimWorld({ clock, rng: new Rng(5), origin: DEFAULT_HOME });
  world.addVehicle('d1', { spawn: { north_m: 0, east_m: 0 }, params: { NAV_DLL_ACT: 0 } });
  const sitl = createSitl({
    world,
    vehicles: [{ id: 'd1', sysid: 1 }],
    host: '127.0.0.1',
    apiLocalPortBase: 0,
    apiRemotePortBase: 0,
    gcsLocalPortBase: 0,
    gcsRemotePort: 0,
    logger: silentLogger,
  });
  world.start();
  await sitl.start();
  cleanups.push(async () => {
    await sitl.stop();
    world.stop();
  });
  const proxy: LossyProxy = await startLossyProxy(sitl.endpoints[0]!.apiLocalPort, rule(clock));
  cleanups.push(() => proxy.close());
  const port = createMavlinkVehiclePort({ id: 'd1', url: `udpout://127.0.0.1:${proxy.port}`, clock, targetSystem: 1, logger: silentLogger });
  const twin: Twin = createTwin({ clock, origin: DEFAULT_HOME, vehicles: [{ id: 'd1', port }] });
  cleanups.push(() => twin.stop());
  const run = (ms: number, stopWhen?: () => boolean) => clock.run({ until: clock.now() + ms, speed: PACE, stopWhen });
  let up = false;
  void twin.start().then(() => (up = true));
  await run(30_000, () => up);
  expect(up).toBe(true);
  return { clock, world, twin, proxy, run };
}

describe('failsafe pre-emption over MAVLink (built-in SITL, lossy relay)', () => {
  it('a battery-low RTL goes out during a lost goto’s retries; the retries stop', async () => {
    // Every COMMAND_* the SITL receives, with the sim time it passed the relay.
    const toVehicle: { command: number; t_ms: number }[] = [];
    const { clock, world, twin, run } = await fieldPath((clock) => (dir, msg) => {
      const command = (msg as { command?: number }).command;
      if (dir !== 'toServer' || typeof command !== 'number' || !('confirmation' in msg || 'frame' in msg)) return false;
      toVehicle.push({ command, t_ms: clock.now() });
      return command === DO_REPOSITION; // the goto never arrives, so it is never ACKed
    });
    twin.command('d1', { kind: 'arm' }, 'op-arm');
    twin.command('d1', { kind: 'takeoff', alt_m: 15 }, 'op-takeoff');
    await run(60_000, () => twin.vehicleState('d1') === 'connected.armed.inAir.hold');
    expect(twin.vehicleState('d1')).toBe('connected.armed.inAir.hold');

    twin.command('d1', { kind: 'goto', ...twin.frame().toLatLon(200, 0), alt_m: 15 }, 'op-goto');
    await run(2_000); // the command protocol has sent it and is retrying
    const dropAt = clock.now();
    expect(world.injectFault('d1', { kind: 'battery_drop', pct: 85 }).ok).toBe(true);
    const result = (cid: string) => twin.log.entries.find((e) => e.type === 'command.result' && e.cid === cid);
    await run(10_000, () => result('failsafe:battery_low') !== undefined);

    const rtl = toVehicle.find((c) => c.command === NAV_RETURN_TO_LAUNCH);
    expect(rtl, 'RTL reached the vehicle').toBeDefined();
    // Telemetry carries the drop within a second or two; the RTL does not wait for 4 × 1.5 s of goto retries.
    expect(rtl!.t_ms - dropAt).toBeLessThan(3_000);
    expect(result('op-goto')?.data).toMatchObject({ kind: 'goto', ok: false, code: 'VEHICLE.PREEMPTED' });
    expect(result('failsafe:battery_low')?.data).toMatchObject({ kind: 'rtl', ok: true });
    const gotoSends = toVehicle.filter((c) => c.command === DO_REPOSITION);
    expect(gotoSends.length).toBeGreaterThanOrEqual(1);
    // No goto retry after the RTL: the cancelled command stopped talking to the vehicle.
    expect(gotoSends.every((c) => c.t_ms <= rtl!.t_ms)).toBe(true);
    await run(3_000);
    expect(toVehicle.filter((c) => c.command === DO_REPOSITION)).toHaveLength(gotoSends.length);
    expect(twin.vehicleContext('d1').mode).toBe('rtl');
  });

  it('a lost ARM ACK (the vehicle did arm) does not fail the launch: the twin reads the state back', async () => {
    const COMPONENT_ARM_DISARM = 400;
    const { twin, proxy, run } = await fieldPath(() => (dir, msg) =>
      dir === 'toClient' && (msg as { command?: number }).command === COMPONENT_ARM_DISARM && 'result' in msg,
    );
    const at = (n: number, e: number) => twin.frame().toLatLon(n, e);
    const loaded = twin.mission('d1').load({ id: 'm1', name: 'hop', vehicle: 'd1', items: [{ kind: 'waypoint', ...at(80, 0), alt_m: 15 }, { kind: 'rtl' }] });
    expect(loaded).toEqual({ ok: true, status: 'LOADED' });
    twin.mission('d1').start();
    await run(40_000, () => twin.vehicleState('d1') === 'connected.armed.inAir.mission' || twin.missionStatus('d1') === 'FAILED');
    expect(proxy.dropped.length).toBeGreaterThan(0); // every ARM ACK was lost
    expect(twin.mission('d1').context().reason).toBeUndefined();
    expect(twin.missionStatus('d1')).toBe('RUNNING');
    expect(twin.vehicleState('d1')).toBe('connected.armed.inAir.mission');
  });
});
