/**
 * ROS → twin: messages from drivers on a ROS graph (a LiDAR's sensor_msgs/PointCloud2, a
 * camera's sensor_msgs/Image or CompressedImage, a LIO's nav_msgs/Odometry) validated with zod
 * and turned into what the twin's ports store and emit.
 *
 * @remarks
 * Pure (the PNG encoding of raw images included). Accepts both spellings of time (`{sec, nsec}`,
 * `{sec, nanosec}`, and genpy's `{secs, nsecs}`). A message that does not match its type, or whose
 * sizes contradict each other (a `row_step` past the data, a field past `point_step`), is refused
 * with `ROS.BAD_MESSAGE` and a reason; nothing is read out of bounds.
 */
import { encode as encodePng } from 'fast-png';
import { z } from 'zod';
import { fail, ok, type Result } from '../../../../core/result.js';
import { timeToMs } from './ros-dialect.js';
import { FLOAT32, POINT_STEP } from './twin-to-ros.mapper.js';

export type InboundErrorCode = 'ROS.BAD_MESSAGE';

const Bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'expected a byte array (uint8[])');
const Stamp = z.union([
  z.object({ sec: z.number(), nsec: z.number() }),
  z.object({ sec: z.number(), nanosec: z.number() }),
  z.object({ secs: z.number(), nsecs: z.number() }).transform((t) => ({ sec: t.secs, nsec: t.nsecs })),
]);
const Header = z.object({ stamp: Stamp, frame_id: z.string() });
const U32 = z.number().int().min(0).max(2 ** 32 - 1);

const PointField = z.object({ name: z.string(), offset: U32, datatype: z.number().int().min(1).max(8), count: U32 });
export const PointCloud2Schema = z.object({
  header: Header,
  height: U32,
  width: U32,
  fields: z.array(PointField),
  is_bigendian: z.union([z.boolean(), z.number()]).transform(Boolean),
  point_step: U32,
  row_step: U32,
  data: Bytes,
  is_dense: z.union([z.boolean(), z.number()]).transform(Boolean),
});

export const ImageSchema = z.object({
  header: Header,
  height: U32,
  width: U32,
  encoding: z.string(),
  is_bigendian: z.union([z.boolean(), z.number()]).transform(Boolean),
  step: U32,
  data: Bytes,
});

export const CompressedImageSchema = z.object({ header: Header, format: z.string(), data: Bytes });

const why = (e: z.ZodError): string => {
  const i = e.issues[0];
  return `${i?.path.join('.') || '(root)'}: ${i?.message}`;
};

/** Bytes and reader of each sensor_msgs/PointField datatype (1 INT8 … 8 FLOAT64). */
const FIELD: Record<number, { size: number; read: (dv: DataView, at: number, le: boolean) => number }> = {
  1: { size: 1, read: (dv, at) => dv.getInt8(at) },
  2: { size: 1, read: (dv, at) => dv.getUint8(at) },
  3: { size: 2, read: (dv, at, le) => dv.getInt16(at, le) },
  4: { size: 2, read: (dv, at, le) => dv.getUint16(at, le) },
  5: { size: 4, read: (dv, at, le) => dv.getInt32(at, le) },
  6: { size: 4, read: (dv, at, le) => dv.getUint32(at, le) },
  7: { size: 4, read: (dv, at, le) => dv.getFloat32(at, le) },
  8: { size: 8, read: (dv, at, le) => dv.getFloat64(at, le) },
};

/** A cloud as the twin stores it: packed x, y, z, intensity float32 LE, points with a return only. */
export interface XyziCloud {
  readonly t_ms: number;
  readonly frame_id: string;
  /** `count × 16` bytes. */
  readonly data: Uint8Array;
  readonly count: number;
  /** Points dropped: non-finite or all-zero positions (no return). */
  readonly dropped: number;
}

/**
 * sensor_msgs/PointCloud2 of any layout (x, y, z of any numeric type; `intensity`, else
 * `reflectivity`, else 0) → {@link XyziCloud}.
 */
