/**
 * ATE and RPE on synthetic trajectories with known answers (evo's definitions).
 */
import { describe, expect, it } from 'vitest';
import { compose, expTwist, fromRotationTranslation, identity, type Pose } from '../../slam/rigid-transform.js';
import { absoluteTrajectoryError, relativePoseError, umeyamaAlignment } from '../../slam/trajectory-metrics.js';

/** A 3-D trajectory (helix, so alignment is well posed) of n poses. */
function helix(n: number): Pose[] {
  return Array.from({ length: n }, (_, i) => expTwist([10 * Math.cos(i / 10), 10 * Math.sin(i / 10), 0.2 * i, 0, 0, i / 10]));
}

describe('trajectory metrics', () => {
  it('Umeyama recovers a rigid transform exactly, also for a planar trajectory', () => {
    const t = expTwist([5, -3, 2, 0.3, -0.2, 1.1]);
    for (const traj of [helix(50), Array.from({ length: 40 }, (_, i) => expTwist([i, Math.sin(i / 5) * 4, 0, 0, 0, 0]))]) {
      const x = new Float64Array(traj.flatMap((p) => [p[3]!, p[7]!, p[11]!]));
      const moved = traj.map((p) => compose(t, p));
      const y = new Float64Array(moved.flatMap((p) => [p[3]!, p[7]!, p[11]!]));
      const a = umeyamaAlignment(x, y);
      for (let k = 0; k < 12; k++) expect(a[k]!).toBeCloseTo(t[k]!, 9);
    }
  });

  it('ATE is 0 for a rigidly moved copy, and s·rms radius for a copy scaled by (1+s) about its centroid', () => {
    const gt = helix(100);
    const t = expTwist([1, 2, 3, 0.1, 0.2, 0.3]);
    expect(absoluteTrajectoryError(gt.map((p) => compose(t, p)), gt).rmse).toBeLessThan(1e-9);
    // A symmetric planar square of points: cross-covariance symmetric positive ⇒ R = I optimal.
    const pts = [[10, 10], [-10, 10], [-10, -10], [10, -10], [5, 0], [-5, 0], [0, 5], [0, -5]];
    const ref = pts.map(([x, y]) => fromRotationTranslation([1, 0, 0, 0, 1, 0, 0, 0, 1], [x!, y!, 7]));
    const s = 0.05;
    const est = pts.map(([x, y]) => fromRotationTranslation([1, 0, 0, 0, 1, 0, 0, 0, 1], [x! * (1 + s), y! * (1 + s), 7]));
    const rmsRadius = Math.sqrt(pts.reduce((a, [x, y]) => a + x! * x! + y! * y!, 0) / pts.length);
    const ate = absoluteTrajectoryError(est, ref);
    expect(ate.rmse).toBeCloseTo(s * rmsRadius, 9);
    expect(ate.max).toBeCloseTo(s * Math.SQRT2 * 10, 9);
  });

  it('RPE per 100 m: a 1 % scale drift along a straight line gives 1 m per 100 m segment; pairs as evo picks them', () => {
    const n = 351; // 0 … 350 m at 1 m a pose
    const gt = Array.from({ length: n }, (_, i) => expTwist([i, 0, 0, 0, 0, 0]));
    const est = Array.from({ length: n }, (_, i) => expTwist([1.01 * i, 0, 0, 0, 0, 0]));
    const rpe = relativePoseError(est, gt, { delta_m: 100 });
    // evo: ids where the path since the last id reaches 100 m: 100, 200, 300 → 2 pairs.
    expect(rpe.count).toBe(2);
    expect(rpe.rmse).toBeCloseTo(1, 9);
    expect(rpe.drift_pct).toBeCloseTo(1, 9);
    const all = relativePoseError(est, gt, { delta_m: 100, allPairs: true, tol_m: 0.01 });
    expect(all.count).toBe(251); // i = 0 … 250
    expect(all.mean).toBeCloseTo(1, 9);
    expect(relativePoseError(gt, gt, { delta_m: 100 }).max).toBe(0);
  });

  it('RPE: a constant yaw-rate error of ω rad/m gives a lateral error of 2·(100)·sin(50ω)… per 100 m segment', () => {
    // Estimated path curves: yaw grows by w per metre; over a segment of L = 100 m starting
    // heading-aligned the relative translation is a chord of an arc of radius 1/w.
    const w = 0.0005, n = 301;
    const gt = Array.from({ length: n }, (_, i) => expTwist([i, 0, 0, 0, 0, 0]));
    const est: Pose[] = [identity()];
    const step = expTwist([1, 0, 0, 0, 0, w]);
    for (let i = 1; i < n; i++) est.push(compose(est[i - 1]!, step));
    const rpe = relativePoseError(est, gt, { delta_m: 100 });
    // Relative motion over 100 steps of (1 m forward, then turn w): compose step 100 times.
    let rel = identity();
    for (let i = 0; i < 100; i++) rel = compose(rel, step);
    const expected = Math.hypot(rel[3]! - 100, rel[7]!, rel[11]!);
    expect(rpe.mean).toBeCloseTo(expected, 9);
    expect(expected).toBeGreaterThan(2); // ≈ 2.5 m: the metric sees heading drift
  });
});
