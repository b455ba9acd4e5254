/**
 * The SLAM port: one estimator per vehicle (the simulated KISS-ICP odometry on the simulated
 * Ouster, or a field LIO such as FAST-LIVO2 through ROS), as the SLAM machine
 * (machines/slam.machine.ts) drives it and the bridge publishes it (`/slam/pose`,
 * `/slam/odometry`, `/slam/map`, TF map → base_link).
 *
 * @remarks
 * SI units throughout: metres, radians, m/s, rad/s; times are clock (sim) time in ms. Poses are
 * map ← sensor, the map frame being the estimator's own (the first scan's sensor frame for
 * KISS-ICP); orientation as a unit quaternion w, x, y, z. Expected failures are results with the
 * closed set of {@link SlamErrorCode}s; streams are `subscribe(fn) → unsubscribe`.
 */
import type { Result } from '../core/result.js';
import type { Unsubscribe } from './sensor.port.js';

export type SlamErrorCode =
  | 'SLAM.NOT_STARTED'
  | 'SLAM.NO_LIDAR'
  | 'SLAM.BUSY'
  | 'SLAM.RELOCALIZE_FAILED'
  | 'SLAM.DISPOSED';

export type SlamResult = Result<void, SlamErrorCode>;

/** `/slam/pose` (geometry_msgs/PoseStamped). */
export interface SlamPoseEvent {
  readonly type: 'pose';
  /** Middle of the registered scan, clock ms. */
  readonly t_ms: number;
  readonly frame_id: 'map';
  readonly position_m: readonly [number, number, number];
  readonly orientation: readonly [number, number, number, number];
  /** The registration is trusted (converged, enough correspondences, not degenerate). */
  readonly ok: boolean;
  /** Dotted code when not ok: `SLAM.DEGENERATE`, `SLAM.FEW_CORRESPONDENCES`, `SLAM.NOT_CONVERGED`, `SLAM.EMPTY_SCAN`. */
  readonly reason?: string;
}

/** `/slam/odometry` (nav_msgs/Odometry): the pose plus the body-frame twist between scans. */
export interface SlamOdometryEvent {
  readonly type: 'odometry';
  readonly t_ms: number;
  readonly frame_id: 'map';
  readonly child_frame_id: 'base_link';
  readonly position_m: readonly [number, number, number];
  readonly orientation: readonly [number, number, number, number];
  /** Linear velocity in the child frame, m/s. */
  readonly linear_mps: readonly [number, number, number];
  /** Angular velocity in the child frame, rad/s. */
  readonly angular_radps: readonly [number, number, number];
  /** Correspondence threshold σ of the registration, m (KISS-ICP's adaptive threshold). */
  readonly sigma_m: number;
}

/** `/slam/map` (sensor_msgs/PointCloud2, throttled): the local map, x, y, z float32 in the map frame. */
export interface SlamMapEvent {
  readonly type: 'map';
  readonly t_ms: number;
  readonly frame_id: 'map';
  readonly points: Float32Array;
}

export type SlamEvent = SlamPoseEvent | SlamOdometryEvent | SlamMapEvent;

export interface SlamCapabilities {
  /** What estimates: `kiss-icp-sim`, `fast-livo2`, … */
  readonly backend: string;
  readonly relocalize: boolean;
  readonly map: boolean;
}

export interface SlamPort {
  readonly capabilities: SlamCapabilities;
  /** Starts consuming scans; the first trusted pose follows once a map exists. */
  start(signal?: AbortSignal): Promise<SlamResult>;
  stop(signal?: AbortSignal): Promise<SlamResult>;
  /** Drops the map and motion model: the next scan starts a new map frame. */
  reset(signal?: AbortSignal): Promise<SlamResult>;
  /** Moves the estimate near `hint` (map frame, m; yaw rad) and resumes tracking. */
  relocalize(hint: { readonly position_m: readonly [number, number, number]; readonly yaw_rad?: number }, signal?: AbortSignal): Promise<SlamResult>;
  subscribe(fn: (event: SlamEvent) => void): Unsubscribe;
  dispose(): Promise<void>;
}
