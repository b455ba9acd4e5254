/**
 * How a scenario's sensors get their ports: what each backend knows about a vehicle (the
 * simulator's truth, the autopilot's camera trigger, a MAVLink link) handed to a sensor port
 * factory that the composition root supplies (cli/compose.ts), so the runtime never constructs a
 * sensor adapter itself.
 *
 * @remarks
 * The simulator's pose source reads the physics' true state (not the noisy GPS the twin sees):
 * a simulated camera geotags where the drone really was, and `capture_geotag` measures a real
 * camera's geotag error against the same truth. A real vehicle's pose source is its telemetry.
 */
import type { Clock } from '../../core/clock.js';
import type { GeoPoint } from '../../core/geo.js';
import type { Logger } from '../../core/logger.js';
import type { Result } from '../../core/result.js';
import type { BlobSink, CameraTriggerSource, SensorPort, VehiclePoseSource } from '../../hardware/sensor.port.js';
import type { SlamPort } from '../../hardware/slam.port.js';
import type { VehiclePort } from '../../hardware/vehicle.port.js';
import type { SimWorld } from '../../hardware/sim/index.js';
import type { SensorWorldSpec } from '../../hardware/sim/world/world-spec.js';
import type { SensorSpec } from './scenario.schema.js';

/** What a sensor port factory is told about one declared sensor. */
export interface SensorPortRequest {
  /** Which kind of backend carries the vehicle. */
  readonly backend: 'sim' | 'sitl' | 'link';
  readonly vehicle: string;
  /** The vehicle's place in the scenario (MAVLink system id − 1 on sitl/link backends). */
  readonly vehicleIndex: number;
  readonly spec: SensorSpec;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly blobs: BlobSink;
  /** Blob keys of this sensor start with this (`<run>/<vehicle>/<sensor>`, no trailing slash). */
  readonly keyPrefix: string;
  /** The run's own key (`runs/<scenario>/<seed>`), for adapters that add vehicle and sensor themselves. */
  readonly runKey: string;
  /** The sensor's own seed, derived from the scenario seed, vehicle and sensor. */
  readonly seed: number;
  /** Terrain and obstacles (simulated sensors). */
  readonly world: SensorWorldSpec;
  /** The world origin (known for sim/sitl backends before the vehicles connect). */
  readonly origin?: GeoPoint;
  /** Where the carrying vehicle is: the simulator's truth (sim, sitl) or its telemetry (link). */
  readonly pose: VehiclePoseSource;
  /** The autopilot's camera trigger as a simulated camera hears it (sim backend). */
  readonly trigger?: CameraTriggerSource;
  /** MAVLink: how to reach the vehicle's camera component (sitl, link backends). */
  readonly mavlink?: { readonly url?: string; readonly link?: unknown; readonly targetSystem: number };
}

/** Builds one sensor port, or says why it cannot (`kind model on backend: reason`). */
export type SensorPortFactory = (req: SensorPortRequest) => Result<SensorPort, string>;

/** The simulator's truth for vehicle `id`: true position, yaw, ground velocity. */
export function simPoseSource(world: SimWorld, id: string): VehiclePoseSource {
  const i = world.slot(id);
  const s = world.s;
  return {
    pose: () => ({
      t_ms: world.clock.now(),
      position: world.frame.toGeo({ north_m: s.pN[i]!, east_m: s.pE[i]!, down_m: s.pD[i]! }),
      // The simulated multirotor keeps its body level (no attitude model): roll and pitch are 0.
      attitude_deg: { roll: 0, pitch: 0, yaw: s.yaw[i]! },
      velocity_ned_mps: { north: s.vN[i]!, east: s.vE[i]!, down: s.vD[i]! },
    }),
  };
}

/** The simulated autopilot's camera trigger (mission capture items) for vehicle `id`. */
export function simTriggerSource(world: SimWorld, id: string): CameraTriggerSource {
  return {
    subscribe: (fn) => world.onEvent(id, (e) => {
      if (e.type === 'capture') fn({ seq: e.seq, t_ms: e.t_ms });
    }),
  };
}

/** A real vehicle's pose as its telemetry reports it (estimated position, heading as yaw). */
export function telemetryPoseSource(port: VehiclePort): VehiclePoseSource {
  return {
    pose: () => {
      const t = port.snapshot();
      if (!t) return undefined;
      return {
        t_ms: t.t_ms,
        position: t.position,
        attitude_deg: { roll: 0, pitch: 0, yaw: t.heading_deg },
        velocity_ned_mps: { north: t.velocity_ned_mps.north_m, east: t.velocity_ned_mps.east_m, down: t.velocity_ned_mps.down_m },
      };
    },
  };
}

/** A 32-bit seed for one sensor from the run's seed (FNV-1a over `vehicle/sensor`), stable across runs. */
export function sensorSeed(runSeed: number, vehicle: string, sensor: string): number {
  let h = (0x811c9dc5 ^ runSeed) >>> 0;
  for (const ch of `${vehicle}/${sensor}`) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** What a SLAM port factory is told about one vehicle's `slam:` declaration. */
export interface SlamPortRequest {
  readonly backend: SensorPortRequest['backend'];
  readonly vehicle: string;
  /** The declared LiDAR the estimator reads (its port, as the sensor factory built it). */
  readonly lidarId: string;
  readonly lidar: SensorPort;
  /** The vehicle's attitude as its autopilot reports it (a rotation prior), when known. */
  readonly attitude?: VehiclePoseSource;
  readonly logger: Logger;
}

/** Builds one vehicle's SLAM port, or says why it cannot (e.g. `no SLAM port for this backend`). */
export type SlamPortFactory = (req: SlamPortRequest) => Result<SlamPort, string>;
