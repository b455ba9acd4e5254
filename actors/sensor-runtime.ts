/**
 * The sensors of a twin: one supervised sensor actor per camera or LiDAR a vehicle carries, wired
 * to its {@link SensorPort}.
 *
 * @remarks
 * - The sensor machine's named side effects are bound to the port (`sensor-machine-wiring.ts`).
 * - Port events become actor events (`PORT.*`), bus messages with references only
 *   (`/<vehicle>/<sensor>/capture`, `/<vehicle>/<sensor>/scan`) and a few small, deterministic
 *   event-log entries (`port.capture`, `port.capture.lost`, `health` on a change of state);
 *   scans are continuous data and stay off the log.
 * - Health is published at 1 Hz on the clock on `/<vehicle>/<sensor>/health` (read from the
 *   port, stamped with the machine's state).
 * - Supervision is the squad's (machines/squad.machine.ts): a sensor actor that throws is
 *   respawned with backoff; this file only re-starts it (`START`) once respawned.
 *
 * The runtime receives ports; it never constructs adapters (DESIGN: one composition root).
 */
import type { Actor } from 'xstate';
import type { Clock, TimerHandle } from '../core/clock.js';
import { fail, ok, type Result } from '../core/result.js';
import type { Logger } from '../core/logger.js';
import type { CameraPort, LidarPort, SensorEvent, SensorFault, SensorPort, SensorSettings } from '../hardware/sensor.port.js';
import { sensorActorId, vehicleActorId, type ChildSpec } from '../machines/squad.machine.js';
import {
  sensorMachine,
  sensorStateName,
  type SensorContext,
  type SensorEmitted,
  type SensorMachineEvent,
  type SensorRequestResult,
} from '../machines/sensor.machine.js';
import { wireSensorMachine } from './sensor-machine-wiring.js';
import { topics, type Bus } from './bus.js';
import { ChildKindBinding, type ChildEntry } from './internal/child-kind.js';
import type { AppendFn } from './internal/child-watch.js';

/** One sensor a vehicle carries, as the twin is given it. */
export interface TwinSensorConfig {
  readonly port: SensorPort;
  /** First and longest reconnection backoff, clock ms (defaults 1 000 and 30 000). */
  readonly retryBase_ms?: number;
  readonly retryMax_ms?: number;
  /** How long one connection attempt may take, clock ms (default 15 000). */
  readonly connectTimeout_ms?: number;
  /** LiDAR: stream as soon as ready (default true). */
  readonly autoStream?: boolean;
}

/** What an operator (REST, bridge, CLI) sees of one sensor. */
export interface SensorStatus {
  readonly vehicle: string;
  readonly sensor: string;
  readonly kind: SensorPort['kind'];
  readonly model?: string;
  /** The machine's state: offline, initializing, ready, capturing, configuring, startingStream, streaming, stoppingStream, error. */
  readonly state: string;
  readonly health: SensorContext['health'];
  readonly health_message?: string;
  readonly count: number;
  readonly lost: number;
  readonly last_error?: { readonly code: string; readonly message: string };
}

export type SensorRequestErrorCode =
  | 'SENSOR.UNKNOWN' // no such vehicle or sensor
  | 'SENSOR.UNAVAILABLE' // the sensor actor is being restarted by its supervisor
  | 'SENSOR.NO_LINK'
  | 'SENSOR.BUSY'
  | 'SENSOR.DENIED'
  | 'SENSOR.INVALID'
  | 'SENSOR.UNSUPPORTED'
  | 'SENSOR.TIMEOUT'
  | 'SENSOR.STORAGE'
  | 'SENSOR.FAILED'
  | 'SENSOR.DISPOSED';

export type SensorRequestOutcome<T = void> = Result<T, SensorRequestErrorCode>;

/** Health is published and checked once per this many clock ms (the original's 1 Hz). */
export const SENSOR_HEALTH_PERIOD_MS = 1_000;

interface Entry extends ChildEntry<Actor<typeof sensorMachine>> {
  readonly vehicle: string;
  readonly sensor: string;
  readonly config: TwinSensorConfig;
  /** Last health state logged, so the log gets changes only. */
  loggedHealth?: string;
  /** Requests waiting for their `*.result`, by cid. */
  waiting: Map<string, (r: SensorRequestResult) => void>;
}

export interface SensorRuntimeDeps {
  readonly clock: Clock;
  readonly bus: Bus;
  readonly logger: Logger;
  readonly append: AppendFn;
}

/**
 * The sensors of every vehicle: wiring (`logic`), the children to spawn (`children`), port events
 * and health, and the operator requests with results.
 */
export class SensorRuntime {
  private readonly entries: ChildKindBinding<Actor<typeof sensorMachine>, Entry>;
  private healthTimer: TimerHandle | undefined;
  private nextCid = 0;
  private stopped = false;

