/**
 * The local engine (no Redis: a worker_threads pool in the server's process) over real gRPC on
 * 127.0.0.1: a thread that dies mid-job (process.exit / uncaught exception, injected by the
 * test-only `faultInjection` hook) is replaced and its job retried or failed while the other
 * thread's job is undisturbed; the byte budget refuses submits with RESOURCE_EXHAUSTED and TTL
 * eviction frees it; queued and running jobs are cancelled.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { startHpcServer, type HpcServer } from '../../hpc/hpc.server.js';
import type { LocalEngine } from '../../hpc/local-engine.js';
import { runPipeline } from '../../hpc/hpc-pipeline.js';
import type { Stage } from '../../hpc/hpc-job.schema.js';
import { call, client, stream, surveyPcd, waitStatus, type Client } from './support/hpc-client.js';

const THREAD = 'dist/hpc/local-engine.thread.js';
const cloud = surveyPcd(20_000, 7);
const quick: Stage[] = [{ op: 'voxel_grid', leaf: 0.5, minPointsPerVoxel: 0 }, { op: 'statistical_outlier', k: 8, stdMul: 1.5 }];
/** Many stages: long enough to be seen RUNNING and to be cancelled between stages. */
const slow: Stage[] = Array.from({ length: 60 }, (_, i) => (i % 2 ? { op: 'statistical_outlier', k: 8, stdMul: 3 } : { op: 'voxel_grid', leaf: 0.05, minPointsPerVoxel: 0 }));
const toProto = (s: Stage) => (s.op === 'voxel_grid' ? { voxel_grid: { leaf: s.leaf } } : s.op === 'statistical_outlier' ? { statistical_outlier: { k: s.k, std_mul: s.stdMul } } : {});
const submit = (c: Client, stages: Stage[], extra: Record<string, unknown> = {}) => call(c, 'ProcessPointCloud', { point_cloud_data: cloud, operations: stages.map(toProto), ...extra });
async function sha(stages: Stage[]): Promise<string> {
  const r = await runPipeline({ data: cloud, additional: [], format: 'pcd', outputFormat: 'pcd', stages });
  if (!r.ok) throw new Error(r.error.message);
  return r.value.meta.sha256;
}

