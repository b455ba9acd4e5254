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
import type { Clock } from '../../../core/clock.js';
import type { Logger } from '../../../core/logger.js';
import type { BlobSink, LidarPort, SensorInfo, VehiclePoseSource } from '../../sensor.port.js';
import { createTopicLidarPort, SCAN_XYZI_MEDIA_TYPE } from '../../internal/topic-lidar.port.js';
import { cloudToXyzi } from './messages/ros-to-twin.mapper.js';
import type { RosNode } from './ros-node.port.js';

/** Media type of stored scans (packed x, y, z, intensity float32 LE), as the Ouster adapter writes them. */
export const ROS_SCAN_MEDIA_TYPE = SCAN_XYZI_MEDIA_TYPE;

export interface RosLidarOptions {
  readonly id: string;
  readonly vehicle: string;
  /** Profile name reported in {@link SensorInfo.model} (e.g. `os1-64`, `livox-mid360`). */
  readonly model: string;
  readonly node: RosNode;
  /** sensor_msgs/PointCloud2 topic of the driver. */
  readonly topic: string;
  readonly clock: Clock;
  readonly blobs: BlobSink;
  readonly keyPrefix: string;
  readonly pose?: VehiclePoseSource;
  readonly mount_deg?: SensorInfo['mount_deg'];
  /**
   * What the driver's sensor is (beams, columns, rate, range); default one beam, one column, 10 Hz,
   * 0–200 m, learned from the first organised cloud (height = beams, width = columns).
   */
  readonly lidar?: NonNullable<SensorInfo['lidar']>;
  /** No cloud for this long (clock ms) → link down (default 1000). */
  readonly staleAfter_ms?: number;
  /** Scans being written at once before new ones are dropped (default 2). */
  readonly maxPending?: number;
  /** Health event period, clock ms (default 1000). */
  readonly healthPeriod_ms?: number;
  readonly logger?: Logger;
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
