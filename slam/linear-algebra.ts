/**
 * The small dense algebra the registration needs: a 6×6 symmetric solve and 3×3 symmetric
 * eigenvalues, on plain typed arrays (row-major).
 */

/** Solves A·x = b for symmetric positive (semi)definite 6×6 A by Gaussian elimination with pivoting; x = 0 when singular. */
export function solve6(a: Float64Array, b: Float64Array, x: Float64Array): boolean {
  const m = new Float64Array(42);
  for (let i = 0; i < 6; i++) {
    for (let j = 0; j < 6; j++) m[i * 7 + j] = a[i * 6 + j]!;
    m[i * 7 + 6] = b[i]!;
  }
  for (let c = 0; c < 6; c++) {
    let p = c;
    for (let r = c + 1; r < 6; r++) if (Math.abs(m[r * 7 + c]!) > Math.abs(m[p * 7 + c]!)) p = r;
    if (Math.abs(m[p * 7 + c]!) < 1e-12) { x.fill(0); return false; }
    if (p !== c) for (let j = 0; j < 7; j++) { const t = m[c * 7 + j]!; m[c * 7 + j] = m[p * 7 + j]!; m[p * 7 + j] = t; }
    for (let r = c + 1; r < 6; r++) {
      const f = m[r * 7 + c]! / m[c * 7 + c]!;
      if (f === 0) continue;
      for (let j = c; j < 7; j++) m[r * 7 + j]! -= f * m[c * 7 + j]!;
    }
  }
  for (let i = 5; i >= 0; i--) {
    let s = m[i * 7 + 6]!;
    for (let j = i + 1; j < 6; j++) s -= m[i * 7 + j]! * x[j]!;
    x[i] = s / m[i * 7 + i]!;
  }
  return true;
}

/**
 * Eigen-decomposition of a symmetric 3×3 matrix (Jacobi rotations): eigenvalues ascending in
 * `values`, the matching unit eigenvectors as the columns of `vectors` (row-major).
 */
export function symmetricEigen3(s: ArrayLike<number>, values: Float64Array, vectors: Float64Array): void {
  const a = Float64Array.from({ length: 9 }, (_, i) => s[i]!);
  const v = vectors;
  v.fill(0); v[0] = 1; v[4] = 1; v[8] = 1;
  for (let sweep = 0; sweep < 30; sweep++) {
    const off = a[1]! * a[1]! + a[2]! * a[2]! + a[5]! * a[5]!;
    if (off < 1e-22) break;
    for (const [p, q] of [[0, 1], [0, 2], [1, 2]] as const) {
      const apq = a[p * 3 + q]!;
      if (Math.abs(apq) < 1e-300) continue;
      const theta = (a[q * 3 + q]! - a[p * 3 + p]!) / (2 * apq);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1), sn = t * c;
      for (let k = 0; k < 3; k++) {
        const akp = a[k * 3 + p]!, akq = a[k * 3 + q]!;
        a[k * 3 + p] = c * akp - sn * akq; a[k * 3 + q] = sn * akp + c * akq;
      }
      for (let k = 0; k < 3; k++) {
        const apk = a[p * 3 + k]!, aqk = a[q * 3 + k]!;
        a[p * 3 + k] = c * apk - sn * aqk; a[q * 3 + k] = sn * apk + c * aqk;
      }
      for (let k = 0; k < 3; k++) {
        const vkp = v[k * 3 + p]!, vkq = v[k * 3 + q]!;
        v[k * 3 + p] = c * vkp - sn * vkq; v[k * 3 + q] = sn * vkp + c * vkq;
      }
    }
  }
  const order = [0, 1, 2].sort((i, j) => a[i * 4]! - a[j * 4]!);
  const vv = Float64Array.from(v);
  for (let c = 0; c < 3; c++) {
    values[c] = a[order[c]! * 4]!;
    for (let r = 0; r < 3; r++) v[r * 3 + c] = vv[r * 3 + order[c]!]!;
  }
}