  constructor(
    private readonly deps: SensorRuntimeDeps,
    vehicles: readonly { readonly id: string; readonly sensors?: readonly TwinSensorConfig[] }[],
  ) {
    this.entries = new ChildKindBinding(deps.append);
    for (const v of vehicles)
      for (const s of v.sensors ?? []) {
        if (s.port.vehicle !== v.id) throw new Error(`twin: sensor ${s.port.id} is carried by ${s.port.vehicle}, not ${v.id}`);
        const key = keyOf(v.id, s.port.id);
        if (this.entries.has(key)) throw new Error(`twin: vehicle ${v.id} has two sensors named ${s.port.id}`);
        this.entries.add(key, { vehicle: v.id, sensor: s.port.id, actorId: sensorActorId(v.id, s.port.id), config: s, subs: [], waiting: new Map() });
      }
  }

  get size(): number {
    return this.entries.size;
  }

  /** The sensor machine with its side effects bound to the ports (sensor-machine-wiring.ts). */
  logic(machine: typeof sensorMachine = sensorMachine) {
    return wireSensorMachine(machine, this.deps.clock, (vehicle, sensor) => this.entries.get(keyOf(vehicle, sensor))?.config.port);
  }

  /** The children the fleet spawns: one sensor actor per sensor, in its vehicle's squad. */
  children(): { spec: ChildSpec; group: string }[] {
    return [...this.entries.values()].map((e) => ({
      group: vehicleActorId(e.vehicle),
      spec: {
        kind: 'sensor' as const,
        id: e.actorId,
        input: {
          vehicleId: e.vehicle,
          sensorId: e.sensor,
          kind: e.config.port.kind,
          ...(e.config.retryBase_ms !== undefined ? { retryBase_ms: e.config.retryBase_ms } : {}),
          ...(e.config.retryMax_ms !== undefined ? { retryMax_ms: e.config.retryMax_ms } : {}),
          ...(e.config.connectTimeout_ms !== undefined ? { connectTimeout_ms: e.config.connectTimeout_ms } : {}),
          ...(e.config.autoStream !== undefined ? { autoStream: e.config.autoStream } : {}),
        },
      },
    }));
  }

  /** Subscribes to every port's events and starts the 1 Hz health. Call once the actors exist. */
  start(): void {
    for (const e of this.entries.values()) e.unsubPort = e.config.port.subscribeEvents((ev) => this.onPortEvent(e, ev));
    if (this.entries.size) this.scheduleHealth();
  }

  /** A sensor actor was (re)spawned: watch it and start it (it connects by itself). */
  spawned(actorId: string, ref: Actor<typeof sensorMachine>): void {
    const e = this.entries.bind(
      actorId,
      ref,
      {
        name: (snap) => sensorStateName(snap.value),
        data: (state, snap) => ({ value: state, ...(state === 'error' && snap.context.lastError ? { code: snap.context.lastError.code } : {}) }),
      },
      (entry) => [ref.on('*', (ev: SensorEmitted) => this.onEmitted(entry, ev))],
    );
    if (e) ref.send({ type: 'START' });
  }

  /** A sensor actor failed: until its restart, requests are answered `SENSOR.UNAVAILABLE`. */
  failed(actorId: string): void {
    const e = this.entries.unbind(actorId);
    if (!e) return;
    for (const [cid, resolve] of e.waiting) resolve({ ok: false, code: 'SENSOR.UNAVAILABLE', message: `sensor actor failed (${cid})` });
    e.waiting.clear();
  }

  has(vehicle: string): boolean {
    for (const e of this.entries.values()) if (e.vehicle === vehicle) return true;
    return false;
  }

  port(vehicle: string, sensor: string): SensorPort | undefined {
    return this.entries.get(keyOf(vehicle, sensor))?.config.port;
  }

  /** Every sensor (or one vehicle's), in declaration order. */
  list(vehicle?: string): SensorStatus[] {
    const out: SensorStatus[] = [];
    for (const e of this.entries.values()) if (vehicle === undefined || e.vehicle === vehicle) out.push(this.statusOf(e));
    return out;
  }

  status(vehicle: string, sensor: string): SensorStatus | undefined {
    const e = this.entries.get(keyOf(vehicle, sensor));
    return e ? this.statusOf(e) : undefined;
  }

  /** Takes one image now (cameras). Resolves with the image index once the camera has it. */
  capture(vehicle: string, sensor: string, cid?: string): Promise<SensorRequestOutcome<{ index: number }>> {
    return this.request(vehicle, sensor, 'capture', (c) => ({ type: 'CAPTURE', cid: c }), cid).then((r) =>
      r.ok ? ok({ index: r.value.index ?? -1 }) : r,
    );
  }

