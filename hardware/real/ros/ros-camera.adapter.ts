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
import type { CameraPort } from '../../sensor.port.js';
import { createTopicCameraPort, type TopicCameraOptions } from '../../internal/topic-camera.port.js';
import { compressedToStored, rawToStored } from './messages/ros-to-twin.mapper.js';
import type { RosNode } from './ros-node.port.js';

/** The shared topic-fed port's options (clock, blobs, timings …) plus where the frames come from. */
export interface RosCameraOptions extends Omit<TopicCameraOptions<unknown>, 'source'> {
  readonly node: RosNode;
  readonly topic: string;
  readonly type: 'sensor_msgs/Image' | 'sensor_msgs/CompressedImage';
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
