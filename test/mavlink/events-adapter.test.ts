/**
 * The MAVLink adapter with the events client, against the built-in SITL over loopback UDP on
 * one paced virtual clock: the events metadata is fetched over FTP at connect, a refused
 * command's error carries the vehicle's own words, and the events reach port subscribers as
 * `vehicle.event`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { common } from 'node-mavlink';
import { VirtualClock } from '../../core/clock.js';
import { Rng } from '../../core/rng.js';
import { createMavlinkVehiclePort, type MavlinkVehiclePort } from '../../hardware/real/mavlink/mavlink-vehicle.adapter.js';
import { SimWorld } from '../../hardware/sim/index.js';
import { createSitl, type Sitl } from '../../hardware/sim/sitl/index.js';
import type { VehicleEvent } from '../../hardware/vehicle.port.js';
import { ORIGIN } from '../sim/sim-harness.js';
import { startLossyProxy } from './ftp-lossy-proxy.js';

const SPEED = 40;
let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function setup(opts: { blockFtp?: boolean } = {}): Promise<{ clock: VirtualClock; port: MavlinkVehiclePort; sitl: Sitl; world: SimWorld; events: VehicleEvent[] }> {
  const clock = new VirtualClock();
  const world = new SimWorld({ clock, rng: new Rng(42), origin: ORIGIN });
  const added = world.addVehicle('d1', { spawn: { north_m: 0, east_m: 0 } });
  if (!added.ok) throw new Error(added.error.message);
  const sitl = createSitl({ world, vehicles: [{ id: 'd1' }], apiRemotePortBase: 0, apiLocalPortBase: 0, gcsRemotePort: 0, gcsLocalPortBase: 0 });
  await sitl.start();
  // Optionally through a relay that drops all FTP: the metadata never arrives.
  const proxy = opts.blockFtp ? await startLossyProxy(sitl.endpoints[0]!.apiLocalPort, (_d, m) => m instanceof common.FileTransferProtocol) : undefined;
  const port = createMavlinkVehiclePort({ id: 'd1', url: `udpout://127.0.0.1:${proxy?.port ?? sitl.endpoints[0]!.apiLocalPort}`, clock });
  const events: VehicleEvent[] = [];
  port.subscribeEvents((e) => events.push(e));
  cleanup = async () => {
    await port.dispose();
    await proxy?.close();
    await sitl.stop();
    world.stop();
  };
  return { clock, port, sitl, world, events };
}

/** Runs the paced clock until `p` settles. */
async function run<T>(clock: VirtualClock, p: Promise<T>): Promise<T> {
  let done = false;
  void p.finally(() => { done = true; });
  while (!done) await clock.run({ until: clock.now() + 60_000, stopWhen: () => done, speed: SPEED });
  return p;
}

describe('MAVLink adapter ← PX4 events (built-in SITL)', () => {
  it("appends the vehicle's reason to a refused mode change and forwards events as vehicle.event", async () => {
    const { clock, port, events } = await setup();
    expect((await run(clock, port.connect())).ok).toBe(true);
    // The metadata comes over FTP in the background, right after connect.
    await clock.run({ until: clock.now() + 2000, speed: SPEED });
    // Armed (disarmed, PX4 v1.15 accepts any mode switch): the switch to Mission is checked.
    expect((await run(clock, port.command({ command: 400, params: [1, 0, 0, 0, 0, 0, 0] }))).ok).toBe(true);
    const r = await run(clock, port.command({ command: 176, params: [1, 4, 4, 0, 0, 0, 0] }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('VEHICLE.COMMAND_DENIED');
    expect(r.error.message).toBe(`MAV_CMD_DO_SET_MODE: TEMPORARILY_REJECTED; vehicle says: "Switching to mode 'Mission' is currently not possible: No valid mission available"`);
    expect(r.error.context?.vehicleSays).toBe("Switching to mode 'Mission' is currently not possible: No valid mission available");
    expect(port.healthReport()?.checks.map((c) => c.name)).toEqual(['check_modes_mission']);
    expect(port.healthReport()?.modeGroups.find((g) => g.name === 'mission')?.canRun).toBe(false);
    const ve = events.filter((e): e is Extract<VehicleEvent, { type: 'vehicle.event' }> => e.type === 'vehicle.event');
    expect(ve.map((e) => [e.name, e.severity, e.text])).toEqual([
      ['commander_modeswitch_not_avail', 'critical', "Switching to mode 'Mission' is currently not possible: No valid mission available"],
    ]);
  });

  it('without events metadata (FTP blocked) a refusal returns the ACK code alone, without waiting', async () => {
    const { clock, port } = await setup({ blockFtp: true });
    expect((await run(clock, port.connect())).ok).toBe(true);
    await clock.run({ until: clock.now() + 4000, speed: SPEED });
    expect((await run(clock, port.command({ command: 400, params: [1, 0, 0, 0, 0, 0, 0] }))).ok).toBe(true);
    const t0 = clock.now();
    const r = await run(clock, port.command({ command: 176, params: [1, 4, 4, 0, 0, 0, 0] }));
    expect(!r.ok && r.error.message).toBe('MAV_CMD_DO_SET_MODE: TEMPORARILY_REJECTED');
    expect(clock.now() - t0).toBeLessThan(1000);
  });

  it('a refused Hold (GPS lost in flight) says which check blocks it', async () => {
    const { clock, port, world } = await setup();
    expect((await run(clock, port.connect())).ok).toBe(true);
    await clock.run({ until: clock.now() + 2000, speed: SPEED });
    expect((await run(clock, port.arm())).ok).toBe(true);
    expect((await run(clock, port.takeoff(10))).ok).toBe(true);
    await clock.run({ until: clock.now() + 30_000, speed: SPEED, stopWhen: () => (port.snapshot()?.alt_rel_m ?? 0) > 5 });
    expect(world.injectFault('d1', { kind: 'gps_loss', duration_s: 60 }).ok).toBe(true);
    const r = await run(clock, port.hold());
    expect(!r.ok && r.error.message).toMatch(/TEMPORARILY_REJECTED; vehicle says: "Switching to mode 'Hold' is currently not possible: No valid global position estimate"$/);
  });
});
