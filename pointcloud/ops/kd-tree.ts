/**
 * A static 3-D k-d tree over Float32 coordinates for k-nearest and radius queries (the role of
 * FLANN's KDTreeSingleIndex in PCL). Built once: each node splits its points at the middle of
 * their tight bounding box along the widest side (FLANN's middle split), leaves hold up to
 * `leafSize` points. Points are copied in tree order (interleaved) so leaf scans are sequential;
 * queries prune by the distance from the query to a node's tight box. Distances are squared,
 * metres², computed in float64 from the float32 coordinates.
 */
export class KdTree {
  /** Tree order → original point index. */
  readonly perm: Uint32Array;
  /** Interleaved coordinates in tree order. */
  readonly pts: Float64Array;
  private readonly lo: Uint32Array;
  private readonly hi: Uint32Array;
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  /** Tight box per node: minx, miny, minz, maxx, maxy, maxz. */
  private readonly box: Float64Array;
  private nodes = 0;
  // k-NN scratch (sorted ascending by distance).
  private kd!: Float64Array;
  private ki!: Int32Array;
  private kn = 0;
  private kk = 0;

  /** Builds over the finite points of x/y/z (non-finite points are left out, as PCL does). */
  constructor(x: Float32Array, y: Float32Array, z: Float32Array, readonly leafSize = 10) {
    const n0 = x.length;
    let n = 0;
    const perm = new Uint32Array(n0);
    for (let i = 0; i < n0; i++) if (Number.isFinite(x[i]! + y[i]! + z[i]!)) perm[n++] = i;
    this.perm = perm.subarray(0, n);
    const cap = Math.max(1, Math.ceil((2 * n) / Math.max(1, leafSize >> 1)) + 1);
    this.lo = new Uint32Array(cap); this.hi = new Uint32Array(cap);
    this.left = new Int32Array(cap); this.right = new Int32Array(cap);
    this.box = new Float64Array(cap * 6);
    // Working coordinates permuted along with perm during the build.
    const p = new Float64Array(n * 3);
    for (let j = 0; j < n; j++) { const i = this.perm[j]!; p[3 * j] = x[i]!; p[3 * j + 1] = y[i]!; p[3 * j + 2] = z[i]!; }
    this.pts = p;
    if (n > 0) this.build(0, n);
  }

  get size(): number { return this.perm.length; }

  private build(lo0: number, hi0: number): number {
    const p = this.pts, perm = this.perm;
    const node = this.nodes++;
    this.lo[node] = lo0; this.hi[node] = hi0;
    let ax = Infinity, ay = Infinity, az = Infinity, bx = -Infinity, by = -Infinity, bz = -Infinity;
    for (let j = lo0; j < hi0; j++) {
      const a = p[3 * j]!, b = p[3 * j + 1]!, c = p[3 * j + 2]!;
      if (a < ax) ax = a; if (a > bx) bx = a; if (b < ay) ay = b; if (b > by) by = b; if (c < az) az = c; if (c > bz) bz = c;
    }
    const B = this.box, o = node * 6;
    B[o] = ax; B[o + 1] = ay; B[o + 2] = az; B[o + 3] = bx; B[o + 4] = by; B[o + 5] = bz;
    const sx = bx - ax, sy = by - ay, sz = bz - az;
    if (hi0 - lo0 <= this.leafSize || (sx === 0 && sy === 0 && sz === 0)) { this.left[node] = -1; this.right[node] = -1; return node; }
    const d = sx >= sy && sx >= sz ? 0 : sy >= sz ? 1 : 2;
    const split = d === 0 ? (ax + bx) * 0.5 : d === 1 ? (ay + by) * 0.5 : (az + bz) * 0.5;
    // Partition [lo0, hi0) into < split | >= split (both sides non-empty: min < split ≤ max).
    let i = lo0, j = hi0 - 1;
    while (i <= j) {
      if (p[3 * i + d]! < split) { i++; continue; }
      // swap i, j
      const a0 = p[3 * i]!, a1 = p[3 * i + 1]!, a2 = p[3 * i + 2]!, ai = perm[i]!;
      p[3 * i] = p[3 * j]!; p[3 * i + 1] = p[3 * j + 1]!; p[3 * i + 2] = p[3 * j + 2]!; perm[i] = perm[j]!;
      p[3 * j] = a0; p[3 * j + 1] = a1; p[3 * j + 2] = a2; perm[j] = ai;
      j--;
    }
    let mid = i;
    if (mid === lo0 || mid === hi0) mid = (lo0 + hi0) >> 1; // float edge cases: never an empty child
    this.left[node] = this.build(lo0, mid);
    this.right[node] = this.build(mid, hi0);
    return node;
  }

