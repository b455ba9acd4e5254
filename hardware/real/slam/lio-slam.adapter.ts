/**
 * The field SLAM port: a LIO running beside the twin (FAST-LIVO2, FAST-LIO, any LIO publishing
 * nav_msgs/Odometry and a registered sensor_msgs/PointCloud2), behind {@link SlamPort}, from the
 * decoded messages a {@link LioSource} delivers (a ROS 1 subscription in the field; a scripted
 * replay in tests).
 *
 * @remarks
 * - **Frames.** The LIO's world frame (`camera_init` for FAST-LIVO2/FAST-LIO, or `world`, `map`,
 *   `odom`: `worldFrames`) is z up (`worldAxes: 'enu'`, the default) or NED (`'ned'`: converted,
 *   body FRD → FLU as mavros does). The port's map frame is that world frame re-based at the first
 *   pose after start or reset (translation and yaw only, keeping the LIO's gravity alignment), so
 *   a LIO joined mid-flight still starts the twin's map at the vehicle, as the runtime anchors it.
 *   Messages in another frame are refused (`LIO.FRAME_MISMATCH`).
 * - **Stamps → clock.** A message's clock time is its stamp plus the smallest (arrival − stamp)
 *   seen (the least-delayed message fixes the offset), so times never run ahead of the clock and
 *   latency jitter does not move them. Older stamps than the last are refused
 *   (`LIO.STAMP_BACKWARDS`), unless more than a second back: a restarted LIO or a looped bag, whose
 *   new time base is taken.
 * - **Tracking.** A pose is trusted unless the LIO's own covariance says otherwise (largest
 *   position σ above `maxPositionStd_m`: `SLAM.DEGENERATE`). No odometry for `lostAfter_ms` of
 *   clock time: the last pose is repeated every `watchPeriod_ms` as not trusted
 *   (`SLAM.NO_ODOMETRY`), so the SLAM machine's hysteresis declares tracking lost and recovers
 *   when odometry returns. A twist of all zeros (FAST-LIO leaves it empty) is replaced by the
 *   pose difference.
 * - **Map.** Registered clouds accumulate in a voxel map (`mapVoxel_m`, pruned beyond
 *   `mapRange_m` of the vehicle), published at most every `mapPeriod_ms`.
 * - **Relocalize** moves the estimate to the hint (the frame correction and the map move with it);
 *   **reset** drops the map and re-bases at the next pose; a start after stop continues in the same frame.
 * - **Bad messages** (see lio-messages.ts) are dropped with a dotted code: counted in `stats()`,
 *   logged, given to `onRejected`; nothing else changes (no time sync, no pose, no watchdog).
 */
import type { Clock, TimerHandle } from '../../../core/clock.js';
import { silentLogger, type Logger } from '../../../core/logger.js';
import { fail, okVoid } from '../../../core/result.js';
import { compose, inverse, toQuaternion, translationOf, transformPoints, rotationAngle, type Pose } from '../../../slam/rigid-transform.js';
import { VoxelHashMap } from '../../../slam/voxel-hash-map.js';
import type { SlamEvent, SlamPort, SlamResult } from '../../slam.port.js';
import { parseCloud, parseOdometry, type LioMessageErrorCode, type LioOdometry } from './lio-messages.js';
import type { LioSource, LioUnsubscribe } from './lio-source.js';

export type LioRejectionCode = LioMessageErrorCode | 'LIO.FRAME_MISMATCH' | 'LIO.STAMP_BACKWARDS';

/** A message the adapter dropped, and why. */
export interface LioRejection {
  readonly code: LioRejectionCode;
  readonly message: string;
  readonly topic: 'odometry' | 'cloud';
}

