/**
 * Point-to-point ICP of a scan against the voxel-hash map with a Geman-McClure kernel, as in
 * KISS-ICP (Vizzo et al. 2023, §III-E): correspondences are nearest map points within τ = 3σ,
 * each residual r weighted by κ² / (κ + ‖r‖²)² with κ = σ/3, increments solved from the
 * Gauss-Newton normal equations and applied on the left.
 *
 * @remarks
 * After convergence it also measures how well the geometry constrains translation (a LOAM-style
 * degeneracy check, Zhang et al. 2016): the eigenvalues of Σ n·nᵀ over local surface normals of
 * the matched map voxels. A flat, featureless world leaves two of them near zero.
 */
import { symmetricEigen3, solve6 } from './linear-algebra.js';
import { compose, expTwist, identity, transformPoints, type Pose } from './rigid-transform.js';
import type { VoxelHashMap } from './voxel-hash-map.js';

export interface IcpOptions {
  /** Correspondence gate τ, m (KISS-ICP: 3σ). */
  readonly maxCorrespondence_m: number;
  /** Geman-McClure scale κ, m (KISS-ICP: σ/3). */
  readonly kernel_m: number;
  /** Iteration cap (KISS-ICP: 500). */
  readonly maxIterations?: number;
  /** Stop when ‖δ‖ falls below this (KISS-ICP: 1e-4). */
  readonly convergence?: number;
}

export interface IcpResult {
  /** The registered pose (map ← sensor). */
  readonly pose: Pose;
  readonly iterations: number;
  readonly converged: boolean;
  /** Correspondences in the last iteration. */
  readonly correspondences: number;
  /**
   * λmin / λmax of Σ n·nᵀ over matched surface normals: ~0 when translation is unconstrained
   * along some direction (flat ground), up to 1 for well-spread geometry. NaN if too few normals.
   */
  readonly translationConditioning: number;
}

/**
 * Registers `source` (sensor-frame points, 3 a point) to `map`, starting from `initialGuess`.
 */
export function registerToMap(source: Float64Array, map: VoxelHashMap, initialGuess: Pose, o: IcpOptions): IcpResult {
  const n = source.length / 3;
  const pts = transformPoints(initialGuess, source);
  const tIcp = identity();
  const jtj = new Float64Array(36), jtr = new Float64Array(6), dx = new Float64Array(6);
  const q = new Float64Array(3), inc = new Float64Array(12);
  const tau2 = o.maxCorrespondence_m * o.maxCorrespondence_m;
  const k2 = o.kernel_m * o.kernel_m;
  const maxIt = o.maxIterations ?? 500, conv = o.convergence ?? 1e-4;
  let it = 0, converged = false, count = 0;
  const matched = new Int32Array(n);
  const target = new Float64Array(n * 3);
  // J = [I₃ | −[p]×], row-major 3×6; the skew part is refilled per point.
  const J = new Float64Array(18);
  J[0] = 1; J[7] = 1; J[14] = 1;
  for (; it < maxIt; it++) {
    jtj.fill(0); jtr.fill(0); count = 0;
    for (let i = 0; i < n; i++) {
      const x = pts[i * 3]!, y = pts[i * 3 + 1]!, z = pts[i * 3 + 2]!;
      const d2 = map.nearest(x, y, z, q);
      if (d2 > tau2) continue;
      matched[count++] = i;
      target[i * 3] = q[0]!; target[i * 3 + 1] = q[1]!; target[i * 3 + 2] = q[2]!;
      const rx = x - q[0]!, ry = y - q[1]!, rz = z - q[2]!;
      const s = o.kernel_m + d2;
      const w = k2 / (s * s);
      // J = [I₃ | −[p]×]; accumulate Jᵀ w J and Jᵀ w r.
      J[4] = z; J[5] = -y; J[9] = -z; J[11] = x; J[15] = y; J[16] = -x;
      for (let c = 0; c < 6; c++) {
        const j0 = J[c]!, j1 = J[6 + c]!, j2 = J[12 + c]!;
        jtr[c]! += w * (j0 * rx + j1 * ry + j2 * rz);
        for (let e = c; e < 6; e++) jtj[c * 6 + e]! += w * (j0 * J[e]! + j1 * J[6 + e]! + j2 * J[12 + e]!);
      }
    }
    if (count < 6) break;
    for (let a = 0; a < 6; a++) for (let b = 0; b < a; b++) jtj[a * 6 + b] = jtj[b * 6 + a]!;
    for (let a = 0; a < 6; a++) jtr[a] = -jtr[a]!;
    if (!solve6(jtj, jtr, dx)) break;
    expTwist(dx, inc);
    transformPoints(inc, pts, 3, pts);
    compose(inc, tIcp, tIcp);
    if (Math.hypot(dx[0]!, dx[1]!, dx[2]!, dx[3]!, dx[4]!, dx[5]!) < conv) { converged = true; it++; break; }
  }
  return {
    pose: compose(tIcp, initialGuess),
    iterations: it,
    converged,
    correspondences: count,
    translationConditioning: conditioning(map, target, matched, count),
  };
}

/** λmin/λmax of Σ n nᵀ, normals from the covariance of the map points around each matched target. */
function conditioning(map: VoxelHashMap, target: Float64Array, matched: Int32Array, count: number): number {
  const h = new Float64Array(9), vals = new Float64Array(3), vecs = new Float64Array(9);
  const step = Math.max(1, Math.floor(count / 400));
  let normals = 0;
  for (let c = 0; c < count; c += step) {
    const i = matched[c]!;
    const nrm = map.localNormal(target[i * 3]!, target[i * 3 + 1]!, target[i * 3 + 2]!, vals, vecs);
    if (!nrm) continue;
    const nx = vecs[0]!, ny = vecs[3]!, nz = vecs[6]!;
    h[0]! += nx * nx; h[1]! += nx * ny; h[2]! += nx * nz; h[4]! += ny * ny; h[5]! += ny * nz; h[8]! += nz * nz;
    normals++;
  }
  if (normals < 10) return NaN;
  h[3] = h[1]!; h[6] = h[2]!; h[7] = h[5]!;
  symmetricEigen3(h, vals, vecs);
  return vals[2]! > 0 ? Math.max(0, vals[0]!) / vals[2]! : NaN;
}
