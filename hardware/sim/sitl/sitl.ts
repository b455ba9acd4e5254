/**
 * The built-in SITL: a {@link SimWorld} served over MAVLink/UDP the way PX4 SITL v1.14+ serves
 * its simulated vehicles, so MAVSDK, QGroundControl and our own MAVLink adapter can fly it.
 *
 * @remarks
 * Ports, per instance i (PX4's `px4-rc.mavlink` for `-i i`):
 * - API link: binds `apiLocalPortBase + i` (PX4 14580+i) and sends to
 *   `host:apiRemotePortBase + i` (14540+i): a MAVSDK client does `udpin://0.0.0.0:14540`.
 * - GCS link: binds `gcsLocalPortBase + i` (18570+i) and sends to `host:gcsRemotePort` (14550).
 * Before a peer has talked, messages go to the configured remote; after, to the address the last
 * valid frame came from. A local base of 0 binds every link to a free port (see `endpoints`);
 * a remote of 0 means "silent until a peer talks" (tests).
 *
 * Everything periodic runs on the world's clock through its physics tick, so a paced
 * `VirtualClock` (`clock.run({ speed })`) speeds the whole SITL up, as PX4_SIM_SPEED_FACTOR does.
 * `start()` starts the world's physics if it is not running (a PX4 SITL always simulates);
 * `stop()` closes the sockets and tells the world the ground station is gone, and leaves the
 * physics as it found it.
 *
 * @example
 * const sitl = createSitl({ world, vehicles: [{ id: 'drone1' }], apiLocalPortBase: 0, gcsLocalPortBase: 0 });
 * await sitl.start();
 * console.log(sitl.endpoints[0].apiLocalPort);
 */
import { standard, type MavLinkPacketRegistry } from 'node-mavlink';
import { silentLogger, type Logger } from '../../../core/logger.js';
import { REGISTRY } from '../../real/mavlink/codec.js';
import type { SimWorld } from '../sim-world.js';
import { cameraProfile, DEFAULT_CAMERA_PROFILE } from '../../../core/sensors/camera-profiles.js';
import type { SitlCamera } from './camera-component.js';
import { SitlVehicle, type SitlVehicleStats } from './sitl-vehicle.js';

export interface SitlVehicleConfig {
  /** The vehicle's id in the world. */
  readonly id: string;
  /** MAVLink system id (default 1 + index). */
  readonly sysid?: number;
  /** This vehicle's MAVLink camera component: a profile name, or false for none (default: `SitlOptions.camera`). */
  readonly camera?: string | false;
}

export interface SitlOptions {
  readonly world: SimWorld;
  readonly vehicles: readonly SitlVehicleConfig[];
  /** Address the links bind to and send to (default 127.0.0.1). */
  readonly host?: string;
  /** Where instance i sends its API link: host:apiRemotePortBase+i (default 14540; 0 = only to peers). */
  readonly apiRemotePortBase?: number;
  /** Instance i binds apiLocalPortBase+i (default 14580; 0 = free ports). */
  readonly apiLocalPortBase?: number;
  /** Every instance's GCS link sends to host:gcsRemotePort (default 14550; 0 = only to peers). */
  readonly gcsRemotePort?: number;
  /** Instance i binds gcsLocalPortBase+i (default 18570; 0 = free ports). */
  readonly gcsLocalPortBase?: number;
  readonly logger?: Logger;
  /** A wall-clock reader to profile message handling (benchmarks only; behaviour never reads it). */
  readonly profileNow?: () => number;
  /**
   * Gives every vehicle a MAVLink camera component (100) with this profile (true = the generic
   * one); default none. `twin sitl` turns it on.
   */
  readonly camera?: string | boolean;
}

export interface SitlEndpoint {
  readonly id: string;
  readonly sysid: number;
  readonly instance: number;
  /** The bound ports (the real ones when a base of 0 asked for free ports). */
  readonly apiLocalPort: number;
  /** 0 when no remote was configured. */
  readonly apiRemotePort: number;
  readonly gcsLocalPort: number;
}

export interface SitlStats {
  readonly vehicles: readonly ({ readonly id: string; readonly sysid: number } & SitlVehicleStats)[];
}

