/**
 * The public face of the ROS 1 node client: a node on a ROS 1 graph (a `roscore` master),
 * publishing and subscribing over TCPROS and offering and calling services.
 *
 * Messages are plain objects shaped like the ROS 1 definitions (field names as in the .msg file):
 * `time`/`duration` are `{ sec, nsec }`, `uint8[]` is a `Uint8Array`, other numeric arrays are
 * `number[]` or a typed array on the way out and a typed array on the way in, `int64`/`uint64`
 * are `bigint`. Units and frames are those of the message type (REP 103/105: metres, radians, ENU).
 */
import type { Logger } from '../../../../core/logger.js';
import type { Result } from '../../../../core/result.js';

/** Closed set of expected failures. */
export type Ros1ErrorCode =
  | 'ROS1.BAD_NAME' // topic/service/node name is not a legal ROS graph name
  | 'ROS1.UNKNOWN_TYPE' // no definition known for the message/service type
  | 'ROS1.BAD_DEFINITION' // a registered .msg/.srv text does not parse
  | 'ROS1.ALREADY_ADVERTISED' // this node already advertises the topic with another type / the service
  | 'ROS1.SERIALIZE_FAILED' // the object does not match the message definition
  | 'ROS1.MASTER_UNREACHABLE' // the master did not answer (connection refused, timeout)
  | 'ROS1.MASTER_ERROR' // the master answered with a failure code
  | 'ROS1.SERVICE_NOT_FOUND' // lookupService found no provider
  | 'ROS1.SERVICE_FAILED' // the service handler answered with ok=0 (message = its error string)
  | 'ROS1.HANDSHAKE_FAILED' // the peer refused the TCPROS header (e.g. md5sum mismatch)
  | 'ROS1.CONNECTION_FAILED' // TCP connect failed or the peer vanished mid-exchange
  | 'ROS1.TIMEOUT'
  | 'ROS1.SHUT_DOWN'; // the node was shut down

export type Ros1Result<T = void> = Result<T, Ros1ErrorCode>;

/** A ROS 1 message as a plain object (see the module comment for the field conventions). */
export type Ros1Message = Record<string, unknown>;

export interface Ros1NodeOptions {
  /** Node name, relative (`twin`) or absolute (`/twin`); resolved against `namespace`. */
  readonly name: string;
  /** The master's XML-RPC URI, e.g. `http://127.0.0.1:11311/` (the `ROS_MASTER_URI` convention). */
  readonly masterUri: string;
  /**
   * Address other nodes use to reach this one (in our XML-RPC URI, `rosrpc://` service URIs and
   * `requestTopic` answers): what `ROS_IP`/`ROS_HOSTNAME` would say; the caller reads those.
   * Default `127.0.0.1`.
   */
  readonly host?: string;
  /** Address the XML-RPC and TCPROS servers bind to; default `host` when it is a 127.x address, else `0.0.0.0`. */
  readonly bindAddress?: string;
  /** Namespace for relative names (`/uav1`); default `/`. */
  readonly namespace?: string;
  /** pino logger; default silent. */
  readonly logger?: Logger;
  /** Extra message/service definitions, type → .msg/.srv text (e.g. `overwatch_msgs/MissionStatus`). */
  readonly definitions?: Readonly<Record<string, string>>;
  /** Master liveness poll period, ms (default 1000). */
  readonly masterPollMs?: number;
  /** Timeout of one XML-RPC call, ms (default 3000). */
  readonly xmlrpcTimeoutMs?: number;
  /** Largest TCPROS frame (message or header) accepted, bytes (default 256 MiB). */
  readonly maxMessageBytes?: number;
}

export interface AdvertiseOptions {
  /** Latched topic: the last message is sent to every new subscriber (default false). */
  readonly latch?: boolean;
  /** Messages queued per subscriber connection while its socket is congested; oldest dropped (default 100). */
  readonly queueSize?: number;
}

export interface Publisher {
  /** Resolved topic name (absolute). */
  readonly topic: string;
  readonly type: string;
  readonly md5sum: string;
  /**
   * Outcome of the first registration with the master (`ROS1.MASTER_UNREACHABLE` when it was
   * away; registration is then retried on every poll). Await it before expecting other nodes to
   * find this one through the master.
   */
  readonly registration: Promise<Ros1Result>;
  /** Serialises once and sends to every connected subscriber (and keeps it if latched). */
  publish(msg: Ros1Message): Ros1Result;
  /** Number of TCPROS subscriber connections right now. */
  readonly subscriberCount: number;
  /** Unregisters from the master and closes the subscriber connections. */
  close(): Promise<void>;
}

