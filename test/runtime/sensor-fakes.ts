/**
 * Small, honest sensor ports for runtime tests (until the simulated camera and Ouster land):
 * they keep their promises on the injected clock, write bytes through the BlobSink they are
 * given, emit references, and take the sensor_failure fault as a device would (no answer, link
 * down, health failed) for its duration.
 */
import { createHash } from 'node:crypto';
import type { Clock, TimerHandle } from '../../core/clock.js';
import { fail, ok, okVoid } from '../../core/result.js';
import type {
  BlobSink,
  CameraPort,
  CaptureRef,
  LidarPort,
  SensorEvent,
  SensorFault,
  SensorHealth,
  SensorInfo,
  SensorResult,
  SensorSettings,
  VehiclePoseSource,
} from '../../hardware/sensor.port.js';

export function memorySink(): BlobSink & { readonly blobs: Map<string, Uint8Array> } {
  const blobs = new Map<string, Uint8Array>();
  return {
    blobs,
    async put(key, data) {
      blobs.set(key, data);
      return ok({ key, bytes: data.byteLength, sha256: createHash('sha256').update(data).digest('hex') });
    },
  };
}

interface FakeOptions {
  readonly id: string;
  readonly vehicle: string;
  readonly clock: Clock;
  readonly blobs: BlobSink;
  readonly pose?: VehiclePoseSource;
  /** Clock ms a device call takes (default 50). */
  readonly latency_ms?: number;
}

abstract class FakeBase {
  protected readonly listeners = new Set<(e: SensorEvent) => void>();
  protected connected = false;
  protected failedUntil: number | undefined;
  protected count = 0;
  protected lost = 0;
  protected settings: Record<string, number | string | boolean> = {};
  private restoreTimer: TimerHandle | undefined;
  disposed = false;
  constructor(protected readonly o: FakeOptions) {}
  abstract info(): SensorInfo | undefined;

  get id() {
    return this.o.id;
  }
  get vehicle() {
    return this.o.vehicle;
  }

  protected get failed(): boolean {
    return this.failedUntil !== undefined && this.o.clock.now() < this.failedUntil;
  }

  /** Resolves after the device's latency on the clock. */
  protected later<T>(fn: () => T): Promise<T> {
    return new Promise((resolve) =>
      this.o.clock.setTimeout(() => {
        resolve(fn());
        this.o.clock.notifyAsync();
      }, this.o.latency_ms ?? 50),
    );
  }

  protected emit(e: SensorEvent): void {
    for (const fn of this.listeners) fn(e);
  }

  subscribeEvents(fn: (e: SensorEvent) => void) {
    this.listeners.add(fn);
    return () => void this.listeners.delete(fn);
  }

  connect(): Promise<SensorResult<SensorInfo>> {
    if (this.disposed) return Promise.resolve(fail('SENSOR.DISPOSED', 'disposed'));
    return this.later(() => {
      if (this.failed) return fail('SENSOR.NO_LINK', 'the device does not answer');
      if (!this.connected) {
        this.connected = true;
        this.emit({ sensor: this.id, t_ms: this.o.clock.now(), type: 'link', up: true });
      }
      return ok(this.info()!);
    });
  }

  configure(settings: SensorSettings): Promise<SensorResult> {
    return this.later(() => {
      if (!this.connected || this.failed) return fail('SENSOR.NO_LINK', 'not connected');
      for (const [k, v] of Object.entries(settings)) if (typeof v === 'number' && v < 0) return fail('SENSOR.INVALID', `${k} must be ≥ 0`);
      this.settings = { ...this.settings, ...settings };
      return okVoid;
    });
  }

  health(): SensorHealth {
    return {
      t_ms: this.o.clock.now(),
      state: this.failed ? 'failed' : this.connected ? 'ok' : 'offline',
      ...(this.failed ? { message: 'injected failure' } : {}),
      count: this.count,
      lost: this.lost,
    };
  }

  async injectFault(fault: SensorFault): Promise<SensorResult> {
    const { clock } = this.o;
    clock.clearTimeout(this.restoreTimer);
    if (fault.kind === 'sensor_restore') {
      this.failedUntil = undefined;
      return okVoid;
    }
    this.failedUntil = fault.duration_s === undefined ? Infinity : clock.now() + fault.duration_s * 1000;
    this.connected = false;
    this.onFailure();
    this.emit({ sensor: this.id, t_ms: clock.now(), type: 'link', up: false });
    return okVoid;
  }

  protected onFailure(): void {}

  async dispose(): Promise<void> {
    this.disposed = true;
    this.listeners.clear();
  }
}

