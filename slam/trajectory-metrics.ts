/**
 * Trajectory error metrics as evo computes them (Grupp, github.com/MichaelGrupp/evo):
 * absolute trajectory error after a rigid (SE(3), no scale) Umeyama alignment (`evo_ape -a`), and
 * relative pose error over segments of a fixed path length (`evo_rpe --delta 100 --delta_unit m`),
 * both on the translation part, plus the KITTI-style drift in percent of distance travelled.
 *
 * @remarks
 * Trajectories are arrays of poses (row-major [R | t], see rigid-transform.ts) matched by index:
 * associate by timestamp before calling. Metres throughout.
 */
import { symmetricEigen3 } from './linear-algebra.js';
import { compose, fromRotationTranslation, inverse, translationNorm, transformPoints, type Pose } from './rigid-transform.js';

export interface ErrorStats {
  readonly rmse: number;
  readonly mean: number;
  readonly median: number;
  readonly max: number;
  readonly count: number;
}

function stats(errors: readonly number[]): ErrorStats {
  if (errors.length === 0) return { rmse: NaN, mean: NaN, median: NaN, max: NaN, count: 0 };
  const sorted = [...errors].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return {
    rmse: Math.sqrt(errors.reduce((s, e) => s + e * e, 0) / errors.length),
    mean: errors.reduce((s, e) => s + e, 0) / errors.length,
    median: sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2,
    max: sorted[sorted.length - 1]!,
    count: errors.length,
  };
}

/**
 * The rigid transform T minimising Σ‖yᵢ − T·xᵢ‖² (Umeyama 1991 without scale). Points 3 a point.
 * Works for planar point sets (a constant-altitude flight): the smallest singular direction's
 * sign is the one given up to keep det R = +1.
 */
export function umeyamaAlignment(x: Float64Array, y: Float64Array): Pose {
  const n = x.length / 3;
  const mx = [0, 0, 0], my = [0, 0, 0];
  for (let i = 0; i < n; i++) for (let k = 0; k < 3; k++) { mx[k]! += x[i * 3 + k]! / n; my[k]! += y[i * 3 + k]! / n; }
  // Σ = 1/n Σ (y − μy)(x − μx)ᵀ
  const s = new Float64Array(9);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) s[a * 3 + b]! += ((y[i * 3 + a]! - my[a]!) * (x[i * 3 + b]! - mx[b]!)) / n;
  }
  // ΣᵀΣ = V D² Vᵀ; uᵢ = Σ vᵢ / σᵢ for the two largest; third axes by cross products.
  const sts = new Float64Array(9);
  for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) for (let k = 0; k < 3; k++) sts[a * 3 + b]! += s[k * 3 + a]! * s[k * 3 + b]!;
  const vals = new Float64Array(3), vecs = new Float64Array(9);
  symmetricEigen3(sts, vals, vecs);
  const col = (c: number) => [vecs[c]!, vecs[3 + c]!, vecs[6 + c]!];
  const v1 = col(2), v2 = col(1);
  const sv = (v: number[]) => {
    const u = [0, 1, 2].map((r) => s[r * 3]! * v[0]! + s[r * 3 + 1]! * v[1]! + s[r * 3 + 2]! * v[2]!);
    const l = Math.hypot(u[0]!, u[1]!, u[2]!) || 1;
    return u.map((e) => e / l);
  };
  const cross = (a: number[], b: number[]) => [a[1]! * b[2]! - a[2]! * b[1]!, a[2]! * b[0]! - a[0]! * b[2]!, a[0]! * b[1]! - a[1]! * b[0]!];
  const u1 = sv(v1);
  let u2 = sv(v2);
  // Re-orthogonalise u2 against u1 (numerical safety).
  const d12 = u1[0]! * u2[0]! + u1[1]! * u2[1]! + u1[2]! * u2[2]!;
  u2 = u2.map((e, k) => e - d12 * u1[k]!);
  const l2 = Math.hypot(u2[0]!, u2[1]!, u2[2]!) || 1;
  u2 = u2.map((e) => e / l2);
  const u3 = cross(u1, u2), v3 = cross(v1, v2);
  const r = new Float64Array(9);
  for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) r[a * 3 + b] = u1[a]! * v1[b]! + u2[a]! * v2[b]! + u3[a]! * v3[b]!;
  const t = [0, 1, 2].map((a) => my[a]! - (r[a * 3]! * mx[0]! + r[a * 3 + 1]! * mx[1]! + r[a * 3 + 2]! * mx[2]!));
  return fromRotationTranslation(r, t);
}

