/**
 * Point-to-point ICP (pcl::IterativeClosestPoint, Besl & McKay): closest target point per source
 * point by k-d tree, pairs farther than maxCorrespondenceDistance rejected, the rigid transform
 * minimising the squared distances by Horn's closed form (unit quaternion from the 4×4 symmetric
 * matrix of the cross-covariance), repeated until the transform increment falls under
 * transformationEpsilon (translation², plus rotation as 1 − cos θ), the mean squared error stops
 * improving by more than euclideanFitnessEpsilon, or maxIterations.
 * Works in the target's local frame; a source with another origin is shifted in float64 first.
 */
import { fail, ok, type Result } from '../../core/result.js';
import type { PointCloud } from '../point-cloud.js';
import { symEigen } from '../internal/sym3-eigen.js';
import { compose, IDENTITY, transformCloud, type Mat4 } from './geometry.js';
import { KdTree } from './kd-tree.js';

export interface IcpOptions {
  readonly maxIterations?: number;
  /** Metres; pairs farther apart are ignored. Default Infinity (PCL: sqrt(DBL_MAX)). */
  readonly maxCorrespondenceDistance?: number;
  /** Default 1e-10 (metres² / 1 − cos θ). */
  readonly transformationEpsilon?: number;
  /** Default 1e-12 (metres²). */
  readonly euclideanFitnessEpsilon?: number;
  /** Initial guess, row-major 4×4 in the target frame. */
  readonly initial?: Mat4;
}
export interface IcpResult {
  /** Source (target frame) → target, row-major 4×4. */
  readonly transform: Mat4;
  readonly converged: boolean;
  readonly iterations: number;
  /** Mean squared correspondence distance at the end, metres² (pcl getFitnessScore). */
  readonly fitness: number;
  readonly correspondences: number;
  /** The source moved by `transform`, in the target's frame. */
  readonly aligned: PointCloud;
}

