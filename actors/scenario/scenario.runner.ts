/**
 * Runs a scenario: builds the vehicles' backend (simulator now; SITL and real links plug in the
 * same way), the twin on top, schedules missions, faults and operator actions on the clock,
 * runs it, and judges the expectations.
 *
 * @remarks
 * Under the virtual clock the run reads no wall time and draws every random number from the
 * scenario seed, so the same file and seed give the same event log hash in any process.
 */
import { setMaxListeners } from 'node:events';
import { after, VirtualClock, WallClock, type RunnableClock, type TimerHandle } from '../../core/clock.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import { Rng } from '../../core/rng.js';
import type { Geofence } from '../../core/planning/index.js';
import { simBackend, type BackendFactory } from './backends.js';
import type { MissionStatus } from '../../machines/mission.machine.js';
import { EventLog, type EventLogOptions, type LogEntry } from '../event-log.js';
import { createTwin, type InspectionObserver, type Twin } from '../twin.js';
import { topics } from '../bus.js';
import { evaluateExpectations, type ExpectationResult } from './expectations.js';
import { buildGeofence, buildMission, missionLimits, type BuiltMission } from './mission-builder.js';
import { RunTrace } from './run-trace.js';
import { configureVehicles, injectIntoVehicle } from './vehicle-setup.js';
import type { Scenario } from './scenario.schema.js';
import { ScenarioSensors } from './scenario-sensors.js';
import type { SensorPortFactory, SlamPortFactory } from './sensor-wiring.js';
import { buildSlamPorts } from './scenario-slam.js';
import { SlamJudge } from './slam-judge.js';
import type { BlobSink } from '../../hardware/sensor.port.js';
import type { HpcJobMsg } from '../bus.js';
import { ScenarioHpc, type HpcPortProvider } from './scenario-hpc.js';
import { discardingBlobSink } from './scenario-sensors.js';

export { DEFAULT_HOME, simBackend, sitlBackend, linkBackend, type VehicleBackend, type BackendFactory } from './backends.js';
export type { SensorPortFactory, SensorPortRequest } from './sensor-wiring.js';
export type { HpcPortProvider } from './scenario-hpc.js';

/** Default time allowed for every vehicle to answer (PX4 can take 30–40 s to be ready after boot). */
const CONNECT_TIMEOUT_S = 60;
/** Clock time allowed for an abandoned connection attempt to wind down. */
const GIVE_UP_MS = 5_000;
/** Clock time allowed for the vehicles' setup (parameters, geofence) and for restoring missions. */
const SETUP_TIMEOUT_MS = 60_000;
/** Wall-clock runs: clock time allowed for `after_mission.hpc` jobs still running when the run ends. */
const HPC_SETTLE_MS = 600_000;
/** Entry types the expectations read (mission states, failsafes, captures). */
const JUDGED = new Set(['state', 'failsafe', 'port.capture', 'port.capture.lost']);

export interface VehicleOutcome {
  readonly mission: { status: MissionStatus; name: string | null; reason?: string; progress: { current_waypoint: number; total_waypoints: number; percent_complete: number } };
  readonly state: string;
  readonly battery_pct: number | null;
  readonly landed: string | null;
  readonly armed: boolean | null;
  readonly distanceFromHome_m: number | null;
  readonly maxAlt_m: number;
  readonly failsafes: readonly { kind: string; reason: string }[];
}

export interface ScenarioReport {
  readonly scenario: string;
  readonly file?: string;
  readonly passed: boolean;
  readonly seed: number;
  readonly simulatedSeconds: number;
  /** Filled in by the caller, which may read wall time (the runtime does not). */
  wallSeconds?: number;
  readonly eventLogSha256: string;
  readonly events: number;
  readonly vehicles: Record<string, VehicleOutcome>;
  readonly expectations: readonly ExpectationResult[];
  readonly minSeparation_m: number | null;
  readonly errors: readonly string[];
  /** The `after_mission.hpc` jobs, as they ended (absent when none was declared). */
  readonly hpc?: readonly HpcJobMsg[];
}

