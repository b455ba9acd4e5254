/**
 * The real roslibjs client (roslib 2, which uses `ws` in Node) against the bridge over a live
 * twin: the frontend path, unchanged.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Ros, Service, Topic } from 'roslib';
import { liveTwin, makeToken, startBridge, testMission, type LiveTwin } from './bridge-harness.js';
import type { BridgeServer } from '../../bridge/index.js';
import { quaternionToHeading } from '../../bridge/ros-messages.js';

let live: LiveTwin | undefined;
let bridge: BridgeServer | undefined;
const rosClients: Ros[] = [];

afterEach(async () => {
  for (const r of rosClients.splice(0)) r.close();
  await bridge?.stop();
  await live?.halt();
  bridge = undefined;
  live = undefined;
});

async function connect(url: string, token: string): Promise<Ros> {
  const ros = new Ros({});
  rosClients.push(ros);
  const opened = new Promise<void>((resolve, reject) => {
    ros.on('connection', () => resolve());
    ros.on('error', (e: unknown) => reject(e instanceof Error ? e : new Error(String(e))));
  });
  await ros.connect(`${url}/?token=${token}`);
  await opened;
  return ros;
}

function call<T = Record<string, unknown>>(ros: Ros, name: string, args: Record<string, unknown>): Promise<{ ok: true; values: T } | { ok: false; error: unknown }> {
  const service = new Service({ ros, name, serviceType: '' });
  return new Promise((resolve) => {
    service.callService(
      args,
      (values: unknown) => resolve({ ok: true, values: values as T }),
      (error: unknown) => resolve({ ok: false, error }),
    );
  });
}

const until = async (cond: () => boolean, timeout_ms = 15_000) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeout_ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('roslibjs against the bridge', () => {
  it('subscribes to pose and mission status, loads and starts a mission, and sees it run', async () => {
    live = await liveTwin(['drone1'], 25);
    const started = await startBridge(live.twin);
    bridge = started.bridge;
    const ros = await connect(started.url, await makeToken('alice', 'operator'));

    const poses: { header: { stamp: { sec: number; nanosec: number }; frame_id: string }; pose: { position: { x: number; y: number; z: number }; orientation: { x: number; y: number; z: number; w: number } } }[] = [];
    new Topic({ ros, name: '/drone1/pose', messageType: 'geometry_msgs/PoseStamped' }).subscribe((m: unknown) => poses.push(m as (typeof poses)[number]));
    const statuses: { status: string; mission_id: string | null; progress: { current_waypoint: number; total_waypoints: number; percent_complete: number } }[] = [];
    new Topic({ ros, name: '/mission/status', messageType: 'std_msgs/String' }).subscribe((m: unknown) =>
      statuses.push(JSON.parse((m as { data: string }).data)),
    );

    await until(() => poses.length > 3 && statuses.length > 0);
    // Latched: the current (IDLE) status arrives on subscribe.
    expect(statuses[0]).toMatchObject({ status: 'IDLE', mission_id: null });
    expect(poses[0]!.header.frame_id).toBe('map');
    expect(poses[1]!.header.stamp.sec * 1e9 + poses[1]!.header.stamp.nanosec).toBeGreaterThan(poses[0]!.header.stamp.sec * 1e9 + poses[0]!.header.stamp.nanosec);

    const topics = await call<{ topics: string[]; types: string[] }>(ros, 'rosapi/topics', {});
    expect(topics.ok && topics.values.topics).toEqual(expect.arrayContaining(['/drone1/pose', '/drone1/battery', '/mission/status']));

    const mission = testMission(live.frame);
    const load = await call(ros, '/mission/load', { mission_json: JSON.stringify(mission) });
    expect(load).toMatchObject({ ok: true, values: { success: true } });
    const start = await call(ros, '/mission/start', {});
    expect(start).toMatchObject({ ok: true, values: { success: true } });

    await until(() => statuses.some((s) => s.status === 'RUNNING'));
    await until(() => statuses.some((s) => s.status === 'RUNNING' && s.progress.percent_complete > 0));
    const running = statuses.filter((s) => s.status === 'RUNNING');
    expect(running[0]).toMatchObject({ mission_id: 'm-1', progress: { total_waypoints: 4 } });
    // The drone climbs: ENU z is up.
    await until(() => (poses.at(-1)?.pose.position.z ?? 0) > 10);
    // Flying north to the first waypoint: heading ≈ 0 (north) → ENU yaw ≈ +90°.
    const last = poses.at(-1)!;
    expect(Number.isFinite(quaternionToHeading(last.pose.orientation))).toBe(true);

    // Correlation: the op id of the start call is in the event log.
    expect(live.twin.log.entries.some((e) => e.type === 'request' && e.data?.type === 'START' && e.cid?.startsWith('call_service:/mission/start'))).toBe(true);
  }, 40_000);

  it('a viewer may read but a command service is refused', async () => {
    live = await liveTwin(['drone1'], 10);
    const started = await startBridge(live.twin);
    bridge = started.bridge;
    const ros = await connect(started.url, await makeToken('victor', 'viewer'));
    const batteries: { percentage: number; voltage: number; current: number }[] = [];
    new Topic({ ros, name: '/drone1/battery', messageType: 'sensor_msgs/BatteryState' }).subscribe((m: unknown) => batteries.push(m as (typeof batteries)[number]));
    await until(() => batteries.length > 0);
    expect(batteries[0]!.percentage).toBeGreaterThan(0.5);
    expect(batteries[0]!.percentage).toBeLessThanOrEqual(1);

    const arm = await call(ros, '/drone1/arm', { value: true });
    expect(arm.ok).toBe(false);
    expect(String((arm as { error: unknown }).error)).toContain('BRIDGE.FORBIDDEN');
    const load = await call(ros, '/mission/load', { mission_json: testMission(live.frame) });
    expect(load.ok).toBe(false);
    await new Promise((r) => setTimeout(r, 200));
    expect(live.twin.vehicleContext('drone1').armed).toBe(false);
    expect(live.twin.missionStatus('drone1')).toBe('IDLE');
    expect(live.twin.log.entries.some((e) => e.type === 'command' || e.type === 'request')).toBe(false);
  }, 30_000);

  it('getTopics / getServices work, a CBOR subscription decodes, and ros.authenticate(jwt) logs in', async () => {
    live = await liveTwin(['drone1', 'drone2'], 10);
    const started = await startBridge(live.twin);
    bridge = started.bridge;
    const ros = new Ros({});
    rosClients.push(ros);
    const opened = new Promise<void>((resolve) => ros.on('connection', () => resolve()));
    await ros.connect(started.url);
    await opened;
    // rosauth's auth op, with our JWT in its `mac` field.
    ros.authenticate(await makeToken('carol', 'viewer'), '127.0.0.1', started.url, '', 0, 'user', 0);
    const topics = await new Promise<{ topics: string[]; types: string[] }>((resolve, reject) => ros.getTopics(resolve, reject));
    expect(topics.topics).toContain('/drone2/global_position');
    expect(topics.types[topics.topics.indexOf('/drone2/global_position')]).toBe('sensor_msgs/NavSatFix');
    const services = await new Promise<string[]>((resolve, reject) => ros.getServices(resolve, reject));
    expect(services).toEqual(expect.arrayContaining(['/mission/load', '/mission/start', '/drone1/arm', '/drone2/rtl']));
    const fixes: { latitude: number; status: { status: number } }[] = [];
    new Topic({ ros, name: '/drone2/global_position', messageType: 'sensor_msgs/msg/NavSatFix', compression: 'cbor' }).subscribe((m: unknown) =>
      fixes.push(m as (typeof fixes)[number]),
    );
    await until(() => fixes.length > 2);
    expect(fixes[0]!.latitude).toBeCloseTo(47.3977, 3);
    expect(bridge.clients()[0]!.topics[0]).toMatchObject({ topic: '/drone2/global_position' });
  }, 30_000);
});
