/**
 * `after_mission.hpc` end to end on the simulator: a short SLAM flight whose map (or whose
 * LiDAR scans) go, once the mission has COMPLETED, to a real HPCService over gRPC on loopback
 * (hpc/, in-process, local worker_threads engine, no Redis) through the gRPC HPC adapter; the
 * DSM PNG is stored in a real blob store; `hpc_job` holds; the event log is identical across two
 * runs with the same seed (the clock is held while the service works).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScenario } from '../../actors/scenario/scenario.loader.js';
import { runScenario } from '../../actors/scenario/scenario.runner.js';
import type { HpcJobMsg } from '../../actors/bus.js';
import { ok } from '../../core/result.js';
import { createGrpcHpcPort } from '../../hardware/real/hpc/grpc-hpc.adapter.js';
import type { HpcPort } from '../../hardware/hpc.port.js';
import { startHpcServer, type HpcServer } from '../../hpc/index.js';
import { sensorPortFactory, slamPortFactory } from '../../cli/compose.js';
import { createBlobSink, openStore, type Store } from '../../storage/index.js';

function text(o: { source?: string; expect?: string; seed?: number } = {}) {
  const obstacles: string[] = [];
  for (let n = -20, i = 0; n < 50; n += 10)
    for (const side of [-1, 1]) {
      i++;
      obstacles.push(`    - { kind: building, north: ${n + (i % 5)}, east: ${side * (12 + (i % 7))}, size_m: { x: 6, y: 6, z: ${8 + ((i * 11) % 20)} }, yaw_deg: ${(i * 29) % 90} }`);
    }
  return `name: hpc-dsm
seed: ${o.seed ?? 5}
duration_s: 90
world:
  origin: home
  terrain: { kind: hills, amplitude_m: 4, wavelength_m: 60, seed: 5 }
  obstacles:
${obstacles.join('\n')}
vehicles:
  - id: d1
    params: { MPC_XY_CRUISE: 5 }
    sensors:
      - { id: os1, kind: lidar, model: os1-32, settings: { lidar_mode: 512x10 } }
    slam: { lidar: os1 }
    mission:
      type: waypoints
      end: land
      waypoints: [{ north: 0, east: 0, alt: 5 }, { north: 20, east: 0, alt: 5 }]
    after_mission:
      hpc: { processing_type: dsm, parameters: { resolution: 0.5 }, source: ${o.source ?? 'slam_map'} }
expect:
${o.expect ?? '  - { kind: hpc_job, vehicle: d1, state: SUCCEEDED, min_output_points: 100 }'}
`;
}

const load = (t: string) => {
  const r = parseScenario(t, 'hpc.yaml');
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

let server: HpcServer;
let port: HpcPort;
const dirs: string[] = [];
const stores: Store[] = [];
/** A fresh store per run (a second run writing the same keys would be refused). */
function freshStore(): Store {
  const dir = mkdtempSync(join(tmpdir(), 'twin-hpc-scn-'));
  dirs.push(dir);
  const store = openStore({ dir, blobs: { driver: 'fs' } });
  stores.push(store);
  return store;
}

beforeAll(async () => {
  server = await startHpcServer({ port: 0, local: { poolSize: 1 } });
  port = createGrpcHpcPort({ address: `127.0.0.1:${server.port}` });
}, 30_000);
afterAll(async () => {
  await port?.dispose();
  await server?.close();
  for (const s of stores) s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const run = (t: string, jobs?: HpcJobMsg[], store = freshStore()) =>
  runScenario(load(t), {
    sensorFactory: sensorPortFactory,
    slamFactory: slamPortFactory,
    blobs: createBlobSink(store.blobs),
    hpc: async () => ok(port),
    ...(jobs ? { onTwin: (twin) => twin.bus.subscribe('/hpc/jobs', (m) => jobs.push(m)) } : {}),
  });

describe('after_mission.hpc (simulator + real gRPC HPC service)', () => {
  it('the SLAM map becomes a stored DSM PNG; hpc_job holds; same seed, same event log', { timeout: 240_000 }, async () => {
    const jobs: HpcJobMsg[] = [];
    const store = freshStore();
    const a = await run(text(), jobs, store);
    expect(a.report.errors).toEqual([]);
    expect(a.report.expectations.map((e) => [e.kind, e.passed, e.reason])).toEqual([['hpc_job', true, expect.stringMatching(/dsm of the slam_map: SUCCEEDED/)]]);
    expect(a.report.passed).toBe(true);
    // On the bus: gathering, queued, (running…), succeeded, with the service's job id.
    expect(jobs[0]?.state).toBe('GATHERING');
    const last = jobs.at(-1)!;
    expect(last).toMatchObject({ key: 'hpc:d1:1', vehicle: 'd1', state: 'SUCCEEDED', progress: 1, processing_type: 'dsm', source: 'slam_map' });
    expect(last.job_id).toMatch(/^[0-9a-f-]{36}$/);
    // The PNG and its world file are in the blob store.
    const png = await store.blobs.get(last.result!.blob_key);
    expect(png.ok).toBe(true);
    if (png.ok) expect(Buffer.from(png.value.subarray(0, 8)).toString('hex')).toBe('89504e470d0a1a0a');
    expect(last.result!.media_type).toBe('image/png');
    const pgw = await store.blobs.get(last.result!.world_file_key!);
    expect(pgw.ok).toBe(true);
    // The log: submitted and finished at the completion instant, without the service's job id.
    const entries = a.log.entries.filter((e) => e.type.startsWith('hpc.'));
    expect(entries.map((e) => e.type)).toEqual(['hpc.submitted', 'hpc.finished']);
    const done = a.log.entries.find((e) => e.source === 'mission:d1' && e.type === 'state' && e.data?.value === 'COMPLETED')!;
    expect(entries.every((e) => e.t_ms === done.t_ms)).toBe(true);
    expect(JSON.stringify(entries)).not.toContain(last.job_id!);

    const b = await run(text());
    expect(b.report.eventLogSha256).toBe(a.report.eventLogSha256);
    expect(b.report.hpc?.[0]?.result?.sha256).toBe(last.result!.sha256);
  });
});
