/**
 * The topic bus: typed publish/subscribe for continuous data (telemetry, status).
 *
 * @remarks
 * Discrete changes are actor events, not bus messages (DESIGN). Publishing to a topic nobody
 * listens to costs one map lookup, so a 1,000-drone fleet pays nothing for topics that no
 * bridge client or recorder has asked for. Subscribers run synchronously, in subscription
 * order; one that throws is reported through `onError` and never stops the others.
 */
import type { BatteryState, FlightMode, LandedState, VehicleTelemetry } from '../hardware/vehicle.port.js';
import type { GeoPoint, Ned } from '../core/geo.js';
import type { CaptureRef, ScanRef, SensorHealth, SensorKind } from '../hardware/sensor.port.js';

export type Unsubscribe = () => void;

/** Pose in the world frame (local NED metres from the world origin) and WGS84. */
export interface PoseMsg {
  readonly vehicle: string;
  readonly t_ms: number;
  readonly local: Ned;
  readonly position: GeoPoint;
  readonly alt_rel_m: number;
  readonly heading_deg: number;
  readonly velocity_ned_mps: Ned;
}

export interface BatteryMsg extends BatteryState {
  readonly vehicle: string;
  readonly t_ms: number;
}

export interface VehicleStateMsg {
  readonly vehicle: string;
  readonly t_ms: number;
  readonly link: boolean;
  readonly armed: boolean;
  readonly mode: FlightMode;
  readonly landed: LandedState;
  /** The vehicle machine's state, e.g. `connected.armed.inAir.mission`. */
  readonly state: string;
}

export interface MissionStatusMsg {
  readonly vehicle: string;
  readonly t_ms: number;
  readonly mission_id: string | null;
  readonly mission_name: string | null;
  readonly status: string;
  readonly progress: { current_waypoint: number; total_waypoints: number; percent_complete: number };
  readonly reason?: string;
}

/** A sensor's 1 Hz health with its identity, on `/<vehicle>/<sensor>/health`. */
export interface SensorHealthMsg extends SensorHealth {
  readonly vehicle: string;
  readonly sensor: string;
  readonly kind: SensorKind;
  /** The sensor machine's state, e.g. `ready`, `capturing`, `error`. */
  readonly machine_state: string;
}

/**
 * `/<vehicle>/slam/pose`: the SLAM estimate as a {@link PoseMsg} (local NED and WGS84, anchored at
 * the vehicle's reported position and heading at the first pose; velocity from the last twist),
 * plus the estimate in its own map frame.
 */
export interface SlamPoseMsg extends PoseMsg {
  /** map ← sensor, m; orientation w, x, y, z. */
  readonly map_position_m: readonly [number, number, number];
  readonly map_orientation: readonly [number, number, number, number];
  readonly ok: boolean;
  /** The SLAM machine's state: initializing, tracking, lost, … */
  readonly state: string;
}

/** `/<vehicle>/slam/odometry`: pose plus body twist (m/s, rad/s). */
export interface SlamOdometryMsg extends Omit<SlamPoseMsg, 'ok' | 'state'> {
  /** Body twist (sensor axes: x forward, y left, z up). */
  readonly linear_mps: readonly [number, number, number];
  readonly angular_radps: readonly [number, number, number];
  readonly sigma_m: number;
}

/** `/<vehicle>/slam/map` (throttled): a reference to the local map, never the points. */
export interface SlamMapRefMsg {
  readonly vehicle: string;
  readonly t_ms: number;
  readonly points: number;
  readonly blob_key?: string;
}

/**
 * `/hpc/jobs`: an HPC job the twin submitted (actors/hpc-client.ts), on every change of state or
 * progress. `key` is the twin's own id (`hpc:<vehicle>:<n>`, stable across runs); `job_id` the
 * service's. Progress 0..1.
 */
export interface HpcJobMsg {
  readonly key: string;
  readonly job_id: string | null;
  readonly vehicle: string;
  readonly processing_type: string;
  readonly source: string;
  readonly state: 'GATHERING' | 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  readonly progress: number;
  readonly t_ms: number;
  readonly error?: { readonly code: string; readonly message: string };
  readonly result?: { readonly blob_key: string; readonly bytes: number; readonly sha256: string; readonly media_type: string; readonly output_points: number; readonly world_file_key?: string };
}

