/**
 * Twin → ROS: the twin's bus messages as ROS messages, in either spelling ({@link RosDialect}).
 *
 * @remarks
 * Pure, shared by the rosbridge face (bridge/, ROS 2 spelling) and the ROS graph face (ros/,
 * ROS 1 or ROS 2). Frames follow REP 103 / REP 105: the bus speaks local NED and compass
 * headings; ROS speaks ENU (`x` east, `y` north, `z` up) with yaw counter-clockwise from east. The
 * world frame is `map` (ENU metres from the twin's origin); a vehicle's body is
 * `<vehicle>/base_link`, a sensor's frame `<vehicle>/<sensor>`. Unknown float quantities are NaN,
 * as ROS writes them (a JSON face turns them into null).
 *
 * Inputs are structural (the bus types in actors/bus.ts satisfy them): hardware/ stays below the
 * runtime (.dependency-cruiser.cjs).
 */
import type { Ned } from '../../../../core/geo.js';
import type { VehicleTelemetry, BatteryState as TwinBattery } from '../../../vehicle.port.js';
import { headerOf, headingToQuaternion, rosTimeOf, type Quaternion, type RosDialect } from './ros-dialect.js';

/** A vehicle's pose as the bus carries it (`/<vehicle>/pose`, and `/<vehicle>/slam/pose`). */
export interface PoseInput {
  readonly vehicle: string;
  readonly t_ms: number;
  readonly local: Ned;
  readonly heading_deg: number;
  readonly velocity_ned_mps: Ned;
}

export interface BatteryInput extends TwinBattery {
  readonly vehicle: string;
  readonly t_ms: number;
}

export interface MissionStatusInput {
  readonly vehicle: string;
  readonly mission_id: string | null;
  readonly mission_name: string | null;
  readonly status: string;
  readonly progress: { readonly current_waypoint: number; readonly total_waypoints: number; readonly percent_complete: number };
  readonly reason?: string;
}

/** The world frame every vehicle pose is in. */
export const WORLD_FRAME = 'map';
/** `<vehicle>/base_link`: the vehicle's body frame (x forward, y left, z up, REP 103). */
export const baseLink = (vehicle: string): string => `${vehicle}/base_link`;
/** `<vehicle>/<sensor>`: a sensor's frame. */
export const sensorFrame = (vehicle: string, sensor: string): string => `${vehicle}/${sensor}`;

/** Local NED metres → ENU `geometry_msgs/Point`. */
export const nedToEnu = (p: Ned): { x: number; y: number; z: number } => ({ x: p.east_m, y: p.north_m, z: -p.down_m });

/** geometry_msgs/PoseStamped in `map`. */
export function poseStamped(p: PoseInput, dialect: RosDialect) {
  return {
    header: headerOf(p.t_ms, WORLD_FRAME, dialect),
    pose: { position: nedToEnu(p.local), orientation: headingToQuaternion(p.heading_deg) },
  };
}

/** Body twist (child frame, m/s and rad/s) given explicitly, e.g. by a SLAM estimator. */
export interface BodyTwist {
  readonly linear_mps: readonly [number, number, number];
  readonly angular_radps: readonly [number, number, number];
}

/**
 * nav_msgs/Odometry: pose in `map`, twist in `<vehicle>/base_link` (REP 105). Without an explicit
 * twist the NED ground velocity is rotated into the level body frame (x forward, y left, z up);
 * the yaw rate is not on the bus (0). Covariances are unknown: the first element is -1, as ROS
 * asks for an unknown covariance.
 */
export function odometry(p: PoseInput, dialect: RosDialect, twist?: BodyTwist) {
  let linear: { x: number; y: number; z: number };
  let angular = { x: 0, y: 0, z: 0 };
  if (twist) {
    linear = { x: twist.linear_mps[0], y: twist.linear_mps[1], z: twist.linear_mps[2] };
    angular = { x: twist.angular_radps[0], y: twist.angular_radps[1], z: twist.angular_radps[2] };
  } else {
    const yaw = (p.heading_deg * Math.PI) / 180; // clockwise from north
    const v = p.velocity_ned_mps;
    const forward = v.north_m * Math.cos(yaw) + v.east_m * Math.sin(yaw);
    const right = -v.north_m * Math.sin(yaw) + v.east_m * Math.cos(yaw);
    linear = { x: forward, y: -right, z: -v.down_m };
  }
  return {
    header: headerOf(p.t_ms, WORLD_FRAME, dialect),
    child_frame_id: baseLink(p.vehicle),
    pose: { pose: { position: nedToEnu(p.local), orientation: headingToQuaternion(p.heading_deg) }, covariance: unknownCovariance() },
    twist: { twist: { linear, angular }, covariance: unknownCovariance() },
  };
}

