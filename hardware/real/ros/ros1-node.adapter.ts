/**
 * {@link RosNode} over the ROS 1 node client (hardware/real/ros/ros1): a node on a `roscore`
 * graph, reached at `ROS_MASTER_URI`.
 *
 * @remarks
 * The client keeps registrations across a master restart (it polls the master and re-registers);
 * {@link RosNode.onGraph} relays its `master-lost` / `master-back`. The twin's own types
 * (`overwatch_msgs/LoadMission`, `overwatch_msgs/VehicleState`) are registered with it. A topic
 * advertised before the master is up is registered once it answers.
 */
import type { Logger } from '../../../core/logger.js';
import { fail, ok, type Result } from '../../../core/result.js';
import { MESSAGE_TEXT, SERVICE_TEXT, srvText } from './messages/ros-definitions.js';
import type { AdvertiseOptions, RosErrorCode, RosNode, RosPublisher, RosServiceHandler, RosUnsubscribe } from './ros-node.port.js';
import { createRos1Node, type Ros1ErrorCode, type Ros1Node } from './ros1/index.js';

export interface Ros1NodeAdapterOptions {
  /** The master, e.g. `http://127.0.0.1:11311/` (default: `ROS_MASTER_URI`). */
  readonly masterUri?: string;
  /** Node name (default `overwatch_twin`). */
  readonly name?: string;
  /** Address other nodes reach this one at (default `ROS_IP`, `ROS_HOSTNAME`, else 127.0.0.1). */
  readonly host?: string;
  readonly logger?: Logger;
  /** Master liveness poll period, ms (default 1000). */
  readonly masterPollMs?: number;
}

const CODE: Partial<Record<Ros1ErrorCode, RosErrorCode>> = {
  'ROS1.BAD_NAME': 'ROS.BAD_NAME',
  'ROS1.UNKNOWN_TYPE': 'ROS.UNKNOWN_TYPE',
  'ROS1.ALREADY_ADVERTISED': 'ROS.TYPE_CONFLICT',
  'ROS1.MASTER_UNREACHABLE': 'ROS.NO_MASTER',
};
const mapped = (e: { code: Ros1ErrorCode; message: string }) => fail(CODE[e.code] ?? 'ROS.FAILED', `${e.code}: ${e.message}`);

/**
 * Starts a ROS 1 node. `ROS.NO_MASTER` when no master URI is given or set; a master that is set
 * but down is not an error (the node registers once it answers).
 */
export async function connectRos1(options: Ros1NodeAdapterOptions = {}): Promise<Result<RosNode, RosErrorCode>> {
  const masterUri = options.masterUri ?? process.env.ROS_MASTER_URI;
  if (!masterUri) return fail('ROS.NO_MASTER', 'ROS_MASTER_URI is not set (e.g. http://127.0.0.1:11311/)');
  let node: Ros1Node;
  try {
    node = await createRos1Node({
      name: options.name ?? 'overwatch_twin',
      masterUri,
      host: options.host ?? process.env.ROS_IP ?? process.env.ROS_HOSTNAME ?? '127.0.0.1',
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.masterPollMs ? { masterPollMs: options.masterPollMs } : {}),
    });
  } catch (error) {
    return fail('ROS.FAILED', `ROS 1 node did not start: ${(error as Error).message}`);
  }
  for (const [type, text] of Object.entries(MESSAGE_TEXT)) {
    const r = node.registerDefinition(type, text, 'msg');
    if (!r.ok) options.logger?.warn({ type, err: r.error.message }, 'ros1: definition not registered');
  }
  for (const type of Object.keys(SERVICE_TEXT)) {
    if (node.hasType(type)) continue;
    const text = srvText(type);
    const r = text.ok ? node.registerDefinition(type, text.value, 'srv') : text;
    if (!r.ok) options.logger?.warn({ type, err: r.error.message }, 'ros1: service definition not registered');
  }
  return ok(ros1NodeAdapter(node));
}

/** Wraps an already started ROS 1 node. */
export function ros1NodeAdapter(node: Ros1Node): RosNode {
  return {
    name: node.name,
    dialect: 'ros1',
    async advertise(topic: string, type: string, options?: AdvertiseOptions): Promise<Result<RosPublisher, RosErrorCode>> {
      const r = node.advertise(topic, type, { latch: options?.latch ?? false });
      if (!r.ok) return mapped(r.error);
      const p = r.value;
      return ok({
        topic: p.topic,
        type,
        publish: (msg: unknown) => {
          const s = p.publish(msg as Record<string, unknown>);
          if (!s.ok) throw new Error(`${s.error.code}: ${s.error.message}`);
        },
        subscribers: () => p.subscriberCount,
        close: () => void p.close().catch(() => undefined),
      });
    },
    async subscribe(topic: string, type: string, fn: (msg: unknown) => void): Promise<Result<RosUnsubscribe, RosErrorCode>> {
      const r = node.subscribe(topic, type, (msg) => fn(msg));
      if (!r.ok) return mapped(r.error);
      const s = r.value;
      return ok(() => void s.close().catch(() => undefined));
    },
    async advertiseService(service: string, type: string, handler: RosServiceHandler): Promise<Result<RosUnsubscribe, RosErrorCode>> {
      const r = node.advertiseService(service, type, async (req) => handler(req));
      if (!r.ok) return mapped(r.error);
      const s = r.value;
      return ok(() => void s.close().catch(() => undefined));
    },
    async callService(service: string, type: string, request: Record<string, unknown>, timeout_ms?: number) {
      const r = await node.callService(service, type, request, timeout_ms ? { timeoutMs: timeout_ms } : {});
      return r.ok ? ok(r.value) : mapped(r.error);
    },
    onGraph(fn: (up: boolean) => void): RosUnsubscribe {
      const lost = () => fn(false);
      const back = () => fn(true);
      node.on('master-lost', lost);
      node.on('master-back', back);
      return () => {
        node.off('master-lost', lost);
        node.off('master-back', back);
      };
    },
    shutdown: () => node.shutdown('twin stopped'),
  };
}
