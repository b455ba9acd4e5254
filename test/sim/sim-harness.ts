/** Builds a one-vehicle sim world on a virtual clock, plus the contract harness over it. */
import { VirtualClock } from '../../core/clock.js';
import { Rng } from '../../core/rng.js';
import { SimWorld, createSimVehiclePort, type SimParams, type SimWind } from '../../hardware/sim/index.js';
import type { VehiclePort } from '../../hardware/vehicle.port.js';
import type { VehicleHarness } from '../contract/vehicle.contract.js';

/** PX4 SITL's default home (Zurich). */
export const ORIGIN = { lat_deg: 47.397742, lon_deg: 8.545594, alt_m: 488 };

export interface SimSetup {
  clock: VirtualClock;
  world: SimWorld;
  port: VehiclePort;
  harness: VehicleHarness;
  /** Runs the clock until `p` settles (fails the test after `timeoutMs` of sim time). */
  settle<T>(p: Promise<T>, timeoutMs?: number): Promise<T>;
}

export function makeSim(opts: { seed?: number; params?: Partial<SimParams>; wind?: SimWind; telemetryHz?: number } = {}): SimSetup {
  const clock = new VirtualClock();
  const world = new SimWorld({ clock, rng: new Rng(opts.seed ?? 42), origin: ORIGIN, wind: opts.wind });
  const added = world.addVehicle('d1', { spawn: { north_m: 10, east_m: -5 }, params: opts.params });
  if (!added.ok) throw new Error(added.error.message);
  const port = createSimVehiclePort(world, 'd1', { telemetryHz: opts.telemetryHz ?? 10 });
  world.start();
  const waitFor = async (pred: () => boolean, timeoutMs: number) => {
    await clock.run({ until: clock.now() + timeoutMs, stopWhen: pred });
    return pred();
  };
  const harness: VehicleHarness = {
    port,
    advance: (ms) => clock.advance(ms),
    waitFor,
    dispose: async () => {
      await port.dispose();
      world.stop();
    },
  };
  const settle = async <T>(p: Promise<T>, timeoutMs = 10_000): Promise<T> => {
    let done = false;
    let value: T | undefined;
    void p.then((v) => { done = true; value = v; });
    if (!(await waitFor(() => done, timeoutMs))) throw new Error('promise did not settle');
    return value as T;
  };
  return { clock, world, port, harness, settle };
}
