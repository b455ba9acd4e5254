/**
 * The simulated camera: a {@link CameraPort} that renders a real image of the scenario world per
 * capture (`camera-render.ts`), encodes it as a geotagged JPEG with a JSON sidecar
 * (`camera-render-jpeg.ts`) and writes both through the {@link BlobSink} it was given.
 *
 * @remarks
 * **Triggers.** The autopilot's trigger (mission capture items, survey trigger distance, through
 * `trigger`), `capture()`, `startInterval()` and `setTriggerDistance()` all take a picture on
 * the injected clock. A trigger sooner than the profile's minimum interval after the last one
 * is refused (`SENSOR.BUSY` to a caller; an automatic trigger is reported as `capture.lost`).
 *
 * **What a `capture` event promises.** Everything in it is decided at trigger time, on the
 * clock, from the seed: the image index, `t_ms`, the geotag (the vehicle's pose then, with
 * seeded GNSS noise), the footprint and the blob key (`<keyPrefix>/<index:6>.jpg`, sidecar
 * `….jpg.json`). The event is emitted at that instant, before the image is rendered; the bytes
 * follow asynchronously (rendering and JPEG encoding take wall time that must not leak into a
 * simulated run's event log). So the same scenario and seed give the same events however fast
 * the machine encodes. The event promises that the image will be stored under `blob_key`, or
 * that a `capture.lost` event with the same index will follow, with the reason (`SENSOR.STORAGE`
 * for a full or unreachable blob store). `capture()` resolves later, once the image is stored,
 * with the same reference plus `bytes` and `sha256`. `dispose()` waits for pending writes.
 * Failures after the trigger (a full blob store) are reported at the trigger's sim time: the
 * camera holds the clock (`Clock.hold`) from the trigger until the image and its sidecar are
 * written or refused, so `capture.lost` and the `degraded` health land at the same place in a
 * simulated run's log however long rendering and storing take (on the wall clock the hold is a
 * no-op). Consumers that index or read announced images wait for the bytes
 * (`store.captures.record`, `blobs.whenStored`).
 *
 * **Faults.** `sensor_failure` makes the camera refuse captures (`SENSOR.FAILED`) and report
 * health `failed` until `sensor_restore` or its duration ends.
 */
import { z } from 'zod';
import type { Clock, ClockHold, TimerHandle } from '../../../core/clock.js';
import { LocalFrame, type GeoPoint } from '../../../core/geo.js';
import { fail, ok, okVoid } from '../../../core/result.js';
import { Rng } from '../../../core/rng.js';
import { cameraProfile, type CameraProfile } from '../../../core/sensors/camera-profiles.js';
import type {
  BlobSink,
  CameraPort,
  CameraTriggerSource,
  CaptureRef,
  SensorEvent,
  SensorFault,
  SensorHealth,
  SensorInfo,
  SensorPose,
  SensorResult,
  SensorSettings,
  Unsubscribe,
  VehiclePoseSource,
} from '../../sensor.port.js';
import type { SensorWorldSpec } from '../world/world-spec.js';
import { CameraRenderer } from './camera-render.js';
import { captureSidecar, encodeCaptureJpeg, type CaptureCameraModel, type CaptureDescription } from './camera-render-jpeg.js';

export interface SimCameraOptions {
  readonly id: string;
  readonly vehicle: string;
  /** Camera profile name (`core/sensors/camera-profiles.ts`), or a profile. */
  readonly model: string | CameraProfile;
  readonly clock: Clock;
  /** The carrying vehicle's true pose (the simulator's truth). */
  readonly pose: VehiclePoseSource;
  /** The autopilot's camera trigger, when the vehicle drives the camera. */
  readonly trigger?: CameraTriggerSource;
  readonly blobs: BlobSink;
  /** Keys are `<keyPrefix>/<index:000000>.jpg`, e.g. `captures/<run>/<vehicle>/<sensor>`. */
  readonly keyPrefix: string;
  readonly seed: number;
  readonly world: SensorWorldSpec;
  /** World origin: local NED of the world spec is relative to it. */
  readonly origin: GeoPoint;
  /** Camera → body rotation, degrees (default nadir: pitch −90). */
  readonly mount_deg?: { readonly roll: number; readonly pitch: number; readonly yaw: number };
  /** Lens, mm: one of the profile's (default its first). */
  readonly focal_length_mm?: number;
  /** Rendered image width, px (default 640; the height keeps the profile's aspect). */
  readonly render_width_px?: number;
  /** JPEG quality 1–100 (default 85). */
  readonly jpeg_quality?: number;
  /** Geotag noise, 1σ: horizontal metres per axis (default 0.3), vertical metres (0.5), attitude degrees (0.2). */
  readonly noise?: { readonly horizontal_m?: number; readonly vertical_m?: number; readonly attitude_deg?: number };
  /** UTC ms of clock time 0 under a virtual clock, for EXIF times (default 2026-01-01T00:00:00Z). */
  readonly epoch_ms?: number;
  /** Captures rendered and stored at once (default 4); later ones wait in order. */
  readonly maxInFlight?: number;
}

