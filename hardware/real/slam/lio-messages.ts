/**
 * A LIO's ROS 1 messages → plain values in SI units, validated (zod at the edge): nav_msgs/Odometry
 * and the registered sensor_msgs/PointCloud2. Pure.
 *
 * @remarks
 * Every refusal is a result with a dotted code and the offending field:
 * - `LIO.BAD_MESSAGE`: not the message's shape (a missing or mistyped field);
 * - `LIO.NON_FINITE`: NaN or ±∞ in a pose or twist;
 * - `LIO.BAD_QUATERNION`: the orientation's norm is off by more than {@link QUATERNION_TOLERANCE}
 *   (smaller errors, float32 rounding, are normalised);
 * - `LIO.BAD_CLOUD`: a PointCloud2 whose layout cannot be read (no float x, y, z fields, fields
 *   outside the point, `row_step`/`data` too short for `width × height`, an organised cloud's
 *   rows inconsistent).
 * Stamps accept ROS 1's `{sec, nsec}` and genpy's `{secs, nsecs}`.
 */
import { z } from 'zod';
import { fail, ok, type Result } from '../../../core/result.js';
import type { Ros1Odometry, Ros1PointCloud2 } from './lio-source.js';

export type LioMessageErrorCode = 'LIO.BAD_MESSAGE' | 'LIO.NON_FINITE' | 'LIO.BAD_QUATERNION' | 'LIO.BAD_CLOUD';

/** Largest |‖q‖ − 1| normalised silently; beyond it the message is refused. */
export const QUATERNION_TOLERANCE = 1e-3;

// NaN and ±∞ are numbers here: refused below as LIO.NON_FINITE with their field, not as a shape error.
const num = z.custom<number>((v) => typeof v === 'number', { message: 'expected a number' });
const Time = z
  .object({ sec: num.optional(), nsec: num.optional(), secs: num.optional(), nsecs: num.optional() })
  .refine((t) => (t.sec ?? t.secs) !== undefined, { message: 'stamp has no sec' });
const Header = z.object({ stamp: Time, frame_id: z.string().max(256) });
const Vec3 = z.object({ x: num, y: num, z: num });
const Quat = z.object({ x: num, y: num, z: num, w: num });
const Covariance = z.union([z.array(num), z.instanceof(Float64Array)]).optional();
const Odometry = z.object({
  header: Header,
  child_frame_id: z.string().max(256),
  pose: z.object({ pose: z.object({ position: Vec3, orientation: Quat }), covariance: Covariance }),
  twist: z.object({ twist: z.object({ linear: Vec3, angular: Vec3 }), covariance: Covariance }),
});
const Field = z.object({ name: z.string(), offset: z.number().int().min(0), datatype: z.number().int(), count: z.number().int().min(0) });
const Cloud = z.object({
  header: Header,
  height: z.number().int().min(0),
  width: z.number().int().min(0),
  fields: z.array(Field).max(64),
  is_bigendian: z.boolean(),
  point_step: z.number().int().min(1),
  row_step: z.number().int().min(0),
  data: z.instanceof(Uint8Array),
  is_dense: z.boolean().optional(),
});

/** A validated odometry sample. Vectors are [x, y, z]; orientation w, x, y, z (unit). */
export interface LioOdometry {
  /** Header stamp, ms (the LIO's time base). */
  readonly stamp_ms: number;
  readonly frame_id: string;
  readonly child_frame_id: string;
  readonly position_m: [number, number, number];
  readonly orientation: [number, number, number, number];
  /** Twist in the child frame. */
  readonly linear_mps: [number, number, number];
  readonly angular_radps: [number, number, number];
  /** √ of the largest position variance, m, when the LIO fills the covariance (first element ≥ 0). */
  readonly position_std_m?: number;
}

export interface LioCloud {
  readonly stamp_ms: number;
  readonly frame_id: string;
  /** x, y, z per point (points with a non-finite coordinate dropped), in `frame_id`, m. */
  readonly xyz: Float32Array;
}

const stampMs = (t: z.infer<typeof Time>) => (t.sec ?? t.secs ?? 0) * 1000 + (t.nsec ?? t.nsecs ?? 0) / 1e6;
const where = (e: z.ZodError) => `${e.issues[0]?.path.join('.') || '(root)'}: ${e.issues[0]?.message}`;

