/**
 * Sensor topics and services over a real WebSocket: images read from a real SQLite-indexed blob
 * store by the capture's key (base64 in JSON, bytes in CBOR), CameraInfo from the profile, health
 * as DiagnosticStatus, LiDAR scans decimated per client budget and throttled per client, and the
 * camera services with their roles and bad arguments.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveTwin, makeToken, RawClient, sleep, startBridge, type LiveTwin } from './bridge-harness.js';
import { CAMERA_INFO, jpegBytes, scanBytes, sensorRig, type SensorRig } from './sensor-harness.js';
import type { BridgeServer } from '../../bridge/index.js';
import { budgetLevel, DEFAULT_POINT_BUDGET } from '../../bridge/index.js';
import { decimatePoints } from '../../bridge/sensor-messages.js';

let live: LiveTwin;
let rig: SensorRig;
let bridge: BridgeServer;
let url: string;
const clients: RawClient[] = [];
const connect = async (role = 'viewer') => {
  const c = await RawClient.connect(`${url}/?token=${await makeToken(`${role}-s`, role)}`);
  clients.push(c);
  // Subscriptions are confirmed with an info status.
  c.send({ op: 'set_level', level: 'info' });
  return c;
};
const subscribe = async (c: RawClient, topic: string, extra: Record<string, unknown> = {}) => {
  const id = `sub:${topic}:${Math.random().toString(36).slice(2)}`;
  const st = await c.expectStatus({ op: 'subscribe', id, topic, ...extra });
  expect(st.msg).toBe(`subscribed to ${topic}`);
};
async function call(c: RawClient, service: string, args: unknown) {
  const id = `${service}#${Math.random().toString(36).slice(2)}`;
  c.send({ op: 'call_service', id, service, args });
  const r = await c.next((m) => m.op === 'service_response' && m.id === id, 10_000);
  return { result: r.result as boolean, values: r.values as Record<string, unknown> | string };
}

beforeAll(async () => {
  live = await liveTwin(['drone1'], 20, 60_000, false);
  rig = sensorRig(live.twin);
  ({ bridge, url } = await startBridge(live.twin, { sensors: rig.directory, blobs: rig.blobs, highWaterMarkBytes: 64 * 1024 * 1024 }));
});
afterAll(async () => {
  for (const c of clients) c.close();
  await bridge.stop();
  await live.halt();
  rig.close();
});

describe('camera topics', () => {
  it('lists the sensor topics and services in the vehicle namespace', async () => {
    const c = await connect();
    const topics = await call(c, '/rosapi/topics', {});
    const t = topics.values as { topics: string[]; types: string[] };
    const typeOf = (n: string) => t.types[t.topics.indexOf(n)];
    expect(typeOf('/drone1/cam/image_raw/compressed')).toBe('sensor_msgs/CompressedImage');
    expect(typeOf('/drone1/cam/camera_info')).toBe('sensor_msgs/CameraInfo');
    expect(typeOf('/drone1/cam/status')).toBe('diagnostic_msgs/DiagnosticStatus');
    expect(typeOf('/drone1/ouster/points')).toBe('sensor_msgs/PointCloud2');
    expect(typeOf('/drone1/ouster/status')).toBe('diagnostic_msgs/DiagnosticStatus');
    expect(t.topics).not.toContain('/drone1/ouster/image_raw/compressed');
    const services = (await call(c, '/rosapi/services', {})).values as { services: string[] };
    expect(services.services).toEqual(expect.arrayContaining(['/drone1/cam/capture', '/drone1/cam/configure']));
    expect(services.services).not.toContain('/drone1/ouster/capture');
  });

  it('sends the stored image (JSON base64, CBOR bytes) and CameraInfo per capture; a late subscriber gets the latest image', async () => {
    const json = await connect();
    const cbor = await connect();
    await subscribe(json, '/drone1/cam/image_raw/compressed');
    await subscribe(json, '/drone1/cam/camera_info');
    await subscribe(cbor, '/drone1/cam/image_raw/compressed', { compression: 'cbor' });
    const ref = await rig.capture();
    const img = await json.next((m) => m.op === 'publish' && m.topic === '/drone1/cam/image_raw/compressed');
    const msg = img.msg as { header: { frame_id: string; stamp: { sec: number; nanosec: number } }; format: string; data: string };
    expect(msg.format).toBe('jpeg');
    expect(msg.header.frame_id).toBe('drone1/cam');
    expect(msg.header.stamp.sec * 1000 + msg.header.stamp.nanosec / 1e6).toBeCloseTo(ref.t_ms, 3);
    expect(Buffer.from(msg.data, 'base64').equals(Buffer.from(jpegBytes(ref.index)))).toBe(true);

    const bin = await cbor.next((m) => m.op === 'publish' && m.topic === '/drone1/cam/image_raw/compressed');
    expect(cbor.binaryFrames).toBeGreaterThan(0);
    const data = (bin.msg as { data: Uint8Array }).data;
    expect(data).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(data).equals(Buffer.from(jpegBytes(ref.index)))).toBe(true);

    const info = await json.next((m) => m.op === 'publish' && m.topic === '/drone1/cam/camera_info');
    const k = (info.msg as { k: number[]; width: number; height: number }).k;
    const fx = (35 * 11664) / 43.9;
    expect(k[0]).toBeCloseTo(fx, 6);
    expect(k[4]).toBeCloseTo((35 * 8750) / 32.9, 6);
    expect(k[2]).toBe(11664 / 2);
    expect(k[5]).toBe(8750 / 2);
    expect((info.msg as { width: number }).width).toBe(CAMERA_INFO.camera!.resolution_px.width);

    const second = await rig.capture();
    const late = await connect();
    await subscribe(late, '/drone1/cam/image_raw/compressed');
    const latched = await late.next((m) => m.op === 'publish' && m.topic === '/drone1/cam/image_raw/compressed');
    expect(Buffer.from((latched.msg as { data: string }).data, 'base64').equals(Buffer.from(jpegBytes(second.index)))).toBe(true);
    // One blob read per capture, however many clients: the hub counts one message per capture.
    const stat = bridge.stats().topics.find((s) => s.topic === '/drone1/cam/image_raw/compressed');
    expect(stat?.messages).toBe(2);
  });

  it('health becomes a DiagnosticStatus (latched), failed = ERROR', async () => {
    const c = await connect();
    await subscribe(c, '/drone1/cam/status');
    const first = await c.next((m) => m.op === 'publish' && m.topic === '/drone1/cam/status');
    expect(first.msg).toMatchObject({ level: 0, name: 'drone1/cam', hardware_id: 'cam' });
    rig.health({ sensor: 'cam', state: 'failed', message: 'SENSOR.FAILED: no answer', lost: 3, count: 5, machine_state: 'error' });
    const failed = await c.next((m) => m.op === 'publish' && m.topic === '/drone1/cam/status' && (m.msg as { level: number }).level === 2);
    expect((failed.msg as { message: string }).message).toBe('SENSOR.FAILED: no answer');
    expect((failed.msg as { values: { key: string; value: string }[] }).values).toEqual(expect.arrayContaining([{ key: 'lost', value: '3' }, { key: 'machine_state', value: 'error' }]));
    const late = await connect();
    await subscribe(late, '/drone1/cam/status');
    const latched = await late.next((m) => m.op === 'publish' && m.topic === '/drone1/cam/status');
    expect((latched.msg as { level: number }).level).toBe(2);
  });
});

describe('LiDAR points', () => {
  it('decimates a 64 × 1024 scan to each client budget (rounded down to a power of two), returns only', async () => {
    const small = await connect();
    const dflt = await connect();
    const cbor = await connect();
    await subscribe(small, '/drone1/ouster/points', { point_budget: 1000 });
    await subscribe(dflt, '/drone1/ouster/points');
    await subscribe(cbor, '/drone1/ouster/points', { point_budget: 1000, compression: 'cbor' });
    const bytes = scanBytes(64, 1024, 10);
    await rig.scan(bytes);
    const a = (await small.next((m) => m.op === 'publish' && m.topic === '/drone1/ouster/points')).msg as Record<string, any>;
    const b = (await dflt.next((m) => m.op === 'publish' && m.topic === '/drone1/ouster/points')).msg as Record<string, any>;
    const c = (await cbor.next((m) => m.op === 'publish' && m.topic === '/drone1/ouster/points')).msg as Record<string, any>;
    expect(a.width).toBeLessThanOrEqual(budgetLevel(1000));
    expect(a.width).toBeGreaterThan(budgetLevel(1000) / 2);
    expect(b.width).toBeLessThanOrEqual(DEFAULT_POINT_BUDGET);
    expect(b.width).toBeGreaterThan(DEFAULT_POINT_BUDGET / 2);
    expect(a).toMatchObject({ height: 1, point_step: 16, is_bigendian: false, is_dense: true, header: { frame_id: 'drone1/ouster' } });
    expect(a.fields.map((f: { name: string }) => f.name)).toEqual(['x', 'y', 'z', 'intensity']);
    const raw = Buffer.from(a.data as string, 'base64');
    expect(raw.byteLength).toBe(a.width * 16);
    expect(a.row_step).toBe(a.width * 16);
    // The same points whatever the encoding, and exactly what the decimation gives.
    expect(Buffer.from(c.data as Uint8Array).equals(raw)).toBe(true);
    expect(raw.equals(Buffer.from(decimatePoints(bytes, budgetLevel(1000)).data))).toBe(true);
    const f = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    for (let i = 0; i < a.width; i++) expect(f[i * 4]! !== 0 || f[i * 4 + 1]! !== 0 || f[i * 4 + 2]! !== 0).toBe(true);
  });

  it('decimation: aligned and unaligned buffers give the same points; a full scan within budget passes through', () => {
    const bytes = scanBytes(64, 1024, 7);
    const shifted = new Uint8Array(bytes.byteLength + 1).subarray(1);
    shifted.set(bytes);
    for (const budget of [1, 100, 4096, 65_536]) {
      const a = decimatePoints(bytes, budget);
      const b = decimatePoints(shifted, budget);
      expect(a.count).toBeLessThanOrEqual(budget);
      expect(Buffer.from(b.data).equals(Buffer.from(a.data))).toBe(true);
    }
    const full = scanBytes(64, 1024);
    const all = decimatePoints(full, 65_536);
    expect(all.count).toBe(65_536);
    expect(all.data.buffer).toBe(full.buffer);
    expect(decimatePoints(full, 0).count).toBe(0);
  });

  it('respects each client throttle_rate and queue_length', async () => {
    const fast = await connect();
    const slow = await connect();
    await subscribe(fast, '/drone1/ouster/points', { point_budget: 256 });
    await subscribe(slow, '/drone1/ouster/points', { point_budget: 256, throttle_rate: 400, queue_length: 1 });
    const f0 = fast.ofTopic('/drone1/ouster/points').length;
    const s0 = slow.ofTopic('/drone1/ouster/points').length;
    const bytes = scanBytes(64, 1024);
    for (let i = 0; i < 10; i++) {
      await rig.scan(bytes);
      await sleep(60);
    }
    await sleep(500);
    const fastN = fast.ofTopic('/drone1/ouster/points').length - f0;
    const slowN = slow.ofTopic('/drone1/ouster/points').length - s0;
    expect(fastN).toBeGreaterThanOrEqual(8);
    expect(slowN).toBeGreaterThanOrEqual(1);
    expect(slowN).toBeLessThanOrEqual(4);
    expect(bridge.clients().find((ci) => ci.topics.some((t) => t.topic === '/drone1/ouster/points' && t.dropped > 0))).toBeDefined();
  });

  it('a bad point_budget is a status error and subscribes nothing', async () => {
    const c = await connect();
    const st = await c.expectStatus({ op: 'subscribe', id: 'bad-budget', topic: '/drone1/ouster/points', point_budget: -5 });
    expect(st.level).toBe('error');
    expect(String(st.msg)).toMatch(/^BRIDGE\.INVALID_FIELDS/);
    expect(bridge.clients().find((ci) => ci.topics.length === 0)).toBeDefined();
  });
});

describe('camera services', () => {
  it('capture: an operator takes an image (stored, on the image topic); a viewer is refused', async () => {
    const op = await connect('operator');
    await subscribe(op, '/drone1/cam/image_raw/compressed');
    const from = op.received.length;
    const r = await call(op, '/drone1/cam/capture', {});
    expect(r.result).toBe(true);
    const v = r.values as Record<string, unknown>;
    expect(v).toMatchObject({ success: true });
    expect(typeof v.index).toBe('number');
    expect(String(v.blob_key)).toMatch(/^captures\//);
    expect(rig.store.blobs.meta(String(v.blob_key)).ok).toBe(true);
    await op.next((m) => m.op === 'publish' && m.topic === '/drone1/cam/image_raw/compressed', 5000, from);

    const viewer = await connect('viewer');
    const denied = await call(viewer, '/drone1/cam/capture', {});
    expect(denied.result).toBe(false);
    expect(String(denied.values)).toMatch(/^BRIDGE\.FORBIDDEN/);
  });

  it('configure: settings reach the camera; refused settings say why; bad args change nothing', async () => {
    const op = await connect('operator');
    const before = rig.configured.length;
    const good = await call(op, '/drone1/cam/configure', { settings: { iso: 200, shutter_s: 0.001 } });
    expect(good).toMatchObject({ result: true, values: { success: true } });
    expect(rig.configured.at(-1)).toEqual({ iso: 200, shutter_s: 0.001 });
    const text = await call(op, '/drone1/cam/configure', { settings: '{"iso": 400}' });
    expect(text.values).toMatchObject({ success: true });
    const refused = await call(op, '/drone1/cam/configure', { settings: { iso: 12800 } });
    expect(refused).toMatchObject({ result: true, values: { success: false, message: expect.stringMatching(/^SENSOR\.INVALID/) } });
    for (const args of [{}, { settings: 5 }, { settings: { iso: { nested: 1 } } }, { settings: '{not json' }, { settings: '[1,2]' }]) {
      const bad = await call(op, '/drone1/cam/configure', args);
      expect(bad.result).toBe(false);
      expect(String(bad.values)).toMatch(/^BRIDGE\.SERVICE_ARGS/);
    }
    expect(rig.configured.length).toBe(before + 2);
  });
});
