/**
 * `GET /jobs` and `GET /jobs/{id}` over real HTTP: jobs as the HPC client publishes them on the
 * twin's bus (`/hpc/jobs`), newest first, filters, lookup by key or service id, 404 for an
 * unknown id, 422 for a malformed one, 401 without a token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HpcJobMsg } from '../../actors/bus.js';
import { startStack, type Stack } from './harness.js';

let s: Stack;
beforeAll(async () => {
  s = await startStack({ vehicles: ['d1', 'd2'] });
});
afterAll(async () => s?.close());

const UUID1 = '6f1c2a4e-9b3d-4c5e-8f70-112233445566';
const job = (o: Partial<HpcJobMsg>): HpcJobMsg => ({ key: 'hpc:d1:1', job_id: null, vehicle: 'd1', processing_type: 'dsm', source: 'slam_map', state: 'GATHERING', progress: 0, t_ms: 1000, ...o });

describe('GET /jobs', () => {
  it('is empty before any job, then lists jobs newest first with their latest status', async () => {
    expect((await s.call('GET', '/jobs', { as: 'viewer' })).body).toEqual([]);
    s.twin.bus.publish('/hpc/jobs', job({}));
    s.twin.bus.publish('/hpc/jobs', job({ job_id: UUID1, state: 'QUEUED' }));
    s.twin.bus.publish('/hpc/jobs', job({ job_id: UUID1, state: 'RUNNING', progress: 0.5 }));
    s.twin.bus.publish('/hpc/jobs', job({ key: 'hpc:d2:1', vehicle: 'd2', processing_type: 'voxel_grid', source: 'scans', state: 'FAILED', error: { code: 'HPC.NO_INPUT', message: 'no scans' } }));
    const r = await s.call('GET', '/jobs', { as: 'viewer' });
    expect(r.status).toBe(200);
    expect(r.body.map((j: HpcJobMsg) => [j.key, j.state])).toEqual([['hpc:d2:1', 'FAILED'], ['hpc:d1:1', 'RUNNING']]);
    expect(r.body[1]).toMatchObject({ job_id: UUID1, progress: 0.5, vehicle: 'd1' });
    expect(r.body[0].error).toEqual({ code: 'HPC.NO_INPUT', message: 'no scans' });
    const f = await s.call('GET', '/jobs?vehicle=d1&state=RUNNING', { as: 'viewer' });
    expect(f.body.map((j: HpcJobMsg) => j.key)).toEqual(['hpc:d1:1']);
  });

  it('GET /jobs/{id} by key or service id; the finished job carries its stored result', async () => {
    s.twin.bus.publish('/hpc/jobs', job({ job_id: UUID1, state: 'SUCCEEDED', progress: 1, result: { blob_key: 'hpc/d1/001-dsm.png', bytes: 1234, sha256: 'a'.repeat(64), media_type: 'image/png', output_points: 99, world_file_key: 'hpc/d1/001-dsm.pgw' } }));
    const byKey = await s.call('GET', '/jobs/hpc:d1:1', { as: 'viewer' });
    expect(byKey.status).toBe(200);
    expect(byKey.body).toMatchObject({ state: 'SUCCEEDED', result: { blob_key: 'hpc/d1/001-dsm.png', world_file_key: 'hpc/d1/001-dsm.pgw' } });
    const byId = await s.call('GET', `/jobs/${UUID1}`, { as: 'viewer' });
    expect(byId.body).toEqual(byKey.body);
  });

  it('unknown ids are 404 JOB.NOT_FOUND, malformed ones 422, no token 401', async () => {
    const unknown = await s.call('GET', '/jobs/hpc:d9:7', { as: 'viewer' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('JOB.NOT_FOUND');
    expect(typeof unknown.body.correlation_id).toBe('string');
    const unknownUuid = await s.call('GET', '/jobs/00000000-0000-4000-8000-000000000000', { as: 'viewer' });
    expect(unknownUuid.status).toBe(404);
    for (const bad of ['nope', 'hpc:D1:1', 'hpc:d1:0', encodeURIComponent('../etc'), 'x'.repeat(80)]) {
      const r = await s.call('GET', `/jobs/${bad}`, { as: 'viewer' });
      expect(r.status, bad).toBe(422);
      expect(r.body.error.code).toBe('REQUEST.INVALID');
    }
    expect((await s.call('GET', '/jobs?state=DONE', { as: 'viewer' })).status).toBe(422);
    expect((await s.call('GET', '/jobs')).status).toBe(401);
    expect((await s.call('GET', '/jobs/hpc:d1:1')).status).toBe(401);
  });
});