const unknownCovariance = (): number[] => {
  const c = new Array<number>(36).fill(0);
  c[0] = -1;
  return c;
};

/**
 * tf2_msgs/TFMessage with one transform `map` → `<vehicle>/base_link` (or `child`), the pose as a
 * rigid transform.
 */
export function tfMessage(p: PoseInput, dialect: RosDialect, child: string = baseLink(p.vehicle)) {
  const t = nedToEnu(p.local);
  return {
    transforms: [
      {
        header: headerOf(p.t_ms, WORLD_FRAME, dialect),
        child_frame_id: child,
        transform: { translation: t, rotation: headingToQuaternion(p.heading_deg) as Quaternion },
      },
    ],
  };
}

// sensor_msgs/NavSatStatus
const STATUS_NO_FIX = -1;
const STATUS_FIX = 0;
const SERVICE_GPS = 1;
const COVARIANCE_TYPE_APPROXIMATED = 1;
/** Metres of horizontal error per unit of HDOP (a typical single-frequency UERE). */
const UERE_M = 1.5;

/**
 * sensor_msgs/NavSatFix from a telemetry sample. `altitude` is AMSL as the port reports it (ROS
 * wants ellipsoidal height; the geoid offset is not known to the twin). The covariance is the
 * HDOP × UERE approximation, vertical twice the horizontal (in σ).
 */
export function navSatFix(t: Pick<VehicleTelemetry, 'vehicle' | 't_ms' | 'position' | 'gps'>, dialect: RosDialect) {
  const h = (t.gps.hdop * UERE_M) ** 2;
  return {
    header: headerOf(t.t_ms, `${t.vehicle}/gps`, dialect),
    status: { status: t.gps.fix === 'none' ? STATUS_NO_FIX : STATUS_FIX, service: SERVICE_GPS },
    latitude: t.position.lat_deg,
    longitude: t.position.lon_deg,
    altitude: t.position.alt_m,
    position_covariance: [h, 0, 0, 0, h, 0, 0, 0, 4 * h],
    position_covariance_type: COVARIANCE_TYPE_APPROXIMATED,
  };
}

// sensor_msgs/BatteryState constants
const POWER_SUPPLY_STATUS_DISCHARGING = 2;
const POWER_SUPPLY_HEALTH_UNKNOWN = 0;
const POWER_SUPPLY_TECHNOLOGY_LIPO = 3;

/**
 * sensor_msgs/BatteryState. `current` is negative while discharging (the ROS convention; the bus
 * carries the draw as a positive number); `percentage` is 0..1; quantities the twin does not know
 * (temperature, charge, capacity) are NaN, as the message definition asks.
 */
export function batteryState(b: BatteryInput, dialect: RosDialect) {
  return {
    header: headerOf(b.t_ms, `${b.vehicle}/battery`, dialect),
    voltage: b.voltage_v,
    temperature: NaN,
    current: -b.current_a,
    charge: NaN,
    capacity: NaN,
    design_capacity: NaN,
    percentage: Math.min(1, Math.max(0, b.remaining_pct / 100)),
    power_supply_status: POWER_SUPPLY_STATUS_DISCHARGING,
    power_supply_health: POWER_SUPPLY_HEALTH_UNKNOWN,
    power_supply_technology: POWER_SUPPLY_TECHNOLOGY_LIPO,
    present: true,
    cell_voltage: [] as number[],
    cell_temperature: [] as number[],
    location: b.vehicle,
    serial_number: '',
  };
}

/**
 * std_msgs/String whose `data` is the original OverWatch status JSON
 * `{mission_id, mission_name, status, progress:{current_waypoint,total_waypoints,percent_complete}}`,
 * plus `vehicle` and `reason` when there is one.
 */
export function missionStatusString(m: MissionStatusInput) {
  return {
    data: JSON.stringify({
      vehicle: m.vehicle,
      mission_id: m.mission_id,
      mission_name: m.mission_name,
      status: m.status,
      progress: m.progress,
      ...(m.reason ? { reason: m.reason } : {}),
    }),
  };
}

/** `image/jpeg` → `jpeg` (sensor_msgs/CompressedImage `format`); unknown types pass as their subtype. */
export function imageFormat(mediaType: string | undefined): string {
  if (!mediaType) return 'jpeg';
  const sub = mediaType.split('/')[1] ?? mediaType;
  return sub === 'jpg' ? 'jpeg' : sub.replace(/^x-/, '');
}

