/**
 * Range → XYZ with the documented beam geometry (Ouster firmware user manual, "Lidar Range to
 * XYZ"; ouster-sdk `make_xyz_lut`), precomputed once per metadata so a point costs three
 * multiply-adds.
 *
 * For measurement id `m` of `w` and beam `i`:
 * ```
 *  θ_e = 2π (1 − m / w)            encoder angle
 *  θ_a = −2π · beam_azimuth[i] / 360
 *  φ   =  2π · beam_altitude[i] / 360
 *  n   = lidar_origin_to_beam_origin_mm
 *  x = (r − n) cos(θ_e + θ_a) cos φ + n cos θ_e
 *  y = (r − n) sin(θ_e + θ_a) cos φ + n sin θ_e
 *  z = (r − n) sin φ  (+ beam z offset)
 * ```
 * then `lidar_to_sensor_transform` (rotation, translation in mm) and mm → m. The result is in
 * the Ouster *sensor* frame: x forward (the connector at the back), y left, z up, metres.
 *
 * Tables are indexed column-major, `m · h + i`, the order packets deliver pixels in.
 */
import type { OusterSensorInfo } from './ouster-metadata.js';

export interface XyzLut {
  readonly w: number;
  readonly h: number;
  /** Per pixel (m·h + i): direction × 0.001 (m per mm of range), x,y,z interleaved. */
  readonly direction: Float32Array;
  /** Per pixel: offset in m, x,y,z interleaved (added only where range > 0). */
  readonly offset: Float32Array;
}

/** Builds the lookup table for a metadata. */
export function makeXyzLut(info: OusterSensorInfo): XyzLut {
  const w = info.columns_per_frame;
  const h = info.pixels_per_column;
  const n = info.lidar_origin_to_beam_origin_mm;
  const zb = info.beam_z_offset_mm;
  const T = info.lidar_to_sensor_transform;
  const direction = new Float32Array(w * h * 3);
  const offset = new Float32Array(w * h * 3);
  const r00 = T[0]!, r01 = T[1]!, r02 = T[2]!, tx = T[3]!;
  const r10 = T[4]!, r11 = T[5]!, r12 = T[6]!, ty = T[7]!;
  const r20 = T[8]!, r21 = T[9]!, r22 = T[10]!, tz = T[11]!;
  for (let m = 0; m < w; m++) {
    const enc = 2 * Math.PI * (1 - m / w);
    const ce = Math.cos(enc), se = Math.sin(enc);
    for (let i = 0; i < h; i++) {
      const az = (-2 * Math.PI * info.beam_azimuth_angles[i]!) / 360;
      const alt = (2 * Math.PI * info.beam_altitude_angles[i]!) / 360;
      const dx = Math.cos(enc + az) * Math.cos(alt);
      const dy = Math.sin(enc + az) * Math.cos(alt);
      const dz = Math.sin(alt);
      const ox = n * (ce - dx), oy = n * (se - dy), oz = -n * dz + zb;
      const k = (m * h + i) * 3;
      direction[k] = (r00 * dx + r01 * dy + r02 * dz) * 0.001;
      direction[k + 1] = (r10 * dx + r11 * dy + r12 * dz) * 0.001;
      direction[k + 2] = (r20 * dx + r21 * dy + r22 * dz) * 0.001;
      offset[k] = (r00 * ox + r01 * oy + r02 * oz + tx) * 0.001;
      offset[k + 1] = (r10 * ox + r11 * oy + r12 * oz + ty) * 0.001;
      offset[k + 2] = (r20 * ox + r21 * oy + r22 * oz + tz) * 0.001;
    }
  }
  return { w, h, direction, offset };
}

/**
 * Where beam `i` of column `m` starts and which way it points, in the sensor frame (metres,
 * unit vector). The simulator casts its rays from here, so `range = n + distance`.
 */
export function beamRay(info: OusterSensorInfo, m: number, i: number): { origin: [number, number, number]; dir: [number, number, number] } {
  const w = info.columns_per_frame;
  const n = info.lidar_origin_to_beam_origin_mm;
  const T = info.lidar_to_sensor_transform;
  const enc = 2 * Math.PI * (1 - m / w);
  const az = (-2 * Math.PI * info.beam_azimuth_angles[i]!) / 360;
  const alt = (2 * Math.PI * info.beam_altitude_angles[i]!) / 360;
  const d = [Math.cos(enc + az) * Math.cos(alt), Math.sin(enc + az) * Math.cos(alt), Math.sin(alt)];
  const o = [n * Math.cos(enc), n * Math.sin(enc), info.beam_z_offset_mm];
  const rot = (v: number[], r: number): number => T[r * 4]! * v[0]! + T[r * 4 + 1]! * v[1]! + T[r * 4 + 2]! * v[2]!;
  return {
    origin: [(rot(o, 0) + T[3]!) * 0.001, (rot(o, 1) + T[7]!) * 0.001, (rot(o, 2) + T[11]!) * 0.001],
    dir: [rot(d, 0), rot(d, 1), rot(d, 2)],
  };
}

/**
 * Destaggers a column-major field (`m·h + i`, as packets deliver it) into a row-major image
 * (`i·w + v`) in which each column is one azimuth: row `i` is rolled by `pixel_shift_by_row[i]`
 * (ouster-sdk `destagger`).
 */
export function destagger<T extends Uint8Array | Uint16Array | Uint32Array | Float32Array>(info: OusterSensorInfo, field: T): T {
  const w = info.columns_per_frame;
  const h = info.pixels_per_column;
  const out = new (field.constructor as new (n: number) => T)(w * h);
  for (let i = 0; i < h; i++) {
    const s = ((info.pixel_shift_by_row[i]! % w) + w) % w;
    for (let m = 0; m < w; m++) {
      let v = m + s;
      if (v >= w) v -= w;
      out[i * w + v] = field[m * h + i]!;
    }
  }
  return out;
}
