/**
 * SLAM topics over a real WebSocket, from a twin whose vehicle carries SLAM (scripted estimate,
 * real SLAM runtime and bus): listed in /rosapi/topics with their types; pose in `map` (ENU),
 * odometry in `<vehicle>/odom`, `/tf` map → odom → base_link composing exactly to the pose; the
 * map as PointCloud2 decimated per client budget (JSON base64 and CBOR), throttled, latched; a
 * roslibjs client subscribing unchanged; bad subscriptions refused with the bridge's usual codes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ros, Topic } from 'roslib';
import { makeToken, RawClient, startBridge, type LiveTwin } from './bridge-harness.js';
import { liveSlamTwin } from './slam-harness.js';
import type { BridgeServer } from '../../bridge/index.js';
import { budgetLevel, DEFAULT_POINT_BUDGET } from '../../bridge/index.js';

type V3 = { x: number; y: number; z: number };
type Q = V3 & { w: number };
type Stamp = { sec: number; nanosec: number };
type Tf = { header: { stamp: Stamp; frame_id: string }; child_frame_id: string; transform: { translation: V3; rotation: Q } };

let live: LiveTwin;
let bridge: BridgeServer;
let url: string;
const clients: RawClient[] = [];
const connect = async (role = 'viewer') => {
  const c = await RawClient.connect(`${url}/?token=${await makeToken(`${role}-slam`, role)}`);
  clients.push(c);
  c.send({ op: 'set_level', level: 'info' });
  return c;
};
const subscribe = async (c: RawClient, topic: string, extra: Record<string, unknown> = {}) => {
  const st = await c.expectStatus({ op: 'subscribe', id: `sub:${topic}:${Math.random()}`, topic, ...extra });
  expect(st.msg).toBe(`subscribed to ${topic}`);
};
const publishOn = (c: RawClient, topic: string, from = 0, timeout_ms = 10_000) => c.next((m) => m.op === 'publish' && m.topic === topic, timeout_ms, from);

const qmul = (a: Q, b: Q): Q => ({
  w: a.w * b.w - a.x * b.x - a.y * b.y - a.z * b.z,
  x: a.w * b.x + a.x * b.w + a.y * b.z - a.z * b.y,
  y: a.w * b.y - a.x * b.z + a.y * b.w + a.z * b.x,
  z: a.w * b.z + a.x * b.y - a.y * b.x + a.z * b.w,
});
const rotate = (q: Q, v: V3): V3 => {
  const r = qmul(qmul(q, { w: 0, ...v }), { w: q.w, x: -q.x, y: -q.y, z: -q.z });
  return { x: r.x, y: r.y, z: r.z };
};

beforeAll(async () => {
  live = await liveSlamTwin(['drone1', 'drone2'], 10);
  ({ bridge, url } = await startBridge(live.twin, { highWaterMarkBytes: 64 * 1024 * 1024 }));
});
afterAll(async () => {
  for (const c of clients) c.close();
  await bridge.stop();
  await live.halt();
});

describe('SLAM topics on the bridge', () => {
  it('are listed with their ROS types, per vehicle, with one /tf', async () => {
    const c = await connect();
    const id = 'topics';
    c.send({ op: 'call_service', id, service: '/rosapi/topics', args: {} });
    const r = await c.next((m) => m.op === 'service_response' && m.id === id);
    const t = r.values as { topics: string[]; types: string[] };
    const typeOf = (n: string) => t.types[t.topics.indexOf(n)];
    for (const v of ['drone1', 'drone2']) {
      expect(typeOf(`/${v}/slam/pose`)).toBe('geometry_msgs/PoseStamped');
      expect(typeOf(`/${v}/slam/odometry`)).toBe('nav_msgs/Odometry');
      expect(typeOf(`/${v}/slam/map`)).toBe('sensor_msgs/PointCloud2');
    }
    expect(t.topics.filter((n) => n === '/tf')).toHaveLength(1);
    expect(typeOf('/tf')).toBe('tf2_msgs/TFMessage');
  });

  it('pose in map (ENU), odometry in <vehicle>/odom, and /tf map → odom → base_link composing to the pose', async () => {
    const c = await connect();
    await subscribe(c, '/drone1/slam/pose');
    await subscribe(c, '/drone1/slam/odometry');
    await subscribe(c, '/tf');
    await publishOn(c, '/drone1/slam/pose');
    // A few tf messages: both vehicles feed /tf.
    await c.next(() => c.ofTopic('/tf').length >= 6 && c.ofTopic('/drone1/slam/pose').length >= 3, 10_000);
    const tfs = c.ofTopic('/tf').map((m) => (m.msg as { transforms: Tf[] }).transforms);
    const children = new Set(tfs.flatMap((ts) => ts.map((t) => `${t.header.frame_id}>${t.child_frame_id}`)));
    expect(children).toEqual(new Set(['map>drone1/odom', 'drone1/odom>drone1/base_link', 'map>drone2/odom', 'drone2/odom>drone2/base_link']));

    const odo = (await publishOn(c, '/drone1/slam/odometry')).msg as Record<string, any>;
    expect(odo.header.frame_id).toBe('drone1/odom');
    expect(odo.child_frame_id).toBe('drone1/base_link');
    expect(odo.twist.twist.linear).toEqual({ x: 2, y: 0, z: 0 });
    expect(odo.pose.covariance).toHaveLength(36);

    // Compose the transforms of one stamp and compare with the pose of that stamp.
    let compared = 0;
    for (const pm of c.ofTopic('/drone1/slam/pose')) {
      const pose = pm.msg as { header: { stamp: Stamp; frame_id: string }; pose: { position: V3; orientation: Q } };
      expect(pose.header.frame_id).toBe('map');
      const ts = tfs.find((x) => x[0]!.child_frame_id === 'drone1/odom' && x[0]!.header.stamp.sec === pose.header.stamp.sec && x[0]!.header.stamp.nanosec === pose.header.stamp.nanosec);
      if (!ts) continue;
      const [a, b] = [ts[0]!.transform, ts[1]!.transform];
      const r = rotate(a.rotation, b.translation);
      const p = { x: a.translation.x + r.x, y: a.translation.y + r.y, z: a.translation.z + r.z };
      expect(p.x).toBeCloseTo(pose.pose.position.x, 6);
      expect(p.y).toBeCloseTo(pose.pose.position.y, 6);
      expect(p.z).toBeCloseTo(pose.pose.position.z, 6);
      const q = qmul(a.rotation, b.rotation);
      const dot = Math.abs(q.w * pose.pose.orientation.w + q.x * pose.pose.orientation.x + q.y * pose.pose.orientation.y + q.z * pose.pose.orientation.z);
      expect(dot).toBeCloseTo(1, 9);
      // Level map → odom (yaw only), and the estimate's roll survives into the map frame.
      expect(Math.hypot(a.rotation.x, a.rotation.y)).toBeLessThan(1e-12);
      expect(Math.hypot(pose.pose.orientation.x, pose.pose.orientation.y)).toBeGreaterThan(0.01);
      compared++;
    }
    expect(compared).toBeGreaterThan(0);
    // The odom frame is anchored where the vehicle was at its first pose (spawned 5 m north, 3 m west: ENU (-3, 5)).
    const anchor = tfs.find((x) => x[0]!.child_frame_id === 'drone1/odom')![0]!.transform.translation;
    expect(anchor.x).toBeCloseTo(-3, 0);
    expect(anchor.y).toBeCloseTo(5, 0);
  });

  it('map: PointCloud2 in <vehicle>/odom decimated per client budget (JSON base64, CBOR bytes), about 1 Hz, latched', async () => {
    const small = await connect();
    const dflt = await connect();
    const cbor = await connect();
    await subscribe(small, '/drone1/slam/map', { point_budget: 1000 });
    await subscribe(dflt, '/drone1/slam/map');
    await subscribe(cbor, '/drone1/slam/map', { point_budget: 100_000, compression: 'cbor' });
    // Latched: each gets the latest map at once; then the next ones (one per second of sim time).
    await small.next(() => small.ofTopic('/drone1/slam/map').length >= 3, 15_000);
    const a = small.ofTopic('/drone1/slam/map').at(-1)!.msg as Record<string, any>;
    const b = (await publishOn(dflt, '/drone1/slam/map')).msg as Record<string, any>;
    const c = (await publishOn(cbor, '/drone1/slam/map')).msg as Record<string, any>;
    expect(a).toMatchObject({ height: 1, point_step: 12, is_bigendian: false, header: { frame_id: 'drone1/odom' } });
    expect(a.fields.map((f: { name: string }) => f.name)).toEqual(['x', 'y', 'z']);
    expect(a.width).toBeLessThanOrEqual(budgetLevel(1000));
    expect(a.width).toBeGreaterThan(budgetLevel(1000) / 2);
    expect(b.width).toBeLessThanOrEqual(DEFAULT_POINT_BUDGET);
    expect(b.width).toBeGreaterThan(DEFAULT_POINT_BUDGET / 2);
    expect(c.width).toBe(40_000);
    expect(c.data).toBeInstanceOf(Uint8Array);
    expect(c.data.byteLength).toBe(40_000 * 12);
    const bytes = Buffer.from(a.data as string, 'base64');
    expect(bytes.byteLength).toBe(a.width * 12);
    // The decimated points are map points (the scripted map: (i % 997) * 0.01 + n per coordinate).
    const f = new Float32Array(bytes.buffer, bytes.byteOffset, a.width * 3);
    const n = Math.round(f[0]!);
    expect(f[0]).toBeCloseTo(n, 5);
    // Throttle: consecutive maps about one second of sim time apart.
    const stamps = small.ofTopic('/drone1/slam/map').map((m) => (m.msg as { header: { stamp: Stamp } }).header.stamp).map((s) => s.sec + s.nanosec / 1e9);
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]! - stamps[i - 1]!).toBeGreaterThanOrEqual(0.89);
  });

  it('roslibjs subscribes unchanged (pose, tf)', async () => {
    const ros = new Ros({});
    const opened = new Promise<void>((resolve, reject) => {
      ros.on('connection', () => resolve());
      ros.on('error', (e: unknown) => reject(e instanceof Error ? e : new Error(String(e))));
    });
    await ros.connect(`${url}/?token=${await makeToken('roslib-slam', 'viewer')}`);
    await opened;
    try {
      const pose = await new Promise<{ header: { frame_id: string }; pose: { position: V3 } }>((resolve) => {
        const t = new Topic<{ header: { frame_id: string }; pose: { position: V3 } }>({ ros, name: '/drone2/slam/pose', messageType: 'geometry_msgs/PoseStamped' });
        t.subscribe((m) => (t.unsubscribe(), resolve(m)));
      });
      expect(pose.header.frame_id).toBe('map');
      expect(Number.isFinite(pose.pose.position.x)).toBe(true);
      const tf = await new Promise<{ transforms: Tf[] }>((resolve) => {
        const t = new Topic<{ transforms: Tf[] }>({ ros, name: '/tf', messageType: 'tf2_msgs/TFMessage', throttle_rate: 50 });
        t.subscribe((m) => (t.unsubscribe(), resolve(m)));
      });
      expect(tf.transforms).toHaveLength(2);
    } finally {
      ros.close();
    }
  });

  it('bad subscriptions are refused with the usual codes; the connection keeps streaming', async () => {
    const c = await connect();
    const unknown = await c.expectStatus({ op: 'subscribe', id: 'u1', topic: '/drone3/slam/pose' });
    expect(unknown).toMatchObject({ level: 'error', id: 'u1' });
    expect(String(unknown.msg)).toMatch(/^BRIDGE\.UNKNOWN_TOPIC/);
    const mismatch = await c.expectStatus({ op: 'subscribe', id: 'u2', topic: '/tf', type: 'geometry_msgs/PoseStamped' });
    expect(String(mismatch.msg)).toMatch(/^BRIDGE\.TYPE_MISMATCH.*tf2_msgs\/TFMessage/);
    const badBudget = await c.expectStatus({ op: 'subscribe', id: 'u3', topic: '/drone1/slam/map', point_budget: 0 });
    expect(String(badBudget.msg)).toMatch(/^BRIDGE\.INVALID_FIELDS/);
    const pub = await c.expectStatus({ op: 'publish', id: 'u4', topic: '/tf', msg: { transforms: [] } });
    expect(String(pub.msg)).toMatch(/^BRIDGE\.PUBLISH_DENIED/);
    await subscribe(c, '/drone1/slam/odometry');
    await publishOn(c, '/drone1/slam/odometry', c.received.length);
    expect(live.twin.slam().map((s) => s.state)).toEqual(['tracking', 'tracking']);
  });
});
