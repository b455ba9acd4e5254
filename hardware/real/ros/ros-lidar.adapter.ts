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
    if (!streaming || failed()) return;
    const c = cloudToXyzi(raw);
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
      info = { id: o.id, vehicle: o.vehicle, kind: 'lidar', model: o.model, vendor: `ROS ${o.topic}`, ...(o.mount_deg ? { mount_deg: o.mount_deg } : {}) };
      healthTimer = clock.setTimeout(healthTick, o.healthPeriod_ms ?? 1000);
      return ok(info);
    },
    info: () => info,
    async configure(settings: SensorSettings): Promise<SensorResult> {
      const keys = Object.keys(settings);
      return keys.length === 0 ? okVoid : fail('SENSOR.UNSUPPORTED', `a LiDAR on a ROS topic is configured in its driver (${keys.join(', ')})`);
    },
    health,
    subscribeEvents(fn: (e: SensorEvent) => void): Unsubscribe {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    async injectFault(fault: SensorFault): Promise<SensorResult> {
      if (fault.kind === 'sensor_restore') failedUntil = undefined;
      else failedUntil = clock.now() + (fault.duration_s !== undefined ? fault.duration_s * 1000 : Infinity);
      return okVoid;
    },
    async startStreaming(): Promise<SensorResult> {
      if (!info) return fail('SENSOR.NO_LINK', 'not connected');
      if (!streaming) emit({ sensor: o.id, t_ms: clock.now(), type: 'streaming', on: true });
      streaming = true;
      return okVoid;
    },
    async stopStreaming(): Promise<SensorResult> {
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
