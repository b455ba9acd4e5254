/**
 * LAZ through the HPC service (local engine, real gRPC): a LAZ written by LAStools (format LAS,
 * detected from the header) is processed in a worker thread and the result equals the same
 * pipeline on its uncompressed twin; truncated LAZ is INVALID_ARGUMENT before anything is queued.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { startHpcServer, type HpcServer } from '../../hpc/hpc.server.js';
import { runPipeline } from '../../hpc/hpc-pipeline.js';
import { call, client, waitStatus, type Client } from './support/hpc-client.js';

const fixtures = join(import.meta.dirname, '../pointcloud/laz-fixtures');
const THREAD = 'dist/hpc/local-engine.thread.js';

describe('HPC service with LAZ input (local engine)', () => {
  let server: HpcServer, c: Client;
  beforeAll(async () => {
    if (!existsSync(THREAD)) throw new Error(`${THREAD} missing: build first (npx tsc -p tsconfig.build.json)`);
    server = await startHpcServer({ port: 0, local: { poolSize: 1 } });
    c = client(server.port);
  });
  afterAll(async () => { c?.close(); await server?.close(); });

  it('1815.laz (LAStools) → voxel_grid → LAS result equals the pipeline on 1815.las; truncated LAZ → INVALID_ARGUMENT', async () => {
    const laz = readFileSync(join(fixtures, '1815.laz'));
    const las = readFileSync(join(fixtures, '1815.las'));
    const job = await call(c, 'ProcessPointCloud', { point_cloud_data: laz, format: 'LAS', output_format: 'LAS', operations: [{ voxel_grid: { leaf: 2 } }] });
    const st = await waitStatus(c, String(job.job_id));
    expect(st.state).toBe('SUCCEEDED');
    expect((st.result as Record<string, unknown>).input_points).toBe(1247);
    const res = await call(c, 'GetProcessedResult', { job_id: job.job_id });
    const expected = await runPipeline({ data: las, additional: [], format: 'las', outputFormat: 'las', stages: [{ op: 'voxel_grid', leaf: 2, minPointsPerVoxel: 0 }] });
    if (!expected.ok) throw new Error(expected.error.message);
    expect(Buffer.compare(res.data as Buffer, Buffer.from(expected.value.bytes))).toBe(0);
    const before = await server.engine.jobCount();
    await expect(call(c, 'ProcessPointCloud', { point_cloud_data: laz.subarray(0, laz.length - 100), format: 'LAS', operations: [{ voxel_grid: { leaf: 2 } }] }))
      .rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringMatching(/LAS\.LAZ_CORRUPT/) });
    expect(await server.engine.jobCount()).toBe(before);
  });
});
