/**
 * Against PCL 1.13's own tools (Debian pcl-tools): files written by PCL read by us, ours read by
 * PCL, and pcl_voxel_grid / pcl_outlier_removal outputs equal to ours. Skipped, with the reason,
 * when the tools are not installed (apt-get install pcl-tools).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodePcd, encodePcd } from '../../pointcloud/formats/pcd.codec.js';
import { decodePly } from '../../pointcloud/formats/ply.codec.js';
import { radiusOutlierRemoval, statisticalOutlierRemoval } from '../../pointcloud/ops/outlier-removal.js';
import { voxelGrid } from '../../pointcloud/ops/voxel-grid.js';
import { makeCloud } from '../../pointcloud/point-cloud.js';
import { syntheticSurvey } from '../../pointcloud/synthetic-survey.js';

const hasPcl = spawnSync('pcl_convert_pcd_ascii_binary', [], { encoding: 'utf8' }).error === undefined;
if (!hasPcl) console.warn('pcl-interop: skipped — PCL tools not installed (apt-get install pcl-tools)');
const dir = mkdtempSync(join(tmpdir(), 'pcl-interop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const run = (cmd: string, ...args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const src = syntheticSurvey({ points: 20_000, seed: 21 });
const cloud = makeCloud(src.x, src.y, src.z); // PCL tools keep no origin: local coordinates only

describe.skipIf(!hasPcl)('PCD files written and read by PCL 1.13 tools', () => {
  it('reads the ascii, binary and binary_compressed files pcl_convert_pcd_ascii_binary writes', () => {
    const ours = join(dir, 'ours.pcd');
    writeFileSync(ours, encodePcd(cloud, { data: 'binary' }));
    for (const [mode, name] of [[0, 'ascii'], [1, 'binary'], [2, 'binary_compressed']] as const) {
      const out = join(dir, `pcl-${name}.pcd`);
      run('pcl_convert_pcd_ascii_binary', ours, out, String(mode), '8');
      const bytes = readFileSync(out);
      expect(new TextDecoder().decode(bytes.subarray(0, 400))).toContain(`DATA ${name}`);
      const r = decodePcd(bytes);
      expect(r.ok, name).toBe(true);
      if (!r.ok) continue;
      expect(r.value.length).toBe(cloud.length);
      for (let i = 0; i < cloud.length; i += 101) {
        expect(Math.abs(r.value.x[i]! - cloud.x[i]!)).toBeLessThanOrEqual(name === 'ascii' ? 1e-4 : 0);
        expect(Math.abs(r.value.z[i]! - cloud.z[i]!)).toBeLessThanOrEqual(name === 'ascii' ? 1e-4 : 0);
      }
    }
  });
  it('PCL reads our binary_compressed and ascii files back to the same points', () => {
    for (const data of ['binary_compressed', 'ascii'] as const) {
      const ours = join(dir, `ours-${data}.pcd`), back = join(dir, `back-${data}.pcd`);
      writeFileSync(ours, encodePcd(cloud, { data }));
      run('pcl_convert_pcd_ascii_binary', ours, back, '1');
      const r = decodePcd(readFileSync(back));
      expect(r.ok && Array.from(r.value.y)).toEqual(Array.from(cloud.y));
    }
  });
  it('reads the PLY pcl_pcd2ply writes (binary and ascii)', () => {
    const ours = join(dir, 'for-ply.pcd');
    writeFileSync(ours, encodePcd(cloud));
    for (const format of ['1', '0']) {
      const ply = join(dir, `pcl-${format}.ply`);
      run('pcl_pcd2ply', '-format', format, ours, ply);
      const r = decodePly(readFileSync(ply));
      expect(r.ok).toBe(true);
      if (r.ok) { expect(r.value.length).toBe(cloud.length); expect(Math.abs(r.value.z[777]! - cloud.z[777]!)).toBeLessThan(1e-4); }
    }
  });
});

describe.skipIf(!hasPcl)('operations equal to PCL 1.13', () => {
  const input = join(dir, 'ops.pcd');
  writeFileSync(input, encodePcd(cloud));
  for (const leaf of [0.3, 0.5, 1.7]) {
    it(`voxel grid ${leaf} m: pcl_voxel_grid's count, order and centroids`, () => {
      const out = join(dir, `vg-${leaf}.pcd`);
      run('pcl_voxel_grid', input, out, '-leaf', `${leaf},${leaf},${leaf}`);
      const pcl = decodePcd(readFileSync(out));
      const ours = voxelGrid(cloud, { leaf });
      expect(pcl.ok && ours.ok).toBe(true);
      if (!pcl.ok || !ours.ok) return;
      const o = ours.value.cloud;
      expect(o.length).toBe(pcl.value.length);
      for (let i = 0; i < o.length; i++) {
        expect(Math.abs(o.x[i]! - pcl.value.x[i]!)).toBeLessThan(1e-3);
        expect(Math.abs(o.z[i]! - pcl.value.z[i]!)).toBeLessThan(1e-3);
      }
    });
  }
  it('statistical outlier removal: pcl_outlier_removal keeps the same points', () => {
    for (const [k, mul] of [[8, 1], [20, 0.5]] as const) {
      const out = join(dir, `sor-${k}.pcd`);
      run('pcl_outlier_removal', input, out, '-method', 'statistical', '-mean_k', String(k), '-std_dev_mul', String(mul));
      const pcl = decodePcd(readFileSync(out));
      const ours = statisticalOutlierRemoval(cloud, { meanK: k, stddevMul: mul });
      expect(pcl.ok && ours.ok).toBe(true);
      if (!pcl.ok || !ours.ok) return;
      expect(ours.value.cloud.length).toBe(pcl.value.length);
      expect(Array.from(ours.value.cloud.x)).toEqual(Array.from(pcl.value.x));
    }
  });
  it('radius outlier removal: pcl_outlier_removal keeps the same points', () => {
    const out = join(dir, 'ror.pcd');
    run('pcl_outlier_removal', input, out, '-method', 'radius', '-radius', '0.4', '-min_pts', '3');
    const pcl = decodePcd(readFileSync(out));
    const ours = radiusOutlierRemoval(cloud, { radius: 0.4, minNeighbors: 3 });
    expect(pcl.ok && ours.ok).toBe(true);
    if (pcl.ok && ours.ok) expect(ours.value.cloud.length).toBe(pcl.value.length);
  });
});
