/**
 * A LiDAR port fed by a driver on a ROS graph: every sensor_msgs/PointCloud2 on `topic` (an
 * Ouster, Velodyne or Livox driver's points) while streaming becomes a stored scan.
 *
 * @remarks
 * A {@link RosNode} subscription made at `connect` feeding the shared topic-fed LiDAR port
 * (hardware/internal/topic-lidar.port.ts: storing, streaming, range filter, link, health, faults).
 * Each cloud is validated and repacked (hardware/real/ros/messages/ros-to-twin.mapper.ts: x, y, z,
 * intensity float32, points without a return dropped).
 */
import type { LidarPort } from '../../sensor.port.js';
import { createTopicLidarPort, SCAN_XYZI_MEDIA_TYPE, type TopicLidarOptions } from '../../internal/topic-lidar.port.js';
import { cloudToXyzi } from './messages/ros-to-twin.mapper.js';
import type { RosNode } from './ros-node.port.js';

/** Media type of stored scans (packed x, y, z, intensity float32 LE), as the Ouster adapter writes them. */
export const ROS_SCAN_MEDIA_TYPE = SCAN_XYZI_MEDIA_TYPE;

/** The shared topic-fed port's options (clock, blobs, timings …) plus where the frames come from. */
export interface RosLidarOptions extends Omit<TopicLidarOptions<unknown>, 'source'> {
  readonly node: RosNode;
  /** sensor_msgs/PointCloud2 topic of the driver. */
  readonly topic: string;
}

export function createRosLidarPort(o: RosLidarOptions): LidarPort & { readonly stats: () => { clouds: number; rejected: number; stored: number; dropped: number } } {
  return createTopicLidarPort<unknown>({
    ...o,
    source: {
      label: 'ROS',
      topic: o.topic,
      subscribe: (onCloud) => o.node.subscribe(o.topic, 'sensor_msgs/PointCloud2', onCloud),
      toXyzi: cloudToXyzi,
      shape: (msg) => {
        const r = msg as { height?: unknown; width?: unknown };
        return typeof r.height === 'number' && typeof r.width === 'number' ? { beams: r.height, columns: r.width } : undefined;
      },
      profile: 'ros',
      settingsHint: 'configured in its driver',
    },
  });
}
