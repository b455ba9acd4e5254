/**
 * Bus messages → ROS-shaped messages, as a roslibjs frontend expects them.
 *
 * @remarks
 * Pure functions. Frames follow REP 103 / REP 105: the bus speaks local NED and compass
 * headings, ROS speaks ENU (`x` east, `y` north, `z` up) with yaw counter-clockwise from east.
 * Stamps are sim time (`builtin_interfaces/Time` `{sec, nanosec}`, the ROS 2 spelling), so a
 * recorded run replays with the times the twin saw. Unknown quantities are `null` (JSON has no
 * NaN; rosbridge sends null for NaN too).
 */
import type { BatteryMsg, MissionStatusMsg, PoseMsg, VehicleStateMsg } from '../actors/bus.js';
import type { VehicleTelemetry } from '../hardware/vehicle.port.js';

export interface RosTime {
  readonly sec: number;
  readonly nanosec: number;
}

export interface RosHeader {
  readonly stamp: RosTime;
  readonly frame_id: string;
}

export interface Quaternion {
  readonly x: number;
  readonly y: number;
  readonly z: number;
  readonly w: number;
}

/** Sim milliseconds → `{sec, nanosec}` (non-negative, nanosec < 1e9). */
export function rosTime(t_ms: number): RosTime {
  const sec = Math.floor(t_ms / 1000);
  const nanosec = Math.round((t_ms - sec * 1000) * 1e6);
  return nanosec >= 1e9 ? { sec: sec + 1, nanosec: 0 } : { sec, nanosec };
}

/**
 * Compass heading (degrees clockwise from north) → ENU orientation (yaw about +z, counter-clockwise
 * from east). Roll and pitch are not on the bus: level flight is assumed.
 */
export function headingToQuaternion(heading_deg: number): Quaternion {
  const yaw = Math.PI / 2 - (heading_deg * Math.PI) / 180;
  return { x: 0, y: 0, z: Math.sin(yaw / 2), w: Math.cos(yaw / 2) };
}

/** The inverse of {@link headingToQuaternion}, in [0, 360). */
export function quaternionToHeading(q: Quaternion): number {
  const yaw = 2 * Math.atan2(q.z, q.w);
  const h = 90 - (yaw * 180) / Math.PI;
  return ((h % 360) + 360) % 360;
}

/** geometry_msgs/PoseStamped in the world frame `map` (ENU metres from the twin's origin). */
export function poseStamped(p: PoseMsg) {
  return {
    header: { stamp: rosTime(p.t_ms), frame_id: 'map' },
    pose: {
      position: { x: p.local.east_m, y: p.local.north_m, z: -p.local.down_m },
      orientation: headingToQuaternion(p.heading_deg),
    },
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
 * HDOP × UERE approximation, vertical twice the horizontal.
 */
export function navSatFix(t: VehicleTelemetry) {
  const h = (t.gps.hdop * UERE_M) ** 2;
  return {
    header: { stamp: rosTime(t.t_ms), frame_id: `${t.vehicle}/gps` },
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
 * carries the draw as a positive number); `percentage` is 0..1.
 */
export function batteryState(b: BatteryMsg) {
  return {
    header: { stamp: rosTime(b.t_ms), frame_id: `${b.vehicle}/battery` },
    voltage: b.voltage_v,
    temperature: null,
    current: -b.current_a,
    charge: null,
    capacity: null,
    design_capacity: null,
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

/** overwatch_msgs/VehicleState: the vehicle's discrete state, one message per change. */
export function vehicleState(s: VehicleStateMsg) {
  return {
    header: { stamp: rosTime(s.t_ms), frame_id: '' },
    vehicle: s.vehicle,
    mode: s.mode,
    armed: s.armed,
    link: s.link,
    landed: s.landed,
    state: s.state,
  };
}

/**
 * std_msgs/String whose `data` is the original OverWatch status JSON
 * `{mission_id, mission_name, status, progress:{current_waypoint,total_waypoints,percent_complete}}`,
 * plus `vehicle` (one topic serves the fleet) and `reason` when there is one.
 */
export function missionStatusString(m: MissionStatusMsg) {
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

/** ROS message types of the topics above (ROS 1 spelling; ROS 2 `pkg/msg/Type` is accepted too). */
export const ROS_TYPES = {
  pose: 'geometry_msgs/PoseStamped',
  globalPosition: 'sensor_msgs/NavSatFix',
  battery: 'sensor_msgs/BatteryState',
  state: 'overwatch_msgs/VehicleState',
  telemetry: 'overwatch_msgs/Telemetry',
  missionStatus: 'std_msgs/String',
  command: 'std_msgs/String',
} as const;
