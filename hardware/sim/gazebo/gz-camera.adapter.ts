/**
 * A camera port fed by a Gazebo camera sensor: the latest `ignition.msgs.Image` on `topic`
 * (checked by gazebo-sensor-feed.ts) is what a capture stores — the same shape as the ROS-fed
 * camera port (hardware/real/ros/ros-camera.adapter.ts).
 *
 * @remarks
 * Implements {@link CameraPort} over a {@link GazeboFeed} opened at `connect`. Frames are kept as
 * received (only the newest); `capture` stores the newest frame not older than `maxAge_ms` of
 * clock time, or waits up to `timeout_ms` for the next one (`SENSOR.TIMEOUT`). Frames in
 * L_INT8, L_INT16 (little-endian), RGB_INT8, RGBA_INT8, BGR_INT8 or BGRA_INT8 are stored as
 * lossless PNG; other pixel formats are refused per capture (`SENSOR.FAILED`). The geotag is the
 * carrying vehicle's pose at capture time. Interval capture runs on the port's clock (Gazebo's
 * under `twin start --gz-world`); distance triggering is the autopilot's business
 * (`SENSOR.UNSUPPORTED`). The link is up while frames arrive, down after `staleAfter_ms`.
 */
import type { Clock, TimerHandle } from '../../../core/clock.js';
import type { Logger } from '../../../core/logger.js';
import { fail, ok, okVoid } from '../../../core/result.js';
import type {
  BlobSink,
  CameraPort,
  CaptureRef,
  SensorEvent,
  SensorFault,
  SensorHealth,
  SensorInfo,
  SensorResult,
  SensorSettings,
  Unsubscribe,
  VehiclePoseSource,
} from '../../sensor.port.js';
import { encode as encodePng } from 'fast-png';
import type { Failure } from '../../../core/result.js';
import { gazeboCameraFeed, type GazeboFeed, type GazeboImageFrame } from './gazebo-sensor-feed.js';
import type { GzNode } from './gz-node.js';

export interface GzCameraOptions {
  readonly id: string;
  readonly vehicle: string;
  readonly model: string;
  readonly node: GzNode;
  /** The camera sensor's Image topic (e.g. `/world/<w>/model/<m>/link/<l>/sensor/<s>/image`, or its `<topic>`). */
  readonly topic: string;
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

const EXT: Record<string, string> = { 'image/jpeg': 'jpg', 'image/png': 'png' };

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
  const { clock } = o;
  const maxAge = o.maxAge_ms ?? 500;
  const timeout = o.timeout_ms ?? 2000;
  const staleAfter = o.staleAfter_ms ?? 2000;
  const listeners = new Set<(e: SensorEvent) => void>();
  let info: SensorInfo | undefined;
  let feed: GazeboFeed<GazeboImageFrame> | undefined;
  let unsub: (() => void) | undefined;
  let latest: { msg: GazeboImageFrame; at: number } | undefined;
  let frames = 0;
  let index = 0;
  let lost = 0;
  let linkUp = false;
  let busy = false;
  let failedUntil: number | undefined;
  let disposed = false;
  let watch: TimerHandle | undefined;
  let healthTimer: TimerHandle | undefined;
  // The profile when known; else learned from raw frames (resolution), 10 captures/s at most.
  let camera: NonNullable<SensorInfo['camera']> = o.camera ?? { resolution_px: { width: 1, height: 1 }, sensor_mm: { width: 1, height: 1 }, focal_length_mm: 1, min_interval_s: 0.1, media_type: 'image/png' };
  let learned = o.camera !== undefined;
  let interval: { timer?: TimerHandle; left: number } | undefined;
  const waiting = new Set<() => void>();

