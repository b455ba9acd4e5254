/**
 * Scale-out: BullMQ workers as separate OS processes (dist/hpc/worker-main.js) on one real
 * redis-server share the jobs of one queue; a worker SIGKILLed mid-job loses nothing — BullMQ's
 * stalled-job check hands the job to the surviving worker, whose result equals the in-process
 * pipeline's byte for byte (checked by sha256).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { startHpcServer, type HpcServer } from '../../hpc/hpc.server.js';
import { runPipeline } from '../../hpc/hpc-pipeline.js';
import type { Stage } from '../../hpc/hpc-job.schema.js';
import { REDIS_SERVER, startRedis, type RedisHandle } from './support/redis.js';
import { call, client, surveyPcd, waitStatus, type Client } from './support/hpc-client.js';

const WORKER = 'dist/hpc/worker-main.js';

interface WorkerProc { readonly proc: ChildProcess; readonly pid: number; readonly started: string[]; exited: Promise<void> }

function spawnWorker(redisUrl: string, queue: string): Promise<WorkerProc> {
  const proc = spawn(process.execPath, [WORKER, '--redis', redisUrl, '--queue', queue, '--lock-ms', '1500', '--stalled-ms', '500', '--log-level', 'info'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const started: string[] = [];
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error('worker did not report ready in 15 s')), 15_000);
    createInterface({ input: proc.stderr! }).on('line', (l) => {
      let m: { msg?: string; jobId?: string };
      try { m = JSON.parse(l) as typeof m; } catch { return; }
      if (m.msg === 'hpc job start' && m.jobId) started.push(m.jobId);
      if (m.msg === 'hpc worker ready') { clearTimeout(t); res({ proc, pid: proc.pid!, started, exited }); }
    });
    proc.once('exit', (code) => { clearTimeout(t); rej(new Error(`worker exited early (${code})`)); });
  });
}

const toProto = (s: Stage) => s.op === 'voxel_grid' ? { voxel_grid: { leaf: s.leaf } } : s.op === 'statistical_outlier' ? { statistical_outlier: { k: s.k, std_mul: s.stdMul } } : {};

async function expectedSha(data: Buffer, stages: Stage[]): Promise<string> {
  const r = await runPipeline({ data, additional: [], format: 'pcd', outputFormat: 'pcd', stages });
  if (!r.ok) throw new Error(r.error.message);
  return r.value.meta.sha256;
}

describe.skipIf(!REDIS_SERVER)('HPC workers in separate processes (real redis-server)', () => {
  let redis: RedisHandle, server: HpcServer, c: Client;
  const workers: WorkerProc[] = [];

  beforeAll(async () => {
    if (!existsSync(WORKER)) throw new Error(`${WORKER} missing: build first (npx tsc -p tsconfig.build.json)`);
    redis = await startRedis();
    server = await startHpcServer({ redisUrl: redis.url, port: 0, queueName: 'scale' });
    c = client(server.port);
    workers.push(await spawnWorker(redis.url, 'scale'), await spawnWorker(redis.url, 'scale'));
  }, 30_000);
  afterAll(async () => {
    for (const w of workers) if (w.proc.exitCode === null && w.proc.signalCode === null) { w.proc.kill('SIGKILL'); await w.exited; }
    c?.close();
    await server?.close();
    await redis?.stop();
  });

  it('two worker processes share the jobs of one queue; every result equals the in-process pipeline', async () => {
    const stages: Stage[] = [{ op: 'voxel_grid', leaf: 0.1, minPointsPerVoxel: 0 }, { op: 'statistical_outlier', k: 8, stdMul: 1 }];
    const clouds = Array.from({ length: 8 }, (_, i) => surveyPcd(30_000, 100 + i));
    const jobs = await Promise.all(clouds.map((b) => call(c, 'ProcessPointCloud', { point_cloud_data: b, operations: stages.map(toProto) })));
    const done = await Promise.all(jobs.map((j) => waitStatus(c, String(j.job_id))));
    expect(done.map((d) => d.state)).toEqual(Array(8).fill('SUCCEEDED'));
    const by = new Set(done.map((d) => (d.result as Record<string, unknown>).worker));

    expect(by.size).toBe(2);
    for (const w of workers) expect(w.started.length).toBeGreaterThan(0);
    for (const [i, d] of done.entries()) expect((d.result as Record<string, unknown>).sha256).toBe(await expectedSha(clouds[i]!, stages));
  }, 60_000);

  it('a worker SIGKILLed mid-job: the job is recovered by the other worker and completes, nothing lost', async () => {
    const cloud = surveyPcd(40_000, 42);
    const stages: Stage[] = Array.from({ length: 64 }, (_, i) => (i % 2 ? { op: 'statistical_outlier', k: 8, stdMul: 3 } : { op: 'voxel_grid', leaf: 0.05, minPointsPerVoxel: 0 }));
    const job = await call(c, 'ProcessPointCloud', { point_cloud_data: cloud, operations: stages.map(toProto) });
    const id = String(job.job_id);
    const running = await waitStatus(c, id, (s) => s.state === 'RUNNING' && Number(s.progress) > 0.05);
    expect(Number(running.progress)).toBeLessThan(1);
    const victim = workers.find((w) => w.started.includes(id));
    const survivor = workers.find((w) => w !== victim);
    expect(victim).toBeDefined();
    victim!.proc.kill('SIGKILL');
    await victim!.exited;
    const fin = await waitStatus(c, id, undefined, 40_000);
    expect(fin.state).toBe('SUCCEEDED');
    expect(Number(fin.attempts)).toBeGreaterThanOrEqual(2);
    expect(survivor!.started).toContain(id);
    expect((fin.result as Record<string, unknown>).worker).toMatch(new RegExp(`:${survivor!.pid}$`));
    expect((fin.result as Record<string, unknown>).sha256).toBe(await expectedSha(cloud, stages));
  }, 60_000);
});
