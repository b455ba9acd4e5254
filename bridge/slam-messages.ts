/**
 * SLAM bus messages → ROS messages: geometry_msgs/PoseStamped, nav_msgs/Odometry,
 * tf2_msgs/TFMessage and the local map as sensor_msgs/PointCloud2 (decimated to a point budget).
 *
 * @remarks
 * Pure. Frames follow REP 105 with one namespace per vehicle:
 * - `map`: the twin's world frame, ENU metres from its origin (REP 103), the frame of
 *   `/<vehicle>/pose` — so `/<vehicle>/slam/pose` and the autopilot's pose draw in one frame;
 * - `<vehicle>/odom`: the estimator's own frame (the first scan's sensor frame after start or
 *   reset: x forward, y left, z up; FAST-LIVO2's `camera_init`), continuous, drifting;
 * - `<vehicle>/base_link`: the body (the LiDAR, on a level forward-facing mount).
 *
 * `/tf` carries map → `<vehicle>/odom` (where the runtime anchored the estimator's frame: the
 * vehicle's reported position and heading at the first pose) and `<vehicle>/odom` →
 * `<vehicle>/base_link` (the estimate), so map → base_link composes to `/<vehicle>/slam/pose`.
 * The anchor is recovered from the bus message itself: its world heading is the anchor's heading
 * minus the estimate's yaw, its world position the anchor plus the rotated estimate.
 * Stamps are sim time `{sec, nanosec}` like every bridge topic.
 */
import type { SlamOdometryMsg, SlamPoseMsg } from '../actors/bus.js';
import type { SlamMapSnapshot } from '../actors/slam-runtime.js';
import { rosTime, type Quaternion } from './ros-messages.js';

type Vec3 = readonly [number, number, number];
/** w, x, y, z as the port gives orientations. */
type Wxyz = readonly [number, number, number, number];

/** The ROS frames of one vehicle's SLAM. */
export function slamFrames(vehicle: string) {
  return { map: 'map', odom: `${vehicle}/odom`, base: `${vehicle}/base_link` } as const;
}

/** ROS message types of the SLAM topics. */
export const SLAM_ROS_TYPES = {
  pose: 'geometry_msgs/PoseStamped',
  odometry: 'nav_msgs/Odometry',
  map: 'sensor_msgs/PointCloud2',
  tf: 'tf2_msgs/TFMessage',
} as const;

const rosQ = (q: Wxyz): Quaternion => ({ x: q[1], y: q[2], z: q[3], w: q[0] });
const yawOf = (q: Wxyz): number => Math.atan2(2 * (q[0] * q[3] + q[1] * q[2]), 1 - 2 * (q[2] * q[2] + q[3] * q[3]));

/** Hamilton product a ⊗ b, w first. */
function qmul(a: Wxyz, b: Wxyz): Wxyz {
  return [
    a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3],
    a[0] * b[1] + a[1] * b[0] + a[2] * b[3] - a[3] * b[2],
    a[0] * b[2] - a[1] * b[3] + a[2] * b[0] + a[3] * b[1],
    a[0] * b[3] + a[1] * b[2] - a[2] * b[1] + a[3] * b[0],
  ];
}

/**
 * map ← odom: the estimator's frame in the world (ENU). `yaw_rad` is counter-clockwise from east;
 * the estimator's frame is level (gravity-aligned by the attitude prior), so yaw alone rotates it.
 */
export function odomInMap(m: Pick<SlamPoseMsg, 'local' | 'heading_deg' | 'map_position_m' | 'map_orientation'>): { translation: Vec3; yaw_rad: number } {
  const psi0 = (m.heading_deg * Math.PI) / 180 + yawOf(m.map_orientation); // anchor heading, clockwise from north
  const yaw = Math.PI / 2 - psi0;
  const [c, s] = [Math.cos(yaw), Math.sin(yaw)];
  const p = m.map_position_m;
  const enu: Vec3 = [m.local.east_m, m.local.north_m, -m.local.down_m];
  return { translation: [enu[0] - (c * p[0] - s * p[1]), enu[1] - (s * p[0] + c * p[1]), enu[2] - p[2]], yaw_rad: Math.atan2(s, c) };
}

const yawQ = (yaw: number): Wxyz => [Math.cos(yaw / 2), 0, 0, Math.sin(yaw / 2)];

/** The body's orientation in `map` (ENU): the anchor's yaw ⊗ the estimate. */
function orientationInMap(m: Parameters<typeof odomInMap>[0]): Quaternion {
  return rosQ(qmul(yawQ(odomInMap(m).yaw_rad), m.map_orientation));
}