/** nav_msgs/Odometry → {@link LioOdometry}, or why not. */
export function parseOdometry(msg: Ros1Odometry | unknown): Result<LioOdometry, LioMessageErrorCode> {
  const r = Odometry.safeParse(msg);
  if (!r.success) return fail('LIO.BAD_MESSAGE', `nav_msgs/Odometry ${where(r.error)}`);
  const m = r.data;
  const { position: p, orientation: o } = m.pose.pose;
  const { linear: v, angular: w } = m.twist.twist;
  const named: [string, number][] = [
    ['pose.pose.position.x', p.x], ['pose.pose.position.y', p.y], ['pose.pose.position.z', p.z],
    ['pose.pose.orientation.x', o.x], ['pose.pose.orientation.y', o.y], ['pose.pose.orientation.z', o.z], ['pose.pose.orientation.w', o.w],
    ['twist.twist.linear.x', v.x], ['twist.twist.linear.y', v.y], ['twist.twist.linear.z', v.z],
    ['twist.twist.angular.x', w.x], ['twist.twist.angular.y', w.y], ['twist.twist.angular.z', w.z],
  ];
  for (const [name, value] of named) if (!Number.isFinite(value)) return fail('LIO.NON_FINITE', `nav_msgs/Odometry ${name} is ${value}`);
  const stamp = stampMs(m.header.stamp);
  if (!Number.isFinite(stamp) || stamp < 0) return fail('LIO.NON_FINITE', `nav_msgs/Odometry header.stamp is ${stamp} ms`);
  const n = Math.hypot(o.w, o.x, o.y, o.z);
  if (Math.abs(n - 1) > QUATERNION_TOLERANCE) return fail('LIO.BAD_QUATERNION', `nav_msgs/Odometry pose.pose.orientation has norm ${n.toPrecision(6)}, not 1`);
  const s = o.w < 0 ? -1 / n : 1 / n;
  const cov = m.pose.covariance;
  let position_std_m: number | undefined;
  if (cov && cov.length === 36 && cov[0]! >= 0) {
    const worst = Math.max(cov[0]!, cov[7]!, cov[14]!);
    if (Number.isFinite(worst) && worst > 0) position_std_m = Math.sqrt(worst);
  }
  return ok({
    stamp_ms: stamp,
    frame_id: m.header.frame_id,
    child_frame_id: m.child_frame_id,
    position_m: [p.x, p.y, p.z],
    orientation: [o.w * s, o.x * s, o.y * s, o.z * s],
    linear_mps: [v.x, v.y, v.z],
    angular_radps: [w.x, w.y, w.z],
    ...(position_std_m !== undefined ? { position_std_m } : {}),
  });
}

const FLOAT32 = 7;
const FLOAT64 = 8;

/** sensor_msgs/PointCloud2 → x, y, z float32 (any point_step, float32 or float64 fields, either byte order), or why not. */
export function parseCloud(msg: Ros1PointCloud2 | unknown, maxPoints = 2_000_000): Result<LioCloud, LioMessageErrorCode> {
  const r = Cloud.safeParse(msg);
  if (!r.success) return fail('LIO.BAD_MESSAGE', `sensor_msgs/PointCloud2 ${where(r.error)}`);
  const c = r.data;
  const stamp = stampMs(c.header.stamp);
  if (!Number.isFinite(stamp) || stamp < 0) return fail('LIO.NON_FINITE', `sensor_msgs/PointCloud2 header.stamp is ${stamp} ms`);
  const bad = (why: string) => fail('LIO.BAD_CLOUD', `sensor_msgs/PointCloud2 ${why}`);
  const axes = (['x', 'y', 'z'] as const).map((name) => c.fields.find((f) => f.name === name));
  const missing = ['x', 'y', 'z'].filter((_, i) => !axes[i]);
  if (missing.length) return bad(`has no field ${missing.join(', ')}`);
  for (const f of axes as z.infer<typeof Field>[]) {
    if (f.datatype !== FLOAT32 && f.datatype !== FLOAT64) return bad(`field ${f.name} has datatype ${f.datatype} (FLOAT32 7 or FLOAT64 8 expected)`);
    if (f.count !== 1) return bad(`field ${f.name} has count ${f.count} (1 expected)`);
    const size = f.datatype === FLOAT32 ? 4 : 8;
    if (f.offset + size > c.point_step) return bad(`field ${f.name} (offset ${f.offset}, ${size} bytes) lies outside point_step ${c.point_step}`);
  }
  const n = c.width * c.height;
  if (n > maxPoints) return bad(`has ${n} points (at most ${maxPoints})`);
  if (c.row_step < c.width * c.point_step) return bad(`row_step ${c.row_step} < width ${c.width} × point_step ${c.point_step}`);
  const needed = c.height === 0 || c.width === 0 ? 0 : c.row_step * (c.height - 1) + c.width * c.point_step;
  if (c.data.byteLength < needed) return bad(`data has ${c.data.byteLength} bytes, fewer than the ${needed} that height ${c.height} × row_step ${c.row_step} need`);
  const dv = new DataView(c.data.buffer, c.data.byteOffset, c.data.byteLength);
  const le = !c.is_bigendian;
  const [fx, fy, fz] = axes as z.infer<typeof Field>[];
  const read = (f: z.infer<typeof Field>, at: number) => (f.datatype === FLOAT32 ? dv.getFloat32(at + f.offset, le) : dv.getFloat64(at + f.offset, le));
  const xyz = new Float32Array(n * 3);
  let k = 0;
  for (let row = 0; row < c.height; row++)
    for (let col = 0; col < c.width; col++) {
      const at = row * c.row_step + col * c.point_step;
      const x = read(fx!, at), y = read(fy!, at), zz = read(fz!, at);
      if (!Number.isFinite(x) || !Number.isFinite(y) || !Number.isFinite(zz)) continue; // no return (is_dense false)
      xyz[k++] = x;
      xyz[k++] = y;
      xyz[k++] = zz;
    }
  return ok({ stamp_ms: stamp, frame_id: c.header.frame_id, xyz: k === xyz.length ? xyz : xyz.slice(0, k) });
}
