/**
 * The HPC service end to end over real gRPC (127.0.0.1), once per engine: BullMQ on a real
 * redis-server with a worker, and the local worker_threads engine (no Redis). The proto's
 * runtime-generated client submits clouds, follows status and fetches results, byte-equal to the
 * in-process pipeline; bad requests are INVALID_ARGUMENT with nothing queued; cancel; unknown jobs.
 */
import { afterAll, beforeAll, describe, expect, it as itBase } from 'vitest';
import fc from 'fast-check';
import * as grpc from '@grpc/grpc-js';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { startHpcServer, type HpcServer, type HpcServerOptions } from '../../hpc/hpc.server.js';
import { startHpcWorker, type HpcWorker } from '../../hpc/hpc.worker.js';
import { runPipeline } from '../../hpc/hpc-pipeline.js';
import { hpcClient } from '../../hpc/hpc-proto.js';
import { REDIS_SERVER, SKIP_REASON, startRedis, type RedisHandle } from './support/redis.js';
import { call, client, stream, surveyPcd, waitStatus, type Client } from './support/hpc-client.js';

if (!REDIS_SERVER) console.warn(`test/hpc (redis engine) skipped: ${SKIP_REASON}`);
const THREAD = 'dist/hpc/local-engine.thread.js';

describe.each([
  { engine: 'redis' as const, skip: !REDIS_SERVER, onDisk: false, label: 'redis' },
  { engine: 'local' as const, skip: false, onDisk: false, label: 'local (memory)' },
  { engine: 'local' as const, skip: false, onDisk: true, label: 'local (storeDir)' },
])('HPC service over gRPC, $label engine', ({ engine, skip, onDisk }) => {
  let redis: RedisHandle | undefined, server: HpcServer, worker: HpcWorker | undefined, c: Client;
  const cloud = surveyPcd(20_000, 7);
  /** Another server on the same engine kind (Redis: the same queue, served by the same worker). */
  const storeBase = onDisk ? mkdtempSync(join(tmpdir(), 'hpc-svc-store-')) : undefined;
  const local = (poolSize: number) => ({ poolSize, ...(storeBase ? { storeDir: storeBase } : {}) });
  const mkServer = (o: Partial<HpcServerOptions> = {}) =>
    startHpcServer(engine === 'redis' ? { redisUrl: redis!.url, port: 0, queueName: 'svc', ...o } : { port: 0, local: local(1), ...o });

  beforeAll(async () => {
    if (skip) return;
    if (engine === 'local' && !existsSync(THREAD)) throw new Error(`${THREAD} missing: build first (npx tsc -p tsconfig.build.json)`);
    if (engine === 'redis') {
      redis = await startRedis();
      worker = startHpcWorker({ redisUrl: redis.url, queueName: 'svc' });
      await worker.ready();
    }
    server = await mkServer({ maxRequestBytes: 4 * 1024 * 1024, ...(engine === 'local' ? { local: local(2) } : {}) });
    expect(server.engine.kind).toBe(engine);
    c = client(server.port);
  });
  afterAll(async () => {
    c?.close();
    await worker?.close(true);
    await server?.close();
    await redis?.stop();
    if (storeBase) rmSync(storeBase, { recursive: true, force: true });
  });
  const it = skip ? itBase.skip : itBase;
  const redisH = () => redis!;

  it('submit → status → result equals the same pipeline run in-process (unary and streamed)', async () => {
    const req = {
      point_cloud_data: cloud, format: 'PCD',
      operations: [{ voxel_grid: { leaf: 0.5 } }, { statistical_outlier: { k: 8, std_mul: 1.5 } }, { crop: { min: [0, 0, -100], max: [20, 20, 100] } }],
    };
    const job = await call(c, 'ProcessPointCloud', req);
    expect(job.state).toBe('QUEUED');
    const st = await waitStatus(c, String(job.job_id));
    expect(st.state).toBe('SUCCEEDED');
    expect(st.progress).toBe(1);
    const expected = await runPipeline({ data: cloud, additional: [], format: 'pcd', outputFormat: 'pcd', stages: [
      { op: 'voxel_grid', leaf: 0.5, minPointsPerVoxel: 0 }, { op: 'statistical_outlier', k: 8, stdMul: 1.5 }, { op: 'crop', min: [0, 0, -100], max: [20, 20, 100], negative: false },
    ] });
    if (!expected.ok) throw new Error(expected.error.message);
    const res = await call(c, 'GetProcessedResult', { job_id: job.job_id });
    expect(Buffer.compare(res.data as Buffer, Buffer.from(expected.value.bytes))).toBe(0);
    const meta = st.result as Record<string, unknown>;
    expect(meta.output_points).toBe(expected.value.meta.outputPoints);
    expect(meta.input_points).toBe(20_000);
    expect(meta.sha256).toBe(expected.value.meta.sha256);
    expect(meta.output_points).toBeGreaterThan(0);
    expect(meta.output_points).toBeLessThan(20_000);
    const s = await stream(c, String(job.job_id));
    expect(Buffer.compare(s.data, Buffer.from(expected.value.bytes))).toBe(0);
    if (engine !== 'redis') return;
    // the worker dropped the job's input from Redis once the result was stored; the result has a TTL
    const { Redis } = await import('ioredis');
    const r = new Redis(redis!.url);
    try {
      expect(await r.exists(`hpc:svc:${String(job.job_id)}:in`)).toBe(0);
      const ttl = await r.ttl(`hpc:svc:${String(job.job_id)}:out`);
      expect(ttl).toBeGreaterThan(86_000);
    } finally { r.disconnect(); }
  });

  it('the original client shorthand (processing_type + parameters) works; large results stream in ordered chunks', async () => {
    const big = surveyPcd(400_000, 3); // ~4.8 MB: above gRPC's 4 MiB unary default
    const small = await mkServer({ chunkBytes: 256 * 1024 });
    const c2 = client(small.port);
    try {
      const job = await call(c2, 'ProcessPointCloud', { point_cloud_data: big, format: 'PCD', processing_type: 'voxel_grid', parameters: { resolution: '0.001' } });
      expect((await waitStatus(c2, String(job.job_id))).state).toBe('SUCCEEDED');
      await expect(call(c2, 'GetProcessedResult', { job_id: job.job_id })).rejects.toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED });
      const s = await stream(c2, String(job.job_id));
      expect(s.chunks.length).toBeGreaterThan(10);
      expect(s.chunks.map((k) => k.offset)).toEqual(s.chunks.map((_, i) => i * 256 * 1024));
      expect(s.chunks.at(-1)!.last).toBe(true);
      expect(s.data.length).toBe((s.chunks[0]!.metadata as Record<string, unknown>).size_bytes);
    } finally { c2.close(); await small.close(); }
  });

  it('malformed requests (fast-check over fields) → INVALID_ARGUMENT with a message, nothing queued, server keeps serving', async () => {
    const before = await server.engine.jobCount();
    const badOp = fc.oneof(
      fc.record({ voxel_grid: fc.record({ leaf: fc.oneof(fc.constant(0), fc.constant(Number.NaN), fc.constant(-1), fc.constant(Infinity), fc.double({ max: 0, noNaN: true })) }) }),
      fc.record({ statistical_outlier: fc.record({ k: fc.oneof(fc.constant(0), fc.integer({ min: 1025, max: 2 ** 31 })), std_mul: fc.double() }) }),
      fc.record({ radius_outlier: fc.record({ radius: fc.oneof(fc.constant(0), fc.constant(Number.NaN), fc.double({ max: 0 })), min_neighbors: fc.nat() }) }),
      fc.record({ crop: fc.record({ min: fc.array(fc.double(), { maxLength: 5 }), max: fc.array(fc.double(), { maxLength: 5 }) }) }).filter((o) => o.crop.min.length !== 3 || o.crop.max.length !== 3),
      fc.record({ merge: fc.record({ icp: fc.boolean() }) }), // merge without additional_clouds
      fc.record({ dsm: fc.record({ cell_size: fc.oneof(fc.constant(0), fc.constant(Number.NaN), fc.double({ max: 0 }), fc.constant(1e9)) }) }),
      fc.constant({}), // no op set
    );
    const bad = fc.oneof(
      fc.record({ point_cloud_data: fc.constant(cloud), format: fc.constant('PCD'), operations: fc.array(badOp, { minLength: 1, maxLength: 3 }) }),
      fc.record({ point_cloud_data: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)), format: fc.constantFrom('PCD', 'PLY', 'LAS', 'CLOUD_FORMAT_UNSPECIFIED'), operations: fc.constant([{ voxel_grid: { leaf: 1 } }]) }),
      fc.record({ point_cloud_data: fc.constant(cloud.subarray(0, cloud.length - 100)), operations: fc.constant([{ voxel_grid: { leaf: 1 } }]) }),
      fc.record({ point_cloud_data: fc.constant(cloud), processing_type: fc.string({ maxLength: 20 }).filter((s) => !['voxel_grid', 'outlier_removal', 'merge'].includes(s)) }),
      fc.record({ point_cloud_data: fc.constant(cloud), processing_type: fc.constant('voxel_grid'), parameters: fc.record({ resolution: fc.constantFrom('0', 'NaN', '-1', 'abc', '', '1e999') }) }),
      fc.record({ point_cloud_data: fc.constant(Buffer.alloc(0)), operations: fc.constant([{ voxel_grid: { leaf: 1 } }]) }),
      fc.record({ point_cloud_data: fc.constant(cloud), blob_ref: fc.constantFrom('../etc/passwd', 'x.pcd'), operations: fc.constant([{ voxel_grid: { leaf: 1 } }]) }),
      fc.record({ point_cloud_data: fc.constant(cloud), format: fc.constant(99), operations: fc.constant([{ voxel_grid: { leaf: 1 } }]) }),
    );
    await fc.assert(fc.asyncProperty(bad, async (req) => {
      const e = await call(c, 'ProcessPointCloud', req).then(() => null, (x: grpc.ServiceError) => x);
      expect(e, JSON.stringify(req, (_k, v) => (v?.type === 'Buffer' ? `<${v.data.length} bytes>` : v))).not.toBeNull();
      expect(e!.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(e!.details.length).toBeGreaterThan(5);
    }), { numRuns: 120, seed: 11 });
    const after = await server.engine.jobCount();
    expect(after).toBe(before);
    const e = await call(c, 'ProcessPointCloud', { point_cloud_data: cloud, operations: [{ voxel_grid: { leaf: 0 } }] }).catch((x: grpc.ServiceError) => x);
    expect((e as grpc.ServiceError).details).toMatch(/operations\.0\.voxel_grid\.leaf: leaf must be > 0/);
    const ok = await call(c, 'ProcessPointCloud', { point_cloud_data: cloud, operations: [{ voxel_grid: { leaf: 2 } }] });
    expect((await waitStatus(c, String(ok.job_id))).state).toBe('SUCCEEDED');
  });

  it('oversized request → RESOURCE_EXHAUSTED; unknown / malformed job ids → NOT_FOUND / INVALID_ARGUMENT; result before success → FAILED_PRECONDITION', async () => {
    const huge = Buffer.alloc(6 * 1024 * 1024, 1);
    await expect(call(c, 'ProcessPointCloud', { point_cloud_data: huge, operations: [{ voxel_grid: { leaf: 1 } }] })).rejects.toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED });
    await expect(call(c, 'GetJobStatus', { job_id: '00000000-0000-4000-8000-000000000000' })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    await expect(call(c, 'GetJobStatus', { job_id: 'nope' })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    await expect(call(c, 'GetProcessedResult', { job_id: '' })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    // ICP merge onto an empty (cropped-away) cloud fails in the worker: FAILED with a dotted code, no retry.
    const failing = await call(c, 'ProcessPointCloud', { point_cloud_data: cloud, additional_clouds: [cloud], operations: [{ crop: { min: [1e6, 1e6, 1e6], max: [1e6, 1e6, 1e6] } }, { merge: { icp: true } }] });
    const st = await waitStatus(c, String(failing.job_id));
    expect(st).toMatchObject({ state: 'FAILED', error_code: 'HPC.STAGE_FAILED', attempts: 1 });
    expect(String(st.error_message)).toMatch(/merge: ICP\./);
    await expect(call(c, 'GetProcessedResult', { job_id: failing.job_id })).rejects.toMatchObject({ code: grpc.status.FAILED_PRECONDITION });
  });

  it('streams on unknown / malformed job ids end with NOT_FOUND / INVALID_ARGUMENT at once (no client deadline needed)', async () => {
    const t0 = Date.now();
    await expect(stream(c, '00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    await expect(stream(c, 'nope')).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    const watch = (c.WatchJob as (r: unknown) => grpc.ClientReadableStream<unknown>).call(c, { job_id: '00000000-0000-4000-8000-000000000000' });
    await expect(new Promise((res, rej) => { watch.on('error', rej); watch.on('end', res); watch.on('data', () => undefined); })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('blob_ref: a cloud read from the server\'s blob directory; missing → NOT_FOUND, escaping links → INVALID_ARGUMENT, no blob dir → INVALID_ARGUMENT', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hpc-blobs-'));
    const outside = mkdtempSync(join(tmpdir(), 'hpc-outside-'));
    writeFileSync(join(dir, 'scan.pcd'), cloud);
    writeFileSync(join(outside, 'secret.pcd'), cloud);
    symlinkSync(join(outside, 'secret.pcd'), join(dir, 'link.pcd'));
    const withBlobs = await mkServer({ blobDir: dir });
    const c2 = client(withBlobs.port);
    try {
      const job = await call(c2, 'ProcessPointCloud', { blob_ref: 'scan.pcd', operations: [{ voxel_grid: { leaf: 1 } }] });
      const st = await waitStatus(c2, String(job.job_id));
      expect(st.state).toBe('SUCCEEDED');
      expect((st.result as Record<string, unknown>).input_points).toBe(20_000);
      await expect(call(c2, 'ProcessPointCloud', { blob_ref: 'nope.pcd', operations: [{ voxel_grid: { leaf: 1 } }] })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
      await expect(call(c2, 'ProcessPointCloud', { blob_ref: 'link.pcd', operations: [{ voxel_grid: { leaf: 1 } }] })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
      await expect(call(c, 'ProcessPointCloud', { blob_ref: 'scan.pcd', operations: [{ voxel_grid: { leaf: 1 } }] })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringMatching(/blob directory/) });
    } finally { c2.close(); await withBlobs.close(); rmSync(dir, { recursive: true }); rmSync(outside, { recursive: true }); }
  });

  it('UploadPointCloud streams a cloud above the 4 MiB message limit in chunks; WatchJob follows it to SUCCEEDED', async () => {
    const big = surveyPcd(400_000, 5); // ~4.8 MB
    const up = await mkServer({ maxRequestBytes: 16 * 1024 * 1024 });
    const limited = hpcClient(`127.0.0.1:${up.port}`, { 'grpc.max_send_message_length': 4 * 1024 * 1024 });
    try {
      const ops = [{ voxel_grid: { leaf: 0.25 } }, { statistical_outlier: { k: 6, std_mul: 1 } }];
      await expect(call(limited, 'ProcessPointCloud', { point_cloud_data: big, operations: ops })).rejects.toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED });
      const job = await new Promise<Record<string, unknown>>((res, rej) => {
        const w = (limited.UploadPointCloud as (cb: (e: grpc.ServiceError | null, v: Record<string, unknown>) => void) => grpc.ClientWritableStream<unknown>).call(limited, (e, v) => (e ? rej(e) : res(v)));
        w.write({ request: { format: 'PCD', operations: ops } });
        for (let o = 0; o < big.length; o += 1024 * 1024) w.write({ chunk: big.subarray(o, o + 1024 * 1024) });
        w.end();
      });
      const seen: Record<string, unknown>[] = [];
      await new Promise<void>((res, rej) => {
        const s = (limited.WatchJob as (r: unknown) => grpc.ClientReadableStream<Record<string, unknown>>).call(limited, { job_id: job.job_id });
        s.on('data', (d) => seen.push(d)); s.on('error', rej); s.on('end', () => res());
      });
      expect(seen.at(-1)!.state).toBe('SUCCEEDED');
      const order = ['QUEUED', 'RUNNING', 'SUCCEEDED'];
      const idx = seen.map((x) => order.indexOf(String(x.state)));
      expect(idx).toEqual([...idx].sort((a, b) => a - b));
      const prog = seen.map((x) => Number(x.progress));
      expect(prog).toEqual([...prog].sort((a, b) => a - b));
      const expected = await runPipeline({ data: big, additional: [], format: 'pcd', outputFormat: 'pcd', stages: [{ op: 'voxel_grid', leaf: 0.25, minPointsPerVoxel: 0 }, { op: 'statistical_outlier', k: 6, stdMul: 1 }] });
      if (!expected.ok) throw new Error(expected.error.message);
      expect((seen.at(-1)!.result as Record<string, unknown>).sha256).toBe(expected.value.meta.sha256);
      // a chunk before the request is refused
      await expect(new Promise((res, rej) => {
        const w = (limited.UploadPointCloud as (cb: (e: grpc.ServiceError | null, v: unknown) => void) => grpc.ClientWritableStream<unknown>).call(limited, (e, v) => (e ? rej(e) : res(v)));
        w.write({ chunk: Buffer.from('x') }); w.end();
      })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    } finally { limited.close(); await up.close(); }
  });

  it('auth: with an authenticator configured, calls without a valid bearer JWT are UNAUTHENTICATED; a valid one works', async () => {
    const { SignJWT, jwtVerify } = await import('jose');
    const key = new TextEncoder().encode('0123456789abcdef0123456789abcdef');
    const authed = await mkServer({
      authenticate: (t) => jwtVerify(t, key).then((v) => ({ ok: true, value: { role: String(v.payload.role) } }), (e: Error) => ({ ok: false, error: { code: 'AUTH.INVALID', message: e.message } })),
    });
    const c2 = client(authed.port);
    const md = (t: string) => { const m = new grpc.Metadata(); m.set('authorization', `Bearer ${t}`); return m; };
    const callMd = (method: string, req: unknown, m?: grpc.Metadata) => new Promise<Record<string, unknown>>((res, rej) =>
      (c2[method] as (...a: unknown[]) => void).call(c2, req, m ?? new grpc.Metadata(), (e: grpc.ServiceError | null, v: Record<string, unknown>) => (e ? rej(e) : res(v))));
    try {
      const good = await new SignJWT({ role: 'operator' }).setProtectedHeader({ alg: 'HS256' }).setSubject('op').setExpirationTime('5m').sign(key);
      const forged = await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setSubject('x').sign(new TextEncoder().encode('another-key-another-key-another!!'));
      const req = { point_cloud_data: cloud, operations: [{ voxel_grid: { leaf: 1 } }] };
      await expect(callMd('ProcessPointCloud', req)).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
      await expect(callMd('ProcessPointCloud', req, md(forged))).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: expect.stringMatching(/AUTH\.INVALID/) });
      await expect(callMd('GetJobStatus', { job_id: '00000000-0000-4000-8000-000000000000' }, md('garbage'))).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
      const job = await callMd('ProcessPointCloud', req, md(good));
      expect(job.state).toBe('QUEUED');
      expect((await callMd('GetJobStatus', { job_id: job.job_id }, md(good))).job_id).toBe(job.job_id);
    } finally { c2.close(); await authed.close(); }
  });

  it('dsm (the survey product): the result is a 16-bit PNG + world file, byte-equal to the in-process pipeline; dsm not last → INVALID_ARGUMENT', async () => {
    const job = await call(c, 'ProcessPointCloud', { point_cloud_data: cloud, processing_type: 'dsm', parameters: { resolution: '2' } });
    const st = await waitStatus(c, String(job.job_id));
    expect(st.state).toBe('SUCCEEDED');
    const meta = st.result as Record<string, unknown>;
    expect(meta).toMatchObject({ format: 'DSM_PNG', media_type: 'image/png' });
    expect(String(meta.world_file).trim().split('\n')).toHaveLength(6);
    expect(String(meta.world_file).split('\n')[0]).toBe('2.000000');
    const res = await call(c, 'GetProcessedResult', { job_id: job.job_id });
    const data = res.data as Buffer;
    expect([...data.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const expected = await runPipeline({ data: cloud, additional: [], format: 'pcd', outputFormat: 'pcd', stages: [{ op: 'dsm', cellSize: 2 }] });
    if (!expected.ok) throw new Error(expected.error.message);
    expect(Buffer.compare(data, Buffer.from(expected.value.bytes))).toBe(0);
    await expect(call(c, 'ProcessPointCloud', { point_cloud_data: cloud, operations: [{ dsm: { cell_size: 1 } }, { voxel_grid: { leaf: 1 } }] }))
      .rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringMatching(/dsm must be the last/) });
  });

  (engine === 'redis' ? it : itBase.skip)('cancel: a queued job reports CANCELLED at once and is never processed (local engine: hpc-local-engine.test.ts)', async () => {
    const redis = redisH();
    const idle = await startHpcServer({ redisUrl: redis.url, port: 0, queueName: 'no-worker-yet' });
    const c2 = client(idle.port);
    try {
      const job = await call(c2, 'ProcessPointCloud', { point_cloud_data: cloud, operations: [{ voxel_grid: { leaf: 1 } }] });
      expect((await call(c2, 'GetJobStatus', { job_id: job.job_id })).state).toBe('QUEUED');
      const st = await call(c2, 'CancelJob', { job_id: job.job_id });
      expect(st).toMatchObject({ state: 'CANCELLED', error_code: 'HPC.CANCELLED' });
      const w = startHpcWorker({ redisUrl: redis.url, queueName: 'no-worker-yet' });
      try {
        const fin = await waitStatus(c2, String(job.job_id), (s) => s.finished_at_ms !== 0);
        expect(fin.state).toBe('CANCELLED');
        await expect(call(c2, 'GetProcessedResult', { job_id: job.job_id })).rejects.toMatchObject({ code: grpc.status.FAILED_PRECONDITION });
      } finally { await w.close(true); }
    } finally { c2.close(); await idle.close(); }
  });

  it('cancel: a running job stops at its next stage and finishes CANCELLED', async () => {
    const ops = Array.from({ length: 60 }, (_, i) => (i % 2 ? { statistical_outlier: { k: 8, std_mul: 3 } } : { voxel_grid: { leaf: 0.05 } }));
    const job = await call(c, 'ProcessPointCloud', { point_cloud_data: cloud, operations: ops });
    await waitStatus(c, String(job.job_id), (s) => s.state === 'RUNNING' && Number(s.progress) > 0);
    expect((await call(c, 'CancelJob', { job_id: job.job_id })).state).toBe('CANCELLED');
    const fin = await waitStatus(c, String(job.job_id), (s) => s.finished_at_ms !== 0);
    expect(fin.state).toBe('CANCELLED');
    expect(Number(fin.progress)).toBeLessThan(1);
  });
});
