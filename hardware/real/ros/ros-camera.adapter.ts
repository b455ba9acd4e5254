/**
 * A camera port fed by a camera driver on a ROS graph: the latest sensor_msgs/Image or
 * sensor_msgs/CompressedImage on `topic` is what a capture stores.
 *
 * @remarks
 * A {@link RosNode} subscription made at `connect` feeding the shared topic-fed camera port
 * (hardware/internal/topic-camera.port.ts: captures, interval, link, health, faults).
 * Compressed frames are stored as sent (JPEG, PNG); raw frames (mono8/16, rgb8, bgr8, rgba8,
 * bgra8) as lossless PNG.
 */
import type { Clock } from '../../../core/clock.js';
import type { Logger } from '../../../core/logger.js';
import type { BlobSink, CameraPort, SensorInfo, VehiclePoseSource } from '../../sensor.port.js';
import { createTopicCameraPort } from '../../internal/topic-camera.port.js';
import { compressedToStored, rawToStored } from './messages/ros-to-twin.mapper.js';
import type { RosNode } from './ros-node.port.js';

export interface RosCameraOptions {
  readonly id: string;
  readonly vehicle: string;
  readonly model: string;
  readonly node: RosNode;
  readonly topic: string;
  readonly type: 'sensor_msgs/Image' | 'sensor_msgs/CompressedImage';
  readonly clock: Clock;
  readonly blobs: BlobSink;
  readonly keyPrefix: string;
  readonly pose?: VehiclePoseSource;
  readonly camera?: SensorInfo['camera'];
  readonly mount_deg?: SensorInfo['mount_deg'];
  /** A frame older than this (clock ms) is not captured; the next one is awaited (default 500). */
  readonly maxAge_ms?: number;
  /** How long a capture waits for a frame, clock ms (default 2000). */
  readonly timeout_ms?: number;
  /** No frame for this long (clock ms) → link down (default 2000). */
  readonly staleAfter_ms?: number;
  /** Health event period, clock ms (default 1000). */
  readonly healthPeriod_ms?: number;
  readonly logger?: Logger;
}

export function createRosCameraPort(o: RosCameraOptions): CameraPort & { readonly frames: () => number } {
  const compressed = o.type === 'sensor_msgs/CompressedImage';
  return createTopicCameraPort<unknown>({
    ...o,
    source: {
      label: 'ROS',
      topic: o.topic,
      subscribe: (onFrame) => o.node.subscribe(o.topic, o.type, onFrame),
      toStored: compressed ? compressedToStored : rawToStored,
      frameSize: (msg) => {
        const m = msg as { width?: unknown; height?: unknown };
        return typeof m.width === 'number' && typeof m.height === 'number' ? { width: m.width, height: m.height } : undefined;
      },
      mediaType: compressed ? 'image/jpeg' : 'image/png',
      settingsHint: 'configure its driver',
    },
  });
}
