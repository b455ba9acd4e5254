/**
 * `createTwin(config)`: the actor system of one fleet, wired to its vehicle ports.
 *
 * @remarks
 * The twin builds the fleet root actor on the given clock, binds the machines' named side
 * effects to the ports (`provide`), maps port events into actor events, runs the telemetry
 * monitors, publishes telemetry on the bus, and appends every discrete change to the event log.
 * It never reads wall time: under a {@link VirtualClock} a run is reproducible byte for byte.
 *
 * @example
 * const twin = createTwin({ clock, origin, vehicles: [{ id: 'drone1', port }] });
 * await twin.start();
 * twin.mission('drone1').load(mission);
 * twin.mission('drone1').start();
 * await clock.run({ stopWhen: () => twin.missionStatus('drone1') === 'COMPLETED' });
 */
import { createActor, fromPromise, type Actor, type AnyActorRef, type InspectionEvent, type Observer, type Subscription } from 'xstate';

export type InspectionObserver = Observer<InspectionEvent> | ((event: InspectionEvent) => void);
import { waitOnClock, type Clock } from '../core/clock.js';
import { LocalFrame, type GeoPoint } from '../core/geo.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { VehicleEvent, VehiclePort, VehicleResult, VehicleTelemetry } from '../hardware/vehicle.port.js';
import { fleetMachine, missionActorId, vehicleActorId, type FleetEmitted } from '../machines/fleet.machine.js';
import { squadMachine, type SquadEmitted } from '../machines/squad.machine.js';
import { missionMachine, missionStatusMessage, type MissionOpInput, type MissionContext, type MissionEvent, type MissionLimitsData, type MissionStatus } from '../machines/mission.machine.js';
import {
  vehicleMachine,
  type CommandResult,
  type FailsafeConfig,
  type VehicleCommand,
  type VehicleContext,
  type VehicleEmitted,
  type VehicleMachineEvent,
} from '../machines/vehicle.machine.js';
import { Bus, topics } from './bus.js';
import { EventLog } from './event-log.js';
import { DEFAULT_MONITOR, VehicleMonitor, type FenceCheck, type MonitorConfig } from './monitors.js';
import type { Mission } from '../core/mission.js';

export interface TwinVehicleConfig {
  readonly id: string;
  readonly port: VehiclePort;
  readonly failsafe?: Partial<FailsafeConfig>;
  readonly monitor?: Partial<MonitorConfig>;
  readonly missionLimits?: MissionLimitsData;
  /** What ABORT does to the vehicle. Default `rtl`. */
  readonly abortAction?: 'rtl' | 'land' | 'hold';
}

export interface TwinConfig {
  readonly clock: Clock;
  /** The world frame's origin, or `home` for the first vehicle's home once connected. */
  readonly origin: GeoPoint | 'home';
  readonly vehicles: readonly TwinVehicleConfig[];
  /** Checked against every telemetry sample, in the world frame. */
  readonly fence?: FenceCheck;
  readonly logger?: Logger;
  readonly log?: EventLog;
  readonly bus?: Bus;
  readonly restartBase_ms?: number;
  readonly restartMax_ms?: number;
  /** With origin `home`: how long (clock ms) start() waits for a vehicle to report its home. */
  readonly homeTimeout_ms?: number;
  /**
   * Observes every actor event and snapshot (XState's `inspect`), e.g. the Stately inspector's
   * `createWebSocketInspector({ url }).inspect`.
   */
  readonly inspect?: InspectionObserver;
  /** Replace the machines (tests of supervision use a machine that fails on purpose). */
  readonly machines?: { readonly vehicle?: typeof vehicleMachine; readonly mission?: typeof missionMachine };
}

export interface MissionHandle {
  load(mission: Mission | unknown, cid?: string): void;
  start(cid?: string): void;
  pause(cid?: string): void;
  resume(cid?: string): void;
  abort(reason?: string, cid?: string): void;
  status(): MissionStatus;
  context(): MissionContext;
}

