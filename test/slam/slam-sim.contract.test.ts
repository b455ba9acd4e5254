/** The SLAM port contract against the simulated port: KISS-ICP on the simulated Ouster flying WEAVE through a city. */
import { describe } from 'vitest';
import { VirtualClock } from '../../core/clock.js';
import { LocalFrame } from '../../core/geo.js';
import { Rng } from '../../core/rng.js';
import type { VehiclePoseSource } from '../../hardware/sensor.port.js';
import { OusterSim } from '../../hardware/sim/sensors/ouster-sim.js';
import { createSimSlamPort } from '../../hardware/sim/sensors/slam-sim.adapter.js';
import { ORIGIN } from '../lidar/lidar-fixtures.js';
import { cityWorld, WEAVE } from './slam-flight-fixtures.js';
import { slamPortContract } from './slam.contract.js';

const distance = (t0_ms: number, t1_ms: number) => {
  const [a, b] = [WEAVE.at(t0_ms / 1000), WEAVE.at(t1_ms / 1000)];
  return Math.hypot(b.north - a.north, b.east - a.east, b.up - a.up);
};

describe('simulated SLAM port', () => {
  slamPortContract('kiss-icp-sim', () => {
    const clock = new VirtualClock();
    const frame = new LocalFrame(ORIGIN);
    const vehicle: VehiclePoseSource = {
      pose: () => {
        // Start 2 s into the path: already moving, so 3 s cover some metres.
        const p = WEAVE.at(clock.now() / 1000 + 2);
        return { position: frame.toGeo({ north_m: p.north, east_m: p.east, down_m: -p.up }), attitude_deg: { roll: 0, pitch: 0, yaw: p.yaw }, t_ms: clock.now() };
      },
    };
    const sim = new OusterSim({ model: 'os1-32', lidar_mode: '512x10', clock, rng: new Rng(3), world: cityWorld(60), origin: ORIGIN, vehicle });
    const port = createSimSlamPort({ lidar: sim, attitude: vehicle, map_every_n: 10 });
    return {
      port,
      clock,
      begin: () => sim.start(),
      truthDistance: (t0, t1) => distance(t0 + 2000, t1 + 2000),
      close: async () => {
        sim.stop();
        await sim.dispose();
      },
    };
  });
});
