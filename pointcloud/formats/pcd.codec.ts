/**
 * PCD v0.7 (PCL's file format): ascii, binary and binary_compressed.
 *
 * binary_compressed, as pcl::PCDWriter::writeBinaryCompressed lays it out: right after the
 * `DATA binary_compressed` line, uint32 LE compressed size, uint32 LE uncompressed size, then the
 * LZF stream of the points transposed field by field ("XYZRGBXYZRGB → XXYYZZRGBRGB"): for each
 * field in header order, all points' values of that field (size × count bytes each).
 * Padding fields named `_` carry no data in any encoding we write and are skipped when read.
 */
import { fail, ok, type Result } from '../../core/result.js';
import { allocScalar, makeCloud, type PointCloud, type PointField, type ScalarType, SCALAR_SIZE } from '../point-cloud.js';
import { lzfCompress, lzfDecompress } from '../internal/lzf.js';
import { dataView, latin1, lineEnd, MAX_POINTS_DEFAULT, readScalar, writeScalar } from '../internal/scalar-io.js';

export type PcdDataEncoding = 'ascii' | 'binary' | 'binary_compressed';
export type PcdErrorCode =
  | 'PCD.BAD_HEADER' | 'PCD.UNSUPPORTED_TYPE' | 'PCD.MISSING_XYZ' | 'PCD.TRUNCATED' | 'PCD.TOO_LARGE'
  | 'PCD.BAD_COMPRESSION' | 'PCD.BAD_DATA';

interface PcdFieldSpec { name: string; type: ScalarType; size: number; count: number; offset: number }

export interface PcdDecodeOptions {
  /** Refuse files declaring more points than this (default 2e8). */
  readonly maxPoints?: number;
}

function scalarOf(t: string, size: number): ScalarType | null {
  const k = `${t}${size}`;
  switch (k) {
    case 'F4': return 'float32'; case 'F8': return 'float64';
    case 'I1': return 'int8'; case 'I2': return 'int16'; case 'I4': return 'int32';
    case 'U1': return 'uint8'; case 'U2': return 'uint16'; case 'U4': return 'uint32';
    default: return null;
  }
}
const typeLetter = (t: ScalarType) => (t.startsWith('float') ? 'F' : t.startsWith('uint') ? 'U' : 'I');