  const emit = (e: SensorEvent) => {
    for (const fn of listeners) {
      try {
        fn(e);
      } catch (error) {
        o.logger?.warn({ sensor: o.id, err: (error as Error).message }, 'gazebo camera: listener threw');
      }
    }
  };
  const setLink = (up: boolean) => {
    if (up === linkUp) return;
    linkUp = up;
    emit({ sensor: o.id, t_ms: clock.now(), type: 'link', up });
  };
  const watchdog = () => {
    watch = undefined;
    if (disposed || !latest) return;
    if (clock.now() - latest.at >= staleAfter) setLink(false);
    else watch = clock.setTimeout(watchdog, staleAfter);
  };
  const failed = () => failedUntil !== undefined && clock.now() < failedUntil;

  function onFrame(msg: GazeboImageFrame): void {
    if (disposed) return;
    frames++;
    latest = { msg, at: clock.now() };
    if (!learned && info) {
      learned = true;
      camera = { ...camera, resolution_px: { width: msg.width, height: msg.height } };
      info = { ...info, camera };
    }
    setLink(true);
    watch ??= clock.setTimeout(watchdog, staleAfter);
    for (const w of [...waiting]) w();
  }

  /** The newest frame within maxAge, or the next one within the timeout. */
  function nextFrame(): Promise<{ msg: GazeboImageFrame; at: number } | undefined> {
    if (latest && clock.now() - latest.at <= maxAge) return Promise.resolve(latest);
    return new Promise((resolve) => {
      const done = () => {
        waiting.delete(done);
        clock.clearTimeout(t);
        resolve(latest);
      };
      const t = clock.setTimeout(() => {
        waiting.delete(done);
        resolve(undefined);
      }, timeout);
      waiting.add(done);
    });
  }

  async function capture(): Promise<SensorResult<CaptureRef>> {
    if (disposed) return fail('SENSOR.DISPOSED', 'port disposed');
    if (!info) return fail('SENSOR.NO_LINK', 'not connected');
    if (failed()) return fail('SENSOR.FAILED', 'injected sensor failure');
    if (busy) return fail('SENSOR.BUSY', 'a capture is in progress');
    busy = true;
    try {
      const t_ms = clock.now();
      const pose = o.pose?.pose();
      const frame = await nextFrame();
      if (!frame) {
        lost++;
        emit({ sensor: o.id, t_ms: clock.now(), type: 'capture.lost', index, reason: `no frame on ${o.topic} within ${timeout} ms` });
        return fail('SENSOR.TIMEOUT', `no frame on ${o.topic} within ${timeout} ms`);
      }
      const png = gazeboFrameToPng(frame.msg);
      const img = png.ok ? { ok: true as const, value: { bytes: png.bytes, media_type: 'image/png' } } : png;
      if (!img.ok) {
        lost++;
        emit({ sensor: o.id, t_ms: clock.now(), type: 'capture.lost', index, reason: img.error.message });
        return fail('SENSOR.FAILED', img.error.message);
      }
      const i = index++;
      const key = `${o.keyPrefix}/${String(i).padStart(6, '0')}.${EXT[img.value.media_type] ?? 'bin'}`;
      clock.notifyAsync();
      const stored = await o.blobs.put(key, img.value.bytes, img.value.media_type);
      if (!stored.ok) {
        lost++;
        emit({ sensor: o.id, t_ms: clock.now(), type: 'capture.lost', index: i, reason: stored.error.message });
        return fail('SENSOR.STORAGE', stored.error.message);
      }
      const ref: CaptureRef = {
        vehicle: o.vehicle,
        sensor: o.id,
        index: i,
        t_ms,
        pose: pose ? { position: pose.position, attitude_deg: pose.attitude_deg } : { position: { lat_deg: NaN, lon_deg: NaN, alt_m: NaN }, attitude_deg: { roll: 0, pitch: 0, yaw: 0 } },
        blob_key: stored.value.key,
        bytes: stored.value.bytes,
        sha256: stored.value.sha256,
        media_type: img.value.media_type,
      };
      emit({ sensor: o.id, t_ms: clock.now(), type: 'capture', capture: ref });
      return ok(ref);
    } finally {
      busy = false;
    }
  }

