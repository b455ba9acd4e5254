/**
 * The operator side over a twin with real sensor actors (the sensor runtime with honest camera
 * and LiDAR ports writing through the store's blob sink): REST capture → stored row and image,
 * the bridge's image and point topics and capture service from the twin's own sensors, and the
 * sensor counters in Prometheus. Real HTTP, real WebSockets, a real SQLite file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../../core/clock.js';
import { Rng } from '../../core/rng.js';
import { createTwin, type Twin } from '../../actors/twin.js';
import { SimWorld, createSimVehiclePort } from '../../hardware/sim/index.js';
import type { VehiclePoseSource } from '../../hardware/sensor.port.js';
import { DEFAULT_HOME } from '../../actors/scenario/scenario.runner.js';
import { openStore, type Store } from '../../storage/store.js';
import { createBlobSink } from '../../storage/blob.sink.js';
import { createAuth, type Auth } from '../../api/auth/index.js';
import { createApiServer, type ApiServer } from '../../api/server.js';
import { indexCaptures, type CaptureIndexer } from '../../api/capture-indexer.js';
import { createMetrics, type Metrics } from '../../metrics/registry.js';
import { createBridgeServer, type BridgeServer } from '../../bridge/index.js';
import { FakeCamera, FakeLidar } from '../runtime/sensor-fakes.js';
import { RawClient } from '../bridge/bridge-harness.js';

let dir: string;
let clock: VirtualClock;
let twin: Twin;
let store: Store;
let auth: Auth;
let metrics: Metrics;
let api: ApiServer;
let bridge: BridgeServer;
let indexer: CaptureIndexer;
let apiUrl: string;
let bridgeUrl: string;
let running: Promise<void>;
const abort = new AbortController();
const tokens: Record<string, string> = {};
const clients: RawClient[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'twin-sensors-e2e-'));
  store = openStore({ dir });
  clock = new VirtualClock();
  const world = new SimWorld({ clock, rng: new Rng(3), origin: DEFAULT_HOME });
  world.addVehicle('d1', { spawn: { north_m: 0, east_m: 0 } });
  const pose: VehiclePoseSource = { pose: () => ({ t_ms: clock.now(), position: world.frame.toGeo(world.truePosition('d1')), attitude_deg: { roll: 0, pitch: 0, yaw: 0 } }) };
  const blobs = createBlobSink(store.blobs);
  const camera = new FakeCamera({ id: 'cam', vehicle: 'd1', clock, blobs, pose });
  const lidar = new FakeLidar({ id: 'os1', vehicle: 'd1', clock, blobs, pose });
  twin = createTwin({ clock, origin: 'home', vehicles: [{ id: 'd1', port: createSimVehiclePort(world, 'd1'), sensors: [{ port: camera }, { port: lidar }] }] });
  metrics = createMetrics({ defaults: false });
  metrics.observeTwin(twin);
  twin.log.addSink((e) => metrics.observeEvent(e));
  world.start();
  let up = false;
  const p = twin.start().then(() => (up = true));
  await clock.run({ stopWhen: () => up, until: 10_000 });
  await p;
  // Paced in the background: sensor calls take clock time.
  running = clock.run({ speed: 10, signal: abort.signal, progressEveryMs: 50 });
  auth = createAuth({ store, secret: new Uint8Array(32).fill(3), scrypt: { N: 2 ** 10, r: 8, p: 1 } });
  for (const role of ['viewer', 'operator'] as const) {
    await auth.createUser(role, `${role}-password`, role);
    const r = await auth.login(role, `${role}-password`);
    if (!r.ok) throw new Error('login');
    tokens[role] = r.value.access_token;
  }
  indexer = indexCaptures(store, twin.bus, twin, twin.sensors().map((s) => ({ vehicle: s.vehicle, id: s.sensor, kind: s.kind })), { run: 'live' });
  api = createApiServer({ twin, store, auth, metrics, port: 0, captureIndexer: indexer });
  ({ url: apiUrl } = await api.start());
  bridge = createBridgeServer({ twin, port: 0, authenticate: (t) => auth.verify(t), blobs: store.blobs });
  ({ url: bridgeUrl } = await bridge.start());
});
afterAll(async () => {
  for (const c of clients) c.close();
  await bridge?.stop();
  await api?.stop();
  indexer?.stop();
  abort.abort();
  await running;
  await twin?.stop();
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const http = async (method: string, path: string, as: string) => {
  const res = await fetch(apiUrl + path, { method, headers: { authorization: `Bearer ${tokens[as]}` } });
  const buf = Buffer.from(await res.arrayBuffer());
  return { status: res.status, type: res.headers.get('content-type') ?? '', buf, json: () => JSON.parse(buf.toString('utf8')) };
};
const waitFor = async (cond: () => boolean, ms = 10_000) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('operator side over the sensor runtime', () => {
  it('REST capture → 202 with the stored reference; the row and the image follow; sensors with health', async () => {
    await waitFor(() => twin.sensors('d1').every((s) => s.state === 'ready' || s.state === 'streaming'));
    const r = await http('POST', '/vehicles/d1/sensors/cam/capture', 'operator');
    expect(r.status).toBe(202);
    const cap = r.json().capture;
    expect(cap).toMatchObject({ index: 0, blob_key: 'captures/d1/cam/000000.bin', media_type: 'image/x-test', capture_id: expect.any(Number) });
    expect(cap.pose.position.lat_deg).toBeCloseTo(DEFAULT_HOME.lat_deg, 3);
    const img = await http('GET', `/captures/${cap.capture_id}/image`, 'viewer');
    expect(img.status).toBe(200);
    expect(img.type).toBe('image/x-test');
    expect(img.buf.toString('utf8')).toMatch(/^image d1\/cam #0 at /);
    const sensors = (await http('GET', '/vehicles/d1/sensors', 'viewer')).json();
    expect(sensors.map((s: { id: string; kind: string; machine_state: string; health: { state: string } }) => [s.id, s.kind, s.machine_state, s.health.state])).toEqual([
      ['cam', 'camera', 'ready', 'ok'],
      ['os1', 'lidar', 'streaming', 'ok'],
    ]);
    expect(sensors[0].model).toBe('fake-cam');
    expect(sensors[0].latest_capture).toMatchObject({ index: 0, capture_id: cap.capture_id });
  });

  it('the bridge serves the twin\'s own sensors: latched image, points, capture service', async () => {
    const c = await RawClient.connect(`${bridgeUrl}/?token=${tokens.operator}`);
    clients.push(c);
    c.send({ op: 'subscribe', id: 's1', topic: '/d1/cam/image_raw/compressed' });
    c.send({ op: 'subscribe', id: 's2', topic: '/d1/os1/points' });
    const img = await c.next((m) => m.op === 'publish' && m.topic === '/d1/cam/image_raw/compressed');
    expect((img.msg as { format: string }).format).toBe('test'); // image/x-test: the subtype without x-
    expect(Buffer.from((img.msg as { data: string }).data, 'base64').toString('utf8')).toMatch(/^image d1\/cam #0/);
    const pts = await c.next((m) => m.op === 'publish' && m.topic === '/d1/os1/points');
    expect(pts.msg).toMatchObject({ width: 2, point_step: 16, header: { frame_id: 'd1/os1' } });
    const data = Buffer.from((pts.msg as { data: string }).data, 'base64');
    expect([...new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + 32))]).toEqual([10, 0, -5, 100, 10, 1, -5, 100]);

    c.send({ op: 'call_service', id: 'cap', service: '/d1/cam/capture', args: {} });
    const res = await c.next((m) => m.op === 'service_response' && m.id === 'cap', 10_000);
    expect(res.values).toMatchObject({ success: true, index: 1, blob_key: 'captures/d1/cam/000001.bin' });
    const next = await c.next((m) => m.op === 'publish' && m.topic === '/d1/cam/image_raw/compressed' && Buffer.from((m.msg as { data: string }).data, 'base64').toString('utf8').startsWith('image d1/cam #1'));
    expect(next).toBeDefined();
    await waitFor(() => indexer.stats.indexed >= 2);
    expect(store.captures.list({ vehicle: 'd1', sensor: 'cam' }).total).toBe(2);
  });

  it('Prometheus: captures, scans, points per sensor; sensor links are not vehicle links', async () => {
    const text = await metrics.text();
    const value = (line: RegExp) => Number(text.split('\n').find((l) => line.test(l))?.split(' ').pop());
    expect(value(/^twin_sensor_captures_total\{vehicle="d1",sensor="cam"\}/)).toBe(2);
    expect(value(/^twin_sensor_scans_total\{vehicle="d1",sensor="os1"\}/)).toBeGreaterThan(0);
    expect(value(/^twin_sensor_points_total\{vehicle="d1",sensor="os1"\}/)).toBe(2 * value(/^twin_sensor_scans_total\{vehicle="d1",sensor="os1"\}/));
    expect(value(/^twin_sensor_link_up\{vehicle="d1",sensor="cam"\}/)).toBe(1);
    expect(value(/^twin_sensor_health\{vehicle="d1",sensor="os1",state="ok"\}/)).toBe(1);
    expect(text).not.toMatch(/twin_vehicle_link_up\{vehicle="d1\/cam"\}/);
    const res = await fetch(`${apiUrl}/metrics`);
    expect(await res.text()).toMatch(/twin_sensor_captures_total\{vehicle="d1",sensor="cam"\} 2/);
  });
});