/** Decodes a PCD file's bytes. Never throws on bad input: a PCD.* failure instead. */
export function decodePcd(bytes: Uint8Array, opts: PcdDecodeOptions = {}): Result<PointCloud, PcdErrorCode> {
  const maxPoints = opts.maxPoints ?? MAX_POINTS_DEFAULT;
  const kv = new Map<string, string[]>();
  let pos = 0;
  let data: string | undefined;
  const origin: [number, number, number] = [0, 0, 0];
  for (let lines = 0; lines < 64 && data === undefined; lines++) {
    const end = lineEnd(bytes, pos);
    if (end < 0) return fail('PCD.BAD_HEADER', 'header ends before its DATA line');
    const line = latin1(bytes, pos, end).trim();
    pos = end;
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^#\s*origin\s+(\S+)\s+(\S+)\s+(\S+)/.exec(line);
      if (m) for (let i = 0; i < 3; i++) { const v = Number(m[i + 1]); if (Number.isFinite(v)) origin[i] = v; }
      continue;
    }
    const parts = line.split(/\s+/);
    const key = parts[0]!.toUpperCase();
    if (key === 'DATA') data = (parts[1] ?? '').toLowerCase();
    else kv.set(key, parts.slice(1));
  }
  if (data === undefined) return fail('PCD.BAD_HEADER', 'no DATA line in the first 64 header lines');
  if (data !== 'ascii' && data !== 'binary' && data !== 'binary_compressed') {
    return fail('PCD.BAD_HEADER', `unknown DATA encoding '${data}'`);
  }
  const names = kv.get('FIELDS');
  if (!names || names.length === 0) return fail('PCD.BAD_HEADER', 'no FIELDS');
  const sizes = kv.get('SIZE'), types = kv.get('TYPE');
  const counts = kv.get('COUNT') ?? names.map(() => '1');
  if (!sizes || !types || sizes.length !== names.length || types.length !== names.length || counts.length !== names.length) {
    return fail('PCD.BAD_HEADER', 'FIELDS, SIZE, TYPE and COUNT must have one entry per field');
  }
  const specs: PcdFieldSpec[] = [];
  let pointSize = 0;
  for (let i = 0; i < names.length; i++) {
    const size = Number(sizes[i]), count = Number(counts[i]);
    if (!Number.isInteger(count) || count < 1 || count > 4096) return fail('PCD.BAD_HEADER', `bad COUNT for ${names[i]}`);
    const type = scalarOf(types[i]!.toUpperCase(), size);
    if (!type) return fail('PCD.UNSUPPORTED_TYPE', `field ${names[i]}: TYPE ${types[i]} SIZE ${sizes[i]} is not supported`);
    specs.push({ name: names[i]!, type, size, count, offset: pointSize });
    pointSize += size * count;
  }
  const width = Number(kv.get('WIDTH')?.[0]), height = Number(kv.get('HEIGHT')?.[0] ?? 1);
  const pointsDecl = kv.get('POINTS')?.[0];
  const points = pointsDecl === undefined ? width * height : Number(pointsDecl);
  if (!Number.isSafeInteger(points) || points < 0) return fail('PCD.BAD_HEADER', `bad POINTS '${pointsDecl}'`);
  if (Number.isFinite(width) && Number.isFinite(height) && width * height !== points) {
    return fail('PCD.BAD_HEADER', `WIDTH × HEIGHT (${width} × ${height}) differs from POINTS ${points}`);
  }
  if (points > maxPoints) return fail('PCD.TOO_LARGE', `${points} points exceed the limit of ${maxPoints}`);
  const fx = specs.find((s) => s.name === 'x' && s.count === 1), fy = specs.find((s) => s.name === 'y' && s.count === 1);
  const fz = specs.find((s) => s.name === 'z' && s.count === 1);
  if (!fx || !fy || !fz) return fail('PCD.MISSING_XYZ', 'the cloud has no x, y and z fields');
  const body = bytes.subarray(pos);
  const extras = specs.filter((s) => s !== fx && s !== fy && s !== fz && s.name !== '_');

  if (data === 'ascii') return decodeAscii(body, points, specs, fx, fy, fz, extras, origin);
  let raw: Uint8Array;
  let transposed = false;
  if (data === 'binary') {
    if (body.length < points * pointSize) {
      return fail('PCD.TRUNCATED', `binary data holds ${body.length} bytes, ${points} points need ${points * pointSize}`);
    }
    raw = body;
  } else {
    if (body.length < 8) return fail('PCD.TRUNCATED', 'binary_compressed sizes missing');
    const dv = dataView(body);
    const csize = dv.getUint32(0, true), usize = dv.getUint32(4, true);
    const dataSize = specs.filter((s) => s.name !== '_').reduce((a, s) => a + s.size * s.count, 0) * points;
    if (usize !== dataSize && usize !== points * pointSize) {
      return fail('PCD.BAD_COMPRESSION', `uncompressed size ${usize} differs from ${dataSize} for ${points} points`);
    }
    if (csize > body.length - 8) return fail('PCD.TRUNCATED', `compressed block of ${csize} bytes, ${body.length - 8} present`);
    // LZF expands at most 264 bytes per 2-byte reference: refuse impossible ratios before allocating.
    if (usize > csize * 132 + 64) return fail('PCD.BAD_COMPRESSION', `${csize} compressed bytes cannot expand to ${usize}`);
    const out = lzfDecompress(body.subarray(8, 8 + csize), usize);
    if (!out) return fail('PCD.BAD_COMPRESSION', 'LZF stream is corrupt');
    raw = out; transposed = true;
    // PCL's reader and writer both skip padding planes; a file that kept them is still read.
    if (usize === points * pointSize && usize !== dataSize) specs.forEach((s) => { if (s.name === '_') s.name = '__pad'; });
  }
  return ok(decodeBinary(raw, points, pointSize, specs, fx, fy, fz, extras, transposed, origin));
}

