/**
 * The SLAM runtime over a real SLAM port (the LIO adapter on a replayed stream): world poses are
 * anchored at the vehicle's reported position at the first pose, and anchored afresh after a
 * reset (a reset estimator starts a new map frame at the sensor); the latest map is kept for the
 * operator services (`map()`), dropped on reset.
 */
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { VirtualClock } from '../../core/clock.js';
import { LocalFrame } from '../../core/geo.js';
import { Bus, type SlamPoseMsg } from '../../actors/bus.js';
import { SlamRuntime } from '../../actors/slam-runtime.js';
import { slamActorId } from '../../machines/squad.machine.js';
import { createLioSlamPort } from '../../hardware/real/slam/lio-slam.adapter.js';
import { WEAVE } from '../slam/slam-flight-fixtures.js';
import { LioReplaySource } from '../slam/lio-replay.js';

describe('SLAM runtime', () => {
  it('anchors world poses at the vehicle, anchors again after a reset, keeps the latest map until reset', async () => {
    const clock = new VirtualClock();
    const source = new LioReplaySource(clock, { path: WEAVE, pathOffset_s: 5 });
    const port = createLioSlamPort({ source, clock });
    const bus = new Bus();
    const frame = new LocalFrame({ lat_deg: 47.39, lon_deg: 8.54, alt_m: 400 });
    let vehicle = { north_m: 10, east_m: 20, down_m: -8 };
    const rt = new SlamRuntime({ clock, bus, append: () => {}, anchor: () => ({ ned: vehicle, heading_deg: 0, frame }) }, [{ id: 'd1', slam: { port } }]);
    const poses: SlamPoseMsg[] = [];
    bus.subscribe('/d1/slam/pose', (m) => poses.push(m));
    const ref = createActor(rt.logic(), { input: { vehicleId: 'd1' }, clock });
    ref.start();
    rt.start();
    rt.spawned(slamActorId('d1'), ref);
    source.begin();
    clock.advanceSync(1500);
    expect(poses[0]!.local.north_m).toBeCloseTo(10, 6);
    expect(poses[0]!.local.east_m).toBeCloseTo(20, 6);
    expect(poses.at(-1)!.local.north_m).toBeGreaterThan(15); // flew on from the anchor
    expect(rt.map('d1')?.points.length).toBeGreaterThan(0);
    expect(rt.map('d1')?.seq).toBe(2); // at the first cloud, then a second later

    vehicle = { north_m: -50, east_m: 5, down_m: -8 };
    ref.send({ type: 'RESET' });
    poses.length = 0;
    await clock.advance(1); // the reset settles (a promise actor) at this instant
    expect(rt.map('d1')).toBeUndefined();
    await clock.advance(199);
    expect(ref.getSnapshot().value).toBe('tracking');
    expect(poses[0]!.local.north_m).toBeCloseTo(-50, 6);
    expect(poses[0]!.local.east_m).toBeCloseTo(5, 6);
    rt.stop();
    ref.stop();
    await rt.dispose();
  });
});