export interface Twin {
  readonly clock: Clock;
  readonly bus: Bus;
  readonly log: EventLog;
  readonly fleet: Actor<typeof fleetMachine>;
  readonly vehicleIds: readonly string[];
  /** Connects every port and starts the actors. Resolves once all ports answered. */
  start(signal?: AbortSignal): Promise<void>;
  stop(): Promise<void>;
  /** The world frame (known after start when the origin is `home`). */
  frame(): LocalFrame;
  port(vehicle: string): VehiclePort;
  command(vehicle: string, command: VehicleCommand, cid?: string): void;
  mission(vehicle: string): MissionHandle;
  missionStatus(vehicle: string): MissionStatus;
  /** The vehicle machine's state as a dotted path, e.g. `connected.armed.inAir.mission`. */
  vehicleState(vehicle: string): string;
  vehicleContext(vehicle: string): VehicleContext;
  /**
   * Puts a vehicle's mission actor (IDLE) back into a saved state without commanding the
   * vehicle: a twin restarted while its vehicles fly on. Returns false when the actor is busy.
   */
  restoreMission(vehicle: string, saved: { status: MissionStatus; mission?: Mission; progress: MissionContext['progress']; reached: number; reason?: string }): boolean;
  /** Calls `fn` with a vehicle's mission status and context on every change (persistence). */
  onMissionChange(fn: (vehicle: string, status: MissionStatus, context: MissionContext) => void): () => void;
  /** The last telemetry sample of each vehicle, with its world-frame position. */
  latest(vehicle: string): { telemetry?: VehicleTelemetry; north_m: number; east_m: number; alt_m: number };
}

class CodedError extends Error {
  constructor(readonly code: string, message: string) {
    super(`${code}: ${message}`);
    this.name = 'CodedError';
  }
}

const orThrow = (r: VehicleResult): void => {
  if (!r.ok) throw new CodedError(r.error.code, r.error.message);
};

/** Sends one vehicle command to a port. */
export function dispatchCommand(port: VehiclePort, command: VehicleCommand, signal?: AbortSignal): Promise<VehicleResult> {
  switch (command.kind) {
    case 'arm':
      return port.arm(signal);
    case 'disarm':
      return port.disarm(signal);
    case 'takeoff':
      return port.takeoff(command.alt_m, signal);
    case 'land':
      return port.land(signal);
    case 'rtl':
      return port.returnToLaunch(signal);
    case 'hold':
      return port.hold(signal);
    case 'goto':
      return port.goto({ lat_deg: command.lat_deg, lon_deg: command.lon_deg, alt_m: command.alt_m }, signal);
  }
}

/** Dotted state path of a (possibly parallel) state value, for logs and the bus. */
export function statePath(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => {
        const rest = statePath(v);
        return rest ? `${k}.${rest}` : k;
      })
      .join('|');
  }
  return '';
}