/** Topic name → message type. Vehicle topics are `/<vehicle>/<name>`, sensor topics `/<vehicle>/<sensor>/<name>`. */
export interface Topics {
  [topic: `/${string}/telemetry`]: VehicleTelemetry;
  [topic: `/${string}/pose`]: PoseMsg;
  [topic: `/${string}/battery`]: BatteryMsg;
  [topic: `/${string}/state`]: VehicleStateMsg;
  '/mission/status': MissionStatusMsg;
  /** A stored image (reference only; the bytes are in the blob store). */
  [topic: `/${string}/capture`]: CaptureRef;
  /** A completed LiDAR frame (reference only). */
  [topic: `/${string}/scan`]: ScanRef;
  [topic: `/${string}/health`]: SensorHealthMsg;
  [topic: `/${string}/slam/pose`]: SlamPoseMsg;
  [topic: `/${string}/slam/odometry`]: SlamOdometryMsg;
  [topic: `/${string}/slam/map`]: SlamMapRefMsg;
  '/hpc/jobs': HpcJobMsg;
}

export const topics = {
  telemetry: (vehicle: string) => `/${vehicle}/telemetry` as const,
  pose: (vehicle: string) => `/${vehicle}/pose` as const,
  battery: (vehicle: string) => `/${vehicle}/battery` as const,
  state: (vehicle: string) => `/${vehicle}/state` as const,
  missionStatus: '/mission/status' as const,
  sensorCapture: (vehicle: string, sensor: string) => `/${vehicle}/${sensor}/capture` as const,
  sensorScan: (vehicle: string, sensor: string) => `/${vehicle}/${sensor}/scan` as const,
  sensorHealth: (vehicle: string, sensor: string) => `/${vehicle}/${sensor}/health` as const,
  slamPose: (vehicle: string) => `/${vehicle}/slam/pose` as const,
  slamOdometry: (vehicle: string) => `/${vehicle}/slam/odometry` as const,
  slamMap: (vehicle: string) => `/${vehicle}/slam/map` as const,
  hpcJobs: '/hpc/jobs' as const,
};

type Handler = (msg: unknown, topic: string) => void;

export class Bus<T extends object = Topics> {
  private readonly subs = new Map<string, Handler[]>();
  private readonly wildcard: Handler[] = [];
  private readonly counts = new Map<string, number>();
  /** Total messages published (whether or not anybody listened). */
  published = 0;

  constructor(private readonly onError: (error: unknown, topic: string) => void = () => {}) {}

  publish<K extends keyof T & string>(topic: K, msg: T[K]): void {
    this.published++;
    const list = this.subs.get(topic);
    if (list === undefined && this.wildcard.length === 0) return;
    this.counts.set(topic, (this.counts.get(topic) ?? 0) + 1);
    if (list) for (const fn of list) this.deliver(fn, msg, topic);
    for (const fn of this.wildcard) this.deliver(fn, msg, topic);
  }

  /** True when someone listens to `topic`; lets publishers skip building a message. */
  hasSubscribers(topic: string): boolean {
    return this.subs.has(topic) || this.wildcard.length > 0;
  }

  subscribe<K extends keyof T & string>(topic: K, fn: (msg: T[K], topic: K) => void): Unsubscribe {
    const list = this.subs.get(topic) ?? [];
    const handler = fn as Handler;
    this.subs.set(topic, [...list, handler]);
    return () => {
      const now = (this.subs.get(topic) ?? []).filter((h) => h !== handler);
      if (now.length) this.subs.set(topic, now);
      else this.subs.delete(topic);
    };
  }

  /** Every message on every topic (recorders, bridges). */
  subscribeAll(fn: (msg: unknown, topic: string) => void): Unsubscribe {
    this.wildcard.push(fn);
    return () => {
      const i = this.wildcard.indexOf(fn);
      if (i >= 0) this.wildcard.splice(i, 1);
    };
  }

  /** Messages delivered per topic so far (topics with at least one listener). */
  stats(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  private deliver(fn: Handler, msg: unknown, topic: string): void {
    try {
      fn(msg, topic);
    } catch (error) {
      this.onError(error, topic);
    }
  }
}
