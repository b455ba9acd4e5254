import { decode as decodePng } from 'fast-png';
import { describe, expect, it } from 'vitest';
import {
  bounds, cloudFromXyz, compose, cropBox, dsmRaster, dsmToPng, estimateNormals, icp, invertRigid, KdTree, makeCloud,
  mergeClouds, radiusOutlierRemoval, rigid, statisticalOutlierRemoval, syntheticSurvey, transformCloud, voxelGrid,
} from '../../pointcloud/index.js';
import { Rng } from '../../core/rng.js';

describe('k-d tree', () => {
  it('k nearest and radius counts equal brute force', () => {
    const c = syntheticSurvey({ points: 3000, seed: 2 });
    const t = new KdTree(c.x, c.y, c.z);
    const rng = new Rng(4);
    const idx = new Int32Array(7), d2 = new Float64Array(7);
    for (let q = 0; q < 50; q++) {
      const qx = rng.uniform(0, 12), qy = rng.uniform(0, 12), qz = rng.uniform(-5, 10);
      const brute = Array.from({ length: c.length }, (_, i) => (c.x[i]! - qx) ** 2 + (c.y[i]! - qy) ** 2 + (c.z[i]! - qz) ** 2).sort((a, b) => a - b);
      expect(t.knn(qx, qy, qz, 7, idx, d2)).toBe(7);
      expect(Array.from(d2)).toEqual(brute.slice(0, 7));
      expect(t.radiusCount(qx, qy, qz, 1.5)).toBe(brute.filter((d) => d <= 2.25).length);
    }
  });
});

