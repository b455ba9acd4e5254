/**
 * `createTwin(config)`: the actor system of one fleet, wired to its vehicle ports.
 *
 * @remarks
 * The twin builds the fleet root actor on the given clock, binds the machines' named side
 * effects to the ports through one {@link CommandPipeline} per vehicle, maps port events into
 * actor events, runs the telemetry monitors, publishes telemetry on the bus, and appends every
 * discrete change to the event log. It never reads wall time: under a {@link VirtualClock} a run
 * is reproducible byte for byte.
 *
 * This file is the public face; the roles live beside it (as xstate keeps `createActor.ts`
 * apart from `system.ts`): `internal/machine-wiring.ts` (side effects → pipeline → port),
 * `command-pipeline.ts` (one ordered door per port), `internal/child-watch.ts` (refs,
 * supervision bookkeeping, logging of actor changes), `internal/port-events.ts` (port events →
 * actor events, telemetry fan-out), `mission-handle.ts` (operator requests with results).
 *
 * @example
 * const twin = createTwin({ clock, origin, vehicles: [{ id: 'drone1', port }] });
 * await twin.start();
 * twin.mission('drone1').load(mission);
 * twin.mission('drone1').start();
 * await clock.run({ stopWhen: () => twin.missionStatus('drone1') === 'COMPLETED' });
 */
import { createActor, type Actor, type InspectionEvent, type Observer } from 'xstate';
import type { Clock } from '../core/clock.js';
import { LocalFrame, type GeoPoint } from '../core/geo.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { Mission } from '../core/mission.js';
import type { VehiclePort, VehicleTelemetry } from '../hardware/vehicle.port.js';
import { fleetMachine, missionActorId, vehicleActorId, type ChildKind, type ChildSpec } from '../machines/fleet.machine.js';
import { missionMachine, type MissionContext, type MissionLimitsData, type MissionStatus } from '../machines/mission.machine.js';
import { sensorMachine } from '../machines/sensor.machine.js';
import { squadMachine } from '../machines/squad.machine.js';
import type { SensorFault, SensorPort, SensorSettings } from '../hardware/sensor.port.js';
import { vehicleMachine, type FailsafeConfig, type VehicleCommand, type VehicleContext } from '../machines/vehicle.machine.js';
import { Bus } from './bus.js';
import { CommandPipeline, type PipelineConfig } from './command-pipeline.js';
import { EventLog } from './event-log.js';
import { ChildWatch } from './internal/child-watch.js';
import { CodedError, wireMissionMachine, wireVehicleMachine } from './internal/machine-wiring.js';
import { onPortEvent, telemetryFanOut, type PortEventDeps } from './internal/port-events.js';
import { firstHome } from './internal/port-waits.js';
import { statePath, topStatus } from './internal/state-path.js';
import { createMissionHandle, type MissionHandle } from './mission-handle.js';
import { DEFAULT_MONITOR, VehicleMonitor, type FenceCheck, type MonitorConfig } from './monitors.js';
import { SlamRuntime, type SlamMapSnapshot, type SlamStatusView, type TwinSlamConfig } from './slam-runtime.js';
import { SensorRuntime, type SensorRequestOutcome, type SensorStatus, type TwinSensorConfig } from './sensor-runtime.js';

export { dispatchCommand } from './internal/machine-wiring.js';
export { statePath } from './internal/state-path.js';
export type { MissionHandle, MissionRequestResult, MissionRequestErrorCode } from './mission-handle.js';
export type { PipelineConfig, PipelineResult } from './command-pipeline.js';
export type { SlamMapSnapshot, SlamStatusView, TwinSlamConfig } from './slam-runtime.js';
export type { SensorStatus, SensorRequestOutcome, SensorRequestErrorCode, TwinSensorConfig } from './sensor-runtime.js';

export type InspectionObserver = Observer<InspectionEvent> | ((event: InspectionEvent) => void);

