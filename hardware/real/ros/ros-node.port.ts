/**
 * The ROS node port: what the twin's ROS face (ros/) and the ROS-fed hardware ports
 * (LiDAR, camera, LIO source) ask of a ROS client library, whatever its version.
 *
 * @remarks
 * Implemented over the ROS 1 transport (`ros1-node.adapter.ts` on hardware/real/ros/ros1) and
 * over rclnodejs for ROS 2 (`ros2/`). Messages are plain objects in the node's
 * {@link RosDialect} (ROS 1: `header.stamp` `{sec, nsec}`; ROS 2: `{sec, nanosec}`), byte arrays
 * `Uint8Array`s; types are given in the ROS 1 spelling (`sensor_msgs/Image`) and translated by
 * the ROS 2 adapter. Subscriptions and services are kept across a master or graph restart by the
 * transport (the node re-registers); {@link RosNode.onGraph} reports the connection.
 */
import type { Result } from '../../../core/result.js';
import type { RosDialect } from './messages/ros-dialect.js';

export type RosUnsubscribe = () => void;

export type RosErrorCode =
  | 'ROS.UNKNOWN_TYPE' // no definition for the type
  | 'ROS.TYPE_CONFLICT' // the topic or service exists with another type
  | 'ROS.BAD_NAME' // not a valid graph resource name
  | 'ROS.NO_MASTER' // the master (ROS 1) or graph (ROS 2) cannot be reached
  | 'ROS.UNAVAILABLE' // the client library is not installed (rclnodejs) or cannot load
  | 'ROS.FAILED'; // anything else the library reported

/** A publisher of one topic. */
export interface RosPublisher {
  readonly topic: string;
  readonly type: string;
  /** Sends one message to every subscriber (none: nothing happens). */
  publish(msg: unknown): void;
  /** Subscribers connected now (ROS 1: TCPROS connections). */
  subscribers(): number;
  close(): void;
}

export interface AdvertiseOptions {
  /** New subscribers receive the last message (ROS 1 latching; ROS 2 transient-local durability). */
  readonly latch?: boolean;
}

/** A service handler: request object → response object (in the node's dialect); throw to fail the call. */
export type RosServiceHandler = (request: Record<string, unknown>) => Promise<Record<string, unknown>> | Record<string, unknown>;

export interface RosNode {
  /** The fully qualified node name, e.g. `/overwatch_twin`. */
  readonly name: string;
  readonly dialect: RosDialect;
  advertise(topic: string, type: string, options?: AdvertiseOptions): Promise<Result<RosPublisher, RosErrorCode>>;
  /** Every message on `topic`, as decoded; the handler must not throw (errors are logged). */
  subscribe(topic: string, type: string, fn: (msg: unknown) => void): Promise<Result<RosUnsubscribe, RosErrorCode>>;
  advertiseService(service: string, type: string, handler: RosServiceHandler): Promise<Result<RosUnsubscribe, RosErrorCode>>;
  /** Calls a service of another node. */
  callService?(service: string, type: string, request: Record<string, unknown>, timeout_ms?: number): Promise<Result<Record<string, unknown>, RosErrorCode>>;
  /** `up` false when the master / graph went away, true when registrations are back. */
  onGraph?(fn: (up: boolean) => void): RosUnsubscribe;
  /** Unregisters everything and closes the connections. */
  shutdown(): Promise<void>;
}