/** `/<vehicle>/slam/pose`: geometry_msgs/PoseStamped of the body in `map` (ENU, full attitude from the estimate). */
export function slamPoseStamped(m: SlamPoseMsg) {
  return {
    header: { stamp: rosTime(m.t_ms), frame_id: 'map' },
    pose: {
      position: { x: m.local.east_m, y: m.local.north_m, z: -m.local.down_m },
      orientation: orientationInMap(m),
    },
  };
}

const ZERO36 = Object.freeze(new Array<number>(36).fill(0));

/**
 * `/<vehicle>/slam/odometry`: nav_msgs/Odometry in `<vehicle>/odom` (the estimator's frame, as
 * FAST-LIVO2 publishes in `camera_init`), child `<vehicle>/base_link`; the twist is in the child
 * frame (m/s, rad/s). Covariances are zero (unknown): KISS-ICP's σ is a threshold, not a covariance.
 */
export function slamOdometry(m: SlamOdometryMsg) {
  const f = slamFrames(m.vehicle);
  const [px, py, pz] = m.map_position_m;
  const [vx, vy, vz] = m.linear_mps;
  const [wx, wy, wz] = m.angular_radps;
  return {
    header: { stamp: rosTime(m.t_ms), frame_id: f.odom },
    child_frame_id: f.base,
    pose: { pose: { position: { x: px, y: py, z: pz }, orientation: rosQ(m.map_orientation) }, covariance: ZERO36 },
    twist: { twist: { linear: { x: vx, y: vy, z: vz }, angular: { x: wx, y: wy, z: wz } }, covariance: ZERO36 },
  };
}

const transform = (stamp: ReturnType<typeof rosTime>, parent: string, child: string, t: Vec3, q: Quaternion) => ({
  header: { stamp, frame_id: parent },
  child_frame_id: child,
  transform: { translation: { x: t[0], y: t[1], z: t[2] }, rotation: q },
});

/** `/tf`: tf2_msgs/TFMessage with map → `<vehicle>/odom` → `<vehicle>/base_link` at the odometry's time. */
export function slamTf(m: SlamOdometryMsg) {
  const f = slamFrames(m.vehicle);
  const stamp = rosTime(m.t_ms);
  const a = odomInMap(m);
  return {
    transforms: [
      transform(stamp, f.map, f.odom, a.translation, rosQ(yawQ(a.yaw_rad))),
      transform(stamp, f.odom, f.base, m.map_position_m, rosQ(m.map_orientation)),
    ],
  };
}

/** Bytes per map point: x, y, z float32. */
export const MAP_POINT_STEP = 12;
const FLOAT32 = 7; // sensor_msgs/PointField.FLOAT32
const BIG_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 0;

/**
 * Every `stride`-th point of the map so at most `budget` remain (the map's order is its voxels':
 * a stride thins it evenly in space), as bytes; no copy when the whole map fits.
 */
export function decimateMap(points: Float32Array, budget: number): { data: Uint8Array; count: number } {
  const n = Math.floor(points.length / 3);
  const limit = Math.max(0, Math.floor(budget));
  if (n <= limit) return { data: new Uint8Array(points.buffer, points.byteOffset, n * MAP_POINT_STEP), count: n };
  if (limit === 0) return { data: new Uint8Array(0), count: 0 };
  const stride = Math.ceil(n / limit);
  const count = Math.ceil(n / stride);
  const out = new Float32Array(count * 3);
  for (let k = 0, i = 0; k < count; k++, i += stride) {
    out[k * 3] = points[i * 3]!;
    out[k * 3 + 1] = points[i * 3 + 1]!;
    out[k * 3 + 2] = points[i * 3 + 2]!;
  }
  return { data: new Uint8Array(out.buffer), count };
}

/** `/<vehicle>/slam/map`: sensor_msgs/PointCloud2 (x, y, z float32, unorganised) in `<vehicle>/odom`, at most `budget` points. */
export function slamMapCloud(map: SlamMapSnapshot, budget: number) {
  const { data, count } = decimateMap(map.points, budget);
  return {
    header: { stamp: rosTime(map.t_ms), frame_id: slamFrames(map.vehicle).odom },
    height: 1,
    width: count,
    fields: [
      { name: 'x', offset: 0, datatype: FLOAT32, count: 1 },
      { name: 'y', offset: 4, datatype: FLOAT32, count: 1 },
      { name: 'z', offset: 8, datatype: FLOAT32, count: 1 },
    ],
    is_bigendian: BIG_ENDIAN,
    point_step: MAP_POINT_STEP,
    row_step: MAP_POINT_STEP * count,
    data,
    is_dense: true,
  };
}
