/**
 * KISS-ICP's local map: a voxel hash (voxel size v, m) holding at most `maxPointsPerVoxel` world
 * points per voxel, pruned to `maxRange_m` around the sensor, searched for the nearest neighbour
 * in the 27 voxels around a query.
 *
 * @remarks
 * Voxel keys pack three 17-bit signed indices into one safe integer (±65 536 voxels a side, so
 * ±65 km at 1 m voxels). A voxel is a plain number array of x,y,z triples: adding stops once it is
 * full, which keeps the map's density bounded as in the paper (§III-C).
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
  private readonly voxels = new Map<number, number[]>();
  private readonly inv: number;
  constructor(readonly o: VoxelHashMapOptions) {
    this.inv = 1 / o.voxelSize_m;
  }

  get voxelCount(): number {
    return this.voxels.size;
  }

  get pointCount(): number {
    let n = 0;
    for (const v of this.voxels.values()) n += v.length / 3;
    return n;
  }

  clear(): void {
    this.voxels.clear();
  }

  /** Adds world points (3 a point). */
  add(xyz: ArrayLike<number>): void {
    const cap = this.o.maxPointsPerVoxel * 3, inv = this.inv;
    for (let p = 0; p + 2 < xyz.length; p += 3) {
      const x = xyz[p]!, y = xyz[p + 1]!, z = xyz[p + 2]!;
      const key = voxelKey(Math.floor(x * inv), Math.floor(y * inv), Math.floor(z * inv));
      const v = this.voxels.get(key);
      if (!v) this.voxels.set(key, [x, y, z]);
      else if (v.length < cap) v.push(x, y, z);
    }
  }

  /** Drops voxels whose first point lies farther than maxRange from (x, y, z). */
  removeFarFrom(x: number, y: number, z: number): void {
    const r2 = this.o.maxRange_m * this.o.maxRange_m;
    for (const [key, v] of this.voxels) {
      const dx = v[0]! - x, dy = v[1]! - y, dz = v[2]! - z;
      if (dx * dx + dy * dy + dz * dz > r2) this.voxels.delete(key);
    }
  }

  /**
   * The nearest map point to (x, y, z) among the 27 surrounding voxels, written to `out`
   * (x, y, z); returns the squared distance, or Infinity when none.
   */
  nearest(x: number, y: number, z: number, out: Float64Array): number {
    const inv = this.inv;
    const i = Math.floor(x * inv), j = Math.floor(y * inv), k = Math.floor(z * inv);
    let best = Infinity;
    for (let a = i - 1; a <= i + 1; a++) {
      for (let b = j - 1; b <= j + 1; b++) {
        for (let c = k - 1; c <= k + 1; c++) {
          const v = this.voxels.get(voxelKey(a, b, c));
          if (!v) continue;
          for (let p = 0; p < v.length; p += 3) {
            const dx = v[p]! - x, dy = v[p + 1]! - y, dz = v[p + 2]! - z;
            const d2 = dx * dx + dy * dy + dz * dz;
            if (d2 < best) { best = d2; out[0] = v[p]!; out[1] = v[p + 1]!; out[2] = v[p + 2]!; }
          }
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
      const v = this.voxels.get(voxelKey(a, b, c));
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

  /** Every map point, 3 a point (for `/slam/map`). */
  points(): Float32Array {
    const out = new Float32Array(this.pointCount * 3);
    let q = 0;
    for (const v of this.voxels.values()) { out.set(v, q); q += v.length; }
    return out;
  }
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
