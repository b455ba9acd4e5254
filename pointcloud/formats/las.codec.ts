/**
 * ASPRS LAS 1.0–1.4 (the surveyors' format): point data record formats 0–10 read (the
 * waveform packets of 4/5/9/10 are skipped), 0–3 written as LAS 1.2 and 6–8 as LAS 1.4.
 * Coordinates are int32 × scale + offset (float64); the decoded cloud keeps them as float32
 * relative to `origin` = floor(header minimum), so eastings/northings keep mm precision.
 * LAZ (compressed, point format id with bit 7 set) is refused here with LAS.LAZ_UNSUPPORTED:
 * `decodeLaz` (las-laz.codec.ts, async, laz-perf) reads it.
 */
import { fail, ok, type Result } from '../../core/result.js';
import { bounds, makeCloud, type PointCloud, type PointField } from '../point-cloud.js';
import { dataView, MAX_POINTS_DEFAULT } from '../internal/scalar-io.js';

export type LasErrorCode = 'LAS.BAD_HEADER' | 'LAS.UNSUPPORTED_FORMAT' | 'LAS.LAZ_UNSUPPORTED' | 'LAS.TRUNCATED' | 'LAS.TOO_LARGE' | 'LAS.OUT_OF_RANGE';

const MIN_RECORD = [20, 28, 26, 34, 57, 63, 30, 36, 38, 59, 67];

/** The header fields a caller may want (scale/offset and bounds are world metres). */
export interface LasHeader {
  readonly versionMajor: number;
  readonly versionMinor: number;
  readonly pointFormat: number;
  readonly recordLength: number;
  readonly pointCount: number;
  readonly scale: [number, number, number];
  readonly offset: [number, number, number];
  readonly min: [number, number, number];
  readonly max: [number, number, number];
  readonly systemId: string;
  readonly software: string;
  readonly creationDay: number;
  readonly creationYear: number;
}

export interface LasFile { readonly header: LasHeader; readonly cloud: PointCloud }

const ascii = (b: Uint8Array, o: number, n: number) => {
  let s = '';
  for (let i = 0; i < n && b[o + i]; i++) s += String.fromCharCode(b[o + i]!);
  return s;
};

