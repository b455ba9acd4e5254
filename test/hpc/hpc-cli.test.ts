/**
 * `twin hpc serve` and `twin hpc worker` as real processes (dist/cli/bin.js) on a real
 * redis-server (TWIN_REDIS_URL): a job submitted over gRPC completes; SIGTERM ends both with 0.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { createInterface } from 'node:readline';
import { REDIS_SERVER, startRedis, type RedisHandle } from './support/redis.js';
import { call, client, surveyPcd, waitStatus } from './support/hpc-client.js';

const CLI = 'dist/cli/bin.js';

function twin(args: string[], env: NodeJS.ProcessEnv, ready: string): Promise<{ proc: ChildProcess; line: Record<string, unknown> }> {
  const proc = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  return new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`twin ${args.join(' ')}: no "${ready}" in 15 s`)), 15_000);
    createInterface({ input: proc.stderr! }).on('line', (l) => {
      try { const m = JSON.parse(l) as Record<string, unknown>; if (m.msg === ready) { clearTimeout(t); res({ proc, line: m }); } } catch { /* not a log line */ }
    });
    proc.once('exit', (code) => { clearTimeout(t); rej(new Error(`twin ${args.join(' ')} exited early (${code})`)); });
  });
}
const exitCode = (p: ChildProcess) => new Promise<number | null>((r) => (p.exitCode !== null ? r(p.exitCode) : p.once('exit', (c) => r(c))));

describe.skipIf(!REDIS_SERVER)('twin hpc serve | worker (real processes, real redis-server)', () => {
  let redis: RedisHandle;
  const procs: ChildProcess[] = [];
  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} missing: build first (npx tsc -p tsconfig.build.json)`);
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) { p.kill('SIGKILL'); await exitCode(p); }
    await redis?.stop();
  });

  it('serves a job end to end and exits 0 on SIGTERM', async () => {
    const env = { TWIN_REDIS_URL: redis.url };
    const server = await twin(['hpc', 'serve', '--port', '0', '--queue', 'cli'], env, 'hpc server listening');
    const worker = await twin(['hpc', 'worker', '--queue', 'cli'], env, 'hpc worker ready');
    procs.push(server.proc, worker.proc);
    const port = Number(server.line.port);
    expect(port).toBeGreaterThan(0);
    const c = client(port);
    try {
      const job = await call(c, 'ProcessPointCloud', { point_cloud_data: surveyPcd(5_000, 1), processing_type: 'outlier_removal', parameters: { filter: 'radius', radius: '1', min_neighbors: '2' } });
      const st = await waitStatus(c, String(job.job_id));
      expect(st.state).toBe('SUCCEEDED');
      expect((st.result as Record<string, unknown>).worker).toMatch(new RegExp(`:${worker.proc.pid}$`));
    } finally { c.close(); }
    worker.proc.kill('SIGTERM');
    server.proc.kill('SIGTERM');
    expect(await exitCode(worker.proc)).toBe(0);
    expect(await exitCode(server.proc)).toBe(0);
  }, 40_000);

  it('serve --auth refuses calls without the twin\'s JWT (UNAUTHENTICATED)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hpc-auth-'));
    try {
      const server = await twin(['hpc', 'serve', '--port', '0', '--queue', 'cli-auth', '--auth'], { TWIN_REDIS_URL: redis.url, TWIN_DATA_DIR: dir }, 'hpc server listening');
      procs.push(server.proc);
      const c = client(Number(server.line.port));
      try {
        await expect(call(c, 'GetJobStatus', { job_id: '00000000-0000-4000-8000-000000000000' })).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
        const m = new grpc.Metadata(); m.set('authorization', 'Bearer not.a.jwt');
        const e = await new Promise<grpc.ServiceError>((res) => (c.GetJobStatus as (...a: unknown[]) => void).call(c, { job_id: '00000000-0000-4000-8000-000000000000' }, m, (err: grpc.ServiceError) => res(err)));
        expect(e.code).toBe(grpc.status.UNAUTHENTICATED);
        expect(e.details).toMatch(/^AUTH\./);
      } finally { c.close(); }
      server.proc.kill('SIGTERM');
      expect(await exitCode(server.proc)).toBe(0);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  }, 40_000);
});

describe('twin hpc serve without Redis (local worker_threads engine)', () => {
  it('logs the local engine, serves a job end to end in-process and exits 0 on SIGTERM', async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} missing: build first (npx tsc -p tsconfig.build.json)`);
    const env: NodeJS.ProcessEnv = { TWIN_REDIS_URL: '' };
    const server = await twin(['hpc', 'serve', '--port', '0', '--pool-size', '2', '--max-stored-bytes', String(64 * 1024 * 1024)], env, 'hpc server listening');
    try {
      expect(server.line.engine).toBe('local');
      const c = client(Number(server.line.port));
      try {
        const job = await call(c, 'ProcessPointCloud', { point_cloud_data: surveyPcd(5_000, 1), processing_type: 'voxel_grid', parameters: { resolution: '0.5' } });
        const st = await waitStatus(c, String(job.job_id));
        expect(st.state).toBe('SUCCEEDED');
        expect((st.result as Record<string, unknown>).worker).toMatch(new RegExp(`:${server.proc.pid}/thread-\\d+$`));
      } finally { c.close(); }
      server.proc.kill('SIGTERM');
      expect(await exitCode(server.proc)).toBe(0);
    } finally { if (server.proc.exitCode === null) server.proc.kill('SIGKILL'); }
  }, 40_000);
});
