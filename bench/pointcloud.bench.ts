/**
 * Point-cloud operations beside PCL 1.13 (Debian libpcl-dev) in one run: pcl::VoxelGrid and
 * pcl::StatisticalOutlierRemoval on the same binary PCD file (seeded synthetic survey clouds),
 * our voxelGrid / statisticalOutlierRemoval, and a naive JS voxel hash (Map + per-voxel object)
 * as the in-process baseline. Prints points/s, ratios and both output counts.
 *
 * Run: `bash bench/pcl/build.sh && npm run build && node dist/bench/pointcloud.bench.js [1e6,1e7] [leaf_m] [meanK] [stddevMul] [reps]`
 * Target: ours ≥ 0.7× PCL on both operations, output counts identical. PCL is skipped (with the
 * reason) when out/pcl/pcl-bench is not built.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { decodePcd, encodePcd } from '../pointcloud/formats/pcd.codec.js';
import { statisticalOutlierRemoval } from '../pointcloud/ops/outlier-removal.js';
import { voxelGrid } from '../pointcloud/ops/voxel-grid.js';
import type { PointCloud } from '../pointcloud/point-cloud.js';
import { syntheticSurvey } from '../pointcloud/synthetic-survey.js';

const sizes = (process.argv[2] ?? '1e6,1e7').split(',').map(Number);
const leaf = Number(process.argv[3] ?? 0.5);
const meanK = Number(process.argv[4] ?? 8);
const mul = Number(process.argv[5] ?? 1);
const reps = Number(process.argv[6] ?? 3);
const pclBin = join(process.cwd(), 'out/pcl/pcl-bench');
const dir = join(process.cwd(), 'out/pointcloud-bench');

/** The baseline: what one writes first — a Map from voxel index to an accumulator object. */
function naiveVoxel(c: PointCloud, leafM: number): number {
  const inv = 1 / leafM;
  let mx = Infinity, my = Infinity, mz = Infinity;
  for (let i = 0; i < c.length; i++) { mx = Math.min(mx, c.x[i]!); my = Math.min(my, c.y[i]!); mz = Math.min(mz, c.z[i]!); }
  const map = new Map<number, { x: number; y: number; z: number; n: number }>();
  for (let i = 0; i < c.length; i++) {
    const k = Math.floor((c.x[i]! - mx) * inv) + Math.floor((c.y[i]! - my) * inv) * 1e5 + Math.floor((c.z[i]! - mz) * inv) * 1e10;
    const v = map.get(k);
    if (v) { v.x += c.x[i]!; v.y += c.y[i]!; v.z += c.z[i]!; v.n++; } else map.set(k, { x: c.x[i]!, y: c.y[i]!, z: c.z[i]!, n: 1 });
  }
  return map.size;
}

/** Best of `runs`: wall ms and CPU ms (user + system of this process: fair on a shared machine). */
function best<T>(runs: number, f: () => T): { ms: number; cpu: number; value: T } {
  let ms = Infinity, cpu = Infinity, value!: T;
  for (let r = 0; r < runs; r++) {
    (globalThis as { gc?: () => void }).gc?.();
    const t = performance.now(), c = process.cpuUsage();
    value = f();
    const d = process.cpuUsage(c);
    ms = Math.min(ms, performance.now() - t);
    cpu = Math.min(cpu, (d.user + d.system) / 1000);
  }
  return { ms, cpu, value };
}

const mpts = (n: number, ms: number) => (ms > 0 ? (n / ms / 1000).toFixed(2) : '–');

