/**
 * The {@link LidarPort} over Ouster packets: from UDP sockets (a real sensor, or the simulator
 * sending real datagrams) or handed in-process (the simulator under the virtual clock).
 *
 * @remarks
 * Packets are assembled into frames ({@link OusterScanAssembler}), converted to points with the
 * metadata's beam geometry, written through the {@link BlobSink} (x,y,z,intensity float32 in the
 * sensor frame, 16 bytes a point), and only then announced as a {@link ScanRef}: the bytes are
 * durable before the reference exists. Writes are serialised; when the sink falls behind by more
 * than `maxPendingWrites` frames, new frames are dropped and counted rather than queued without
 * bound. Health is published every `healthPeriodMs` on the injected clock: packets per second,
 * missing columns, shot-limiting and thermal status from the packet headers.
 *
 * A scan's `t_ms` is the port clock's time when the frame's first packet arrived, and its `pose`
 * the vehicle pose read then (the sensor's own column timestamps stay in the frame, in ns of the
 * sensor's time base, which need not be the port's clock).
 */
import { createSocket, type Socket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { Clock, TimerHandle } from '../../../../core/clock.js';
import { silentLogger, type Logger } from '../../../../core/logger.js';
import { fail, ok, okVoid } from '../../../../core/result.js';
import type {
  BlobSink, LidarPort, SensorEvent, SensorFault, SensorHealth, SensorInfo, SensorPose, SensorResult, SensorSettings, Unsubscribe, VehiclePoseSource,
} from '../../../sensor.port.js';
import { parseOusterMetadata, windowColumns, type OusterSensorInfo } from './ouster-metadata.js';
import { ousterModel } from './ouster-models.js';
import { decodeImuPacket, type ImuPacket } from './ouster-packet-format.js';
import { frameToPoints, type PointFilter } from './ouster-points.js';
import { OusterScanAssembler, type AssemblerStats, type OusterFrame } from './ouster-scan-assembler.js';
import { makeXyzLut, type XyzLut } from './ouster-xyz-lut.js';

/** Media type of a scan blob: PointCloud2-style x,y,z,intensity float32 LE, sensor frame. */
export const SCAN_MEDIA_TYPE = 'application/vnd.overwatch.pointcloud.xyzi-f32';

export type OusterSource =
  | {
      readonly kind: 'udp';
      /** Address to bind (the host's interface the sensor sends to, e.g. 0.0.0.0 or 127.0.0.1). */
      readonly host: string;
      readonly lidar_port: number;
      readonly imu_port?: number;
      /**
       * The metadata: a parsed value, JSON text, `{ url }` or an `http(s)://` string (the sensor's
       * `/api/v1/sensor/metadata`), or a path to the JSON file saved beside a recording.
       */
      readonly metadata: unknown;
    }
  | {
      readonly kind: 'packets';
      readonly subscribe: (fn: (packet: Uint8Array) => void) => Unsubscribe;
      readonly subscribeImu?: (fn: (packet: Uint8Array) => void) => Unsubscribe;
      readonly metadata: unknown;
      /** Called on startStreaming/stopStreaming (a simulator spins only while streamed). */
      readonly start?: () => void;
      readonly stop?: () => void;
    };

export interface OusterLidarPortOptions {
  readonly id: string;
  readonly vehicle: string;
  /** Profile name, e.g. `os1-64`. */
  readonly model: string;
  readonly clock: Clock;
  readonly source: OusterSource;
  readonly blobs: BlobSink;
  /** Blob keys are `<keyPrefix>/<vehicle>/<id>/<seq>-f<frame_id>.xyzi`. */
  readonly keyPrefix: string;
  /** Where the vehicle is, to stamp each scan's pose at the frame's start. */
  readonly pose?: VehiclePoseSource;
  readonly mount_deg?: { readonly roll: number; readonly pitch: number; readonly yaw: number };
  readonly logger?: Logger;
  /** Default 1000 ms. */
  readonly healthPeriodMs?: number;
  /** No packet for this long while streaming: link down (default 1000 ms). */
  readonly linkTimeoutMs?: number;
  /**
   * Frames waiting for the blob sink beyond which new frames are dropped (and counted), default 4.
   * `Infinity` never drops (memory then grows while the sink is slower than the sensor).
   */
  readonly maxPendingWrites?: number;
}

/** Counters beyond {@link SensorHealth}, for tests and dashboards. */
export interface OusterPortStats {
  readonly assembler: AssemblerStats;
  readonly imu_packets: number;
  readonly bad_imu_packets: number;
  readonly scans: number;
  readonly dropped_frames: number;
  readonly storage_failures: number;
  readonly last_imu?: ImuPacket;
}

export interface OusterLidarPort extends LidarPort {
  stats(): OusterPortStats;
  /** The parsed metadata once connected. */
  metadata(): OusterSensorInfo | undefined;
}

const UrlSchema = z.object({ url: z.string().url() });
const SettingsSchema = z.strictObject({
  min_range_m: z.number().finite().min(0).max(1000).optional(),
  max_range_m: z.number().finite().positive().max(2000).optional(),
  intensity: z.enum(['signal', 'reflectivity']).optional(),
});

export function createOusterLidarPort(o: OusterLidarPortOptions): OusterLidarPort {
  const log = o.logger ?? silentLogger;
  const clock = o.clock;
  const period = o.healthPeriodMs ?? 1000;
  const linkTimeout = o.linkTimeoutMs ?? 1000;
  const maxPending = o.maxPendingWrites ?? 4;
  const subs = new Set<(e: SensorEvent) => void>();
  let info: SensorInfo | undefined;
  let meta: OusterSensorInfo | undefined;
  let lut: XyzLut | undefined;
  let assembler: OusterScanAssembler | undefined;
  let filter: PointFilter = {};
  let streaming = false;
  let disposed = false;
  let failed = false;
  let failTimer: TimerHandle | undefined;
  let healthTimer: TimerHandle | undefined;
  let linkUp = false;
  let lastPacketMs = -Infinity;
  let packetsThisPeriod = 0;
  let packetsPerSecond = 0;
  let missingAtLastHealth = 0;
  let shot = 0, thermal = 0;
  let scans = 0, dropped = 0, storageFailures = 0, imuPackets = 0, badImu = 0;
  let lastImu: ImuPacket | undefined;
  let seq = 0;
  let pending = 0;
  let writeChain: Promise<void> = Promise.resolve();
  let lastStorageError: string | undefined;
  const starts = new Map<number, { t_ms: number; pose?: SensorPose }>();
  const unsubs: Unsubscribe[] = [];
  const sockets: Socket[] = [];

  const emit = (e: SensorEvent): void => {
    for (const fn of [...subs]) {
      try {
        fn(e);
      } catch (err) {
        log.error({ err, sensor: o.id }, 'lidar event subscriber threw');
      }
    }
  };

  function health(): SensorHealth {
    const st = assembler?.stats;
    const cpp = meta?.columns_per_packet ?? 16;
    const lost = st && meta ? Math.round(st.missing_columns / cpp) + st.skipped_frames * Math.round(windowColumns(meta) / cpp) : 0;
    let state: SensorHealth['state'] = 'ok';
    const notes: string[] = [`${packetsPerSecond} packets/s`];
    if (!info || disposed) state = 'offline';
    else if (failed) state = 'failed';
    else {
      if (streaming && !linkUp) { state = 'degraded'; notes.push('no packets'); }
      if (shot > 0) { state = 'degraded'; notes.push(`shot limiting ${shot}`); }
      if (thermal > 0) { state = 'degraded'; notes.push(`thermal shutdown imminent (${thermal})`); }
      if (lastStorageError) { state = 'degraded'; notes.push(`storage: ${lastStorageError}`); }
      const newMissing = (st?.missing_columns ?? 0) - missingAtLastHealth;
      if (newMissing > 0) notes.push(`${newMissing} columns missing`);
    }
    if (st?.bad_packets) notes.push(`${st.bad_packets} bad packets`);
    if (dropped) notes.push(`${dropped} frames dropped`);
    return { t_ms: clock.now(), state, message: notes.join(', '), count: st?.frames ?? 0, lost };
  }

  function healthTick(): void {
    healthTimer = undefined;
    if (disposed) return;
    packetsPerSecond = Math.round((packetsThisPeriod * 1000) / period);
    packetsThisPeriod = 0;
    if (linkUp && clock.now() - lastPacketMs > linkTimeout) {
      linkUp = false;
      emit({ sensor: o.id, t_ms: clock.now(), type: 'link', up: false });
    }
    const h = health();
    missingAtLastHealth = assembler?.stats.missing_columns ?? 0;
    emit({ sensor: o.id, t_ms: h.t_ms, type: 'health', health: h });
    healthTimer = clock.setTimeout(healthTick, period);
  }

  function onPacket(bytes: Uint8Array): void {
    if (disposed || failed || !assembler || !meta) return;
    const now = clock.now();
    lastPacketMs = now;
    packetsThisPeriod++;
    if (!linkUp) {
      linkUp = true;
      emit({ sensor: o.id, t_ms: now, type: 'link', up: true });
    }
    if (!streaming) return;
    // Remember when (and where) each frame began, for its ScanRef.
    if (bytes.byteLength === assembler.format.lidarPacketSize) {
      const fid = assembler.format.legacy ? bytes[10]! | (bytes[11]! << 8) : bytes[2]! | (bytes[3]! << 8);
      if (!starts.has(fid)) {
        const p = o.pose?.pose();
        starts.set(fid, { t_ms: now, ...(p ? { pose: { position: p.position, attitude_deg: p.attitude_deg } } : {}) });
        if (starts.size > 8) starts.delete(starts.keys().next().value!);
      }
      if (!assembler.format.legacy) {
        shot = bytes[19]! & 0x0f;
        thermal = bytes[18]! & 0x0f;
      }
    }
    assembler.push(bytes);
  }

  function onImu(bytes: Uint8Array): void {
    if (disposed || failed) return;
    const p = decodeImuPacket(bytes);
    if (!p) { badImu++; return; }
    imuPackets++;
    lastImu = p;
  }

  function onFrame(frame: OusterFrame): void {
    const start = starts.get(frame.frame_id);
    starts.delete(frame.frame_id);
    if (!lut || !assembler) return;
    if (pending >= maxPending) {
      dropped++;
      assembler.recycle(frame);
      return;
    }
    const points = frameToPoints(lut, frame, filter);
    const missing = frame.missing_columns;
    const frameId = frame.frame_id;
    assembler.recycle(frame);
    const bytes = new Uint8Array(points.buffer, points.byteOffset, points.byteLength);
    const key = `${o.keyPrefix}/${o.vehicle}/${o.id}/${String(seq++).padStart(6, '0')}-f${frameId}.xyzi`;
    const t_ms = start?.t_ms ?? clock.now();
    pending++;
    // Under the virtual clock: let the write's continuations run before time moves on.
    clock.notifyAsync();
    writeChain = writeChain.then(async () => {
      let r;
      try {
        r = await o.blobs.put(key, bytes, SCAN_MEDIA_TYPE);
      } catch (cause) {
        r = { ok: false as const, error: { code: 'SENSOR.STORAGE', message: String(cause) } };
      }
      pending--;
      if (disposed) return;
      if (!r.ok) {
        storageFailures++;
        lastStorageError = r.error.message;
        log.warn({ sensor: o.id, key, err: r.error }, 'scan not stored');
        return;
      }
      lastStorageError = undefined;
      scans++;
      emit({
        sensor: o.id, t_ms: clock.now(), type: 'scan',
        scan: {
          vehicle: o.vehicle, sensor: o.id, frame_id: frameId, t_ms,
          ...(start?.pose ? { pose: start.pose } : {}),
          points: points.length / 4, missing_columns: missing, blob_key: r.value.key, bytes: r.value.bytes,
        },
      });
    });
  }

  async function loadMetadata(signal?: AbortSignal): Promise<SensorResult<OusterSensorInfo>> {
    let raw = o.source.metadata;
    if (typeof raw === 'string' && /^https?:\/\//.test(raw)) raw = { url: raw };
    else if (typeof raw === 'string' && !raw.trimStart().startsWith('{')) {
      try {
        raw = await readFile(raw, 'utf8');
      } catch (cause) {
        return fail('SENSOR.INVALID', `cannot read metadata file ${raw}: ${String(cause)}`, { cause });
      }
    }
    const url = UrlSchema.safeParse(raw);
    if (url.success) {
      try {
        const res = await fetch(url.data.url, { signal: signal ?? AbortSignal.timeout(5000) });
        if (!res.ok) return fail('SENSOR.NO_LINK', `metadata request answered ${res.status}`);
        raw = await res.text();
      } catch (cause) {
        return fail('SENSOR.NO_LINK', `metadata request failed: ${String(cause)}`, { cause });
      }
    }
    const parsed = parseOusterMetadata(raw);
    if (!parsed.ok) return fail('SENSOR.INVALID', parsed.error.message);
    return ok(parsed.value);
  }

  async function bind(port: number, host: string, fn: (b: Uint8Array) => void): Promise<SensorResult> {
    const s = createSocket({ type: 'udp4', reuseAddr: false });
    try {
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.bind(port, host, () => { s.off('error', reject); resolve(); });
      });
    } catch (cause) {
      s.close();
      return fail('SENSOR.NO_LINK', `cannot bind udp ${host}:${port}: ${String(cause)}`, { cause });
    }
    s.on('message', (msg) => fn(msg));
    s.on('error', (err) => log.warn({ err, sensor: o.id }, 'lidar socket error'));
    // Ouster frames at 2048 columns arrive at 1280 packets/s: give the kernel room.
    try { s.setRecvBufferSize(8 * 1024 * 1024); } catch { /* capped by the OS: fine */ }
    sockets.push(s);
    return okVoid;
  }

  const port: OusterLidarPort = {
    id: o.id,
    vehicle: o.vehicle,
    kind: 'lidar',

    async connect(signal) {
      if (disposed) return fail('SENSOR.DISPOSED', 'port disposed');
      if (info) return ok(info);
      const m = await loadMetadata(signal);
      if (!m.ok) return m;
      meta = m.value;
      lut = makeXyzLut(meta);
      assembler = new OusterScanAssembler(meta, onFrame);
      filter = meta.udp_profile_lidar === 'RNG15_RFL8_NIR8' ? { intensity: 'reflectivity' } : {};
      const src = o.source;
      if (src.kind === 'udp') {
        const a = await bind(src.lidar_port, src.host, onPacket);
        if (!a.ok) return a;
        if (src.imu_port !== undefined) {
          const b = await bind(src.imu_port, src.host, onImu);
          if (!b.ok) { closeSockets(); return b; }
        }
      } else {
        unsubs.push(src.subscribe(onPacket));
        if (src.subscribeImu) unsubs.push(src.subscribeImu(onImu));
      }
      const model = ousterModel(o.model);
      info = {
        id: o.id, vehicle: o.vehicle, kind: 'lidar', model: o.model, vendor: 'Ouster',
        ...(meta.build_rev ? { firmware: meta.build_rev } : {}),
        ...(o.mount_deg ? { mount_deg: o.mount_deg } : {}),
        lidar: {
          beams: meta.pixels_per_column, columns_per_frame: meta.columns_per_frame, frame_rate_hz: meta.frame_rate_hz,
          range_m: model?.range_m ?? { min: 0.3, max: 120 }, profile: meta.udp_profile_lidar,
        },
      };
      healthTimer = clock.setTimeout(healthTick, period);
      return ok(info);
    },

    info: () => info,
    metadata: () => meta,

    async configure(settings: SensorSettings) {
      if (disposed) return fail('SENSOR.DISPOSED', 'port disposed');
      const r = SettingsSchema.safeParse(settings);
      if (!r.success) {
        const unknown = r.error.issues.some((i) => i.code === 'unrecognized_keys');
        return fail(unknown ? 'SENSOR.UNSUPPORTED' : 'SENSOR.INVALID', r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      }
      const next = { ...filter, ...r.data };
      if (next.min_range_m !== undefined && next.max_range_m !== undefined && next.min_range_m >= next.max_range_m) {
        return fail('SENSOR.INVALID', 'min_range_m must be below max_range_m');
      }
      filter = next;
      return okVoid;
    },

    health,

    subscribeEvents(fn) {
      subs.add(fn);
      return () => subs.delete(fn);
    },

    async injectFault(fault: SensorFault) {
      if (disposed) return fail('SENSOR.DISPOSED', 'port disposed');
      clock.clearTimeout(failTimer);
      failTimer = undefined;
      if (fault.kind === 'sensor_failure') {
        failed = true;
        assembler?.flush();
        if (fault.duration_s !== undefined) {
          failTimer = clock.setTimeout(() => { failTimer = undefined; failed = false; emitHealth(); }, fault.duration_s * 1000);
        }
      } else {
        failed = false;
      }
      emitHealth();
      return okVoid;
    },

    async startStreaming() {
      if (disposed) return fail('SENSOR.DISPOSED', 'port disposed');
      if (!info) return fail('SENSOR.NO_LINK', 'not connected');
      if (failed) return fail('SENSOR.FAILED', 'sensor failed');
      if (streaming) return okVoid;
      streaming = true;
      if (o.source.kind === 'packets') o.source.start?.();
      emit({ sensor: o.id, t_ms: clock.now(), type: 'streaming', on: true });
      return okVoid;
    },

    async stopStreaming() {
      if (disposed) return fail('SENSOR.DISPOSED', 'port disposed');
      if (!streaming) return okVoid;
      streaming = false;
      if (o.source.kind === 'packets') o.source.stop?.();
      assembler?.flush();
      emit({ sensor: o.id, t_ms: clock.now(), type: 'streaming', on: false });
      return okVoid;
    },

    async dispose() {
      if (disposed) return;
      if (streaming && o.source.kind === 'packets') o.source.stop?.();
      streaming = false;
      disposed = true;
      clock.clearTimeout(healthTimer);
      clock.clearTimeout(failTimer);
      for (const u of unsubs.splice(0)) u();
      closeSockets();
      await writeChain;
      subs.clear();
    },

    stats: () => ({
      assembler: assembler?.stats ?? new OusterScanAssemblerStatsEmpty(),
      imu_packets: imuPackets, bad_imu_packets: badImu, scans, dropped_frames: dropped, storage_failures: storageFailures,
      ...(lastImu ? { last_imu: lastImu } : {}),
    }),
  };

  function emitHealth(): void {
    const h = health();
    emit({ sensor: o.id, t_ms: h.t_ms, type: 'health', health: h });
  }

  function closeSockets(): void {
    for (const s of sockets.splice(0)) {
      try { s.close(); } catch { /* already closed */ }
    }
  }

  return port;
}

class OusterScanAssemblerStatsEmpty implements AssemblerStats {
  packets = 0; accepted_packets = 0; bad_packets = 0; bad = { size: 0, packet_type: 0, measurement_id: 0, frame_mix: 0 };
  late_packets = 0; duplicate_columns = 0; invalid_columns = 0; frames = 0; missing_columns = 0; skipped_frames = 0; init_id_changes = 0;
}
