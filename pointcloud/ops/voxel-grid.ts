/**
 * Voxel-grid downsampling with pcl::VoxelGrid's semantics (PCL 1.13, voxel_grid.hpp):
 * - inverse leaf = 1/leaf in float32; bounds (min_p, max_p) over the finite points;
 * - if ((max−min)·inv + 1) per axis multiplies past INT32_MAX, PCL warns "Integer indices would
 *   overflow" and returns the input unchanged: so do we (`overflow: true`);
 * - min_b = floor(min_p · inv), div_b = max_b − min_b + 1, voxel index
 *   idx = i + j·div_b[0] + k·div_b[0]·div_b[1] with i = int(floor(x · inv) − min_b[0]) in float32;
 * - one output point per occupied voxel with ≥ minPointsPerVoxel points (PCL default 0: all),
 *   at the centroid of its points, voxels in increasing idx order (PCL sorts by idx);
 * - non-finite points are dropped; other fields are averaged (downsample_all_data).
 * Centroids accumulate in float64 (PCL: float32 in unspecified order), so coordinates agree with
 * PCL to float rounding and the output count and order exactly.
 * Where PCL sorts (idx, point) pairs, this hashes idx → voxel (open addressing) in one pass and
 * sorts only the occupied voxel keys.
 */
import { fail, ok, type Result } from '../../core/result.js';
import { allocScalar, makeCloud, type PointCloud, type PointField } from '../point-cloud.js';

export interface VoxelGridOptions {
  /** Leaf edge, metres: a number or [x, y, z]. */
  readonly leaf: number | readonly [number, number, number];
  /** Voxels with fewer points are dropped (pcl setMinimumPointsNumberPerVoxel). Default 0. */
  readonly minPointsPerVoxel?: number;
}
export interface VoxelGridResult {
  readonly cloud: PointCloud;
  /** True when the grid would overflow int32 indices and the input was returned unchanged (as PCL). */
  readonly overflow: boolean;
}

const fr = Math.fround;

export function voxelGrid(c: PointCloud, opts: VoxelGridOptions): Result<VoxelGridResult, 'VOXEL.BAD_LEAF'> {
  const leaf = typeof opts.leaf === 'number' ? [opts.leaf, opts.leaf, opts.leaf] : opts.leaf;
  if (!leaf.every((l) => Number.isFinite(l) && l > 0)) return fail('VOXEL.BAD_LEAF', `leaf size must be finite and > 0, got ${leaf.join(',')}`);
  const ix = fr(1 / fr(leaf[0]!)), iy = fr(1 / fr(leaf[1]!)), iz = fr(1 / fr(leaf[2]!));
  const n = c.length, X = c.x, Y = c.y, Z = c.z;
  let x0 = Infinity, y0 = Infinity, z0 = Infinity, x1 = -Infinity, y1 = -Infinity, z1 = -Infinity;
  for (let i = 0; i < n; i++) {
    const a = X[i]!, b = Y[i]!, d = Z[i]!;
    if (a - a !== 0 || b - b !== 0 || d - d !== 0) continue; // NaN or ±Inf
    if (a < x0) x0 = a; if (a > x1) x1 = a;
    if (b < y0) y0 = b; if (b > y1) y1 = b;
    if (d < z0) z0 = d; if (d > z1) z1 = d;
  }
  if (x0 === Infinity) return ok({ cloud: makeCloud(new Float32Array(0), new Float32Array(0), new Float32Array(0), emptyFields(c), c.origin), overflow: false });
  const dx = Math.trunc(fr(fr(x1 - x0) * ix)) + 1, dy = Math.trunc(fr(fr(y1 - y0) * iy)) + 1, dz = Math.trunc(fr(fr(z1 - z0) * iz)) + 1;
  if (dx * dy * dz > 2147483647) return ok({ cloud: c, overflow: true });
  const minbx = Math.floor(fr(x0 * ix)), minby = Math.floor(fr(y0 * iy)), minbz = Math.floor(fr(z0 * iz));
  const divx = Math.floor(fr(x1 * ix)) - minbx + 1, divy = Math.floor(fr(y1 * iy)) - minby + 1;
  const mulY = divx, mulZ = Math.imul(divx, divy);

  // Open-addressing hash idx → voxel id (first-seen order), grown at half load. Key and id sit side
  // by side (kv[2h], kv[2h+1]) and each voxel's sums and count in one 32-byte record (acc[4id..]),
  // so a point costs about two cache lines.
  let cap = 1 << 12;
  while (cap < n >> 1 && cap < 1 << 27) cap <<= 1;
  let kv = new Int32Array(2 * cap).fill(-1);
  let shift = 32 - Math.log2(cap);
  let vcap = Math.max(1 << 12, n >> 2);
  let acc = new Float64Array(4 * vcap);
  let vkey = new Int32Array(vcap);
  let m = 0;
  const hasFields = Object.keys(c.fields).length > 0;
  const voxelOf = hasFields ? new Int32Array(n).fill(-1) : undefined;
  let lastKey = -1, lastId = -1;
  for (let i = 0; i < n; i++) {
    const a = X[i]!, b = Y[i]!, d = Z[i]!;
    if (a - a !== 0 || b - b !== 0 || d - d !== 0) continue;
    const key = (fr(Math.floor(fr(a * ix)) - minbx) + fr(Math.floor(fr(b * iy)) - minby) * mulY + fr(Math.floor(fr(d * iz)) - minbz) * mulZ) | 0;
    let id: number;
    if (key === lastKey) id = lastId;
    else {
      let h = slotOf(key, shift);
      for (;;) {
        const k = kv[2 * h]!;
        if (k === key) { id = kv[2 * h + 1]!; break; }
        if (k === -1) {
          id = m++;
          kv[2 * h] = key; kv[2 * h + 1] = id;
          if (id >= vcap) { vcap <<= 1; acc = grow(acc, 4 * vcap); vkey = growI(vkey, vcap); }
          vkey[id] = key;
          if (m > cap >> 1) {
            cap <<= 1; shift--;
            kv = new Int32Array(2 * cap).fill(-1);
            for (let v = 0; v < m; v++) {
              let g = slotOf(vkey[v]!, shift);
              while (kv[2 * g] !== -1) g = (g + 1) & (cap - 1);
              kv[2 * g] = vkey[v]!; kv[2 * g + 1] = v;
            }
          }
          break;
        }
        h = (h + 1) & (cap - 1);
      }
      lastKey = key; lastId = id;
    }
    const o = 4 * id;
    acc[o] = acc[o]! + a; acc[o + 1] = acc[o + 1]! + b; acc[o + 2] = acc[o + 2]! + d; acc[o + 3] = acc[o + 3]! + 1;
    if (voxelOf) voxelOf[i] = id;
  }
  // PCL's output order: increasing voxel index. Radix-sort the occupied voxels' ids by key.
  const minPts = opts.minPointsPerVoxel ?? 0;
  const byKey = radixSortIdsByKey(vkey, m);
  const order = new Int32Array(m);
  let out = 0;
  for (let s = 0; s < m; s++) {
    const id = byKey[s]!;
    if (acc[4 * id + 3]! >= minPts) order[out++] = id;
  }
  const ox = new Float32Array(out), oy = new Float32Array(out), oz = new Float32Array(out);
  const slot = hasFields ? new Int32Array(m).fill(-1) : undefined;
  for (let s = 0; s < out; s++) {
    const o = 4 * order[s]!, k = acc[o + 3]!;
    ox[s] = acc[o]! / k; oy[s] = acc[o + 1]! / k; oz[s] = acc[o + 2]! / k;
    if (slot) slot[order[s]!] = s;
  }
  const fields: Record<string, PointField> = {};
  if (hasFields) {
    for (const [name, f] of Object.entries(c.fields)) {
      const sum = new Float64Array(out * f.count);
      for (let i = 0; i < n; i++) {
        const v = voxelOf![i]!;
        if (v < 0) continue;
        const s = slot![v]!;
        if (s < 0) continue;
        for (let q = 0; q < f.count; q++) sum[s * f.count + q] = sum[s * f.count + q]! + f.data[i * f.count + q]!;
      }
      const data = allocScalar(f.type, out * f.count);
      const isInt = !f.type.startsWith('float');
      for (let s = 0; s < out; s++) {
        const k = acc[4 * order[s]! + 3]!;
        for (let q = 0; q < f.count; q++) { const v = sum[s * f.count + q]! / k; data[s * f.count + q] = isInt ? Math.round(v) : v; }
      }
      fields[name] = { type: f.type, count: f.count, data };
    }
  }
  return ok({ cloud: makeCloud(ox, oy, oz, fields, c.origin), overflow: false });
}

