/**
 * PLY (Stanford polygon format) point clouds: ascii, binary_little_endian, binary_big_endian.
 * Reads the `vertex` element (x, y, z and any scalar properties); other elements (faces…) are
 * skipped, list properties included. Writes vertices only.
 */
import { fail, ok, type Result } from '../../core/result.js';
import { allocScalar, makeCloud, type PointCloud, type PointField, type ScalarType, SCALAR_SIZE } from '../point-cloud.js';
import { dataView, latin1, lineEnd, MAX_POINTS_DEFAULT, readScalar, writeScalar } from '../internal/scalar-io.js';
import { concat } from './pcd.codec.js';

export type PlyFormat = 'ascii' | 'binary_little_endian' | 'binary_big_endian';
export type PlyErrorCode = 'PLY.BAD_HEADER' | 'PLY.UNSUPPORTED' | 'PLY.MISSING_XYZ' | 'PLY.TRUNCATED' | 'PLY.TOO_LARGE' | 'PLY.BAD_DATA';

const TYPES: Record<string, ScalarType> = {
  char: 'int8', int8: 'int8', uchar: 'uint8', uint8: 'uint8', short: 'int16', int16: 'int16',
  ushort: 'uint16', uint16: 'uint16', int: 'int32', int32: 'int32', uint: 'uint32', uint32: 'uint32',
  float: 'float32', float32: 'float32', double: 'float64', float64: 'float64',
};
const PLY_NAME: Record<ScalarType, string> = {
  int8: 'char', uint8: 'uchar', int16: 'short', uint16: 'ushort', int32: 'int', uint32: 'uint', float32: 'float', float64: 'double',
};

interface PlyProp { name: string; type: ScalarType; list?: { countType: ScalarType } }
interface PlyElement { name: string; count: number; props: PlyProp[] }

/** Decodes PLY bytes; PLY.* failure on bad input, never a throw. */
export function decodePly(bytes: Uint8Array, opts: { maxPoints?: number } = {}): Result<PointCloud, PlyErrorCode> {
  const maxPoints = opts.maxPoints ?? MAX_POINTS_DEFAULT;
  let pos = 0;
  let format: PlyFormat | undefined;
  const elements: PlyElement[] = [];
  let done = false;
  for (let lines = 0; lines < 4096 && !done; lines++) {
    const end = lineEnd(bytes, pos);
    if (end < 0) return fail('PLY.BAD_HEADER', 'header ends before end_header');
    const line = latin1(bytes, pos, end).trim();
    pos = end;
    if (lines === 0) { if (line !== 'ply') return fail('PLY.BAD_HEADER', 'not a PLY file (no "ply" magic)'); continue; }
    const t = line.split(/\s+/);
    switch (t[0]) {
      case 'format':
        if (t[1] !== 'ascii' && t[1] !== 'binary_little_endian' && t[1] !== 'binary_big_endian') return fail('PLY.BAD_HEADER', `unknown format ${t[1]}`);
        format = t[1];
        break;
      case 'element': {
        const count = Number(t[2]);
        if (!t[1] || !Number.isSafeInteger(count) || count < 0) return fail('PLY.BAD_HEADER', `bad element line '${line}'`);
        elements.push({ name: t[1], count, props: [] });
        break;
      }
      case 'property': {
        const el = elements[elements.length - 1];
        if (!el) return fail('PLY.BAD_HEADER', 'property before any element');
        if (t[1] === 'list') {
          const ct = TYPES[t[2] ?? ''], it = TYPES[t[3] ?? ''];
          if (!ct || !it || !t[4]) return fail('PLY.BAD_HEADER', `bad list property '${line}'`);
          el.props.push({ name: t[4], type: it, list: { countType: ct } });
        } else {
          const ty = TYPES[t[1] ?? ''];
          if (!ty || !t[2]) return fail('PLY.BAD_HEADER', `bad property '${line}'`);
          el.props.push({ name: t[2], type: ty });
        }
        break;
      }
      case 'end_header': done = true; break;
      default: break; // comment, obj_info
    }
  }
  if (!done) return fail('PLY.BAD_HEADER', 'no end_header');
  if (!format) return fail('PLY.BAD_HEADER', 'no format line');
  const vi = elements.findIndex((e) => e.name === 'vertex');
  if (vi < 0) return fail('PLY.MISSING_XYZ', 'no vertex element');
  const vertex = elements[vi]!;
  if (vertex.props.some((p) => p.list)) return fail('PLY.UNSUPPORTED', 'list properties on vertices');
  for (const a of ['x', 'y', 'z']) if (!vertex.props.some((p) => p.name === a)) return fail('PLY.MISSING_XYZ', `vertex has no ${a}`);
  const n = vertex.count;
  if (n > maxPoints) return fail('PLY.TOO_LARGE', `${n} vertices exceed the limit of ${maxPoints}`);
  const body = bytes.subarray(pos);
  if (format === 'ascii') return decodePlyAscii(body, elements, vi);

  const le = format === 'binary_little_endian';
  const dv = dataView(body);
  let off = 0;
  // Skip elements before the vertices (rare, but legal).
  for (let e = 0; e < vi; e++) {
    const r = skipBinary(dv, off, elements[e]!, le);
    if (r < 0) return fail('PLY.TRUNCATED', `element ${elements[e]!.name} runs past the end`);
    off = r;
  }
  const stride = vertex.props.reduce((a, p) => a + SCALAR_SIZE[p.type], 0);
  if (body.length - off < n * stride) return fail('PLY.TRUNCATED', `${body.length - off} bytes cannot hold ${n} vertices of ${stride} bytes`);
  const x = new Float32Array(n), y = new Float32Array(n), z = new Float32Array(n);
  const fields: Record<string, PointField> = {};
  let po = 0;
  for (const p of vertex.props) {
    const dst = p.name === 'x' ? x : p.name === 'y' ? y : p.name === 'z' ? z : allocScalar(p.type, n);
    if (dst !== x && dst !== y && dst !== z) fields[p.name] = { type: p.type, count: 1, data: dst };
    if (p.type === 'float32') for (let i = 0, o = off + po; i < n; i++, o += stride) dst[i] = dv.getFloat32(o, le);
    else for (let i = 0, o = off + po; i < n; i++, o += stride) dst[i] = readScalar(dv, o, p.type, le);
    po += SCALAR_SIZE[p.type];
  }
  return ok(makeCloud(x, y, z, fields));
}