const NADIR = { roll: 0, pitch: -90, yaw: 0 } as const;
const DEFAULT_EPOCH_MS = Date.UTC(2026, 0, 1);
const HEALTH_PERIOD_MS = 1000;
const DISTANCE_POLL_MS = 50;

interface Pending {
  readonly ref: CaptureRef;
  readonly truth: SensorPose;
}

/** Creates a simulated camera; `connect()` it before use. */
export function createSimCameraPort(options: SimCameraOptions): CameraPort {
  return new SimCamera(options);
}

class SimCamera implements CameraPort {
  readonly kind = 'camera' as const;
  readonly id: string;
  readonly vehicle: string;
  private readonly profile: CameraProfile;
  private readonly clock: Clock;
  private readonly rng: Rng;
  private readonly frame: LocalFrame;
  private readonly listeners = new Set<(e: SensorEvent) => void>();
  private renderer: CameraRenderer | undefined;
  private settings: { focal_length_mm: number; jpeg_quality: number };
  private connected = false;
  private disposed = false;
  private failedUntil: number | undefined;
  private storageError: string | undefined;
  private nextIndex = 0;
  private lastTriggerT = -Infinity;
  private count = 0;
  private lost = 0;
  private healthTimer: TimerHandle | undefined;
  private intervalTimer: TimerHandle | undefined;
  private distanceTimer: TimerHandle | undefined;
  private distanceFrom: { n: number; e: number } | undefined;
  private triggerOff: Unsubscribe | undefined;
  private readonly queue: Array<{ job: Pending; done: (r: SensorResult<CaptureRef>) => void; hold: ClockHold | undefined }> = [];
  private running = 0;
  private idle: Array<() => void> = [];

  constructor(private readonly o: SimCameraOptions) {
    this.id = o.id;
    this.vehicle = o.vehicle;
    const profile = typeof o.model === 'string' ? cameraProfile(o.model) : o.model;
    if (!profile) throw new Error(`sim camera '${o.id}': unknown camera profile '${String(o.model)}'`);
    this.profile = profile;
    this.clock = o.clock;
    this.rng = new Rng(o.seed).fork(`camera:${o.vehicle}/${o.id}`);
    this.frame = new LocalFrame(o.origin);
    const focal = o.focal_length_mm ?? profile.focal_lengths_mm[0]!;
    if (!profile.focal_lengths_mm.includes(focal)) throw new Error(`sim camera '${o.id}': no ${focal} mm lens for ${profile.name}`);
    this.settings = { focal_length_mm: focal, jpeg_quality: o.jpeg_quality ?? 85 };
  }

  async connect(): Promise<SensorResult<SensorInfo>> {
    if (this.disposed) return fail('SENSOR.DISPOSED', `camera '${this.id}' is disposed`);
    if (!this.connected) {
      this.connected = true;
      this.renderer = this.makeRenderer();
      this.triggerOff = this.o.trigger?.subscribe(() => this.autoTrigger('autopilot'));
      this.emit({ type: 'link', up: true });
      this.scheduleHealth();
    }
    return ok(this.info()!);
  }

  info(): SensorInfo | undefined {
    if (!this.connected) return undefined;
    const p = this.profile;
    return {
      id: this.id,
      vehicle: this.vehicle,
      kind: 'camera',
      model: p.name,
      vendor: p.vendor,
      firmware: 'sim',
      mount_deg: this.o.mount_deg ?? NADIR,
      camera: {
        resolution_px: p.resolution_px,
        sensor_mm: p.sensor_mm,
        focal_length_mm: this.settings.focal_length_mm,
        min_interval_s: p.min_interval_s,
        media_type: 'image/jpeg',
      },
    };
  }

