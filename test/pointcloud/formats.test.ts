import { describe, expect, it } from 'vitest';
import { decodeLas, encodeLas } from '../../pointcloud/formats/las.codec.js';
import { decodePcd, encodePcd } from '../../pointcloud/formats/pcd.codec.js';
import { decodePly, encodePly } from '../../pointcloud/formats/ply.codec.js';
import { decodePointCloud2, encodePointCloud2 } from '../../pointcloud/formats/pointcloud2.codec.js';
import { lzfCompress, lzfDecompress } from '../../pointcloud/internal/lzf.js';
import { makeCloud, type PointCloud } from '../../pointcloud/point-cloud.js';
import { syntheticSurvey } from '../../pointcloud/synthetic-survey.js';

const te = new TextEncoder();
function sample(n = 500): PointCloud {
  const s = syntheticSurvey({ points: n, seed: 5 });
  const intensity = new Uint16Array(n).map((_, i) => (i * 37) % 65535);
  const cls = new Uint8Array(n).map((_, i) => i % 7);
  const normal = new Float32Array(n * 3).map((_, i) => (i % 3) - 1);
  return makeCloud(s.x, s.y, s.z, {
    intensity: { type: 'uint16', count: 1, data: intensity },
    classification: { type: 'uint8', count: 1, data: cls },
    normal: { type: 'float32', count: 3, data: normal },
  }, s.origin);
}
function expectSameCloud(a: PointCloud, b: PointCloud, fields = true) {
  expect(b.length).toBe(a.length);
  expect(Array.from(b.x)).toEqual(Array.from(a.x));
  expect(Array.from(b.y)).toEqual(Array.from(a.y));
  expect(Array.from(b.z)).toEqual(Array.from(a.z));
  if (fields) for (const [k, f] of Object.entries(a.fields)) expect(Array.from(b.fields[k]!.data), k).toEqual(Array.from(f.data));
}

describe('LZF (PCD binary_compressed codec)', () => {
  it('round-trips repetitive, random and empty data', () => {
    const rep = new Uint8Array(10_000).map((_, i) => (i % 13) * 7);
    const rnd = new Uint8Array(5000).map((_, i) => (i * 2654435761) >>> 24);
    for (const d of [rep, rnd, new Uint8Array(0), new Uint8Array([1, 2, 3])]) {
      const c = lzfCompress(d);
      expect(Array.from(lzfDecompress(c, d.length)!)).toEqual(Array.from(d));
    }
    expect(lzfCompress(rep).length).toBeLessThan(rep.length / 10);
  });
  it('decodes a hand-made stream (literal run + overlapping back reference)', () => {
    // "ab" literal, then back reference len 3+2=5? ctrl = (3<<5)|0, off byte 1 → distance 2: "ababa"
    const s = new Uint8Array([1, 97, 98, (3 << 5) | 0, 1]);
    expect(new TextDecoder().decode(lzfDecompress(s, 7)!)).toBe('abababa');
    expect(lzfDecompress(new Uint8Array([(3 << 5), 200]), 5)).toBeNull(); // reference before the start
  });
});

