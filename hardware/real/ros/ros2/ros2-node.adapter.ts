/**
 * {@link RosNode} on ROS 2 through rclnodejs, loaded only when a ROS 2 environment is sourced.
 *
 * @remarks
 * Written for ROS 2 Humble and Jazzy with rclnodejs 1.x/2.x (its `Node`, `createPublisher`,
 * `createSubscription`, `createService`, `QoS`). rclnodejs is not a dependency of this package:
 * it builds a native addon against the sourced ROS 2 and generates its message classes at
 * install time, which fails where no ROS 2 is installed (as here). Install it beside a sourced
 * ROS 2 with `npm install rclnodejs`; {@link connectRos2} imports it dynamically and says what is
 * missing otherwise. Messages are the ROS 2 spelling ({@link RosDialect} `ros2`): the shared
 * mapping builds them, types are given in ROS 1 spelling and translated (`geometry_msgs/Pose` →
 * `geometry_msgs/msg/Pose`). Latched topics are transient-local (the ROS 2 equivalent).
 * The master-lost / master-back events of ROS 1 have no ROS 2 counterpart (no master):
 * `onGraph` is not offered.
 */
import type { Logger } from '../../../../core/logger.js';
import { fail, ok, type Result } from '../../../../core/result.js';
import { ros2TypeName } from '../messages/twin-to-ros.mapper.js';
import type { Ros2Distro } from '../messages/ros-definitions.js';
import type { AdvertiseOptions, RosErrorCode, RosNode, RosPublisher, RosServiceHandler, RosUnsubscribe } from '../ros-node.port.js';

/** The part of rclnodejs this adapter uses (typed here: the package is optional and absent at build time). */
export interface RclnodejsLike {
  init(): Promise<void>;
  shutdown(): void;
  Node: new (name: string, namespace?: string) => RclNode;
  QoS: {
    new (): { durability: number; depth: number; reliability?: number; history?: number };
    DurabilityPolicy: { RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL: number; RMW_QOS_POLICY_DURABILITY_VOLATILE: number };
  };
}

interface RclNode {
  createPublisher(type: string, topic: string, options?: { qos?: unknown }): { publish(msg: unknown): void; subscriptionCount?: number };
  createSubscription(type: string, topic: string, options: { qos?: unknown }, cb: (msg: unknown) => void): unknown;
  createService(type: string, name: string, options: unknown, cb: (request: unknown, response: { send(r: unknown): void; template?: unknown }) => void): unknown;
  countSubscribers?(topic: string): number;
  destroyPublisher(p: unknown): void;
  destroySubscription(s: unknown): void;
  destroyService(s: unknown): void;
  spin(): void;
  destroy(): void;
  getFullyQualifiedName?(): string;
  name(): string;
}

/** True when a ROS 2 environment is sourced (`AMENT_PREFIX_PATH`, set by `setup.bash`). */
export const ros2Sourced = (env: NodeJS.ProcessEnv = process.env): boolean => Boolean(env.AMENT_PREFIX_PATH);

/** rclnodejs, if it can be imported; the reason otherwise. */
export async function loadRclnodejs(): Promise<Result<RclnodejsLike, 'ROS.UNAVAILABLE'>> {
  const name = 'rclnodejs'; // a variable: TypeScript must not resolve the optional package
  try {
    const m = (await import(name)) as { default?: RclnodejsLike } & RclnodejsLike;
    return ok(m.default ?? m);
  } catch (error) {
    return fail('ROS.UNAVAILABLE', `rclnodejs cannot be loaded (${(error as Error).message.split('\n')[0]}): source ROS 2 Humble or Jazzy, then npm install rclnodejs`);
  }
}

export interface Ros2NodeOptions {
  /** Node name (default `overwatch_twin`). */
  readonly name?: string;
  readonly namespace?: string;
  readonly distro?: Ros2Distro;
  readonly logger?: Logger;
  /** rclnodejs itself (default: imported dynamically). */
  readonly rclnodejs?: RclnodejsLike;
}

