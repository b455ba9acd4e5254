/**
 * Model poses from a Gazebo world (`ignition.msgs.Pose_V` on `/world/<world>/pose/info`, which
 * the SceneBroadcaster publishes), as vehicle pose sources for the sensor ports.
 *
 * @remarks
 * Gazebo's world frame is ENU (x east, y north, z up) with the model's body frame FLU; the feed
 * converts to the project's NED / FRD conventions: position through a {@link LocalFrame} at the
 * world origin, yaw as a compass heading (`90° − yaw_ENU`), pitch negated, roll unchanged.
 */
import type { Failure, Result } from '../../../core/result.js';
import { ok } from '../../../core/result.js';
import { LocalFrame, type GeoPoint } from '../../../core/geo.js';
import type { VehiclePoseSource } from '../../sensor.port.js';
import type { GzErrorCode, GzNode } from './gz-node.js';

/** One model's pose as Gazebo sent it (world ENU, metres; quaternion x, y, z, w). */
export interface GazeboModelPose {
  readonly name: string;
  readonly id: number;
  readonly position: { readonly x: number; readonly y: number; readonly z: number };
  readonly orientation: { readonly x: number; readonly y: number; readonly z: number; readonly w: number };
  /** Sim time of the message header, ms (0 when the header has no stamp). */
  readonly t_ms: number;
}

const DEG = 180 / Math.PI;

/** Roll, pitch, yaw (rad) of a quaternion, Z-Y-X (Gazebo's `Quaternion::Euler`). */
export function quaternionToEuler(q: { x: number; y: number; z: number; w: number }): { roll: number; pitch: number; yaw: number } {
  const { x, y, z, w } = q;
  const roll = Math.atan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y));
  const s = 2 * (w * y - z * x);
  const pitch = Math.abs(s) >= 1 ? Math.sign(s) * (Math.PI / 2) : Math.asin(s);
  const yaw = Math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z));
  return { roll, pitch, yaw };
}

/** Quaternion (x, y, z, w) of roll, pitch, yaw (rad), Z-Y-X. */
export function eulerToQuaternion(roll: number, pitch: number, yaw: number): { x: number; y: number; z: number; w: number } {
  const [cr, sr] = [Math.cos(roll / 2), Math.sin(roll / 2)];
  const [cp, sp] = [Math.cos(pitch / 2), Math.sin(pitch / 2)];
  const [cy, sy] = [Math.cos(yaw / 2), Math.sin(yaw / 2)];
  return {
    w: cr * cp * cy + sr * sp * sy,
    x: sr * cp * cy - cr * sp * sy,
    y: cr * sp * cy + sr * cp * sy,
    z: cr * cp * sy - sr * sp * cy,
  };
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

export class GazeboPoseFeed {
  /** Pose_V messages received. */
  messages = 0;
  rejected = 0;
  lastError: Failure | undefined;
  private readonly latest = new Map<string, GazeboModelPose>();
  private readonly listeners = new Set<(poses: readonly GazeboModelPose[]) => void>();
  private unsubscribe: (() => void) | undefined;

  private constructor() {}

  /** Subscribes to `/world/<world>/pose/info` (or `topic`). */
  static follow(node: GzNode, options: { world?: string; topic?: string }): Result<GazeboPoseFeed, GzErrorCode> {
    const feed = new GazeboPoseFeed();
    const topic = options.topic ?? `/world/${options.world ?? 'default'}/pose/info`;
    const sub = node.subscribe(topic, (m) => feed.onPoses(m), {
      type: 'Pose_V',
      onError: (e) => {
        feed.rejected++;
        feed.lastError = e;
      },
    });
    if (!sub.ok) return sub;
    feed.unsubscribe = sub.value;
    return ok(feed);
  }

  /** The last pose of a model, by name. */
  pose(name: string): GazeboModelPose | undefined {
    return this.latest.get(name);
  }

  /** Model names seen so far. */
  models(): string[] {
    return [...this.latest.keys()].sort();
  }

  subscribe(fn: (poses: readonly GazeboModelPose[]) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * A vehicle pose source for the sensor ports: the model's pose in WGS84 (the world origin at
   * `origin`) with attitude in degrees (roll, pitch, compass yaw).
   */
  poseSource(model: string, origin: GeoPoint): VehiclePoseSource {
    const frame = new LocalFrame(origin);
    return {
      pose: () => {
        const p = this.latest.get(model);
        if (!p) return undefined;
        const e = quaternionToEuler(p.orientation);
        const yaw = (((90 - e.yaw * DEG) % 360) + 360) % 360;
        return {
          position: frame.toGeo({ north_m: p.position.y, east_m: p.position.x, down_m: -p.position.z }),
          attitude_deg: { roll: e.roll * DEG, pitch: -e.pitch * DEG, yaw },
          t_ms: p.t_ms,
        };
      },
    };
  }

  dispose(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private onPoses(m: Record<string, unknown>): void {
    const poses = Array.isArray(m.pose) ? (m.pose as Record<string, unknown>[]) : [];
    const header = m.header as { stamp?: { sec?: number; nsec?: number } } | null;
    const t_ms = num(header?.stamp?.sec) * 1000 + num(header?.stamp?.nsec) / 1e6;
    const out: GazeboModelPose[] = [];
    for (const p of poses) {
      const name = typeof p.name === 'string' ? p.name : '';
      if (!name) continue;
      const pos = (p.position ?? {}) as Record<string, unknown>;
      const q = (p.orientation ?? null) as Record<string, unknown> | null;
      const pose: GazeboModelPose = {
        name,
        id: num(p.id),
        position: { x: num(pos.x), y: num(pos.y), z: num(pos.z) },
        // An absent orientation is the identity (Gazebo's default), not a zero quaternion.
        orientation: q ? { x: num(q.x), y: num(q.y), z: num(q.z), w: num(q.w) } : { x: 0, y: 0, z: 0, w: 1 },
        t_ms,
      };
      this.latest.set(name, pose);
      out.push(pose);
    }
    this.messages++;
    for (const fn of this.listeners) fn(out);
  }
}
