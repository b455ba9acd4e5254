/**
 * A LiDAR port fed by a driver on a ROS graph: every sensor_msgs/PointCloud2 on `topic` (an
 * Ouster, Velodyne or Livox driver's points) while streaming becomes a stored scan.
 *
 * @remarks
 * Implements {@link LidarPort} over a {@link RosNode} subscription made at `connect`. Each cloud is
 * validated and repacked (hardware/real/ros/messages/ros-to-twin.mapper.ts: x, y, z, intensity
 * float32, points without a return dropped), written through the {@link BlobSink}
 * (`<keyPrefix>/<vehicle>/<id>/<seq>.xyzi`, the Ouster adapter's layout and media type) and
 * announced as a {@link ScanRef} stamped with the port's clock at arrival (the driver's own stamp
 * is wall time, which a simulated twin does not share). A cloud arriving while `maxPending` writes
 * are in flight is dropped and counted lost. The link is up while clouds arrive, down after
 * `staleAfter_ms` of clock time without one. Bad messages are counted, logged and skipped.
 */
import type { Clock, TimerHandle } from '../../../core/clock.js';
import type { Logger } from '../../../core/logger.js';
import { fail, ok, okVoid } from '../../../core/result.js';
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
} from '../../sensor.port.js';
import { cloudToXyzi } from './messages/ros-to-twin.mapper.js';
import type { RosNode, RosUnsubscribe } from './ros-node.port.js';

/** Media type of stored scans (packed x, y, z, intensity float32 LE), as the Ouster adapter writes them. */
export const ROS_SCAN_MEDIA_TYPE = 'application/vnd.overwatch.pointcloud.xyzi-f32';

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
  const { clock } = o;
  const staleAfter = o.staleAfter_ms ?? 1000;
  const maxPending = o.maxPending ?? 2;
  const listeners = new Set<(e: SensorEvent) => void>();
  const stats = { clouds: 0, rejected: 0, stored: 0, dropped: 0 };
  let info: SensorInfo | undefined;
  let unsub: RosUnsubscribe | undefined;
  let streaming = false;
  let linkUp = false;
  let lastAt = -Infinity;
  let failedUntil: number | undefined;
  let pending = 0;
  let seq = 0;
  let lastStorageError: string | undefined;
  let watch: TimerHandle | undefined;
  let healthTimer: TimerHandle | undefined;
  let disposed = false;
  let lidar: NonNullable<SensorInfo['lidar']> = o.lidar ?? { beams: 1, columns_per_frame: 1, frame_rate_hz: 10, range_m: { min: 0, max: 200 }, profile: 'ros' };
  let learned = o.lidar !== undefined;
  /** Points outside [min, max] m from the sensor are dropped (`configure`). */
  let range = { min: 0, max: Infinity };
  const disposedFail = () => fail('SENSOR.DISPOSED', 'port disposed');

  const emit = (e: SensorEvent) => {
    for (const fn of listeners) {
      try {
        fn(e);
      } catch (error) {
        o.logger?.warn({ sensor: o.id, err: (error as Error).message }, 'ros lidar: listener threw');
      }
    }
  };
  const failed = () => failedUntil !== undefined && clock.now() < failedUntil;
  const setLink = (up: boolean) => {
    if (up === linkUp) return;
    linkUp = up;
    emit({ sensor: o.id, t_ms: clock.now(), type: 'link', up });
  };
  const watchdog = () => {
    watch = undefined;
    if (disposed) return;
    if (clock.now() - lastAt >= staleAfter) setLink(false);
    else watch = clock.setTimeout(watchdog, staleAfter);
  };
  const healthTick = () => {
    if (disposed) return;
    const h = health();
    emit({ sensor: o.id, t_ms: h.t_ms, type: 'health', health: h });
    healthTimer = clock.setTimeout(healthTick, o.healthPeriod_ms ?? 1000);
  };

  function onCloud(raw: unknown): void {
    if (disposed) return;
    stats.clouds++;
    lastAt = clock.now();
    setLink(true);
    watch ??= clock.setTimeout(watchdog, staleAfter);
    if (!learned && info) {
      const r = raw as { height?: unknown; width?: unknown };
      if (typeof r.height === 'number' && typeof r.width === 'number' && r.height > 1) {
        lidar = { ...lidar, beams: r.height, columns_per_frame: r.width };
        info = { ...info, lidar };
      }
      learned = true;
    }
    if (!streaming || failed()) return;
    const c0 = cloudToXyzi(raw);
    const c = c0.ok && (range.min > 0 || range.max < Infinity) ? { ...c0, value: inRange(c0.value.data, range) } : c0;
    if (!c.ok) {
      stats.rejected++;
      o.logger?.warn({ sensor: o.id, topic: o.topic, err: c.error.message }, 'ros lidar: cloud refused');
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
    void o.blobs.put(key, c.value.data, ROS_SCAN_MEDIA_TYPE).then(
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
    else if (streaming && !linkUp) {
      state = 'degraded';
      notes.push(`no clouds on ${o.topic}`);
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
      const r = await o.node.subscribe(o.topic, 'sensor_msgs/PointCloud2', onCloud);
      if (!r.ok) return fail('SENSOR.NO_LINK', `${o.topic}: ${r.error.code}: ${r.error.message}`);
      unsub = r.value;
      info = { id: o.id, vehicle: o.vehicle, kind: 'lidar', model: o.model, vendor: `ROS ${o.topic}`, lidar, ...(o.mount_deg ? { mount_deg: o.mount_deg } : {}) };
      healthTimer = clock.setTimeout(healthTick, o.healthPeriod_ms ?? 1000);
      return ok(info);
    },
    info: () => info,
    /** `min_range_m` / `max_range_m` filter the stored points; anything else is the driver's business. */
    async configure(settings: SensorSettings): Promise<SensorResult> {
      if (disposed) return disposedFail();
      const next = { ...range };
      for (const [k, v] of Object.entries(settings)) {
        if (k !== 'min_range_m' && k !== 'max_range_m') return fail('SENSOR.UNSUPPORTED', `a LiDAR on a ROS topic is configured in its driver (${k})`);
        if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return fail('SENSOR.INVALID', `${k} must be a non-negative number of metres`);
        if (k === 'min_range_m') next.min = v;
        else next.max = v;
      }
      if (next.min > next.max) return fail('SENSOR.INVALID', `min_range_m ${next.min} > max_range_m ${next.max}`);
      range = next;
      return okVoid;
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
      clock.clearTimeout(watch);
      clock.clearTimeout(healthTimer);
      listeners.clear();
    },
  };
}
