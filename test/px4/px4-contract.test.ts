/**
 * The vehicle-port contract suite (test/contract/vehicle.contract.ts) against a real PX4 v1.15
 * SITL through the MAVLink adapter, with a FRESH PX4 for every test (fresh parameters, mission
 * store and estimator: nothing leaks from one test into the next). Started from PX4_DIR; skipped
 * without it. Wall clock scaled by PX4_TEST_SPEED (PX4_SIM_SPEED_FACTOR).
 */
import { describe, it, vi } from 'vitest';
import { WallClock } from '../../core/clock.js';
import { createMavlinkVehiclePort } from '../../hardware/real/mavlink/mavlink-vehicle.adapter.js';
import { startPx4Fleet } from '../../scripts/px4/px4-fleet.js';
import { describeVehicleContract } from '../contract/vehicle.contract.js';
import { PX4_INSTANCE, PX4_SPEED, SKIP_REASON, px4Build } from './px4-env.js';

if (px4Build) {
  // Real time: a boot takes ~30-40 s at speed 1, a mission a minute or two.
  vi.setConfig({ testTimeout: 900_000, hookTimeout: 300_000 });
  describeVehicleContract(`mavlink → PX4 v1.15 SITL (fresh px4 -i ${PX4_INSTANCE} per test, speed ${PX4_SPEED})`, async () => {
    const fleet = await startPx4Fleet({ px4: px4Build!, instances: [PX4_INSTANCE], speed: PX4_SPEED });
    const clock = new WallClock(); // wall time; the adapter divides autopilot timeouts by speedFactor
    const port = createMavlinkVehiclePort({ id: 'px4', url: fleet.url, clock, speedFactor: PX4_SPEED });
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    return {
      port,
      advance: async (ms) => {
        await sleep(ms / PX4_SPEED);
      },
      waitFor: async (pred, timeoutMs) => {
        const end = Date.now() + timeoutMs / PX4_SPEED;
        while (!pred() && Date.now() < end) await sleep(20);
        return pred();
      },
      dispose: async () => {
        await port.dispose();
        await fleet.stop();
      },
    };
  });
} else {
  describe('VehiclePort contract: mavlink → PX4 v1.15 SITL', () => {
    it.skip(SKIP_REASON, () => {});
  });
}
