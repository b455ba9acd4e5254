/**
 * The shared CameraPort contract (test/contract/camera.contract.ts) run against the camera port fed
 * by a ROS topic, on a real roscore: another node plays the camera driver, publishing
 * sensor_msgs/Image (rgb8) at 20 Hz over TCPROS. Wall clock; the vehicle stands still (its pose is
 * the geotag's truth).
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe } from 'vitest';
import { WallClock } from '../../core/clock.js';
import { ok } from '../../core/result.js';
import { connectRos1 } from '../../hardware/real/ros/ros1-node.adapter.js';
import { createRosCameraPort } from '../../hardware/real/ros/ros-camera.adapter.js';
import type { RosNode } from '../../hardware/real/ros/ros-node.port.js';
import { rawImage } from '../../hardware/real/ros/messages/twin-to-ros.mapper.js';
import type { SensorPose } from '../../hardware/sensor.port.js';
import { describeCameraContract, type CameraHarness } from '../contract/camera.contract.js';
import { rosToolsAvailable, startRoscore, type Roscore } from '../ros1/ros1-harness.js';

const tools = rosToolsAvailable();

if (!tools.ok) {
  describe.skip(`CameraPort contract: camera port on a ROS topic (skipped: ${tools.reason})`, () => undefined);
} else {
  let core: Roscore;
  let twinNode: RosNode;
  let driver: RosNode;
  let n = 0;
  beforeAll(async () => {
    core = await startRoscore();
    const a = await connectRos1({ masterUri: core.uri, name: 'overwatch_twin', masterPollMs: 200 });
    const b = await connectRos1({ masterUri: core.uri, name: 'camera_driver', masterPollMs: 200 });
    if (!a.ok || !b.ok) throw new Error('nodes did not start');
    twinNode = a.value;
    driver = b.value;
  }, 30_000);
  afterAll(async () => {
    await twinNode?.shutdown();
    await driver?.shutdown();
    await core?.dispose();
  });

  describeCameraContract('camera port on a ROS topic (sensor_msgs/Image over TCPROS from another node, real roscore)', async (): Promise<CameraHarness> => {
    const topic = `/cam${++n}/image_raw`;
    const clock = new WallClock();
    const here: SensorPose = { position: { lat_deg: 47.3977, lon_deg: 8.5456, alt_m: 520 }, attitude_deg: { roll: 0, pitch: 0, yaw: 90 } };
    const port = createRosCameraPort({
      id: 'cam',
      vehicle: 'drone1',
      model: 'ros-camera',
      node: twinNode,
      topic,
      type: 'sensor_msgs/Image',
      clock,
      keyPrefix: 'captures/contract',
      pose: { pose: () => ({ ...here, t_ms: clock.now() }) },
      blobs: { put: async (key, data) => ok({ key, bytes: data.byteLength, sha256: createHash('sha256').update(data).digest('hex') }) },
    });
    const pub = await driver.advertise(topic, 'sensor_msgs/Image');
    if (!pub.ok) throw new Error(pub.error.message);
    const pixels = new Uint8Array(4 * 2 * 3).map((_, i) => i * 10);
    const timer = setInterval(() => pub.value.publish(rawImage({ vehicle: 'x', sensor: 'cam', t_ms: Date.now() }, { width: 4, height: 2, encoding: 'rgb8', data: pixels }, 'ros1')), 50);
    const waitFor = async (pred: () => boolean, timeoutMs: number) => {
      const end = Date.now() + timeoutMs;
      while (!pred()) {
        if (Date.now() > end) return pred();
        await new Promise((r) => setTimeout(r, 20));
      }
      return true;
    };
    const c = await port.connect();
    if (!c.ok) throw new Error(c.error.message);
    // A connected camera: frames arriving (the driver's subscription is made).
    if (!(await waitFor(() => port.health().state === 'ok', 10_000))) throw new Error('no frames from the driver');
    return {
      port,
      advance: (ms) => new Promise((r) => setTimeout(r, ms)),
      waitFor,
      truePose: () => here,
      fail: async () => void (await port.injectFault({ kind: 'sensor_failure' })),
      async dispose() {
        clearInterval(timer);
        pub.value.close();
        await port.dispose();
      },
    };
  });
}
