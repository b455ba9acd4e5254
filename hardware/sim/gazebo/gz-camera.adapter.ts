/**
 * A camera port fed by a Gazebo camera sensor: the latest `ignition.msgs.Image` on `topic`
 * (checked by gazebo-sensor-feed.ts) is what a capture stores.
 *
 * @remarks
 * A {@link GazeboFeed} opened at `connect` feeding the shared topic-fed camera port
 * (hardware/internal/topic-camera.port.ts: captures, interval capture, link, health, faults), as
 * the ROS-fed camera does. `capture` stores the newest frame not older than `maxAge_ms` of clock
 * time, or waits up to `timeout_ms` for the next one (`SENSOR.TIMEOUT`). Frames in
 * L_INT8, L_INT16 (little-endian), RGB_INT8, RGBA_INT8, BGR_INT8 or BGRA_INT8 are stored as
 * lossless PNG; other pixel formats are refused per capture (`SENSOR.FAILED`). The geotag is the
 * carrying vehicle's pose at capture time. Interval capture runs on the port's clock (Gazebo's
 * under `twin start --gz-world`); distance triggering is the autopilot's business
 * (`SENSOR.UNSUPPORTED`). The link is up while frames arrive, down after `staleAfter_ms`.
 */
import { ok, type Failure } from '../../../core/result.js';
import type { CameraPort } from '../../sensor.port.js';
import { encode as encodePng } from 'fast-png';
import { createTopicCameraPort, type TopicCameraOptions } from '../../internal/topic-camera.port.js';
import { gazeboCameraFeed, subscribeFeed, type GazeboImageFrame } from './gazebo-sensor-feed.js';
import type { GzNode } from './gz-node.js';

/** The shared topic-fed port's options (clock, blobs, timings …) plus where the frames come from. */
export interface GzCameraOptions extends Omit<TopicCameraOptions<unknown>, 'source'> {
  readonly node: GzNode;
  /** The camera sensor's Image topic (e.g. `/world/<w>/model/<m>/link/<l>/sensor/<s>/image`, or its `<topic>`). */
  readonly topic: string;
}

/** Gazebo pixel formats stored as PNG: channels, bits per channel, BGR order. */
const FORMATS: Record<string, { channels: 1 | 3 | 4; depth: 8 | 16; swap: boolean }> = {
  L_INT8: { channels: 1, depth: 8, swap: false },
  L_INT16: { channels: 1, depth: 16, swap: false },
  RGB_INT8: { channels: 3, depth: 8, swap: false },
  RGBA_INT8: { channels: 4, depth: 8, swap: false },
  BGR_INT8: { channels: 3, depth: 8, swap: true },
  BGRA_INT8: { channels: 4, depth: 8, swap: true },
};

/** A checked Gazebo frame → lossless PNG (BGR reordered to RGB), or why not. */
export function gazeboFrameToPng(f: GazeboImageFrame): { ok: true; bytes: Uint8Array } | { ok: false; error: Failure } {
  const fmt = FORMATS[f.pixel_format];
  if (!fmt) return { ok: false, error: { code: 'GZ.IMAGE_FORMAT', message: `pixel format ${f.pixel_format} not stored (${Object.keys(FORMATS).join(', ')})` } };
  const bpp = fmt.channels * (fmt.depth / 8);
  if (f.step < f.width * bpp) return { ok: false, error: { code: 'GZ.IMAGE_SIZE', message: `step ${f.step} < width ${f.width} × ${bpp} bytes` } };
  const row = f.width * fmt.channels;
  const px = fmt.depth === 16 ? new Uint16Array(row * f.height) : new Uint8Array(row * f.height);
  const dv = new DataView(f.data.buffer, f.data.byteOffset, f.data.byteLength);
  for (let y = 0; y < f.height; y++) {
    for (let i = 0; i < row; i++) {
      const c = i % fmt.channels;
      const from = fmt.swap && (c === 0 || c === 2) ? 2 - c : c;
      const src = y * f.step + (i - c + from) * (fmt.depth / 8);
      px[y * row + i] = fmt.depth === 16 ? dv.getUint16(src, true) : dv.getUint8(src);
    }
  }
  return { ok: true, bytes: encodePng({ width: f.width, height: f.height, data: px, channels: fmt.channels, depth: fmt.depth }) };
}

export function createGzCameraPort(o: GzCameraOptions): CameraPort & { readonly frames: () => number } {
  return createTopicCameraPort<GazeboImageFrame>({
    ...o,
    source: {
      label: 'Gazebo',
      topic: o.topic,
      subscribe: async (onFrame) => subscribeFeed(gazeboCameraFeed(o.node, o.topic), onFrame),
      toStored: (f) => {
        const png = gazeboFrameToPng(f);
        return png.ok ? ok({ bytes: png.bytes, media_type: 'image/png' }) : png;
      },
      frameSize: (f) => ({ width: f.width, height: f.height }),
      mediaType: 'image/png',
      settingsHint: "set them in the world's SDF",
    },
  });
}
