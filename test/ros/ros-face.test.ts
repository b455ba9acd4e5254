/**
 * The twin on a real ROS 1 graph: a roscore started here, the twin's ROS face on our ROS 1 node,
 * and the ROS tools (rostopic, rosservice) and a rospy node (Debian's python) as the other
 * participants — what an operator's ROS stack or a field LIO would see and do.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRos1 } from '../../hardware/real/ros/ros1-node.adapter.js';
import { createRosLioSource } from '../../hardware/real/ros/ros-lio-source.js';
import type { RosNode } from '../../hardware/real/ros/ros-node.port.js';
import { createLioSlamPort } from '../../hardware/real/slam/lio-slam.adapter.js';
import type { SlamPoseMsg } from '../../actors/bus.js';
import { startRosFace, type RosFace } from '../../ros/ros-face.js';
import { parseRosConfig } from '../../ros/ros-config.js';
import { rosToolsAvailable, startRoscore, SYSTEM_PYTHON, waitFor, type Roscore } from '../ros1/ros1-harness.js';
import { liveTwin, testMission, type LiveTwin } from './ros-harness.js';

const tools = rosToolsAvailable();
const why = tools.ok ? '' : ` (skipped: ${tools.reason})`;
const LISTENER = fileURLToPath(new URL('./rospy/twin_listener.py', import.meta.url));

/** Stops a process started with `core.spawn` (its whole group). */
async function stop(p: { child: { pid?: number | undefined }; exited: Promise<number | null> }): Promise<void> {
  try {
    if (p.child.pid) process.kill(-p.child.pid, 'SIGINT');
  } catch {
    /* gone */
  }
  await p.exited;
}

const odom = (x: number) =>
  `{header: {stamp: now, frame_id: camera_init}, child_frame_id: body, pose: {pose: {position: {x: ${x}, y: 0.0, z: 0.0}, orientation: {x: 0.0, y: 0.0, z: 0.0, w: 1.0}}}}`;

