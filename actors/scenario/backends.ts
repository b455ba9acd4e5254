/**
 * Where a scenario's vehicles come from — the only thing that differs between a simulated run,
 * a run against the built-in MAVLink SITL, and a run against real PX4 SITL or hardware.
 *
 * - `sim`: the in-process simulator behind the vehicle port (deterministic, as fast as it goes).
 * - `sitl`: the same simulator served over MAVLink/UDP like PX4 SITL, driven through the real
 *   MAVLink adapter over loopback, on a paced clock (sockets live in wall time).
 * - a connection URL (`udpin://0.0.0.0:14540`, `udpout://`, `tcp://`, `serial://`): whatever
 *   autopilots are there, vehicle i of the scenario being MAVLink system i+1, on the wall clock.
 *   The runner injects faults through the port (PX4 failure injection, a silenced link) and sets
 *   the scenario's parameters and geofence over MAVLink (vehicle-setup.ts).
 */
import type { RunnableClock } from '../../core/clock.js';
import type { GeoPoint } from '../../core/geo.js';
import type { Logger } from '../../core/logger.js';
import type { Rng } from '../../core/rng.js';
import type { VehiclePort } from '../../hardware/vehicle.port.js';
import type { BlobSink, SensorPort } from '../../hardware/sensor.port.js';
import { SimWorld, createSimVehiclePort } from '../../hardware/sim/index.js';
import { createSitl } from '../../hardware/sim/sitl/index.js';
import { createMavlinkVehiclePort, openLink, parseConnectionUrl, type Link } from '../../hardware/real/mavlink/index.js';
import type { FaultSpec, Scenario } from './scenario.schema.js';
import { sensorSeed, simPoseSource, simTriggerSource, telemetryPoseSource, type SensorPortFactory, type SensorPortRequest } from './sensor-wiring.js';

/**
 * The twin's default home (Zürich Irchel park, 47.397742° N 8.545594° E, 488 m AMSL), used when a
 * scenario's origin is `home` and no .plan gives one. It is PX4 SITL's default home under Gazebo
 * (and jMAVSim) only: PX4 SIH starts at SIH_LOC_LAT0/LON0 = 45.467116, −73.757837 (near Montreal)
 * unless PX4_HOME_LAT/LON are set, so a PX4 SIH run must place its vehicles explicitly.
 */
export const DEFAULT_HOME: GeoPoint = { lat_deg: 47.397742, lon_deg: 8.545594, alt_m: 488.0 };

export interface VehicleBackend {
  /** One port per scenario vehicle, complete once `start()` has resolved. */
  readonly ports: ReadonlyMap<string, VehiclePort>;
  /** Sim seconds per wall second the clock must keep (sockets involved); undefined = free-running. */
  readonly pace?: number;
  /** Whether the same seed reproduces the event log byte for byte. */
  readonly deterministic: boolean;
  /**
   * The simulated world behind the ports, when there is one: test oracles (testing/) read the
   * vehicles' true state from it, which the twin only sees through the (possibly lost) link.
   */
  readonly world?: SimWorld;
  /** Which kind of backend this is (what a sensor or SLAM port factory is told). */
  readonly kind?: SensorPortRequest['backend'];
  /**
   * The declared sensors' ports per vehicle, complete once `start()` has resolved; a sensor
   * whose port could not be built is in `sensorErrors` instead.
   */
  readonly sensors?: ReadonlyMap<string, readonly SensorPort[]>;
  readonly sensorErrors?: readonly string[];
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Injects a fault, or says why this backend cannot. */
  injectFault(vehicle: string, fault: FaultSpec): { ok: true } | { ok: false; reason: string };
}

export interface BackendContext {
  readonly scenario: Scenario;
  /** The run's clock: virtual in simulation, the wall clock for real vehicles. */
  readonly clock: RunnableClock;
  readonly rng: Rng;
  readonly logger: Logger;
  /** Builds the declared sensors' ports (the composition root's factory); none: sensors are an error. */
  readonly sensorFactory?: SensorPortFactory;
  /** Where sensor ports write images and point clouds. */
  readonly blobs?: BlobSink;
  /** Seed of this run (the scenario's, or the caller's override). */
  readonly seed?: number;
  /** Blob key prefix of this run (default `runs/<scenario name>/<seed>`). */
  readonly runKey?: string;
}

/**
 * Builds the ports of the sensors every vehicle declares, with what the backend knows about the
 * vehicle (`extra(vehicle, index)`); ports that cannot be built are reported in `errors`.
 */