function decodeBinary(
  raw: Uint8Array, n: number, pointSize: number, specs: PcdFieldSpec[],
  fx: PcdFieldSpec, fy: PcdFieldSpec, fz: PcdFieldSpec, extras: PcdFieldSpec[], transposed: boolean,
  origin: [number, number, number],
): PointCloud {
  const dv = dataView(raw);
  // Where value (point i, component c) of a spec lives, for either layout.
  const planeStart = new Map<PcdFieldSpec, number>();
  let acc = 0;
  for (const s of specs) { if (s.name === '_') continue; planeStart.set(s, acc * n); acc += s.size * s.count; }
  const at = (s: PcdFieldSpec, i: number, c: number) =>
    transposed ? planeStart.get(s)! + (i * s.count + c) * s.size : i * pointSize + s.offset + c * s.size;
  const coord = (s: PcdFieldSpec) => {
    const out = new Float32Array(n);
    if (s.type === 'float32') {
      if (transposed) { const b = planeStart.get(s)!; for (let i = 0; i < n; i++) out[i] = dv.getFloat32(b + 4 * i, true); }
      else { for (let i = 0, o = s.offset; i < n; i++, o += pointSize) out[i] = dv.getFloat32(o, true); }
    } else for (let i = 0; i < n; i++) out[i] = readScalar(dv, at(s, i, 0), s.type, true);
    return out;
  };
  const fields: Record<string, PointField> = {};
  for (const s of extras) {
    const d = allocScalar(s.type, n * s.count);
    for (let i = 0; i < n; i++) for (let c = 0; c < s.count; c++) d[i * s.count + c] = readScalar(dv, at(s, i, c), s.type, true);
    fields[s.name] = { type: s.type, count: s.count, data: d };
  }
  return makeCloud(coord(fx), coord(fy), coord(fz), fields, origin);
}

function decodeAscii(
  body: Uint8Array, n: number, specs: PcdFieldSpec[], fx: PcdFieldSpec, fy: PcdFieldSpec, fz: PcdFieldSpec,
  extras: PcdFieldSpec[], origin: [number, number, number],
): Result<PointCloud, PcdErrorCode> {
  // Each point needs at least one "v\n" per value: refuse before allocating.
  const perPoint = specs.reduce((a, s) => a + s.count, 0);
  if (n * perPoint * 2 > body.length + 1) return fail('PCD.TRUNCATED', `${body.length} bytes cannot hold ${n} ascii points`);
  const x = new Float32Array(n), y = new Float32Array(n), z = new Float32Array(n);
  const fields: Record<string, PointField> = {};
  for (const s of extras) fields[s.name] = { type: s.type, count: s.count, data: allocScalar(s.type, n * s.count) };
  const text = latin1(body, 0, body.length);
  const lines = text.split('\n');
  let i = 0;
  for (const line of lines) {
    if (i >= n) break;
    const t = line.trim();
    if (t === '') continue;
    const tok = t.split(/\s+/);
    if (tok.length !== perPoint) return fail('PCD.BAD_DATA', `point ${i}: ${tok.length} values, expected ${perPoint}`);
    let k = 0;
    for (const s of specs) {
      for (let c = 0; c < s.count; c++, k++) {
        const v = Number(tok[k]!.toLowerCase() === 'nan' ? NaN : tok[k]);
        if (Number.isNaN(v) && tok[k]!.toLowerCase() !== 'nan') return fail('PCD.BAD_DATA', `point ${i}: '${tok[k]}' is not a number`);
        if (s === fx) x[i] = v; else if (s === fy) y[i] = v; else if (s === fz) z[i] = v;
        else if (s.name !== '_') fields[s.name]!.data[i * s.count + c] = v;
      }
    }
    i++;
  }
  if (i < n) return fail('PCD.TRUNCATED', `ascii data holds ${i} points, header declares ${n}`);
  return ok(makeCloud(x, y, z, fields, origin));
}

