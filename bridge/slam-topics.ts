/**
 * The SLAM part of the bridge: `/<vehicle>/slam/pose`, `/<vehicle>/slam/odometry`,
 * `/<vehicle>/slam/map` for every vehicle with SLAM, and `/tf` (see slam-messages.ts for frames).
 *
 * @remarks
 * Pose and odometry map one bus message to one ROS message. The map's points are not on the bus
 * (it carries a reference): they are read from the {@link SlamDirectory} (the twin keeps the
 * latest map in memory) only while someone subscribes, decimated per client `point_budget` as the
 * LiDAR points topic is (rounded down to a power of two, so clients share one decimation and one
 * encoding; default {@link DEFAULT_POINT_BUDGET}), and throttled to one map per `mapPeriod_ms` of
 * the map's own (clock) time on top of the port's throttle and each client's `throttle_rate`. A
 * new subscriber gets the latest map at once (latched). `/tf` is one topic fed by every vehicle's
 * odometry.
 */
import type { Twin } from '../actors/twin.js';
import type { SlamMapRefMsg } from '../actors/bus.js';
import type { SlamMapSnapshot } from '../actors/slam-runtime.js';
import { OutgoingMessage, VariantMessage } from './encoding.js';
import { budgetLevel, DEFAULT_POINT_BUDGET } from './sensor-topics.js';
import { SLAM_ROS_TYPES, slamMapCloud, slamOdometry, slamPoseStamped, slamTf } from './slam-messages.js';
import type { TopicDef } from './topic-catalog.js';

/** The twin's SLAM as the bridge sees it. */
export interface SlamDirectory {
  /** Vehicles with a SLAM estimator, fixed at startup. */
  list(): readonly { readonly vehicle: string; readonly backend: string }[];
  /** The latest local map of a vehicle, if any. */
  map(vehicle: string): SlamMapSnapshot | undefined;
}

/** A {@link SlamDirectory} over the twin (`slam()`, `slamMap()`); undefined when no vehicle has SLAM. */
export function twinSlamDirectory(twin: Pick<Twin, 'slam' | 'slamMap'>): SlamDirectory | undefined {
  const list = twin.slam().map((s) => ({ vehicle: s.vehicle, backend: s.backend }));
  if (list.length === 0) return undefined;
  return { list: () => list, map: (vehicle) => twin.slamMap?.(vehicle) };
}

export interface SlamTopicOptions {
  /** At most one map per this many ms of map (clock) time; default 1000 (the original's 1 Hz). */
  readonly mapPeriod_ms?: number;
}

/** The ROS topics of the SLAM of every vehicle in the directory, and `/tf`. */
export function slamTopics(directory: SlamDirectory, options: SlamTopicOptions = {}): TopicDef[] {
  const period = options.mapPeriod_ms ?? 1000;
  const defs: TopicDef[] = [];
  const vehicles = directory.list().map((s) => s.vehicle);
  for (const vehicle of vehicles) {
    const ns = `/${vehicle}/slam`;
    defs.push({ name: `${ns}/pose`, type: SLAM_ROS_TYPES.pose, busTopic: `${ns}/pose`, toRos: slamPoseStamped as TopicDef['toRos'] });
    defs.push({ name: `${ns}/odometry`, type: SLAM_ROS_TYPES.odometry, busTopic: `${ns}/odometry`, toRos: slamOdometry as TopicDef['toRos'] });
    const mapTopic = `${ns}/map`;
    const message = (map: SlamMapSnapshot) =>
      new VariantMessage(mapTopic, (budget) => new OutgoingMessage({ op: 'publish', topic: mapTopic, msg: slamMapCloud(map, budget) }, true), budgetLevel, DEFAULT_POINT_BUDGET);
    let lastSent: SlamMapSnapshot | undefined;
    defs.push({
      name: mapTopic,
      type: SLAM_ROS_TYPES.map,
      busTopic: `${ns}/map`,
      toRos: ((m: SlamMapRefMsg) => m) as TopicDef['toRos'],
      load: (async (_ref: SlamMapRefMsg) => {
        const map = directory.map(vehicle);
        if (!map || map === lastSent) return undefined;
        // A reset starts a new map (its time may go back): send it; otherwise about one per period
        // (10 % slack: maps stamped at scan middles jitter around the port's own period).
        if (lastSent && map.t_ms >= lastSent.t_ms && map.t_ms - lastSent.t_ms < 0.9 * period) return undefined;
        lastSent = map;
        return message(map);
      }) as TopicDef['load'],
      currentLater: async () => {
        const map = directory.map(vehicle);
        return map ? [message(map)] : [];
      },
    });
  }
  if (vehicles.length > 0) {
    defs.push({
      name: '/tf',
      type: SLAM_ROS_TYPES.tf,
      busTopic: `/${vehicles[0]}/slam/odometry`,
      moreBusTopics: vehicles.slice(1).map((v) => `/${v}/slam/odometry`),
      toRos: slamTf as TopicDef['toRos'],
    });
  }
  return defs;
}
