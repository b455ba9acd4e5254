/**
 * Ports fed by ROS topics, on a real roscore: a LiDAR port reading sensor_msgs/PointCloud2 and a
 * camera port reading sensor_msgs/Image and CompressedImage, each published by another node over
 * TCPROS (our ROS 1 client as the "driver", and `rostopic pub` for a malformed frame).
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode as decodePng } from 'fast-png';
import { WallClock } from '../../core/clock.js';
import { ok } from '../../core/result.js';
import type { BlobSink, SensorEvent } from '../../hardware/sensor.port.js';
import { connectRos1 } from '../../hardware/real/ros/ros1-node.adapter.js';
import { createRosLidarPort } from '../../hardware/real/ros/ros-lidar.adapter.js';
import { createRosCameraPort } from '../../hardware/real/ros/ros-camera.adapter.js';
import type { RosNode, RosPublisher } from '../../hardware/real/ros/ros-node.port.js';
import { pointCloud2, rawImage, compressedImage } from '../../hardware/real/ros/messages/twin-to-ros.mapper.js';
import { rosToolsAvailable, startRoscore, waitFor, type Roscore } from '../ros1/ros1-harness.js';

const tools = rosToolsAvailable();
const why = tools.ok ? '' : ` (skipped: ${tools.reason})`;

function memoryBlobs(): BlobSink & { store: Map<string, { data: Uint8Array; mediaType: string }> } {
  const store = new Map<string, { data: Uint8Array; mediaType: string }>();
  return {
    store,
    async put(key, data, mediaType) {
      store.set(key, { data: data.slice(), mediaType });
      return ok({ key, bytes: data.byteLength, sha256: createHash('sha256').update(data).digest('hex') });
    },
  };
}

async function advertise(node: RosNode, topic: string, type: string): Promise<RosPublisher> {
  const r = await node.advertise(topic, type);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

describe.skipIf(!tools.ok)(`ports fed by ROS topics on a real roscore${why}`, () => {
  let core: Roscore;
  let twinNode: RosNode;
  let driver: RosNode;
  const clock = new WallClock();

  beforeAll(async () => {
    core = await startRoscore();
    const a = await connectRos1({ masterUri: core.uri, name: 'overwatch_twin', masterPollMs: 200 });
    const b = await connectRos1({ masterUri: core.uri, name: 'fake_driver', masterPollMs: 200 });
    if (!a.ok || !b.ok) throw new Error('nodes did not start');
    twinNode = a.value;
    driver = b.value;
  }, 30_000);

  afterAll(async () => {
    await twinNode?.shutdown();
    await driver?.shutdown();
    await core?.dispose();
  });

  it('the LiDAR port stores each PointCloud2 while streaming, as packed x,y,z,intensity, and reports link and scans', async () => {
    const blobs = memoryBlobs();
    const port = createRosLidarPort({ id: 'ouster', vehicle: 'drone1', model: 'os1-64', node: twinNode, topic: '/ouster/points', clock, blobs, keyPrefix: 'scans/t', staleAfter_ms: 300 });
    const events: SensorEvent[] = [];
    port.subscribeEvents((e) => events.push(e));
    expect((await port.connect()).ok).toBe(true);
    const pub = await advertise(driver, '/ouster/points', 'sensor_msgs/PointCloud2');
    await waitFor(() => pub.subscribers() > 0, 10_000, 'the port to connect to the driver');
    const pts = new Uint8Array(new Float32Array([1, 2, 3, 10, 0, 0, 0, 0, 4, 5, 6, 20]).buffer);
    const cloud = (t: number) => pointCloud2({ vehicle: 'drone1', sensor: 'os', t_ms: t }, pts, 3, 'ros1');
    // Not streaming yet: link up, nothing stored.
    pub.publish(cloud(1000));
    await waitFor(() => events.some((e) => e.type === 'link' && e.up), 5_000, 'link up');
    expect(blobs.store.size).toBe(0);
    expect((await port.startStreaming()).ok).toBe(true);
    pub.publish(cloud(1100));
    pub.publish({ ...cloud(1200), row_step: 99_999 }); // sizes contradict: refused, counted
    pub.publish(cloud(1300));
    await waitFor(() => port.stats().stored === 2 && port.stats().rejected === 1, 5_000, 'two scans stored, one refused');
    const scans = events.filter((e) => e.type === 'scan').map((e) => (e as Extract<SensorEvent, { type: 'scan' }>).scan);
    expect(scans[0]).toMatchObject({ vehicle: 'drone1', sensor: 'ouster', points: 2, missing_columns: 0 });
    const blob = blobs.store.get(scans[0]!.blob_key!)!;
    expect(blob.mediaType).toBe('application/vnd.overwatch.pointcloud.xyzi-f32');
    expect(Array.from(new Float32Array(blob.data.buffer))).toEqual([1, 2, 3, 10, 4, 5, 6, 20]);
    expect(port.health()).toMatchObject({ state: 'ok', count: 2, lost: 1 });
    // The driver goes quiet: link down, health degraded.
    await waitFor(() => events.some((e) => e.type === 'link' && !e.up), 5_000, 'link down');
    expect(port.health().state).toBe('degraded');
    pub.close();
    await port.dispose();
  }, 30_000);

  it('the camera port captures the newest Image as a lossless PNG and a CompressedImage as sent; no frame → SENSOR.TIMEOUT', async () => {
    const blobs = memoryBlobs();
    const raw = createRosCameraPort({ id: 'cam', vehicle: 'drone1', model: 'ros-camera', node: twinNode, topic: '/cam/image_raw', type: 'sensor_msgs/Image', clock, blobs, keyPrefix: 'captures/t/cam', timeout_ms: 300 });
    expect((await raw.connect()).ok).toBe(true);
    expect(await raw.capture()).toMatchObject({ ok: false, error: { code: 'SENSOR.TIMEOUT' } });
    const pub = await advertise(driver, '/cam/image_raw', 'sensor_msgs/Image');
    await waitFor(() => pub.subscribers() > 0, 10_000, 'camera subscription');
    const pending = raw.capture();
    pub.publish(rawImage({ vehicle: 'd', sensor: 'c', t_ms: 5 }, { width: 2, height: 1, encoding: 'rgb8', data: new Uint8Array([1, 2, 3, 4, 5, 6]) }, 'ros1'));
    const shot = await pending;
    expect(shot).toMatchObject({ ok: true, value: { index: 0, media_type: 'image/png', vehicle: 'drone1', sensor: 'cam' } });
    if (!shot.ok) return;
    expect(Array.from(decodePng(blobs.store.get(shot.value.blob_key!)!.data).data)).toEqual([1, 2, 3, 4, 5, 6]);
    pub.close();
    await raw.dispose();

    const jpeg = createRosCameraPort({ id: 'cam2', vehicle: 'drone1', model: 'ros-camera', node: twinNode, topic: '/cam/image_raw/compressed', type: 'sensor_msgs/CompressedImage', clock, blobs, keyPrefix: 'captures/t/cam2' });
    expect((await jpeg.connect()).ok).toBe(true);
    const cpub = await advertise(driver, '/cam/image_raw/compressed', 'sensor_msgs/CompressedImage');
    await waitFor(() => cpub.subscribers() > 0, 10_000, 'compressed subscription');
    const bytes = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);
    cpub.publish(compressedImage({ vehicle: 'd', sensor: 'c', t_ms: 5, media_type: 'image/jpeg' }, bytes, 'ros1'));
    await waitFor(() => jpeg.frames() > 0, 5_000, 'a compressed frame');
    const c = await jpeg.capture();
    expect(c).toMatchObject({ ok: true, value: { media_type: 'image/jpeg' } });
    if (c.ok) expect(Array.from(blobs.store.get(c.value.blob_key!)!.data)).toEqual(Array.from(bytes));
    expect(await jpeg.setTriggerDistance(10)).toMatchObject({ ok: false, error: { code: 'SENSOR.UNSUPPORTED' } });
    cpub.close();
    await jpeg.dispose();
  }, 30_000);
});
