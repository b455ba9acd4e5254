/**
 * The HPC client actor on a virtual clock against the real HPCService over gRPC (loopback, local
 * engine): its log is byte-identical whatever the service's wall latency (the clock is held),
 * and every failure — refused request, no input, unreachable service, full blob store — ends the
 * job FAILED with a dotted code, in the log and on the bus, without disturbing the clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as wallSleep } from 'node:timers/promises';
import { Bus, type HpcJobMsg } from '../../actors/bus.js';
import { EventLog } from '../../actors/event-log.js';
import { HpcClient, type HpcJobSpec } from '../../actors/hpc-client.js';
import { discardingBlobSink } from '../../actors/scenario/scenario-sensors.js';
import { VirtualClock } from '../../core/clock.js';
import { fail, ok } from '../../core/result.js';
import { createGrpcHpcPort } from '../../hardware/real/hpc/grpc-hpc.adapter.js';
import type { HpcPort } from '../../hardware/hpc.port.js';
import type { BlobSink } from '../../hardware/sensor.port.js';
import { startHpcServer, type HpcServer } from '../../hpc/index.js';
import { encodePcd } from '../../pointcloud/index.js';
import { syntheticSurvey } from '../../pointcloud/synthetic-survey.js';

let server: HpcServer;
let port: HpcPort;
const cloud = encodePcd(syntheticSurvey({ points: 15_000, seed: 11 }), { data: 'binary' });
const input = () => ok({ bytes: cloud, format: 'pcd' as const, points: 15_000 });
const dsm: HpcJobSpec = { processing_type: 'dsm', parameters: { resolution: 1 }, source: 'slam_map' };

beforeAll(async () => {
  server = await startHpcServer({ port: 0, local: { poolSize: 1 } });
  port = createGrpcHpcPort({ address: `127.0.0.1:${server.port}` });
}, 30_000);
afterAll(async () => {
  await port?.dispose();
  // A cancelled running job stops at its next stage boundary: closing waits for it.
  await server?.close();
}, 60_000);

/** The real port, each call delayed by a random wall time. */
function laggy(p: HpcPort, max_ms: number): HpcPort {
  const lag = () => wallSleep(Math.random() * max_ms);
  return {
    ...p,
    endpoint: p.endpoint,
    capabilities: p.capabilities,
    connect: async (s) => (await lag(), p.connect(s)),
    submit: async (j, s) => (await lag(), p.submit(j, s)),
    status: async (id, s) => (await lag(), p.status(id, s)),
    result: async (id, s) => (await lag(), p.result(id, s)),
    cancel: async (id, s) => (await lag(), p.cancel(id, s)),
    watch: (id, on, end) => p.watch(id, on, end && ((e) => void lag().then(() => end(e)))),
  };
}

/** A sim with a 50 ms heartbeat in the log; jobs start at 120 ms (and at 300 ms when `twice`). */
async function simulate(o: { port: () => Promise<ReturnType<typeof ok<HpcPort>> | ReturnType<typeof fail>>; blobs?: BlobSink; spec?: HpcJobSpec; gather?: typeof input; twice?: boolean }) {
  const clock = new VirtualClock();
  const bus = new Bus();
  const log = new EventLog();
  const jobs: HpcJobMsg[] = [];
  bus.subscribe('/hpc/jobs', (m) => jobs.push(m));
  const client = new HpcClient({ clock, bus, log, blobs: o.blobs ?? discardingBlobSink(), port: o.port as never });
  const beat = () => {
    log.append(clock.now(), 'sim', 'beat');
    if (clock.now() < 500) clock.setTimeout(beat, 50);
  };
  clock.setTimeout(beat, 50);
  const start = () => void client.run('d1', o.spec ?? dsm, o.gather ?? input);
  clock.setTimeout(start, 120);
  if (o.twice) clock.setTimeout(start, 300);
  await clock.run({ until: 600 });
  await client.settled();
  return { log, jobs, clock, client };
}

