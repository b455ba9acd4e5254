/**
 * The gRPC HPC adapter against the real HPCService (hpc/, in-process on 127.0.0.1 with its local
 * worker_threads engine — no Redis): submit (unary and streamed upload), watch, result (streamed,
 * checked), cancel, and the dotted codes of refused requests.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrpcHpcPort } from '../../hardware/real/hpc/grpc-hpc.adapter.js';
import type { HpcJobStatus, HpcPort, HpcWatchEnd } from '../../hardware/hpc.port.js';
import { startHpcServer, type HpcServer } from '../../hpc/index.js';
import { encodePcd } from '../../pointcloud/index.js';
import { syntheticSurvey } from '../../pointcloud/synthetic-survey.js';

let server: HpcServer;
let hpc: HpcPort;
const cloud = encodePcd(syntheticSurvey({ points: 20_000, seed: 3 }), { data: 'binary' });

beforeAll(async () => {
  server = await startHpcServer({ port: 0, local: { poolSize: 1 } });
  hpc = createGrpcHpcPort({ address: `127.0.0.1:${server.port}` });
}, 30_000);
afterAll(async () => {
  await hpc?.dispose();
  await server?.close();
});

const watchToEnd = (port: HpcPort, id: string) =>
  new Promise<{ seen: HpcJobStatus[]; end: HpcWatchEnd }>((resolve) => {
    const seen: HpcJobStatus[] = [];
    port.watch(id, (s) => seen.push(s), (end) => resolve({ seen, end }));
  });

describe('gRPC HPC adapter', () => {
  it('connects, submits a dsm job, watches it to SUCCEEDED and fetches a checked PNG with its world file', async () => {
    expect((await hpc.connect()).ok).toBe(true);
    const job = await hpc.submit({ cloud: { bytes: cloud }, format: 'pcd', processing_type: 'dsm', parameters: { resolution: 1 } });
    expect(job.ok).toBe(true);
    if (!job.ok) return;
    const { seen, end } = await watchToEnd(hpc, job.value.job_id);
    expect(end.ok && end.value?.state).toBe('SUCCEEDED');
    expect(seen.at(-1)?.result?.format).toBe('dsm_png');
    const r = await hpc.result(job.value.job_id);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(Buffer.from(r.value.data.subarray(0, 8)).toString('hex')).toBe('89504e470d0a1a0a');
    expect(r.value.metadata.media_type).toBe('image/png');
    expect(r.value.metadata.world_file).toMatch(/\n/);
    expect(createHash('sha256').update(r.value.data).digest('hex')).toBe(r.value.metadata.sha256);
    const st = await hpc.status(job.value.job_id);
    expect(st.ok && st.value.state).toBe('SUCCEEDED');
  }, 60_000);

  it('streams a cloud above its unary limit through UploadPointCloud, same result as unary', async () => {
    const small = createGrpcHpcPort({ address: `127.0.0.1:${server.port}`, unaryLimit_bytes: 64 * 1024, chunk_bytes: 16 * 1024 });
    try {
      expect(cloud.byteLength).toBeGreaterThan(64 * 1024);
      const ids = [];
      for (const port of [small, hpc]) {
        const j = await port.submit({ cloud: { bytes: cloud }, format: 'pcd', processing_type: 'voxel_grid', parameters: { resolution: 2 } });
        expect(j.ok).toBe(true);
        if (j.ok) ids.push(j.value.job_id);
      }
      const results = [];
      for (const id of ids) {
        await watchToEnd(hpc, id);
        const r = await hpc.result(id);
        expect(r.ok).toBe(true);
        if (r.ok) results.push(r.value.metadata.sha256);
      }
      expect(results[0]).toBe(results[1]);
    } finally {
      await small.dispose();
    }
  }, 60_000);

  it('refusals are dotted codes: bad cloud, unknown type, absurd parameter, unknown job, result before success', async () => {
    const bad = await hpc.submit({ cloud: { bytes: new TextEncoder().encode('not a cloud') }, format: 'pcd', processing_type: 'dsm' });
    expect(!bad.ok && bad.error.code).toBe('HPC.INVALID');
    const type = await hpc.submit({ cloud: { bytes: cloud }, format: 'pcd', processing_type: 'teleport' as never });
    expect(!type.ok && type.error.code).toBe('HPC.INVALID');
    const zero = await hpc.submit({ cloud: { bytes: cloud }, format: 'pcd', processing_type: 'voxel_grid', parameters: { resolution: 0 } });
    expect(!zero.ok && zero.error.code).toBe('HPC.INVALID');
    const unknown = await hpc.status('00000000-0000-4000-8000-000000000000');
    expect(!unknown.ok && unknown.error.code).toBe('HPC.NOT_FOUND');
    // A result stream is bounded by the port's deadline whatever the server does (the service
    // does not yet end a failed server stream with its status: NOT_FOUND or a TIMEOUT here).
    const short = createGrpcHpcPort({ address: `127.0.0.1:${server.port}`, deadline_ms: 1500 });
    const res = await short.result('00000000-0000-4000-8000-000000000000');
    expect(!res.ok && ['HPC.NOT_FOUND', 'HPC.TIMEOUT']).toContain(!res.ok && res.error.code);
    await short.dispose();
  }, 30_000);

  it('an unreachable service is HPC.UNAVAILABLE; a disposed port says HPC.DISPOSED', async () => {
    const gone = createGrpcHpcPort({ address: '127.0.0.1:1', deadline_ms: 500 });
    const c = await gone.connect();
    expect(!c.ok && c.error.code).toBe('HPC.UNAVAILABLE');
    const s = await gone.status('00000000-0000-4000-8000-000000000000');
    expect(!s.ok && ['HPC.UNAVAILABLE', 'HPC.TIMEOUT']).toContain(!s.ok && s.error.code);
    await gone.dispose();
    const d = await gone.submit({ cloud: { bytes: cloud }, format: 'pcd', processing_type: 'dsm' });
    expect(!d.ok && d.error.code).toBe('HPC.DISPOSED');
  }, 30_000);

  it('cancels a queued job', async () => {
    // A single-thread pool busy with a large job: the next one is still queued when cancelled.
    const big = encodePcd(syntheticSurvey({ points: 400_000, seed: 9 }), { data: 'binary' });
    const first = await hpc.submit({ cloud: { bytes: big }, format: 'pcd', processing_type: 'outlier_removal', parameters: { filter: 'statistical', k: 16, std_mul: 1 } });
    const second = await hpc.submit({ cloud: { bytes: cloud }, format: 'pcd', processing_type: 'dsm', parameters: { resolution: 1 } });
    expect(first.ok && second.ok).toBe(true);
    if (!second.ok || !first.ok) return;
    const c = await hpc.cancel(second.value.job_id);
    expect(c.ok && c.value.state).toBe('CANCELLED');
    const { end } = await watchToEnd(hpc, second.value.job_id);
    expect(end.ok && end.value?.state).toBe('CANCELLED');
    await hpc.cancel(first.value.job_id);
  }, 60_000);
});
