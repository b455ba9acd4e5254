/**
 * Normal estimation by PCA on the k nearest neighbours (pcl::NormalEstimation with setKSearch):
 * the neighbourhood includes the point itself; the normal is the eigenvector of the smallest
 * eigenvalue of the neighbourhood covariance, flipped towards the viewpoint (default the origin of
 * the local frame, as PCL); curvature = λ0 / (λ0 + λ1 + λ2). Adds normal_x/y/z and curvature.
 */
import { fail, ok, type Result } from '../../core/result.js';
import { makeCloud, type PointCloud } from '../point-cloud.js';
import { symEigen } from '../internal/sym3-eigen.js';
import { KdTree } from './kd-tree.js';

export interface NormalOptions {
  /** Neighbours including the point itself (≥ 3). */
  readonly k: number;
  /** Viewpoint, local metres; normals point towards it. Default [0, 0, 0]. */
  readonly viewpoint?: readonly [number, number, number];
}

export function estimateNormals(c: PointCloud, o: NormalOptions, tree?: KdTree): Result<PointCloud, 'NORMALS.BAD_PARAMS'> {
  if (!Number.isInteger(o.k) || o.k < 3 || o.k > 1024) return fail('NORMALS.BAD_PARAMS', `k must be an integer in 3..1024, got ${o.k}`);
  const t = tree ?? new KdTree(c.x, c.y, c.z);
  const n = c.length;
  const nx = new Float32Array(n).fill(NaN), ny = new Float32Array(n).fill(NaN), nz = new Float32Array(n).fill(NaN), curv = new Float32Array(n).fill(NaN);
  const idx = new Int32Array(o.k), d2 = new Float64Array(o.k);
  const [vx, vy, vz] = o.viewpoint ?? [0, 0, 0];
  for (let i = 0; i < n; i++) {
    const px = c.x[i]!, py = c.y[i]!, pz = c.z[i]!;
    if (!Number.isFinite(px + py + pz)) continue;
    const m = t.knn(px, py, pz, o.k, idx, d2);
    if (m < 3) continue;
    let mx = 0, my = 0, mz = 0;
    for (let q = 0; q < m; q++) { const j = idx[q]!; mx += c.x[j]!; my += c.y[j]!; mz += c.z[j]!; }
    mx /= m; my /= m; mz /= m;
    let xx = 0, xy = 0, xz = 0, yy = 0, yz = 0, zz = 0;
    for (let q = 0; q < m; q++) {
      const j = idx[q]!, a = c.x[j]! - mx, b = c.y[j]! - my, d = c.z[j]! - mz;
      xx += a * a; xy += a * b; xz += a * d; yy += b * b; yz += b * d; zz += d * d;
    }
    const e = symEigen([xx, xy, xz, xy, yy, yz, xz, yz, zz], 3);
    let [ux, uy, uz] = e.vectors.slice(0, 3) as [number, number, number];
    if ((vx - px) * ux + (vy - py) * uy + (vz - pz) * uz < 0) { ux = -ux; uy = -uy; uz = -uz; }
    const s = e.values[0]! + e.values[1]! + e.values[2]!;
    nx[i] = ux; ny[i] = uy; nz[i] = uz; curv[i] = s > 0 ? Math.max(0, e.values[0]!) / s : 0;
  }
  return ok(makeCloud(c.x, c.y, c.z, {
    ...c.fields,
    normal_x: { type: 'float32', count: 1, data: nx }, normal_y: { type: 'float32', count: 1, data: ny },
    normal_z: { type: 'float32', count: 1, data: nz }, curvature: { type: 'float32', count: 1, data: curv },
  }, c.origin));
}
