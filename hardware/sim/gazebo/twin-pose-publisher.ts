/**
 * The twin's vehicle poses on Gazebo transport (`twin start --gz`): `ignition.msgs.Pose` on
 * `/model/<vehicle>/pose` per vehicle and all of them as `ignition.msgs.Pose_V` on
 * `/twin/pose/info`, in the node's partition, so `ign topic -l` lists them and `ign topic -e`
 * echoes them.
 *
 * @remarks
 * Frame: Gazebo's ENU world frame at the twin's local origin (x east, y north, z up, metres);
 * orientation is the heading only (yaw = 90° − heading), roll and pitch are not in the twin's
 * telemetry. The header stamp is the twin's clock. Publishes on the injected clock's timers.
 */
import type { Clock, TimerHandle } from '../../../core/clock.js';
import type { Result } from '../../../core/result.js';
import { ok } from '../../../core/result.js';
import { eulerToQuaternion } from './gazebo-pose-feed.js';
import type { GzErrorCode, GzNode, GzPublisher } from './gz-node.js';

/** What the publisher reads from the twin (structurally: `Twin` satisfies it). */
export interface TwinPoseView {
  readonly vehicleIds: readonly string[];
  readonly clock: Clock;
  latest(vehicle: string): { readonly telemetry?: { readonly heading_deg: number }; readonly north_m: number; readonly east_m: number; readonly alt_m: number };
}

export interface TwinPosePublisherOptions {
  /** Publications per second of the twin's clock (default 10). */
  readonly rate_hz?: number;
  /** Topic of the Pose_V with every vehicle (default `/twin/pose/info`). */
  readonly allTopic?: string;
}

export interface TwinPosePublisher {
  /** Topics advertised (without partition). */
  readonly topics: readonly string[];
  /** Publication rounds so far. */
  rounds(): number;
  stop(): void;
}

/** Vehicle id → a valid Gazebo topic segment (spaces, `@`, `~`, `:` become `_`). */
export const modelTopic = (vehicle: string): string => `/model/${vehicle.replace(/[\s@~:/]/g, '_')}/pose`;

/** A Pose message (plain object) for one vehicle. */
export function twinPose(view: TwinPoseView, vehicle: string, stampMs: number): Record<string, unknown> {
  const l = view.latest(vehicle);
  const heading = l.telemetry?.heading_deg ?? 0;
  const q = eulerToQuaternion(0, 0, ((90 - heading) * Math.PI) / 180);
  return {
    header: { stamp: { sec: Math.floor(stampMs / 1000), nsec: Math.round((stampMs % 1000) * 1e6) } },
    name: vehicle,
    position: { x: l.east_m, y: l.north_m, z: l.alt_m },
    orientation: q,
  };
}

/** Advertises the topics and publishes at `rate_hz` until `stop()`. */
export function startTwinPosePublisher(node: GzNode, view: TwinPoseView, options: TwinPosePublisherOptions = {}): Result<TwinPosePublisher, GzErrorCode> {
  const period = 1000 / (options.rate_hz ?? 10);
  const allTopic = options.allTopic ?? '/twin/pose/info';
  const pubs = new Map<string, GzPublisher>();
  for (const v of view.vehicleIds) {
    const p = node.advertise(modelTopic(v), 'Pose');
    if (!p.ok) return p;
    pubs.set(v, p.value);
  }
  const all = node.advertise(allTopic, 'Pose_V');
  if (!all.ok) return all;
  let timer: TimerHandle | undefined;
  let stopped = false;
  let rounds = 0;
  const tick = () => {
    if (stopped) return;
    const t = view.clock.now();
    const poses = view.vehicleIds.map((v) => twinPose(view, v, t));
    poses.forEach((pose, i) => void pubs.get(view.vehicleIds[i]!)?.publish(pose));
    void all.value.publish({ header: poses[0]?.header ?? {}, pose: poses });
    rounds++;
    timer = view.clock.setTimeout(tick, period);
  };
  tick();
  return ok({
    topics: [...[...pubs.values()].map((p) => p.topic.replace(/^@[^@]*@/, '')), allTopic],
    rounds: () => rounds,
    stop: () => {
      stopped = true;
      view.clock.clearTimeout(timer);
      for (const p of pubs.values()) p.unadvertise();
      all.value.unadvertise();
    },
  });
}
