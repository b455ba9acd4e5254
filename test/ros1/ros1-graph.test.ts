/**
 * The node on a real ROS 1 graph: a `roscore` started here, the ROS command-line tools and a
 * rospy node (Debian's python) as the other participants.
 */
import { fileURLToPath } from 'node:url';
import { XmlRpcClient } from '@foxglove/xmlrpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRos1Node, type MessageMeta, type Ros1Message, type Ros1Node, type Ros1NodeEvents } from '../../hardware/real/ros/ros1/index.js';
import { rosToolsAvailable, startRoscore, SYSTEM_PYTHON, waitFor, type Roscore } from './ros1-harness.js';

const tools = rosToolsAvailable();
const LISTENER = fileURLToPath(new URL('./rospy/listener.py', import.meta.url));
const TALKER = fileURLToPath(new URL('./rospy/talker.py', import.meta.url));
const TRIGGER = fileURLToPath(new URL('./rospy/trigger_service.py', import.meta.url));

/** Master's view: [publishers, subscribers, services], each [[name, [nodes]]]. */
async function systemState(uri: string): Promise<Array<Array<[string, string[]]>>> {
  const r = (await new XmlRpcClient(uri).methodCall('getSystemState', ['/probe'])) as [number, string, Array<Array<[string, string[]]>>];
  return r[2];
}

function providers(state: Array<[string, string[]]>, name: string): string[] {
  return state.find(([n]) => n === name)?.[1] ?? [];
}

/** The next `event` of the node, with its payload. */
function nextEvent<E extends keyof Ros1NodeEvents>(node: Ros1Node, event: E): Promise<Ros1NodeEvents[E]> {
  return new Promise((resolve) => {
    const fn = (...args: Ros1NodeEvents[E]) => {
      node.off(event, fn);
      resolve(args);
    };
    node.on(event, fn);
  });
}

function timeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, rej) => setTimeout(() => rej(new Error(`timeout: ${what}`)), ms))]);
}
const why = tools.ok ? '' : ` (skipped: ${tools.reason})`;

function pose(seq: number) {
  return {
    header: { seq, stamp: { sec: 1700000000, nsec: 500 }, frame_id: 'map' },
    pose: { position: { x: 1.25, y: -2.5, z: 30 }, orientation: { x: 0, y: 0, z: 0.7071, w: 0.7071 } },
  };
}