export class FakeCamera extends FakeBase implements CameraPort {
  readonly kind = 'camera' as const;
  private index = 0;
  info(): SensorInfo {
    return {
      id: this.id,
      vehicle: this.vehicle,
      kind: 'camera',
      model: 'fake-cam',
      vendor: 'test',
      camera: { resolution_px: { width: 64, height: 48 }, sensor_mm: { width: 13.2, height: 8.8 }, focal_length_mm: 8.8, min_interval_s: 0.5, media_type: 'image/x-test' },
    };
  }

  async capture(): Promise<SensorResult<CaptureRef>> {
    if (!this.connected || this.failed) return fail('SENSOR.NO_LINK', 'not connected');
    const t_ms = this.o.clock.now();
    const pose = this.o.pose?.pose();
    const index = this.index++;
    const bytes = new TextEncoder().encode(`image ${this.vehicle}/${this.id} #${index} at ${t_ms}`);
    await this.later(() => undefined);
    const key = `captures/${this.vehicle}/${this.id}/${String(index).padStart(6, '0')}.bin`;
    const put = await this.o.blobs.put(key, bytes, 'image/x-test');
    if (!put.ok) {
      this.lost++;
      this.emit({ sensor: this.id, t_ms: this.o.clock.now(), type: 'capture.lost', index, reason: put.error.message });
      return fail('SENSOR.STORAGE', put.error.message);
    }
    this.count++;
    const capture: CaptureRef = {
      vehicle: this.vehicle,
      sensor: this.id,
      index,
      t_ms,
      pose: pose ?? { position: { lat_deg: 0, lon_deg: 0, alt_m: 0 }, attitude_deg: { roll: 0, pitch: 0, yaw: 0 } },
      blob_key: put.value.key,
      bytes: put.value.bytes,
      sha256: put.value.sha256,
      media_type: 'image/x-test',
    };
    this.emit({ sensor: this.id, t_ms: this.o.clock.now(), type: 'capture', capture });
    return ok(capture);
  }
  async startInterval(): Promise<SensorResult> {
    return fail('SENSOR.UNSUPPORTED', 'fake camera: no interval capture');
  }
  async setTriggerDistance(): Promise<SensorResult> {
    return fail('SENSOR.UNSUPPORTED', 'fake camera: no trigger distance');
  }
  async stopCapture(): Promise<SensorResult> {
    return okVoid;
  }
}

export class FakeLidar extends FakeBase implements LidarPort {
  readonly kind = 'lidar' as const;
  private timer: TimerHandle | undefined;
  private frame = 0;
  info(): SensorInfo {
    return { id: this.id, vehicle: this.vehicle, kind: 'lidar', model: 'fake-lidar', vendor: 'test', lidar: { beams: 2, columns_per_frame: 4, frame_rate_hz: 10, range_m: { min: 0.5, max: 100 }, profile: 'LEGACY' } };
  }
  startStreaming(): Promise<SensorResult> {
    return this.later(() => {
      if (!this.connected || this.failed) return fail('SENSOR.NO_LINK', 'not connected');
      if (this.timer === undefined) {
        this.emit({ sensor: this.id, t_ms: this.o.clock.now(), type: 'streaming', on: true });
        this.tick();
      }
      return okVoid;
    });
  }
  private tick(): void {
    this.timer = this.o.clock.setTimeout(() => {
      if (this.disposed) return;
      const t_ms = this.o.clock.now();
      const frame_id = this.frame++;
      // Two returns 10 m ahead and below, x,y,z,intensity float32 in the sensor frame.
      const points = new Float32Array([10, 0, -5, 100, 10, 1, -5, 100]);
      const key = `scans/${this.vehicle}/${this.id}/${frame_id}.bin`;
      void this.o.blobs.put(key, new Uint8Array(points.buffer), 'application/octet-stream').then((r) => {
        this.count++;
        this.emit({
          sensor: this.id,
          t_ms,
          type: 'scan',
          scan: { vehicle: this.vehicle, sensor: this.id, frame_id, t_ms, ...(this.o.pose?.pose() ? { pose: this.o.pose.pose() } : {}), points: 2, missing_columns: 0, ...(r.ok ? { blob_key: r.value.key, bytes: r.value.bytes } : {}) },
        });
        this.o.clock.notifyAsync();
      });
      this.tick();
    }, 100);
  }
  protected override onFailure(): void {
    this.o.clock.clearTimeout(this.timer);
    if (this.timer !== undefined) this.emit({ sensor: this.id, t_ms: this.o.clock.now(), type: 'streaming', on: false });
    this.timer = undefined;
  }
  stopStreaming(): Promise<SensorResult> {
    return this.later(() => {
      this.onFailure();
      return okVoid;
    });
  }
  override async dispose(): Promise<void> {
    this.o.clock.clearTimeout(this.timer);
    await super.dispose();
  }
}