function buildSensors(
  ctx: BackendContext,
  backend: SensorPortRequest['backend'],
  extra: (vehicle: string, index: number) => Pick<SensorPortRequest, 'pose' | 'trigger' | 'mavlink' | 'origin'>,
  out: Map<string, SensorPort[]>,
  errors: string[],
): void {
  const { scenario } = ctx;
  const seed = ctx.seed ?? scenario.seed;
  const runKey = ctx.runKey ?? `runs/${scenario.name.replace(/[^A-Za-z0-9_.-]+/g, '_')}/${seed}`;
  const blobs: BlobSink = ctx.blobs ?? { put: async () => ({ ok: false, error: { code: 'BLOB.NONE', message: 'BLOB.NONE: no blob store given to this run' } }) };
  scenario.vehicles.forEach((v, index) => {
    if (!v.sensors.length) return;
    const ports: SensorPort[] = [];
    for (const [k, spec] of v.sensors.entries()) {
      const where = `vehicles.${index}.sensors.${k}`;
      if (!ctx.sensorFactory) {
        errors.push(`${where}: no sensor port factory for the ${backend} backend (${spec.kind} ${spec.model})`);
        continue;
      }
      let r: ReturnType<SensorPortFactory>;
      try {
        r = ctx.sensorFactory({
          backend,
          vehicle: v.id,
          vehicleIndex: index,
          spec,
          clock: ctx.clock,
          logger: ctx.logger.child({ vehicle: v.id, sensor: spec.id }),
          blobs,
          keyPrefix: `${runKey}/${v.id}/${spec.id}`,
          runKey,
          seed: sensorSeed(seed, v.id, spec.id),
          world: { terrain: scenario.world.terrain, obstacles: scenario.world.obstacles },
          ...extra(v.id, index),
        });
      } catch (error) {
        r = { ok: false, error: { code: 'SENSOR.FACTORY', message: (error as Error).message } };
      }
      if (r.ok) ports.push(r.value);
      else errors.push(`${where}: ${spec.kind} ${spec.model} on the ${backend} backend: ${r.error.message}`);
    }
    out.set(v.id, ports);
  });
}

export interface BackendFactory {
  (ctx: BackendContext): VehicleBackend;
  /** The time the vehicles live in: `wall` for real vehicles (the runner then runs on a WallClock). */
  readonly time?: 'virtual' | 'wall';
}

function buildWorld({ scenario, clock, rng }: BackendContext): SimWorld {
  // With `origin: home` the first vehicle (spawned at 0,0, the loader checks) sits where its
  // .plan was planned from, else at DEFAULT_HOME (Gazebo's PX4 SITL home, not SIH's).
  const planned = scenario.vehicles[0]?.mission?.type === 'items' ? scenario.vehicles[0].mission.home : undefined;
  const origin =
    scenario.world.origin === 'home'
      ? planned
        ? { lat_deg: planned.lat, lon_deg: planned.lon, alt_m: planned.alt }
        : DEFAULT_HOME
      : { lat_deg: scenario.world.origin.lat, lon_deg: scenario.world.origin.lon, alt_m: scenario.world.origin.alt };
  const world = new SimWorld({ clock, rng: rng.fork('world'), origin, wind: scenario.world.wind });
  for (const v of scenario.vehicles) {
    const r = world.addVehicle(v.id, { spawn: { north_m: v.spawn.north, east_m: v.spawn.east }, params: v.params });
    if (!r.ok) throw new Error(`vehicles.${v.id}: ${r.error.message}`);
  }
  return world;
}

function worldFaults(world: SimWorld): VehicleBackend['injectFault'] {
  return (vehicle, fault) => {
    const r = world.injectFault(vehicle, fault);
    return r.ok ? { ok: true } : { ok: false, reason: `${r.error.code}: ${r.error.message}` };
  };
}

/** The in-process simulator. */
export const simBackend: BackendFactory = (ctx) => {
  const world = buildWorld(ctx);
  const ports = new Map(ctx.scenario.vehicles.map((v) => [v.id, createSimVehiclePort(world, v.id, { logger: ctx.logger })]));
  const sensors = new Map<string, SensorPort[]>();
  const sensorErrors: string[] = [];
  buildSensors(ctx, 'sim', (id) => ({ pose: simPoseSource(world, id), trigger: simTriggerSource(world, id), origin: world.frame.origin }), sensors, sensorErrors);
  return {
    kind: 'sim',
    ports,
    sensors,
    sensorErrors,
    deterministic: true,
    world,
    async start() {
      world.start();
    },
    async stop() {
      world.stop();
    },
    injectFault: worldFaults(world),
  };
};

/**
 * The built-in SITL over loopback: each vehicle's SITL instance binds a free UDP port and the
 * MAVLink adapter talks to it with `udpout://127.0.0.1:<port>`, exactly as it would to PX4.
 */
