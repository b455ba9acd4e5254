/**
 * Our LAS files read by an independent, maintained implementation: @loaders.gl/las (vis.gl; reads
 * LAS ≤ 1.3, so point formats 0–3). World positions, intensity and classification must agree.
 */
import { parse } from '@loaders.gl/core';
import { LASLoader } from '@loaders.gl/las';
import { describe, expect, it } from 'vitest';
import { encodeLas, makeCloud, syntheticSurvey } from '../../pointcloud/index.js';

describe('LAS 1.2 written by us, read by @loaders.gl/las', () => {
  const s = syntheticSurvey({ points: 2000, seed: 31 });
  const n = s.length;
  const cloud = makeCloud(s.x, s.y, s.z, {
    intensity: { type: 'uint16', count: 1, data: new Uint16Array(n).map((_, i) => (i * 97) % 60000) },
    classification: { type: 'uint8', count: 1, data: new Uint8Array(n).map((_, i) => (i % 3) + 1) },
  }, s.origin);
  for (const pointFormat of [0, 1, 2, 3] as const) {
    it(`point format ${pointFormat}`, async () => {
      const enc = encodeLas(cloud, { pointFormat });
      if (!enc.ok) throw new Error(enc.error.message);
      const b = enc.value;
      const mesh = await parse(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer, LASLoader, { las: { shape: 'mesh', fp64: true }, worker: false }) as unknown as {
        header: { vertexCount: number }; attributes: Record<string, { value: ArrayLike<number> }>;
      };
      expect(mesh.header.vertexCount).toBe(n);
      const pos = mesh.attributes.POSITION!.value;
      for (let i = 0; i < n; i += 13) {
        expect(Math.abs(pos[3 * i]! - (cloud.x[i]! + cloud.origin[0]))).toBeLessThan(6e-4);
        expect(Math.abs(pos[3 * i + 1]! - (cloud.y[i]! + cloud.origin[1]))).toBeLessThan(6e-4);
        expect(Math.abs(pos[3 * i + 2]! - (cloud.z[i]! + cloud.origin[2]))).toBeLessThan(6e-4);
      }
      expect(Array.from(mesh.attributes.intensity!.value)).toEqual(Array.from(cloud.fields.intensity!.data));
      expect(Array.from(mesh.attributes.classification!.value)).toEqual(Array.from(cloud.fields.classification!.data));
    });
  }
});