export function createTwin(config: TwinConfig): Twin {
  const { clock } = config;
  const logger = config.logger ?? silentLogger;
  const log = config.log ?? new EventLog();
  const bus = config.bus ?? new Bus((error, topic) => logger.error({ err: error, topic }, 'bus subscriber threw'));
  const ports = new Map(config.vehicles.map((v) => [v.id, v.port]));
  const vcfg = new Map(config.vehicles.map((v) => [v.id, v]));
  let frame: LocalFrame | undefined = config.origin === 'home' ? undefined : new LocalFrame(config.origin);
  const portOf = (id: string): VehiclePort => {
    const port = ports.get(id);
    if (!port) throw new Error(`twin: no vehicle '${id}'`);
    return port;
  };
  const append = (source: string, type: string, data?: Record<string, unknown>, cid?: string) =>
    log.append(clock.now(), source, type, data, cid);

  const vehicleLogic = (config.machines?.vehicle ?? vehicleMachine).provide({
    actors: {
      command: fromPromise<CommandResult, { vehicleId: string; command: VehicleCommand; correlationId?: string }>(
        async ({ input, signal }) => {
          const r = await dispatchCommand(portOf(input.vehicleId), input.command, signal);
          return r.ok ? { ok: true } : { ok: false, code: r.error.code, message: r.error.message };
        },
      ),
    },
  });
  type OpInput = MissionOpInput;
  const missionLogic = (config.machines?.mission ?? missionMachine).provide({
    actors: {
      upload: fromPromise<void, OpInput>(async ({ input, signal }) => {
        orThrow(await portOf(input.vehicleId).uploadMission(input.mission?.items ?? [], signal));
      }),
      launch: fromPromise<void, OpInput>(async ({ input, signal }) => {
        const port = portOf(input.vehicleId);
        if (!port.snapshot()?.armed) {
          orThrow(await port.arm(signal));
          // An ACK is not the state: a MAVLink vehicle confirms arming in its next heartbeat.
          if (!(await whenArmed(port, clock, ARM_CONFIRM_MS, signal)))
            throw new CodedError('VEHICLE.TIMEOUT', `arming accepted but not reported within ${ARM_CONFIRM_MS} ms`);
        }
        orThrow(await port.startMission(signal));
      }),
      pause: fromPromise<void, OpInput>(async ({ input, signal }) => {
        if (input.restored) return;
        orThrow(await portOf(input.vehicleId).hold(signal));
      }),
      resume: fromPromise<void, OpInput>(async ({ input, signal }) => {
        orThrow(await portOf(input.vehicleId).startMission(signal));
      }),
      abort: fromPromise<void, OpInput>(async ({ input, signal }) => {
        if (input.restored) return;
        const action = vcfg.get(input.vehicleId)?.abortAction ?? 'rtl';
        orThrow(await dispatchCommand(portOf(input.vehicleId), { kind: action }, signal));
      }),
    },
  });

  const fleet = createActor(
    fleetMachine.provide({ actors: { squad: squadMachine.provide({ actors: { vehicle: vehicleLogic, mission: missionLogic } }) } }),
    {
      clock,
      input: { restartBase_ms: config.restartBase_ms, restartMax_ms: config.restartMax_ms },
      id: 'fleet',
      ...(config.inspect ? { inspect: config.inspect } : {}),
    },
  );

  // Actor refs by vehicle, refreshed whenever the fleet (re)spawns one: these lookups run for
  // every port event and every clock batch, so no per-call `vehicle:<id>` string is built.
  const refs = new Map<string, { vehicle?: Actor<typeof vehicleMachine>; mission?: Actor<typeof missionMachine> }>();
  const vehicleRef = (id: string) => refs.get(id)?.vehicle;
  const missionRef = (id: string) => refs.get(id)?.mission;
  const sendVehicle = (id: string, event: VehicleMachineEvent) => vehicleRef(id)?.send(event);
  const sendMission = (id: string, event: MissionEvent) => missionRef(id)?.send(event);

  const monitors = new Map<string, VehicleMonitor>();
  const latestTelemetry = new Map<string, VehicleTelemetry>();
  const childSubs = new Map<string, Subscription[]>();
  const portUnsubs: (() => void)[] = [];
  const linkUp = new Map<string, boolean>();

  const publishState = (id: string) => {
    const topic = topics.state(id);
    if (!bus.hasSubscribers(topic)) return;
    const ref = vehicleRef(id);
    if (!ref) return;
    const snap = ref.getSnapshot();
    bus.publish(topic, {
      vehicle: id,
      t_ms: clock.now(),
      link: linkUp.get(id) ?? false,
      armed: snap.context.armed,
      mode: snap.context.mode,
      landed: snap.context.landed,
      state: statePath((snap.value as { flight: unknown }).flight),
    });
  };

  const publishMission = (id: string) => {
    if (!bus.hasSubscribers(topics.missionStatus)) return;
    const snap = missionRef(id)?.getSnapshot();
    if (!snap) return;
    const status = topStatus(snap.value);
    bus.publish(topics.missionStatus, { vehicle: id, t_ms: clock.now(), ...missionStatusMessage(status, snap.context) });
  };

  /** Log state changes and emitted events of one child; re-run when the fleet respawns it. */
  const watchChild = (childId: string) => {
    for (const s of childSubs.get(childId) ?? []) s.unsubscribe();
    const ref = fleet.system.get(childId) as AnyActorRef | undefined;
    if (!ref) return;
    const [kind, vehicle] = childId.split(':') as ['vehicle' | 'mission', string];
    const entry = refs.get(vehicle) ?? {};
    if (kind === 'vehicle') entry.vehicle = ref as Actor<typeof vehicleMachine>;
    else entry.mission = ref as Actor<typeof missionMachine>;
    refs.set(vehicle, entry);
    let last = '';
    let lastProgress = -1;
    const subs: Subscription[] = [];
    subs.push(
      ref.subscribe({
        next: (snap: { value: unknown; context: unknown }) => {
          const path = statePath(snap.value);
          if (kind === 'mission') {
            const ctx = snap.context as MissionContext;
            const status = topStatus(snap.value);
            const prev = lastMission.get(vehicle);
            lastMission.set(vehicle, { status, context: ctx });
            if (prev?.status !== status || prev.context.progress !== ctx.progress)
              for (const fn of missionListeners) fn(vehicle, status, ctx);
            if (path !== last) {
              append(childId, 'state', { value: path, ...(ctx.reason ? { reason: ctx.reason } : {}) });
              last = path;
              publishMission(vehicle);
            }
            if (ctx.progress.percent_complete !== lastProgress) {
              lastProgress = ctx.progress.percent_complete;
              append(childId, 'progress', { ...ctx.progress });
              publishMission(vehicle);
            }
          } else if (path !== last) {
            append(childId, 'state', { value: path });
            last = path;
            publishState(vehicle);
          }
        },
        error: (err: unknown) => append(childId, 'actor.error', { error: String(err) }),
      }),
    );
    if (kind === 'vehicle') {
      const vref = ref as Actor<typeof vehicleMachine>;
      subs.push(
        vref.on('*', (ev: VehicleEmitted) => {
          switch (ev.type) {
            case 'failsafe':
              append(childId, 'failsafe', { ...ev.failsafe });
              logger.warn({ vehicle, failsafe: ev.failsafe }, 'failsafe');
              sendMission(vehicle, { type: 'VEHICLE.FAILSAFE', reason: `${ev.failsafe.kind}: ${ev.failsafe.reason}` });
              break;
            case 'command.started':
              append(childId, 'command', { ...ev.command }, ev.correlationId);
              break;
            case 'command.result':
              append(childId, 'command.result', { kind: ev.command.kind, ...ev.result }, ev.correlationId);
              if (!ev.result.ok) logger.warn({ vehicle, cid: ev.correlationId, result: ev.result }, 'command failed');
              break;
          }
        }),
      );
    }
    childSubs.set(childId, subs);
  };

  /** A respawned vehicle actor learns the vehicle's current state from the port's last report. */
  const lastMission = new Map<string, { status: MissionStatus; context: MissionContext }>();
  const missionListeners = new Set<(vehicle: string, status: MissionStatus, context: MissionContext) => void>();
  const resync = (childId: string) => {
    const [kind, vehicle] = childId.split(':') as ['vehicle' | 'mission', string];
    if (kind === 'mission') {
      // Put the mission back where it was; the vehicle still holds the plan and its progress.
      const last = lastMission.get(vehicle);
      if (last && last.status !== 'IDLE') {
        const c = last.context;
        sendMission(vehicle, { type: 'RESTORE', status: last.status, mission: c.mission, progress: c.progress, reached: c.reached, reason: c.reason });
        append(childId, 'restored', { status: last.status });
      }
      return;
    }
    const t = ports.get(vehicle)?.snapshot();
    if (t) {
      sendVehicle(vehicle, { type: 'PORT.ARMED', armed: t.armed });
      sendVehicle(vehicle, { type: 'PORT.MODE', mode: t.mode });
      sendVehicle(vehicle, { type: 'PORT.LANDED', state: t.landed });
    }
    if (linkUp.get(vehicle)) sendVehicle(vehicle, { type: 'LINK.UP' });
  };

  const onSquadEvent = (ev: SquadEmitted) => {
    switch (ev.type) {
      case 'child.spawned':
        watchChild(ev.id);
        break;
      case 'child.failed': {
        // Until the restart, events for this actor go nowhere (as they would to a dead actor).
        const [kind, vehicle] = ev.id.split(':') as ['vehicle' | 'mission', string];
        const entry = refs.get(vehicle);
        if (entry) delete entry[kind];
        append('fleet', 'child.failed', { id: ev.id, error: ev.error, restartIn_ms: ev.restartIn_ms });
        logger.error({ child: ev.id, error: ev.error }, 'actor failed; restarting');
        break;
      }
      case 'child.restarted':
        append('fleet', 'child.restarted', { id: ev.id, restart: ev.restart });
        resync(ev.id);
        break;
    }
  };
  // Squads spawn and supervise the vehicle and mission actors; listen to each one's events.
  fleet.on('*', (ev: FleetEmitted) => {
    if (ev.type === 'squad.spawned') (fleet.system.get(ev.id) as Actor<typeof squadMachine> | undefined)?.on('*', onSquadEvent);
    else onSquadEvent(ev);
  });

  const onPortEvent = (id: string, e: VehicleEvent) => {
    const { vehicle: _v, t_ms: _t, type, ...data } = e;
    append(id, `port.${type}`, data as Record<string, unknown>);
    switch (e.type) {
      case 'link':
        linkUp.set(id, e.up);
        sendVehicle(id, { type: e.up ? 'LINK.UP' : 'LINK.DOWN' });
        break;
      case 'armed':
        sendVehicle(id, { type: 'PORT.ARMED', armed: e.armed });
        if (!e.armed) sendMission(id, { type: 'VEHICLE.DISARMED' });
        break;
      case 'mode':
        sendVehicle(id, { type: 'PORT.MODE', mode: e.mode });
        break;
      case 'landed':
        sendVehicle(id, { type: 'PORT.LANDED', state: e.state });
        break;
      case 'mission.current':
        sendMission(id, { type: 'PORT.MISSION_CURRENT', seq: e.seq });
        break;
      case 'mission.reached':
        sendMission(id, { type: 'PORT.MISSION_REACHED', seq: e.seq });
        break;
      case 'mission.finished':
        sendMission(id, { type: 'PORT.MISSION_FINISHED' });
        break;
      case 'failsafe':
        sendVehicle(id, { type: 'PORT.FAILSAFE', reason: e.reason, action: e.action });
        sendMission(id, { type: 'VEHICLE.FAILSAFE', reason: `vehicle: ${e.reason}` });
        break;
      case 'statustext':
        if (e.severity === 'emergency' || e.severity === 'alert' || e.severity === 'critical')
          logger.warn({ vehicle: id, text: e.text }, 'vehicle statustext');
        break;
      default:
        break;
    }
    publishState(id);
  };

  /** Topic names built once per vehicle: this runs for every telemetry sample of every drone. */
  const telemetryTopics = new Map(
    config.vehicles.map((v) => [v.id, { telemetry: topics.telemetry(v.id), pose: topics.pose(v.id), battery: topics.battery(v.id) }]),
  );
  const onTelemetry = (id: string, monitor: VehicleMonitor, t: VehicleTelemetry) => {
    latestTelemetry.set(id, t);
    monitor.onTelemetry(t);
    const { telemetry: telemetryTopic, pose: poseTopic, battery: batteryTopic } = telemetryTopics.get(id)!;
    if (bus.hasSubscribers(telemetryTopic)) bus.publish(telemetryTopic, t);
    if (bus.hasSubscribers(poseTopic))
      bus.publish(poseTopic, {
        vehicle: id,
        t_ms: t.t_ms,
        local: { north_m: monitor.north_m, east_m: monitor.east_m, down_m: -monitor.alt_m },
        position: t.position,
        alt_rel_m: t.alt_rel_m,
        heading_deg: t.heading_deg,
        velocity_ned_mps: t.velocity_ned_mps,
      });
    if (bus.hasSubscribers(batteryTopic)) bus.publish(batteryTopic, { vehicle: id, t_ms: t.t_ms, ...t.battery });
  };

  let started = false;
  const twin: Twin = {
    clock,
    bus,
    log,
    fleet,
    vehicleIds: config.vehicles.map((v) => v.id),
    async start(signal) {
      if (started) return;
      started = true;
      fleet.start();
      for (const v of config.vehicles) {
        const monitor = new VehicleMonitor(
          { ...DEFAULT_MONITOR, ...v.monitor },
          () => frame,
          config.fence,
          (event) => sendVehicle(v.id, event),
        );
        monitors.set(v.id, monitor);
        fleet.send({ type: 'FLEET.ADD_VEHICLE', id: vehicleActorId(v.id), input: { vehicleId: v.id, failsafe: v.failsafe } });
        fleet.send({ type: 'FLEET.ADD_MISSION', id: missionActorId(v.id), input: { vehicleId: v.id, limits: v.missionLimits } });
        portUnsubs.push(v.port.subscribeEvents((e) => onPortEvent(v.id, e)));
        portUnsubs.push(v.port.subscribeTelemetry((t) => onTelemetry(v.id, monitor, t)));
      }
      append('twin', 'started', { vehicles: config.vehicles.map((v) => v.id) });
      const results = await Promise.all(config.vehicles.map((v) => v.port.connect(signal)));
      results.forEach((r, i) => {
        const id = config.vehicles[i]!.id;
        if (!r.ok) {
          append(id, 'connect.failed', { code: r.error.code, message: r.error.message });
          logger.error({ vehicle: id, error: r.error }, 'vehicle did not connect');
        }
      });
      if (!frame) {
        // A MAVLink vehicle answers its first heartbeat before it sends HOME_POSITION.
        const home = await firstHome(config.vehicles.map((v) => v.port), clock, config.homeTimeout_ms ?? 60_000, signal);
        if (!home) throw new CodedError('TWIN.NO_HOME', "origin is 'home' but no vehicle reported a home position");
        frame = new LocalFrame(home);
        append('twin', 'origin', { ...home });
      }
    },
    async stop() {
      for (const u of portUnsubs.splice(0)) u();
      for (const subs of childSubs.values()) for (const s of subs) s.unsubscribe();
      fleet.stop();
      await Promise.all(config.vehicles.map((v) => v.port.dispose()));
    },
    frame() {
      if (!frame) throw new CodedError('TWIN.NO_FRAME', 'the world frame is known once the twin has started');
      return frame;
    },
    port: portOf,
    command(vehicle, command, cid) {
      portOf(vehicle);
      sendVehicle(vehicle, { type: 'CMD', command, correlationId: cid });
    },
    mission(vehicle) {
      portOf(vehicle);
      const send = (event: MissionEvent, cid?: string) => {
        append(missionActorId(vehicle), 'request', { type: event.type }, cid);
        sendMission(vehicle, event);
      };
      return {
        load: (mission, cid) => send({ type: 'LOAD', mission }, cid),
        start: (cid) => send({ type: 'START' }, cid),
        pause: (cid) => send({ type: 'PAUSE' }, cid),
        resume: (cid) => send({ type: 'RESUME' }, cid),
        abort: (reason, cid) => send({ type: 'ABORT', reason }, cid),
        status: () => twin.missionStatus(vehicle),
        context: () => missionRef(vehicle)!.getSnapshot().context,
      };
    },
    missionStatus(vehicle) {
      const snap = missionRef(vehicle)?.getSnapshot();
      return snap ? topStatus(snap.value) : 'IDLE';
    },
    vehicleState(vehicle) {
      const snap = vehicleRef(vehicle)?.getSnapshot();
      return snap ? statePath((snap.value as { flight: unknown }).flight) : 'unknown';
    },
    vehicleContext(vehicle) {
      return vehicleRef(vehicle)!.getSnapshot().context;
    },
    restoreMission(vehicle, saved) {
      portOf(vehicle);
      if (twin.missionStatus(vehicle) !== 'IDLE' || saved.status === 'IDLE') return false;
      sendMission(vehicle, { type: 'RESTORE', ...saved });
      append(missionActorId(vehicle), 'restored', { status: saved.status, from: 'store' });
      return twin.missionStatus(vehicle) === saved.status;
    },
    onMissionChange(fn) {
      missionListeners.add(fn);
      return () => missionListeners.delete(fn);
    },
    latest(vehicle) {
      const m = monitors.get(vehicle);
      return { telemetry: latestTelemetry.get(vehicle), north_m: m?.north_m ?? 0, east_m: m?.east_m ?? 0, alt_m: m?.alt_m ?? 0 };
    },
  };
  return twin;
}

