/**
 * Gazebo sensor topics decoded for the sensor side of the twin: a camera's `ignition.msgs.Image`
 * and a gpu_lidar's `ignition.msgs.LaserScan` (on `<topic>`) and `ignition.msgs.PointCloudPacked`
 * (on `<topic>/points`). Each frame is checked for internal consistency (sizes, counts, field
 * layout) before it is handed on; inconsistent frames are counted with a code and dropped.
 *
 * @remarks
 * These feeds give typed frames; the camera and LiDAR ports over them are gz-camera.adapter.ts
 * and gz-lidar.adapter.ts (`twin start|run --gz-sensors`).
 */
import type { Failure, Result } from '../../../core/result.js';
import { ok } from '../../../core/result.js';
import type { GzErrorCode, GzNode } from './gz-node.js';

export interface GazeboImageFrame {
  readonly t_ms: number;
  readonly width: number;
  readonly height: number;
  /** Bytes per row. */
  readonly step: number;
  /** `ignition.msgs.PixelFormatType` name, e.g. `RGB_INT8`. */
  readonly pixel_format: string;
  readonly data: Uint8Array;
}

export interface GazeboScanFrame {
  readonly t_ms: number;
  readonly frame: string;
  readonly angle_min: number;
  readonly angle_max: number;
  readonly angle_step: number;
  readonly range_min: number;
  readonly range_max: number;
  readonly count: number;
  readonly vertical_count: number;
  readonly vertical_angle_min: number;
  readonly vertical_angle_max: number;
  /** `count × vertical_count` ranges (m), row-major by vertical ring. */
  readonly ranges: Float64Array;
  readonly intensities: Float64Array;
}

export interface GazeboCloudFrame {
  readonly t_ms: number;
  /** Points (x, y, z) in the sensor frame, metres; NaN points (no return) dropped when not dense. */
  readonly xyz: Float32Array;
  readonly points: number;
}

/** Counters every feed keeps. */
export interface FeedStats {
  frames: number;
  rejected: Record<string, number>;
  lastError?: Failure;
}

type Check<T> = (m: Record<string, unknown>) => T | Failure;
const isFailure = (v: unknown): v is Failure => typeof v === 'object' && v !== null && 'code' in v && 'message' in v;
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const stamp = (m: Record<string, unknown>): number => {
  const s = (m.header as { stamp?: { sec?: number; nsec?: number } } | null)?.stamp;
  return num(s?.sec) * 1000 + num(s?.nsec) / 1e6;
};
const bytesOf = (v: unknown): Uint8Array => (v instanceof Uint8Array ? v : new Uint8Array());

/** A feed of one topic: `subscribe(fn)` for frames, `stats` for what was dropped and why. */
export class GazeboFeed<T> {
  readonly stats: FeedStats = { frames: 0, rejected: {} };
  private readonly listeners = new Set<(frame: T) => void>();
  private last: T | undefined;
  private unsubscribe: (() => void) | undefined;

  /** @internal */
  constructor(node: GzNode, topic: string, type: string, private readonly check: Check<T>) {
    const sub = node.subscribe(topic, (m) => this.onMessage(m), { type, onError: (e) => this.reject(e) });
    if (!sub.ok) throw new Error(sub.error.message);
    this.unsubscribe = sub.value;
  }

  latest(): T | undefined {
    return this.last;
  }

