/**
 * An assembled Ouster frame → the odometry's scan: sensor-frame points (x, y, z, m) of every
 * pixel with a return, each with its acquisition time normalised over the frame (for de-skewing),
 * and the frame's middle time on the clock — the instant the registered pose refers to.
 */
import type { OusterFrame } from '../../real/lidar/ouster/ouster-scan-assembler.js';
import type { XyzLut } from '../../real/lidar/ouster/ouster-xyz-lut.js';

export interface SlamScan {
  /** x, y, z per point, sensor frame (FLU), m. */
  readonly points: Float32Array;
  /** Per point, 0 (first column's time) … 1 (last column's). */
  readonly times: Float32Array;
  /** Clock time of the frame's middle, ms. */
  readonly t_mid_ms: number;
}

/** Converts a frame; pixels nearer than `minRange_m` (the airframe) are dropped. */
export function frameToSlamScan(lut: XyzLut, frame: OusterFrame, minRange_m = 0.5): SlamScan {
  const { w, h } = frame;
  let t0 = Infinity, t1 = -Infinity;
  for (let m = 0; m < w; m++) {
    if (!frame.valid[m]) continue;
    const t = frame.timestamp_ns[m]!;
    if (t < t0) t0 = t;
    if (t > t1) t1 = t;
  }
  const span = t1 > t0 ? t1 - t0 : 1;
  const points = new Float32Array(w * h * 3), times = new Float32Array(w * h);
  const dir = lut.direction, off = lut.offset;
  const lo = Math.max(1, Math.round(minRange_m * 1000));
  let q = 0;
  for (let m = 0; m < w; m++) {
    if (!frame.valid[m]) continue;
    const tn = (frame.timestamp_ns[m]! - t0) / span;
    for (let i = 0; i < h; i++) {
      const k = m * h + i, r = frame.range_mm[k]!;
      if (r < lo) continue;
      const j = k * 3;
      points[q * 3] = r * dir[j]! + off[j]!;
      points[q * 3 + 1] = r * dir[j + 1]! + off[j + 1]!;
      points[q * 3 + 2] = r * dir[j + 2]! + off[j + 2]!;
      times[q++] = tn;
    }
  }
  return { points: points.slice(0, q * 3), times: times.slice(0, q), t_mid_ms: Number.isFinite(t0) ? (t0 + t1) / 2 / 1e6 : NaN };
}