/** Decodes LAS bytes into a cloud with intensity, returns, classification, gps_time, rgb, nir… */
export function decodeLas(bytes: Uint8Array, opts: { maxPoints?: number } = {}): Result<LasFile, LasErrorCode> {
  if (bytes.length < 227) return fail('LAS.BAD_HEADER', `${bytes.length} bytes: shorter than a LAS header`);
  if (ascii(bytes, 0, 4) !== 'LASF') return fail('LAS.BAD_HEADER', 'no LASF signature');
  const dv = dataView(bytes);
  const vMaj = bytes[24]!, vMin = bytes[25]!;
  const headerSize = dv.getUint16(94, true);
  const dataOffset = dv.getUint32(96, true);
  const fmtByte = bytes[104]!;
  const recLen = dv.getUint16(105, true);
  if (vMaj !== 1 || vMin > 4) return fail('LAS.BAD_HEADER', `LAS version ${vMaj}.${vMin} is not 1.0–1.4`);
  if (fmtByte & 0x80 || fmtByte & 0x40) return fail('LAS.LAZ_UNSUPPORTED', 'LAZ-compressed point data (point format bit 7/6 set): read it with decodeLaz (las-laz.codec.ts)');
  const fmt = fmtByte;
  if (fmt > 10) return fail('LAS.UNSUPPORTED_FORMAT', `point data record format ${fmt}`);
  if (recLen < MIN_RECORD[fmt]!) return fail('LAS.BAD_HEADER', `record length ${recLen} < ${MIN_RECORD[fmt]} for format ${fmt}`);
  if (headerSize < 227 || headerSize > bytes.length || dataOffset < headerSize || dataOffset > bytes.length) {
    return fail('LAS.BAD_HEADER', `header size ${headerSize} / point data offset ${dataOffset} inconsistent with ${bytes.length} bytes`);
  }
  let n = dv.getUint32(107, true);
  if (vMin >= 4 && headerSize >= 375) {
    const n64 = dv.getBigUint64(247, true);
    if (n64 > BigInt(Number.MAX_SAFE_INTEGER)) return fail('LAS.TOO_LARGE', `${n64} points`);
    if (n64 > 0n || n === 0) n = Number(n64);
  }
  if (n > (opts.maxPoints ?? MAX_POINTS_DEFAULT)) return fail('LAS.TOO_LARGE', `${n} points exceed the limit`);
  if (bytes.length - dataOffset < n * recLen) return fail('LAS.TRUNCATED', `${bytes.length - dataOffset} bytes of point data, ${n} records of ${recLen} need ${n * recLen}`);
  const f64 = (o: number) => dv.getFloat64(o, true);
  const scale: [number, number, number] = [f64(131), f64(139), f64(147)];
  const offset: [number, number, number] = [f64(155), f64(163), f64(171)];
  const max: [number, number, number] = [f64(179), f64(195), f64(211)];
  const min: [number, number, number] = [f64(187), f64(203), f64(219)];
  if (!scale.every((s) => Number.isFinite(s) && s !== 0) || !offset.every(Number.isFinite)) return fail('LAS.BAD_HEADER', 'scale must be finite and non-zero, offset finite');
  const origin: [number, number, number] = [0, 1, 2].map((k) =>
    (Number.isFinite(min[k]!) && Math.abs(min[k]!) < 1e12 ? Math.floor(min[k]!) : offset[k]!)) as [number, number, number];
  const ext = fmt >= 6;
  const hasGps = fmt === 1 || fmt >= 3;
  const rgbAt = fmt === 2 ? 20 : fmt === 3 || fmt === 5 ? 28 : fmt === 7 || fmt === 8 || fmt === 10 ? 30 : -1;
  const nirAt = fmt === 8 || fmt === 10 ? 36 : -1;

  const x = new Float32Array(n), y = new Float32Array(n), z = new Float32Array(n);
  const intensity = new Uint16Array(n), ret = new Uint8Array(n), nret = new Uint8Array(n), cls = new Uint8Array(n);
  const user = new Uint8Array(n), src = new Uint16Array(n), angle = new Float32Array(n);
  const gps = hasGps ? new Float64Array(n) : undefined;
  const r = rgbAt >= 0 ? new Uint16Array(n) : undefined, g = r && new Uint16Array(n), b = r && new Uint16Array(n);
  const nir = nirAt >= 0 ? new Uint16Array(n) : undefined;
  const [sx, sy, sz] = scale; const [ox, oy, oz] = offset; const [gx, gy, gz] = origin;
  for (let i = 0, o = dataOffset; i < n; i++, o += recLen) {
    x[i] = dv.getInt32(o, true) * sx + ox - gx;
    y[i] = dv.getInt32(o + 4, true) * sy + oy - gy;
    z[i] = dv.getInt32(o + 8, true) * sz + oz - gz;
    intensity[i] = dv.getUint16(o + 12, true);
    const b14 = bytes[o + 14]!;
    if (ext) {
      ret[i] = b14 & 15; nret[i] = b14 >> 4; cls[i] = bytes[o + 16]!; user[i] = bytes[o + 17]!;
      angle[i] = dv.getInt16(o + 18, true) * 0.006; src[i] = dv.getUint16(o + 20, true);
      gps![i] = f64(o + 22);
    } else {
      ret[i] = b14 & 7; nret[i] = (b14 >> 3) & 7; cls[i] = bytes[o + 15]! & 31;
      angle[i] = dv.getInt8(o + 16); user[i] = bytes[o + 17]!; src[i] = dv.getUint16(o + 18, true);
      if (gps) gps[i] = f64(o + 20);
    }
    if (r) { r[i] = dv.getUint16(o + rgbAt, true); g![i] = dv.getUint16(o + rgbAt + 2, true); b![i] = dv.getUint16(o + rgbAt + 4, true); }
    if (nir) nir[i] = dv.getUint16(o + nirAt, true);
  }
  const fields: Record<string, PointField> = {
    intensity: { type: 'uint16', count: 1, data: intensity },
    return_number: { type: 'uint8', count: 1, data: ret },
    number_of_returns: { type: 'uint8', count: 1, data: nret },
    classification: { type: 'uint8', count: 1, data: cls },
    scan_angle: { type: 'float32', count: 1, data: angle },
    user_data: { type: 'uint8', count: 1, data: user },
    point_source_id: { type: 'uint16', count: 1, data: src },
  };
  if (gps) fields.gps_time = { type: 'float64', count: 1, data: gps };
  if (r) { fields.red = { type: 'uint16', count: 1, data: r }; fields.green = { type: 'uint16', count: 1, data: g! }; fields.blue = { type: 'uint16', count: 1, data: b! }; }
  if (nir) fields.nir = { type: 'uint16', count: 1, data: nir };
  const header: LasHeader = {
    versionMajor: vMaj, versionMinor: vMin, pointFormat: fmt, recordLength: recLen, pointCount: n,
    scale, offset, min, max, systemId: ascii(bytes, 26, 32), software: ascii(bytes, 58, 32),
    creationDay: dv.getUint16(90, true), creationYear: dv.getUint16(92, true),
  };
  return ok({ header, cloud: makeCloud(x, y, z, fields, origin) });
}