describe.skipIf(!tools.ok)(`the twin's ROS face on a real roscore${why}`, () => {
  let core: Roscore;
  let node: RosNode;
  let live: LiveTwin;
  let face: RosFace;
  const slamPoses: SlamPoseMsg[] = [];

  beforeAll(async () => {
    core = await startRoscore();
    const n = await connectRos1({ masterUri: core.uri, name: 'overwatch_twin', masterPollMs: 200 });
    if (!n.ok) throw new Error(n.error.message);
    node = n.value;
    const lio = await createRosLioSource({ node, topics: { odometry: '/lio/odom', cloud: '/lio/cloud' } });
    if (!lio.ok) throw new Error(lio.error.message);
    live = await liveTwin(['drone1'], 2, (clock) => ({ drone1: createLioSlamPort({ source: lio.value, clock, backend: 'fast-livo2' }) }));
    live.twin.bus.subscribe('/drone1/slam/pose', (m) => slamPoses.push(m));
    const config = parseRosConfig({ rate_hz: 10, clock_hz: 20 });
    if (!config.ok) throw new Error(config.error.message);
    face = await startRosFace(live.twin, node, config.value);
  }, 60_000);

  afterAll(async () => {
    await face?.stop();
    await live?.halt();
    await node?.shutdown();
    await core?.dispose();
  }, 30_000);

  it('advertises the vehicle topics and mission services in the vehicle namespace', () => {
    expect(face.topics().map((t) => t.topic)).toEqual(expect.arrayContaining(['/drone1/pose', '/drone1/fix', '/drone1/battery', '/drone1/odom', '/drone1/mission/status', '/tf']));
    expect(face.services().map((s) => s.service)).toEqual(
      expect.arrayContaining(['/drone1/mission/load', '/drone1/mission/start', '/drone1/mission/pause', '/drone1/mission/resume', '/drone1/mission/abort']),
    );
  });

  it('rostopic echo sees the pose, battery, fix and TF', async () => {
    const [pose, battery, fix, tf] = await Promise.all([
      core.run('rostopic', ['echo', '-n', '1', '/drone1/pose']),
      core.run('rostopic', ['echo', '-n', '1', '/drone1/battery']),
      core.run('rostopic', ['echo', '-n', '1', '/drone1/fix']),
      core.run('rostopic', ['echo', '-n', '1', '/tf']),
    ]);
    expect(pose.stdout).toContain('frame_id: "map"');
    expect(pose.stdout).toMatch(/orientation:\s*\n\s*x: 0\.0/);
    expect(battery.stdout).toMatch(/percentage: 0\.\d+|percentage: 1\.0/);
    expect(battery.stdout).toContain('location: "drone1"');
    expect(fix.stdout).toMatch(/latitude: 4\d\.\d+/);
    expect(tf.stdout).toContain('child_frame_id: "drone1/base_link"');
  }, 60_000);

  it('publishes the twin\'s (simulated) clock on /clock for use_sim_time nodes', async () => {
    const echo = await core.run('rostopic', ['echo', '-n', '2', '/clock']);
    const secs = [...echo.stdout.matchAll(/secs: (\d+)\n\s*nsecs:\s+(\d+)/g)].map((m) => Number(m[1]) + Number(m[2]) / 1e9);
    expect(secs.length, echo.stdout).toBe(2);
    // sim time since the twin started: seconds, not the wall clock's epoch
    expect(secs[0]).toBeLessThan(3600);
    expect(secs[1]).toBeGreaterThan(secs[0]!);
  }, 30_000);

  it('a rospy node receives odometry and the latched mission status, and loads a mission through LoadMission', async () => {
    const mission = JSON.stringify(testMission(live.frame));
    const p = core.spawn(SYSTEM_PYTHON, [LISTENER, '/drone1', mission]);
    const code = await p.exited;
    const lines = p.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, Record<string, unknown>>);
    expect(code, p.output()).toBe(0);
    expect(lines.find((l) => l.load_bad)?.load_bad).toMatchObject({ success: false, message: expect.stringContaining('ROS.SERVICE_ARGS') });
    expect(lines.find((l) => l.load)?.load).toMatchObject({ success: true });
    expect(lines.find((l) => l.odom)?.odom).toMatchObject({ frame: 'map', child: 'drone1/base_link' });
    // Latched: the status at subscription time (IDLE) comes first, then the change.
    const statuses = lines.filter((l) => l.status).map((l) => l.status!.status);
    expect(statuses[0]).toBe('IDLE');
    expect(statuses).toContain('LOADED');
    expect(live.twin.missionStatus('drone1')).toBe('LOADED');
  }, 60_000);

  it('rosservice call starts the mission; a refused request answers success False with the reason', async () => {
    const start = await core.run('rosservice', ['call', '/drone1/mission/start']);
    expect(start.stdout, start.stderr).toContain('success: True');
    await waitFor(() => live.twin.missionStatus('drone1') === 'RUNNING', 10_000, 'RUNNING');
    const resume = await core.run('rosservice', ['call', '/drone1/mission/resume']);
    expect(resume.stdout).toContain('success: False');
    expect(resume.stdout).toContain('MISSION.NOT_ALLOWED');
  }, 60_000);

  it("rostopic pub of a LIO's nav_msgs/Odometry moves the twin's SLAM pose", async () => {
    const at0 = core.spawn('rostopic', ['pub', '-s', '-r', '20', '/lio/odom', 'nav_msgs/Odometry', odom(0)]);
    await waitFor(() => slamPoses.length >= 5, 20_000, 'SLAM poses from rostopic pub');
    await stop(at0);
    const first = slamPoses.at(-1)!;
    const n0 = slamPoses.length;
    const at5 = core.spawn('rostopic', ['pub', '-s', '-r', '20', '/lio/odom', 'nav_msgs/Odometry', odom(5)]);
    const moved = () => {
      const last = slamPoses.at(-1)!;
      return slamPoses.length > n0 && Math.hypot(last.map_position_m[0] - first.map_position_m[0], last.map_position_m[1] - first.map_position_m[1]) > 4.9;
    };
    // Tracking again after the gap between the two publishers (the machine's recovery hysteresis).
    await waitFor(() => moved() && live.twin.slam('drone1')[0]!.state === 'tracking', 20_000, 'the SLAM pose to move 5 m, tracking');
    expect(live.twin.slam('drone1')[0]).toMatchObject({ backend: 'fast-livo2' });
    const last = slamPoses.at(-1)!;
    await stop(at5);
    // The LIO went quiet: the twin's SLAM says so.
    await waitFor(() => live.twin.slam('drone1')[0]!.state === 'lost', 10_000, 'SLAM lost without odometry');
    // 5 m in the LIO frame is 5 m in the twin's world frame (NED), whatever the heading.
    expect(Math.hypot(last.local.north_m - first.local.north_m, last.local.east_m - first.local.east_m)).toBeCloseTo(5, 1);
    expect(last).toMatchObject({ ok: true, state: 'tracking' });
    expect(live.twin.slam('drone1')[0]!.poses).toBeGreaterThan(5);
    // … and the twin republishes its SLAM pose on the graph (advertised at its first pose).
    const list = await core.run('rostopic', ['list']);
    expect(list.stdout).toContain('/drone1/slam/pose');
  }, 90_000);

  it('survives the master going away and coming back: topics and services work again', async () => {
    const lost = new Promise<void>((r) => node.onGraph!((up) => !up && r()));
    await core.stop();
    await lost;
    await core.start();
    await waitFor(async () => (await core.run('rostopic', ['list'], 5_000)).stdout.includes('/drone1/pose'), 20_000, 'the face re-registered');
    const pose = await core.run('rostopic', ['echo', '-n', '1', '/drone1/pose']);
    expect(pose.stdout).toContain('frame_id: "map"');
    const pause = await core.run('rosservice', ['call', '/drone1/mission/pause']);
    expect(pause.stdout, pause.stderr).toContain('success: True');
    expect(live.twin.missionStatus('drone1')).toBe('PAUSED');
  }, 90_000);

  it('vehicle command services answer with the vehicle\'s result: disarming in the air is refused, RTL accepted', async () => {
    await waitFor(() => live.twin.vehicleState('drone1').includes('inAir'), 30_000, 'in the air');
    const disarm = await core.run('rosservice', ['call', '/drone1/arm', 'data: false']);
    expect(disarm.stdout, disarm.stderr).toContain('success: False');
    expect(disarm.stdout).toMatch(/message: "VEHICLE\.[A-Z_]+/);
    const rtl = await core.run('rosservice', ['call', '/drone1/rtl']);
    expect(rtl.stdout, rtl.stderr).toContain('success: True');
    expect(rtl.stdout).toContain('rtl accepted by drone1');
  }, 60_000);
});