function skipBinary(dv: DataView, off: number, el: PlyElement, le: boolean): number {
  for (let i = 0; i < el.count; i++) {
    for (const p of el.props) {
      if (p.list) {
        if (off + SCALAR_SIZE[p.list.countType] > dv.byteLength) return -1;
        const k = readScalar(dv, off, p.list.countType, le);
        off += SCALAR_SIZE[p.list.countType] + k * SCALAR_SIZE[p.type];
      } else off += SCALAR_SIZE[p.type];
      if (off > dv.byteLength || !(k0(off))) return -1;
    }
  }
  return off;
}
const k0 = (o: number) => Number.isFinite(o) && o >= 0;

function decodePlyAscii(body: Uint8Array, elements: PlyElement[], vi: number): Result<PointCloud, PlyErrorCode> {
  const vertex = elements[vi]!;
  const n = vertex.count;
  if (n * vertex.props.length * 2 > body.length + 1) return fail('PLY.TRUNCATED', `${body.length} bytes cannot hold ${n} ascii vertices`);
  const lines = latin1(body, 0, body.length).split('\n').filter((l) => l.trim() !== '');
  let li = 0;
  for (let e = 0; e < vi; e++) li += elements[e]!.count; // one line per element instance
  if (lines.length - li < n) return fail('PLY.TRUNCATED', `ascii data holds ${Math.max(0, lines.length - li)} vertices, header declares ${n}`);
  const x = new Float32Array(n), y = new Float32Array(n), z = new Float32Array(n);
  const fields: Record<string, PointField> = {};
  const dst = vertex.props.map((p) => {
    if (p.name === 'x') return x; if (p.name === 'y') return y; if (p.name === 'z') return z;
    const d = allocScalar(p.type, n); fields[p.name] = { type: p.type, count: 1, data: d }; return d;
  });
  for (let i = 0; i < n; i++) {
    const tok = lines[li + i]!.trim().split(/\s+/);
    if (tok.length !== dst.length) return fail('PLY.BAD_DATA', `vertex ${i}: ${tok.length} values, expected ${dst.length}`);
    for (let k = 0; k < dst.length; k++) {
      const v = Number(tok[k]);
      if (Number.isNaN(v) && tok[k]!.toLowerCase() !== 'nan') return fail('PLY.BAD_DATA', `vertex ${i}: '${tok[k]}' is not a number`);
      dst[k]![i] = v;
    }
  }
  return ok(makeCloud(x, y, z, fields));
}

/** Encodes the cloud's points as a PLY vertex element (x y z float, then scalar fields, count 1 only). */
export function encodePly(c: PointCloud, format: PlyFormat = 'binary_little_endian'): Uint8Array {
  const n = c.length;
  const props: { name: string; type: ScalarType; data: ArrayLike<number> }[] = [
    { name: 'x', type: 'float32', data: c.x }, { name: 'y', type: 'float32', data: c.y }, { name: 'z', type: 'float32', data: c.z },
  ];
  for (const [name, f] of Object.entries(c.fields)) {
    if (f.count === 1) props.push({ name, type: f.type, data: f.data });
    else for (let k = 0; k < f.count; k++) {
      const d = allocScalar(f.type, n);
      for (let i = 0; i < n; i++) d[i] = f.data[i * f.count + k]!;
      props.push({ name: `${name}_${k}`, type: f.type, data: d });
    }
  }
  const head = new TextEncoder().encode(
    `ply\nformat ${format} 1.0\ncomment overwatch-twin pointcloud\nelement vertex ${n}\n` +
    props.map((p) => `property ${PLY_NAME[p.type]} ${p.name}\n`).join('') + 'end_header\n');
  if (format === 'ascii') {
    const rows: string[] = new Array(n);
    for (let i = 0; i < n; i++) rows[i] = props.map((p) => (p.type === 'float32' ? String(Number(p.data[i]!.toPrecision(9))) : String(p.data[i]))).join(' ');
    return concat(head, new TextEncoder().encode(rows.join('\n') + (n ? '\n' : '')));
  }
  const le = format === 'binary_little_endian';
  const stride = props.reduce((a, p) => a + SCALAR_SIZE[p.type], 0);
  const raw = new Uint8Array(n * stride);
  const dv = dataView(raw);
  let po = 0;
  for (const p of props) {
    for (let i = 0, o = po; i < n; i++, o += stride) writeScalar(dv, o, p.type, p.data[i]!, le);
    po += SCALAR_SIZE[p.type];
  }
  return concat(head, raw);
}
