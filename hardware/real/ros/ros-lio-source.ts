/**
 * A {@link LioSource} on a ROS graph: a field LIO's nav_msgs/Odometry and registered
 * sensor_msgs/PointCloud2 (FAST-LIVO2 `/aft_mapped_to_init` + `/cloud_registered`) through a
 * {@link RosNode} subscription, for the LIO SLAM port (hardware/real/slam/lio-slam.adapter.ts).
 *
 * @remarks
 * Messages pass as decoded (the SLAM adapter validates them); ROS 2 stamps (`{sec, nanosec}`) are
 * handed over in the ROS 1 spelling the adapter reads. Subscriptions are made once, before the
 * source is returned, and fan out to every callback; `close` unsubscribes.
 */
import type { Logger } from '../../../core/logger.js';
import { fail, ok, type Result } from '../../../core/result.js';
import type { LioSource, LioTopics, Ros1Odometry, Ros1PointCloud2 } from '../slam/lio-source.js';
import { withRos1Stamp } from './messages/ros-to-twin.mapper.js';
import type { RosErrorCode, RosNode, RosUnsubscribe } from './ros-node.port.js';

export interface RosLioSourceOptions {
  readonly node: RosNode;
  /** Odometry and cloud topics (`LIO_TOPICS['fast-livo2']` …). Without `cloud`, odometry only. */
  readonly topics: { readonly odometry: string; readonly cloud?: string } | LioTopics;
  readonly logger?: Logger;
}

/** Subscribes to the LIO's topics; fails when the node refuses a subscription. */
export async function createRosLioSource(o: RosLioSourceOptions): Promise<Result<LioSource & { readonly received: () => { odometry: number; clouds: number } }, RosErrorCode>> {
  const odomFns = new Set<(m: Ros1Odometry) => void>();
  const cloudFns = new Set<(m: Ros1PointCloud2) => void>();
  const counts = { odometry: 0, clouds: 0 };
  const deliver = <T>(fns: Set<(m: T) => void>, msg: T) => {
    for (const fn of fns) {
      try {
        fn(msg);
      } catch (error) {
        o.logger?.warn({ err: (error as Error).message }, 'ros lio source: a consumer threw');
      }
    }
  };
  const subs: RosUnsubscribe[] = [];
  const odom = await o.node.subscribe(o.topics.odometry, 'nav_msgs/Odometry', (m) => {
    counts.odometry++;
    deliver(odomFns, withRos1Stamp(m) as Ros1Odometry);
  });
  if (!odom.ok) return fail(odom.error.code, `${o.topics.odometry}: ${odom.error.message}`);
  subs.push(odom.value);
  if (o.topics.cloud) {
    const cloud = await o.node.subscribe(o.topics.cloud, 'sensor_msgs/PointCloud2', (m) => {
      counts.clouds++;
      deliver(cloudFns, withRos1Stamp(m) as Ros1PointCloud2);
    });
    if (!cloud.ok) {
      odom.value();
      return fail(cloud.error.code, `${o.topics.cloud}: ${cloud.error.message}`);
    }
    subs.push(cloud.value);
  }
  return ok({
    onOdometry(cb) {
      odomFns.add(cb);
      return () => odomFns.delete(cb);
    },
    onCloud(cb) {
      cloudFns.add(cb);
      return () => cloudFns.delete(cb);
    },
    close() {
      for (const u of subs.splice(0)) u();
      odomFns.clear();
      cloudFns.clear();
    },
    received: () => ({ ...counts }),
  });
}
