/**
 * Outlier removal with PCL's semantics (PCL 1.13 statistical_outlier_removal.hpp,
 * radius_outlier_removal.hpp).
 *
 * Statistical (pcl::StatisticalOutlierRemoval): for every finite point, the mean of the sqrt of
 * its meanK nearest neighbours' squared distances (itself excluded), stored as float32; over all
 * points, mean and sample standard deviation (PCL's one-pass formula, non-finite points count as
 * 0 in the sums but not in N); a point is an outlier when its mean distance > mean + stddevMul ×
 * stddev. Squared distances are recomputed the way FLANN's L2_Simple<float> does (float32
 * difference, square and sum), so the threshold and the kept set match PCL's.
 *
 * Radius (pcl::RadiusOutlierRemoval, dense path): a point is kept when at least minNeighbors
 * other points lie within radius (distance ≤ radius).
 */
import { fail, ok, type Result } from '../../core/result.js';
import { selectPoints, type PointCloud } from '../point-cloud.js';
import { KdTree } from './kd-tree.js';

export interface StatisticalOutlierOptions {
  /** Neighbours per point (pcl setMeanK), ≥ 1. */
  readonly meanK: number;
  /** Threshold multiplier of the standard deviation (pcl setStddevMulThresh). */
  readonly stddevMul: number;
  /** Keep the outliers instead (pcl setNegative). */
  readonly negative?: boolean;
}
export interface OutlierResult {
  readonly cloud: PointCloud;
  /** Indices (into the input) of the points kept, ascending. */
  readonly kept: Uint32Array;
  /** Mean-distance threshold applied, metres (statistical only). */
  readonly threshold?: number;
}

const fr = Math.fround;

export function statisticalOutlierRemoval(c: PointCloud, o: StatisticalOutlierOptions, tree?: KdTree): Result<OutlierResult, 'OUTLIER.BAD_PARAMS'> {
  if (!Number.isInteger(o.meanK) || o.meanK < 1 || o.meanK > 1024) return fail('OUTLIER.BAD_PARAMS', `meanK must be an integer in 1..1024, got ${o.meanK}`);
  if (!Number.isFinite(o.stddevMul)) return fail('OUTLIER.BAD_PARAMS', `stddevMul must be finite, got ${o.stddevMul}`);
  const n = c.length, X = c.x, Y = c.y, Z = c.z;
  const t = tree ?? new KdTree(X, Y, Z);
  const k1 = o.meanK + 1;
  const idx = new Int32Array(k1), d2 = new Float64Array(k1);
  const dist = new Float32Array(n);
  let valid = 0;
  // Query in tree order (neighbouring queries touch the same leaves).
  for (let j = 0; j < t.size; j++) {
    const i = t.perm[j]!;
    const found = t.knnTreeOrder(j, k1, idx, d2);
    if (found === 0) continue;
    const qx = X[i]!, qy = Y[i]!, qz = Z[i]!;
    let sum = 0;
    for (let q = 1; q < found; q++) {
      const p = idx[q]!;
      const dx = fr(X[p]! - qx), dy = fr(Y[p]! - qy), dz = fr(Z[p]! - qz);
      const f = fr(fr(fr(dx * dx) + fr(dy * dy)) + fr(dz * dz));
      sum += Math.sqrt(f);
    }
    dist[i] = sum / o.meanK;
    valid++;
  }
  let s = 0, sq = 0;
  for (let i = 0; i < n; i++) { const d = dist[i]!; s += d; sq += fr(d * d); }
  const mean = s / valid;
  const variance = (sq - (s * s) / valid) / (valid - 1);
  const threshold = mean + o.stddevMul * Math.sqrt(variance);
  const kept = new Uint32Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const out = dist[i]! > threshold;
    if (out === !!o.negative) kept[m++] = i;
  }
  const k = kept.slice(0, m);
  return ok({ cloud: selectPoints(c, k), kept: k, threshold });
}

export interface RadiusOutlierOptions {
  /** Search radius, metres (> 0). */
  readonly radius: number;
  /** Minimum number of other points within radius for a point to be kept (pcl setMinNeighborsInRadius). */
  readonly minNeighbors: number;
  readonly negative?: boolean;
}

export function radiusOutlierRemoval(c: PointCloud, o: RadiusOutlierOptions, tree?: KdTree): Result<OutlierResult, 'OUTLIER.BAD_PARAMS'> {
  if (!(Number.isFinite(o.radius) && o.radius > 0)) return fail('OUTLIER.BAD_PARAMS', `radius must be finite and > 0, got ${o.radius}`);
  if (!Number.isInteger(o.minNeighbors) || o.minNeighbors < 0) return fail('OUTLIER.BAD_PARAMS', `minNeighbors must be a non-negative integer`);
  const t = tree ?? new KdTree(c.x, c.y, c.z);
  const n = c.length;
  const kept = new Uint32Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const qx = c.x[i]!, qy = c.y[i]!, qz = c.z[i]!;
    const finite = Number.isFinite(qx + qy + qz);
    const inlier = finite && t.radiusCount(qx, qy, qz, o.radius, o.minNeighbors + 1) >= o.minNeighbors + 1;
    if (inlier !== !!o.negative) kept[m++] = i;
  }
  const k = kept.slice(0, m);
  return ok({ cloud: selectPoints(c, k), kept: k });
}