describe.skipIf(!tools.ok)(`ROS 1 node against a real roscore${why}`, () => {
  let core: Roscore;
  let node: Ros1Node;

  beforeAll(async () => {
    core = await startRoscore();
    node = await createRos1Node({ name: 'twin_test', masterUri: core.uri, masterPollMs: 200 });
  }, 30_000);

  afterAll(async () => {
    await node?.shutdown();
    await core?.dispose();
  });

  it('rostopic echo -n 1 receives our PoseStamped', async () => {
    const pub = node.advertise('/uav1/pose', 'geometry_msgs/PoseStamped');
    expect(pub.ok).toBe(true);
    if (!pub.ok) return;
    const echo = core.spawn('rostopic', ['echo', '-n', '1', '/uav1/pose']);
    let seq = 0;
    const timer = setInterval(() => pub.value.publish(pose(seq++)), 50);
    try {
      const code = await Promise.race([echo.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20_000))]);
      expect(code, echo.output()).toBe(0);
    } finally {
      clearInterval(timer);
    }
    const out = echo.output();
    expect(out).toContain('frame_id: "map"');
    expect(out).toMatch(/x: 1\.25/);
    expect(out).toMatch(/y: -2\.5/);
    expect(out).toMatch(/w: 0\.7071/);
    await pub.value.close();
  }, 30_000);

  it('the twin\'s message types as rostopic (rospy) decodes them: NavSatFix, Odometry, BatteryState, Image, PointCloud2, TFMessage', async () => {
    const header = (frame_id: string) => ({ seq: 3, stamp: { sec: 1700000001, nsec: 250000000 }, frame_id });
    const cov = (n: number) => Array.from({ length: n }, (_, i) => i * 0.5);
    const samples: Array<[string, string, Ros1Message, RegExp[]]> = [
      ['/t/fix', 'sensor_msgs/NavSatFix', { header: header('gps'), status: { status: 0, service: 1 }, latitude: 47.3977419, longitude: 8.5455938, altitude: 488.25, position_covariance: cov(9), position_covariance_type: 2 },
        [/latitude: 47\.3977419/, /longitude: 8\.5455938/, /altitude: 488\.25/, /service: 1/, /position_covariance_type: 2/]],
      ['/t/odom', 'nav_msgs/Odometry', { header: header('odom'), child_frame_id: 'base_link', pose: { pose: pose(0).pose, covariance: cov(36) }, twist: { twist: { linear: { x: 1.5, y: 0, z: -0.25 }, angular: { x: 0, y: 0, z: 0.125 } }, covariance: cov(36) } },
        [/child_frame_id: "base_link"/, /x: 1\.5/, /z: -0\.25/, /z: 0\.125/]],
      ['/t/battery', 'sensor_msgs/BatteryState', { header: header('battery'), voltage: 15.5, temperature: 21, current: -3.25, charge: 2.5, capacity: 5, design_capacity: 5.2, percentage: 0.5, power_supply_status: 2, power_supply_health: 1, power_supply_technology: 3, present: true, cell_voltage: new Float32Array([3.875, 3.875, 3.875, 3.875]), cell_temperature: [], location: 'main', serial_number: 'SN1' },
        [/voltage: 15\.5/, /current: -3\.25/, /percentage: 0\.5/, /present: True/, /location: "main"/, /serial_number: "SN1"/]],
      ['/t/image', 'sensor_msgs/Image', { header: header('cam'), height: 2, width: 3, encoding: 'rgb8', is_bigendian: 0, step: 9, data: new Uint8Array(18).fill(200) },
        [/height: 2/, /width: 3/, /encoding: "rgb8"/, /step: 9/]],
      ['/t/cloud', 'sensor_msgs/PointCloud2', { header: header('os_sensor'), height: 1, width: 2, fields: [{ name: 'x', offset: 0, datatype: 7, count: 1 }], is_bigendian: false, point_step: 4, row_step: 8, data: new Uint8Array(new Float32Array([1, 2]).buffer), is_dense: true },
        [/frame_id: "os_sensor"/, /width: 2/, /point_step: 4/, /is_dense: True/]],
      ['/t/tf', 'tf2_msgs/TFMessage', { transforms: [{ header: header('map'), child_frame_id: 'uav1/base_link', transform: { translation: { x: 10, y: 20, z: 30.5 }, rotation: { x: 0, y: 0, z: 0, w: 1 } } }] },
        [/child_frame_id: "uav1\/base_link"/, /z: 30\.5/]],
    ];
    const pubs = samples.map(([topic, type, msg]) => {
      const p = node.advertise(topic, type, { latch: true });
      expect(p.ok, topic).toBe(true);
      if (!p.ok) throw new Error(p.error.message);
      const r = p.value.publish(msg);
      expect(r.ok, r.ok ? '' : r.error.message).toBe(true);
      return p.value;
    });
    await Promise.all(pubs.map((p) => p.registration));
    // --noarr keeps the covariances and pixel bytes out of the output; TFMessage is all array
    const outs = await Promise.all(samples.map(([topic]) => core.run('rostopic', ['echo', '-n', '1', ...(topic === '/t/tf' ? [] : ['--noarr']), topic], 25_000)));
    samples.forEach(([topic, , , patterns], i) => {
      expect(outs[i]!.code, `${topic}: ${outs[i]!.stderr}`).toBe(0);
      expect(outs[i]!.stdout).toContain('secs: 1700000001');
      expect(outs[i]!.stdout).toContain('nsecs: 250000000');
      for (const re of patterns) expect(outs[i]!.stdout, topic).toMatch(re);
    });
    await Promise.all(pubs.map((p) => p.close()));
  }, 40_000);

  it('roscpp both ways: the rosout node (C++) subscribes to our /rosout and republishes on /rosout_agg to us', async () => {
    const agg: Array<{ msg: string; name: string }> = [];
    const sub = node.subscribe('/rosout_agg', 'rosgraph_msgs/Log', (m) => agg.push(m as { msg: string; name: string }));
    const pub = node.advertise('/rosout', 'rosgraph_msgs/Log');
    expect(sub.ok && pub.ok).toBe(true);
    if (!sub.ok || !pub.ok) return;
    await Promise.all([sub.value.registration, pub.value.registration]);
    await waitFor(() => pub.value.subscriberCount > 0, 10_000, 'rosout (roscpp) to connect to our /rosout');
    const log = { header: { seq: 0, stamp: { sec: 1, nsec: 0 }, frame_id: '' }, level: 2, name: node.name, msg: 'hello from the twin', file: 'ros1.ts', function: 'test', line: 1, topics: ['/rosout'] };
    await waitFor(() => {
      pub.value.publish(log);
      return agg.some((m) => m.msg === 'hello from the twin');
    }, 10_000, 'our log line back on /rosout_agg');
    expect(agg.find((m) => m.msg === 'hello from the twin')!.name).toBe('/twin_test');
    await sub.value.close();
    await pub.value.close();
  }, 30_000);

  it('rostopic pub -1 reaches our subscriber', async () => {
    const got: Array<{ msg: Ros1Message; meta: MessageMeta }> = [];
    const sub = node.subscribe('/uav1/cmd_pose', 'geometry_msgs/PoseStamped', (msg, meta) => got.push({ msg, meta }));
    expect(sub.ok).toBe(true);
    const r = await core.run('rostopic', ['pub', '-1', '/uav1/cmd_pose', 'geometry_msgs/PoseStamped', '{header: {frame_id: "odom"}, pose: {position: {x: 3.5, y: 4}, orientation: {w: 1}}}']);
    expect(r.code, r.stderr).toBe(0);
    await waitFor(() => got.length > 0, 10_000, 'the rostopic message');
    const msg = got[0]!.msg as { header: { frame_id: string }; pose: { position: { x: number; y: number }; orientation: { w: number } } };
    expect(msg.header.frame_id).toBe('odom');
    expect(msg.pose.position).toMatchObject({ x: 3.5, y: 4 });
    expect(msg.pose.orientation.w).toBe(1);
    expect(got[0]!.meta.publisher).toMatch(/^\/rostopic_/);
    if (sub.ok) await sub.value.close();

    // an Odometry (fixed-size covariance arrays) the way a LIO would send it
    const odoms: Ros1Message[] = [];
    const so = node.subscribe('/lio/odometry', 'nav_msgs/Odometry', (m) => odoms.push(m));
    expect(so.ok).toBe(true);
    const o = await core.run('rostopic', ['pub', '-1', '/lio/odometry', 'nav_msgs/Odometry', '{header: {frame_id: "camera_init"}, child_frame_id: "body", pose: {pose: {position: {x: 7.25}, orientation: {w: 1}}, covariance: [' + Array.from({ length: 36 }, (_, i) => i).join(', ') + ']}}']);
    expect(o.code, o.stderr).toBe(0);
    await waitFor(() => odoms.length > 0, 10_000, 'the odometry');
    const odom = odoms[0] as { child_frame_id: string; pose: { pose: { position: { x: number } }; covariance: Float64Array } };
    expect(odom.child_frame_id).toBe('body');
    expect(odom.pose.pose.position.x).toBe(7.25);
    expect(Array.from(odom.pose.covariance)).toEqual(Array.from({ length: 36 }, (_, i) => i));
    if (so.ok) await so.value.close();
  }, 30_000);

  it('rosservice call reaches our std_srvs/Trigger service; a failing handler is a ROS service error', async () => {
    let calls = 0;
    const srv = node.advertiseService('~start_mission', 'std_srvs/Trigger', async () => {
      calls += 1;
      return { success: true, message: `started ${calls}` };
    });
    const bad = node.advertiseService('~abort_mission', 'std_srvs/Trigger', async () => {
      throw new Error('MISSION.NOT_RUNNING: nothing to abort');
    });
    expect(srv.ok && bad.ok).toBe(true);
    expect(srv.ok && srv.value.service).toBe('/twin_test/start_mission');
    const r = await core.run('rosservice', ['call', '/twin_test/start_mission']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('success: True');
    expect(r.stdout).toContain('message: "started 1"');
    const info = await core.run('rosservice', ['type', '/twin_test/start_mission']);
    expect(info.stdout.trim()).toBe('std_srvs/Trigger');
    const f = await core.run('rosservice', ['call', '/twin_test/abort_mission']);
    expect(f.code).not.toBe(0);
    expect(f.stdout + f.stderr).toContain('MISSION.NOT_RUNNING: nothing to abort');
    // and our own client against our own service
    const own = await node.callService('/twin_test/start_mission', 'std_srvs/Trigger', {});
    expect(own).toEqual({ ok: true, value: { success: true, message: 'started 2' } });
  }, 30_000);

  it('custom service types with large payloads (2 MiB request, 1 MiB response) between two of our nodes', async () => {
    const def = 'uint8[] data\nstring label\n---\nuint32 size\nuint8[] echo_head\nuint8[] big\n';
    expect(node.registerDefinition('twin_test_srvs/Blob', def).ok).toBe(true);
    const other = await createRos1Node({ name: 'blob_client', masterUri: core.uri, definitions: { 'twin_test_srvs/Blob': def } });
    try {
      expect(other.md5sum('twin_test_srvs/Blob')).toBe(node.md5sum('twin_test_srvs/Blob'));
      const srv = node.advertiseService('/blob/echo', 'twin_test_srvs/Blob', async (req) => {
        const data = req.data as Uint8Array;
        return { size: data.length, echo_head: data.subarray(0, 4), big: new Uint8Array(1 << 20).fill(9) };
      });
      expect(srv.ok).toBe(true);
      if (!srv.ok) return;
      expect(await srv.value.registration).toEqual({ ok: true, value: undefined });
      const data = new Uint8Array(2 << 20).map((_, i) => i & 0xff);
      const r = await other.callService<{ size: number; echo_head: Uint8Array; big: Uint8Array }>('/blob/echo', 'twin_test_srvs/Blob', { data, label: 'x' }, { timeoutMs: 10_000 });
      expect(r.ok, r.ok ? '' : r.error.message).toBe(true);
      if (!r.ok) return;
      expect(r.value.size).toBe(2 << 20);
      expect([...r.value.echo_head]).toEqual([0, 1, 2, 3]);
      expect(r.value.big.length).toBe(1 << 20);
      await srv.value.close();
    } finally {
      await other.shutdown();
    }
  }, 30_000);

  it('callService reaches a rospy service; its exception and a missing service are result codes', async () => {
    const okSrv = core.spawn(SYSTEM_PYTHON, [TRIGGER, '/rospy/trigger']);
    const failSrv = core.spawn(SYSTEM_PYTHON, [TRIGGER, '/rospy/trigger_fail', 'fail']);
    await waitFor(() => okSrv.output().includes('READY') && failSrv.output().includes('READY'), 15_000, 'rospy services');
    const r = await node.callService<{ success: boolean; message: string }>('/rospy/trigger', 'std_srvs/Trigger', {}, { timeoutMs: 5000 });
    expect(r).toEqual({ ok: true, value: { success: true, message: 'rospy call 1' } });
    const f = await node.callService('/rospy/trigger_fail', 'std_srvs/Trigger', {}, { timeoutMs: 5000 });
    expect(f.ok ? '' : f.error.code).toBe('ROS1.SERVICE_FAILED');
    expect(f.ok ? '' : f.error.message).toContain('rospy refuses on purpose');
    const wrongType = await node.callService('/rospy/trigger', 'std_srvs/SetBool', { data: true }, { timeoutMs: 5000 });
    expect(wrongType.ok ? '' : wrongType.error.code).toBe('ROS1.HANDSHAKE_FAILED');
    const missing = await node.callService('/nobody/here', 'std_srvs/Trigger', {}, { timeoutMs: 2000 });
    expect(missing.ok ? '' : missing.error.code).toBe('ROS1.SERVICE_NOT_FOUND');
    okSrv.child.kill('SIGINT');
    failSrv.child.kill('SIGINT');
  }, 30_000);

  it('a rospy node subscribes and receives; a latched topic reaches several late subscribers', async () => {
    const live = node.advertise('/uav1/pose_live', 'geometry_msgs/PoseStamped');
    const latched = node.advertise('/uav1/pose_latched', 'geometry_msgs/PoseStamped', { latch: true });
    expect(live.ok && latched.ok).toBe(true);
    if (!live.ok || !latched.ok) return;
    expect(latched.value.publish(pose(42)).ok).toBe(true);

    const l1 = core.spawn(SYSTEM_PYTHON, [LISTENER, '/uav1/pose_live', '3']);
    const l2 = core.spawn(SYSTEM_PYTHON, [LISTENER, '/uav1/pose_latched', '1']);
    const l3 = core.spawn(SYSTEM_PYTHON, [LISTENER, '/uav1/pose_latched', '1']);
    const echo = core.spawn('rostopic', ['echo', '-n', '1', '/uav1/pose_latched']);
    let seq = 100;
    const timer = setInterval(() => live.value.publish(pose(seq++)), 50);
    try {
      const codes = await timeout(Promise.all([l1.exited, l2.exited, l3.exited, echo.exited]), 25_000, 'rospy listeners');
      expect(codes, `${l1.output()}\n${l2.output()}\n${l3.output()}\n${echo.output()}`).toEqual([0, 0, 0, 0]);
    } finally {
      clearInterval(timer);
    }
    const lines = (out: string) => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const liveMsgs = lines(l1.output());
    expect(liveMsgs).toHaveLength(3);
    expect(liveMsgs[0]).toMatchObject({ frame_id: 'map', x: 1.25, w: 0.7071, publisher: '/twin_test', latching: '0' });
    expect((liveMsgs[2]!.seq as number) > (liveMsgs[0]!.seq as number)).toBe(true);
    for (const l of [l2, l3]) {
      expect(lines(l.output())[0]).toMatchObject({ seq: 42, stamp: [1700000000, 500], latching: '1' });
    }
    expect(echo.output()).toContain('seq: 42');
    await live.value.close();
    await latched.value.close();
  }, 40_000);

  it('multiple subscribers on one topic each get every message; the slave API answers the master and the tools', async () => {
    const pub = node.advertise('/uav1/battery_pose', 'geometry_msgs/PoseStamped');
    expect(pub.ok).toBe(true);
    if (!pub.ok) return;
    const a: number[] = [];
    const b: number[] = [];
    const second = await createRos1Node({ name: 'twin_second', masterUri: core.uri, masterPollMs: 200 });
    try {
      const sa = node.subscribe('/uav1/battery_pose', 'geometry_msgs/PoseStamped', (m) => a.push((m as { header: { seq: number } }).header.seq));
      const sb = second.subscribe('/uav1/battery_pose', 'geometry_msgs/PoseStamped', (m) => b.push((m as { header: { seq: number } }).header.seq));
      expect(sa.ok && sb.ok).toBe(true);
      await waitFor(() => pub.value.subscriberCount === 2, 10_000, 'two subscriber connections');
      for (let i = 0; i < 20; i++) pub.value.publish(pose(i));
      await waitFor(() => a.length === 20 && b.length === 20, 10_000, 'all messages on both');
      expect(a).toEqual([...Array(20).keys()]);
      expect(b).toEqual(a);

      const slave = new XmlRpcClient(node.uri);
      const pid = (await slave.methodCall('getPid', ['/probe'])) as [number, string, number];
      expect(pid[0]).toBe(1);
      expect(pid[2]).toBe(process.pid);
      const pubs = (await slave.methodCall('getPublications', ['/probe'])) as [number, string, string[][]];
      expect(pubs[2]).toContainEqual(['/uav1/battery_pose', 'geometry_msgs/PoseStamped']);
      const stats = (await slave.methodCall('getBusStats', ['/probe'])) as [number, string, unknown[]];
      expect(stats[0]).toBe(1);
      expect(stats[2]).toHaveLength(3);
      const master = (await slave.methodCall('getMasterUri', ['/probe'])) as [number, string, string];
      expect(master[2]).toBe(core.uri);
      const notOurs = (await slave.methodCall('requestTopic', ['/probe', '/not/ours', [['TCPROS']]])) as [number, string, unknown];
      expect(notOurs[0]).toBe(-1);
      const udp = (await slave.methodCall('requestTopic', ['/probe', '/uav1/battery_pose', [['UDPROS']]])) as [number, string, unknown];
      expect(udp[0]).toBe(0);
      const info = await core.run('rosnode', ['info', '/twin_test']);
      expect(info.code, info.stderr).toBe(0);
      expect(info.stdout).toContain('/uav1/battery_pose [geometry_msgs/PoseStamped]');
      expect(info.stdout).toContain('Pid: ' + String(process.pid));
      const hz = await core.run('rostopic', ['info', '/uav1/battery_pose']);
      expect(hz.stdout).toContain('/twin_second');
    } finally {
      await second.shutdown();
      await pub.value.close();
    }
  }, 40_000);

  it('shutdown unregisters everything; rosnode kill shuts a node down', async () => {
    const n = await createRos1Node({ name: 'short_lived', masterUri: core.uri, masterPollMs: 200 });
    const p = n.advertise('/short/pub', 'std_msgs/String');
    const s = n.subscribe('/short/sub', 'std_msgs/String', () => undefined);
    const v = n.advertiseService('/short/srv', 'std_srvs/Empty', async () => ({}));
    expect(p.ok && s.ok && v.ok).toBe(true);
    await waitFor(async () => {
      const [pubs, subs, srvs] = await systemState(core.uri);
      return providers(pubs!, '/short/pub').includes('/short_lived') && providers(subs!, '/short/sub').includes('/short_lived') && providers(srvs!, '/short/srv').includes('/short_lived');
    }, 10_000, 'registrations');
    await n.shutdown();
    const [pubs, subs, srvs] = await systemState(core.uri);
    expect(providers(pubs!, '/short/pub')).toEqual([]);
    expect(providers(subs!, '/short/sub')).toEqual([]);
    expect(providers(srvs!, '/short/srv')).toEqual([]);
    expect(n.advertise('/x', 'std_msgs/String').ok).toBe(false);

    const k = await createRos1Node({ name: 'to_kill', masterUri: core.uri, masterPollMs: 200 });
    k.advertise('/to_kill/out', 'std_msgs/String');
    const down = nextEvent(k, 'shutdown');
    const r = await core.run('rosnode', ['kill', '/to_kill']);
    expect(r.code, r.stderr).toBe(0);
    const [ev] = await timeout(down, 10_000, 'shutdown event');
    expect(ev.reason).toContain('shutdown requested');
    const [after] = await systemState(core.uri);
    expect(providers(after!, '/to_kill/out')).toEqual([]);
  }, 40_000);

  it('survives the master going away and coming back: re-registers; rostopic and rosservice reach us again', async () => {
    const pub = node.advertise('/uav1/pose_restart', 'geometry_msgs/PoseStamped', { latch: true });
    const got: string[] = [];
    const sub = node.subscribe('/uav1/cmd_restart', 'geometry_msgs/PoseStamped', (m) => got.push((m as { header: { frame_id: string } }).header.frame_id));
    const srv = node.advertiseService('/uav1/trigger_restart', 'std_srvs/Trigger', async () => ({ success: true, message: 'after restart' }));
    expect(pub.ok && sub.ok && srv.ok).toBe(true);
    if (!pub.ok) return;
    pub.value.publish(pose(7));
    expect(node.masterReachable).toBe(true);
    // a rospy publisher we listen to: rospy does not re-register after the restart, but the
    // connection we hold to it stays valid and must not be dropped by our re-registration
    const fromRospy: number[] = [];
    const rs = node.subscribe('/rospy/talk', 'geometry_msgs/PoseStamped', (m) => fromRospy.push((m as { header: { seq: number } }).header.seq));
    expect(rs.ok).toBe(true);
    const talker = core.spawn(SYSTEM_PYTHON, [TALKER, '/rospy/talk']);
    await waitFor(() => fromRospy.length > 2, 15_000, 'messages from the rospy talker');

    const lost = nextEvent(node, 'master-lost');
    await core.stop();
    await timeout(lost, 10_000, 'master-lost');
    expect(node.masterReachable).toBe(false);
    // publishing while the master is away is fine (no subscriber to send to)
    expect(pub.value.publish(pose(8)).ok).toBe(true);

    const back = nextEvent(node, 'master-back');
    await core.start();
    const [ev] = await timeout(back, 15_000, 'master-back');
    expect(ev.restarted).toBe(true);
    expect(ev.reregistered).toBeGreaterThanOrEqual(3);
    expect(node.masterReachable).toBe(true);

    const echo = await core.run('rostopic', ['echo', '-n', '1', '/uav1/pose_restart'], 20_000);
    expect(echo.stdout).toContain('seq: 8');
    const r = await core.run('rostopic', ['pub', '-1', '/uav1/cmd_restart', 'geometry_msgs/PoseStamped', '{header: {frame_id: "restarted"}}']);
    expect(r.code, r.stderr).toBe(0);
    await waitFor(() => got.includes('restarted'), 10_000, 'the message after the restart');
    const call = await core.run('rosservice', ['call', '/uav1/trigger_restart']);
    expect(call.stdout).toContain('after restart');
    const n = fromRospy.length;
    await waitFor(() => fromRospy.length > n + 5, 5000, 'the rospy talker still heard after the restart');
    talker.child.kill('SIGINT');
  }, 60_000);
});
