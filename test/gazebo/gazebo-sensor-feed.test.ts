/**
 * Camera and gpu_lidar topics as Gazebo publishes them (Image, LaserScan, PointCloudPacked),
 * decoded into frames; inconsistent frames dropped with a code, the next good one delivered.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { gazeboCameraFeed, gazeboCloudFeed, gazeboScanFeed } from '../../hardware/sim/gazebo/gazebo-sensor-feed.js';
import { createGzNode, type GzNode, type GzPublisher } from '../../hardware/sim/gazebo/gz-node.js';
import { uniquePartition, until, zmqAvailable } from './support/gz-cli.js';

const nodes: GzNode[] = [];
async function pair(tag: string): Promise<[GzNode, GzNode]> {
  const partition = uniquePartition(tag);
  const out: GzNode[] = [];
  for (let i = 0; i < 2; i++) {
    const n = await createGzNode({ partition });
    if (!n.ok) throw new Error(n.error.message);
    nodes.push(n.value);
    out.push(n.value);
  }
  return [out[0]!, out[1]!];
}
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.close()));
});

async function advertised(gz: GzNode, topic: string, type: string): Promise<GzPublisher> {
  const p = gz.advertise(topic, type);
  if (!p.ok) throw new Error(p.error.message);
  await until(() => p.value.hasConnections(), 5000, `subscriber on ${topic}`);
  return p.value;
}

describe.skipIf(!zmqAvailable)('gazebo sensor feeds', () => {
  it('camera: Image frames with their size checked', async () => {
    const [gz, twin] = await pair('cam');
    const f = gazeboCameraFeed(twin, '/world/w/model/x500/link/camera/sensor/camera/image');
    if (!f.ok) throw new Error(f.error.message);
    const pub = await advertised(gz, '/world/w/model/x500/link/camera/sensor/camera/image', 'Image');
    const rgb = new Uint8Array(4 * 2 * 3).map((_, i) => i);
    await pub.publish({ width: 4, height: 2, step: 12, pixel_format_type: 'RGB_INT8', data: rgb.subarray(0, 10) }); // short
    await pub.publish({ header: { stamp: { sec: 2 } }, width: 4, height: 2, step: 12, pixel_format_type: 'RGB_INT8', data: rgb });
    await until(() => f.value.stats.frames === 1, 3000, 'frame');
    expect(f.value.stats.rejected).toEqual({ 'GZ.IMAGE_SIZE': 1 });
    const img = f.value.latest()!;
    expect(img).toMatchObject({ t_ms: 2000, width: 4, height: 2, step: 12, pixel_format: 'RGB_INT8' });
    expect([...img.data]).toEqual([...rgb]);
  });

  it('gpu_lidar: LaserScan rings and PointCloudPacked points', async () => {
    const [gz, twin] = await pair('lidar');
    const scan = gazeboScanFeed(twin, '/lidar');
    const cloud = gazeboCloudFeed(twin, '/lidar/points');
    if (!scan.ok || !cloud.ok) throw new Error('feed');
    const sp = await advertised(gz, '/lidar', 'LaserScan');
    const cp = await advertised(gz, '/lidar/points', 'PointCloudPacked');
    await sp.publish({ count: 4, vertical_count: 2, ranges: [1, 2, 3] }); // 3 of 8
    await sp.publish({ frame: 'x500::lidar', count: 4, vertical_count: 2, angle_min: -1, angle_max: 1, range_max: 30, ranges: [1, 2, 3, 4, 5, 6, 7, Infinity] });
    await until(() => scan.value.stats.frames === 1, 3000, 'scan');
    expect(scan.value.stats.rejected).toEqual({ 'GZ.SCAN_SIZE': 1 });
    expect(scan.value.latest()).toMatchObject({ frame: 'x500::lidar', count: 4, vertical_count: 2, range_max: 30 });
    expect([...scan.value.latest()!.ranges]).toEqual([1, 2, 3, 4, 5, 6, 7, Infinity]);
    // Gazebo's gpu_lidar layout: x y z intensity ring… as FLOAT32 at 0/4/8, point_step 16 here.
    const pts = [[1, 2, 3], [NaN, NaN, NaN], [-4, 5.5, 0.25]];
    const data = Buffer.alloc(16 * pts.length);
    pts.forEach((p, i) => p.forEach((v, k) => data.writeFloatLE(v, i * 16 + k * 4)));
    const fields = ['x', 'y', 'z', 'intensity'].map((name, k) => ({ name, offset: k * 4, datatype: 'FLOAT32', count: 1 }));
    await cp.publish({ field: fields.slice(0, 2), point_step: 16, width: 3, height: 1, row_step: 48, data }); // no z
    await cp.publish({ header: { stamp: { sec: 1, nsec: 5e8 } }, field: fields, point_step: 16, width: 3, height: 1, row_step: 48, data });
    await until(() => cloud.value.stats.frames === 1, 3000, 'cloud');
    expect(cloud.value.stats.rejected).toEqual({ 'GZ.CLOUD_LAYOUT': 1 });
    const c = cloud.value.latest()!;
    expect(c.t_ms).toBe(1500);
    expect(c.points).toBe(2);
    expect([...c.xyz]).toEqual([1, 2, 3, -4, 5.5, 0.25]);
  });
});
