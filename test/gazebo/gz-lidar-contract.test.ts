/**
 * The shared LidarPort contract (test/contract/lidar.contract.ts) run against the LiDAR port fed
 * by a Gazebo gpu_lidar topic: another Gazebo transport node plays the sensor, publishing an
 * organised 16 × 64 `ignition.msgs.PointCloudPacked` (Gazebo's layout: x y z intensity FLOAT32)
 * at 10 Hz over ZeroMQ. Wall clock (the stand-in sensor runs in real time).
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe } from 'vitest';
import { WallClock } from '../../core/clock.js';
import { fail, ok } from '../../core/result.js';
import { createGzNode, type GzNode } from '../../hardware/sim/gazebo/gz-node.js';
import { createGzLidarPort } from '../../hardware/sim/gazebo/gz-lidar.adapter.js';
import { describeLidarContract, type LidarHarness } from '../contract/lidar.contract.js';
import { uniquePartition, zmqAvailable } from './support/gz-cli.js';

/** A ring of 16 beams × 64 columns at 5–30 m, packed as Gazebo's gpu_lidar does (point_step 16). */
function ring(): Buffer {
  const data = Buffer.alloc(16 * 64 * 16);
  let k = 0;
  for (let b = 0; b < 16; b++)
    for (let c = 0; c < 64; c++) {
      const r = 5 + ((b * 64 + c) % 26);
      const az = (c / 64) * 2 * Math.PI;
      const el = ((b - 8) / 8) * 0.3;
      [r * Math.cos(el) * Math.cos(az), r * Math.cos(el) * Math.sin(az), r * Math.sin(el), b].forEach((v, i) => data.writeFloatLE(v, k + i * 4));
      k += 16;
    }
  return data;
}
const FIELDS = ['x', 'y', 'z', 'intensity'].map((name, k) => ({ name, offset: k * 4, datatype: 'FLOAT32', count: 1 }));

if (!zmqAvailable) {
  describe.skip('LidarPort contract: LiDAR port on a Gazebo topic (skipped: zeromq not loadable)', () => undefined);
} else {
  const partition = uniquePartition('lidarport');
  let twinNode: GzNode;
  let sensorNode: GzNode;
  let n = 0;
  beforeAll(async () => {
    const [a, b] = [await createGzNode({ partition }), await createGzNode({ partition })];
    if (!a.ok || !b.ok) throw new Error('nodes did not start');
    twinNode = a.value;
    sensorNode = b.value;
  });
  afterAll(async () => {
    await twinNode?.close();
    await sensorNode?.close();
  });

  describeLidarContract('LiDAR port on a Gazebo gpu_lidar topic (PointCloudPacked over Gazebo transport from another node)', async (): Promise<LidarHarness> => {
    const topic = `/world/w/model/x500/link/lidar${++n}/sensor/gpu_lidar/scan/points`;
    const clock = new WallClock();
    const blobs = new Map<string, Uint8Array>();
    let failing = false;
    const port = createGzLidarPort({
      id: 'lidar',
      vehicle: 'drone1',
      model: 'gpu_lidar',
      node: twinNode,
      topic,
      clock,
      keyPrefix: 'scans/contract',
      staleAfter_ms: 500,
      lidar: { beams: 16, columns_per_frame: 64, frame_rate_hz: 10, range_m: { min: 0.1, max: 30 }, profile: 'gazebo' },
      blobs: {
        async put(key, data) {
          if (failing) return fail('BLOB.FULL', 'BLOB.FULL: refused by the test');
          blobs.set(key, data.slice());
          return ok({ key, bytes: data.byteLength, sha256: createHash('sha256').update(data).digest('hex') });
        },
      },
    });
    const pub = sensorNode.advertise(topic, 'PointCloudPacked');
    if (!pub.ok) throw new Error(pub.error.message);
    const data = ring();
    const timer = setInterval(() => {
      const now = Date.now();
      void pub.value.publish({ header: { stamp: { sec: Math.floor(now / 1000), nsec: (now % 1000) * 1e6 } }, field: FIELDS, height: 16, width: 64, point_step: 16, row_step: 64 * 16, is_dense: true, data });
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
        pub.value.unadvertise();
        await port.dispose();
      },
    };
  });
}