  async configure(settings: SensorSettings): Promise<SensorResult> {
    const gate = this.gate();
    if (!gate.ok) return gate;
    const schema = z.strictObject({
      focal_length_mm: z.number().refine((f) => this.profile.focal_lengths_mm.includes(f), `one of ${this.profile.focal_lengths_mm.join(', ')} mm`).optional(),
      jpeg_quality: z.number().int().min(1).max(100).optional(),
    });
    const r = schema.safeParse(settings);
    if (!r.success) return fail('SENSOR.INVALID', `camera '${this.id}': ${r.error.issues.map((i) => `${i.path.join('.') || i.message}: ${i.message}`).join('; ')}`);
    const lensChanged = r.data.focal_length_mm !== undefined && r.data.focal_length_mm !== this.settings.focal_length_mm;
    this.settings = { ...this.settings, ...r.data };
    if (lensChanged) this.renderer = this.makeRenderer();
    return okVoid;
  }

  health(): SensorHealth {
    const t = this.clock.now();
    const state = !this.connected || this.disposed ? 'offline' : this.failed() ? 'failed' : this.storageError ? 'degraded' : 'ok';
    const message = state === 'failed' ? 'sensor_failure injected' : state === 'degraded' ? this.storageError : undefined;
    return { t_ms: t, state, ...(message ? { message } : {}), count: this.count, lost: this.lost };
  }