export interface RunScenarioOptions {
  /** Overrides the scenario's seed. */
  readonly seed?: number;
  /** Sim seconds per wall second; default as fast as possible. */
  readonly speed?: number;
  readonly logger?: Logger;
  readonly file?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (simSeconds: number, totalSeconds: number) => void;
  /** Called once the twin is up, e.g. to attach a live view or a bridge. */
  readonly onTwin?: (twin: Twin) => void;
  /** Keep running after every mission is done (live view). */
  readonly ignoreStopWhenDone?: boolean;
  /** Where the vehicles come from (default: the in-process simulator). */
  readonly backend?: BackendFactory;
  /** Streams actor events to an inspector (see TwinConfig.inspect). */
  readonly inspect?: InspectionObserver;
  /** Runs after the twin started and before the scenario's missions are scheduled (restores). */
  readonly beforeMissions?: (twin: Twin) => void | Promise<void>;
  /** Marks the end of each phase (benchmarks time them; the runtime itself reads no wall time). */
  readonly onPhase?: (phase: 'connected' | 'ran' | 'stopped') => void;
  /**
   * Which time the run lives in: `virtual` (simulation, deterministic; paced when the backend has
   * sockets) or `wall` (real vehicles: time follows the wall clock, scaled by `speed`). Default:
   * the backend factory's own `time`, else virtual.
   */
  readonly time?: 'virtual' | 'wall';
  /**
   * The run's clock, supplied from outside (e.g. `twin start --gz-world`: Gazebo's sim time);
   * it replaces the virtual or wall clock `time` would choose. Default: none.
   */
  readonly clock?: RunnableClock;
  /** The event log's memory window (default: every entry; `twin start` keeps a window, the store gets all). */
  readonly eventLog?: EventLogOptions;
  /** Clock seconds allowed for every vehicle to connect (default 60); past it the run fails. */
  readonly connectTimeout_s?: number;
  /**
   * Builds the ports of the sensors the scenario declares (`vehicles[].sensors`), given what the
   * backend knows of each vehicle; the composition root (cli/compose.ts) supplies it.
   */
  readonly sensorFactory?: SensorPortFactory;
  /** Builds a vehicle's SLAM port over its LiDAR (`vehicles[].slam`); the composition root supplies it. */
  readonly slamFactory?: SlamPortFactory;
  /** Where sensors write images and point clouds, and HPC results go (default: measured and hashed, not kept). */
  readonly blobs?: BlobSink;
  /**
   * The HPC service for `after_mission.hpc` (called once, when the first job starts); the
   * composition root supplies it. Without it such a job fails with HPC.UNAVAILABLE.
   */
  readonly hpc?: HpcPortProvider;
}

export interface ScenarioRun {
  readonly report: ScenarioReport;
  readonly log: EventLog;
  readonly twin: Twin;
}

