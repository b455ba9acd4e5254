/**
 * Where a field LIO (FAST-LIVO2, FAST-LIO, …) reaches the twin: its odometry and its registered
 * cloud as decoded ROS 1 message objects, from whatever transport delivers them (a ROS 1
 * subscription, a ROS 2 bridge, a bag replay, a scripted test source).
 *
 * @remarks
 * Small on purpose: the transport implements {@link LioSource}; the SLAM adapter
 * (`lio-slam.adapter.ts`) validates every message (zod), converts frames and stamps, and decides
 * tracking. Messages use ROS 1 field names (`header.stamp` `{sec, nsec}`; genpy's and rosnodejs's
 * `{secs, nsecs}` are accepted too). Byte arrays (`PointCloud2.data`) are `Uint8Array`s (a Node
 * `Buffer` is one). A transport passes messages through as decoded: the adapter, not the source,
 * rejects bad ones.
 */

/** Stops a subscription. */
export type LioUnsubscribe = () => void;

/** ROS 1 `time`: seconds and nanoseconds since the epoch (or since the bag's start). */
export interface Ros1Time {
  readonly sec?: number;
  readonly nsec?: number;
  /** genpy / rosnodejs spelling. */
  readonly secs?: number;
  readonly nsecs?: number;
}

export interface Ros1Header {
  readonly seq?: number;
  readonly stamp: Ros1Time;
  readonly frame_id: string;
}

export interface Ros1Vector3 {
  readonly x: number;
  readonly y: number;
  readonly z: number;
}

export interface Ros1Quaternion extends Ros1Vector3 {
  readonly w: number;
}

/** nav_msgs/Odometry (FAST-LIVO2 `/aft_mapped_to_init`, FAST-LIO `/Odometry`). */
export interface Ros1Odometry {
  readonly header: Ros1Header;
  readonly child_frame_id: string;
  readonly pose: { readonly pose: { readonly position: Ros1Vector3; readonly orientation: Ros1Quaternion }; readonly covariance?: ArrayLike<number> };
  readonly twist: { readonly twist: { readonly linear: Ros1Vector3; readonly angular: Ros1Vector3 }; readonly covariance?: ArrayLike<number> };
}

/** sensor_msgs/PointField. `datatype` 7 = FLOAT32, 8 = FLOAT64. */
export interface Ros1PointField {
  readonly name: string;
  readonly offset: number;
  readonly datatype: number;
  readonly count: number;
}

/** sensor_msgs/PointCloud2 (`/cloud_registered`: the scan registered in the LIO's world frame). */
export interface Ros1PointCloud2 {
  readonly header: Ros1Header;
  readonly height: number;
  readonly width: number;
  readonly fields: readonly Ros1PointField[];
  readonly is_bigendian: boolean;
  readonly point_step: number;
  readonly row_step: number;
  readonly data: Uint8Array;
  readonly is_dense: boolean;
}

/**
 * A field LIO's output, delivered as decoded messages. `onOdometry` / `onCloud` may be called
 * more than once (each callback gets every message); `close` ends the subscriptions and releases
 * the transport.
 */
export interface LioSource {
  onOdometry(cb: (msg: Ros1Odometry) => void): LioUnsubscribe;
  onCloud(cb: (msg: Ros1PointCloud2) => void): LioUnsubscribe;
  close(): Promise<void> | void;
}

/** The topics a LIO publishes (what a transport subscribes to). */
export interface LioTopics {
  readonly odometry: string;
  readonly cloud: string;
}

/** Topic names of the common LIOs, as their launch files publish them. */
export const LIO_TOPICS = {
  'fast-livo2': { odometry: '/aft_mapped_to_init', cloud: '/cloud_registered' },
  'fast-lio': { odometry: '/Odometry', cloud: '/cloud_registered' },
} as const satisfies Record<string, LioTopics>;
