/**
 * Roles on the HPC service with auth on: real users in a real SQLite store (storage/), real
 * JWTs from the twin's password login (api/auth), the twin's authenticator injected into the
 * server as `twin hpc serve --auth` does, real gRPC on 127.0.0.1 (local engine). A viewer may
 * query; submitting (unary and streamed) and cancelling need operator or admin: PERMISSION_DENIED.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { createAuth, type Auth } from '../../api/auth/index.js';
import { openStore, type Store } from '../../storage/store.js';
import { startHpcServer, type HpcServer } from '../../hpc/hpc.server.js';
import { client, surveyPcd, type Client } from './support/hpc-client.js';

const THREAD = 'dist/hpc/local-engine.thread.js';

describe('HPC service roles with the twin\'s JWTs (real store, real login)', () => {
  let dir: string, store: Store, auth: Auth, server: HpcServer, c: Client;
  const tokens: Record<string, string> = {};
  const cloud = surveyPcd(5_000, 3);
  const req = { point_cloud_data: cloud, operations: [{ voxel_grid: { leaf: 1 } }] };
  const md = (t?: string) => { const m = new grpc.Metadata(); if (t) m.set('authorization', `Bearer ${t}`); return m; };
  const rpc = (method: string, body: unknown, token?: string) => new Promise<Record<string, unknown>>((res, rej) =>
    (c[method] as (...a: unknown[]) => void).call(c, body, md(token), (e: grpc.ServiceError | null, v: Record<string, unknown>) => (e ? rej(e) : res(v))));
  const upload = (token: string) => new Promise<Record<string, unknown>>((res, rej) => {
    const w = (c.UploadPointCloud as (m: grpc.Metadata, cb: (e: grpc.ServiceError | null, v: Record<string, unknown>) => void) => grpc.ClientWritableStream<unknown>)
      .call(c, md(token), (e, v) => (e ? rej(e) : res(v)));
    w.write({ request: { format: 'PCD', operations: req.operations } });
    w.write({ chunk: cloud });
    w.end();
  });

  beforeAll(async () => {
    if (!existsSync(THREAD)) throw new Error(`${THREAD} missing: build first (npx tsc -p tsconfig.build.json)`);
    dir = mkdtempSync(join(tmpdir(), 'hpc-roles-'));
    store = openStore({ dir });
    auth = createAuth({ store, secret: 'hpc-roles-test-secret-0123456789abcdef', scrypt: { N: 2 ** 10, r: 8, p: 1 } });
    for (const role of ['viewer', 'operator', 'admin'] as const) {
      expect((await auth.createUser(role, `${role}-password-long`, role)).ok).toBe(true);
      const t = await auth.login(role, `${role}-password-long`);
      if (!t.ok) throw new Error(t.error.message);
      tokens[role] = t.value.access_token;
    }
    server = await startHpcServer({ port: 0, local: { poolSize: 1 }, authenticate: (t) => auth.verify(t) });
    c = client(server.port);
  });
  afterAll(async () => {
    c?.close();
    await server?.close();
    store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('operator and admin submit and cancel; a viewer is PERMISSION_DENIED for both but may query status and results', async () => {
    const byOp = await rpc('ProcessPointCloud', req, tokens.operator);
    expect(byOp.state).toBe('QUEUED');
    const byAdmin = await rpc('ProcessPointCloud', req, tokens.admin);
    expect(byAdmin.state).toBe('QUEUED');
    const denied = await rpc('ProcessPointCloud', req, tokens.viewer).catch((e: grpc.ServiceError) => e);
    expect(denied).toMatchObject({ code: grpc.status.PERMISSION_DENIED });
    expect((denied as grpc.ServiceError).details).toMatch(/^AUTH\.FORBIDDEN: role "viewer" may not submit/);
    await expect(upload(tokens.viewer!)).rejects.toMatchObject({ code: grpc.status.PERMISSION_DENIED });
    expect((await upload(tokens.operator!)).state).toBe('QUEUED');
    expect(await server.engine.jobCount()).toBe(3); // the viewer's submits queued nothing

    // The viewer follows and fetches the operator's job.
    const poll = async () => {
      for (let i = 0; i < 400; i++) {
        const s = await rpc('GetJobStatus', { job_id: byOp.job_id }, tokens.viewer);
        if (s.state === 'SUCCEEDED') return s;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error('job did not finish');
    };
    const st = await poll();
    const res = await rpc('GetProcessedResult', { job_id: byOp.job_id }, tokens.viewer);
    expect((res.data as Buffer).length).toBe((st.result as Record<string, unknown>).size_bytes);

    // Cancel: viewer denied, operator allowed (on a job that is still queued or running).
    const slow = await rpc('ProcessPointCloud', { point_cloud_data: surveyPcd(40_000, 4), operations: Array.from({ length: 60 }, () => ({ statistical_outlier: { k: 8, std_mul: 3 } })) }, tokens.admin);
    await expect(rpc('CancelJob', { job_id: slow.job_id }, tokens.viewer)).rejects.toMatchObject({ code: grpc.status.PERMISSION_DENIED });
    expect((await rpc('CancelJob', { job_id: slow.job_id }, tokens.operator)).state).toBe('CANCELLED');
    await expect(rpc('GetJobStatus', { job_id: slow.job_id })).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
  });

  it('a demoted operator: the old token is revoked (UNAUTHENTICATED), the new viewer token may not submit', async () => {
    const user = await auth.createUser('demoted', 'demoted-password-long', 'operator');
    expect(user.ok).toBe(true);
    const t1 = await auth.login('demoted', 'demoted-password-long');
    if (!t1.ok) throw new Error(t1.error.message);
    expect((await rpc('ProcessPointCloud', req, t1.value.access_token)).state).toBe('QUEUED');
    expect(store.users.setRole('demoted', 'viewer').ok).toBe(true);
    await expect(rpc('ProcessPointCloud', req, t1.value.access_token)).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: expect.stringMatching(/AUTH\.REVOKED/) });
    const t2 = await auth.login('demoted', 'demoted-password-long');
    if (!t2.ok) throw new Error(t2.error.message);
    await expect(rpc('ProcessPointCloud', req, t2.value.access_token)).rejects.toMatchObject({ code: grpc.status.PERMISSION_DENIED });
  });
});