  /** Applies settings (validated by the port against its profile; nothing changes on a refusal). */
  async configure(vehicle: string, sensor: string, settings: SensorSettings, cid?: string): Promise<SensorRequestOutcome> {
    const r = await this.request(vehicle, sensor, 'configure', (c) => ({ type: 'CONFIGURE', settings, cid: c }), cid);
    return r.ok ? ok(undefined) : r;
  }

  /** LiDAR streaming on or off (kept across reconnections). */
  async stream(vehicle: string, sensor: string, on: boolean, cid?: string): Promise<SensorRequestOutcome> {
    const r = await this.request(vehicle, sensor, 'stream', (c) => ({ type: on ? 'STREAM.START' : 'STREAM.STOP', cid: c }), cid);
    return r.ok ? ok(undefined) : r;
  }

  /** Injects a sensor fault through the port (`sensor_failure`, `sensor_restore`); the machine hears of an accepted failure at once. */
  async injectFault(vehicle: string, sensor: string, fault: SensorFault, cid?: string): Promise<SensorRequestOutcome> {
    const e = this.entries.get(keyOf(vehicle, sensor));
    if (!e) return fail('SENSOR.UNKNOWN', `no sensor ${sensor} on ${vehicle}`);
    this.deps.append(e.actorId, 'fault.request', { ...fault }, cid);
    // A port that answers at once settles in a microtask: the virtual clock must let it land now.
    this.deps.clock.notifyAsync();
    const r = await e.config.port.injectFault(fault);
    this.deps.clock.notifyAsync();
    this.deps.append(e.actorId, 'fault.result', r.ok ? { ok: true } : { ok: false, code: r.error.code }, cid);
    if (!r.ok) return r;
    if (fault.kind === 'sensor_failure') e.ref?.send({ type: 'FAULT.FAILURE', reason: `sensor_failure injected${fault.duration_s !== undefined ? ` for ${fault.duration_s} s` : ''}` });
    return ok(undefined);
  }

  stop(): void {
    this.stopped = true;
    this.deps.clock.clearTimeout(this.healthTimer);
    this.healthTimer = undefined;
    this.entries.stop((e) => {
      for (const [, resolve] of e.waiting) resolve({ ok: false, code: 'SENSOR.DISPOSED', message: 'the twin stopped' });
      e.waiting.clear();
    });
  }

  async dispose(): Promise<void> {
    await this.entries.dispose((e) => e.config.port);
  }

  private request(
    vehicle: string,
    sensor: string,
    what: string,
    event: (cid: string) => SensorMachineEvent,
    cid?: string,
  ): Promise<SensorRequestOutcome<SensorRequestResult>> {
    const e = this.entries.get(keyOf(vehicle, sensor));
    if (!e) return Promise.resolve(fail('SENSOR.UNKNOWN', `no sensor ${sensor} on ${vehicle}`));
    const id = cid ?? `sensor:${what}:${++this.nextCid}`;
    this.deps.append(e.actorId, 'request', { type: what }, id);
    if (!e.ref) return Promise.resolve(this.refuse(e, 'SENSOR.UNAVAILABLE', `the sensor actor of ${vehicle}/${sensor} is restarting`, id));
    if (e.waiting.has(id)) return Promise.resolve(this.refuse(e, 'SENSOR.BUSY', `request ${id} is already in progress`, id));
    return new Promise((resolve) => {
      e.waiting.set(id, (r) => {
        this.deps.append(e.actorId, 'request.result', { type: what, ok: r.ok, ...(r.code ? { code: r.code } : {}), ...(r.index !== undefined ? { index: r.index } : {}) }, id);
        resolve(r.ok ? ok(r) : fail((r.code ?? 'SENSOR.FAILED') as SensorRequestErrorCode, r.message ?? ''));
        this.deps.clock.notifyAsync();
      });
      e.ref!.send(event(id));
    });
  }

  private refuse(e: Entry, code: SensorRequestErrorCode, message: string, cid: string): SensorRequestOutcome<never> {
    this.deps.append(e.actorId, 'request.refused', { code }, cid);
    return fail(code, message);
  }

  private onEmitted(e: Entry, ev: SensorEmitted): void {
    switch (ev.type) {
      case 'capture.result':
      case 'configure.result':
      case 'stream.result': {
        if (ev.cid === undefined) return;
        const resolve = e.waiting.get(ev.cid);
        if (!resolve) return;
        e.waiting.delete(ev.cid);
        resolve(ev.result);
        return;
      }
      case 'sensor.error':
        this.deps.append(e.actorId, 'sensor.error', { code: ev.code, message: ev.message, retryIn_ms: ev.retryIn_ms, failures: ev.failures });
        this.deps.logger.warn({ vehicle: e.vehicle, sensor: e.sensor, code: ev.code, message: ev.message, retryIn_ms: ev.retryIn_ms }, 'sensor error; retrying');
        return;
    }
  }