export interface TwinVehicleConfig {
  readonly id: string;
  readonly port: VehiclePort;
  readonly failsafe?: Partial<FailsafeConfig>;
  readonly monitor?: Partial<MonitorConfig>;
  readonly missionLimits?: MissionLimitsData;
  /** What ABORT does to the vehicle. Default `rtl`. */
  readonly abortAction?: 'rtl' | 'land' | 'hold';
  /** This vehicle's command pipeline (queue bound, time to live); defaults from {@link TwinConfig.pipeline}. */
  readonly pipeline?: PipelineConfig;
  /** The cameras and LiDARs this vehicle carries (ports built by the composition root). */
  readonly sensors?: readonly TwinSensorConfig[];
  /** This vehicle's SLAM estimator (port built by the composition root): one supervised `slam` actor. */
  readonly slam?: TwinSlamConfig;
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
   * Every vehicle's command pipeline: `maxQueue` (default 16), `ttl_ms` (default 10 000 clock
   * ms), `preemptGrace_ms` (default 250). The vehicle machine's own command queue takes the same bound.
   */
  readonly pipeline?: PipelineConfig;
  /**
   * Observes every actor event and snapshot (XState's `inspect`), e.g. the Stately inspector's
   * `createWebSocketInspector({ url }).inspect`.
   */
  readonly inspect?: InspectionObserver;
  /** Replace the machines (tests of supervision use a machine that fails on purpose). */
  readonly machines?: { readonly vehicle?: typeof vehicleMachine; readonly mission?: typeof missionMachine; readonly sensor?: typeof sensorMachine };
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
  /**
   * Queues an operator command; its outcome is logged as `command.result` with `cid`
   * (`VEHICLE.BUSY` when the queue is full, `VEHICLE.STALE` when it waited past its time to
   * live, `VEHICLE.PREEMPTED` when a failsafe cancelled it).
   */
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
  /** Every sensor (or one vehicle's) with its machine state and health. */
  sensors(vehicle?: string): SensorStatus[];
  sensorPort(vehicle: string, sensor: string): SensorPort | undefined;
  /** Takes one image now; `SENSOR.UNKNOWN`, `SENSOR.NO_LINK` (not ready), `SENSOR.BUSY`, or the camera's own refusal. */
  capture(vehicle: string, sensor: string, cid?: string): Promise<SensorRequestOutcome<{ index: number }>>;
  /** Applies sensor settings; nothing changes when any is refused (`SENSOR.INVALID`). */
  configure(vehicle: string, sensor: string, settings: SensorSettings, cid?: string): Promise<SensorRequestOutcome>;
  /** LiDAR streaming on/off. */
  stream(vehicle: string, sensor: string, on: boolean, cid?: string): Promise<SensorRequestOutcome>;
  /** Injects `sensor_failure` (optionally for `duration_s`) or `sensor_restore` through the sensor's port. */
  injectSensorFault(vehicle: string, sensor: string, fault: SensorFault, cid?: string): Promise<SensorRequestOutcome>;
  /** Every vehicle's SLAM (or one vehicle's): machine state, poses, losses. */
  slam(vehicle?: string): SlamStatusView[];
  /** `slam_degraded`: no usable registration for `duration_ms` clock ms; false when the vehicle has no SLAM. */
  degradeSlam(vehicle: string, duration_ms: number, cid?: string): boolean;
  /** The latest SLAM local map of `vehicle` (x, y, z float32 in its odom frame); undefined before the first. */
  slamMap?(vehicle: string): SlamMapSnapshot | undefined;
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
    void log.append(clock.now(), source, type, data, cid);

  const pipelines = new Map(
    config.vehicles.map((v) => [
      v.id,
      new CommandPipeline(clock, { ...config.pipeline, ...v.pipeline }, (n) =>
        logger.warn({ vehicle: v.id, cid: n.cid, operation: n.label, code: n.code, waited_ms: n.waited_ms }, 'port operation not run'),
      ),
    ]),
  );
  const wiring = {
    clock,
    portOf,
    pipelineOf: (id: string) => pipelines.get(id)!,
    abortAction: (id: string) => vcfg.get(id)?.abortAction ?? 'rtl',
    onArmReadback: (id: string, armed: boolean, error: { code: string; message: string }) => {
      append(id, 'arm.readback', { armed, code: error.code });
      logger.warn({ vehicle: id, armed, error }, armed ? 'ARM ACK lost but the vehicle reports armed' : 'ARM unanswered and not armed');
    },
  };
  const sensors = new SensorRuntime({ clock, bus, logger, append }, config.vehicles);
  const slam = new SlamRuntime(
    {
      clock,
      bus,
      append,
      anchor: (id) => {
        const m = monitors.get(id);
        const t = latestTelemetry.get(id);
        return m && t && frame ? { ned: { north_m: m.north_m, east_m: m.east_m, down_m: -m.alt_m }, heading_deg: t.heading_deg, frame } : undefined;
      },
    },
    config.vehicles,
  );
  // The registry of child kinds (machines/squad.machine.ts `childKinds`), each bound to its ports.
  const childLogic: { [K in ChildKind]: unknown } = {
    vehicle: wireVehicleMachine(config.machines?.vehicle ?? vehicleMachine, wiring),
    mission: wireMissionMachine(config.machines?.mission ?? missionMachine, wiring),
    sensor: sensors.logic(config.machines?.sensor ?? sensorMachine),
    slam: slam.logic(),
  };
  /** A vehicle's children, in spawn order: the vehicle, its mission, its sensors (one squad). */
  const childrenOf = (v: TwinVehicleConfig): { spec: ChildSpec; group: string }[] => {
    const group = vehicleActorId(v.id);
    const commandQueueMax = v.pipeline?.maxQueue ?? config.pipeline?.maxQueue;
    return [
      { group, spec: { kind: 'vehicle', id: group, input: { vehicleId: v.id, failsafe: v.failsafe, ...(commandQueueMax !== undefined ? { commandQueueMax } : {}) } } },
      { group, spec: { kind: 'mission', id: missionActorId(v.id), input: { vehicleId: v.id, limits: v.missionLimits } } },
      ...sensors.children().filter((c) => c.group === group),
      ...slam.children().filter((c) => c.group === group),
    ];
  };

  const fleet = createActor(
    fleetMachine.provide({ actors: { squad: squadMachine.provide({ actors: childLogic as Parameters<typeof squadMachine.provide>[0]['actors'] }) } }),
    {
      clock,
      input: { restartBase_ms: config.restartBase_ms, restartMax_ms: config.restartMax_ms },
      id: 'fleet',
      ...(config.inspect ? { inspect: config.inspect } : {}),
    },
  );

  const linkUp = new Map<string, boolean>();
  const latestTelemetry = new Map<string, VehicleTelemetry>();
  const monitors = new Map<string, VehicleMonitor>();
  const portUnsubs: (() => void)[] = [];
  const children = new ChildWatch({
    fleet,
    clock,
    bus,
    logger,
    append,
    portSnapshot: (id) => ports.get(id)?.snapshot(),
    linkUp: (id) => linkUp.get(id) ?? false,
  });
  children.registerKind('sensor', {
    spawned: (id, ref) => sensors.spawned(id, ref as Parameters<SensorRuntime['spawned']>[1]),
    failed: (id) => sensors.failed(id),
  });
  children.registerKind('slam', {
    spawned: (id, ref) => slam.spawned(id, ref as Parameters<SlamRuntime['spawned']>[1]),
    failed: (id) => slam.failed(id),
  });
  const portDeps: PortEventDeps = { bus, logger, append, children, linkUp, latestTelemetry };
  const handles = new Map<string, MissionHandle>();

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
          (event) => children.sendVehicle(v.id, event),
        );
        monitors.set(v.id, monitor);
        for (const { spec, group } of childrenOf(v)) fleet.send({ type: 'FLEET.ADD', group, ...spec });
        portUnsubs.push(v.port.subscribeEvents((e) => onPortEvent(portDeps, v.id, e)));
        portUnsubs.push(v.port.subscribeTelemetry(telemetryFanOut(portDeps, v.id, monitor)));
      }
      sensors.start();
      slam.start();
      append('twin', 'started', { vehicles: config.vehicles.map((v) => v.id), ...(sensors.size ? { sensors: sensors.list().map((x) => `${x.vehicle}/${x.sensor}`) } : {}) });
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
      sensors.stop();
      slam.stop();
      children.stop();
      fleet.stop();
      for (const p of pipelines.values()) p.dispose();
      await Promise.all([...config.vehicles.map((v) => v.port.dispose()), sensors.dispose(), slam.dispose()]);
    },
    frame() {
      if (!frame) throw new CodedError('TWIN.NO_FRAME', 'the world frame is known once the twin has started');
      return frame;
    },
    port: portOf,
    command(vehicle, command, cid) {
      portOf(vehicle);
      children.sendVehicle(vehicle, { type: 'CMD', command, correlationId: cid, issued_ms: clock.now() });
    },
    mission(vehicle) {
      portOf(vehicle);
      let handle = handles.get(vehicle);
      if (!handle) handles.set(vehicle, (handle = createMissionHandle(vehicle, children, append)));
      return handle;
    },
    missionStatus(vehicle) {
      const snap = children.missionRef(vehicle)?.getSnapshot();
      return snap ? topStatus(snap.value) : 'IDLE';
    },
    vehicleState(vehicle) {
      const snap = children.vehicleRef(vehicle)?.getSnapshot();
      return snap ? statePath((snap.value as { flight: unknown }).flight) : 'unknown';
    },
    vehicleContext(vehicle) {
      return children.vehicleRef(vehicle)!.getSnapshot().context;
    },
    restoreMission(vehicle, saved) {
      portOf(vehicle);
      if (twin.missionStatus(vehicle) !== 'IDLE' || saved.status === 'IDLE') return false;
      children.sendMission(vehicle, { type: 'RESTORE', ...saved });
      append(missionActorId(vehicle), 'restored', { status: saved.status, from: 'store' });
      return twin.missionStatus(vehicle) === saved.status;
    },
    onMissionChange(fn) {
      return children.onMissionChange(fn);
    },
    latest(vehicle) {
      const m = monitors.get(vehicle);
      return { telemetry: latestTelemetry.get(vehicle), north_m: m?.north_m ?? 0, east_m: m?.east_m ?? 0, alt_m: m?.alt_m ?? 0 };
    },
    sensors: (vehicle) => sensors.list(vehicle),
    sensorPort: (vehicle, sensor) => sensors.port(vehicle, sensor),
    capture: (vehicle, sensor, cid) => sensors.capture(vehicle, sensor, cid),
    configure: (vehicle, sensor, settings, cid) => sensors.configure(vehicle, sensor, settings, cid),
    stream: (vehicle, sensor, on, cid) => sensors.stream(vehicle, sensor, on, cid),
    injectSensorFault: (vehicle, sensor, fault, cid) => sensors.injectFault(vehicle, sensor, fault, cid),
    slam: (vehicle) => slam.list(vehicle),
    degradeSlam: (vehicle, duration_ms, cid) => slam.degrade(vehicle, duration_ms, cid),
    slamMap: (vehicle) => slam.map(vehicle),
  };
  return twin;
}