describe('HPC local engine (worker_threads, no Redis)', () => {
  let server: HpcServer | undefined, c: Client | undefined;
  beforeAll(() => { if (!existsSync(THREAD)) throw new Error(`${THREAD} missing: build first (npx tsc -p tsconfig.build.json)`); });
  afterEach(async () => { c?.close(); await server?.close(); c = undefined; server = undefined; });
  const start = async (local: Record<string, unknown>, ttlSeconds?: number) => {
    server = await startHpcServer({ port: 0, local, ...(ttlSeconds ? { ttlSeconds } : {}) });
    c = client(server.port);
    return { server, c, engine: server.engine as LocalEngine };
  };

  it('a thread killed mid-job (process.exit) is replaced and the job retried; a thread that always throws fails its job after 3 attempts; the other thread\'s job is undisturbed', async () => {
    const { c, engine } = await start({ poolSize: 2, faultInjection: true });
    expect(engine.kind).toBe('local');
    expect(engine.poolSize).toBe(2);
    const long = await submit(c, slow.slice(0, 30));
    await waitStatus(c, String(long.job_id), (s) => s.state === 'RUNNING');
    const once = await submit(c, quick, { client_request_id: 'hpc-fault:exit@1' });
    const fin = await waitStatus(c, String(once.job_id));
    expect(fin).toMatchObject({ state: 'SUCCEEDED', attempts: 2 });
    expect((fin.result as Record<string, unknown>).sha256).toBe(await sha(quick));
    const always = await submit(c, quick, { client_request_id: 'hpc-fault:throw' });
    const failed = await waitStatus(c, String(always.job_id));
    expect(failed).toMatchObject({ state: 'FAILED', error_code: 'HPC.WORKER_CRASHED', attempts: 3 });
    expect(String(failed.error_message)).toMatch(/injected crash/);
    // The long job ran on the other thread the whole time: one attempt, the right bytes.
    const l = await waitStatus(c, String(long.job_id), undefined, 60_000);
    expect(l).toMatchObject({ state: 'SUCCEEDED', attempts: 1 });
    expect((l.result as Record<string, unknown>).sha256).toBe(await sha(slow.slice(0, 30)));
    // The pool is back at full size: two jobs at once on two different (new) threads.
    for (let i = 0; engine.threads().ready < 2; i++) { expect(i).toBeLessThan(400); await new Promise((r) => setTimeout(r, 25)); }
    expect(engine.threads()).toEqual({ alive: 2, ready: 2, busy: 0, queued: 0 });
    const [a, b] = await Promise.all([submit(c, slow.slice(0, 10)), submit(c, slow.slice(0, 10))]);
    const both = await Promise.all([waitStatus(c, String(a.job_id)), waitStatus(c, String(b.job_id))]);
    expect(both.map((s) => s.state)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(new Set(both.map((s) => (s.result as Record<string, unknown>).worker)).size).toBe(2);
    expect(engine.storedBytes().used).toBe(both.reduce((n, s) => n + Number((s.result as Record<string, unknown>).size_bytes), 0) + Number((fin.result as Record<string, unknown>).size_bytes) + Number((l.result as Record<string, unknown>).size_bytes));
  }, 90_000);

  it('byte budget: a submit that does not fit is RESOURCE_EXHAUSTED (nothing queued); cancelling frees the inputs; TTL eviction frees results', async () => {
    const { c, engine } = await start({ poolSize: 1, maxStoredBytes: Math.floor(cloud.length * 1.5) }, 10);
    const a = await submit(c, slow);
    await waitStatus(c, String(a.job_id), (s) => s.state === 'RUNNING');
    expect(engine.storedBytes().used).toBe(cloud.length);
    const e = await submit(c, quick).catch((x: grpc.ServiceError) => x);
    expect(e).toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED });
    expect((e as grpc.ServiceError).details).toMatch(/job store is full/);
    expect(await engine.jobCount()).toBe(1);
    await call(c, 'CancelJob', { job_id: a.job_id });
    await waitStatus(c, String(a.job_id), (s) => Number(s.finished_at_ms) > 0);
    expect(engine.storedBytes().used).toBe(0);
    const b = await submit(c, quick);
    const st = await waitStatus(c, String(b.job_id));
    expect(st.state).toBe('SUCCEEDED');
    expect(engine.storedBytes().used).toBe(Number((st.result as Record<string, unknown>).size_bytes));
    // A result that does not fit (LAS: 30+ bytes a point vs 12 in the PCD input) fails its job; the store is unchanged.
    const held = engine.storedBytes().used;
    const big = await call(c, 'ProcessPointCloud', { point_cloud_data: cloud, output_format: 'LAS', operations: [{ crop: { min: [-1e6, -1e6, -1e6], max: [1e6, 1e6, 1e6] } }] });
    const fb = await waitStatus(c, String(big.job_id));
    expect(fb).toMatchObject({ state: 'FAILED', error_code: 'HPC.BUDGET_EXHAUSTED', attempts: 1 });
    expect(String(fb.error_message)).toMatch(/does not fit/);
    expect(engine.storedBytes().used).toBe(held);
  }, 60_000);

  it('TTL: a finished job and its result are evicted after the TTL (NOT_FOUND), freeing the budget', async () => {
    const { c, engine } = await start({ poolSize: 1, ttlMs: 300 });
    const j = await submit(c, quick);
    expect((await waitStatus(c, String(j.job_id))).state).toBe('SUCCEEDED');
    expect(engine.storedBytes().used).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 600));
    await expect(call(c, 'GetJobStatus', { job_id: j.job_id })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    await expect(call(c, 'GetProcessedResult', { job_id: j.job_id })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    expect(engine.storedBytes().used).toBe(0);
  });

  it('cancel: a queued job is CANCELLED at once and never runs; a running job stops at its next stage; the thread then takes the next job', async () => {
    const { c } = await start({ poolSize: 1 });
    const running = await submit(c, slow);
    await waitStatus(c, String(running.job_id), (s) => s.state === 'RUNNING' && Number(s.progress) > 0);
    const queued = await submit(c, quick);
    const next = await submit(c, quick);
    expect((await call(c, 'GetJobStatus', { job_id: queued.job_id })).state).toBe('QUEUED');
    const q = await call(c, 'CancelJob', { job_id: queued.job_id });
    expect(q).toMatchObject({ state: 'CANCELLED', error_code: 'HPC.CANCELLED', attempts: 0 });
    expect(Number(q.finished_at_ms)).toBeGreaterThan(0);
    expect((await call(c, 'CancelJob', { job_id: running.job_id })).state).toBe('CANCELLED');
    const fin = await waitStatus(c, String(running.job_id), (s) => Number(s.finished_at_ms) > 0);
    expect(fin.state).toBe('CANCELLED');
    expect(Number(fin.progress)).toBeLessThan(1);
    expect((await waitStatus(c, String(next.job_id))).state).toBe('SUCCEEDED');
    const qs = await call(c, 'GetJobStatus', { job_id: queued.job_id });
    expect(qs).toMatchObject({ state: 'CANCELLED', attempts: 0 });
    await expect(call(c, 'GetProcessedResult', { job_id: queued.job_id })).rejects.toMatchObject({ code: grpc.status.FAILED_PRECONDITION });
    await expect(call(c, 'CancelJob', { job_id: next.job_id })).rejects.toMatchObject({ code: grpc.status.FAILED_PRECONDITION });
  }, 60_000);

  it('storeDir: inputs and results are files in a private directory (a crashed attempt re-reads them), streamed from disk, removed on TTL and close', async () => {
    const base = mkdtempSync(join(tmpdir(), 'hpc-store-'));
    try {
      const expected = await runPipeline({ data: cloud, additional: [], format: 'pcd', outputFormat: 'pcd', stages: quick });
      if (!expected.ok) throw new Error(expected.error.message);
      const { c, engine } = await start({ poolSize: 1, storeDir: base, faultInjection: true, ttlMs: 3000 });
      const dir = engine.storeDir!;
      expect(dir.startsWith(join(base, 'hpc-local-'))).toBe(true);
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      const blocker = await submit(c, slow.slice(0, 20));
      await waitStatus(c, String(blocker.job_id), (s) => s.state === 'RUNNING');
      const j = await submit(c, quick, { client_request_id: 'hpc-fault:exit@1' });
      const id = String(j.job_id);
      expect(readdirSync(dir)).toContain(`${id}.in.0`);
      expect(statSync(join(dir, `${id}.in.0`)).size).toBe(cloud.length);
      const st = await waitStatus(c, id, undefined, 60_000);
      expect(st).toMatchObject({ state: 'SUCCEEDED', attempts: 2 });
      const meta = st.result as Record<string, unknown>;
      await waitStatus(c, String(blocker.job_id));
      const files = readdirSync(dir);
      expect(files).toContain(`${id}.out`);
      expect(files.filter((f) => f.includes('.in.'))).toEqual([]);
      expect(statSync(join(dir, `${id}.out`)).size).toBe(meta.size_bytes);
      expect(Buffer.compare((await call(c, 'GetProcessedResult', { job_id: id })).data as Buffer, Buffer.from(expected.value.bytes))).toBe(0);
      expect(Buffer.compare((await stream(c, id)).data, Buffer.from(expected.value.bytes))).toBe(0);
      await new Promise((r) => setTimeout(r, Number(st.finished_at_ms) + 3400 - Date.now()));
      await expect(call(c, 'GetJobStatus', { job_id: id })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
      expect(readdirSync(dir)).toEqual([]);
      expect(engine.storedBytes().used).toBe(0);
      const k = await submit(c, quick);
      expect((await waitStatus(c, String(k.job_id))).state).toBe('SUCCEEDED');
      await server!.close();
      server = undefined;
      expect(existsSync(dir)).toBe(false);
    } finally { rmSync(base, { recursive: true, force: true }); }
  }, 60_000);

  it('threads that die while starting (a broken build) are respawned with a delay, not in a hot loop; after 3 in a row the queued jobs fail', async () => {
    const base = mkdtempSync(join(tmpdir(), 'hpc-broken-'));
    try {
      const broken = join(base, 'broken.thread.mjs');
      writeFileSync(broken, "throw new Error('broken build: cannot load the pipeline');\n");
      const { c } = await start({ poolSize: 1, threadScript: pathToFileURL(broken) });
      const t0 = Date.now();
      const j = await submit(c, quick);
      const st = await waitStatus(c, String(j.job_id), undefined, 10_000);
      expect(st).toMatchObject({ state: 'FAILED', error_code: 'HPC.WORKER_CRASHED', attempts: 0 });
      expect(String(st.error_message)).toMatch(/fail to start \(broken build/);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(500); // 200 + 400 ms between the 3 starts
    } finally { rmSync(base, { recursive: true, force: true }); }
  });

  it('the default pool size is max(1, cores − 1); startHpcServer() without Redis uses the local engine', async () => {
    const { availableParallelism } = await import('node:os');
    const { engine } = await start({});
    expect(engine.kind).toBe('local');
    expect(engine.poolSize).toBe(Math.max(1, availableParallelism() - 1));
  });
});