export async function runScenario(scenario: Scenario, options: RunScenarioOptions = {}): Promise<ScenarioRun> {
  const seed = options.seed ?? scenario.seed;
  const logger = (options.logger ?? silentLogger).child({ scenario: scenario.name, seed });
  const factory = options.backend ?? simBackend;
  const chosenSpeed = options.speed !== undefined && Number.isFinite(options.speed) ? options.speed : undefined;
  // Real vehicles live in wall time (scaled for a SITL faster than real time), never on a paced
  // virtual clock whose now() only moves from timer to timer.
  const clock: RunnableClock = options.clock ?? ((options.time ?? factory.time) === 'wall' ? new WallClock({ startMs: 0, speed: chosenSpeed ?? 1 }) : new VirtualClock());
  const rng = new Rng(seed);
  const hpcJobs = new ScenarioHpc(scenario, options.hpc);
  const sensorBlobs = hpcJobs.wantsScans ? hpcJobs.tap(options.blobs ?? discardingBlobSink()) : options.blobs;
  const sensors = new ScenarioSensors(scenario, { ...(options.sensorFactory ? { sensorFactory: options.sensorFactory } : {}), ...(sensorBlobs ? { blobs: sensorBlobs } : {}) });
  const backend = factory({ scenario, clock, rng, logger, seed, ...(sensors.declared ? sensors.backendContext() : {}) });
  // Sockets live in wall time: a backend with sockets fixes the pace unless the caller chose one.
  const speed = chosenSpeed ?? backend.pace;
  const log = new EventLog(options.eventLog ?? {});
  const errors: string[] = [];
  try {
    await backend.start();
  } catch (error) {
    // The link could not even open (a port in use, no such device): a failed run, with a report.
    await backend.stop().catch(() => {});
    log.append(clock.now(), 'scenario', 'end', { reason: 'backend-failed' });
    const report: ScenarioReport = {
      scenario: scenario.name,
      ...(options.file ? { file: options.file } : {}),
      passed: false,
      seed,
      simulatedSeconds: clock.now() / 1000,
      eventLogSha256: log.sha256(),
      events: log.count,
      vehicles: {},
      expectations: [],
      minSeparation_m: null,
      errors: [`vehicles unavailable: ${(error as Error).message ?? String(error)}`],
    };
    return { report, log, twin: createTwin({ clock, origin: 'home', vehicles: [] }) };
  }

  const slamPorts = buildSlamPorts(scenario, backend, options.slamFactory, logger);
  let fence: Geofence | undefined;
  const fenceCheck = { violation: (p: { north_m: number; east_m: number; alt_m: number }) => fence?.violation(p) };
  const limitsRef: { value?: ReturnType<typeof missionLimits> } = {};
  const twin = createTwin({
    clock,
    origin: scenario.world.origin === 'home' ? 'home' : { lat_deg: scenario.world.origin.lat, lon_deg: scenario.world.origin.lon, alt_m: scenario.world.origin.alt },
    vehicles: scenario.vehicles.map((v) => ({
      id: v.id,
      port: backend.ports.get(v.id)!,
      sensors: sensors.twinSensors(backend, v.id),
      ...(slamPorts.ports.has(v.id) ? { slam: { port: slamPorts.ports.get(v.id)! } } : {}),
      failsafe: {
        linkLossTimeout_ms: v.failsafe.link_loss_timeout_s * 1000,
        geofenceAction: v.failsafe.geofence_action,
        linkRegainedAction: v.failsafe.link_regained_action,
      },
      monitor: { batteryLow_pct: v.failsafe.battery_low_pct, batteryCritical_pct: v.failsafe.battery_critical_pct },
      get missionLimits() {
        return limitsRef.value;
      },
    })),
    fence: scenario.world.geofence ? fenceCheck : undefined,
    logger,
    log,
    ...(options.inspect ? { inspect: options.inspect } : {}),
  });

  const ids = scenario.vehicles.map((v) => v.id);
  // A vehicle that never answered is not the fleet the scenario describes: the run fails, saying which.
  const notConnected = new Map<string, string>();
  const offConnect = log.addSink((e) => {
    if (e.type === 'connect.failed' && ids.includes(e.source)) notConnected.set(e.source, `${String(e.data?.code)}: ${String(e.data?.message)}`);
  });
  // Everything the run schedules on its clock, cancelled when it ends: on the wall clock a timer
  // left behind (a fault due after an early end) is a real one, keeping the process alive.
  const scheduled: TimerHandle[] = [];
  const runEnd = new AbortController();
  const built = new Map<string, BuiltMission>();
  const startedAt = new Map<string, number>();
  // With a bounded log window the expectations read their own journal of the entries they judge.
  const journal: LogEntry[] | undefined = Number.isFinite(log.window) ? [] : undefined;
  if (journal) log.addSink((e) => {
    if (JUDGED.has(e.type)) journal.push(e);
  });
  const trace = new RunTrace(ids, () => fence, scenario.expect.some((e) => e.kind === 'min_separation'));
  for (const id of ids) {
    twin.bus.subscribe(topics.telemetry(id), (t) => {
      const p = twin.latest(id);
      trace.onSample(id, t, p.north_m, p.east_m, p.alt_m);
    });
  }
  errors.push(...(backend.sensorErrors ?? []));
  sensors.attach(twin, backend);
  for (const [vehicle, reason] of slamPorts.unavailable) log.append(clock.now(), 'scenario', 'slam.unavailable', { vehicle, reason });
  const slamJudge = new SlamJudge([...slamPorts.ports.keys()]);
  slamJudge.attach(twin.bus, backend.world);
  hpcJobs.attach({ clock, bus: twin.bus, log, blobs: options.blobs ?? discardingBlobSink(), slam: slamPorts.ports, logger, frame: () => twin.frame() });
  options.onTwin?.(twin);

  // Ports answer on the clock, so the clock must run while they connect.
  const connectTimeout_ms = (options.connectTimeout_s ?? CONNECT_TIMEOUT_S) * 1000;
  const giveUp = new AbortController();
  // Every vehicle's connect (and every scheduled fault, below) listens on these signals: one
  // listener per vehicle by design, so Node's 10-listener leak warning does not apply.
  setMaxListeners(0, giveUp.signal, runEnd.signal);
  const onAbort = () => giveUp.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let connected = false;
  let startError: unknown;
  const starting = twin.start(giveUp.signal).then(
    () => {
      connected = true;
    },
    (error: unknown) => {
      startError = error;
    },
  );
  await clock.run({ stopWhen: () => connected || startError !== undefined, until: clock.now() + connectTimeout_ms, signal: options.signal, speed });
  if (!connected) {
    // A run always ends with a report: a fleet that never connected is a failed run.
    const failedFirst = startError;
    giveUp.abort();
    let settled = false;
    void starting.finally(() => (settled = true));
    await clock.run({ stopWhen: () => settled, until: clock.now() + GIVE_UP_MS, speed });
    const reason =
      failedFirst !== undefined
        ? `vehicles did not connect: ${(failedFirst as Error).message ?? String(failedFirst)}`
        : options.signal?.aborted
          ? 'stopped before the vehicles connected'
          : `vehicles did not connect within ${connectTimeout_ms / 1000} s`;
    errors.push(reason);
    log.append(clock.now(), 'scenario', 'end', { reason: 'not-connected' });
    return finish([]);
  }
  options.signal?.removeEventListener('abort', onAbort);
  await starting;
  offConnect();
  for (const [id, why] of notConnected) errors.push(`vehicles.${id}: did not connect: ${why}`);
  options.onPhase?.('connected');
  const frame = twin.frame();
  const fenceResult = buildGeofence(frame, scenario);
  if (!fenceResult.ok) errors.push(fenceResult.error.message);
  else fence = fenceResult.value;
  limitsRef.value = missionLimits(frame, scenario);
  sensors.connected(frame);
  // Each vehicle's home as it reports it, also one that arrives (or moves) after connect (F11).
  for (const id of ids) trace.followHome(id, twin.port(id), (h) => frame.toLocal(h.lat_deg, h.lon_deg), runEnd.signal);

  // Promises settled by ports answer on the clock: keep it running while we wait for them.
  const onClock = async <T>(work: Promise<T>, limit_ms: number): Promise<T | undefined> => {
    let done = false;
    let value: T | undefined;
    const settled = work.then(
      (v) => {
        value = v;
        done = true;
      },
      (error: unknown) => {
        done = true;
        throw error;
      },
    );
    await clock.run({ stopWhen: () => done, until: clock.now() + limit_ms, signal: options.signal, speed });
    if (done) await settled;
    return value;
  };

  // Vehicles outside the process (MAVLink autopilots) get the scenario's parameters and geofence
  // before any mission; the simulator took them into its physics already.
  if (!backend.world) {
    const failures = await onClock(configureVehicles({ scenario, frame, ports: backend.ports, log, now: () => clock.now(), signal: options.signal }), SETUP_TIMEOUT_MS);
    if (failures === undefined) errors.push(`vehicle setup (parameters, geofence) did not finish within ${SETUP_TIMEOUT_MS / 1000} s`);
    else errors.push(...failures);
  }

  if (options.beforeMissions) await onClock(Promise.resolve(options.beforeMissions(twin)), SETUP_TIMEOUT_MS);
  if (sensors.declared) {
    const problems = await onClock(sensors.applySettings(twin, clock, SETUP_TIMEOUT_MS), SETUP_TIMEOUT_MS + 1_000);
    errors.push(...(problems ?? ['sensor settings were not applied in time']));
  }

  // Missions, faults and operator actions, each at its sim time.
  scenario.vehicles.forEach((v, i) => {
    if (!v.mission) return;
    const r = buildMission(frame, v.id, v.mission, `vehicles.${i}.mission`);
    if (!r.ok) {
      errors.push(r.error.message);
      return;
    }
    built.set(v.id, r.value);
    scheduled.push(after(clock, v.mission.start_at_s * 1000, () => {
      startedAt.set(v.id, clock.now());
      if (twin.missionStatus(v.id) !== 'IDLE') {
        // Restored from a previous session: the vehicle is already on it.
        log.append(clock.now(), 'scenario', 'mission.skipped', { vehicle: v.id, status: twin.missionStatus(v.id) });
        return;
      }
      const m = twin.mission(v.id);
      m.load(r.value.mission, `scenario:mission:${v.id}`);
      m.start(`scenario:mission:${v.id}`);
    }));
  });
  scenario.faults.forEach((f, i) => {
    scheduled.push(after(clock, f.at_s * 1000, () => {
      // A real vehicle takes the fault itself (PX4 failure injection, a silenced link); its answer is logged when it comes.
      if (sensors.injectFault(twin, log, clock, f.vehicle, f.fault, `scenario:fault:${i}`)) return;
      if (f.fault.kind === 'slam_degraded') {
        if (!twin.degradeSlam(f.vehicle, f.fault.duration_s * 1000, `scenario:fault:${i}`))
          log.append(clock.now(), 'scenario', 'fault.unsupported', { vehicle: f.vehicle, ...f.fault, reason: `no SLAM running on ${f.vehicle}` }, `scenario:fault:${i}`);
        return;
      }
      if (f.fault.kind === 'sensor_restore') {
        log.append(clock.now(), 'scenario', 'fault.unsupported', { vehicle: f.vehicle, ...f.fault, reason: `no sensor ${f.fault.sensor} declared` }, `scenario:fault:${i}`);
        return;
      }
      const fault = f.fault;
      const port = backend.ports.get(f.vehicle);
      if (!backend.world && port && injectIntoVehicle(port, fault, log, () => clock.now(), `scenario:fault:${i}`, () => clock.notifyAsync(), runEnd.signal)) return;
      const r = backend.injectFault(f.vehicle, fault);
      log.append(clock.now(), 'scenario', r.ok ? 'fault' : 'fault.unsupported', { vehicle: f.vehicle, ...fault, ...(r.ok ? {} : { reason: r.reason }) }, `scenario:fault:${i}`);
    }));
  });
  scenario.actions.forEach((a, i) => {
    scheduled.push(after(clock, a.at_s * 1000, () => {
      const cid = `scenario:action:${i}`;
      const m = twin.mission(a.vehicle);
      switch (a.action) {
        case 'pause':
          return m.pause(cid);
        case 'resume':
          return m.resume(cid);
        case 'abort':
          return m.abort('aborted by scenario action', cid);
        case 'capture':
          return sensors.capture(twin, a.vehicle, a.sensor!, cid);
        default:
          return twin.command(a.vehicle, { kind: a.action }, cid);
      }
    }));
  });

  const terminal = new Set<MissionStatus>(['COMPLETED', 'ABORTED', 'FAILED']);
  const lastStart = Math.max(0, ...scenario.vehicles.map((v) => (v.mission ? v.mission.start_at_s * 1000 : 0)));
  const done = () => {
    if (options.ignoreStopWhenDone || !scenario.stop_when_done || clock.now() < lastStart) return false;
    return ids.every((id) => {
      if (built.has(id) && !terminal.has(twin.missionStatus(id))) return false;
      const t = twin.latest(id).telemetry;
      return !t || (!t.armed && t.landed === 'on_ground');
    });
  };
  const total_s = scenario.duration_s;
  await clock.run({
    until: total_s * 1000,
    stopWhen: done,
    speed,
    signal: options.signal,
    onProgress: options.onProgress ? (t) => options.onProgress!(t / 1000, total_s) : undefined,
  });
  // Jobs still running at the end (wall clock: the hold is a no-op) finish before judging.
  if (hpcJobs.declared && (await onClock(hpcJobs.settled().then(() => true), HPC_SETTLE_MS)) === undefined) errors.push(`after_mission.hpc: jobs did not finish within ${HPC_SETTLE_MS / 1000} s`);
  options.onPhase?.('ran');
  log.append(clock.now(), 'scenario', 'end', { reason: done() ? 'done' : clock.now() >= total_s * 1000 ? 'duration' : 'stopped' });

  return finish(evaluateExpectations(scenario.expect, {
    vehicleIds: ids,
    trace,
    log: journal ? journal : log.entries,
    missions: missionsNow(),
    failsafes: new Map(ids.map((id) => [id, twin.vehicleContext(id).failsafes])),
    plannedCaptures: new Map([...built].map(([id, b]) => [id, b.plannedCaptures])),
    end_ms: clock.now(),
    ...(sensors.facts() ? { sensors: sensors.facts()! } : {}),
    ...(scenario.vehicles.some((v) => v.slam)
      ? { slam: { hasTruth: slamJudge.hasTruth, unavailable: (v: string) => slamPorts.unavailable.get(v), drift: (v: string) => slamJudge.drift(v) } }
      : {}),
    ...(hpcJobs.declared
      ? { hpc: { declared: (v: string) => scenario.vehicles.some((x) => x.id === v && x.after_mission?.hpc), outcome: (v: string) => hpcJobs.outcomes.find((o) => o.vehicle === v) } }
      : {}),
  }));

  function missionsNow() {
    return new Map(ids.map((id) => [id, { status: twin.missionStatus(id), context: twin.mission(id).context(), startedAt_ms: startedAt.get(id) }]));
  }

  /** Stops the twin and the backend and writes the report (also for a run that never connected). */
  async function finish(expectations: readonly ExpectationResult[]): Promise<ScenarioRun> {
    // The run is over: nothing it scheduled may fire, no late answer may reach its log.
    runEnd.abort();
    for (const h of scheduled.splice(0)) clock.clearTimeout(h);
    sensors.stop(clock);
    slamJudge.detach();
    hpcJobs.detach();
    offConnect();
    const vehicles: Record<string, VehicleOutcome> = {};
    const missions = missionsNow();
    for (const id of ids) {
      const m = missions.get(id)!;
      const tr = trace.vehicles.get(id)!;
      const t = tr.last;
      vehicles[id] = {
        mission: { status: m.status, name: m.context.mission?.name ?? null, ...(m.context.reason ? { reason: m.context.reason } : {}), progress: m.context.progress },
        state: twin.vehicleState(id),
        battery_pct: t ? round(t.battery.remaining_pct, 2) : null,
        landed: t?.landed ?? null,
        armed: t?.armed ?? null,
        distanceFromHome_m: t && tr.home ? round(Math.hypot(tr.north_m - tr.home.north_m, tr.east_m - tr.home.east_m), 2) : null,
        maxAlt_m: round(tr.maxAlt_m, 2),
        failsafes: failsafesOf(id).map((f) => ({ kind: f.kind, reason: f.reason })),
      };
    }
    await twin.stop();
    await backend.stop();
    // Everything on the run's clock has stopped; a wall-clock timer still pending is a leak (it
    // would hold the process and fire into torn-down ports): say so, and cancel it.
    if (clock instanceof WallClock && clock.pending > 0) logger.warn({ timers: clock.cancelAll() }, 'run clock: timers left after the vehicles stopped were cancelled');
    options.onPhase?.('stopped');

    const report: ScenarioReport = {
      scenario: scenario.name,
      ...(options.file ? { file: options.file } : {}),
      passed: errors.length === 0 && expectations.every((e) => e.passed),
      seed,
      simulatedSeconds: clock.now() / 1000,
      eventLogSha256: log.sha256(),
      events: log.count,
      vehicles,
      expectations,
      minSeparation_m: trace.separation.min_m === Infinity ? null : round(trace.separation.min_m, 2),
      errors,
      ...(hpcJobs.declared ? { hpc: hpcJobs.outcomes } : {}),
    };
    return { report, log, twin };
  }

  function failsafesOf(id: string) {
    try {
      return twin.vehicleContext(id).failsafes;
    } catch {
      return []; // the vehicle actor never started
    }
  }
}

const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

