/**
 * Services and client publishing: every call reaches the twin with the op's id as correlation
 * id (event log and pino lines), refusals are `success: false`, impossible calls `result: false`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { liveTwin, makeToken, RawClient, startBridge, testMission, type LiveTwin } from './bridge-harness.js';
import type { BridgeServer } from '../../bridge/index.js';

let live: LiveTwin;
let bridge: BridgeServer;
let url: string;
const lines: Record<string, unknown>[] = [];
const clients: RawClient[] = [];
const connect = async (role = 'operator') => {
  const c = await RawClient.connect(`${url}/?token=${await makeToken(`${role}-1`, role)}`);
  clients.push(c);
  return c;
};

beforeAll(async () => {
  live = await liveTwin(['drone1', 'drone2'], 25);
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  ({ bridge, url } = await startBridge(live.twin, { logger: pino({ level: 'info' }, sink) }));
});
afterAll(async () => {
  for (const c of clients) c.close();
  await bridge.stop();
  await live.halt();
});

async function call(c: RawClient, service: string, args: unknown, id = `${service}#${Math.random().toString(36).slice(2)}`) {
  c.send({ op: 'call_service', id, service, args });
  const r = await c.next((m) => m.op === 'service_response' && m.id === id, 15_000);
  return { id, result: r.result as boolean, values: r.values as { success: boolean; message: string } | string };
}

const waitFor = async (cond: () => boolean, timeout_ms = 20_000) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeout_ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('bridge services', () => {
  it('vehicle commands wait for the vehicle and carry the op id into the event log and the logs', async () => {
    const c = await connect();
    const arm = await call(c, '/drone2/arm', { value: true }, 'op-arm-1');
    expect(arm).toMatchObject({ result: true, values: { success: true, message: 'arm accepted by drone2' } });
    expect(live.twin.log.entries.find((e) => e.type === 'command.result' && e.cid === 'op-arm-1')?.data).toMatchObject({ kind: 'arm', ok: true });
    expect(lines.some((l) => l.cid === 'op-arm-1' && l.msg === 'service call' && l.service === '/drone2/arm' && l.sub === 'operator-1')).toBe(true);

    const takeoff = await call(c, '/drone2/takeoff', { altitude: 12 }, 'op-takeoff-1');
    expect(takeoff.values).toMatchObject({ success: true });
    c.send({ op: 'subscribe', topic: '/drone2/pose' });
    await waitFor(() => c.ofTopic('/drone2/pose').some((m) => (m.msg as { pose: { position: { z: number } } }).pose.position.z > 8));

    // A refusal from the vehicle is a successful call that says no.
    const disarmInAir = await call(c, '/drone2/arm', { value: false });
    expect(disarmInAir.result).toBe(true);
    expect((disarmInAir.values as { success: boolean }).success).toBe(false);
    expect((disarmInAir.values as { message: string }).message).toMatch(/^VEHICLE\./);

    const land = await call(c, '/drone2/land', {});
    expect(land.values).toMatchObject({ success: true });
  }, 40_000);

  it('mission lifecycle: load, refused start states, start, pause, resume, abort', async () => {
    const c = await connect();
    const bad = await call(c, '/mission/start', { vehicle: 'drone1' });
    expect(bad.values).toMatchObject({ success: false, message: 'START is not accepted while the mission on drone1 is IDLE' });

    const invalid = { ...testMission(live.frame), items: [{ kind: 'waypoint', lat_deg: 0, lon_deg: 0, alt_m: 20 }] };
    const rejected = await call(c, '/mission/load', { mission_json: invalid });
    expect(rejected.values).toMatchObject({ success: false });
    expect((rejected.values as { message: string }).message).toMatch(/mission rejected: items.0: waypoint at 0,0/);

    const load = await call(c, '/mission/load', { mission_json: JSON.stringify(testMission(live.frame, 'drone1', 'm-svc')) }, 'op-load');
    expect(load.values).toEqual({ success: true, message: 'mission m-svc loaded on drone1 (4 items)' });
    const again = await call(c, '/mission/load', { mission_json: testMission(live.frame, 'drone1', 'm-other') });
    expect(again.values).toMatchObject({ success: false, message: 'MISSION.BUSY: the mission on drone1 is LOADED; a mission loads when IDLE, COMPLETED, ABORTED or FAILED' });

    c.send({ op: 'subscribe', topic: '/mission/status' });
    // Two vehicles: a mission request must name one (it used to act on the first).
    const unnamed = await call(c, '/mission/start', {}, 'op-unnamed');
    expect(unnamed.result).toBe(false);
    expect(unnamed.values).toBe('BRIDGE.SERVICE_ARGS: args.vehicle is required: this twin has 2 vehicles (drone1, drone2)');
    expect(live.twin.missionStatus('drone1')).toBe('LOADED');
    const start = await call(c, '/mission/start', { vehicle: 'drone1' }, 'op-start');
    expect(start.values).toMatchObject({ success: true });
    await waitFor(() => live.twin.missionStatus('drone1') === 'RUNNING' && live.twin.mission('drone1').context().progress.percent_complete > 0);
    const pause = await call(c, '/mission/pause', { vehicle: 'drone1' }, 'op-pause');
    expect(pause.values).toEqual({ success: true, message: 'drone1: mission PAUSED' });
    const resume = await call(c, '/mission/resume', { vehicle: 'drone1' }, 'op-resume');
    expect(resume.values).toEqual({ success: true, message: 'drone1: mission RUNNING' });
    const abort = await call(c, '/mission/abort', { vehicle: 'drone1', reason: 'test over' }, 'op-abort');
    expect(abort.values).toEqual({ success: true, message: 'drone1: mission ABORTED' });

    const requests = live.twin.log.entries.filter((e) => e.type === 'request' && e.source === 'mission:drone1').map((e) => [e.data?.type, e.cid]);
    expect(requests).toEqual([
      ['LOAD', expect.any(String)], // the rejected one, with a bridge-made cid
      ['LOAD', 'op-load'],
      ['LOAD', expect.any(String)], // the one refused as busy: the mission actor answers (and logs) it
      ['START', 'op-start'],
      ['PAUSE', 'op-pause'],
      ['RESUME', 'op-resume'],
      ['ABORT', 'op-abort'],
    ]);
    const statuses = c.ofTopic('/mission/status').map((m) => JSON.parse((m.msg as { data: string }).data) as { vehicle: string; status: string });
    expect(statuses.filter((s) => s.vehicle === 'drone1').map((s) => s.status)).toEqual(expect.arrayContaining(['RUNNING', 'PAUSED', 'ABORTED']));
    expect(statuses.find((s) => s.status === 'ABORTED')).toMatchObject({ reason: 'test over' });
  }, 40_000);

  it('load takes the vehicle from the mission; a mismatch or unknown vehicle is a failed call', async () => {
    const c = await connect();
    const unknown = await call(c, '/mission/load', { mission_json: testMission(live.frame, 'drone7') });
    expect(unknown.result).toBe(false);
    expect(unknown.values).toMatch(/^BRIDGE\.UNKNOWN_VEHICLE/);
    const mismatch = await call(c, '/mission/load', { vehicle: 'drone1', mission_json: testMission(live.frame, 'drone2') });
    expect(mismatch.result).toBe(false);
    // The list form of args (the spec's) works too.
    const list = await call(c, '/rosapi/topic_type', [{ topic: '/drone1/global_position' }]);
    expect(list.values).toEqual({ type: 'sensor_msgs/NavSatFix' });
  });

  it('publishing on /<vehicle>/cmd commands the vehicle (operators only)', async () => {
    const viewer = await connect('viewer');
    const denied = await viewer.expectStatus({ op: 'advertise', id: 'adv-v', topic: '/drone1/cmd', type: 'std_msgs/String' });
    expect(denied.msg).toMatch(/^BRIDGE\.FORBIDDEN/);
    const deniedPub = await viewer.expectStatus({ op: 'publish', id: 'pub-v', topic: '/drone1/cmd', msg: { data: 'arm' } });
    expect(deniedPub.msg).toMatch(/^BRIDGE\.FORBIDDEN/);

    const op = await connect();
    op.send({ op: 'advertise', id: 'adv', topic: '/drone1/cmd', type: 'std_msgs/msg/String' });
    op.send({ op: 'publish', id: 'pub-hold', topic: '/drone1/cmd', msg: { data: '{"kind":"hold"}' } });
    await waitFor(() => live.twin.log.entries.some((e) => e.type === 'command.result' && e.cid === 'pub-hold'));
    expect(live.twin.log.entries.find((e) => e.type === 'command' && e.cid === 'pub-hold')?.data).toEqual({ kind: 'hold' });
    op.send({ op: 'unadvertise', id: 'adv', topic: '/drone1/cmd' });
    expect(viewer.received.filter((m) => m.op === 'publish' && m.topic === '/drone1/cmd')).toEqual([]);
  });
});