  private onPortEvent(e: Entry, ev: SensorEvent): void {
    const { bus, append } = this.deps;
    const source = `${e.vehicle}/${e.sensor}`;
    switch (ev.type) {
      case 'link':
        append(source, 'port.link', { up: ev.up });
        e.ref?.send({ type: 'PORT.LINK', up: ev.up });
        return;
      case 'health':
        this.noteHealth(e, ev.health.state, ev.health.message);
        return;
      case 'capture': {
        const c = ev.capture;
        append(source, 'port.capture', {
          index: c.index,
          t_ms: c.t_ms,
          lat: c.pose.position.lat_deg,
          lon: c.pose.position.lon_deg,
          alt: c.pose.position.alt_m,
          ...(c.blob_key !== undefined ? { blob_key: c.blob_key } : {}),
          ...(c.bytes !== undefined ? { bytes: c.bytes } : {}),
          ...(c.sha256 !== undefined ? { sha256: c.sha256 } : {}),
          ...(c.file_url !== undefined ? { file_url: c.file_url } : {}),
        });
        e.ref?.send({ type: 'PORT.CAPTURE', index: c.index });
        bus.publish(topics.sensorCapture(e.vehicle, e.sensor), c);
        return;
      }
      case 'capture.lost':
        append(source, 'port.capture.lost', { index: ev.index, reason: ev.reason });
        e.ref?.send({ type: 'PORT.CAPTURE_LOST', index: ev.index, reason: ev.reason });
        return;
      case 'scan':
        e.ref?.send({ type: 'PORT.SCAN', frame_id: ev.scan.frame_id });
        bus.publish(topics.sensorScan(e.vehicle, e.sensor), ev.scan);
        return;
      case 'streaming':
        append(source, 'port.streaming', { on: ev.on });
        e.ref?.send({ type: 'PORT.STREAMING', on: ev.on });
        return;
    }
  }

  /** Logs and forwards a health state only when it changes (the log stays small). */
  private noteHealth(e: Entry, state: SensorContext['health'], message?: string): void {
    if (state === e.loggedHealth) return;
    e.loggedHealth = state;
    this.deps.append(`${e.vehicle}/${e.sensor}`, 'health', { state, ...(message ? { message } : {}) });
    e.ref?.send({ type: 'PORT.HEALTH', state, ...(message ? { message } : {}) });
  }

  private scheduleHealth(): void {
    const { clock } = this.deps;
    // Aligned to whole periods of the clock, so two runs of a scenario tick at the same instants.
    const next = (Math.floor(clock.now() / SENSOR_HEALTH_PERIOD_MS) + 1) * SENSOR_HEALTH_PERIOD_MS;
    this.healthTimer = clock.setTimeout(() => {
      if (this.stopped) return;
      this.healthTick();
      this.scheduleHealth();
    }, next - clock.now());
  }

  private healthTick(): void {
    const { bus, clock } = this.deps;
    for (const e of this.entries.values()) {
      const h = e.config.port.health();
      this.noteHealth(e, h.state, h.message);
      const topic = topics.sensorHealth(e.vehicle, e.sensor);
      if (!bus.hasSubscribers(topic)) continue;
      const snap = e.ref?.getSnapshot();
      bus.publish(topic, {
        ...h,
        t_ms: clock.now(),
        vehicle: e.vehicle,
        sensor: e.sensor,
        kind: e.config.port.kind,
        machine_state: snap ? sensorStateName(snap.value) : 'restarting',
      });
    }
  }

  private statusOf(e: Entry): SensorStatus {
    const snap = e.ref?.getSnapshot();
    const c = snap?.context;
    // Health as the port reports it now; the machine keeps the last state it acted upon.
    const h = e.config.port.health();
    return {
      vehicle: e.vehicle,
      sensor: e.sensor,
      kind: e.config.port.kind,
      ...(c?.model ? { model: c.model } : {}),
      state: snap ? sensorStateName(snap.value) : 'restarting',
      health: h.state,
      ...(h.message ? { health_message: h.message } : {}),
      count: c?.count ?? 0,
      lost: c?.lost ?? 0,
      ...(c?.lastError ? { last_error: c.lastError } : {}),
    };
  }
}

const keyOf = (vehicle: string, sensor: string) => `${vehicle}/${sensor}`;

/** Narrowing helpers for callers holding a {@link SensorPort}. */
export const isCamera = (p: SensorPort): p is CameraPort => p.kind === 'camera';
export const isLidar = (p: SensorPort): p is LidarPort => p.kind === 'lidar';
