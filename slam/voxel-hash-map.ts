/**
 * KISS-ICP's local map: a voxel hash (voxel size v, m) holding at most `maxPointsPerVoxel` world
 * points per voxel, pruned to `maxRange_m` around the sensor, searched for the nearest neighbour
 * in the 27 voxels around a query.
 *
 * @remarks
 * Voxels live in an open-addressing hash table on typed arrays keyed by their integer (i, j, k)
 * (no number boxing, no allocation per lookup: the nearest-neighbour search is most of the
 * odometry's time). A voxel is a plain number array of x,y,z triples: adding stops once it is
 * full, which keeps the map's density bounded as in the paper (§III-C). Voxels keep their
 * insertion order (points(), pruning), so results do not depend on the hash.
 */

import { symmetricEigen3 } from './linear-algebra.js';

const OFF = 65536, SPAN = 131072;

/** The hash key of voxel (i, j, k). */
export function voxelKey(i: number, j: number, k: number): number {
  return ((i + OFF) * SPAN + (j + OFF)) * SPAN + (k + OFF);
}

export interface VoxelHashMapOptions {
  /** Voxel edge, m. */
  readonly voxelSize_m: number;
  /** Points kept in one voxel (KISS-ICP: 20). */
  readonly maxPointsPerVoxel: number;
  /** Voxels farther than this from the sensor are dropped, m. */
  readonly maxRange_m: number;
}

export class VoxelHashMap {
  private readonly inv: number;
  /** Open-addressing table (linear probing): slot → voxel index + 1, 0 = empty. Load ≤ ½. */
  private table = new Int32Array(1 << 12);
  /** Voxel coordinates i, j, k by voxel index (insertion order, compacted on pruning). */
  private coords = new Int32Array(3 * 1024);
  /** Points (x, y, z triples) by voxel index. */
  private voxels: number[][] = [];

  constructor(readonly o: VoxelHashMapOptions) {
    this.inv = 1 / o.voxelSize_m;
  }

  get voxelCount(): number {
    return this.voxels.length;
  }

  get pointCount(): number {
    let n = 0;
    for (const v of this.voxels) n += v.length / 3;
    return n;
  }

  clear(): void {
    this.voxels = [];
    this.table.fill(0);
  }

  /** Adds world points (3 a point). */
  add(xyz: ArrayLike<number>): void {
    const cap = this.o.maxPointsPerVoxel * 3, inv = this.inv;
    for (let p = 0; p + 2 < xyz.length; p += 3) {
      const x = xyz[p]!, y = xyz[p + 1]!, z = xyz[p + 2]!;
      const i = Math.floor(x * inv), j = Math.floor(y * inv), k = Math.floor(z * inv);
      const v = this.get(i, j, k);
      if (!v) this.insert(i, j, k, [x, y, z]);
      else if (v.length < cap) v.push(x, y, z);
    }
  }

  /** Drops voxels whose first point lies farther than maxRange from (x, y, z). */
  removeFarFrom(x: number, y: number, z: number): void {
    const r2 = this.o.maxRange_m * this.o.maxRange_m;
    const vs = this.voxels, c = this.coords;
    let kept = 0;
    for (let n = 0; n < vs.length; n++) {
      const v = vs[n]!;
      const dx = v[0]! - x, dy = v[1]! - y, dz = v[2]! - z;
      if (dx * dx + dy * dy + dz * dz > r2) continue;
      if (kept !== n) {
        vs[kept] = v;
        c[kept * 3] = c[n * 3]!; c[kept * 3 + 1] = c[n * 3 + 1]!; c[kept * 3 + 2] = c[n * 3 + 2]!;
      }
      kept++;
    }
    if (kept === vs.length) return;
    vs.length = kept;
    this.rehash(this.table.length);
  }

  /**
   * The nearest map point to (x, y, z) among the 27 surrounding voxels, written to `out`
   * (x, y, z); returns the squared distance, or Infinity when none.
   *
   * @remarks
   * The query's own voxel is searched first; a neighbour is then looked up only if its box can
   * hold a nearer point than the best so far (its squared distance from the query is below the
   * best), which skips most of the 26 lookups. The answer is the one of a plain scan of the 27
   * voxels in (a, b, c) order, ties included (an equal distance found in an earlier voxel of that
   * order wins), so results are unchanged, only faster.
   */
  nearest(x: number, y: number, z: number, out: Float64Array): number {
    const inv = this.inv, v = this.o.voxelSize_m;
    const i = Math.floor(x * inv), j = Math.floor(y * inv), k = Math.floor(z * inv);
    // Squared distances from the query to the lower and upper faces of its voxel, per axis.
    const xl = x - i * v, xu = (i + 1) * v - x, yl = y - j * v, yu = (j + 1) * v - y, zl = z - k * v, zu = (k + 1) * v - z;
    const xl2 = xl * xl, xu2 = xu * xu, yl2 = yl * yl, yu2 = yu * yu, zl2 = zl * zl, zu2 = zu * zu;
    let best = Infinity, bestOrder = 27;
    // order = a·9 + b·3 + c over the offsets (a, b, c) ∈ {0, 1, 2}³; the centre (13) first.
    for (let n = -1; n < 27; n++) {
      const order = n < 0 ? 13 : n;
      if (n === 13) continue;
      const a = (order / 9) | 0, b = ((order / 3) | 0) % 3, c = order % 3;
      if (n >= 0) {
        // Floor and the face coordinates round differently: compare with a small margin.
        const box = (a === 0 ? xl2 : a === 2 ? xu2 : 0) + (b === 0 ? yl2 : b === 2 ? yu2 : 0) + (c === 0 ? zl2 : c === 2 ? zu2 : 0);
        if (box - 1e-9 > best) continue;
      }
      const vox = this.get(i + a - 1, j + b - 1, k + c - 1);
      if (vox === undefined) continue;
      for (let p = 0; p < vox.length; p += 3) {
        const ex = vox[p]! - x, ey = vox[p + 1]! - y, ez = vox[p + 2]! - z;
        const d2 = ex * ex + ey * ey + ez * ez;
        if (d2 < best || (d2 === best && order < bestOrder)) {
          best = d2; bestOrder = order; out[0] = vox[p]!; out[1] = vox[p + 1]!; out[2] = vox[p + 2]!;
        }
      }
    }
    return best;
  }

