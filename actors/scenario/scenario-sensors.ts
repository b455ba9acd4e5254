/**
 * The sensor side of a scenario run: hands the declared sensors' ports (built by the backend
 * through the composition root's factory) to the twin, applies their settings, routes sensor
 * faults and `capture` actions to the sensor actors, and gathers what `captures`,
 * `capture_geotag` and `lidar_coverage` judge ({@link SensorJudge}).
 */
import { createHash } from 'node:crypto';
import { after, type Clock, type TimerHandle } from '../../core/clock.js';
import type { LocalFrame } from '../../core/geo.js';
import { ok } from '../../core/result.js';
import type { BlobSink } from '../../hardware/sensor.port.js';
import type { EventLog } from '../event-log.js';
import type { Twin, TwinSensorConfig } from '../twin.js';
import { topics } from '../bus.js';
import type { VehicleBackend } from './backends.js';
import type { SensorFacts } from './expectations.js';
import { toLocal } from './mission-builder.js';
import type { FaultSpec, Scenario } from './scenario.schema.js';
import { SensorJudge } from './sensor-judge.js';
import type { SensorPortFactory } from './sensor-wiring.js';

/**
 * A blob sink that keeps nothing: it measures and hashes the bytes and lets them go. The default
 * of a run given no blob store (the reference still says how big the image was and its SHA-256).
 */
export function discardingBlobSink(): BlobSink {
  return {
    async put(key, data) {
      return ok({ key, bytes: data.byteLength, sha256: createHash('sha256').update(data).digest('hex') });
    },
  };
}

/** LiDAR settings the adapter takes when it is built (mode, UDP source), not through `configure`. */
const BUILD_TIME_KEYS = new Set(['lidar_mode', 'udp_host', 'lidar_port', 'metadata', 'metadata_url']);

export class ScenarioSensors {
  readonly judge: SensorJudge;
  readonly declared: boolean;
  private readonly unsubs: (() => void)[] = [];
  private readonly timers: TimerHandle[] = [];
  private frame: LocalFrame | undefined;

  constructor(
    private readonly scenario: Scenario,
    private readonly options: { readonly sensorFactory?: SensorPortFactory; readonly blobs?: BlobSink },
  ) {
    this.declared = scenario.vehicles.some((v) => v.sensors.length > 0);
    this.judge = new SensorJudge({
      frame: () => this.frame,
      mount: (vehicle, sensor) => this.spec(vehicle, sensor)?.mount_deg,
    });
  }

  /** What the backend needs to build the sensors' ports. */
  backendContext(): { sensorFactory?: SensorPortFactory; blobs: BlobSink } {
    return {
      ...(this.options.sensorFactory ? { sensorFactory: this.options.sensorFactory } : {}),
      blobs: this.judge.tap(this.options.blobs ?? discardingBlobSink()),
    };
  }

  /** The twin's sensors of one vehicle. */
  twinSensors(backend: VehicleBackend, vehicle: string): TwinSensorConfig[] {
    return (backend.sensors?.get(vehicle) ?? []).map((port) => ({ port }));
  }

  /** Truth samples (simulator or telemetry) and the sensors' references, while the run streams. */
  attach(twin: Twin, backend: VehicleBackend): void {
    if (!this.declared) return;
    const carriers = this.scenario.vehicles.filter((v) => v.sensors.length).map((v) => v.id);
    const world = backend.world;
    if (world) {
      this.judge.truthSource = 'simulator';
      this.unsubs.push(
        world.onTick((now) => {
          for (const id of carriers) {
            const p = world.truePosition(id);
            this.judge.sample(id, now, p.north_m, p.east_m, p.down_m);
          }
        }),
      );
    } else {
      for (const id of carriers)
        this.unsubs.push(
          twin.bus.subscribe(topics.telemetry(id), (t) => {
            const frame = this.frame;
            if (!frame) return;
            const p = frame.toNed(t.position);
            this.judge.sample(id, t.t_ms, p.north_m, p.east_m, p.down_m);
          }),
        );
    }
    for (const v of this.scenario.vehicles)
      for (const s of v.sensors) {
        if (s.kind === 'camera') this.unsubs.push(twin.bus.subscribe(topics.sensorCapture(v.id, s.id), (c) => this.judge.onCapture(c)));
        else this.unsubs.push(twin.bus.subscribe(topics.sensorScan(v.id, s.id), (scan) => this.judge.onScan(scan)));
      }
  }