describe('PCD', () => {
  for (const data of ['ascii', 'binary', 'binary_compressed'] as const) {
    it(`round-trips ${data} with typed and multi-count fields and the origin`, () => {
      const c = sample();
      const r = decodePcd(encodePcd(c, { data }));
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expectSameCloud(c, r.value);
      expect(r.value.origin).toEqual([500000, 4500000, 0]);
      expect(r.value.fields.normal!.count).toBe(3);
      expect(r.value.fields.intensity!.data).toBeInstanceOf(Uint16Array);
    });
  }
  it('reads a hand-written ascii PCD with nan, padding-free I/U types and comments', () => {
    const txt = '# .PCD v.7\nVERSION .7\nFIELDS x y z label\nSIZE 4 4 4 4\nTYPE F F F U\nCOUNT 1 1 1 1\nWIDTH 3\nHEIGHT 1\nVIEWPOINT 0 0 0 1 0 0 0\nPOINTS 3\nDATA ascii\n1 2 3 4\n0.5 -1e-3 7 9\nnan nan nan 0\n';
    const r = decodePcd(te.encode(txt));
    expect(r.ok && Array.from(r.value.x)).toEqual([1, 0.5, NaN]);
    expect(r.ok && Array.from(r.value.fields.label!.data)).toEqual([4, 9, 0]);
  });
  it('refuses bad headers, wrong counts and hostile sizes with PCD.* codes, before allocating', () => {
    const head = (pts: string, data = 'binary') => `VERSION .7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOUNT 1 1 1\nWIDTH ${pts}\nHEIGHT 1\nPOINTS ${pts}\nDATA ${data}\n`;
    const code = (b: Uint8Array) => { const r = decodePcd(b); return r.ok ? 'ok' : r.error.code; };
    expect(code(te.encode('VERSION .7\nFIELDS x y z\n'))).toBe('PCD.BAD_HEADER');
    expect(code(te.encode(head('10') + 'abc'))).toBe('PCD.TRUNCATED');
    expect(code(te.encode(head('150000000') + 'abc'))).toBe('PCD.TRUNCATED');
    expect(code(te.encode(head('9000000000000')))).toBe('PCD.TOO_LARGE');
    expect(code(te.encode(head('2', 'ascii') + '1 2 3\n44 55\n'))).toBe('PCD.BAD_DATA');
    expect(code(te.encode(head('2', 'ascii') + '1 2 3\n4 5 x\n'))).toBe('PCD.BAD_DATA');
    expect(code(te.encode(head('4', 'ascii') + '1 2 3\n4 5 6\n'))).toBe('PCD.TRUNCATED');
    expect(code(te.encode(head('2').replace('WIDTH 2', 'WIDTH 3')))).toBe('PCD.BAD_HEADER');
    expect(code(te.encode(head('2').replace('TYPE F F F', 'TYPE F F Q')))).toBe('PCD.UNSUPPORTED_TYPE');
    expect(code(te.encode(head('2').replace('FIELDS x y z', 'FIELDS a b c')))).toBe('PCD.MISSING_XYZ');
    const comp = te.encode(head('1000', 'binary_compressed'));
    const sizes = new Uint8Array(8); new DataView(sizes.buffer).setUint32(0, 0xffffff00, true); new DataView(sizes.buffer).setUint32(4, 12000, true);
    expect(code(new Uint8Array([...comp, ...sizes]))).toBe('PCD.TRUNCATED');
    // 100 M points claimed from a 16-byte block: refused before a 1.2 GB allocation.
    const bomb = te.encode(head('100000000', 'binary_compressed'));
    const bs = new Uint8Array(8 + 16); new DataView(bs.buffer).setUint32(0, 16, true); new DataView(bs.buffer).setUint32(4, 1_200_000_000, true);
    expect(code(new Uint8Array([...bomb, ...bs]))).toBe('PCD.BAD_COMPRESSION');
  });
});