export function sitlBackend(speed = 20): BackendFactory {
  return (ctx) => {
    const world = buildWorld(ctx);
    const sitl = createSitl({
      world,
      // A vehicle that declares a camera gets the SITL's MAVLink camera component (100) with its profile.
      vehicles: ctx.scenario.vehicles.map((v, i) => {
        const camera = v.sensors.find((x) => x.kind === 'camera');
        return { id: v.id, sysid: i + 1, ...(camera ? { camera: camera.model } : {}) };
      }),
      host: '127.0.0.1',
      apiLocalPortBase: 0,
      apiRemotePortBase: 0,
      gcsLocalPortBase: 0,
      gcsRemotePort: 0,
      logger: ctx.logger,
    });
    // Ports need the SITL's bound addresses, known once it has started.
    const ports = new Map<string, VehiclePort>();
    const sensors = new Map<string, SensorPort[]>();
    const sensorErrors: string[] = [];
    const links = new Map<string, Link>();
    return {
      kind: 'sitl',
      ports,
      sensors,
      sensorErrors,
      pace: speed,
      deterministic: false,
      world,
      async start() {
        world.start();
        await sitl.start();
        const withCamera = new Set(ctx.scenario.vehicles.filter((v) => v.sensors.some((x) => x.kind === 'camera')).map((v) => v.id));
        for (const e of sitl.endpoints) {
          const url = `udpout://127.0.0.1:${e.apiLocalPort}`;
          // A vehicle with a camera shares one link with it (the SITL answers one GCS address per
          // vehicle, as PX4 does per MAVLink instance): the camera component speaks beside the autopilot.
          if (withCamera.has(e.id)) {
            const opened = await openLink(url, { logger: ctx.logger });
            if (!opened.ok) throw new Error(`${opened.error.code}: ${opened.error.message}`);
            links.set(e.id, opened.value);
          }
          const link = links.get(e.id);
          ports.set(
            e.id,
            createMavlinkVehiclePort({
              id: e.id,
              ...(link ? { link } : { url }),
              clock: ctx.clock,
              targetSystem: e.sysid,
              logger: ctx.logger,
            }),
          );
        }
        // The SITL's cameras answer as MAVLink camera components beside each vehicle.
        const byId = new Map(sitl.endpoints.map((e) => [e.id, e]));
        buildSensors(
          ctx,
          'sitl',
          (id) => ({
            pose: simPoseSource(world, id),
            origin: world.frame.origin,
            mavlink: links.has(id)
              ? { link: links.get(id), targetSystem: byId.get(id)!.sysid }
              : { url: `udpout://127.0.0.1:${byId.get(id)!.apiLocalPort}`, targetSystem: byId.get(id)!.sysid },
          }),
          sensors,
          sensorErrors,
        );
      },
      async stop() {
        // The ports it made are its to dispose (the twin disposes them too; dispose is idempotent).
        await Promise.all([...ports.values(), ...[...sensors.values()].flat()].map((p) => p.dispose()));
        await Promise.all([...links.values()].map((l) => l.close()));
        await sitl.stop();
        world.stop();
      },
      injectFault: worldFaults(world),
    };
  };
}

/** Real autopilots at a connection URL; vehicle i is MAVLink system i+1 on one shared link. */
export function linkBackend(url: string, speed = 1): BackendFactory {
  const parsed = parseConnectionUrl(url);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return Object.assign((ctx: BackendContext): VehicleBackend => {
    const ports = new Map<string, VehiclePort>();
    const sensors = new Map<string, SensorPort[]>();
    const sensorErrors: string[] = [];
    let link: Link | undefined;
    return {
      kind: 'link',
      ports,
      sensors,
      sensorErrors,
      pace: speed,
      deterministic: false,
      async start() {
        const opened = await openLink(url, { logger: ctx.logger });
        if (!opened.ok) throw new Error(`${opened.error.code}: ${opened.error.message}`);
        link = opened.value;
        ctx.scenario.vehicles.forEach((v, i) => {
          ports.set(v.id, createMavlinkVehiclePort({ id: v.id, link: link!, clock: ctx.clock, targetSystem: i + 1, logger: ctx.logger }));
        });
        // Real sensors geotag from the vehicle's telemetry; MAVLink cameras share the vehicle's link.
        buildSensors(ctx, 'link', (id, i) => ({ pose: telemetryPoseSource(ports.get(id)!), mavlink: { link, targetSystem: i + 1 } }), sensors, sensorErrors);
      },
      async stop() {
        // Ports first (their timers and sessions), then the link they share.
        await Promise.all([...ports.values(), ...[...sensors.values()].flat()].map((p) => p.dispose()));
        await link?.close();
      },
      injectFault: (_vehicle, fault) => ({ ok: false, reason: `cannot inject ${fault.kind} into a real vehicle` }),
    };
  }, { time: 'wall' as const });
}
