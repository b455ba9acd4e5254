/** Every decoder on hostile bytes: a result value, never a throw, never a huge allocation. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeLas, encodeLas } from '../../pointcloud/formats/las.codec.js';
import { decodePcd, encodePcd } from '../../pointcloud/formats/pcd.codec.js';
import { decodePly, encodePly } from '../../pointcloud/formats/ply.codec.js';
import { decodePointCloud2, encodePointCloud2 } from '../../pointcloud/formats/pointcloud2.codec.js';
import { lzfDecompress } from '../../pointcloud/internal/lzf.js';
import { makeCloud } from '../../pointcloud/point-cloud.js';
import { syntheticSurvey } from '../../pointcloud/synthetic-survey.js';

const s = syntheticSurvey({ points: 64, seed: 9 });
const cloud = makeCloud(s.x, s.y, s.z, { intensity: { type: 'uint16', count: 1, data: new Uint16Array(64).fill(7) } }, s.origin);
const las = encodeLas(cloud, { pointFormat: 3 });
const valid: Record<string, Uint8Array> = {
  pcdAscii: encodePcd(cloud, { data: 'ascii' }),
  pcdBinary: encodePcd(cloud, { data: 'binary' }),
  pcdCompressed: encodePcd(cloud, { data: 'binary_compressed' }),
  plyAscii: encodePly(cloud, 'ascii'),
  plyBinary: encodePly(cloud, 'binary_big_endian'),
  las: las.ok ? las.value : new Uint8Array(0),
};
const decoders = [decodePcd, decodePly, (b: Uint8Array) => decodeLas(b)];

/** A valid file with flipped bytes, a cut, and header numbers swapped for hostile ones. */
const mutated = fc.record({
  file: fc.constantFrom(...Object.keys(valid)),
  flips: fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 8 }),
  cut: fc.option(fc.nat(), { nil: undefined }),
  number: fc.option(fc.constantFrom('0', '-1', '4294967296', '99999999999999', 'nan', '1e309', '3.5'), { nil: undefined }),
}).map(({ file, flips, cut, number }) => {
  let b = valid[file]!.slice();
  if (number !== undefined) {
    const text = new TextDecoder('latin1').decode(b.subarray(0, 400)).replace(/(POINTS|WIDTH|COUNT|SIZE|vertex) \d+/, `$1 ${number}`);
    const head = new TextEncoder().encode(text);
    b = new Uint8Array([...head, ...b.subarray(400)]);
  }
  for (const [at, v] of flips) if (b.length) b[at % b.length] = v;
  return cut === undefined || !b.length ? b : b.subarray(0, cut % b.length);
});

describe('decoders on hostile input', () => {
  it('mutated valid files give results, not throws', () => {
    fc.assert(fc.property(mutated, (b) => {
      for (const d of decoders) {
        const r = d(b);
        expect(typeof r.ok).toBe('boolean');
        if (r.ok) expect(('cloud' in r.value ? r.value.cloud : r.value).length).toBeLessThanOrEqual(b.length);
      }
    }), { numRuns: 400 });
  });
  it('random bytes and random headers give results, not throws', () => {
    const header = fc.constantFrom('ply\n', 'LASF', '# .PCD\nVERSION .7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOUNT 1 1 1\nWIDTH 5\nHEIGHT 1\nPOINTS 5\nDATA binary_compressed\n');
    fc.assert(fc.property(header, fc.uint8Array({ maxLength: 600 }), (h, tail) => {
      const b = new Uint8Array([...new TextEncoder().encode(h), ...tail]);
      for (const d of decoders) expect(typeof d(b).ok).toBe('boolean');
      expect(() => lzfDecompress(tail, tail.length * 3)).not.toThrow();
    }), { numRuns: 400 });
  });
  it('PointCloud2 with random steps, offsets and sizes gives results, not throws', () => {
    const good = encodePointCloud2(cloud);
    fc.assert(fc.property(
      fc.record({ width: fc.nat(1e6), height: fc.nat(1e4), point_step: fc.nat(64), row_step: fc.nat(1e6), offset: fc.nat(40), datatype: fc.integer({ min: 0, max: 9 }), count: fc.nat(5), cut: fc.nat(good.data.length) }),
      (m) => {
        const fields = good.fields.map((f, i) => (i === 1 ? { ...f, offset: m.offset, datatype: m.datatype, count: m.count } : f));
        const r = decodePointCloud2({ ...good, ...m, fields, data: good.data.subarray(0, m.cut) });
        expect(typeof r.ok).toBe('boolean');
      }), { numRuns: 400 });
  });
});