export interface SubscribeOptions {
  /**
   * Accepted for parity with rospy/roscpp; there is no receive queue to bound: callbacks run
   * synchronously, in arrival order, as each frame is read from the socket.
   */
  readonly queueSize?: number;
}

/** Where a received message came from. */
export interface MessageMeta {
  readonly topic: string;
  /** `callerid` of the publishing node. */
  readonly publisher: string;
  /** Serialized size, bytes. */
  readonly byteLength: number;
  /** Whether the publisher declared the topic latched. */
  readonly latching: boolean;
}

export interface Subscriber {
  readonly topic: string;
  readonly type: string;
  /**
   * Outcome of the first registration with the master (`ROS1.MASTER_UNREACHABLE` when it was
   * away; registration is then retried on every poll). Await it before expecting other nodes to
   * find this one through the master.
   */
  readonly registration: Promise<Ros1Result>;
  /** Number of publisher connections established right now. */
  readonly publisherCount: number;
  /** Unregisters from the master and closes the publisher connections. */
  close(): Promise<void>;
}

export interface ServiceServer {
  readonly service: string;
  readonly type: string;
  /**
   * Outcome of the first registration with the master (`ROS1.MASTER_UNREACHABLE` when it was
   * away; registration is then retried on every poll). Await it before expecting other nodes to
   * find this one through the master.
   */
  readonly registration: Promise<Ros1Result>;
  /** Unregisters the service and closes its connections. */
  close(): Promise<void>;
}

/**
 * A service handler. Its resolved value is the response; a rejection (or a thrown error) is sent
 * to the caller as a ROS service failure (ok byte 0) carrying the error's message.
 */
export type ServiceHandler = (req: Ros1Message, meta: { readonly caller: string }) => Promise<Ros1Message>;

export interface CallServiceOptions {
  /** Whole call: lookup, connect, handshake, request, response (default 5000 ms). */
  readonly timeoutMs?: number;
}

export interface MasterLostEvent {
  readonly masterUri: string;
  readonly reason: string;
}

export interface MasterBackEvent {
  readonly masterUri: string;
  /** The master's pid changed (a restarted roscore): everything was registered again. */
  readonly restarted: boolean;
  /** Registrations re-sent (publishers + subscribers + services). */
  readonly reregistered: number;
}

export interface Ros1NodeEvents {
  /** The master stopped answering (polled every `masterPollMs`). */
  'master-lost': [MasterLostEvent];
  /** The master answers again; all registrations were re-sent to it. */
  'master-back': [MasterBackEvent];
  /** A node asked us to shut down through the slave API (`rosnode kill`). We have shut down. */
  shutdown: [{ readonly reason: string }];
}

export interface Ros1Node {
  /** Fully resolved node name (`/ns/name`). */
  readonly name: string;
  /** Our slave XML-RPC URI as registered with the master. */
  readonly uri: string;
  readonly masterUri: string;
  /** Whether the last master poll succeeded. */
  readonly masterReachable: boolean;
  /** Definitions registry (standard common types + `definitions` option + `registerDefinition`). */
  hasType(type: string): boolean;
  /** Adds a message (`pkg/Msg`, .msg text) or service (`pkg/Srv`, .srv text with `---`) definition. */
  registerDefinition(type: string, text: string, kind?: 'msg' | 'srv'): Ros1Result;
  /** md5sum of a known message or service type, as `rosmsg md5` / `rossrv md5` print it. */
  md5sum(type: string): string | undefined;

  advertise(topic: string, type: string, options?: AdvertiseOptions): Ros1Result<Publisher>;
  subscribe<T extends Ros1Message = Ros1Message>(
    topic: string,
    type: string,
    callback: (msg: T, meta: MessageMeta) => void,
    options?: SubscribeOptions,
  ): Ros1Result<Subscriber>;
  advertiseService(service: string, srvType: string, handler: ServiceHandler): Ros1Result<ServiceServer>;
  callService<T extends Ros1Message = Ros1Message>(
    service: string,
    srvType: string,
    request: Ros1Message,
    options?: CallServiceOptions,
  ): Promise<Ros1Result<T>>;

  on<E extends keyof Ros1NodeEvents>(event: E, listener: (...args: Ros1NodeEvents[E]) => void): this;
  off<E extends keyof Ros1NodeEvents>(event: E, listener: (...args: Ros1NodeEvents[E]) => void): this;

  /** Unregisters everything from the master (best effort), closes all sockets and servers. */
  shutdown(reason?: string): Promise<void>;
}