describe('HpcClient', () => {
  it('same log bytes whatever the service latency; submitted/finished at the start instant, between the heartbeats', { timeout: 60_000 }, async () => {
    const runs = [];
    for (const max of [0, 40, 15]) runs.push(await simulate({ port: async () => ok(laggy(port, max)), twice: true }));
    const lines = runs[0]!.log.toJsonl();
    for (const r of runs) expect(r.log.toJsonl()).toBe(lines);
    const hpc = runs[0]!.log.entries.filter((e) => e.type.startsWith('hpc.'));
    expect(hpc.map((e) => [e.type, e.t_ms, e.data?.key])).toEqual([
      ['hpc.submitted', 120, 'hpc:d1:1'],
      ['hpc.finished', 120, 'hpc:d1:1'],
      ['hpc.submitted', 300, 'hpc:d1:2'],
      ['hpc.finished', 300, 'hpc:d1:2'],
    ]);
    const types = runs[0]!.log.entries.map((e) => `${e.type}@${e.t_ms}`);
    expect(types.indexOf('hpc.finished@120')).toBeLessThan(types.indexOf('beat@150'));
    expect(runs[0]!.jobs.filter((j) => j.state === 'SUCCEEDED').map((j) => j.key)).toEqual(['hpc:d1:1', 'hpc:d1:2']);
    // Different service job ids, same result bytes.
    const done = runs.map((r) => r.jobs.find((j) => j.state === 'SUCCEEDED')!);
    expect(new Set(done.map((d) => d.job_id)).size).toBe(3);
    expect(new Set(done.map((d) => d.result!.sha256)).size).toBe(1);
  });

  it('cancelAll stops a running job: CANCELLED here and on the service', { timeout: 60_000 }, async () => {
    const clock = new VirtualClock();
    const bus = new Bus();
    const log = new EventLog();
    const client = new HpcClient({ clock, bus, log, blobs: discardingBlobSink(), port: async () => ok(port) });
    const big = encodePcd(syntheticSurvey({ points: 600_000, seed: 12 }), { data: 'binary' });
    let jobId: string | null = null;
    bus.subscribe('/hpc/jobs', (m) => {
      if (m.job_id && !jobId) {
        jobId = m.job_id;
        // Synchronously: a WatchJob cancelled as it opens must not keep the service's close() waiting.
        client.cancelAll();
      }
    });
    const outcome = client.run('d1', { processing_type: 'outlier_removal', parameters: { filter: 'statistical', k: 24, std_mul: 1 }, source: 'scans' }, () => ok({ bytes: big, format: 'pcd', points: 600_000 }));
    await clock.run({ until: 100 });
    const o = await outcome;
    expect(o).toMatchObject({ state: 'CANCELLED', error: { code: 'HPC.CANCELLED' } });
    const st = await port.status(jobId!);
    expect(st.ok && st.value.state).toBe('CANCELLED');
    expect(log.entries.map((e) => [e.type, e.data?.state])).toEqual([['hpc.submitted', undefined], ['hpc.finished', 'CANCELLED']]);
  });

  it('a refused request: FAILED with HPC.INVALID, nothing submitted', async () => {
    const r = await simulate({ port: async () => ok(port), spec: { processing_type: 'voxel_grid', parameters: { resolution: 0 }, source: 'scans' } });
    expect(r.log.entries.filter((e) => e.type.startsWith('hpc.')).map((e) => [e.type, e.data?.state, e.data?.error])).toEqual([['hpc.finished', 'FAILED', 'HPC.INVALID']]);
    expect(r.jobs.at(-1)).toMatchObject({ state: 'FAILED', error: { code: 'HPC.INVALID' } });
    expect(r.clock.now()).toBe(600);
  });

  it('no input, no service, a full blob store: FAILED with HPC.NO_INPUT, HPC.UNAVAILABLE, HPC.STORE_FAILED', async () => {
    const noInput = await simulate({ port: async () => ok(port), gather: () => fail('HPC.NO_INPUT', 'no SLAM map') as never });
    expect(noInput.jobs.at(-1)).toMatchObject({ state: 'FAILED', error: { code: 'HPC.NO_INPUT' } });
    const gone = await simulate({ port: async () => fail('HPC.UNAVAILABLE', 'not reachable') });
    expect(gone.jobs.at(-1)).toMatchObject({ state: 'FAILED', error: { code: 'HPC.UNAVAILABLE' } });
    const full: BlobSink = { put: async () => fail('BLOB.FULL', 'BLOB.FULL: blob store full') };
    const store = await simulate({ port: async () => ok(port), blobs: full });
    expect(store.jobs.at(-1)).toMatchObject({ state: 'FAILED', error: { code: 'HPC.STORE_FAILED' } });
    expect(store.log.entries.filter((e) => e.type.startsWith('hpc.')).map((e) => e.type)).toEqual(['hpc.submitted', 'hpc.finished']);
    for (const r of [noInput, gone, store]) expect(r.log.entries.filter((e) => e.type === 'beat').length).toBe(10);
  });
});
