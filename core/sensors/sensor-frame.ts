/**
 * Sensor → body → local NED → WGS84: where a point a sensor measured lies in the world.
 *
 * @remarks
 * Conventions (the same as `hardware/sensor.port.ts`):
 * - **Body frame**: FRD (x forward, y right, z down), the vehicle's attitude is roll, pitch, yaw
 *   in degrees, yaw from north clockwise, applied Z-Y-X (aerospace): `R_nb = Rz(yaw)·Ry(pitch)·Rx(roll)`
 *   maps body vectors to NED.
 * - **Mount** (`SensorInfo.mount_deg`): roll, pitch, yaw of the sensor relative to the body,
 *   same composition: `R_bm = Rz(yaw)·Ry(pitch)·Rx(roll)` maps the mount frame (FRD-like) to body.
 *   A nadir camera has pitch −90 (its x axis then points down).
 * - **Ouster sensor frame**: x forward (away from the connector), y left, z up (FLU). With a zero
 *   mount the sensor stands upright on the vehicle, x along the vehicle's nose; its frame relates
 *   to the mount frame by `F = diag(1, −1, −1)` (FLU ↔ FRD). So `p_body = R_bm · F · p_sensor`.
 * - Local NED is the tangent plane of `core/geo.ts` at a chosen origin; `down` is relative to the
 *   origin's altitude.
 *
 * Lever arms between the vehicle's reference point and the sensor are taken as zero (small
 * against the accuracy of a GNSS pose).
 */
import { LocalFrame, type GeoPoint } from '../geo.js';

/** Row-major 3×3 rotation. */
export type Mat3 = readonly [number, number, number, number, number, number, number, number, number];

export interface Attitude {
  readonly roll: number;
  readonly pitch: number;
  readonly yaw: number;
}

export interface SensorPoseLike {
  readonly position: GeoPoint;
  readonly attitude_deg: Attitude;
}

const DEG = Math.PI / 180;

/** `Rz(yaw)·Ry(pitch)·Rx(roll)`, angles in degrees. */
export function rotationZYX(a: Attitude): Mat3 {
  const cr = Math.cos(a.roll * DEG), sr = Math.sin(a.roll * DEG);
  const cp = Math.cos(a.pitch * DEG), sp = Math.sin(a.pitch * DEG);
  const cy = Math.cos(a.yaw * DEG), sy = Math.sin(a.yaw * DEG);
  return [
    cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr,
    sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr,
    -sp, cp * sr, cp * cr,
  ];
}

export function mul3(a: Mat3, b: Mat3): Mat3 {
  const r: number[] = [];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) r.push(a[i * 3]! * b[j]! + a[i * 3 + 1]! * b[3 + j]! + a[i * 3 + 2]! * b[6 + j]!);
  return r as unknown as Mat3;
}

export function apply3(m: Mat3, x: number, y: number, z: number): [number, number, number] {
  return [m[0] * x + m[1] * y + m[2] * z, m[3] * x + m[4] * y + m[5] * z, m[6] * x + m[7] * y + m[8] * z];
}

/** FLU (Ouster sensor) ↔ FRD. */
const FLU_TO_FRD: Mat3 = [1, 0, 0, 0, -1, 0, 0, 0, -1];

/** Rotation taking Ouster sensor-frame (FLU) vectors into the body frame (FRD). */
export function sensorToBody(mount_deg: Attitude = { roll: 0, pitch: 0, yaw: 0 }): Mat3 {
  return mul3(rotationZYX(mount_deg), FLU_TO_FRD);
}

/** Rotation taking body (FRD) vectors into NED. */
export function bodyToNed(attitude_deg: Attitude): Mat3 {
  return rotationZYX(attitude_deg);
}

/**
 * Sensor-frame points of one pose, into the world. Build one per scan (or per packet when the
 * vehicle moves fast), then map points with {@link toNed} / {@link toGeo}.
 *
 * @example
 * const t = new SensorFrameTransform(scan.pose, info.mount_deg, new LocalFrame(home));
 * const [n, e, d] = t.toNed(x, y, z); // metres from home
 */
export class SensorFrameTransform {
  /** Sensor (FLU) → NED rotation. */
  readonly rotation: Mat3;
  /** The sensor's position in the local frame, metres. */
  readonly origin_ned: readonly [number, number, number];
  readonly frame: LocalFrame;

  constructor(pose: SensorPoseLike, mount_deg: Attitude | undefined, frame: LocalFrame = new LocalFrame(pose.position)) {
    this.frame = frame;
    this.rotation = mul3(bodyToNed(pose.attitude_deg), sensorToBody(mount_deg));
    const o = frame.toNed(pose.position);
    this.origin_ned = [o.north_m, o.east_m, o.down_m];
  }

  /** A sensor-frame point (m) → local NED (m from the frame's origin). */
  toNed(x: number, y: number, z: number): [number, number, number] {
    const [n, e, d] = apply3(this.rotation, x, y, z);
    return [n + this.origin_ned[0], e + this.origin_ned[1], d + this.origin_ned[2]];
  }

  /** A sensor-frame point (m) → WGS84. */
  toGeo(x: number, y: number, z: number): GeoPoint {
    const [n, e, d] = this.toNed(x, y, z);
    return this.frame.toGeo({ north_m: n, east_m: e, down_m: d });
  }

  /**
   * Many points at once: `xyz` strided (`stride` floats a point, x,y,z first — 4 for a scan
   * blob), out = n,e,d per point (Float64Array, 3 a point).
   */
  pointsToNed(xyz: Float32Array, stride = 4, out?: Float64Array): Float64Array {
    const count = Math.floor(xyz.length / stride);
    const res = out && out.length >= count * 3 ? out : new Float64Array(count * 3);
    const m = this.rotation;
    const [on, oe, od] = this.origin_ned;
    for (let i = 0, j = 0, k = 0; i < count; i++, j += stride, k += 3) {
      const x = xyz[j]!, y = xyz[j + 1]!, z = xyz[j + 2]!;
      res[k] = m[0] * x + m[1] * y + m[2] * z + on;
      res[k + 1] = m[3] * x + m[4] * y + m[5] * z + oe;
      res[k + 2] = m[6] * x + m[7] * y + m[8] * z + od;
    }
    return res;
  }
}
