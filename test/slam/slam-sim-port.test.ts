/**
 * The simulated SLAM port on the simulated Ouster: poses estimated from packets as frames
 * complete (moving with the vehicle, trusted), odometry twist, throttled map, reset and
 * relocalize, results with dotted codes when not started, nothing after stop.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../core/clock.js';
import { LocalFrame } from '../../core/geo.js';
import { Rng } from '../../core/rng.js';
import type { VehiclePoseSource } from '../../hardware/sensor.port.js';
import { OusterSim } from '../../hardware/sim/sensors/ouster-sim.js';
import { createSimSlamPort } from '../../hardware/sim/sensors/slam-sim.adapter.js';
import type { SlamEvent, SlamPoseEvent } from '../../hardware/slam.port.js';
import { ORIGIN } from '../lidar/lidar-fixtures.js';
import { cityWorld, WEAVE } from './slam-flight-fixtures.js';

describe('simulated SLAM port', () => {
  it('estimates poses from the Ouster packets; reset, relocalize, stop; NOT_STARTED before start', async () => {
    const clock = new VirtualClock();
    const frame = new LocalFrame(ORIGIN);
    const vehicle: VehiclePoseSource = {
      pose: () => {
        const p = WEAVE.at(clock.now() / 1000);
        return { position: frame.toGeo({ north_m: p.north, east_m: p.east, down_m: -p.up }), attitude_deg: { roll: 0, pitch: 0, yaw: p.yaw }, t_ms: clock.now() };
      },
    };
    const sim = new OusterSim({ model: 'os1-32', lidar_mode: '512x10', clock, rng: new Rng(3), world: cityWorld(40), origin: ORIGIN, vehicle });
    const port = createSimSlamPort({ lidar: sim, attitude: vehicle, map_every_n: 10 });
    const events: SlamEvent[] = [];
    port.subscribe((e) => events.push(e));
    expect((await port.reset()).ok).toBe(false);
    const r = await port.relocalize({ position_m: [0, 0, 0] });
    expect(!r.ok && r.error.code).toBe('SLAM.NOT_STARTED');

    expect((await port.start()).ok).toBe(true);
    sim.start();
    clock.advanceSync(6000);
    const poses = events.filter((e): e is SlamPoseEvent => e.type === 'pose');
    expect(poses.length).toBeGreaterThanOrEqual(58);
    expect(poses.filter((p) => p.ok).length).toBeGreaterThan(poses.length * 0.9);
    // From rest to 5 m/s over 4 s: ~15 m along the sensor's x (forward) by t = 6 s (truth 15 m).
    const lastPose = poses[poses.length - 1]!;
    const dist = Math.hypot(...lastPose.position_m);
    expect(dist).toBeGreaterThan(11);
    expect(dist).toBeLessThan(19);
    expect(events.filter((e) => e.type === 'map').length).toBe(Math.floor(poses.length / 10));
    const odo = events.filter((e) => e.type === 'odometry').at(-1);
    expect(odo?.type === 'odometry' && odo.linear_mps[0]).toBeGreaterThan(3.5);

    expect((await port.reset()).ok).toBe(true);
    events.length = 0;
    clock.advanceSync(100);
    const first = events.find((e): e is SlamPoseEvent => e.type === 'pose')!;
    expect(Math.hypot(...first.position_m)).toBeLessThan(1e-9); // a new map frame
    expect((await port.relocalize({ position_m: [100, 0, 0] })).ok).toBe(true);
    events.length = 0;
    clock.advanceSync(200);
    const after = events.find((e): e is SlamPoseEvent => e.type === 'pose')!;
    expect(Math.abs(after.position_m[0] - 100)).toBeLessThan(3);

    await port.stop();
    events.length = 0;
    clock.advanceSync(300);
    expect(events).toHaveLength(0);
    sim.stop();
    await port.dispose();
    await sim.dispose();
  }, 120_000);
});