  const health = (): SensorHealth => {
    const state: SensorHealth['state'] = !info || disposed ? 'offline' : failed() ? 'failed' : linkUp ? 'ok' : 'degraded';
    return { t_ms: clock.now(), state, ...(state === 'degraded' ? { message: `no frames on ${o.topic}` } : {}), count: index, lost };
  };
  const healthTick = () => {
    if (disposed) return;
    const h = health();
    emit({ sensor: o.id, t_ms: h.t_ms, type: 'health', health: h });
    healthTimer = clock.setTimeout(healthTick, o.healthPeriod_ms ?? 1000);
  };
  const disposedFail = () => fail('SENSOR.DISPOSED', 'port disposed');

  const stopInterval = () => {
    if (interval) clock.clearTimeout(interval.timer);
    interval = undefined;
  };

  return {
    id: o.id,
    vehicle: o.vehicle,
    kind: 'camera',
    frames: () => frames,
    async connect(): Promise<SensorResult<SensorInfo>> {
      if (disposed) return fail('SENSOR.DISPOSED', 'port disposed');
      if (info) return ok(info);
      const r = gazeboCameraFeed(o.node, o.topic);
      if (!r.ok) return fail('SENSOR.NO_LINK', `${o.topic}: ${r.error.code}: ${r.error.message}`);
      feed = r.value;
      unsub = feed.subscribe(onFrame);
      info = {
        id: o.id,
        vehicle: o.vehicle,
        kind: 'camera',
        model: o.model,
        vendor: `Gazebo ${o.topic}`,
        camera,
        ...(o.mount_deg ? { mount_deg: o.mount_deg } : {}),
      };
      healthTimer = clock.setTimeout(healthTick, o.healthPeriod_ms ?? 1000);
      return ok(info);
    },
    info: () => info,
    /** Nothing to set here: resolution, rate … are the camera sensor's (the world's SDF). */
    async configure(settings: SensorSettings): Promise<SensorResult> {
      if (disposed) return disposedFail();
      const keys = Object.keys(settings);
      return keys.length === 0 ? okVoid : fail('SENSOR.INVALID', `a Gazebo camera takes no settings here (${keys.join(', ')}): set them in the world's SDF`);
    },
    health,
    subscribeEvents(fn: (e: SensorEvent) => void): Unsubscribe {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    async injectFault(fault: SensorFault): Promise<SensorResult> {
      if (disposed) return disposedFail();
      if (fault.kind === 'sensor_restore') failedUntil = undefined;
      else failedUntil = clock.now() + (fault.duration_s !== undefined ? fault.duration_s * 1000 : Infinity);
      const h = health();
      emit({ sensor: o.id, t_ms: h.t_ms, type: 'health', health: h });
      return okVoid;
    },
    capture,
    async startInterval(interval_s: number, count = 0): Promise<SensorResult> {
      if (disposed) return disposedFail();
      if (!info) return fail('SENSOR.NO_LINK', 'not connected');
      const min = camera.min_interval_s;
      if (!(interval_s > 0) || interval_s < min) return fail('SENSOR.INVALID', `interval ${interval_s} s (minimum ${min} s)`);
      stopInterval();
      const state = { left: count, timer: undefined as TimerHandle | undefined };
      interval = state;
      const tick = () => {
        if (interval !== state || disposed) return;
        void capture();
        if (state.left > 0 && --state.left === 0) return stopInterval();
        state.timer = clock.setTimeout(tick, interval_s * 1000);
      };
      tick();
      return okVoid;
    },
    async setTriggerDistance(distance_m: number): Promise<SensorResult> {
      if (disposed) return disposedFail();
      return distance_m === 0 ? okVoid : fail('SENSOR.UNSUPPORTED', 'distance triggering is the autopilot\'s (a Gazebo camera topic has no trigger input)');
    },
    async stopCapture(): Promise<SensorResult> {
      if (disposed) return disposedFail();
      stopInterval();
      return okVoid;
    },
    async dispose() {
      disposed = true;
      stopInterval();
      unsub?.();
      feed?.dispose();
      clock.clearTimeout(watch);
      clock.clearTimeout(healthTimer);
      for (const w of [...waiting]) w();
      listeners.clear();
    },
  };
}
