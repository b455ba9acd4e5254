/**
 * The vehicle-port contract suite against the MAVLink adapter:
 * 1. over loopback UDP to the built-in SITL (hardware/sim/sitl), one paced VirtualClock shared by
 *    the SimWorld, the SITL and the adapter (`clock.run({ until, speed })`), so every run
 *    exercises the real wire protocol;
 * 2. against a real PX4 SITL (v1.14+) when `PX4_SITL` holds its URL, e.g.
 *    `PX4_SITL=udpin://0.0.0.0:14540 npx vitest run test/mavlink` (wall clock; set
 *    `PX4_SIM_SPEED_FACTOR` to the value PX4 runs with). Skipped, with that reason, otherwise.
 */
import { describe, it } from 'vitest';
import { VirtualClock, WallClock } from '../../core/clock.js';
import { Rng } from '../../core/rng.js';
import { createMavlinkVehiclePort } from '../../hardware/real/mavlink/mavlink-vehicle.adapter.js';
import { SimWorld } from '../../hardware/sim/index.js';
import { createSitl } from '../../hardware/sim/sitl/index.js';
import { describeVehicleContract, type VehicleHarness } from '../contract/vehicle.contract.js';
import { ORIGIN } from '../sim/sim-harness.js';

/** Sim seconds per wall second for the paced clock: fast, yet loopback replies land in time. */
const SPEED = Number(process.env.MAVLINK_SITL_SPEED ?? 40);

export async function makeSitlHarness(opts: { speed?: number } = {}): Promise<VehicleHarness & { clock: VirtualClock }> {
  const speed = opts.speed ?? SPEED;
  const clock = new VirtualClock();
  const world = new SimWorld({ clock, rng: new Rng(42), origin: ORIGIN });
  const added = world.addVehicle('d1', { spawn: { north_m: 10, east_m: -5 } });
  if (!added.ok) throw new Error(added.error.message);
  const sitl = createSitl({ world, vehicles: [{ id: 'd1' }], host: '127.0.0.1', apiRemotePortBase: 0, apiLocalPortBase: 0, gcsRemotePort: 0, gcsLocalPortBase: 0 });
  await sitl.start();
  const port = createMavlinkVehiclePort({ id: 'd1', url: `udpout://127.0.0.1:${sitl.endpoints[0]!.apiLocalPort}`, clock });
  const waitFor = async (pred: () => boolean, timeoutMs: number) => {
    await clock.run({ until: clock.now() + timeoutMs, stopWhen: pred, speed });
    return pred();
  };
  return {
    clock,
    port,
    advance: async (ms) => {
      await clock.run({ until: clock.now() + ms, speed });
    },
    waitFor,
    dispose: async () => {
      await port.dispose();
      await sitl.stop();
      world.stop();
    },
  };
}

describeVehicleContract('mavlink → built-in SITL (loopback UDP)', () => makeSitlHarness());

const px4 = process.env.PX4_SITL;
if (px4) {
  const speedFactor = Number(process.env.PX4_SIM_SPEED_FACTOR ?? 1);
  describeVehicleContract(`mavlink → PX4 SITL at ${px4}`, async () => {
    const clock = new WallClock();
    const port = createMavlinkVehiclePort({ id: 'px4', url: px4, clock, speedFactor });
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    return {
      port,
      advance: async (ms) => {
        await sleep(ms / speedFactor);
      },
      waitFor: async (pred, timeoutMs) => {
        const end = Date.now() + timeoutMs / speedFactor;
        while (!pred() && Date.now() < end) await sleep(20);
        return pred();
      },
      dispose: async () => {
        // Leave the vehicle on the ground and disarmed for the next test.
        await port.land();
        await port.dispose();
      },
    };
  });
} else {
  describe('VehiclePort contract: mavlink → PX4 SITL', () => {
    it.skip('skipped: PX4_SITL is not set (e.g. PX4_SITL=udpin://0.0.0.0:14540 with PX4 SITL v1.14+ running)', () => {});
  });
}
