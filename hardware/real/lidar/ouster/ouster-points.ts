/**
 * An assembled frame → a point cloud: x, y, z, intensity as float32, sensor frame, metres — the
 * PointCloud2 layout the `ScanRef` blob carries (16 bytes a point, little-endian, unorganised).
 */
import type { OusterFrame } from './ouster-scan-assembler.js';
import type { XyzLut } from './ouster-xyz-lut.js';

/** Bytes per point in a scan blob. */
export const POINT_STRIDE_BYTES = 16;

export interface PointFilter {
  /** Returns nearer than this are dropped, m (default 0: keep all). */
  readonly min_range_m?: number;
  /** Returns farther than this are dropped, m (default: keep all). */
  readonly max_range_m?: number;
  /**
   * Which field becomes intensity: `signal` (photon counts, as ouster-ros does) or
   * `reflectivity` (use it for RNG15, which carries no signal field). Default `signal`.
   */
  readonly intensity?: 'signal' | 'reflectivity';
}

/**
 * Converts every pixel with a return (range > 0, inside the filter) into a point.
 * `out` is reused when large enough; the returned array is a view of exactly `4 × count` floats.
 */
export function frameToPoints(lut: XyzLut, frame: OusterFrame, filter: PointFilter = {}, out?: Float32Array): Float32Array {
  const n = frame.w * frame.h;
  const buf = out && out.length >= n * 4 ? out : new Float32Array(n * 4);
  const range = frame.range_mm;
  const inten = filter.intensity === 'reflectivity' ? frame.reflectivity : frame.signal;
  const dir = lut.direction, off = lut.offset;
  const lo = Math.max(1, Math.round((filter.min_range_m ?? 0) * 1000));
  const hi = filter.max_range_m === undefined ? 0xffffffff : Math.round(filter.max_range_m * 1000);
  let q = 0;
  for (let k = 0, j = 0; k < n; k++, j += 3) {
    const r = range[k]!;
    if (r < lo || r > hi) continue;
    buf[q] = r * dir[j]! + off[j]!;
    buf[q + 1] = r * dir[j + 1]! + off[j + 1]!;
    buf[q + 2] = r * dir[j + 2]! + off[j + 2]!;
    buf[q + 3] = inten[k]!;
    q += 4;
  }
  return buf.subarray(0, q);
}