  subscribeEvents(fn: (e: SensorEvent) => void): Unsubscribe {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async injectFault(fault: SensorFault): Promise<SensorResult> {
    if (this.disposed) return fail('SENSOR.DISPOSED', `camera '${this.id}' is disposed`);
    if (fault.kind === 'sensor_failure') {
      // Automatic triggers keep coming (the autopilot does not know): each becomes capture.lost.
      this.failedUntil = fault.duration_s === undefined ? Infinity : this.clock.now() + fault.duration_s * 1000;
    } else this.failedUntil = undefined;
    this.emit({ type: 'health', health: this.health() });
    return okVoid;
  }

  async capture(): Promise<SensorResult<CaptureRef>> {
    const r = this.trigger();
    return r.ok ? r.value : r;
  }

  async startInterval(interval_s: number, count = 0): Promise<SensorResult> {
    const gate = this.gate();
    if (!gate.ok) return gate;
    const min = this.profile.min_interval_s;
    if (!Number.isFinite(interval_s) || interval_s < min - 1e-9)
      return fail('SENSOR.INVALID', `camera '${this.id}': interval ${interval_s} s is below the ${this.profile.name} minimum of ${min.toFixed(3)} s`);
    if (!Number.isInteger(count) || count < 0) return fail('SENSOR.INVALID', `camera '${this.id}': count must be a whole number ≥ 0`);
    this.stopInterval();
    let left = count === 0 ? Infinity : count;
    const tick = () => {
      this.intervalTimer = undefined;
      this.autoTrigger('interval');
      if (--left > 0 && !this.disposed) this.intervalTimer = this.clock.setTimeout(tick, interval_s * 1000);
    };
    tick();
    return okVoid;
  }

  async setTriggerDistance(distance_m: number): Promise<SensorResult> {
    const gate = this.gate();
    if (!gate.ok) return gate;
    if (!Number.isFinite(distance_m) || distance_m < 0) return fail('SENSOR.INVALID', `camera '${this.id}': trigger distance must be ≥ 0 m`);
    this.stopDistance();
    if (distance_m === 0) return okVoid;
    this.distanceFrom = undefined;
    const poll = () => {
      this.distanceTimer = this.clock.setTimeout(poll, DISTANCE_POLL_MS);
      const p = this.o.pose.pose();
      if (!p) return;
      const { north_m: n, east_m: e } = this.frame.toLocal(p.position.lat_deg, p.position.lon_deg);
      if (this.distanceFrom === undefined || Math.hypot(n - this.distanceFrom.n, e - this.distanceFrom.e) >= distance_m) {
        this.distanceFrom = { n, e };
        this.autoTrigger('distance');
      }
    };
    poll();
    return okVoid;
  }

  async stopCapture(): Promise<SensorResult> {
    if (this.disposed) return fail('SENSOR.DISPOSED', `camera '${this.id}' is disposed`);
    this.stopAuto();
    return okVoid;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.stopAuto();
    this.clock.clearTimeout(this.healthTimer);
    this.triggerOff?.();
    const wasConnected = this.connected;
    if (wasConnected) this.emit({ type: 'link', up: false });
    this.disposed = true;
    this.listeners.clear();
    // Pending images are still written: a capture already announced is kept if it can be.
    if (this.running > 0 || this.queue.length > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  // ---------------------------------------------------------------------------------------------

  private makeRenderer(): CameraRenderer {
    const p = this.profile;
    const W = Math.max(16, Math.round(this.o.render_width_px ?? 640));
    const H = Math.max(16, Math.round((W * p.resolution_px.height) / p.resolution_px.width));
    const focal_px = (this.settings.focal_length_mm / p.sensor_mm.width) * W;
    return new CameraRenderer(this.o.world, this.o.origin, { width_px: W, height_px: H, focal_px, mount_deg: this.o.mount_deg ?? NADIR }, this.o.seed);
  }

  private failed(): boolean {
    return this.failedUntil !== undefined && this.clock.now() < this.failedUntil;
  }

  private gate(): SensorResult {
    if (this.disposed) return fail('SENSOR.DISPOSED', `camera '${this.id}' is disposed`);
    if (!this.connected) return fail('SENSOR.NO_LINK', `camera '${this.id}' is not connected`);
    if (this.failed()) return fail('SENSOR.FAILED', `camera '${this.id}' has failed`);
    return okVoid;
  }

  /**
   * Decides a capture now (index, time, geotag, key), announces it, and queues its rendering.
   * Returns the promise of the stored reference.
   */
  private trigger(): SensorResult<Promise<SensorResult<CaptureRef>>> {
    const gate = this.gate();
    if (!gate.ok) return gate;
    const t = this.clock.now();
    const minMs = this.profile.min_interval_s * 1000;
    if (t - this.lastTriggerT < minMs - 1e-6)
      return fail('SENSOR.BUSY', `camera '${this.id}': ${(t - this.lastTriggerT).toFixed(0)} ms since the last capture, the minimum is ${minMs.toFixed(0)} ms`);
    const truth = this.o.pose.pose();
    if (!truth) return fail('SENSOR.DENIED', `camera '${this.id}': no position fix yet, cannot geotag`);
    this.lastTriggerT = t;
    const index = this.nextIndex++;
    const geotag = this.noisy(truth);
    const key = `${this.o.keyPrefix.replace(/\/+$/, '')}/${String(index).padStart(6, '0')}.jpg`;
    const footprint = this.renderer!.footprint(geotag);
    const ref: CaptureRef = {
      vehicle: this.vehicle,
      sensor: this.id,
      index,
      t_ms: t,
      pose: geotag,
      blob_key: key,
      media_type: 'image/jpeg',
      ...(footprint ? { footprint } : {}),
    };
    this.count++;
    this.emit({ type: 'capture', capture: ref });
    // Sim time waits here until the bytes are stored or refused (see the file's remarks).
    const hold = this.clock.hold?.(`camera ${this.vehicle}/${this.id} capture ${index}`);
    return ok(new Promise<SensorResult<CaptureRef>>((done) => {
      this.queue.push({ job: { ref, truth: { position: truth.position, attitude_deg: truth.attitude_deg } }, done, hold });
      this.pump();
    }));
  }

  /** A trigger nobody awaits (autopilot, interval, distance): a refusal is a lost capture. */
  private autoTrigger(source: string): void {
    if (this.disposed || !this.connected) return;
    const r = this.trigger();
    if (r.ok) return void r.value;
    if (r.error.code === 'SENSOR.DISPOSED' || r.error.code === 'SENSOR.NO_LINK') return;
    // The image this trigger should have made: its index is used up, so counts stay honest.
    const index = this.nextIndex++;
    this.lost++;
    this.emit({ type: 'capture.lost', index, reason: `${r.error.code}: ${source} trigger refused: ${r.error.message}` });
  }

  /** The geotag: the true pose plus seeded noise (always six draws, so streams stay aligned). */
  private noisy(p: SensorPose): SensorPose {
    const n = this.o.noise ?? {};
    const h = n.horizontal_m ?? 0.3, v = n.vertical_m ?? 0.5, a = n.attitude_deg ?? 0.2;
    const dn = this.rng.gaussian(0, h), de = this.rng.gaussian(0, h), dz = this.rng.gaussian(0, v);
    const ar = this.rng.gaussian(0, a), ap = this.rng.gaussian(0, a), ay = this.rng.gaussian(0, a);
    const local = this.frame.toLocal(p.position.lat_deg, p.position.lon_deg);
    const ll = this.frame.toLatLon(local.north_m + dn, local.east_m + de);
    // Rounded to 1e-9 deg / 1 mm / 1e-3 deg, and never -0 (it would not survive JSON or SQL).
    const round = (x: number, k: number) => Math.round(x * k) / k || 0;
    return {
      position: { lat_deg: round(ll.lat_deg, 1e9), lon_deg: round(ll.lon_deg, 1e9), alt_m: round(p.position.alt_m + dz, 1e3) },
      attitude_deg: {
        roll: round(p.attitude_deg.roll + ar, 1e3),
        pitch: round(p.attitude_deg.pitch + ap, 1e3),
        yaw: round((((p.attitude_deg.yaw + ay) % 360) + 360) % 360, 1e3),
      },
    };
  }

  private pump(): void {
    const max = Math.max(1, this.o.maxInFlight ?? 4);
    while (this.running < max && this.queue.length > 0) {
      const { job, done, hold } = this.queue.shift()!;
      this.running++;
      void this.store(job).then((r) => {
        this.running--;
        done(r);
        hold?.release();
        this.clock.notifyAsync();
        this.pump();
        if (this.running === 0 && this.queue.length === 0) for (const f of this.idle.splice(0)) f();
      });
    }
  }

  /** Renders from the true pose, encodes with the geotag, writes image then sidecar. */
  private async store({ ref, truth }: Pending): Promise<SensorResult<CaptureRef>> {
    const key = ref.blob_key!;
    const cam: CaptureCameraModel = {
      profile: this.profile.name,
      vendor: this.profile.vendor,
      model: this.profile.model,
      resolution_px: this.profile.resolution_px,
      sensor_mm: this.profile.sensor_mm,
      focal_length_mm: this.settings.focal_length_mm,
      file_format: this.profile.file_format,
      mount_deg: this.o.mount_deg ?? NADIR,
    };
    const epoch = this.clock.kind === 'wall' ? 0 : (this.o.epoch_ms ?? DEFAULT_EPOCH_MS);
    const desc: CaptureDescription = {
      vehicle: ref.vehicle,
      sensor: ref.sensor,
      index: ref.index,
      t_ms: ref.t_ms,
      time_utc: new Date(epoch + ref.t_ms).toISOString(),
      pose: ref.pose,
      camera: cam,
      ...(ref.footprint ? { footprint: ref.footprint } : {}),
      blob_key: key,
      media_type: 'image/jpeg',
    };
    let jpeg: Uint8Array;
    let sidecar: Uint8Array;
    try {
      const frame = this.renderer!.render(truth);
      sidecar = captureSidecar(desc, frame);
      jpeg = await encodeCaptureJpeg(frame, desc, this.settings.jpeg_quality);
    } catch (error) {
      return this.lose(ref.index, 'SENSOR.FAILED', `render/encode failed: ${(error as Error).message}`);
    }
    const put = await this.o.blobs.put(key, jpeg, 'image/jpeg');
    if (!put.ok) return this.lose(ref.index, 'SENSOR.STORAGE', put.error.message);
    const side = await this.o.blobs.put(`${key}.json`, sidecar, 'application/json');
    if (!side.ok) return this.lose(ref.index, 'SENSOR.STORAGE', `sidecar: ${side.error.message}`);
    if (this.storageError) {
      this.storageError = undefined;
      if (!this.disposed) this.emit({ type: 'health', health: this.health() });
    }
    return ok({ ...ref, bytes: put.value.bytes, sha256: put.value.sha256 });
  }

  private lose(index: number, code: 'SENSOR.STORAGE' | 'SENSOR.FAILED', message: string): SensorResult<CaptureRef> {
    this.lost++;
    const reason = `${code}: ${message}`;
    if (code === 'SENSOR.STORAGE') this.storageError = `blob store refused capture ${index}: ${message}`;
    if (!this.disposed) {
      this.emit({ type: 'capture.lost', index, reason });
      this.emit({ type: 'health', health: this.health() });
    }
    return fail(code, `camera '${this.id}' capture ${index}: ${message}`, { context: { index } });
  }

  private scheduleHealth(): void {
    this.healthTimer = this.clock.setTimeout(() => {
      if (this.disposed) return;
      this.emit({ type: 'health', health: this.health() });
      this.scheduleHealth();
    }, HEALTH_PERIOD_MS);
  }

  private stopInterval(): void {
    this.clock.clearTimeout(this.intervalTimer);
    this.intervalTimer = undefined;
  }

  private stopDistance(): void {
    this.clock.clearTimeout(this.distanceTimer);
    this.distanceTimer = undefined;
  }

  private stopAuto(): void {
    this.stopInterval();
    this.stopDistance();
  }

  private emit(e: SensorEvent extends infer U ? (U extends unknown ? Omit<U, 'sensor' | 't_ms'> : never) : never): void {
    if (this.disposed) return;
    const event = { sensor: this.id, t_ms: this.clock.now(), ...e } as SensorEvent;
    for (const fn of this.listeners) fn(event);
  }
}