export interface PcdEncodeOptions {
  readonly data?: PcdDataEncoding;
}

/** Encodes a cloud as PCD v0.7 (x y z float32, then its fields in order); WIDTH = length, HEIGHT = 1. */
export function encodePcd(c: PointCloud, opts: PcdEncodeOptions = {}): Uint8Array {
  const enc = opts.data ?? 'binary';
  const n = c.length;
  const specs: (PcdFieldSpec & { data: ArrayLike<number> })[] = [
    { name: 'x', type: 'float32', size: 4, count: 1, offset: 0, data: c.x },
    { name: 'y', type: 'float32', size: 4, count: 1, offset: 4, data: c.y },
    { name: 'z', type: 'float32', size: 4, count: 1, offset: 8, data: c.z },
  ];
  let pointSize = 12;
  for (const [name, f] of Object.entries(c.fields)) {
    const size = SCALAR_SIZE[f.type];
    specs.push({ name, type: f.type, size, count: f.count, offset: pointSize, data: f.data });
    pointSize += size * f.count;
  }
  const hasOrigin = c.origin.some((v) => v !== 0);
  const header =
    '# .PCD v0.7 - Point Cloud Data file format\n' +
    (hasOrigin ? `# origin ${c.origin.join(' ')}\n` : '') +
    'VERSION 0.7\n' +
    `FIELDS ${specs.map((s) => s.name).join(' ')}\n` +
    `SIZE ${specs.map((s) => s.size).join(' ')}\n` +
    `TYPE ${specs.map((s) => typeLetter(s.type)).join(' ')}\n` +
    `COUNT ${specs.map((s) => s.count).join(' ')}\n` +
    `WIDTH ${n}\nHEIGHT 1\nVIEWPOINT 0 0 0 1 0 0 0\nPOINTS ${n}\nDATA ${enc}\n`;
  const head = new TextEncoder().encode(header);
  if (enc === 'ascii') {
    const rows: string[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const vals: string[] = [];
      for (const s of specs) for (let k = 0; k < s.count; k++) vals.push(fmt(s.data[i * s.count + k]!, s.type));
      rows[i] = vals.join(' ');
    }
    const bodyText = new TextEncoder().encode(rows.join('\n') + (n ? '\n' : ''));
    return concat(head, bodyText);
  }
  const raw = new Uint8Array(n * pointSize);
  const dv = dataView(raw);
  if (enc === 'binary') {
    for (const s of specs) {
      if (s.type === 'float32' && s.count === 1) {
        for (let i = 0, o = s.offset; i < n; i++, o += pointSize) dv.setFloat32(o, s.data[i]!, true);
      } else {
        for (let i = 0; i < n; i++) for (let k = 0; k < s.count; k++) writeScalar(dv, i * pointSize + s.offset + k * s.size, s.type, s.data[i * s.count + k]!, true);
      }
    }
    return concat(head, raw);
  }
  let o = 0;
  for (const s of specs) {
    for (let i = 0; i < n * s.count; i++, o += s.size) writeScalar(dv, o, s.type, s.data[i]!, true);
  }
  const comp = lzfCompress(raw);
  const sizes = new Uint8Array(8);
  dataView(sizes).setUint32(0, comp.length, true);
  dataView(sizes).setUint32(4, raw.length, true);
  return concat(head, sizes, comp);
}

function fmt(v: number, t: ScalarType): string {
  if (Number.isNaN(v)) return 'nan';
  if (t === 'float32') return String(Number(v.toPrecision(9)));
  return String(v);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
