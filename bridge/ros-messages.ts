/**
 * Bus messages → ROS-shaped messages, as a roslibjs frontend expects them.
 *
 * @remarks
 * The mapping itself is shared with the ROS graph face (ros/) and lives in
 * hardware/real/ros/messages; this module fixes the spelling the rosbridge face speaks: stamps are
 * sim time as `builtin_interfaces/Time` `{sec, nanosec}` (ROS 2), so a recorded run replays with
 * the times the twin saw, and unknown quantities are `null` (JSON has no NaN; rosbridge sends null
 * for NaN too). Frames follow REP 103 / REP 105 (ENU, yaw counter-clockwise from east).
 */
import type { BatteryMsg, MissionStatusMsg, PoseMsg, VehicleStateMsg } from '../actors/bus.js';
import type { VehicleTelemetry } from '../hardware/vehicle.port.js';
import { headerOf, rosTimeOf, type Ros2Time } from '../hardware/real/ros/messages/ros-dialect.js';
import * as shared from '../hardware/real/ros/messages/twin-to-ros.mapper.js';

export { headingToQuaternion, quaternionToHeading, type Quaternion } from '../hardware/real/ros/messages/ros-dialect.js';

export type RosTime = Ros2Time;

export interface RosHeader {
  readonly stamp: RosTime;
  readonly frame_id: string;
}

/** Sim milliseconds → `{sec, nanosec}` (non-negative, nanosec < 1e9). */
export const rosTime = (t_ms: number): RosTime => rosTimeOf(t_ms, 'ros2');

/** geometry_msgs/PoseStamped in the world frame `map` (ENU metres from the twin's origin). */
export const poseStamped = (p: PoseMsg) => shared.poseStamped(p, 'ros2');

/** sensor_msgs/NavSatFix from a telemetry sample (see the shared mapping for altitude and covariance). */
export const navSatFix = (t: VehicleTelemetry) => shared.navSatFix(t, 'ros2');

/** sensor_msgs/BatteryState; unknown quantities null (JSON), discharge current negative, percentage 0..1. */
export function batteryState(b: BatteryMsg) {
  return { ...shared.batteryState(b, 'ros2'), temperature: null, charge: null, capacity: null, design_capacity: null };
}

/** overwatch_msgs/VehicleState: the vehicle's discrete state, one message per change. */
export function vehicleState(s: VehicleStateMsg) {
  return {
    header: headerOf(s.t_ms, '', 'ros2') as RosHeader,
    vehicle: s.vehicle,
    mode: s.mode,
    armed: s.armed,
    link: s.link,
    landed: s.landed,
    state: s.state,
  };
}

/** std_msgs/String whose `data` is the original OverWatch status JSON (plus `vehicle`, `reason`). */
export const missionStatusString = (m: MissionStatusMsg) => shared.missionStatusString(m);

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
