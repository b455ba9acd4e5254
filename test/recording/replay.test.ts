/**
 * `twin replay`: a recording served through the real rosbridge server; a WebSocket client
 * subscribed to `/drone1/pose` receives the recorded poses, in order, at the recorded pace
 * (scaled); commands are refused; damaged and truncated files are clear errors.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bus, topics, type PoseMsg } from '../../actors/bus.js';
import { EventLog } from '../../actors/event-log.js';
import { fail, ok } from '../../core/result.js';
import { loadScenarioFile } from '../../actors/scenario/scenario.loader.js';
import { runScenario } from '../../actors/scenario/scenario.runner.js';
import { McapRecorder, readRecording } from '../../recording/index.js';
import { startReplayServer } from '../../cli/replay-command.js';
import { authenticate, makeToken, RawClient } from '../bridge/bridge-harness.js';
import { readMcapBySpec } from './mcap-spec-reader.js';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'twin-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const recorded = join(dir, 'speed-capture.mcap');
const poses: PoseMsg[] = [];
const states: string[] = [];

beforeAll(async () => {
  const loaded = await loadScenarioFile(join(ROOT, 'scenarios/speed-capture.yaml'));
  if (!loaded.ok) throw new Error(loaded.error.message);
  const rec = await McapRecorder.open({ path: recorded });
  if (!rec.ok) throw new Error(rec.error.message);
  await runScenario(loaded.value, {
    onTwin: (twin) => {
      rec.value.attach(twin);
      twin.bus.subscribe('/drone1/pose', (p) => poses.push(p));
      twin.bus.subscribe('/drone1/state', (s) => states.push(s.state));
    },
  });
  const closed = await rec.value.close();
  if (!closed.ok) throw new Error(closed.error.message);
}, 60_000);

describe('twin replay', () => {
  it('serves the recorded poses to a rosbridge client in order, at the recorded pace × speed', async () => {
    const speed = 150;
    const started = await startReplayServer({ file: recorded, speed, port: 0, authenticate });
    if (!started.ok) throw new Error(started.error.message);
    const server = started.value;
    expect(server.recording.vehicles).toEqual(['drone1']);
    const client = await RawClient.connect(`${server.url}/?token=${await makeToken('replay-viewer', 'viewer')}`);
    try {
      client.send({ op: 'subscribe', topic: '/drone1/pose', type: 'geometry_msgs/PoseStamped' });
      client.send({ op: 'subscribe', topic: '/mission/status' });
      // Answered after the subscriptions (one session, in order): they are in place.
      client.send({ op: 'call_service', service: '/rosapi/topics', id: 'topics' });
      const topics = await client.next((m) => m.op === 'service_response' && m.id === 'topics');
      expect((topics.values as { topics: string[] }).topics).toEqual(expect.arrayContaining(['/drone1/pose', '/drone1/battery', '/mission/status']));
      const arrivals: number[] = [];
      const before = client.received.length;
      client.ws.on('message', () => arrivals.push(performance.now()));
      const wall0 = performance.now();
      const outcome = await server.play();
      const wall = performance.now() - wall0;
      await new Promise((r) => setTimeout(r, 200));
      const got = client.ofTopic('/drone1/pose').map((m) => m.msg as { header: { stamp: { sec: number; nanosec: number } }; pose: { position: { x: number; y: number; z: number } } });
      expect(outcome.aborted).toBe(false);
      expect(got.length).toBe(poses.length);
      const stamp = (m: (typeof got)[number]) => m.header.stamp.sec * 1000 + m.header.stamp.nanosec / 1e6;
      expect(got.map(stamp).map(Math.round)).toEqual(poses.map((p) => Math.round(p.t_ms)));
      for (const i of [0, Math.floor(got.length / 2), got.length - 1]) {
        expect(got[i]!.pose.position.x).toBeCloseTo(poses[i]!.local.east_m, 6);
        expect(got[i]!.pose.position.y).toBeCloseTo(poses[i]!.local.north_m, 6);
        expect(got[i]!.pose.position.z).toBeCloseTo(-poses[i]!.local.down_m, 6);
      }
      // Paced: the recorded span at 150× takes span/150 wall seconds (not as fast as possible).
      const span_ms = poses.at(-1)!.t_ms - poses[0]!.t_ms;
      expect(wall).toBeGreaterThan((span_ms / speed) * 0.9);
      expect(wall).toBeLessThan(span_ms / speed + 2_000);
      expect(client.received.length).toBeGreaterThan(before);
      const statuses = client.ofTopic('/mission/status').map((m) => JSON.parse((m.msg as { data: string }).data).status as string);
      expect(statuses).toContain('RUNNING');
      expect(statuses.at(-1)).toBe('COMPLETED');
    } finally {
      client.close();
      await server.stop();
    }
  }, 30_000);

  it('refuses commands and mission requests on a recording (REPLAY.READ_ONLY), at once', async () => {
    const started = await startReplayServer({ file: recorded, speed: Infinity, port: 0, authenticate });
    if (!started.ok) throw new Error(started.error.message);
    const server = started.value;
    const client = await RawClient.connect(`${server.url}/?token=${await makeToken('replay-operator', 'operator')}`);
    try {
      await server.play();
      client.send({ op: 'call_service', service: '/drone1/land', id: 'land' });
      const land = await client.next((m) => m.op === 'service_response' && m.id === 'land', 2_000);
      expect(land.values).toMatchObject({ success: false });
      expect(String((land.values as { message: string }).message)).toContain('REPLAY.READ_ONLY');
      client.send({ op: 'call_service', service: '/mission/start', args: { vehicle: 'drone1' }, id: 'start' });
      const start = await client.next((m) => m.op === 'service_response' && m.id === 'start', 2_000);
      expect(start.values).toMatchObject({ success: false });
      // Latched state: a late subscriber gets the last recorded vehicle state.
      client.send({ op: 'subscribe', topic: '/drone1/state' });
      const state = await client.next((m) => m.op === 'publish' && m.topic === '/drone1/state', 2_000);
      expect((state.msg as { state: string }).state).toBe(states.at(-1));
    } finally {
      client.close();
      await server.stop();
    }
  }, 30_000);
});

describe('bad recordings', () => {
  it('not an MCAP file, an empty file, a damaged chunk, a file cut before its first chunk: RECORDING.* errors', async () => {
    const bytes = readFileSync(recorded);
    const cases: [string, Buffer, string][] = [
      ['text.mcap', Buffer.from('{"this is": "json, not mcap"}\n'), 'RECORDING.NOT_MCAP'],
      ['empty.mcap', Buffer.alloc(0), 'RECORDING.NOT_MCAP'],
      ['header-only.mcap', bytes.subarray(0, 60), 'RECORDING.EMPTY'],
    ];
    // Flip bytes in the middle of the first chunk's compressed records.
    const spec = readMcapBySpec(bytes);
    expect(spec.chunks.length).toBeGreaterThan(0);
    const damaged = Buffer.from(bytes);
    const chunkAt = spec.chunks[0]!.at;
    expect(bytes[chunkAt]).toBe(0x06);
    for (let i = chunkAt + 200; i < chunkAt + 216; i++) damaged[i] = damaged[i]! ^ 0x5a;
    cases.push(['damaged.mcap', damaged, 'RECORDING.CORRUPT']);
    for (const [name, data, code] of cases) {
      const path = join(dir, name);
      writeFileSync(path, data);
      const r = await readRecording(path);
      expect(r.ok, name).toBe(false);
      expect(!r.ok && r.error.code, name).toBe(code);
      const s = await startReplayServer({ file: path, port: 0, authenticate });
      expect(!s.ok && s.error.code, name).toBe(code);
    }
    const missing = await readRecording(join(dir, 'nope.mcap'));
    expect(!missing.ok && missing.error.code).toBe('RECORDING.IO');
  });

  it('a file cut mid-run (no footer) is refused unless --partial, which replays its complete chunks', async () => {
    const bytes = readFileSync(recorded);
    const path = join(dir, 'cut.mcap');
    writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const refused = await startReplayServer({ file: path, port: 0, authenticate });
    expect(!refused.ok && refused.error.code).toBe('RECORDING.TRUNCATED');
    expect(!refused.ok && refused.error.message).toMatch(/--partial/);
    const partial = await startReplayServer({ file: path, port: 0, authenticate, partial: true });
    if (!partial.ok) throw new Error(partial.error.message);
    expect(partial.value.recording.truncated).toBe(true);
    const n = partial.value.recording.messages.filter((m) => m.busTopic === '/drone1/pose').length;
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(poses.length);
    await partial.value.stop();
  });

  it('twin replay on a damaged file exits 2 with the code on stderr, no stack trace', () => {
    const cli = join(ROOT, 'dist/cli/twin.js');
    if (!existsSync(cli)) throw new Error('run `npm run build` first (npm test does)');
    const path = join(dir, 'garbage.mcap');
    writeFileSync(path, Buffer.concat([readFileSync(recorded).subarray(0, 8), Buffer.from('garbage garbage garbage garbage')]));
    const r = spawnSync(process.execPath, [cli, 'replay', path, '--port', '0'], { encoding: 'utf8', env: { ...process.env, TWIN_DATA_DIR: join(dir, 'data') }, timeout: 20_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/twin replay: RECORDING\.(CORRUPT|EMPTY): /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('replaying sensors', () => {
  it('serves recorded camera images and LiDAR points on the bridge sensor topics, bytes from the recording', async () => {
    const path = join(dir, 'sensors.mcap');
    const bus = new Bus();
    const log = new EventLog();
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 9, 8, 7, 6, 5, 0xff, 0xd9]);
    const points = new Float32Array([1, 2, 3, 0.5, 4, 5, 6, 0.25]);
    const blobs = new Map<string, Uint8Array>([
      ['captures/r/000000.jpg', jpeg],
      ['scans/r/000003.xyzi', new Uint8Array(points.buffer)],
    ]);
    const rec = await McapRecorder.open({ path, blobs: { get: async (k) => (blobs.has(k) ? ok(blobs.get(k)!) : fail('BLOB.NOT_FOUND', k)) } });
    if (!rec.ok) throw new Error(rec.error.message);
    rec.value.attach({ bus, log });
    const geo = { position: { lat_deg: 47.39, lon_deg: 8.54, alt_m: 530 }, attitude_deg: { roll: 0, pitch: 0, yaw: 0 } };
    for (let t = 0; t <= 1000; t += 100)
      bus.publish(topics.pose('drone1'), { vehicle: 'drone1', t_ms: t, local: { north_m: t / 100, east_m: 0, down_m: -10 }, position: geo.position, alt_rel_m: 10, heading_deg: 0, velocity_ned_mps: { north_m: 1, east_m: 0, down_m: 0 } });
    bus.publish(topics.sensorHealth('drone1', 'cam'), { vehicle: 'drone1', sensor: 'cam', kind: 'camera', machine_state: 'ready', t_ms: 100, state: 'ok', count: 0, lost: 0 });
    bus.publish(topics.sensorHealth('drone1', 'lidar'), { vehicle: 'drone1', sensor: 'lidar', kind: 'lidar', machine_state: 'streaming', t_ms: 100, state: 'ok', count: 0, lost: 0 });
    bus.publish(topics.sensorCapture('drone1', 'cam'), { vehicle: 'drone1', sensor: 'cam', index: 0, t_ms: 600, pose: geo, blob_key: 'captures/r/000000.jpg', media_type: 'image/jpeg' });
    bus.publish(topics.sensorScan('drone1', 'lidar'), { vehicle: 'drone1', sensor: 'lidar', frame_id: 3, t_ms: 700, pose: geo, points: 2, missing_columns: 0, blob_key: 'scans/r/000003.xyzi', bytes: 32 });
    const closed = await rec.value.close();
    expect(closed.ok && [closed.value.images, closed.value.pointClouds]).toEqual([1, 1]);

    const started = await startReplayServer({ file: path, speed: 2, port: 0, authenticate });
    if (!started.ok) throw new Error(started.error.message);
    const server = started.value;
    expect(server.recording.blobs.size).toBe(2);
    const client = await RawClient.connect(`${server.url}/?token=${await makeToken('replay-viewer', 'viewer')}`);
    try {
      client.send({ op: 'subscribe', topic: '/drone1/cam/image_raw/compressed' });
      client.send({ op: 'subscribe', topic: '/drone1/lidar/points' });
      client.send({ op: 'call_service', service: '/rosapi/topics', id: 'topics' });
      const listed = await client.next((m) => m.op === 'service_response' && m.id === 'topics');
      expect((listed.values as { topics: string[] }).topics).toEqual(expect.arrayContaining(['/drone1/cam/image_raw/compressed', '/drone1/lidar/points', '/drone1/cam/status']));
      await server.play();
      const image = await client.next((m) => m.op === 'publish' && m.topic === '/drone1/cam/image_raw/compressed', 3_000);
      expect(Buffer.from((image.msg as { data: string }).data, 'base64').equals(jpeg)).toBe(true);
      const cloud = await client.next((m) => m.op === 'publish' && m.topic === '/drone1/lidar/points', 3_000);
      expect((cloud.msg as { width?: number; height?: number }).width ?? 0).toBeGreaterThan(0);
      // Commands to a recorded camera are refused.
      const operator = await RawClient.connect(`${server.url}/?token=${await makeToken('replay-operator', 'operator')}`);
      operator.send({ op: 'call_service', service: '/drone1/cam/capture', id: 'cap' });
      const cap = await operator.next((m) => m.op === 'service_response' && m.id === 'cap', 3_000);
      operator.close();
      expect(JSON.stringify(cap.values)).toMatch(/REPLAY\.READ_ONLY/);
    } finally {
      client.close();
      await server.stop();
    }
  });
});
