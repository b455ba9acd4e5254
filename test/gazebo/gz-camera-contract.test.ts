/**
 * The shared CameraPort contract (test/contract/camera.contract.ts) run against the camera port
 * fed by a Gazebo camera topic: another Gazebo transport node plays the sensor, publishing
 * `ignition.msgs.Image` (RGB_INT8) at 20 Hz over ZeroMQ. Wall clock; the vehicle stands still (its
 * pose is the geotag's truth). Then Gazebo's own CLI (`ign-transport-topic -p`) as the camera:
 * its BGR_INT8 frame is stored as an RGB PNG; an unsupported pixel format fails the capture.
 */
import { createHash } from 'node:crypto';
import { decode as decodePng } from 'fast-png';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WallClock } from '../../core/clock.js';
import { ok } from '../../core/result.js';
import { createGzNode, type GzNode } from '../../hardware/sim/gazebo/gz-node.js';
import { createGzCameraPort } from '../../hardware/sim/gazebo/gz-camera.adapter.js';
import type { SensorPose } from '../../hardware/sensor.port.js';
import { describeCameraContract, type CameraHarness } from '../contract/camera.contract.js';
import { gzCliAvailable, runCli, uniquePartition, zmqAvailable } from './support/gz-cli.js';

const here: SensorPose = { position: { lat_deg: 47.3977, lon_deg: 8.5456, alt_m: 520 }, attitude_deg: { roll: 0, pitch: 0, yaw: 90 } };
const waitFor = async (pred: () => boolean, timeoutMs: number) => {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) return pred();
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
};

if (!zmqAvailable) {
  describe.skip('CameraPort contract: camera port on a Gazebo topic (skipped: zeromq not loadable)', () => undefined);
} else {
  const partition = uniquePartition('camport');
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

  describeCameraContract('camera port on a Gazebo camera topic (Image over Gazebo transport from another node)', async (): Promise<CameraHarness> => {
    const topic = `/world/w/model/x500/link/cam${++n}/sensor/camera/image`;
    const clock = new WallClock();
    const port = createGzCameraPort({
      id: 'cam',
      vehicle: 'drone1',
      model: 'gz-camera',
      node: twinNode,
      topic,
      clock,
      keyPrefix: 'captures/contract',
      pose: { pose: () => ({ ...here, t_ms: clock.now() }) },
      blobs: { put: async (key, data) => ok({ key, bytes: data.byteLength, sha256: createHash('sha256').update(data).digest('hex') }) },
    });
    const pub = sensorNode.advertise(topic, 'Image');
    if (!pub.ok) throw new Error(pub.error.message);
    const data = new Uint8Array(4 * 2 * 3).map((_, i) => i * 10);
    const timer = setInterval(() => void pub.value.publish({ width: 4, height: 2, step: 12, pixel_format_type: 'RGB_INT8', data }), 50);
    const c = await port.connect();
    if (!c.ok) throw new Error(c.error.message);
    if (!(await waitFor(() => port.health().state === 'ok', 10_000))) throw new Error('no frames from the stand-in camera');
    return {
      port,
      advance: (ms) => new Promise((r) => setTimeout(r, ms)),
      waitFor,
      truePose: () => here,
      fail: async () => void (await port.injectFault({ kind: 'sensor_failure' })),
      async dispose() {
        clearInterval(timer);
        pub.value.unadvertise();
        await port.dispose();
      },
    };
  });

  describe.skipIf(!gzCliAvailable())('camera port fed by `ign-transport-topic -p`', () => {
    it('a BGR_INT8 Image from the CLI is stored as an RGB PNG; an unsupported pixel format fails the capture', { timeout: 40_000 }, async () => {
      const topic = '/cli/camera';
      const blobs = new Map<string, Uint8Array>();
      const clock = new WallClock();
      const port = createGzCameraPort({
        id: 'cam',
        vehicle: 'drone1',
        model: 'gz-camera',
        node: twinNode,
        topic,
        clock,
        keyPrefix: 'captures/cli',
        maxAge_ms: 60_000,
        timeout_ms: 1500,
        pose: { pose: () => ({ ...here, t_ms: clock.now() }) },
        blobs: {
          put: async (key, d) => {
            blobs.set(key, d.slice());
            return ok({ key, bytes: d.byteLength, sha256: createHash('sha256').update(d).digest('hex') });
          },
        },
      });
      try {
        expect((await port.connect()).ok).toBe(true);
        // 2 × 1 BGR pixels: (b, g, r) = (1, 2, 3) and (4, 5, 6).
        const bgr = 'width: 2 height: 1 step: 6 pixel_format_type: BGR_INT8 data: "\\001\\002\\003\\004\\005\\006"';
        for (let i = 0; i < 6 && port.frames() === 0; i++) {
          await runCli('topic', ['-t', topic, '-m', 'ignition.msgs.Image', '-p', bgr], partition).done;
          await waitFor(() => port.frames() > 0, 500);
        }
        expect(port.frames()).toBeGreaterThan(0);
        const r = await port.capture();
        expect(r.ok ? 'ok' : `${r.error.code}: ${r.error.message}`).toBe('ok');
        if (!r.ok) return;
        expect(r.value.media_type).toBe('image/png');
        const png = decodePng(blobs.get(r.value.blob_key!)!);
        expect([png.width, png.height, png.channels]).toEqual([2, 1, 3]);
        expect([...png.data]).toEqual([3, 2, 1, 6, 5, 4]);

        const before = port.frames();
        const float = 'width: 1 height: 1 step: 4 pixel_format_type: R_FLOAT32 data: "\\000\\000\\200\\077"';
        for (let i = 0; i < 6 && port.frames() === before; i++) {
          await runCli('topic', ['-t', topic, '-m', 'ignition.msgs.Image', '-p', float], partition).done;
          await waitFor(() => port.frames() > before, 500);
        }
        const bad = await port.capture();
        expect(!bad.ok && bad.error.code).toBe('SENSOR.FAILED');
        expect(!bad.ok && bad.error.message).toMatch(/pixel format R_FLOAT32 not stored/);
        expect(port.health().lost).toBe(1);
      } finally {
        await port.dispose();
      }
    });
  });
}