describe('voxel grid (pcl::VoxelGrid semantics)', () => {
  it('one centroid per occupied voxel, in voxel index order, NaN dropped, fields averaged', () => {
    const c = cloudFromXyz([0.1, 0.1, 0.1, 0.3, 0.3, 0.3, 1.5, 0.2, 0.2, NaN, 0, 0, 0.2, 1.2, 0.1], {
      intensity: { type: 'uint16', count: 1, data: new Uint16Array([10, 20, 30, 40, 50]) },
    });
    const r = voxelGrid(c, { leaf: 1 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const o = r.value.cloud;
    // voxels: (0,0,0) ← p0,p1; (1,0,0) ← p2; (0,1,0) ← p4. idx order: 0, 1, div_x = 2
    expect(o.length).toBe(3);
    expect(Array.from(o.x)).toEqual([Math.fround(0.2), 1.5, 0.2].map(Math.fround));
    expect(Array.from(o.fields.intensity!.data)).toEqual([15, 30, 50]);
  });
  it('minimum points per voxel, bad leaf and int32 overflow (input returned, as PCL)', () => {
    const c = cloudFromXyz([0, 0, 0, 0.1, 0, 0, 5, 5, 5]);
    const r = voxelGrid(c, { leaf: 1, minPointsPerVoxel: 2 });
    expect(r.ok && r.value.cloud.length).toBe(1);
    expect(voxelGrid(c, { leaf: 0 }).ok).toBe(false);
    expect(voxelGrid(c, { leaf: NaN }).ok).toBe(false);
    const far = cloudFromXyz([0, 0, 0, 1e4, 1e4, 1e4]);
    const o = voxelGrid(far, { leaf: 0.001 });
    expect(o.ok && o.value.overflow).toBe(true);
    expect(o.ok && o.value.cloud).toBe(far);
  });
});

describe('outlier removal', () => {
  it('statistical removes the planted gross outliers and keeps the surface', () => {
    const rng = new Rng(8);
    const xyz: number[] = [];
    for (let i = 0; i < 2000; i++) xyz.push(rng.uniform(0, 10), rng.uniform(0, 10), rng.gaussian() * 0.01);
    for (let i = 0; i < 20; i++) xyz.push(rng.uniform(0, 10), rng.uniform(0, 10), 5 + rng.uniform(0, 5));
    const r = statisticalOutlierRemoval(cloudFromXyz(xyz), { meanK: 10, stddevMul: 1 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(Array.from(r.value.kept).filter((i) => i >= 2000)).toEqual([]);
    expect(r.value.cloud.length).toBeGreaterThan(1900);
    const neg = statisticalOutlierRemoval(cloudFromXyz(xyz), { meanK: 10, stddevMul: 1, negative: true });
    expect(neg.ok && neg.value.cloud.length + r.value.cloud.length).toBe(2020);
    expect(statisticalOutlierRemoval(cloudFromXyz(xyz), { meanK: 0, stddevMul: 1 }).ok).toBe(false);
  });
  it('radius keeps points with ≥ minNeighbors others within the radius', () => {
    const c = cloudFromXyz([0, 0, 0, 0.5, 0, 0, 1, 0, 0, 10, 0, 0]);
    const r = radiusOutlierRemoval(c, { radius: 0.6, minNeighbors: 1 });
    expect(r.ok && Array.from(r.value.kept)).toEqual([0, 1, 2]);
    const r2 = radiusOutlierRemoval(c, { radius: 0.6, minNeighbors: 2 });
    expect(r2.ok && Array.from(r2.value.kept)).toEqual([1]);
    expect(radiusOutlierRemoval(c, { radius: -1, minNeighbors: 1 }).ok).toBe(false);
  });
});

describe('crop, transform, merge', () => {
  it('crop box is inclusive and negative is its complement', () => {
    const c = syntheticSurvey({ points: 1000, seed: 1 });
    const inside = cropBox(c, { min: [1, 1, -100], max: [4, 4, 100] });
    const outside = cropBox(c, { min: [1, 1, -100], max: [4, 4, 100], negative: true });
    expect(inside.length + outside.length).toBe(1000);
    const b = bounds(inside);
    expect(b.min[0]).toBeGreaterThanOrEqual(1); expect(b.max[1]).toBeLessThanOrEqual(4);
  });
  it('a rigid transform then its inverse returns the points; merge reconciles origins', () => {
    const c = syntheticSurvey({ points: 500, seed: 3 });
    const m = rigid(0.1, -0.2, 0.7, 3, -4, 5);
    const back = transformCloud(transformCloud(c, m), invertRigid(m));
    for (let i = 0; i < 500; i += 17) expect(back.x[i]).toBeCloseTo(c.x[i]!, 4);
    expect(compose(m, invertRigid(m)).map((v) => Math.round(v * 1e9) / 1e9 + 0)).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    const shifted = makeCloud(new Float32Array([1]), new Float32Array([2]), new Float32Array([3]), {}, [c.origin[0] + 100, c.origin[1], c.origin[2]]);
    const merged = mergeClouds([c, shifted]);
    expect(merged.length).toBe(501);
    expect(merged.x[500]).toBe(101);
  });
});

describe('ICP (point to point)', () => {
  it('recovers a known rigid transform (7° yaw, 1 m) on a street scene: ground, two facades, a building', () => {
    const rng = new Rng(3);
    const xyz: number[] = [];
    for (let i = 0; i < 6000; i++) {
      const s = rng.next(), u = rng.uniform(0, 20), v = rng.uniform(0, 8);
      if (s < 0.4) xyz.push(u, rng.uniform(0, 20), 0);
      else if (s < 0.6) xyz.push(u, 0, v);
      else if (s < 0.8) xyz.push(0, u, v);
      else if (rng.next() < 0.5) xyz.push(8 + rng.uniform(0, 4), 8, rng.uniform(0, 5));
      else xyz.push(8, 8 + rng.uniform(0, 4), rng.uniform(0, 5));
    }
    const target = cloudFromXyz(xyz);
    const truth = rigid(0.03, -0.02, 0.12, 0.8, -0.5, 0.3);
    const source = transformCloud(target, invertRigid(truth)); // source = truth⁻¹ · target
    const r = icp(source, target, { maxIterations: 100, maxCorrespondenceDistance: 3 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    for (let k = 0; k < 12; k++) expect(Math.abs(r.value.transform[k]! - truth[k]!)).toBeLessThan(1e-5);
    expect(r.value.fitness).toBeLessThan(1e-8);
    expect(Math.abs(r.value.aligned.x[100]! - target.x[100]!)).toBeLessThan(1e-4);
    expect(r.value.converged).toBe(true);
  });
  it('fails with a code when nothing corresponds', () => {
    const a = cloudFromXyz([0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const b = cloudFromXyz([100, 0, 0, 101, 0, 0, 100, 1, 0, 100, 0, 1]);
    const r = icp(a, b, { maxCorrespondenceDistance: 1 });
    expect(!r.ok && r.error.code).toBe('ICP.TOO_FEW_POINTS');
  });
});

describe('normal estimation', () => {
  it('a tilted plane gets its normal (towards the viewpoint) and ~0 curvature', () => {
    const rng = new Rng(6);
    const xyz: number[] = [];
    for (let i = 0; i < 1500; i++) { const x = rng.uniform(-5, 5), y = rng.uniform(-5, 5); xyz.push(x, y, 0.5 * x - 10); }
    const r = estimateNormals(cloudFromXyz(xyz), { k: 12 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const expected = [-0.5, 0, 1].map((v) => v / Math.hypot(0.5, 1)); // points up, towards (0,0,0)
    for (let i = 0; i < 1500; i += 97) {
      expect(r.value.fields.normal_x!.data[i]).toBeCloseTo(expected[0]!, 3);
      expect(r.value.fields.normal_z!.data[i]).toBeCloseTo(expected[2]!, 3);
      expect(r.value.fields.curvature!.data[i]).toBeLessThan(1e-6);
    }
  });
});

describe('DSM raster', () => {
  it('max z per cell, north-up, as a 16-bit PNG and world file in world coordinates', () => {
    const c = makeCloud(
      new Float32Array([0.2, 0.7, 1.5, 0.4, 2.9]), new Float32Array([0.2, 0.3, 0.5, 1.9, 1.9]), new Float32Array([1, 3, 2, 5, 7]),
      {}, [500_000, 4_500_000, 100],
    );
    const r = dsmRaster(c, { cellSize: 1 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const d = r.value;
    expect([d.width, d.height, d.west, d.north]).toEqual([3, 2, 500_000, 4_500_002]);
    expect(Array.from(d.z)).toEqual([105, NaN, 107, 103, 102, NaN]);
    const out = dsmToPng(d, 0.01);
    const img = decodePng(out.png);
    expect([img.width, img.height, img.depth, img.channels]).toEqual([3, 2, 16, 1]);
    // cells (north row first): 105, –, 107 / 103, 102, –; zMin 102, 1 cm steps
    expect(Array.from(img.data)).toEqual([301, 0, 501, 101, 1, 0]);
    expect(img.text.zMin).toBe('102');
    expect(out.worldFile.split('\n').slice(0, 6).map(Number)).toEqual([1, 0, 0, -1, 500_000.5, 4_500_001.5]);
    expect(dsmRaster(c, { cellSize: 0 }).ok).toBe(false);
    expect(dsmRaster(c, { cellSize: 1e-6 }).ok).toBe(false);
  });
});
