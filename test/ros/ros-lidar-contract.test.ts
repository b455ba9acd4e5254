/**
 * The shared LidarPort contract (test/contract/lidar.contract.ts) run against the LiDAR port fed
 * by a ROS topic, on a real roscore: another node plays the driver, publishing an organised
 * 16 × 64 sensor_msgs/PointCloud2 at 10 Hz over TCPROS. Wall clock (the driver is real time).
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe } from 'vitest';
import { WallClock } from '../../core/clock.js';
import { fail, ok } from '../../core/result.js';
import { connectRos1 } from '../../hardware/real/ros/ros1-node.adapter.js';
import { createRosLidarPort } from '../../hardware/real/ros/ros-lidar.adapter.js';
import type { RosNode } from '../../hardware/real/ros/ros-node.port.js';
import { pointCloud2 } from '../../hardware/real/ros/messages/twin-to-ros.mapper.js';
import { describeLidarContract, type LidarHarness } from '../contract/lidar.contract.js';
import { rosToolsAvailable, startRoscore, type Roscore } from '../ros1/ros1-harness.js';

const tools = rosToolsAvailable();

/** A ring of 16 beams × 64 columns at 5–30 m (no zero points). */
function ring(): Uint8Array {
  const f = new Float32Array(16 * 64 * 4);
  let k = 0;
  for (let b = 0; b < 16; b++)
    for (let c = 0; c < 64; c++) {
      const r = 5 + ((b * 64 + c) % 26);
      const az = (c / 64) * 2 * Math.PI;
      const el = ((b - 8) / 8) * 0.3;
      f.set([r * Math.cos(el) * Math.cos(az), r * Math.cos(el) * Math.sin(az), r * Math.sin(el), b], k);
      k += 4;
    }
  return new Uint8Array(f.buffer);
}

if (!tools.ok) {
  describe.skip(`LidarPort contract: LiDAR port on a ROS topic (skipped: ${tools.reason})`, () => undefined);
} else {
  let core: Roscore;
  let twinNode: RosNode;
  let driver: RosNode;
  let n = 0;
  beforeAll(async () => {
    core = await startRoscore();
    const a = await connectRos1({ masterUri: core.uri, name: 'overwatch_twin', masterPollMs: 200 });
    const b = await connectRos1({ masterUri: core.uri, name: 'lidar_driver', masterPollMs: 200 });
    if (!a.ok || !b.ok) throw new Error('nodes did not start');
    twinNode = a.value;
    driver = b.value;
  }, 30_000);
  afterAll(async () => {
    await twinNode?.shutdown();
    await driver?.shutdown();
    await core?.dispose();
  });

  describeLidarContract('LiDAR port on a ROS topic (sensor_msgs/PointCloud2 over TCPROS from another node, real roscore)', async (): Promise<LidarHarness> => {
    const topic = `/lidar${++n}/points`;
    const clock = new WallClock();
    const blobs = new Map<string, Uint8Array>();
    let failing = false;
    const port = createRosLidarPort({
      id: 'os',
      vehicle: 'drone1',
      model: 'ros-lidar',
      node: twinNode,
      topic,
      clock,
      keyPrefix: 'scans/contract',
      staleAfter_ms: 500,
      blobs: {
        async put(key, data) {
          if (failing) return fail('BLOB.FULL', 'BLOB.FULL: refused by the test');
          blobs.set(key, data.slice());
          return ok({ key, bytes: data.byteLength, sha256: createHash('sha256').update(data).digest('hex') });
        },
      },
    });
    const pub = await driver.advertise(topic, 'sensor_msgs/PointCloud2');
    if (!pub.ok) throw new Error(pub.error.message);
    const data = ring();
    const timer = setInterval(() => {
      const cloud = pointCloud2({ vehicle: 'x', sensor: 'os', t_ms: Date.now() }, data, 16 * 64, 'ros1');
      pub.value.publish({ ...cloud, height: 16, width: 64, row_step: 64 * 16 });
    }, 100);
    return {
      port,
      blob: (key) => blobs.get(key),
      setSinkFailing: (f) => void (failing = f),
      advance: (ms) => new Promise((r) => setTimeout(r, ms)),
      async waitFor(pred, timeoutMs) {
        const end = Date.now() + timeoutMs;
        while (!pred()) {
          if (Date.now() > end) return pred();
          await new Promise((r) => setTimeout(r, 20));
        }
        return true;
      },
      async dispose() {
        clearInterval(timer);
        pub.value.close();
        await port.dispose();
      },
    };
  });
}