function main(): void {
  console.log(`pointcloud: leaf ${leaf} m, SOR meanK ${meanK} stddevMul ${mul}, best of ${reps} (SOR at ≥ 5 M points: 1 run); ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const havePcl = existsSync(pclBin);
  if (!havePcl) console.log(`PCL: skipped — ${pclBin} not built (bash bench/pcl/build.sh, needs apt-get install libpcl-dev)`);
  mkdirSync(dir, { recursive: true });
  let failed = false;
  for (const n of sizes) {
    const file = join(dir, `survey-${n}.pcd`);
    writeFileSync(file, encodePcd(syntheticSurvey({ points: n, seed: 11 }), { data: 'binary' }));
    const dec = decodePcd(readFileSync(file));
    if (!dec.ok) throw new Error(dec.error.message);
    const cloud = dec.value;
    const r = Math.max(1, reps);
    const rs = n >= 5e6 ? 1 : r; // SOR on 10 M points takes PCL ~15 s of CPU: one run each
    let pcl: { voxel_ms: number; voxel_cpu_ms: number; voxel_out: number; sor_ms: number; sor_cpu_ms: number; sor_out: number } | undefined;
    if (havePcl) {
      const p = spawnSync(pclBin, [file, String(leaf), String(meanK), String(mul), String(r), 'both', String(rs)], { encoding: 'utf8' });
      if (p.status === 0) pcl = JSON.parse(p.stdout.trim().split('\n').pop()!);
      else console.log(`PCL failed: ${p.stderr}`);
    }
    // JIT warm-up on a slice (PCL is compiled ahead of time): tiers the hot loops up before timing.
    const warm = syntheticSurvey({ points: 200_000, seed: 3 });
    for (let w = 0; w < 3; w++) { voxelGrid(warm, { leaf }); naiveVoxel(warm, leaf); statisticalOutlierRemoval(warm, { meanK, stddevMul: mul }); }
    const vg = best(r, () => voxelGrid(cloud, { leaf }));
    const naive = best(r, () => naiveVoxel(cloud, leaf));
    const sor = best(rs, () => statisticalOutlierRemoval(cloud, { meanK, stddevMul: mul }));
    const vOut = vg.value.ok ? vg.value.value.cloud.length : -1;
    const sOut = sor.value.ok ? sor.value.value.cloud.length : -1;
    console.log(`\n${(n / 1e6).toFixed(0)} M points (load ${loadavg()[0]!.toFixed(2)})`);
    console.log('  op          impl       wall ms  cpu ms  Mpts/s(cpu)  out');
    const row = (op: string, impl: string, ms: number, cpu: number, out: number | string) =>
      console.log(`  ${op.padEnd(11)} ${impl.padEnd(10)} ${ms.toFixed(0).padStart(7)} ${cpu.toFixed(0).padStart(7)} ${mpts(n, cpu).padStart(11)}  ${out}`);
    if (pcl) row('voxel grid', 'PCL', pcl.voxel_ms, pcl.voxel_cpu_ms, pcl.voxel_out);
    row('voxel grid', 'ours', vg.ms, vg.cpu, vOut);
    row('voxel grid', 'naive JS', naive.ms, naive.cpu, `${naive.value} (its own grid origin)`);
    if (pcl) row('SOR', 'PCL', pcl.sor_ms, pcl.sor_cpu_ms, pcl.sor_out);
    row('SOR', 'ours', sor.ms, sor.cpu, sOut);
    if (pcl) {
      const rv = pcl.voxel_cpu_ms / vg.cpu, rs = pcl.sor_cpu_ms / sor.cpu;
      const same = pcl.voxel_out === vOut && pcl.sor_out === sOut;
      console.log(`  ratio vs PCL: voxel ${rv.toFixed(2)}×, SOR ${rs.toFixed(2)}× (target ≥ 0.7×); naive/PCL voxel ${(pcl.voxel_cpu_ms / naive.cpu).toFixed(2)}× (CPU-time ratios; wall ${(pcl.voxel_ms / vg.ms).toFixed(2)}× / ${(pcl.sor_ms / sor.ms).toFixed(2)}×); counts ${same ? 'identical' : 'DIFFER'}`);
      if (!same) failed = true;
    }
  }
  process.exitCode = failed ? 1 : 0;
}

main();