  subscribe(fn: (frame: T) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  dispose(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private reject(e: Failure): void {
    this.stats.rejected[e.code] = (this.stats.rejected[e.code] ?? 0) + 1;
    this.stats.lastError = e;
  }

  private onMessage(m: Record<string, unknown>): void {
    const frame = this.check(m);
    if (isFailure(frame)) return this.reject(frame);
    this.stats.frames++;
    this.last = frame;
    for (const fn of this.listeners) fn(frame);
  }
}

function feed<T>(node: GzNode, topic: string, type: string, check: Check<T>): Result<GazeboFeed<T>, GzErrorCode> {
  try {
    return ok(new GazeboFeed(node, topic, type, check));
  } catch (cause) {
    return { ok: false, error: { code: 'GZ.INVALID_TOPIC', message: (cause as Error).message, cause } };
  }
}

/** Camera images; `GZ.IMAGE_SIZE` when `data` is shorter than `step × height` or `step < width`. */
export function gazeboCameraFeed(node: GzNode, topic: string): Result<GazeboFeed<GazeboImageFrame>, GzErrorCode> {
  return feed<GazeboImageFrame>(node, topic, 'Image', (m) => {
    const width = num(m.width);
    const height = num(m.height);
    const step = num(m.step);
    const data = bytesOf(m.data);
    if (width === 0 || height === 0 || step < width || data.length < step * height) {
      return { code: 'GZ.IMAGE_SIZE', message: `image ${width}×${height}, step ${step}: ${data.length} bytes (need ${step * height})` };
    }
    return { t_ms: stamp(m), width, height, step, pixel_format: String(m.pixel_format_type), data };
  });
}

/** gpu_lidar scans; `GZ.SCAN_SIZE` when the ranges do not fill `count × vertical_count`. */
export function gazeboScanFeed(node: GzNode, topic: string): Result<GazeboFeed<GazeboScanFrame>, GzErrorCode> {
  return feed<GazeboScanFrame>(node, topic, 'LaserScan', (m) => {
    const count = num(m.count);
    const vertical = Math.max(1, num(m.vertical_count));
    const ranges = Array.isArray(m.ranges) ? (m.ranges as number[]) : [];
    const intensities = Array.isArray(m.intensities) ? (m.intensities as number[]) : [];
    if (count === 0 || ranges.length !== count * vertical || (intensities.length !== 0 && intensities.length !== ranges.length)) {
      return { code: 'GZ.SCAN_SIZE', message: `scan of ${count}×${vertical} with ${ranges.length} ranges and ${intensities.length} intensities` };
    }
    return {
      t_ms: stamp(m),
      frame: String(m.frame ?? ''),
      angle_min: num(m.angle_min),
      angle_max: num(m.angle_max),
      angle_step: num(m.angle_step),
      range_min: num(m.range_min),
      range_max: num(m.range_max),
      count,
      vertical_count: vertical,
      vertical_angle_min: num(m.vertical_angle_min),
      vertical_angle_max: num(m.vertical_angle_max),
      ranges: Float64Array.from(ranges),
      intensities: Float64Array.from(intensities),
    };
  });
}

/**
 * gpu_lidar point clouds (`<topic>/points`): x, y, z must be FLOAT32 fields inside `point_step`;
 * `GZ.CLOUD_LAYOUT` otherwise, or when `data` is shorter than `row_step × height`.
 */
export function gazeboCloudFeed(node: GzNode, topic: string): Result<GazeboFeed<GazeboCloudFrame>, GzErrorCode> {
  return feed<GazeboCloudFrame>(node, topic, 'PointCloudPacked', (m) => {
    const fields = Array.isArray(m.field) ? (m.field as { name?: string; offset?: number; datatype?: string }[]) : [];
    const at = (name: string) => fields.find((f) => f.name === name);
    const [fx, fy, fz] = [at('x'), at('y'), at('z')];
    const step = num(m.point_step);
    const width = num(m.width);
    const height = Math.max(1, num(m.height));
    const rowStep = num(m.row_step) || step * width;
    const data = bytesOf(m.data);
    const bad = [fx, fy, fz].some((f) => !f || f.datatype !== 'FLOAT32' || num(f.offset) + 4 > step);
    if (bad || step === 0 || m.is_bigendian === true || data.length < rowStep * height || rowStep < step * width) {
      return { code: 'GZ.CLOUD_LAYOUT', message: `point cloud layout not usable (x/y/z FLOAT32 within point_step ${step}, ${data.length} bytes for ${width}×${height})` };
    }
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const xyz = new Float32Array(width * height * 3);
    let n = 0;
    for (let r = 0; r < height; r++) {
      for (let c = 0; c < width; c++) {
        const base = r * rowStep + c * step;
        const x = view.getFloat32(base + num(fx!.offset), true);
        const y = view.getFloat32(base + num(fy!.offset), true);
        const z = view.getFloat32(base + num(fz!.offset), true);
        if (!Number.isFinite(x) || !Number.isFinite(y) || !Number.isFinite(z)) continue;
        xyz[n * 3] = x;
        xyz[n * 3 + 1] = y;
        xyz[n * 3 + 2] = z;
        n++;
      }
    }
    return { t_ms: stamp(m), xyz: xyz.subarray(0, n * 3), points: n };
  });
}

/**
 * Opens a feed and subscribes to it, as a topic-fed port's source wants it
 * (hardware/internal/topic-*.port.ts): the value unsubscribes and disposes the feed.
 */
export function subscribeFeed<F>(opened: Result<GazeboFeed<F>, GzErrorCode>, onFrame: (f: F) => void): Result<() => void, GzErrorCode> {
  if (!opened.ok) return opened;
  const feed = opened.value;
  const off = feed.subscribe(onFrame);
  return ok(() => {
    off();
    feed.dispose();
  });
}
