/**
 * The two spellings of ROS: ROS 1 (`time` is `{sec, nsec}`, `std_msgs/Header` has a `seq`) and
 * ROS 2 (`builtin_interfaces/Time` is `{sec, nanosec}`, no `seq`).
 *
 * @remarks
 * Pure. Every builder in this folder takes a {@link RosDialect} so one mapping serves the ROS 1
 * node (hardware/real/ros/ros1), the ROS 2 node (rclnodejs) and the rosbridge face (which speaks
 * the ROS 2 spelling). Stamps are the twin's clock in ms (sim time under the virtual clock).
 */
export type RosDialect = 'ros1' | 'ros2';

export interface Ros1Time {
  readonly sec: number;
  readonly nsec: number;
}

export interface Ros2Time {
  readonly sec: number;
  readonly nanosec: number;
}

export type RosTimeOf<D extends RosDialect> = D extends 'ros1' ? Ros1Time : Ros2Time;

export type HeaderOf<D extends RosDialect> = D extends 'ros1'
  ? { readonly seq: number; readonly stamp: Ros1Time; readonly frame_id: string }
  : { readonly stamp: Ros2Time; readonly frame_id: string };

/** Milliseconds → whole seconds and nanoseconds (non-negative, nanoseconds < 1e9). */
export function splitTime(t_ms: number): { sec: number; ns: number } {
  const ms = Math.max(0, t_ms);
  const sec = Math.floor(ms / 1000);
  const ns = Math.round((ms - sec * 1000) * 1e6);
  return ns >= 1e9 ? { sec: sec + 1, ns: 0 } : { sec, ns };
}

/** Milliseconds → the dialect's time. */
export function rosTimeOf<D extends RosDialect>(t_ms: number, dialect: D): RosTimeOf<D> {
  const { sec, ns } = splitTime(t_ms);
  return (dialect === 'ros1' ? { sec, nsec: ns } : { sec, nanosec: ns }) as RosTimeOf<D>;
}

/** `std_msgs/Header` in the dialect (`seq` 0 in ROS 1: the transport does not number messages). */
export function headerOf<D extends RosDialect>(t_ms: number, frame_id: string, dialect: D): HeaderOf<D> {
  return (dialect === 'ros1' ? { seq: 0, stamp: rosTimeOf(t_ms, 'ros1'), frame_id } : { stamp: rosTimeOf(t_ms, 'ros2'), frame_id }) as HeaderOf<D>;
}

/** A time in either spelling → ms; undefined when it is neither. */
export function timeToMs(t: unknown): number | undefined {
  if (t === null || typeof t !== 'object') return undefined;
  const o = t as { sec?: unknown; nsec?: unknown; nanosec?: unknown };
  const ns = o.nsec ?? o.nanosec;
  if (typeof o.sec !== 'number' || typeof ns !== 'number' || !Number.isFinite(o.sec) || !Number.isFinite(ns)) return undefined;
  return o.sec * 1000 + ns / 1e6;
}

/** `geometry_msgs/Quaternion`. */
export interface Quaternion {
  readonly x: number;
  readonly y: number;
  readonly z: number;
  readonly w: number;
}

/**
 * Compass heading (degrees clockwise from north) → ENU orientation (yaw about +z, counter-clockwise
 * from east), REP 103. Roll and pitch are not on the bus: level flight is assumed.
 */
export function headingToQuaternion(heading_deg: number): Quaternion {
  const yaw = Math.PI / 2 - (heading_deg * Math.PI) / 180;
  return { x: 0, y: 0, z: Math.sin(yaw / 2), w: Math.cos(yaw / 2) };
}

/** The inverse of {@link headingToQuaternion} (yaw part of any quaternion), degrees in [0, 360). */
export function quaternionToHeading(q: Quaternion): number {
  const yaw = Math.atan2(2 * (q.w * q.z + q.x * q.y), 1 - 2 * (q.y * q.y + q.z * q.z));
  const h = 90 - (yaw * 180) / Math.PI;
  return ((h % 360) + 360) % 360;
}
