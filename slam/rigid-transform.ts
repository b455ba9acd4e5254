/**
 * 3-D rigid transforms (SE(3)) on typed arrays: a pose is a row-major 3×4 matrix `[R | t]` in a
 * `Float64Array(12)` — rotation R (unitless) then translation t (m) per row.
 *
 * @remarks
 * `compose(a, b)` is a·b (apply b first). Increments from the solver are applied on the left
 * (`exp(δ)·T`, δ = [ρ; φ] with ρ in m and φ in rad, rotation by Rodrigues), as KISS-ICP does.
 * Allocation-free variants take an `out`; `out` may alias an input.
 */

/** Row-major [R | t], 12 numbers. */
export type Pose = Float64Array;

export function identity(out: Pose = new Float64Array(12)): Pose {
  out.fill(0);
  out[0] = 1; out[5] = 1; out[10] = 1;
  return out;
}

/** A pose from a row-major 3×3 rotation and a translation (m). */
export function fromRotationTranslation(r: ArrayLike<number>, t: ArrayLike<number>, out: Pose = new Float64Array(12)): Pose {
  for (let i = 0; i < 3; i++) {
    out[i * 4] = r[i * 3]!; out[i * 4 + 1] = r[i * 3 + 1]!; out[i * 4 + 2] = r[i * 3 + 2]!; out[i * 4 + 3] = t[i]!;
  }
  return out;
}

/** a·b. */
export function compose(a: Pose, b: Pose, out: Pose = new Float64Array(12)): Pose {
  const r = new Float64Array(12);
  for (let i = 0; i < 3; i++) {
    const a0 = a[i * 4]!, a1 = a[i * 4 + 1]!, a2 = a[i * 4 + 2]!;
    for (let j = 0; j < 4; j++) r[i * 4 + j] = a0 * b[j]! + a1 * b[4 + j]! + a2 * b[8 + j]!;
    r[i * 4 + 3]! += a[i * 4 + 3]!;
  }
  out.set(r);
  return out;
}

/** T⁻¹ = [Rᵀ | −Rᵀt]. */
export function inverse(a: Pose, out: Pose = new Float64Array(12)): Pose {
  const r = new Float64Array(12);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) r[i * 4 + j] = a[j * 4 + i]!;
  for (let i = 0; i < 3; i++) r[i * 4 + 3] = -(r[i * 4]! * a[3]! + r[i * 4 + 1]! * a[7]! + r[i * 4 + 2]! * a[11]!);
  out.set(r);
  return out;
}

/** exp of a twist δ = [ρx, ρy, ρz, φx, φy, φz] (m, rad): rotation by Rodrigues, translation ρ. */
export function expTwist(d: ArrayLike<number>, out: Pose = new Float64Array(12)): Pose {
  const wx = d[3]!, wy = d[4]!, wz = d[5]!;
  const th = Math.hypot(wx, wy, wz);
  identity(out);
  if (th > 1e-12) {
    const kx = wx / th, ky = wy / th, kz = wz / th;
    const c = Math.cos(th), s = Math.sin(th), v = 1 - c;
    out[0] = c + kx * kx * v; out[1] = kx * ky * v - kz * s; out[2] = kx * kz * v + ky * s;
    out[4] = ky * kx * v + kz * s; out[5] = c + ky * ky * v; out[6] = ky * kz * v - kx * s;
    out[8] = kz * kx * v - ky * s; out[9] = kz * ky * v + kx * s; out[10] = c + kz * kz * v;
  }
  out[3] = d[0]!; out[7] = d[1]!; out[11] = d[2]!;
  return out;
}

/** Rotation angle of a pose, rad (0..π). */
export function rotationAngle(a: Pose): number {
  const c = (a[0]! + a[5]! + a[10]! - 1) / 2;
  return Math.acos(Math.max(-1, Math.min(1, c)));
}

/** Length of the translation, m. */
export function translationNorm(a: Pose): number {
  return Math.hypot(a[3]!, a[7]!, a[11]!);
}

/**
 * Applies a pose to strided points (`stride` floats a point, x,y,z first): out = R·p + t, 3 a point.
 */
export function transformPoints(a: Pose, xyz: ArrayLike<number>, stride = 3, out?: Float64Array): Float64Array {
  const n = Math.floor(xyz.length / stride);
  const res = out && out.length >= n * 3 ? out : new Float64Array(n * 3);
  const r0 = a[0]!, r1 = a[1]!, r2 = a[2]!, t0 = a[3]!, r4 = a[4]!, r5 = a[5]!, r6 = a[6]!, t1 = a[7]!, r8 = a[8]!, r9 = a[9]!, r10 = a[10]!, t2 = a[11]!;
  for (let i = 0, j = 0, k = 0; i < n; i++, j += stride, k += 3) {
    const x = xyz[j]!, y = xyz[j + 1]!, z = xyz[j + 2]!;
    res[k] = r0 * x + r1 * y + r2 * z + t0;
    res[k + 1] = r4 * x + r5 * y + r6 * z + t1;
    res[k + 2] = r8 * x + r9 * y + r10 * z + t2;
  }
  return res;
}

/** Unit quaternion [w, x, y, z] of a pose's rotation. */
export function toQuaternion(a: Pose): [number, number, number, number] {
  const m00 = a[0]!, m01 = a[1]!, m02 = a[2]!, m10 = a[4]!, m11 = a[5]!, m12 = a[6]!, m20 = a[8]!, m21 = a[9]!, m22 = a[10]!;
  const tr = m00 + m11 + m22;
  let w, x, y, z;
  if (tr > 0) {
    const s = Math.sqrt(tr + 1) * 2;
    w = s / 4; x = (m21 - m12) / s; y = (m02 - m20) / s; z = (m10 - m01) / s;
  } else if (m00 > m11 && m00 > m22) {
    const s = Math.sqrt(1 + m00 - m11 - m22) * 2;
    w = (m21 - m12) / s; x = s / 4; y = (m01 + m10) / s; z = (m02 + m20) / s;
  } else if (m11 > m22) {
    const s = Math.sqrt(1 + m11 - m00 - m22) * 2;
    w = (m02 - m20) / s; x = (m01 + m10) / s; y = s / 4; z = (m12 + m21) / s;
  } else {
    const s = Math.sqrt(1 + m22 - m00 - m11) * 2;
    w = (m10 - m01) / s; x = (m02 + m20) / s; y = (m12 + m21) / s; z = s / 4;
  }
  const n = Math.hypot(w, x, y, z) * (w < 0 ? -1 : 1);
  return [w / n, x / n, y / n, z / n];
}

/** Position of a pose, m. */
export function translationOf(a: Pose): [number, number, number] {
  return [a[3]!, a[7]!, a[11]!];
}
