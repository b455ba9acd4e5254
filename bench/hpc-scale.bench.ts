/**
 * HPC scaling: N voxel_grid → statistical_outlier jobs on a 1 M-point survey cloud (binary PCD,
 * ~12 MB, submitted over gRPC) through each engine with 1 and 2 workers: BullMQ with 1 and 2
 * `hpc/worker-main.js` processes on a redis-server this bench starts on a free loopback port, and
 * the local worker_threads engine with pool size 1 and 2. Prints jobs/s (first submit → last
 * SUCCEEDED) and the ratio to the same engine with 1 worker, plus the core count and load: on a
 * 2-core machine the server (which decodes every cloud to validate it), Redis and the workers
 * share the cores, so 2 workers cannot reach 2×.
 *
 * Run: `npx tsc -p tsconfig.build.json && node dist/bench/hpc-scale.bench.js [jobs=6] [points=1000000] [engines=redis,local]`
 * The redis rows are skipped (saying why) when redis-server is not installed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import type * as grpc from '@grpc/grpc-js';
import { startHpcServer, type HpcServer } from '../hpc/hpc.server.js';
import { hpcClient } from '../hpc/hpc-proto.js';
import { encodePcd } from '../pointcloud/formats/pcd.codec.js';
import { syntheticSurvey } from '../pointcloud/synthetic-survey.js';

const jobs = Number(process.argv[2] ?? 6);
const points = Number(process.argv[3] ?? 1_000_000);
const engines = (process.argv[4] ?? 'redis,local').split(',');
const here = dirname(fileURLToPath(import.meta.url));
const WORKER = join(here, '../hpc/worker-main.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const freePort = () => new Promise<number>((res) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const a = s.address(); s.close(() => res(typeof a === 'object' && a ? a.port : 0)); }); });

type C = ReturnType<typeof hpcClient>;
const call = (c: C, m: string, req: unknown) => new Promise<Record<string, unknown>>((res, rej) => (c[m] as (r: unknown, cb: (e: grpc.ServiceError | null, v: Record<string, unknown>) => void) => void).call(c, req, (e, v) => (e ? rej(e) : res(v))));

const cloud = Buffer.from(encodePcd(syntheticSurvey({ points, seed: 2026 }), { data: 'binary' }));
const operations = [{ voxel_grid: { leaf: 0.2 } }, { statistical_outlier: { k: 8, std_mul: 1 } }];
console.log(`machine: ${cpus()[0]?.model ?? 'cpu'}, ${availableParallelism()} cores (shared: server, Redis, workers and this bench on the same cores), node ${process.version}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`${jobs} jobs × ${points} points (${(cloud.length / 1e6).toFixed(1)} MB binary PCD each, over gRPC), voxel_grid 0.2 m → SOR k=8`);

/** Submits all jobs at once, waits for all; returns jobs/s and the distinct workers that ran them. */
async function run(server: HpcServer): Promise<{ rate: number; seconds: number; workers: number; sha: Set<string> }> {
  const client = hpcClient(`127.0.0.1:${server.port}`);
  try {
    const t0 = performance.now();
    const ids = await Promise.all(Array.from({ length: jobs }, () => call(client, 'ProcessPointCloud', { point_cloud_data: cloud, operations }).then((j) => String(j.job_id))));
    const pending = new Set(ids);
    const by = new Set<string>(), sha = new Set<string>();
    while (pending.size) {
      for (const id of [...pending]) {
        const s = await call(client, 'GetJobStatus', { job_id: id });
        if (s.state === 'SUCCEEDED') { pending.delete(id); const r = s.result as Record<string, unknown>; by.add(String(r.worker)); sha.add(String(r.sha256)); }
        else if (s.state === 'FAILED' || s.state === 'CANCELLED') throw new Error(`job ${id} ${String(s.state)}: ${String(s.error_message)}`);
      }
      if (pending.size) await sleep(20);
    }
    const seconds = (performance.now() - t0) / 1000;
    return { rate: jobs / seconds, seconds, workers: by.size, sha };
  } finally { client.close(); }
}

const rows: { engine: string; n: number; rate: number; seconds: number; workers: number }[] = [];
const report = (engine: string, n: number, r: { rate: number; seconds: number; workers: number; sha: Set<string> }) => {
  const base = rows.find((x) => x.engine === engine && x.n === 1)?.rate ?? r.rate;
  rows.push({ engine, n, rate: r.rate, seconds: r.seconds, workers: r.workers });
  console.log(`${engine.padEnd(5)} workers=${n}: ${jobs} jobs in ${r.seconds.toFixed(2)} s → ${r.rate.toFixed(3)} jobs/s (${((jobs * points) / r.seconds / 1e6).toFixed(2)} M input points/s), ×${(r.rate / base).toFixed(2)} vs 1 worker; ${r.workers} distinct worker(s), ${r.sha.size} distinct result sha256`);
};

if (engines.includes('redis')) {
  const which = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  if (which.status !== 0) console.log('redis rows skipped: redis-server is not installed (apt-get install redis-server)');
  else {
    const port = await freePort();
    const redisProc = spawn(which.stdout.trim(), ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const url = `redis://127.0.0.1:${port}`;
    try {
      for (let i = 0; ; i++) {
        const c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        c.on('error', () => undefined);
        try { await c.connect(); await c.ping(); c.disconnect(); break; } catch { c.disconnect(); if (i > 200) throw new Error('redis-server did not start'); await sleep(50); }
      }
      const spawnWorker = (queue: string): Promise<ChildProcess> => {
        const p = spawn(process.execPath, [WORKER, '--redis', url, '--queue', queue, '--log-level', 'info'], { stdio: ['ignore', 'ignore', 'pipe'] });
        return new Promise((res) => createInterface({ input: p.stderr! }).on('line', (l) => { if (l.includes('hpc worker ready')) res(p); }));
      };
      for (const n of [1, 2]) {
        const queue = `scale-${n}`;
        const server = await startHpcServer({ redisUrl: url, port: 0, queueName: queue });
        const workers = await Promise.all(Array.from({ length: n }, () => spawnWorker(queue)));
        try { report('redis', n, await run(server)); } finally {
          for (const w of workers) w.kill('SIGTERM');
          await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(null) : w.once('exit', r)))));
          await server.close();
        }
      }
    } finally { redisProc.kill('SIGTERM'); }
  }
}

if (engines.includes('local')) {
  for (const n of [1, 2]) {
    const server = await startHpcServer({ port: 0, local: { poolSize: n } });
    try { report('local', n, await run(server)); } finally { await server.close(); }
  }
}
console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
