/**
 * HPC service throughput: jobs/s through gRPC + BullMQ with 1 and then 2 worker processes on one
 * local redis-server (spawned on a free port, persistence off). Each job: a seeded synthetic
 * survey cloud (binary PCD) → voxel_grid → statistical_outlier. Submission is concurrent; the clock
 * runs from the first submit to the last SUCCEEDED status.
 *
 * Run: `npm run build && node dist/bench/hpc.bench.js [jobs=24] [points=100000] [workers=1,2]`
 * Skipped (with the reason) when redis-server is not installed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import type * as grpc from '@grpc/grpc-js';
import { startHpcServer } from '../hpc/hpc.server.js';
import { hpcClient } from '../hpc/hpc-proto.js';
import { encodePcd } from '../pointcloud/formats/pcd.codec.js';
import { syntheticSurvey } from '../pointcloud/synthetic-survey.js';

const jobs = Number(process.argv[2] ?? 24);
const points = Number(process.argv[3] ?? 100_000);
const workerCounts = (process.argv[4] ?? '1,2').split(',').map(Number);
const here = dirname(fileURLToPath(import.meta.url));
const WORKER = join(here, '../hpc/worker-main.js');

const which = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
if (which.status !== 0) {
  console.log('hpc bench skipped: redis-server is not installed (apt-get install redis-server)');
  process.exit(0);
}

const freePort = () => new Promise<number>((res) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const a = s.address(); s.close(() => res(typeof a === 'object' && a ? a.port : 0)); }); });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const port = await freePort();
const redisProc = spawn(which.stdout.trim(), ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
const url = `redis://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  const c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  c.on('error', () => undefined);
  try { await c.connect(); await c.ping(); c.disconnect(); break; } catch { c.disconnect(); if (i > 200) throw new Error('redis-server did not start'); await sleep(50); }
}

function spawnWorker(queue: string): Promise<ChildProcess> {
  const p = spawn(process.execPath, [WORKER, '--redis', url, '--queue', queue, '--log-level', 'info'], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((res) => createInterface({ input: p.stderr! }).on('line', (l) => { if (l.includes('hpc worker ready')) res(p); }));
}

const clouds = Array.from({ length: jobs }, (_, i) => Buffer.from(encodePcd(syntheticSurvey({ points, seed: 1000 + i }), { data: 'binary' })));
const operations = [{ voxel_grid: { leaf: 0.2 } }, { statistical_outlier: { k: 8, std_mul: 1 } }];
console.log(`machine: ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, node ${process.version}; ${jobs} jobs × ${points} points (voxel_grid 0.2 m → SOR k=8)`);

type C = ReturnType<typeof hpcClient>;
const call = (c: C, m: string, req: unknown) => new Promise<Record<string, unknown>>((res, rej) => (c[m] as (r: unknown, cb: (e: grpc.ServiceError | null, v: Record<string, unknown>) => void) => void).call(c, req, (e, v) => (e ? rej(e) : res(v))));

for (const n of workerCounts) {
  const queue = `bench-${n}`;
  const server = await startHpcServer({ redisUrl: url, port: 0, queueName: queue });
  const client = hpcClient(`127.0.0.1:${server.port}`);
  const workers = await Promise.all(Array.from({ length: n }, () => spawnWorker(queue)));
  const t0 = performance.now();
  const ids = await Promise.all(clouds.map((b) => call(client, 'ProcessPointCloud', { point_cloud_data: b, operations }).then((j) => String(j.job_id))));
  const pending = new Set(ids);
  while (pending.size) {
    for (const id of [...pending]) {
      const s = await call(client, 'GetJobStatus', { job_id: id });
      if (s.state === 'SUCCEEDED') pending.delete(id);
      else if (s.state === 'FAILED' || s.state === 'CANCELLED') throw new Error(`job ${id} ${String(s.state)}: ${String(s.error_message)}`);
    }
    if (pending.size) await sleep(20);
  }
  const s = (performance.now() - t0) / 1000;
  console.log(`workers=${n}: ${jobs} jobs in ${s.toFixed(2)} s → ${(jobs / s).toFixed(2)} jobs/s, ${((jobs * points) / s / 1e6).toFixed(2)} M input points/s`);
  for (const w of workers) w.kill('SIGTERM');
  await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(null) : w.once('exit', r)))));
  client.close();
  await server.close();
}
redisProc.kill('SIGTERM');