export function cloudToXyzi(raw: unknown): Result<XyziCloud, InboundErrorCode> {
  const p = PointCloud2Schema.safeParse(raw);
  if (!p.success) return fail('ROS.BAD_MESSAGE', `sensor_msgs/PointCloud2: ${why(p.error)}`);
  const m = p.data;
  const field = (name: string) => m.fields.find((f) => f.name === name);
  const fx = field('x');
  const fy = field('y');
  const fz = field('z');
  if (!fx || !fy || !fz) return fail('ROS.BAD_MESSAGE', 'sensor_msgs/PointCloud2: no x, y, z fields');
  const fi = field('intensity') ?? field('reflectivity');
  for (const f of [fx, fy, fz, ...(fi ? [fi] : [])]) {
    if (f.offset + FIELD[f.datatype]!.size > m.point_step) return fail('ROS.BAD_MESSAGE', `sensor_msgs/PointCloud2: field ${f.name} at ${f.offset} does not fit point_step ${m.point_step}`);
  }
  const n = m.width * m.height;
  if (n > 0 && (m.point_step === 0 || m.row_step < m.width * m.point_step)) return fail('ROS.BAD_MESSAGE', `sensor_msgs/PointCloud2: row_step ${m.row_step} < width ${m.width} × point_step ${m.point_step}`);
  if (m.row_step * m.height > m.data.byteLength) return fail('ROS.BAD_MESSAGE', `sensor_msgs/PointCloud2: ${m.height} rows of ${m.row_step} bytes need ${m.row_step * m.height}, data has ${m.data.byteLength}`);
  const t_ms = timeToMs(m.header.stamp)!;
  const dv = new DataView(m.data.buffer, m.data.byteOffset, m.data.byteLength);
  const le = !m.is_bigendian;
  const out = new Uint8Array(n * POINT_STEP);
  const ov = new DataView(out.buffer);
  const rx = FIELD[fx.datatype]!.read;
  const ry = FIELD[fy.datatype]!.read;
  const rz = FIELD[fz.datatype]!.read;
  const ri = fi ? FIELD[fi.datatype]!.read : undefined;
  let k = 0;
  for (let row = 0; row < m.height; row++) {
    for (let col = 0; col < m.width; col++) {
      const at = row * m.row_step + col * m.point_step;
      const x = rx(dv, at + fx.offset, le);
      const y = ry(dv, at + fy.offset, le);
      const z = rz(dv, at + fz.offset, le);
      if (!Number.isFinite(x) || !Number.isFinite(y) || !Number.isFinite(z) || (x === 0 && y === 0 && z === 0)) continue;
      const o = k * POINT_STEP;
      ov.setFloat32(o, x, true);
      ov.setFloat32(o + 4, y, true);
      ov.setFloat32(o + 8, z, true);
      ov.setFloat32(o + 12, ri ? ri(dv, at + fi!.offset, le) : 0, true);
      k++;
    }
  }
  return ok({ t_ms, frame_id: m.header.frame_id, data: k === n ? out : out.slice(0, k * POINT_STEP), count: k, dropped: n - k });
}

/** An image ready for the blob store. */
export interface StoredImage {
  readonly t_ms: number;
  readonly frame_id: string;
  readonly bytes: Uint8Array;
  /** `image/jpeg`, `image/png`, … */
  readonly media_type: string;
  readonly width?: number;
  readonly height?: number;
}

/** sensor_msgs/CompressedImage → its bytes as they are (`format` `jpeg`, `png`, or `rgb8; jpeg compressed bgr8` as image_transport writes it). */
export function compressedToStored(raw: unknown): Result<StoredImage, InboundErrorCode> {
  const p = CompressedImageSchema.safeParse(raw);
  if (!p.success) return fail('ROS.BAD_MESSAGE', `sensor_msgs/CompressedImage: ${why(p.error)}`);
  const f = p.data.format.toLowerCase();
  const media_type = f.includes('png') ? 'image/png' : f.includes('jpeg') || f.includes('jpg') || f === '' ? 'image/jpeg' : `image/${f.replace(/[^a-z0-9.+-]/g, '') || 'octet-stream'}`;
  if (p.data.data.byteLength === 0) return fail('ROS.BAD_MESSAGE', 'sensor_msgs/CompressedImage: no data');
  return ok({ t_ms: timeToMs(p.data.header.stamp)!, frame_id: p.data.header.frame_id, bytes: p.data.data, media_type });
}

