/**
 * Judges a run's SLAM (`slam_drift`): every estimated pose on `/<vehicle>/slam/pose` beside the
 * simulator's true pose at the scan's time, then ATE and RPE as evo computes them
 * (slam/trajectory-metrics.ts).
 *
 * @remarks
 * Truth is the physics' state sampled on every simulator tick and interpolated at the scan's
 * middle time; it is expressed in a world frame x north, y west, z up with the body x forward,
 * y left, z up (the Ouster's sensor axes on a level, forward mount), so relative motions of
 * truth and estimate compare axis for axis. Without a simulator (real vehicles) there is no
 * truth and `slam_drift` says so.
 */
import type { SimWorld } from '../../hardware/sim/index.js';
import { absoluteTrajectoryError, relativePoseError } from '../../slam/trajectory-metrics.js';
import { fromRotationTranslation, type Pose } from '../../slam/rigid-transform.js';
import { topics, type Bus } from '../bus.js';

/** What `slam_drift` is judged on. */
export interface SlamDriftStats {
  /** Estimated poses matched to truth. */
  readonly poses: number;
  /** Truth path length, m. */
  readonly path_m: number;
  /** RPE segment length, m (chosen to fit the flight), and the segments it gave. */
  readonly delta_m: number;
  readonly segments: number;
  readonly rpe_pct: number;
  readonly ate_rmse_m: number;
}

interface Truth { t: number; n: number; e: number; d: number; yaw: number }

/** Segment lengths tried for RPE, longest first: the longest with ≥ 3 segments in the flight is used. */
const DELTAS_M = [100, 50, 20, 10, 5, 2, 1];

function quatToPose(q: readonly number[], t: readonly number[]): Pose {
  const [w, x, y, z] = q as [number, number, number, number];
  const r = [
    1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
    2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
    2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
  ];
  return fromRotationTranslation(r, t);
}

/** A true pose (NED position, yaw clockwise from north, rad) in the north-west-up world frame. */
function truthPose(p: { n: number; e: number; d: number; yaw: number }): Pose {
  const c = Math.cos(-p.yaw), s = Math.sin(-p.yaw);
  return fromRotationTranslation([c, -s, 0, s, c, 0, 0, 0, 1], [p.n, -p.e, -p.d]);
}

export class SlamJudge {
  private readonly truth = new Map<string, Truth[]>();
  private readonly est = new Map<string, Pose[]>();
  private readonly ref = new Map<string, Pose[]>();
  private readonly unsubs: (() => void)[] = [];
  /** Whether the simulator's truth was available. */
  hasTruth = false;

  constructor(private readonly vehicles: readonly string[]) {}

  /** Samples truth on every simulator tick and matches each SLAM pose on the bus to it. */
  attach(bus: Bus, world: SimWorld | undefined): void {
    if (!this.vehicles.length) return;
    if (world) {
      this.hasTruth = true;
      this.unsubs.push(
        world.onTick((now) => {
          for (const id of this.vehicles) {
            const p = world.truePosition(id);
            let ring = this.truth.get(id);
            if (!ring) this.truth.set(id, (ring = []));
            ring.push({ t: now, n: p.north_m, e: p.east_m, d: p.down_m, yaw: (world.s.yaw[world.slot(id)]! * Math.PI) / 180 });
            // Keep what a pose can still be matched against (scans end within a few ticks).
            if (ring.length > 400) ring.splice(0, ring.length - 200);
          }
        }),
      );
    }
    for (const id of this.vehicles)
      this.unsubs.push(
        bus.subscribe(topics.slamPose(id), (m) => {
          const t = this.truthAt(id, m.t_ms);
          if (!t) return;
          (this.est.get(id) ?? this.est.set(id, []).get(id)!).push(quatToPose(m.map_orientation, m.map_position_m));
          (this.ref.get(id) ?? this.ref.set(id, []).get(id)!).push(truthPose(t));
        }),
      );
  }

  detach(): void {
    for (const u of this.unsubs.splice(0)) u();
  }

  /** ATE and RPE of the vehicle's estimate, or undefined when nothing was matched. */
  drift(vehicle: string): SlamDriftStats | undefined {
    const est = this.est.get(vehicle) ?? [];
    const ref = this.ref.get(vehicle) ?? [];
    if (est.length < 3) return undefined;
    let path_m = 0;
    for (let i = 1; i < ref.length; i++) path_m += Math.hypot(ref[i]![3]! - ref[i - 1]![3]!, ref[i]![7]! - ref[i - 1]![7]!, ref[i]![11]! - ref[i - 1]![11]!);
    const delta_m = DELTAS_M.find((d) => path_m >= 3 * d) ?? DELTAS_M[DELTAS_M.length - 1]!;
    const rpe = relativePoseError(est, ref, { delta_m });
    const ate = absoluteTrajectoryError(est, ref);
    return { poses: est.length, path_m, delta_m, segments: rpe.count, rpe_pct: rpe.drift_pct, ate_rmse_m: ate.rmse };
  }

  private truthAt(id: string, t_ms: number): Omit<Truth, 't'> | undefined {
    const ring = this.truth.get(id);
    if (!ring?.length) return undefined;
    for (let i = ring.length - 1; i > 0; i--) {
      const a = ring[i - 1]!, b = ring[i]!;
      if (a.t <= t_ms && t_ms <= b.t) {
        const f = b.t === a.t ? 0 : (t_ms - a.t) / (b.t - a.t);
        let dy = b.yaw - a.yaw;
        if (dy > Math.PI) dy -= 2 * Math.PI;
        if (dy < -Math.PI) dy += 2 * Math.PI;
        return { n: a.n + f * (b.n - a.n), e: a.e + f * (b.e - a.e), d: a.d + f * (b.d - a.d), yaw: a.yaw + f * dy };
      }
    }
    return undefined;
  }
}