describe('PLY', () => {
  for (const f of ['ascii', 'binary_little_endian', 'binary_big_endian'] as const) {
    it(`round-trips ${f}`, () => {
      const c = sample(300);
      const r = decodePly(encodePly(c, f));
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expectSameCloud(c, r.value, false);
      expect(Array.from(r.value.fields.intensity!.data)).toEqual(Array.from(c.fields.intensity!.data));
      expect(Array.from(r.value.fields.normal_2!.data).slice(0, 3)).toEqual([1, 1, 1]);
    });
  }
  it('skips a face element with list properties placed before the vertices', () => {
    const head = te.encode('ply\nformat binary_little_endian 1.0\nelement face 2\nproperty list uchar int vertex_indices\nelement vertex 2\nproperty float x\nproperty float y\nproperty float z\nproperty uchar red\nend_header\n');
    const faces = new Uint8Array([3, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0]);
    const v = new DataView(new ArrayBuffer(26));
    [1, 2, 3].forEach((x, i) => v.setFloat32(4 * i, x, true)); v.setUint8(12, 200);
    [4, 5, 6].forEach((x, i) => v.setFloat32(13 + 4 * i, x, true)); v.setUint8(25, 9);
    const r = decodePly(new Uint8Array([...head, ...faces, ...new Uint8Array(v.buffer)]));
    expect(r.ok && Array.from(r.value.z)).toEqual([3, 6]);
    expect(r.ok && Array.from(r.value.fields.red!.data)).toEqual([200, 9]);
  });
  it('refuses truncated and hostile files', () => {
    const code = (s: string) => { const r = decodePly(te.encode(s)); return r.ok ? 'ok' : r.error.code; };
    expect(code('plx\n')).toBe('PLY.BAD_HEADER');
    expect(code('ply\nformat binary_little_endian 1.0\nelement vertex 99999999\nproperty float x\nproperty float y\nproperty float z\nend_header\n')).toBe('PLY.TRUNCATED');
    expect(code('ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nend_header\n1 2\n')).toBe('PLY.MISSING_XYZ');
  });
});

describe('PointCloud2', () => {
  it('round-trips little and big endian, and reads a padded organised cloud', () => {
    const c = sample(200);
    for (const bigEndian of [false, true]) {
      const m = encodePointCloud2(c, { bigEndian, frameId: 'map' });
      expect(m.point_step).toBe(12 + 2 + 1 + 12);
      const r = decodePointCloud2(m);
      expect(r.ok).toBe(true);
      if (r.ok) expectSameCloud(c, r.value);
    }
    // 2 × 2 organised, point_step 16 (x y z + 4 padding bytes), row_step 40 (8 bytes row padding)
    const data = new Uint8Array(80);
    const dv = new DataView(data.buffer);
    for (let r = 0; r < 2; r++) for (let k = 0; k < 2; k++) for (let a = 0; a < 3; a++) dv.setFloat32(r * 40 + k * 16 + a * 4, r * 10 + k + a / 10, true);
    const fields = ['x', 'y', 'z'].map((name, i) => ({ name, offset: 4 * i, datatype: 7, count: 1 }));
    const r = decodePointCloud2({ height: 2, width: 2, fields, is_bigendian: false, point_step: 16, row_step: 40, data, is_dense: true });
    expect(r.ok && Array.from(r.value.x)).toEqual([0, 1, 10, 11]);
  });
  it('refuses inconsistent steps, short data and non-messages', () => {
    const fields = ['x', 'y', 'z'].map((name, i) => ({ name, offset: 4 * i, datatype: 7, count: 1 }));
    const base = { height: 1, width: 4, fields, is_bigendian: false, point_step: 12, row_step: 48, data: new Uint8Array(48) };
    const code = (m: unknown) => { const r = decodePointCloud2(m); return r.ok ? 'ok' : r.error.code; };
    expect(code(base)).toBe('ok');
    expect(code({ ...base, data: new Uint8Array(40) })).toBe('PC2.TRUNCATED');
    expect(code({ ...base, point_step: 8 })).toBe('PC2.INVALID');
    expect(code({ ...base, row_step: 12 })).toBe('PC2.INVALID');
    expect(code({ ...base, width: 4e9, height: 4e9 })).toBe('PC2.TOO_LARGE');
    expect(code({ ...base, fields: fields.slice(0, 2) })).toBe('PC2.MISSING_XYZ');
    expect(code('hello')).toBe('PC2.INVALID');
  });
});