export interface Sitl {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** One entry per instance; ports are known after `start()`. */
  readonly endpoints: readonly SitlEndpoint[];
  stats(): SitlStats;
  /** Vehicle `id`'s camera component, when it has one (tests and fault injection). */
  camera(id: string): SitlCamera | undefined;
}

/** The codec's registry plus `standard` (AUTOPILOT_VERSION lives there). */
const SITL_REGISTRY: MavLinkPacketRegistry = { ...REGISTRY, ...standard.REGISTRY };

const port = (base: number, i: number) => (base > 0 ? base + i : 0);

export function createSitl(opts: SitlOptions): Sitl {
  const { world } = opts;
  const host = opts.host ?? '127.0.0.1';
  const apiRemote = opts.apiRemotePortBase ?? 14540;
  const apiLocal = opts.apiLocalPortBase ?? 14580;
  const gcsRemote = opts.gcsRemotePort ?? 14550;
  const gcsLocal = opts.gcsLocalPortBase ?? 18570;
  const logger = opts.logger ?? silentLogger;
  for (const b of [apiRemote, apiLocal, gcsRemote, gcsLocal])
    if (!Number.isInteger(b) || b < 0 || b > 65535) throw new RangeError(`SITL.INVALID_PORT: ${b}`);
  const sysids = new Set<number>();
  const vehicles = opts.vehicles.map((v, i) => {
    if (!world.has(v.id)) throw new RangeError(`SITL.UNKNOWN_VEHICLE: ${v.id} is not in the world`);
    const sysid = v.sysid ?? 1 + i;
    if (!Number.isInteger(sysid) || sysid < 1 || sysid > 254 || sysids.has(sysid)) throw new RangeError(`SITL.INVALID_SYSID: ${sysid}`);
    sysids.add(sysid);
    const camName = v.camera ?? (opts.camera === true ? DEFAULT_CAMERA_PROFILE : opts.camera);
    const camera = typeof camName === 'string' ? cameraProfile(camName) : undefined;
    if (typeof camName === 'string' && !camera) throw new RangeError(`SITL.UNKNOWN_CAMERA: ${camName}`);
    return new SitlVehicle({
      camera,
      world, id: v.id, sysid, bindHost: host, remoteHost: host,
      apiLocalPort: port(apiLocal, i), apiRemotePort: port(apiRemote, i),
      gcsLocalPort: port(gcsLocal, i), gcsRemotePort: gcsRemote,
      registry: SITL_REGISTRY, logger: logger.child({ vehicle: v.id, sysid }), profileNow: opts.profileNow,
    });
  });

  let running = false;
  let startedPhysics = false;
  let offTick: (() => void) | undefined;
  const endpoints: SitlEndpoint[] = [];

  return {
    endpoints,
    async start() {
      if (running) return;
      const started: SitlVehicle[] = [];
      try {
        for (const v of vehicles) {
          await v.start();
          started.push(v);
        }
      } catch (err) {
        await Promise.all(started.map((v) => v.stop()));
        throw err;
      }
      running = true;
      endpoints.length = 0;
      vehicles.forEach((v, i) => endpoints.push({
        id: v.id, sysid: v.sysid, instance: i, apiLocalPort: v.api.localPort,
        apiRemotePort: port(apiRemote, i), gcsLocalPort: v.gcs.localPort,
      }));
      offTick = world.onTick((now) => {
        for (const v of vehicles) {
          try {
            v.onTick(now);
          } catch (err) {
            // A bug in a stream builder must not stop the physics tick that called us.
            logger.error({ err, vehicle: v.id }, 'sitl: tick failed');
          }
        }
      });
      if (!world.running) {
        world.start();
        startedPhysics = true;
      }
      logger.info({ endpoints }, 'sitl: started');
    },
    async stop() {
      if (!running) return;
      running = false;
      offTick?.();
      offTick = undefined;
      if (startedPhysics) world.stop();
      startedPhysics = false;
      await Promise.all(vehicles.map((v) => v.stop()));
    },
    camera: (id) => vehicles.find((v) => v.id === id)?.camera,
    stats() {
      return { vehicles: vehicles.map((v) => ({ id: v.id, sysid: v.sysid, ...v.stats() })) };
    },
  };
}
