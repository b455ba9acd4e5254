/**
 * A LiDAR port fed by a Gazebo gpu_lidar: every `ignition.msgs.PointCloudPacked` on
 * `<topic>/points` (checked by gazebo-sensor-feed.ts) while streaming becomes a stored scan.
 *
 * @remarks
 * A {@link GazeboFeed} opened at `connect` feeding the shared topic-fed LiDAR port
 * (hardware/internal/topic-lidar.port.ts: storing, streaming, range filter, link, health, faults),
 * as the ROS-fed LiDAR does. Points (x, y, z in the sensor frame, no-return points dropped by the
 * feed) are packed as x, y, z, intensity float32 LE with intensity 0 (Gazebo's cloud carries none
 * usable here). Scans are stamped with the port's clock — Gazebo's under `--gz-world`. Clouds
 * whose layout the feed refuses (`GZ.CLOUD_LAYOUT`, undecodable bytes) are counted in the feed's
 * `stats` and never reach the port.
 */
import { fail, ok } from '../../../core/result.js';
import type { LidarPort } from '../../sensor.port.js';
import { createTopicLidarPort, SCAN_XYZI_MEDIA_TYPE, type TopicLidarOptions } from '../../internal/topic-lidar.port.js';
import { gazeboCloudFeed, subscribeFeed, type GazeboCloudFrame } from './gazebo-sensor-feed.js';
import type { GzNode } from './gz-node.js';

/** Media type of stored scans (packed x, y, z, intensity float32 LE), as the Ouster adapter writes them. */
export const GZ_SCAN_MEDIA_TYPE = SCAN_XYZI_MEDIA_TYPE;

/** The shared topic-fed port's options (clock, blobs, timings …) plus where the frames come from. */
export interface GzLidarOptions extends Omit<TopicLidarOptions<unknown>, 'source'> {
  readonly node: GzNode;
  /** PointCloudPacked topic of the gpu_lidar (Gazebo publishes it on `<sensor topic>/points`). */
  readonly topic: string;
}

/** x, y, z → x, y, z, 0 float32 LE. */
function toXyzi(f: GazeboCloudFrame) {
  if (f.points === 0) return fail('GZ.CLOUD_EMPTY', 'point cloud without a return');
  const out = new Float32Array(f.points * 4);
  for (let i = 0; i < f.points; i++) out.set(f.xyz.subarray(i * 3, i * 3 + 3), i * 4);
  return ok({ data: new Uint8Array(out.buffer), count: f.points });
}

export function createGzLidarPort(o: GzLidarOptions): LidarPort & { readonly stats: () => { clouds: number; rejected: number; stored: number; dropped: number } } {
  return createTopicLidarPort<GazeboCloudFrame>({
    ...o,
    source: {
      label: 'Gazebo',
      topic: o.topic,
      subscribe: async (onCloud) => subscribeFeed(gazeboCloudFeed(o.node, o.topic), onCloud),
      toXyzi,
      profile: 'gazebo',
      settingsHint: "configured in the world's SDF",
    },
  });
}
