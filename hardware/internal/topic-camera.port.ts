/**
 * A camera port fed by frames on a topic (a ROS camera driver, a Gazebo camera sensor): the
 * newest frame is what a capture stores. The transport-specific parts (subscribing, decoding a
 * frame into stored bytes) come in a {@link FrameSource}; everything a {@link CameraPort} promises
 * (captures, interval capture, link, health, faults) is here, once.
 *
 * @remarks
 * Frames are kept as received (only the newest); `capture` stores the newest frame not older than
 * `maxAge_ms` of clock time, or waits up to `timeout_ms` for the next one (`SENSOR.TIMEOUT`). The
 * geotag is the carrying vehicle's pose at capture time. Interval capture runs on the port's
 * clock; distance triggering is the autopilot's business (`SENSOR.UNSUPPORTED`). The link is up
 * while frames arrive, down after `staleAfter_ms`.
 */
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import { fail, ok, okVoid, type Result } from '../../core/result.js';
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
} from '../sensor.port.js';
import { TopicLink } from './topic-link.js';

/** Where frames come from and how one becomes stored bytes. */
export interface FrameSource<M> {
  /** The transport, for messages and `SensorInfo.vendor` (`ROS`, `Gazebo`). */
  readonly label: string;
  readonly topic: string;
  /** Subscribes; the result's value unsubscribes (and frees whatever the subscription holds). */
  subscribe(onFrame: (msg: M) => void): Promise<Result<() => void>>;
  /** A frame → the bytes to store and their media type, or why not. */
  toStored(msg: M): Result<{ readonly bytes: Uint8Array; readonly media_type: string }>;
  /** The frame's size in pixels, when it says (learned into `SensorInfo.camera` from the first frame). */
  frameSize?(msg: M): { readonly width: number; readonly height: number } | undefined;
  /** Media type before the first frame says otherwise. */
  readonly mediaType: string;
  /** Where settings belong instead (`configure its driver`), for the refusal of `configure`. */
  readonly settingsHint: string;
}

export interface TopicCameraOptions<M> {
  readonly id: string;
  readonly vehicle: string;
  readonly model: string;
  readonly source: FrameSource<M>;
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

export function createTopicCameraPort<M>(o: TopicCameraOptions<M>): CameraPort & { readonly frames: () => number } {
  const { clock, source } = o;
  const maxAge = o.maxAge_ms ?? 500;
  const timeout = o.timeout_ms ?? 2000;
  const link = new TopicLink({ id: o.id, clock, staleAfter_ms: o.staleAfter_ms ?? 2000, healthPeriod_ms: o.healthPeriod_ms ?? 1000, label: 'topic camera', ...(o.logger ? { logger: o.logger } : {}) });
  const emit = (e: SensorEvent) => link.emit(e);
  let info: SensorInfo | undefined;
  let unsub: (() => void) | undefined;
  let latest: { msg: M; at: number } | undefined;
  let frames = 0;
  let index = 0;
  let lost = 0;
  let busy = false;
  let disposed = false;
  // The profile when known; else learned from raw frames (resolution), 10 captures/s at most.
  let camera: NonNullable<SensorInfo['camera']> = o.camera ?? { resolution_px: { width: 1, height: 1 }, sensor_mm: { width: 1, height: 1 }, focal_length_mm: 1, min_interval_s: 0.1, media_type: source.mediaType };
  let learned = o.camera !== undefined;
  let interval: { timer?: TimerHandle; left: number } | undefined;
  const waiting = new Set<() => void>();

  const failed = () => link.failed();

  function onFrame(msg: M): void {
    if (disposed) return;
    frames++;
    latest = { msg, at: clock.now() };
    if (!learned && info) {
      learned = true;
      const size = source.frameSize?.(msg);
      if (size && size.width > 0 && size.height > 0) {
        camera = { ...camera, resolution_px: { width: size.width, height: size.height } };
        info = { ...info, camera };
      }
    }
    link.frame();
    for (const w of [...waiting]) w();
  }

  /** The newest frame within maxAge, or the next one within the timeout. */
  function nextFrame(): Promise<{ msg: M; at: number } | undefined> {
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
        emit({ sensor: o.id, t_ms: clock.now(), type: 'capture.lost', index, reason: `no frame on ${source.topic} within ${timeout} ms` });
        return fail('SENSOR.TIMEOUT', `no frame on ${source.topic} within ${timeout} ms`);
      }
      const img = source.toStored(frame.msg);
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
    const state: SensorHealth['state'] = !info || disposed ? 'offline' : failed() ? 'failed' : link.linkUp ? 'ok' : 'degraded';
    return { t_ms: clock.now(), state, ...(state === 'degraded' ? { message: `no frames on ${source.topic}` } : {}), count: index, lost };
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
      const r = await source.subscribe(onFrame);
      if (!r.ok) return fail('SENSOR.NO_LINK', `${source.topic}: ${r.error.code}: ${r.error.message}`);
      unsub = r.value;
      info = {
        id: o.id,
        vehicle: o.vehicle,
        kind: 'camera',
        model: o.model,
        vendor: `${source.label} ${source.topic}`,
        camera,
        ...(o.mount_deg ? { mount_deg: o.mount_deg } : {}),
      };
      link.startHealth(health);
      return ok(info);
    },
    info: () => info,
    /** Nothing to set here: exposure, focus, resolution … belong to the source (`settingsHint`). */
    async configure(settings: SensorSettings): Promise<SensorResult> {
      if (disposed) return disposedFail();
      const keys = Object.keys(settings);
      return keys.length === 0 ? okVoid : fail('SENSOR.INVALID', `a ${source.label} camera topic takes no settings here (${keys.join(', ')}): ${source.settingsHint}`);
    },
    health,
    subscribeEvents: (fn: (e: SensorEvent) => void): Unsubscribe => link.subscribe(fn),
    async injectFault(fault: SensorFault): Promise<SensorResult> {
      if (disposed) return disposedFail();
      link.fault(fault);
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
      return distance_m === 0 ? okVoid : fail('SENSOR.UNSUPPORTED', `distance triggering is the autopilot's (a ${source.label} camera topic has no trigger input)`);
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
      for (const w of [...waiting]) w();
      link.close();
    },
  };
}
