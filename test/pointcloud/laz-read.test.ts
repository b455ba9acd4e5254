/**
 * LAZ reading (pointcloud/formats/las-laz.codec.ts, laz-perf) on files written by other tools:
 * `1815.laz` by rapidlasso's LAStools las2las (the LASzip reference) and `point-color-time.las.laz`
 * / `point-time-1.4.las.laz` from laz-perf's test set, each next to the uncompressed LAS it was
 * made from where there is one (test/pointcloud/laz-fixtures/README.md). The decoded cloud must
 * equal our LAS reader's decode of the uncompressed twin point for point, and agree with
 * @loaders.gl/las (vis.gl) reading the same LAZ. Truncated and corrupted LAZ fail as values.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '@loaders.gl/core';
import { LASLoader } from '@loaders.gl/las';
import { describe, expect, it } from 'vitest';
import { decodeLas } from '../../pointcloud/formats/las.codec.js';
import { decodeLaz, decompressLaz, isLaz } from '../../pointcloud/formats/las-laz.codec.js';

const dir = join(import.meta.dirname, 'laz-fixtures');
const read = (f: string) => new Uint8Array(readFileSync(join(dir, f)));

describe('LAZ written by other tools, read with laz-perf', () => {
  for (const [laz, las, fmt] of [['1815.laz', '1815.las', 1], ['point-color-time.las.laz', 'point-color-time.las', 3]] as const) {
    it(`${laz} (format ${fmt}) equals its uncompressed twin ${las}, field for field`, async () => {
      const z = read(laz);
      expect(isLaz(z)).toBe(true);
      expect(isLaz(read(las))).toBe(false);
      const a = await decodeLaz(z);
      if (!a.ok) throw new Error(`${a.error.code}: ${a.error.message}`);
      const b = decodeLas(read(las));
      if (!b.ok) throw new Error(b.error.message);
      expect(a.value.header.pointFormat).toBe(fmt);
      expect(a.value.header.pointCount).toBe(b.value.header.pointCount);
      expect(a.value.cloud.length).toBe(b.value.header.pointCount);
      expect(a.value.cloud.origin).toEqual(b.value.cloud.origin);
      expect(Array.from(a.value.cloud.x)).toEqual(Array.from(b.value.cloud.x));
      expect(Array.from(a.value.cloud.y)).toEqual(Array.from(b.value.cloud.y));
      expect(Array.from(a.value.cloud.z)).toEqual(Array.from(b.value.cloud.z));
      expect(Object.keys(a.value.cloud.fields).sort()).toEqual(Object.keys(b.value.cloud.fields).sort());
      for (const [k, f] of Object.entries(b.value.cloud.fields)) expect(Array.from(a.value.cloud.fields[k]!.data), k).toEqual(Array.from(f.data));
    });
  }

  it('a LAS 1.4 header over LAZ point data (point-time-1.4.las.laz) decodes to the same points as point-time.las', async () => {
    const a = await decodeLaz(read('point-time-1.4.las.laz'));
    if (!a.ok) throw new Error(`${a.error.code}: ${a.error.message}`);
    expect(a.value.header.versionMinor).toBe(4);
    const b = decodeLas(read('point-time.las'));
    if (!b.ok) throw new Error(b.error.message);
    expect(a.value.cloud.length).toBe(b.value.cloud.length);
    for (const k of ['x', 'y', 'z'] as const) expect(Array.from(a.value.cloud[k])).toEqual(Array.from(b.value.cloud[k]));
    expect(Array.from(a.value.cloud.fields.gps_time!.data)).toEqual(Array.from(b.value.cloud.fields.gps_time!.data));
  });

  for (const laz of ['1815.laz', 'point-color-time.las.laz']) {
    it(`${laz}: positions agree with @loaders.gl/las (vis.gl) reading the same LAZ`, async () => {
      const z = read(laz);
      const a = await decodeLaz(z);
      if (!a.ok) throw new Error(`${a.error.code}: ${a.error.message}`);
      const mesh = await parse(z.buffer.slice(z.byteOffset, z.byteOffset + z.byteLength) as ArrayBuffer, LASLoader, { las: { shape: 'mesh', fp64: true }, worker: false }) as unknown as {
        header: { vertexCount: number }; attributes: Record<string, { value: ArrayLike<number> }>;
      };
      const c = a.value.cloud;
      expect(mesh.header.vertexCount).toBe(c.length);
      const pos = mesh.attributes.POSITION!.value;
      for (let i = 0; i < c.length; i += 7) {
        expect(Math.abs(pos[3 * i]! - (c.x[i]! + c.origin[0]))).toBeLessThan(2e-3);
        expect(Math.abs(pos[3 * i + 1]! - (c.y[i]! + c.origin[1]))).toBeLessThan(2e-3);
        expect(Math.abs(pos[3 * i + 2]! - (c.z[i]! + c.origin[2]))).toBeLessThan(2e-3);
      }
    });
  }

  it('truncated or corrupted LAZ, and plain LAS, fail as values (no throw); the reader still works after', async () => {
    const z = read('1815.laz');
    for (const cut of [z.length - 1, z.length - 200, 400, 226, 0]) {
      const r = await decodeLaz(z.subarray(0, cut));
      expect(r.ok, `cut at ${cut}`).toBe(false);
    }
    const garbled = z.slice();
    const off = new DataView(garbled.buffer).getUint32(96, true);
    for (let i = off + 8; i < off + 2000; i++) garbled[i] = (garbled[i]! * 31 + 7) & 0xff;
    const g = await decodeLaz(garbled);
    if (g.ok) expect(g.value.cloud.length).toBe(1247); else expect(g.error.code).toMatch(/^LAS\./);
    expect((await decompressLaz(read('1815.las'))).ok).toBe(false);
    expect(decodeLas(z)).toMatchObject({ ok: false, error: { code: 'LAS.LAZ_UNSUPPORTED' } });
    expect((await decodeLaz(z)).ok).toBe(true);
    expect((await decodeLaz(z, { maxPoints: 10 }))).toMatchObject({ ok: false, error: { code: 'LAS.TOO_LARGE' } });
  });
});
