/**
 * ROS sensor_msgs/PointCloud2 ⇄ PointCloud. The message arrives from outside (rosbridge, MCAP),
 * so its shape is checked with zod and every field's offset/count against point_step, and
 * row_step × height against the data length, before a byte is read.
 */
import { z } from 'zod';
import { fail, ok, type Result } from '../../core/result.js';
import { allocScalar, makeCloud, type PointCloud, type PointField, type ScalarType, SCALAR_SIZE } from '../point-cloud.js';
import { dataView, MAX_POINTS_DEFAULT, readScalar, writeScalar } from '../internal/scalar-io.js';

/** sensor_msgs/PointField datatype constants. */
export const POINTFIELD_DATATYPE: Readonly<Record<ScalarType, number>> = {
  int8: 1, uint8: 2, int16: 3, uint16: 4, int32: 5, uint32: 6, float32: 7, float64: 8,
};
const DATATYPE_SCALAR: ScalarType[] = ['int8', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'float32', 'float64'];

const u32 = z.number().int().min(0).max(0xffffffff);
export const pointCloud2Schema = z.object({
  header: z.object({ frame_id: z.string().default(''), stamp: z.object({ sec: z.number().int(), nanosec: z.number().int().optional(), nsec: z.number().int().optional() }).partial().optional() }).partial().optional(),
  height: u32,
  width: u32,
  fields: z.array(z.object({ name: z.string().min(1), offset: u32, datatype: z.number().int().min(1).max(8), count: u32 })).max(256),
  is_bigendian: z.boolean(),
  point_step: u32,
  row_step: u32,
  data: z.instanceof(Uint8Array),
  is_dense: z.boolean().optional(),
});
export type PointCloud2 = z.infer<typeof pointCloud2Schema>;
export type PointCloud2ErrorCode = 'PC2.INVALID' | 'PC2.MISSING_XYZ' | 'PC2.TRUNCATED' | 'PC2.TOO_LARGE';

/** Decodes a PointCloud2 message (already deserialised: `data` as bytes). */
export function decodePointCloud2(msg: unknown, opts: { maxPoints?: number } = {}): Result<PointCloud, PointCloud2ErrorCode> {
  const p = pointCloud2Schema.safeParse(msg);
  if (!p.success) return fail('PC2.INVALID', `not a PointCloud2: ${p.error.issues[0]?.path.join('.')} ${p.error.issues[0]?.message}`);
  const m = p.data;
  const n = m.width * m.height;
  if (n > (opts.maxPoints ?? MAX_POINTS_DEFAULT)) return fail('PC2.TOO_LARGE', `${n} points exceed the limit`);
  for (const f of m.fields) {
    const t = DATATYPE_SCALAR[f.datatype]!;
    if (f.offset + SCALAR_SIZE[t] * Math.max(1, f.count) > m.point_step) {
      return fail('PC2.INVALID', `field ${f.name} (offset ${f.offset}) overruns point_step ${m.point_step}`);
    }
  }
  if (m.height > 0 && m.width > 0) {
    if (m.row_step < m.width * m.point_step) return fail('PC2.INVALID', `row_step ${m.row_step} < width × point_step`);
    if (m.data.length < (m.height - 1) * m.row_step + m.width * m.point_step) {
      return fail('PC2.TRUNCATED', `data holds ${m.data.length} bytes, ${m.height} rows of ${m.row_step} need more`);
    }
  }
  const fx = m.fields.find((f) => f.name === 'x'), fy = m.fields.find((f) => f.name === 'y'), fz = m.fields.find((f) => f.name === 'z');
  if (!fx || !fy || !fz) return fail('PC2.MISSING_XYZ', 'the message has no x, y and z fields');
  const le = !m.is_bigendian;
  const dv = dataView(m.data);
  const coord = (f: typeof fx) => {
    const t = DATATYPE_SCALAR[f.datatype]!;
    const out = new Float32Array(n);
    let i = 0;
    for (let r = 0; r < m.height; r++) {
      for (let c = 0, o = r * m.row_step + f.offset; c < m.width; c++, o += m.point_step, i++) {
        out[i] = t === 'float32' ? dv.getFloat32(o, le) : readScalar(dv, o, t, le);
      }
    }
    return out;
  };
  const fields: Record<string, PointField> = {};
  for (const f of m.fields) {
    if (f === fx || f === fy || f === fz) continue;
    const t = DATATYPE_SCALAR[f.datatype]!;
    const count = Math.max(1, f.count);
    const d = allocScalar(t, n * count);
    let i = 0;
    for (let r = 0; r < m.height; r++) {
      for (let c = 0; c < m.width; c++, i++) {
        const base = r * m.row_step + c * m.point_step + f.offset;
        for (let k = 0; k < count; k++) d[i * count + k] = readScalar(dv, base + k * SCALAR_SIZE[t], t, le);
      }
    }
    fields[f.name] = { type: t, count, data: d };
  }
  return ok(makeCloud(coord(fx), coord(fy), coord(fz), fields));
}

/** Encodes an unorganised PointCloud2 (height 1, packed fields, little endian unless asked). */
export function encodePointCloud2(c: PointCloud, opts: { frameId?: string; bigEndian?: boolean } = {}): PointCloud2 {
  const n = c.length;
  const cols: { name: string; type: ScalarType; count: number; data: ArrayLike<number>; offset: number }[] = [];
  let step = 0;
  const add = (name: string, type: ScalarType, count: number, data: ArrayLike<number>) => {
    cols.push({ name, type, count, data, offset: step }); step += SCALAR_SIZE[type] * count;
  };
  add('x', 'float32', 1, c.x); add('y', 'float32', 1, c.y); add('z', 'float32', 1, c.z);
  for (const [name, f] of Object.entries(c.fields)) add(name, f.type, f.count, f.data);
  const data = new Uint8Array(n * step);
  const dv = dataView(data);
  const le = !opts.bigEndian;
  for (const col of cols) {
    const sz = SCALAR_SIZE[col.type];
    for (let i = 0; i < n; i++) for (let k = 0; k < col.count; k++) writeScalar(dv, i * step + col.offset + k * sz, col.type, col.data[i * col.count + k]!, le);
  }
  let dense = true;
  for (let i = 0; i < n && dense; i++) dense = Number.isFinite(c.x[i]!) && Number.isFinite(c.y[i]!) && Number.isFinite(c.z[i]!);
  return {
    header: { frame_id: opts.frameId ?? '' },
    height: 1, width: n,
    fields: cols.map((col) => ({ name: col.name, offset: col.offset, datatype: POINTFIELD_DATATYPE[col.type], count: col.count })),
    is_bigendian: !!opts.bigEndian, point_step: step, row_step: step * n, data, is_dense: dense,
  };
}