  /** Once the world frame is known: coverage grids over each surveying vehicle's polygon. */
  connected(frame: LocalFrame): void {
    this.frame = frame;
    for (const e of this.scenario.expect) {
      if (e.kind !== 'lidar_coverage') continue;
      const vehicles = e.vehicle === '*' ? this.scenario.vehicles : this.scenario.vehicles.filter((v) => v.id === e.vehicle);
      for (const v of vehicles) {
        if (v.mission?.type !== 'survey') continue;
        const polygon = v.mission.polygon.map((p) => toLocal(frame, p));
        for (const s of v.sensors) if (s.kind === 'lidar' && (!e.sensor || e.sensor === s.id)) this.judge.watchCoverage(v.id, s.id, polygon, e.cell_m);
      }
    }
  }

  /**
   * Applies each sensor's declared settings once it is ready (waiting on the clock, up to
   * `limit_ms`); returns the problems, as run errors.
   */
  async applySettings(twin: Twin, clock: Clock, limit_ms: number): Promise<string[]> {
    const errors: string[] = [];
    const jobs = this.scenario.vehicles.flatMap((v, i) =>
      v.sensors
        .map((s, k) => ({
          v: v.id,
          s,
          settings: Object.fromEntries(Object.entries(s.settings ?? {}).filter(([key]) => s.kind !== 'lidar' || !BUILD_TIME_KEYS.has(key))),
          path: `vehicles.${i}.sensors.${k}.settings`,
        }))
        .filter((j) => Object.keys(j.settings).length),
    );
    await Promise.all(
      jobs.map(async (j) => {
        const ready = await this.whenReady(twin, clock, j.v, j.s.id, limit_ms);
        if (!ready) return void errors.push(`${j.path}: ${j.v}/${j.s.id} was not ready within ${limit_ms / 1000} s`);
        const r = await twin.configure(j.v, j.s.id, j.settings, `scenario:settings:${j.v}/${j.s.id}`);
        if (!r.ok) errors.push(`${j.path}: ${r.error.code}: ${r.error.message}`);
      }),
    );
    return errors;
  }

  /**
   * A sensor fault for a declared sensor goes to that sensor; returns false for anything else
   * (vehicle faults, and sensor_failure on an undeclared sensor: the simulator's payload fault).
   */
  injectFault(twin: Twin, log: EventLog, clock: Clock, vehicle: string, fault: FaultSpec, cid: string): boolean {
    if (fault.kind !== 'sensor_failure' && fault.kind !== 'sensor_restore') return false;
    if (!this.spec(vehicle, fault.sensor)) return false;
    void twin
      .injectSensorFault(vehicle, fault.sensor, fault.kind === 'sensor_failure' ? { kind: 'sensor_failure', ...(fault.duration_s !== undefined ? { duration_s: fault.duration_s } : {}) } : { kind: 'sensor_restore' }, cid)
      .then((r) => {
        log.append(clock.now(), 'scenario', r.ok ? 'fault' : 'fault.refused', { vehicle, ...fault, ...(r.ok ? {} : { code: r.error.code, reason: r.error.message }) }, cid);
        clock.notifyAsync();
      });
    return true;
  }

  /** A scenario `capture` action: one image now from the named camera (its result goes to the log). */
  capture(twin: Twin, vehicle: string, sensor: string, cid: string): void {
    void twin.capture(vehicle, sensor, cid).then(() => twin.clock.notifyAsync());
  }

  facts(): SensorFacts | undefined {
    if (!this.declared) return undefined;
    const judge = this.judge;
    return {
      ids: (vehicle, kind) => this.scenario.vehicles.find((v) => v.id === vehicle)?.sensors.filter((s) => s.kind === kind).map((s) => s.id) ?? [],
      geotag: (vehicle, sensor) => judge.geotag(vehicle, sensor),
      coverage: (vehicle, sensor, cell_m) => judge.coverage(vehicle, sensor, cell_m),
      truth: judge.truthSource,
    };
  }

  stop(clock: Clock): void {
    for (const u of this.unsubs.splice(0)) u();
    for (const h of this.timers.splice(0)) clock.clearTimeout(h);
  }

  private spec(vehicle: string, sensor: string) {
    return this.scenario.vehicles.find((v) => v.id === vehicle)?.sensors.find((s) => s.id === sensor);
  }

  private whenReady(twin: Twin, clock: Clock, vehicle: string, sensor: string, limit_ms: number): Promise<boolean> {
    const deadline = clock.now() + limit_ms;
    return new Promise((resolve) => {
      const check = () => {
        const state = twin.sensors(vehicle).find((s) => s.sensor === sensor)?.state;
        const settle = (v: boolean) => {
          resolve(v);
          clock.notifyAsync();
        };
        if (state === 'ready' || state === 'streaming') return settle(true);
        if (clock.now() >= deadline) return settle(false);
        this.timers.push(after(clock, 100, check));
      };
      check();
    });
  }
}