/** Ids 0..m−1 ordered by vkey[id] ascending (keys are non-negative int32): LSD radix on (key, id) pairs, 11-bit digits. */
function radixSortIdsByKey(vkey: Int32Array, m: number): Int32Array {
  let keys = vkey.slice(0, m), ids = new Int32Array(m);
  let tk = new Int32Array(m), ti = new Int32Array(m);
  for (let i = 0; i < m; i++) ids[i] = i;
  const count = new Int32Array(2048);
  for (let shift = 0; shift < 33; shift += 11) {
    count.fill(0);
    for (let i = 0; i < m; i++) { const d = (keys[i]! >>> shift) & 2047; count[d] = count[d]! + 1; }
    let sum = 0;
    for (let d = 0; d < 2048; d++) { const c = count[d]!; count[d] = sum; sum += c; }
    for (let i = 0; i < m; i++) {
      const k = keys[i]!, d = (k >>> shift) & 2047, at = count[d]!;
      count[d] = at + 1; tk[at] = k; ti[at] = ids[i]!;
    }
    let t = keys; keys = tk; tk = t;
    t = ids; ids = ti; ti = t;
  }
  return ids;
}

/**
 * Hash slot of a voxel index: Fibonacci hashing of idx >> 3, keeping idx's low 3 bits, so the 8
 * voxels of a run along x share one 64-byte line of the table (scan lines walk along x).
 */
function slotOf(key: number, shift: number): number {
  return ((Math.imul(key >> 3, 0x9e3779b1) >>> shift) & ~7) | (key & 7);
}

function grow(a: Float64Array<ArrayBuffer>, n: number): Float64Array<ArrayBuffer> { const b = new Float64Array(n); b.set(a); return b; }
function growI(a: Int32Array<ArrayBuffer>, n: number): Int32Array<ArrayBuffer> { const b = new Int32Array(n); b.set(a); return b; }
function emptyFields(c: PointCloud): Record<string, PointField> {
  const o: Record<string, PointField> = {};
  for (const [k, f] of Object.entries(c.fields)) o[k] = { type: f.type, count: f.count, data: allocScalar(f.type, 0) };
  return o;
}