/** Starts a ROS 2 node on rclnodejs and spins it. */
export async function connectRos2(o: Ros2NodeOptions = {}): Promise<Result<RosNode, RosErrorCode | 'ROS.UNAVAILABLE'>> {
  let rcl = o.rclnodejs;
  if (!rcl) {
    const r = await loadRclnodejs();
    if (!r.ok) return r;
    rcl = r.value;
  }
  try {
    await rcl.init();
  } catch (error) {
    // init twice is harmless (another node in the process initialised the context)
    if (!/already|initialized/i.test((error as Error).message)) return fail('ROS.FAILED', `rclnodejs.init: ${(error as Error).message}`);
  }
  let node: RclNode;
  try {
    node = new rcl.Node(o.name ?? 'overwatch_twin', o.namespace ?? '');
    node.spin();
  } catch (error) {
    return fail('ROS.FAILED', `ROS 2 node did not start: ${(error as Error).message}`);
  }
  return ok(ros2NodeAdapter(rcl, node, o.logger));
}

/** ROS 1 spelling → rclnodejs's, and errors → results. */
export function ros2NodeAdapter(rcl: RclnodejsLike, node: RclNode, logger?: Logger): RosNode {
  const qos = (latch: boolean) => {
    const q = new rcl.QoS();
    q.depth = latch ? 1 : 10;
    q.durability = latch ? rcl.QoS.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL : rcl.QoS.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_VOLATILE;
    return q;
  };
  const refused = (what: string, error: unknown) => {
    const m = (error as Error).message ?? String(error);
    return fail(/not find|No such|cannot load|unknown/i.test(m) ? ('ROS.UNKNOWN_TYPE' as const) : /name/i.test(m) ? ('ROS.BAD_NAME' as const) : ('ROS.FAILED' as const), `${what}: ${m}`);
  };
  return {
    name: node.getFullyQualifiedName?.() ?? `/${node.name()}`,
    dialect: 'ros2',
    async advertise(topic: string, type: string, options?: AdvertiseOptions): Promise<Result<RosPublisher, RosErrorCode>> {
      try {
        const p = node.createPublisher(ros2TypeName(type), topic, { qos: qos(options?.latch ?? false) });
        return ok({
          topic,
          type,
          publish: (msg: unknown) => p.publish(msg),
          subscribers: () => node.countSubscribers?.(topic) ?? p.subscriptionCount ?? 1,
          close: () => node.destroyPublisher(p),
        });
      } catch (error) {
        return refused(`advertise ${topic} (${type})`, error);
      }
    },
    async subscribe(topic: string, type: string, fn: (msg: unknown) => void): Promise<Result<RosUnsubscribe, RosErrorCode>> {
      try {
        const s = node.createSubscription(ros2TypeName(type), topic, { qos: qos(false) }, (msg) => {
          try {
            fn(msg);
          } catch (error) {
            logger?.warn({ topic, err: (error as Error).message }, 'ros2: subscriber threw');
          }
        });
        return ok(() => node.destroySubscription(s));
      } catch (error) {
        return refused(`subscribe ${topic} (${type})`, error);
      }
    },
    async advertiseService(service: string, type: string, handler: RosServiceHandler): Promise<Result<RosUnsubscribe, RosErrorCode>> {
      try {
        const s = node.createService(ros2TypeName(type, 'srv'), service, {}, (request, response) => {
          void (async () => {
            try {
              response.send(await handler(request as Record<string, unknown>));
            } catch (error) {
              logger?.warn({ service, err: (error as Error).message }, 'ros2: service handler failed');
              response.send({ success: false, message: `ROS.SERVICE_FAILED: ${(error as Error).message}` });
            }
          })();
        });
        return ok(() => node.destroyService(s));
      } catch (error) {
        return refused(`service ${service} (${type})`, error);
      }
    },
    async shutdown() {
      try {
        node.destroy();
      } finally {
        rcl.shutdown();
      }
    },
  };
}
