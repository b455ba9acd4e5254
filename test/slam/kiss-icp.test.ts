/**
 * ICP and the KISS-ICP pipeline on clouds with known transforms.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import { registerToMap } from '../../slam/icp-registration.js';
import { KissIcpOdometry } from '../../slam/kiss-icp-odometry.js';
import { compose, expTwist, identity, inverse, rotationAngle, transformPoints, translationNorm } from '../../slam/rigid-transform.js';
import { VoxelHashMap, voxelDownsample } from '../../slam/voxel-hash-map.js';

/** A structured scene: ground, four walls, two boxes (world frame, m), sampled uniformly. */
function scene(rng: Rng, n = 20000): Float64Array {
  const out = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) {
    const u = rng.next() * 40 - 20, v = rng.next() * 30 - 15, h = rng.next() * 8;
    const k = Math.floor(rng.next() * 7);
    const p = k === 0 ? [u, v, 0] : k === 1 ? [20, v, h] : k === 2 ? [-20, v, h] : k === 3 ? [u, 15, h] : k === 4 ? [u, -15, h]
      : k === 5 ? [5 + rng.next() * 3, 3, h / 2] : [-6, -4 + rng.next() * 4, h];
    out.set(p, i * 3);
  }
  return out;
}

describe('KISS-ICP registration', () => {
  it('voxel-hash map: at most N points a voxel, nearest neighbour among the 27 voxels, pruning by range', () => {
    const m = new VoxelHashMap({ voxelSize_m: 1, maxPointsPerVoxel: 3, maxRange_m: 10 });
    m.add([0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.3, 0.3, 0.3, 0.4, 0.4, 0.4, 1.5, 0.5, 0.5, 50, 0, 0]);
    expect(m.pointCount).toBe(5);
    const q = new Float64Array(3);
    expect(m.nearest(1.2, 0.4, 0.4, q)).toBeCloseTo(0.09 + 0.01 + 0.01, 9);
    expect([...q]).toEqual([1.5, 0.5, 0.5]);
    expect(m.nearest(5, 5, 5, q)).toBe(Infinity);
    m.removeFarFrom(0, 0, 0);
    expect(m.pointCount).toBe(4);
    expect(voxelDownsample([0.1, 0, 0, 0.2, 0, 0, 1.1, 0, 0], 1).length).toBe(6);
  });

  it('point-to-point ICP with the Geman-McClure kernel recovers a known transform from identity', () => {
    const rng = new Rng(11);
    const world = scene(rng);
    const map = new VoxelHashMap({ voxelSize_m: 1, maxPointsPerVoxel: 20, maxRange_m: 100 });
    map.add(world);
    const truth = expTwist([0.4, -0.3, 0.1, 0.01, -0.02, 0.06]); // map ← sensor
    // The sensor sees fresh samples of the same surfaces (not the map points), with 1 cm noise.
    const fresh = scene(new Rng(12), 8000);
    const seen = transformPoints(inverse(truth), fresh);
    for (let i = 0; i < seen.length; i++) seen[i]! += rng.gaussian(0, 0.01);
    const r = registerToMap(voxelDownsample(seen, 0.5), map, identity(), { maxCorrespondence_m: 3, kernel_m: 0.3 });
    const err = compose(inverse(truth), r.pose);
    expect(r.converged).toBe(true);
    expect(translationNorm(err)).toBeLessThan(0.05);
    expect(rotationAngle(err)).toBeLessThan(0.2 * Math.PI / 180);
    expect(r.translationConditioning).toBeGreaterThan(0.05);
  });

  it('a flat plane leaves translation unconstrained: conditioning ≈ 0', () => {
    const rng = new Rng(5);
    const plane = new Float64Array(30000);
    for (let i = 0; i < 10000; i++) plane.set([rng.next() * 60 - 30, rng.next() * 60 - 30, 0], i * 3);
    const map = new VoxelHashMap({ voxelSize_m: 1, maxPointsPerVoxel: 20, maxRange_m: 100 });
    map.add(plane);
    const r = registerToMap(voxelDownsample(plane, 1.5), map, expTwist([0.2, 0, 0.1, 0, 0, 0]), { maxCorrespondence_m: 3, kernel_m: 0.3 });
    expect(r.translationConditioning).toBeLessThan(0.02);
  });

  it('odometry follows a known motion through the scene within centimetres; reset starts over', () => {
    const world = scene(new Rng(3), 40000);
    const odo = new KissIcpOdometry({ maxRange_m: 60, voxelSize_m: 0.6, minRange_m: 0.5 });
    let truth = identity();
    const step = expTwist([0.5, 0.1, 0, 0, 0, 0.02]);
    for (let k = 0; k < 15; k++) {
      const r = odo.register({ points: transformPoints(inverse(truth), world) });
      if (k > 0) expect(r.ok, r.reason).toBe(true);
      truth = compose(truth, step);
    }
    truth = compose(truth, inverse(step));
    const err = compose(inverse(truth), odo.pose);
    expect(translationNorm(err)).toBeLessThan(0.05);
    expect(rotationAngle(err)).toBeLessThan(0.5 * Math.PI / 180);
    odo.reset();
    expect(odo.map.pointCount).toBe(0);
    expect(translationNorm(odo.pose)).toBe(0);
    expect(odo.register({ points: new Float32Array(0) }).reason).toBe('SLAM.EMPTY_SCAN');
  });
});