export interface LioSlamOptions {
  readonly source: LioSource;
  /** The twin's clock: event times, the lost watchdog and the map period run on it. */
  readonly clock: Clock;
  /** `capabilities.backend` (default `lio`): `fast-livo2`, `fast-lio`, … */
  readonly backend?: string;
  /** Accepted `header.frame_id`s of odometry and cloud (default camera_init, world, map, odom). */
  readonly worldFrames?: readonly string[];
  /** The LIO's world axes (default `enu`: z up). */
  readonly worldAxes?: 'enu' | 'ned';
  /** No odometry for this long (clock ms) → not trusted (default 500). */
  readonly lostAfter_ms?: number;
  /** Watchdog period, clock ms (default 100). */
  readonly watchPeriod_ms?: number;
  /** Largest position σ still trusted, m (default 1). */
  readonly maxPositionStd_m?: number;
  /** Map publication period, clock ms (default 1000; 0 = never). */
  readonly mapPeriod_ms?: number;
  /** Map voxel edge, m (default 0.5). */
  readonly mapVoxel_m?: number;
  /** Map points farther than this from the vehicle are dropped, m (default 100). */
  readonly mapRange_m?: number;
  readonly logger?: Logger;
  readonly onRejected?: (r: LioRejection) => void;
}

export interface LioSlamStats {
  readonly odometry: number;
  readonly clouds: number;
  readonly rejected: Readonly<Partial<Record<LioRejectionCode, number>>>;
  readonly lastRejection?: LioRejection;
}

export interface LioSlamPort extends SlamPort {
  stats(): LioSlamStats;
}

const DEFAULT_WORLD_FRAMES = ['camera_init', 'world', 'map', 'odom'];

/** Rotation of a unit quaternion w, x, y, z as a pose with translation `t`. */
function poseOf(t: readonly number[], q: readonly number[]): Pose {
  const [w, x, y, z] = q as [number, number, number, number];
  const p = new Float64Array(12);
  p[0] = 1 - 2 * (y * y + z * z); p[1] = 2 * (x * y - w * z); p[2] = 2 * (x * z + w * y); p[3] = t[0]!;
  p[4] = 2 * (x * y + w * z); p[5] = 1 - 2 * (x * x + z * z); p[6] = 2 * (y * z - w * x); p[7] = t[1]!;
  p[8] = 2 * (x * z - w * y); p[9] = 2 * (y * z + w * x); p[10] = 1 - 2 * (x * x + y * y); p[11] = t[2]!;
  return p;
}

const yawOfPose = (p: Pose) => Math.atan2(p[4]!, p[0]!);

/** Translation `t` and rotation about z by `yaw`. */
function yawPose(yaw: number, t: readonly number[]): Pose {
  const [c, s] = [Math.cos(yaw), Math.sin(yaw)];
  return new Float64Array([c, -s, 0, t[0]!, s, c, 0, t[1]!, 0, 0, 1, t[2]!]);
}

// NED world → ENU world, and body FRD → FLU.
const NED_TO_ENU = new Float64Array([0, 1, 0, 0, 1, 0, 0, 0, 0, 0, -1, 0]);
const FLU_TO_FRD = new Float64Array([1, 0, 0, 0, 0, -1, 0, 0, 0, 0, -1, 0]);

