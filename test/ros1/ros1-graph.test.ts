/**
 * The node on a real ROS 1 graph: a `roscore` started here, the ROS command-line tools and a
 * rospy node (Debian's python) as the other participants.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRos1Node, type Ros1Node } from '../../hardware/real/ros/ros1/index.js';
import { rosToolsAvailable, startRoscore, SYSTEM_PYTHON, waitFor, type Roscore } from './ros1-harness.js';

const tools = rosToolsAvailable();
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
});