/** What an image message is made from: who took it, when, and the bytes. */
export interface ImageInput {
  readonly vehicle: string;
  readonly sensor: string;
  readonly t_ms: number;
}

/** sensor_msgs/CompressedImage of an encoded image (JPEG, PNG …). */
export function compressedImage(ref: ImageInput & { readonly media_type?: string }, bytes: Uint8Array, dialect: RosDialect) {
  return {
    header: headerOf(ref.t_ms, sensorFrame(ref.vehicle, ref.sensor), dialect),
    format: imageFormat(ref.media_type),
    data: bytes,
  };
}

/** Bytes per pixel of the raw encodings the twin writes. */
const BYTES_PER_PIXEL: Record<string, number> = { rgb8: 3, bgr8: 3, rgba8: 4, bgra8: 4, mono8: 1, mono16: 2 };

/**
 * sensor_msgs/Image of raw pixels (`encoding` one of rgb8, bgr8, rgba8, bgra8, mono8, mono16;
 * rows packed, little-endian). Throws on a buffer that does not hold `width × height` pixels: a
 * programming error, not input.
 */
export function rawImage(ref: ImageInput, raw: { readonly width: number; readonly height: number; readonly encoding: string; readonly data: Uint8Array }, dialect: RosDialect) {
  const bpp = BYTES_PER_PIXEL[raw.encoding];
  if (bpp === undefined) throw new RangeError(`unsupported image encoding ${raw.encoding}`);
  const step = raw.width * bpp;
  if (raw.data.byteLength !== step * raw.height) throw new RangeError(`image data is ${raw.data.byteLength} bytes, expected ${step * raw.height}`);
  return {
    header: headerOf(ref.t_ms, sensorFrame(ref.vehicle, ref.sensor), dialect),
    height: raw.height,
    width: raw.width,
    encoding: raw.encoding,
    is_bigendian: 0,
    step,
    data: raw.data,
  };
}

/** Bytes per point in the scan blob and in PointCloud2: x, y, z, intensity as float32 LE. */
export const POINT_STEP = 16;
/** sensor_msgs/PointField datatype FLOAT32. */
export const FLOAT32 = 7;

/**
 * sensor_msgs/PointCloud2 (unorganised: height 1) of packed x,y,z,intensity float32 LE points, in
 * `frame_id` (the sensor's frame by default).
 */
export function pointCloud2(scan: ImageInput, data: Uint8Array, count: number, dialect: RosDialect, frame_id: string = sensorFrame(scan.vehicle, scan.sensor)) {
  return {
    header: headerOf(scan.t_ms, frame_id, dialect),
    height: 1,
    width: count,
    fields: [
      { name: 'x', offset: 0, datatype: FLOAT32, count: 1 },
      { name: 'y', offset: 4, datatype: FLOAT32, count: 1 },
      { name: 'z', offset: 8, datatype: FLOAT32, count: 1 },
      { name: 'intensity', offset: 12, datatype: FLOAT32, count: 1 },
    ],
    is_bigendian: false,
    point_step: POINT_STEP,
    row_step: POINT_STEP * count,
    data,
    is_dense: true,
  };
}

/** rosgraph_msgs/Clock: the twin's clock time (sim time under the virtual clock), for `use_sim_time`. */
export function clockMessage(t_ms: number, dialect: RosDialect) {
  return { clock: rosTimeOf(t_ms, dialect) };
}

/** ROS 1 type names of the twin's topics (ROS 2 inserts `/msg/`: {@link ros2TypeName}). */
export const TWIN_ROS_TYPES = {
  pose: 'geometry_msgs/PoseStamped',
  fix: 'sensor_msgs/NavSatFix',
  odometry: 'nav_msgs/Odometry',
  battery: 'sensor_msgs/BatteryState',
  tf: 'tf2_msgs/TFMessage',
  missionStatus: 'std_msgs/String',
  image: 'sensor_msgs/Image',
  compressedImage: 'sensor_msgs/CompressedImage',
  points: 'sensor_msgs/PointCloud2',
  clock: 'rosgraph_msgs/Clock',
} as const;

/** `geometry_msgs/PoseStamped` → `geometry_msgs/msg/PoseStamped` (idempotent; `srv` for services). */
export function ros2TypeName(type: string, kind: 'msg' | 'srv' = 'msg'): string {
  const parts = type.split('/');
  return parts.length === 2 ? `${parts[0]}/${kind}/${parts[1]}` : type;
}