export function icp(source: PointCloud, target: PointCloud, o: IcpOptions = {}, targetTree?: KdTree): Result<IcpResult, 'ICP.TOO_FEW_POINTS' | 'ICP.BAD_PARAMS'> {
  const maxIt = o.maxIterations ?? 50;
  const maxD = o.maxCorrespondenceDistance ?? Infinity;
  if (!(maxIt >= 1) || !(maxD > 0)) return fail('ICP.BAD_PARAMS', 'maxIterations ≥ 1 and maxCorrespondenceDistance > 0 required');
  if (source.length < 3 || target.length < 3) return fail('ICP.TOO_FEW_POINTS', `ICP needs ≥ 3 points in each cloud (${source.length}, ${target.length})`);
  const tree = targetTree ?? new KdTree(target.x, target.y, target.z);
  const shift: Mat4 = [1, 0, 0, source.origin[0] - target.origin[0], 0, 1, 0, source.origin[1] - target.origin[1], 0, 0, 1, source.origin[2] - target.origin[2], 0, 0, 0, 1];
  const src = transformCloud({ ...source, fields: {} }, shift);
  let T = o.initial ?? IDENTITY;
  const maxD2 = maxD * maxD;
  const idx = new Int32Array(1), d2 = new Float64Array(1);
  let prevMse = Infinity, mse = Infinity, pairs = 0, it = 0, converged = false;
  const n = src.length;
  for (it = 1; it <= maxIt; it++) {
    // Correspondences from the currently transformed source.
    const [a, b, c, tx, e, f, g, ty, h, i, j, tz] = T as number[];
    let sx = 0, sy = 0, sz = 0, qx = 0, qy = 0, qz = 0, err = 0;
    const S = new Float64Array(9);
    pairs = 0;
    const ps = new Float64Array(n * 3), pt = new Float64Array(n * 3);
    for (let k = 0; k < n; k++) {
      const x0 = src.x[k]!, y0 = src.y[k]!, z0 = src.z[k]!;
      if (!Number.isFinite(x0 + y0 + z0)) continue;
      const x = a! * x0 + b! * y0 + c! * z0 + tx!, y = e! * x0 + f! * y0 + g! * z0 + ty!, z = h! * x0 + i! * y0 + j! * z0 + tz!;
      if (tree.knn(x, y, z, 1, idx, d2) === 0 || d2[0]! > maxD2) continue;
      const t = idx[0]!;
      ps[3 * pairs] = x; ps[3 * pairs + 1] = y; ps[3 * pairs + 2] = z;
      pt[3 * pairs] = target.x[t]!; pt[3 * pairs + 1] = target.y[t]!; pt[3 * pairs + 2] = target.z[t]!;
      sx += x; sy += y; sz += z; qx += target.x[t]!; qy += target.y[t]!; qz += target.z[t]!; err += d2[0]!;
      pairs++;
    }
    if (pairs < 3) return fail('ICP.TOO_FEW_POINTS', `only ${pairs} correspondences within ${maxD} m`);
    mse = err / pairs;
    sx /= pairs; sy /= pairs; sz /= pairs; qx /= pairs; qy /= pairs; qz /= pairs;
    for (let k = 0; k < pairs; k++) {
      const u = [ps[3 * k]! - sx, ps[3 * k + 1]! - sy, ps[3 * k + 2]! - sz], v = [pt[3 * k]! - qx, pt[3 * k + 1]! - qy, pt[3 * k + 2]! - qz];
      for (let r = 0; r < 3; r++) for (let cc = 0; cc < 3; cc++) S[3 * r + cc] = S[3 * r + cc]! + u[r]! * v[cc]!;
    }
    const [Sxx, Sxy, Sxz, Syx, Syy, Syz, Szx, Szy, Szz] = S as unknown as number[];
    const N = [
      Sxx! + Syy! + Szz!, Syz! - Szy!, Szx! - Sxz!, Sxy! - Syx!,
      Syz! - Szy!, Sxx! - Syy! - Szz!, Sxy! + Syx!, Szx! + Sxz!,
      Szx! - Sxz!, Sxy! + Syx!, -Sxx! + Syy! - Szz!, Syz! + Szy!,
      Sxy! - Syx!, Szx! + Sxz!, Syz! + Szy!, -Sxx! - Syy! + Szz!,
    ];
    const eig = symEigen(N, 4);
    const [w, x, y, z] = eig.vectors.slice(12, 16) as [number, number, number, number]; // largest eigenvalue
    const R = [
      w * w + x * x - y * y - z * z, 2 * (x * y - w * z), 2 * (x * z + w * y),
      2 * (x * y + w * z), w * w - x * x + y * y - z * z, 2 * (y * z - w * x),
      2 * (x * z - w * y), 2 * (y * z + w * x), w * w - x * x - y * y + z * z,
    ];
    const t = [qx - (R[0]! * sx + R[1]! * sy + R[2]! * sz), qy - (R[3]! * sx + R[4]! * sy + R[5]! * sz), qz - (R[6]! * sx + R[7]! * sy + R[8]! * sz)];
    const step: Mat4 = [R[0]!, R[1]!, R[2]!, t[0]!, R[3]!, R[4]!, R[5]!, t[1]!, R[6]!, R[7]!, R[8]!, t[2]!, 0, 0, 0, 1];
    T = compose(step, T);
    const cosTheta = Math.min(1, (R[0]! + R[4]! + R[8]! - 1) / 2);
    const dT = t[0]! ** 2 + t[1]! ** 2 + t[2]! ** 2 + (1 - cosTheta);
    if (dT < (o.transformationEpsilon ?? 1e-10) || Math.abs(prevMse - mse) < (o.euclideanFitnessEpsilon ?? 1e-12)) { converged = true; break; }
    prevMse = mse;
  }
  const aligned = transformCloud(src, T);
  return ok({ transform: T, converged, iterations: Math.min(it, maxIt), fitness: mse, correspondences: pairs, aligned: { ...aligned, origin: target.origin } });
}
