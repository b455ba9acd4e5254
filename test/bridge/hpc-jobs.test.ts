/**
 * `/hpc/jobs` on the bridge over a real WebSocket: the HPC client runs a real job on a real
 * HPCService over gRPC (loopback, local engine) for a live twin on a paced virtual clock; a
 * subscribed client sees the job's states with the service's job id, a later subscriber gets the
 * latched final status, and the paced clock stood still while the job ran.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HpcClient } from '../../actors/hpc-client.js';
import type { HpcJobMsg } from '../../actors/bus.js';
import { discardingBlobSink } from '../../actors/scenario/scenario-sensors.js';
import { ok } from '../../core/result.js';
import { createGrpcHpcPort } from '../../hardware/real/hpc/grpc-hpc.adapter.js';
import type { HpcPort } from '../../hardware/hpc.port.js';
import type { BridgeServer } from '../../bridge/index.js';
import { startHpcServer, type HpcServer } from '../../hpc/index.js';
import { encodePcd } from '../../pointcloud/index.js';
import { syntheticSurvey } from '../../pointcloud/synthetic-survey.js';
import { liveTwin, makeToken, RawClient, startBridge, type LiveTwin } from './bridge-harness.js';

let live: LiveTwin;
let bridge: BridgeServer;
let url: string;
let hpcServer: HpcServer;
let port: HpcPort;
const clients: RawClient[] = [];
const connect = async () => {
  const c = await RawClient.connect(`${url}/?token=${await makeToken('viewer-1', 'viewer')}`);
  clients.push(c);
  return c;
};

beforeAll(async () => {
  hpcServer = await startHpcServer({ port: 0, local: { poolSize: 1 } });
  port = createGrpcHpcPort({ address: `127.0.0.1:${hpcServer.port}` });
  live = await liveTwin(['drone1'], 20);
  ({ bridge, url } = await startBridge(live.twin));
}, 30_000);
afterAll(async () => {
  for (const c of clients) c.close();
  await bridge?.stop();
  await live?.halt();
  await port?.dispose();
  await hpcServer?.close();
});

const jobOf = (m: Record<string, unknown>) => JSON.parse((m.msg as { data: string }).data) as HpcJobMsg;

describe('/hpc/jobs on the bridge', () => {
  it('streams a real job to SUCCEEDED, latches it for late subscribers; sim time held while it ran', async () => {
    const c = await connect();
    c.send({ op: 'subscribe', id: 's1', topic: '/hpc/jobs' });
    const client = new HpcClient({ clock: live.clock, bus: live.twin.bus, log: live.twin.log, blobs: discardingBlobSink(), port: async () => ok(port) });
    const cloud = encodePcd(syntheticSurvey({ points: 30_000, seed: 4 }), { data: 'binary' });
    let startedAt = -1;
    const outcome = await new Promise<HpcJobMsg>((resolve) => {
      // Start the job from a timer on the twin's clock, as the scenario runner does.
      live.clock.setTimeout(() => {
        startedAt = live.clock.now();
        void client.run('drone1', { processing_type: 'dsm', parameters: { resolution: 1 }, source: 'scans' }, () => ok({ bytes: cloud, format: 'pcd', points: 30_000 })).then(resolve);
      }, 10);
    });
    expect(outcome.state).toBe('SUCCEEDED');
    expect(outcome.t_ms).toBe(startedAt);
    const done = await c.next((m) => m.op === 'publish' && m.topic === '/hpc/jobs' && jobOf(m).state === 'SUCCEEDED', 10_000);
    const seen = c.received.filter((m) => m.op === 'publish' && m.topic === '/hpc/jobs').map((m) => jobOf(m).state);
    expect(seen[0]).toBe('GATHERING');
    expect(seen).toContain('QUEUED');
    expect(jobOf(done)).toMatchObject({ key: 'hpc:drone1:1', vehicle: 'drone1', processing_type: 'dsm', progress: 1, job_id: outcome.job_id });
    expect(jobOf(done).result?.media_type).toBe('image/png');
    // The log has submitted and finished at the start instant.
    const logged = live.twin.log.entries.filter((e) => e.type.startsWith('hpc.'));
    expect(logged.map((e) => [e.type, e.t_ms])).toEqual([['hpc.submitted', startedAt], ['hpc.finished', startedAt]]);

    const late = await connect();
    late.send({ op: 'subscribe', id: 's2', topic: '/hpc/jobs' });
    const latched = await late.next((m) => m.op === 'publish' && m.topic === '/hpc/jobs', 5_000);
    expect(jobOf(latched)).toMatchObject({ key: 'hpc:drone1:1', state: 'SUCCEEDED' });
  }, 60_000);

  it('the topic is advertised with its type', async () => {
    const c = await connect();
    c.send({ op: 'call_service', id: 't1', service: '/rosapi/topic_type', args: { topic: '/hpc/jobs' } });
    const r = await c.next((m) => m.op === 'service_response' && m.id === 't1', 5_000);
    expect(r.values).toMatchObject({ type: 'std_msgs/String' });
  });
});