  /**
   * The local surface normal at (x, y, z): PCA of the map points in the voxel holding it and its
   * neighbours within one voxel edge. Writes eigenvalues (ascending) and eigenvectors (columns;
   * column 0 is the normal); false when fewer than 6 points or the patch is not planar (a line).
   */
  localNormal(x: number, y: number, z: number, values: Float64Array, vectors: Float64Array): boolean {
    const inv = this.inv, r2 = this.o.voxelSize_m * this.o.voxelSize_m;
    const i = Math.floor(x * inv), j = Math.floor(y * inv), k = Math.floor(z * inv);
    let n = 0, sx = 0, sy = 0, sz = 0, sxx = 0, sxy = 0, sxz = 0, syy = 0, syz = 0, szz = 0;
    for (let a = i - 1; a <= i + 1; a++) for (let b = j - 1; b <= j + 1; b++) for (let c = k - 1; c <= k + 1; c++) {
      const v = this.get(a, b, c);
      if (!v) continue;
      for (let p = 0; p < v.length; p += 3) {
        const px = v[p]! - x, py = v[p + 1]! - y, pz = v[p + 2]! - z;
        if (px * px + py * py + pz * pz > r2) continue;
        n++; sx += px; sy += py; sz += pz;
        sxx += px * px; sxy += px * py; sxz += px * pz; syy += py * py; syz += py * pz; szz += pz * pz;
      }
    }
    if (n < 6) return false;
    const mx = sx / n, my = sy / n, mz = sz / n;
    const cov = [sxx / n - mx * mx, sxy / n - mx * my, sxz / n - mx * mz, 0, syy / n - my * my, syz / n - my * mz, 0, 0, szz / n - mz * mz];
    cov[3] = cov[1]!; cov[6] = cov[2]!; cov[7] = cov[5]!;
    symmetricEigen3(cov, values, vectors);
    // A plane spreads in two directions: reject lines (one ring of a scan) and blobs.
    return values[1]! > 0.05 * values[2]! && values[0]! < 0.3 * values[1]!;
  }

  /** Every map point, 3 a point (for `/slam/map`), voxels in insertion order. */
  points(): Float32Array {
    const out = new Float32Array(this.pointCount * 3);
    let q = 0;
    for (const v of this.voxels) { out.set(v, q); q += v.length; }
    return out;
  }

  /** The points of voxel (i, j, k), if it holds any. */
  private get(i: number, j: number, k: number): number[] | undefined {
    const t = this.table, mask = t.length - 1, c = this.coords;
    for (let h = slotOf(i, j, k) & mask; ; h = (h + 1) & mask) {
      const e = t[h]!;
      if (e === 0) return undefined;
      const n = (e - 1) * 3;
      if (c[n] === i && c[n + 1] === j && c[n + 2] === k) return this.voxels[e - 1];
    }
  }

  private insert(i: number, j: number, k: number, pts: number[]): void {
    const n = this.voxels.length;
    if ((n + 1) * 2 > this.table.length) this.rehash(this.table.length * 2);
    if ((n + 1) * 3 > this.coords.length) {
      const grown = new Int32Array(this.coords.length * 2);
      grown.set(this.coords);
      this.coords = grown;
    }
    this.coords[n * 3] = i; this.coords[n * 3 + 1] = j; this.coords[n * 3 + 2] = k;
    this.voxels.push(pts);
    this.place(n);
  }

  private place(n: number): void {
    const t = this.table, mask = t.length - 1, c = this.coords;
    let h = slotOf(c[n * 3]!, c[n * 3 + 1]!, c[n * 3 + 2]!) & mask;
    while (t[h] !== 0) h = (h + 1) & mask;
    t[h] = n + 1;
  }

  private rehash(size: number): void {
    this.table = new Int32Array(size);
    for (let n = 0; n < this.voxels.length; n++) this.place(n);
  }
}

/** Hash of voxel (i, j, k) (the classic spatial hash of Teschner et al. 2003). */
function slotOf(i: number, j: number, k: number): number {
  return (Math.imul(i, 73856093) ^ Math.imul(j, 19349663) ^ Math.imul(k, 83492791)) >>> 0;
}

/**
 * Keeps the first point of every voxel of edge `voxelSize_m` (KISS-ICP's downsampling), reading
 * strided points (x,y,z first), writing 3 a point.
 */
export function voxelDownsample(xyz: ArrayLike<number>, voxelSize_m: number, stride = 3): Float64Array {
  const inv = 1 / voxelSize_m;
  const seen = new Set<number>();
  const n = Math.floor(xyz.length / stride);
  const out = new Float64Array(n * 3);
  let q = 0;
  for (let p = 0, j = 0; p < n; p++, j += stride) {
    const x = xyz[j]!, y = xyz[j + 1]!, z = xyz[j + 2]!;
    const key = voxelKey(Math.floor(x * inv), Math.floor(y * inv), Math.floor(z * inv));
    if (seen.has(key)) continue;
    seen.add(key);
    out[q++] = x; out[q++] = y; out[q++] = z;
  }
  return out.slice(0, q);
}