function positions(poses: readonly Pose[]): Float64Array {
  const out = new Float64Array(poses.length * 3);
  poses.forEach((p, i) => { out[i * 3] = p[3]!; out[i * 3 + 1] = p[7]!; out[i * 3 + 2] = p[11]!; });
  return out;
}

export interface AteResult extends ErrorStats {
  /** The alignment applied to the estimate (reference ← estimate). */
  readonly alignment: Pose;
}

/** Absolute trajectory error (translation, m) after SE(3) Umeyama alignment of `est` onto `ref`. */
export function absoluteTrajectoryError(est: readonly Pose[], ref: readonly Pose[]): AteResult {
  if (est.length !== ref.length) throw new RangeError(`ATE: ${est.length} estimated vs ${ref.length} reference poses`);
  const pe = positions(est), pr = positions(ref);
  const alignment = umeyamaAlignment(pe, pr);
  const aligned = transformPoints(alignment, pe);
  const errors: number[] = [];
  for (let i = 0; i < est.length; i++) {
    errors.push(Math.hypot(aligned[i * 3]! - pr[i * 3]!, aligned[i * 3 + 1]! - pr[i * 3 + 1]!, aligned[i * 3 + 2]! - pr[i * 3 + 2]!));
  }
  return { ...stats(errors), alignment };
}

export interface RpeOptions {
  /** Segment length along the reference path, m (evo `--delta`, unit m). */
  readonly delta_m: number;
  /** evo `--all_pairs`: a segment from every pose, not consecutive ones. */
  readonly allPairs?: boolean;
  /** evo `--delta_tol` for all pairs, m (default 0). */
  readonly tol_m?: number;
}

export interface RpeResult extends ErrorStats {
  /** Mean translational error per metre of segment, in percent (KITTI-style drift). */
  readonly drift_pct: number;
}

/**
 * Relative pose error, translation part: for pose pairs (i, j) a path length `delta_m` apart on
 * the reference, ‖trans((Qᵢ⁻¹Qⱼ)⁻¹ (Pᵢ⁻¹Pⱼ))‖, with evo's pair selection.
 */
export function relativePoseError(est: readonly Pose[], ref: readonly Pose[], o: RpeOptions): RpeResult {
  if (est.length !== ref.length) throw new RangeError(`RPE: ${est.length} estimated vs ${ref.length} reference poses`);
  const pairs: [number, number][] = [];
  if (o.allPairs) {
    // evo: from every pose, the pose whose path distance is nearest delta, kept if within tol.
    const dist = [0];
    for (let i = 1; i < ref.length; i++) dist.push(dist[i - 1]! + stepLength(ref[i - 1]!, ref[i]!));
    const tol = o.tol_m ?? 0;
    for (let i = 0; i < ref.length - 1; i++) {
      let best = i + 1;
      for (let j = i + 1; j < ref.length; j++) if (Math.abs(dist[j]! - dist[i]! - o.delta_m) < Math.abs(dist[best]! - dist[i]! - o.delta_m)) best = j;
      if (Math.abs(dist[best]! - dist[i]! - o.delta_m) <= tol) pairs.push([i, best]);
    }
  } else {
    // evo's filter_pairs_by_path: an id each time the path since the last id reaches delta
    // (the first id is where the path first reaches delta, not pose 0 — as evo does).
    const ids: number[] = [];
    let path = 0;
    for (let i = 0; i < ref.length; i++) {
      if (i > 0) path += stepLength(ref[i - 1]!, ref[i]!);
      if (path >= o.delta_m) { ids.push(i); path = 0; }
    }
    for (let k = 1; k < ids.length; k++) pairs.push([ids[k - 1]!, ids[k]!]);
  }
  const errors = pairs.map(([i, j]) => {
    const dq = compose(inverse(ref[i]!), ref[j]!);
    const dp = compose(inverse(est[i]!), est[j]!);
    return translationNorm(compose(inverse(dq), dp));
  });
  const s = stats(errors);
  return { ...s, drift_pct: (s.mean / o.delta_m) * 100 };
}

function stepLength(a: Pose, b: Pose): number {
  return Math.hypot(b[3]! - a[3]!, b[7]! - a[7]!, b[11]! - a[11]!);
}
