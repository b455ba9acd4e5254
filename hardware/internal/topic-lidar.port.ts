/**
 * A LiDAR port fed by point clouds on a topic (a ROS driver's PointCloud2, a Gazebo gpu_lidar):
 * every cloud that arrives while streaming becomes a stored scan. The transport-specific parts
 * (subscribing, decoding a cloud into packed x, y, z, intensity) come in a {@link CloudSource};
 * everything a {@link LidarPort} promises (streaming, range filter, link, health, faults) is here, once.
 *
 * @remarks
 * Each cloud is written through the {@link BlobSink} (`<keyPrefix>/<vehicle>/<id>/<seq>.xyzi`, the
 * Ouster adapter's layout and media type) and announced as a {@link ScanRef} stamped with the
 * port's clock at arrival (a driver's own stamp is its clock, which a simulated twin may not
 * share). A cloud arriving while `maxPending` writes are in flight is dropped and counted lost.
 * The link is up while clouds arrive, down after `staleAfter_ms` of clock time without one. Bad
 * messages are counted, logged and skipped.
 */
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import { fail, ok, okVoid, type Result } from '../../core/result.js';
import type {
  BlobSink,
  LidarPort,
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

/** Media type of stored scans (packed x, y, z, intensity float32 LE), as the Ouster adapter writes them. */
export const SCAN_XYZI_MEDIA_TYPE = 'application/vnd.overwatch.pointcloud.xyzi-f32';

/** Where clouds come from and how one becomes packed x, y, z, intensity. */
export interface CloudSource<M> {
  /** The transport, for messages and `SensorInfo.vendor` (`ROS`, `Gazebo`). */
  readonly label: string;
  readonly topic: string;
  /** Subscribes; the result's value unsubscribes (and frees whatever the subscription holds). */
  subscribe(onCloud: (msg: M) => void): Promise<Result<() => void>>;
  /** A cloud → packed x, y, z, intensity float32 LE (points without a return dropped), or why not. */
  toXyzi(msg: M): Result<{ readonly data: Uint8Array; readonly count: number }>;
  /** An organised cloud's shape (learned into `SensorInfo.lidar` from the first cloud). */
  shape?(msg: M): { readonly beams: number; readonly columns: number } | undefined;
  /** Default `SensorInfo.lidar.profile` before anything is known. */
  readonly profile: string;
  /** Where other settings belong (`configured in its driver`), for the refusal of `configure`. */
  readonly settingsHint: string;
}

export interface TopicLidarOptions<M> {
  readonly id: string;
  readonly vehicle: string;
  /** Profile name reported in {@link SensorInfo.model} (e.g. `os1-64`, `livox-mid360`). */
  readonly model: string;
  readonly source: CloudSource<M>;
  readonly clock: Clock;
  readonly blobs: BlobSink;
  readonly keyPrefix: string;
  readonly pose?: VehiclePoseSource;
  readonly mount_deg?: SensorInfo['mount_deg'];
  /** What the sensor is (beams, columns, rate, range); default one beam, one column, 10 Hz, 0–200 m, learned from the first organised cloud. */
  readonly lidar?: NonNullable<SensorInfo['lidar']>;
  /** No cloud for this long (clock ms) → link down (default 1000). */
  readonly staleAfter_ms?: number;
  /** Scans being written at once before new ones are dropped (default 2). */
  readonly maxPending?: number;
  /** Health event period, clock ms (default 1000). */
  readonly healthPeriod_ms?: number;
  readonly logger?: Logger;
}

export function createTopicLidarPort<M>(o: TopicLidarOptions<M>): LidarPort & { readonly stats: () => { clouds: number; rejected: number; stored: number; dropped: number } } {
  const { clock, source } = o;
  const maxPending = o.maxPending ?? 2;
  const link = new TopicLink({ id: o.id, clock, staleAfter_ms: o.staleAfter_ms ?? 1000, healthPeriod_ms: o.healthPeriod_ms ?? 1000, label: 'topic lidar', ...(o.logger ? { logger: o.logger } : {}) });
  const emit = (e: SensorEvent) => link.emit(e);
  const stats = { clouds: 0, rejected: 0, stored: 0, dropped: 0 };
  let info: SensorInfo | undefined;
  let unsub: (() => void) | undefined;
  let streaming = false;
  let pending = 0;
  let seq = 0;
  let lastStorageError: string | undefined;
  let disposed = false;
  let lidar: NonNullable<SensorInfo['lidar']> = o.lidar ?? { beams: 1, columns_per_frame: 1, frame_rate_hz: 10, range_m: { min: 0, max: 200 }, profile: source.profile };
  let learned = o.lidar !== undefined;
  /** Points outside [min, max] m from the sensor are dropped (`configure`). */
  let range = { min: 0, max: Infinity };
  const disposedFail = () => fail('SENSOR.DISPOSED', 'port disposed');

  const failed = () => link.failed();

  function onCloud(raw: M): void {
    if (disposed) return;
    stats.clouds++;
    link.frame();
    if (!learned && info) {
      const s = source.shape?.(raw);
      if (s && s.beams > 1) {
        lidar = { ...lidar, beams: s.beams, columns_per_frame: s.columns };
        info = { ...info, lidar };
      }
      learned = true;
    }
    if (!streaming || failed()) return;
    const c0 = source.toXyzi(raw);
    const c = c0.ok && (range.min > 0 || range.max < Infinity) ? { ...c0, value: inRange(c0.value.data, range) } : c0;
    if (!c.ok) {
      stats.rejected++;
      o.logger?.warn({ sensor: o.id, topic: source.topic, err: c.error.message }, 'topic lidar: cloud refused');
      return;
    }
    if (pending >= maxPending) {
      stats.dropped++;
      return;
    }
    const t_ms = clock.now();
    const pose = o.pose?.pose();
    const frameId = seq % 65536;
    const key = `${o.keyPrefix}/${o.vehicle}/${o.id}/${String(seq++).padStart(6, '0')}.xyzi`;
    pending++;
    clock.notifyAsync();
    void o.blobs.put(key, c.value.data, SCAN_XYZI_MEDIA_TYPE).then(
      (r) => {
        pending--;
        if (disposed) return;
        if (!r.ok) {
          lastStorageError = r.error.message;
          stats.dropped++;
          return;
        }
        lastStorageError = undefined;
        stats.stored++;
        emit({
          sensor: o.id,
          t_ms: clock.now(),
          type: 'scan',
          scan: {
            vehicle: o.vehicle,
            sensor: o.id,
            frame_id: frameId,
            t_ms,
            ...(pose ? { pose: { position: pose.position, attitude_deg: pose.attitude_deg } } : {}),
            points: c.value.count,
            missing_columns: 0,
            blob_key: r.value.key,
            bytes: r.value.bytes,
          },
        });
      },
      (error: unknown) => {
        pending--;
        lastStorageError = String(error);
        stats.dropped++;
      },
    );
  }

  function inRange(data: Uint8Array, r: { min: number; max: number }) {
    const f = new Float32Array(data.buffer, data.byteOffset, data.byteLength / 4);
    const out = new Float32Array(f.length);
    let k = 0;
    for (let i = 0; i < f.length; i += 4) {
      const d = Math.hypot(f[i]!, f[i + 1]!, f[i + 2]!);
      if (d < r.min || d > r.max) continue;
      out.set(f.subarray(i, i + 4), k);
      k += 4;
    }
    return { data: new Uint8Array(out.buffer, 0, k * 4), count: k / 4 };
  }

  function health(): SensorHealth {
    const t_ms = clock.now();
    let state: SensorHealth['state'] = 'ok';
    const notes: string[] = [];
    if (!info || disposed) state = 'offline';
    else if (failed()) state = 'failed';
    else if (streaming && !link.linkUp) {
      state = 'degraded';
      notes.push(`no clouds on ${source.topic}`);
    } else if (lastStorageError) {
      state = 'degraded';
      notes.push(`storage: ${lastStorageError}`);
    }
    return { t_ms, state, ...(notes.length ? { message: notes.join('; ') } : {}), count: stats.stored, lost: stats.dropped + stats.rejected };
  }

  return {
    id: o.id,
    vehicle: o.vehicle,
    kind: 'lidar',
    stats: () => ({ ...stats }),
    async connect(): Promise<SensorResult<SensorInfo>> {
      if (disposed) return fail('SENSOR.DISPOSED', 'port disposed');
      if (info) return ok(info);
      const r = await source.subscribe(onCloud);
      if (!r.ok) return fail('SENSOR.NO_LINK', `${source.topic}: ${r.error.code}: ${r.error.message}`);
      unsub = r.value;
      info = { id: o.id, vehicle: o.vehicle, kind: 'lidar', model: o.model, vendor: `${source.label} ${source.topic}`, lidar, ...(o.mount_deg ? { mount_deg: o.mount_deg } : {}) };
      link.startHealth(health);
      return ok(info);
    },
    info: () => info,
    /** `min_range_m` / `max_range_m` filter the stored points; anything else is the driver's business. */
    async configure(settings: SensorSettings): Promise<SensorResult> {
      if (disposed) return disposedFail();
      const next = { ...range };
      for (const [k, v] of Object.entries(settings)) {
        if (k !== 'min_range_m' && k !== 'max_range_m') return fail('SENSOR.UNSUPPORTED', `a ${source.label} LiDAR topic is ${source.settingsHint} (${k})`);
        if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return fail('SENSOR.INVALID', `${k} must be a non-negative number of metres`);
        if (k === 'min_range_m') next.min = v;
        else next.max = v;
      }
      if (next.min > next.max) return fail('SENSOR.INVALID', `min_range_m ${next.min} > max_range_m ${next.max}`);
      range = next;
      return okVoid;
    },
    health,
    subscribeEvents: (fn: (e: SensorEvent) => void): Unsubscribe => link.subscribe(fn),
    async injectFault(fault: SensorFault): Promise<SensorResult> {
      if (disposed) return disposedFail();
      link.fault(fault);
      return okVoid;
    },
    async startStreaming(): Promise<SensorResult> {
      if (disposed) return disposedFail();
      if (!info) return fail('SENSOR.NO_LINK', 'not connected');
      if (!streaming) emit({ sensor: o.id, t_ms: clock.now(), type: 'streaming', on: true });
      streaming = true;
      return okVoid;
    },
    async stopStreaming(): Promise<SensorResult> {
      if (disposed) return disposedFail();
      if (streaming) emit({ sensor: o.id, t_ms: clock.now(), type: 'streaming', on: false });
      streaming = false;
      return okVoid;
    },
    async dispose() {
      disposed = true;
      unsub?.();
      link.close();
    },
  };
}