  private boxDist2(node: number, qx: number, qy: number, qz: number): number {
    const B = this.box, o = node * 6;
    let d = 0, t: number;
    if (qx < B[o]!) { t = B[o]! - qx; d += t * t; } else if (qx > B[o + 3]!) { t = qx - B[o + 3]!; d += t * t; }
    if (qy < B[o + 1]!) { t = B[o + 1]! - qy; d += t * t; } else if (qy > B[o + 4]!) { t = qy - B[o + 4]!; d += t * t; }
    if (qz < B[o + 2]!) { t = B[o + 2]! - qz; d += t * t; } else if (qz > B[o + 5]!) { t = qz - B[o + 5]!; d += t * t; }
    return d;
  }

  /**
   * The k nearest points to (qx, qy, qz), nearest first: original indices into `outIdx`,
   * squared distances into `outDist2`. Returns how many were found (≤ k).
   */
  knn(qx: number, qy: number, qz: number, k: number, outIdx: Int32Array, outDist2: Float64Array): number {
    if (!this.kd || this.kd.length < k) { this.kd = new Float64Array(k); this.ki = new Int32Array(k); }
    this.kn = 0; this.kk = k;
    if (this.size > 0 && k > 0) this.knnNode(0, qx, qy, qz);
    const m = this.kn;
    for (let i = 0; i < m; i++) { outIdx[i] = this.perm[this.ki[i]!]!; outDist2[i] = this.kd[i]!; }
    return m;
  }

  /** As knn, but for the point at tree position `j` (k-NN of every point, in tree order for locality). */
  knnTreeOrder(j: number, k: number, outIdx: Int32Array, outDist2: Float64Array): number {
    const p = this.pts;
    return this.knn(p[3 * j]!, p[3 * j + 1]!, p[3 * j + 2]!, k, outIdx, outDist2);
  }

  private knnNode(node: number, qx: number, qy: number, qz: number): void {
    const l = this.left[node]!;
    if (l < 0) {
      const p = this.pts, kd = this.kd, ki = this.ki, k = this.kk;
      for (let j = this.lo[node]!, e = this.hi[node]!; j < e; j++) {
        const dx = p[3 * j]! - qx, dy = p[3 * j + 1]! - qy, dz = p[3 * j + 2]! - qz;
        const d = dx * dx + dy * dy + dz * dz;
        let m = this.kn;
        if (m === k) { if (d >= kd[m - 1]!) continue; m--; } else this.kn = m + 1;
        while (m > 0 && kd[m - 1]! > d) { kd[m] = kd[m - 1]!; ki[m] = ki[m - 1]!; m--; }
        kd[m] = d; ki[m] = j;
      }
      return;
    }
    const r = this.right[node]!;
    const dl = this.boxDist2(l, qx, qy, qz), dr = this.boxDist2(r, qx, qy, qz);
    if (dl <= dr) {
      if (this.kn < this.kk || dl < this.kd[this.kn - 1]!) this.knnNode(l, qx, qy, qz);
      if (this.kn < this.kk || dr < this.kd[this.kn - 1]!) this.knnNode(r, qx, qy, qz);
    } else {
      if (this.kn < this.kk || dr < this.kd[this.kn - 1]!) this.knnNode(r, qx, qy, qz);
      if (this.kn < this.kk || dl < this.kd[this.kn - 1]!) this.knnNode(l, qx, qy, qz);
    }
  }

  /** Number of points within `radius` (inclusive) of the query, stopping once `limit` are found. */
  radiusCount(qx: number, qy: number, qz: number, radius: number, limit = Infinity): number {
    if (this.size === 0) return 0;
    const r2 = radius * radius;
    const stack = [0];
    let count = 0;
    const p = this.pts;
    while (stack.length) {
      const node = stack.pop()!;
      if (this.boxDist2(node, qx, qy, qz) > r2) continue;
      const l = this.left[node]!;
      if (l >= 0) { stack.push(l, this.right[node]!); continue; }
      for (let j = this.lo[node]!, e = this.hi[node]!; j < e; j++) {
        const dx = p[3 * j]! - qx, dy = p[3 * j + 1]! - qy, dz = p[3 * j + 2]! - qz;
        if (dx * dx + dy * dy + dz * dz <= r2 && ++count >= limit) return count;
      }
    }
    return count;
  }
}