const ARM_CONFIRM_MS = 3_000;

/** Resolves true once the port reports the vehicle armed, false after `timeout_ms` of clock time. */
function whenArmed(port: VehiclePort, clock: Clock, timeout_ms: number, signal?: AbortSignal): Promise<boolean> {
  if (port.snapshot()?.armed) return Promise.resolve(true);
  return waitOnClock(clock, timeout_ms, false, (settle) => [
    port.subscribeEvents((e) => e.type === 'armed' && e.armed && settle(true)),
    // The event may have come before we listened; the next telemetry sample carries it too.
    port.subscribeTelemetry((t) => t.armed && settle(true)),
  ], signal);
}

/** The first home any port knows or reports, or undefined after `timeout_ms` of clock time. */
function firstHome(ports: readonly VehiclePort[], clock: Clock, timeout_ms: number, signal?: AbortSignal): Promise<GeoPoint | undefined> {
  const known = ports.map((p) => p.home()).find((h) => h !== undefined);
  if (known) return Promise.resolve(known);
  return waitOnClock<GeoPoint | undefined>(
    clock,
    timeout_ms,
    undefined,
    (settle) => ports.map((p) => p.subscribeEvents((e) => e.type === 'home' && settle(e.home))),
    signal,
  );
}

function topStatus(value: unknown): MissionStatus {
  return (typeof value === 'string' ? value : Object.keys(value as object)[0]) as MissionStatus;
}