export interface LasEncodeOptions {
  /** 0–3 (written as LAS 1.2) or 6–8 (LAS 1.4). Default 1.4 / format 6. */
  readonly pointFormat?: 0 | 1 | 2 | 3 | 6 | 7 | 8;
  /** Metres per integer step, default 0.001 on each axis. */
  readonly scale?: readonly [number, number, number];
  /** World offset, default the cloud's origin. */
  readonly offset?: readonly [number, number, number];
  /** Creation day-of-year and year for the header (no clock is read). */
  readonly creation?: { day: number; year: number };
}

/** Encodes a cloud as LAS; fails with LAS.OUT_OF_RANGE when a coordinate does not fit int32 at this scale. */
export function encodeLas(c: PointCloud, opts: LasEncodeOptions = {}): Result<Uint8Array, LasErrorCode> {
  const fmt = opts.pointFormat ?? 6;
  const ext = fmt >= 6;
  const headerSize = ext ? 375 : 227;
  const recLen = MIN_RECORD[fmt]!;
  const n = c.length;
  const scale = opts.scale ?? [0.001, 0.001, 0.001];
  const offset = opts.offset ?? c.origin;
  const out = new Uint8Array(headerSize + n * recLen);
  const dv = dataView(out);
  const fld = (name: string) => c.fields[name]?.data;
  const [intensity, ret, nret, cls, user, src, angle, gps, r, g, b, nir] =
    ['intensity', 'return_number', 'number_of_returns', 'classification', 'user_data', 'point_source_id', 'scan_angle', 'gps_time', 'red', 'green', 'blue', 'nir'].map(fld);
  const byReturn = new Array<number>(15).fill(0);
  const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
  for (let i = 0, o = headerSize; i < n; i++, o += recLen) {
    const w = [c.x[i]! + c.origin[0], c.y[i]! + c.origin[1], c.z[i]! + c.origin[2]];
    for (let k = 0; k < 3; k++) {
      const q = Math.round((w[k]! - offset[k]!) / scale[k]!);
      if (!(q >= -2147483648 && q <= 2147483647)) return fail('LAS.OUT_OF_RANGE', `point ${i}: coordinate ${w[k]} does not fit int32 at scale ${scale[k]}`);
      dv.setInt32(o + 4 * k, q, true);
      const wq = q * scale[k]! + offset[k]!;
      if (wq < lo[k]!) lo[k] = wq; if (wq > hi[k]!) hi[k] = wq;
    }
    dv.setUint16(o + 12, intensity?.[i] ?? 0, true);
    const rn = ret?.[i] ?? 1, nr = nret?.[i] ?? 1;
    if (rn >= 1 && rn <= (ext ? 15 : 5)) byReturn[rn - 1]!++;
    if (ext) {
      out[o + 14] = (rn & 15) | ((nr & 15) << 4); out[o + 16] = cls?.[i] ?? 0; out[o + 17] = user?.[i] ?? 0;
      dv.setInt16(o + 18, Math.max(-30000, Math.min(30000, Math.round((angle?.[i] ?? 0) / 0.006))), true);
      dv.setUint16(o + 20, src?.[i] ?? 0, true); dv.setFloat64(o + 22, gps?.[i] ?? 0, true);
    } else {
      out[o + 14] = (rn & 7) | ((nr & 7) << 3); out[o + 15] = (cls?.[i] ?? 0) & 31;
      dv.setInt8(o + 16, Math.max(-90, Math.min(90, Math.round(angle?.[i] ?? 0)))); out[o + 17] = user?.[i] ?? 0;
      dv.setUint16(o + 18, src?.[i] ?? 0, true);
      if (fmt === 1 || fmt === 3) dv.setFloat64(o + 20, gps?.[i] ?? 0, true);
    }
    const rgbAt = fmt === 2 ? 20 : fmt === 3 ? 28 : fmt >= 7 ? 30 : -1;
    if (rgbAt >= 0) { dv.setUint16(o + rgbAt, r?.[i] ?? 0, true); dv.setUint16(o + rgbAt + 2, g?.[i] ?? 0, true); dv.setUint16(o + rgbAt + 4, b?.[i] ?? 0, true); }
    if (fmt === 8) dv.setUint16(o + 36, nir?.[i] ?? 0, true);
  }
  if (n === 0) { lo.fill(0); hi.fill(0); }
  out.set([76, 65, 83, 70], 0); // LASF
  dv.setUint16(6, ext ? 0x10 : 0, true); // 1.4 with formats 6–10: WKT CRS bit must be set
  out[24] = 1; out[25] = ext ? 4 : 2;
  const putStr = (o: number, s: string, len: number) => { for (let i = 0; i < Math.min(s.length, len - 1); i++) out[o + i] = s.charCodeAt(i) & 0x7f; };
  putStr(26, 'OTHER', 32); putStr(58, 'overwatch-twin pointcloud', 32);
  dv.setUint16(90, opts.creation?.day ?? 1, true); dv.setUint16(92, opts.creation?.year ?? 2026, true);
  dv.setUint16(94, headerSize, true); dv.setUint32(96, headerSize, true); dv.setUint32(100, 0, true);
  out[104] = fmt; dv.setUint16(105, recLen, true);
  if (!ext) { dv.setUint32(107, n, true); for (let k = 0; k < 5; k++) dv.setUint32(111 + 4 * k, byReturn[k]!, true); }
  for (let k = 0; k < 3; k++) { dv.setFloat64(131 + 8 * k, scale[k]!, true); dv.setFloat64(155 + 8 * k, offset[k]!, true); }
  for (let k = 0; k < 3; k++) { dv.setFloat64(179 + 16 * k, hi[k]!, true); dv.setFloat64(187 + 16 * k, lo[k]!, true); }
  if (ext) {
    dv.setBigUint64(247, BigInt(n), true);
    for (let k = 0; k < 15; k++) dv.setBigUint64(255 + 8 * k, BigInt(byReturn[k]!), true);
  }
  return ok(out);
}

/** World-frame bounds of a cloud (origin added), metres. */
export function worldBounds(c: PointCloud): { min: [number, number, number]; max: [number, number, number] } {
  const bb = bounds(c);
  return { min: bb.min.map((v, k) => v + c.origin[k]!) as [number, number, number], max: bb.max.map((v, k) => v + c.origin[k]!) as [number, number, number] };
}
