/**
 * The KISS-ICP odometry on the simulated Ouster's scans of a short flight (10 s from rest, ~45 m,
 * OS1-32 512×10, 2 cm range noise) — estimated from the decoded packets, never from the truth —
 * measured against the simulator's truth with evo's metrics: through buildings and masts on hills
 * it tracks; over a featureless flat world it degrades (the `slam_degraded` case) and says so.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KissIcpOdometry } from '../../slam/kiss-icp-odometry.js';
import type { Pose } from '../../slam/rigid-transform.js';
import { absoluteTrajectoryError, relativePoseError } from '../../slam/trajectory-metrics.js';
import { cityWorld, FLAT_WORLD, flyOuster, WEAVE, type FlightRun } from './slam-flight-fixtures.js';

function estimate(run: FlightRun): { est: Pose[]; degenerate: number } {
  const odo = new KissIcpOdometry({ maxRange_m: 100, voxelSize_m: 1 });
  const est: Pose[] = [];
  let degenerate = 0;
  run.scans.forEach((s, i) => {
    // The attitude prior is what the autopilot/IMU reports: rotation only, no position.
    const r = odo.register({ points: s.points, times: s.times, attitude: run.attitude[i] });
    est.push(r.pose);
    if (r.reason === 'SLAM.DEGENERATE') degenerate++;
  });
  return { est, degenerate };
}

function figures(run: FlightRun) {
  const { est, degenerate } = estimate(run);
  const ate = absoluteTrajectoryError(est, run.truth);
  // The flight is ~45 m: segments of 30 m of path (evo all-pairs, ±0.5 m), drift in % of distance.
  const rpe = relativePoseError(est, run.truth, { delta_m: 30, allPairs: true, tol_m: 0.5 });
  return { ate, rpe, degenerate, scans: run.scans.length };
}

describe('SLAM on the simulated Ouster', () => {
  it('through obstacles on hills: ATE RMSE < 1.5 m, RPE drift < 6 % of distance; registrations trusted', () => {
    const f = figures(flyOuster({ world: cityWorld(80), path: WEAVE, duration_s: 10, seed: 1 }));
    process.stdout.write(`slam city: scans ${f.scans} ATE rmse ${f.ate.rmse.toFixed(3)} m max ${f.ate.max.toFixed(3)} m; RPE(30 m) rmse ${f.rpe.rmse.toFixed(3)} m drift ${f.rpe.drift_pct.toFixed(2)} % (${f.rpe.count} pairs); degenerate ${f.degenerate}\n`);
    expect(f.scans).toBeGreaterThanOrEqual(95);
    expect(f.ate.rmse).toBeLessThan(1.5);
    expect(f.rpe.count).toBeGreaterThan(20);
    expect(f.rpe.drift_pct).toBeLessThan(6);
    expect(f.degenerate).toBeLessThan(f.scans * 0.1);
  }, 180_000);

  it('slam_degraded: over a flat featureless world it drifts (ATE > 5 m, drift > 50 %) and flags SLAM.DEGENERATE', () => {
    const f = figures(flyOuster({ world: FLAT_WORLD, path: WEAVE, duration_s: 10, seed: 1 }));
    process.stdout.write(`slam flat: scans ${f.scans} ATE rmse ${f.ate.rmse.toFixed(3)} m; RPE(30 m) drift ${f.rpe.drift_pct.toFixed(2)} %; degenerate ${f.degenerate}\n`);
    expect(f.ate.rmse).toBeGreaterThan(5);
    expect(f.rpe.drift_pct).toBeGreaterThan(50);
    expect(f.degenerate).toBeGreaterThan(f.scans * 0.9);
  }, 180_000);

  it('is deterministic for a seed: same seed, same estimated trajectory bytes; another seed differs', () => {
    const hash = (seed: number) => {
      const { est } = estimate(flyOuster({ world: cityWorld(30), path: WEAVE, duration_s: 2, seed }));
      const h = createHash('sha256');
      for (const p of est) h.update(new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
      return h.digest('hex');
    };
    const a = hash(7);
    expect(hash(7)).toBe(a);
    expect(hash(8)).not.toBe(a);
  }, 180_000);
});