describe('LAS', () => {
  for (const fmt of [0, 1, 2, 3, 6, 7, 8] as const) {
    it(`round-trips point format ${fmt} (LAS ${fmt >= 6 ? '1.4' : '1.2'}) at mm scale in world coordinates`, () => {
      const s = sample(400);
      const n = s.length;
      const c = makeCloud(s.x, s.y, s.z, {
        intensity: s.fields.intensity!, classification: s.fields.classification!,
        gps_time: { type: 'float64', count: 1, data: new Float64Array(n).map((_, i) => 1e5 + i * 1e-3) },
        red: { type: 'uint16', count: 1, data: new Uint16Array(n).fill(1000) }, green: { type: 'uint16', count: 1, data: new Uint16Array(n).fill(2000) },
        blue: { type: 'uint16', count: 1, data: new Uint16Array(n).fill(3000) }, nir: { type: 'uint16', count: 1, data: new Uint16Array(n).fill(4000) },
        return_number: { type: 'uint8', count: 1, data: new Uint8Array(n).fill(1) }, number_of_returns: { type: 'uint8', count: 1, data: new Uint8Array(n).fill(2) },
      }, s.origin);
      const enc = encodeLas(c, { pointFormat: fmt });
      expect(enc.ok).toBe(true);
      if (!enc.ok) return;
      const r = decodeLas(enc.value);
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      const { header, cloud } = r.value;
      expect(header.pointFormat).toBe(fmt);
      expect(header.versionMinor).toBe(fmt >= 6 ? 4 : 2);
      expect(header.pointCount).toBe(n);
      for (let i = 0; i < n; i += 37) {
        expect(Math.abs(cloud.x[i]! + cloud.origin[0] - (c.x[i]! + c.origin[0]))).toBeLessThan(0.0006);
        expect(Math.abs(cloud.y[i]! + cloud.origin[1] - (c.y[i]! + c.origin[1]))).toBeLessThan(0.0006);
        expect(Math.abs(cloud.z[i]! + cloud.origin[2] - (c.z[i]! + c.origin[2]))).toBeLessThan(0.0006);
      }
      expect(Array.from(cloud.fields.intensity!.data)).toEqual(Array.from(c.fields.intensity!.data));
      expect(Array.from(cloud.fields.classification!.data)).toEqual(Array.from(c.fields.classification!.data));
      expect(cloud.fields.number_of_returns!.data[0]).toBe(2);
      if (fmt === 1 || fmt === 3 || fmt >= 6) expect(cloud.fields.gps_time!.data[5]).toBeCloseTo(1e5 + 5e-3, 9);
      if (fmt === 2 || fmt === 3 || fmt >= 7) expect(cloud.fields.blue!.data[3]).toBe(3000);
      if (fmt === 8) expect(cloud.fields.nir!.data[3]).toBe(4000);
      expect(header.min[0]).toBeGreaterThan(499_999);
    });
  }
  it('refuses LAZ, truncation, bad scale and out-of-range coordinates', () => {
    const ok = encodeLas(sample(10), { pointFormat: 1 });
    if (!ok.ok) throw new Error('encode');
    const code = (b: Uint8Array) => { const r = decodeLas(b); return r.ok ? 'ok' : r.error.code; };
    const laz = ok.value.slice(); laz[104] = 0x81;
    expect(code(laz)).toBe('LAS.LAZ_UNSUPPORTED');
    expect(code(ok.value.subarray(0, ok.value.length - 5))).toBe('LAS.TRUNCATED');
    const huge = ok.value.slice(); new DataView(huge.buffer).setUint32(107, 0xffffffff, true);
    expect(code(huge)).toBe('LAS.TOO_LARGE');
    const zero = ok.value.slice(); new DataView(zero.buffer).setFloat64(131, 0, true);
    expect(code(zero)).toBe('LAS.BAD_HEADER');
    expect(code(ok.value.subarray(0, 100))).toBe('LAS.BAD_HEADER');
    const far = makeCloud(new Float32Array([1e7]), new Float32Array([0]), new Float32Array([0]));
    const r = encodeLas(far, { scale: [0.0001, 0.0001, 0.0001] });
    expect(!r.ok && r.error.code).toBe('LAS.OUT_OF_RANGE');
  });
});