export function createLioSlamPort(o: LioSlamOptions): LioSlamPort {
  const { source, clock } = o;
  const logger = (o.logger ?? silentLogger).child({ component: 'lio-slam', backend: o.backend ?? 'lio' });
  const worldFrames = new Set(o.worldFrames ?? DEFAULT_WORLD_FRAMES);
  const ned = o.worldAxes === 'ned';
  const lostAfter = o.lostAfter_ms ?? 500;
  const watchPeriod = o.watchPeriod_ms ?? 100;
  const maxStd = o.maxPositionStd_m ?? 1;
  const mapPeriod = o.mapPeriod_ms ?? 1000;
  const map = new VoxelHashMap({ voxelSize_m: o.mapVoxel_m ?? 0.5, maxPointsPerVoxel: 1, maxRange_m: o.mapRange_m ?? 100 });
  const subs = new Set<(e: SlamEvent) => void>();
  const emit = (e: SlamEvent) => { for (const fn of subs) fn(e); };

  let running: LioUnsubscribe[] | undefined;
  let disposed = false;
  let watchdog: TimerHandle | undefined;
  /** map ← LIO world; undefined until the first pose after start or reset. */
  let corr: Pose | undefined;
  let last: { pose: Pose; t_ms: number; stamp_ms: number; at_ms: number } | undefined;
  let lastStamp_ms: number | undefined;
  let offset_ms: number | undefined;
  let lastMap_ms = -Infinity;
  let odometryCount = 0;
  let cloudCount = 0;
  const rejected: Partial<Record<LioRejectionCode, number>> = {};
  let lastRejection: LioRejection | undefined;

  const reject = (topic: LioRejection['topic'], code: LioRejectionCode, message: string) => {
    rejected[code] = (rejected[code] ?? 0) + 1;
    lastRejection = { code, message, topic };
    logger.warn({ code, topic }, message);
    o.onRejected?.(lastRejection);
  };

  /** Stamp → clock ms; undefined (and rejected) when it runs backwards. */
  const clockTime = (topic: LioRejection['topic'], stamp_ms: number, strict: boolean): number | undefined => {
    const now = clock.now();
    if (strict && lastStamp_ms !== undefined && stamp_ms < lastStamp_ms) {
      if (lastStamp_ms - stamp_ms <= 1000) {
        reject(topic, 'LIO.STAMP_BACKWARDS', `${topic} stamp ${stamp_ms.toFixed(3)} ms is older than the last (${lastStamp_ms.toFixed(3)} ms)`);
        return undefined;
      }
      logger.warn({ from_ms: lastStamp_ms, to_ms: stamp_ms }, 'LIO time base restarted: synchronising again');
      offset_ms = undefined;
    }
    if (offset_ms === undefined || now - stamp_ms < offset_ms) offset_ms = now - stamp_ms;
    return Math.min(now, stamp_ms + offset_ms);
  };

  /** The LIO's world-frame pose in z-up axes. */
  const worldPose = (m: LioOdometry): Pose => {
    const p = poseOf(m.position_m, m.orientation);
    return ned ? compose(compose(NED_TO_ENU, p), FLU_TO_FRD) : p;
  };

  const onOdometry = (raw: unknown) => {
    const r = parseOdometry(raw);
    if (!r.ok) return reject('odometry', r.error.code, r.error.message);
    const m = r.value;
    if (!worldFrames.has(m.frame_id)) return reject('odometry', 'LIO.FRAME_MISMATCH', `nav_msgs/Odometry in frame '${m.frame_id}', not one of ${[...worldFrames].join(', ')}`);
    const t_ms = clockTime('odometry', m.stamp_ms, true);
    if (t_ms === undefined) return;
    lastStamp_ms = m.stamp_ms;
    odometryCount++;
    const w = worldPose(m);
    // Re-base: the first pose after start or reset is the map's origin, heading along its x.
    corr ??= inverse(yawPose(yawOfPose(w), translationOf(w)));
    const pose = compose(corr, w);
    const position_m = translationOf(pose);
    const orientation = toQuaternion(pose);
    const trusted = m.position_std_m === undefined || m.position_std_m <= maxStd;
    emit({ type: 'pose', t_ms, frame_id: 'map', position_m, orientation, ok: trusted, ...(trusted ? {} : { reason: 'SLAM.DEGENERATE' }) });
    let linear = m.linear_mps;
    let angular = m.angular_radps;
    if (ned) {
      linear = [linear[0], -linear[1], -linear[2]];
      angular = [angular[0], -angular[1], -angular[2]];
    }
    const empty = linear.every((v) => v === 0) && angular.every((v) => v === 0);
    if (empty && last && t_ms > last.t_ms) {
      const dt = (t_ms - last.t_ms) / 1000;
      const d = compose(inverse(last.pose), pose);
      linear = [d[3]! / dt, d[7]! / dt, d[11]! / dt];
      const th = rotationAngle(d), f = th < 1e-9 ? 0.5 : th / (2 * Math.sin(th));
      angular = [(f * (d[9]! - d[6]!)) / dt, (f * (d[2]! - d[8]!)) / dt, (f * (d[4]! - d[1]!)) / dt];
    }
    emit({ type: 'odometry', t_ms, frame_id: 'map', child_frame_id: 'base_link', position_m, orientation, linear_mps: linear, angular_radps: angular, sigma_m: m.position_std_m ?? 0 });
    last = { pose, t_ms, stamp_ms: m.stamp_ms, at_ms: clock.now() };
  };

  const onCloud = (raw: unknown) => {
    const r = parseCloud(raw);
    if (!r.ok) return reject('cloud', r.error.code, r.error.message);
    const c = r.value;
    if (!worldFrames.has(c.frame_id)) return reject('cloud', 'LIO.FRAME_MISMATCH', `sensor_msgs/PointCloud2 in frame '${c.frame_id}', not one of ${[...worldFrames].join(', ')}`);
    if (!corr || !last) return; // no map frame yet: the first pose defines it
    const t_ms = clockTime('cloud', c.stamp_ms, false);
    cloudCount++;
    const toMap = ned ? compose(corr, NED_TO_ENU) : corr;
    map.add(transformPoints(toMap, c.xyz));
    const [x, y, z] = translationOf(last.pose);
    map.removeFarFrom(x, y, z);
    if (mapPeriod > 0 && t_ms! - lastMap_ms >= mapPeriod) {
      lastMap_ms = t_ms!;
      emit({ type: 'map', t_ms: t_ms!, frame_id: 'map', points: map.points() });
    }
  };

  const watch = () => {
    watchdog = clock.setTimeout(() => {
      if (!running) return;
      if (last && clock.now() - last.at_ms >= lostAfter) {
        emit({ type: 'pose', t_ms: clock.now(), frame_id: 'map', position_m: translationOf(last.pose), orientation: toQuaternion(last.pose), ok: false, reason: 'SLAM.NO_ODOMETRY' });
      }
      watch();
    }, watchPeriod);
  };

  const forget = () => {
    corr = undefined;
    last = undefined;
    map.clear();
    lastMap_ms = -Infinity;
  };

  const notStarted = (): SlamResult => fail('SLAM.NOT_STARTED', 'SLAM is not running');
  return {
    capabilities: { backend: o.backend ?? 'lio', relocalize: true, map: mapPeriod > 0 },
    async start() {
      if (disposed) return fail('SLAM.DISPOSED', 'SLAM port disposed');
      if (running) return okVoid;
      // A restart after stop continues in the same map frame (as the simulated port does); only reset re-bases.
      running = [source.onOdometry(onOdometry), source.onCloud(onCloud)];
      watch();
      return okVoid;
    },
    async stop() {
      for (const off of running ?? []) off();
      running = undefined;
      clock.clearTimeout(watchdog);
      watchdog = undefined;
      return okVoid;
    },
    async reset() {
      if (!running) return notStarted();
      forget();
      return okVoid;
    },
    async relocalize(hint) {
      if (!running) return notStarted();
      if (!last || !corr) return fail('SLAM.RELOCALIZE_FAILED', 'no pose yet to relocalize from');
      const h = hint.position_m;
      if (![...h, hint.yaw_rad ?? 0].every(Number.isFinite)) return fail('SLAM.RELOCALIZE_FAILED', 'the hint is not finite');
      // D moves the current estimate to the hint (yaw kept unless given); the map moves with it.
      const cur = last.pose;
      const yaw = hint.yaw_rad ?? yawOfPose(cur);
      const target = compose(yawPose(yaw - yawOfPose(cur), [0, 0, 0]), cur);
      target[3] = h[0]; target[7] = h[1]; target[11] = h[2];
      const d = compose(target, inverse(cur));
      corr = compose(d, corr);
      const moved = transformPoints(d, map.points());
      map.clear();
      map.add(moved);
      last = { ...last, pose: target };
      return okVoid;
    },
    subscribe(fn) {
      subs.add(fn);
      return () => { subs.delete(fn); };
    },
    stats: () => ({ odometry: odometryCount, clouds: cloudCount, rejected: { ...rejected }, ...(lastRejection ? { lastRejection } : {}) }),
    async dispose() {
      disposed = true;
      for (const off of running ?? []) off();
      running = undefined;
      clock.clearTimeout(watchdog);
      subs.clear();
      await source.close();
    },
  };
}