/** Channels and bytes per channel of the raw encodings the camera port stores (as PNG). */
const RAW: Record<string, { channels: number; depth: 8 | 16; swap?: boolean }> = {
  mono8: { channels: 1, depth: 8 },
  '8UC1': { channels: 1, depth: 8 },
  mono16: { channels: 1, depth: 16 },
  '16UC1': { channels: 1, depth: 16 },
  rgb8: { channels: 3, depth: 8 },
  bgr8: { channels: 3, depth: 8, swap: true },
  rgba8: { channels: 4, depth: 8 },
  bgra8: { channels: 4, depth: 8, swap: true },
};

/** sensor_msgs/Image (mono8/16, rgb8, bgr8, rgba8, bgra8) → a PNG (lossless: the pixels stay as sent). */
export function rawToStored(raw: unknown): Result<StoredImage, InboundErrorCode> {
  const p = ImageSchema.safeParse(raw);
  if (!p.success) return fail('ROS.BAD_MESSAGE', `sensor_msgs/Image: ${why(p.error)}`);
  const m = p.data;
  const enc = RAW[m.encoding];
  if (!enc) return fail('ROS.BAD_MESSAGE', `sensor_msgs/Image: encoding ${m.encoding} not supported (mono8, mono16, rgb8, bgr8, rgba8, bgra8)`);
  const bpp = enc.channels * (enc.depth / 8);
  if (m.width === 0 || m.height === 0) return fail('ROS.BAD_MESSAGE', 'sensor_msgs/Image: empty image');
  if (m.step < m.width * bpp) return fail('ROS.BAD_MESSAGE', `sensor_msgs/Image: step ${m.step} < width ${m.width} × ${bpp} bytes`);
  if (m.step * m.height > m.data.byteLength) return fail('ROS.BAD_MESSAGE', `sensor_msgs/Image: ${m.height} rows of ${m.step} bytes need ${m.step * m.height}, data has ${m.data.byteLength}`);
  const row = m.width * enc.channels;
  const px = enc.depth === 16 ? new Uint16Array(row * m.height) : new Uint8Array(row * m.height);
  const dv = new DataView(m.data.buffer, m.data.byteOffset, m.data.byteLength);
  for (let y = 0; y < m.height; y++) {
    for (let i = 0; i < row; i++) {
      const c = i % enc.channels;
      // bgr(a) → rgb(a): channel 0 is read from 2 and 2 from 0.
      const from = enc.swap && (c === 0 || c === 2) ? 2 - c : c;
      const src = y * m.step + (i - c + from) * (enc.depth / 8);
      px[y * row + i] = enc.depth === 16 ? dv.getUint16(src, !m.is_bigendian) : dv.getUint8(src);
    }
  }
  const png = encodePng({ width: m.width, height: m.height, data: px, channels: enc.channels, depth: enc.depth });
  return ok({ t_ms: timeToMs(m.header.stamp)!, frame_id: m.header.frame_id, bytes: png, media_type: 'image/png', width: m.width, height: m.height });
}

/** Any message whose `header.stamp` is in ROS 2 spelling gets it in ROS 1 spelling (a shallow copy); others pass as they are. */
export function withRos1Stamp<T>(msg: T): T {
  const h = (msg as { header?: { stamp?: { sec?: number; nanosec?: number; nsec?: number } } }).header;
  if (!h?.stamp || h.stamp.nanosec === undefined || h.stamp.nsec !== undefined) return msg;
  return { ...msg, header: { ...h, stamp: { sec: h.stamp.sec, nsec: h.stamp.nanosec } } } as T;
}

export { FLOAT32 };
