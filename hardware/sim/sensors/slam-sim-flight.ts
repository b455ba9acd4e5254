/**
 * A simulated SLAM flight, for tests and benchmarks of the SLAM estimate: a flight path on the
 * virtual clock, a world of buildings and masts on hills (or a flat, featureless one), the
 * simulated Ouster casting against it, its packets decoded into frames by the real assembler, and
 * the truth sensor pose (NED ← sensor) at each frame's middle — plus the metrics evo reports.
 */
import { VirtualClock } from '../../../core/clock.js';
import { LocalFrame, type GeoPoint } from '../../../core/geo.js';
import { Rng } from '../../../core/rng.js';
import { bodyToNed, mul3, sensorToBody } from '../../../core/sensors/sensor-frame.js';
import { OusterScanAssembler, type OusterFrame } from '../../real/lidar/ouster/ouster-scan-assembler.js';
import { makeXyzLut } from '../../real/lidar/ouster/ouster-xyz-lut.js';
import type { SensorPose, VehiclePoseSource } from '../../sensor.port.js';
import { SensorWorldSchema, type SensorWorldSpec } from '../world/world-spec.js';
import { KissIcpOdometry, type KissIcpOptions } from '../../../slam/kiss-icp-odometry.js';
import { fromRotationTranslation, type Pose } from '../../../slam/rigid-transform.js';
import { absoluteTrajectoryError, relativePoseError, type AteResult, type RpeResult } from '../../../slam/trajectory-metrics.js';
import { OusterSim } from './ouster-sim.js';
import { frameToSlamScan, type SlamScan } from './slam-sim-scan.js';

export interface FlightPath {
  /** Seconds → north, east (m), height above origin (m), yaw (deg). */
  at(t_s: number): { north: number; east: number; up: number; yaw: number };
}

/**
 * From rest, accelerating to 5 m/s north over 4 s, weaving ±6 m east with a 16 s period, 8 m up,
 * yaw along the track (about 5 m of path a second once at speed).
 */
export const WEAVE: FlightPath = {
  at(t) {
    const ramp = 4, v = 5, w = (2 * Math.PI) / 16;
    // Distance along track: v·t²/(2·ramp) while accelerating, then v·(t − ramp/2).
    const s = t < ramp ? (v * t * t) / (2 * ramp) : v * (t - ramp / 2);
    const ds = t < ramp ? (v * t) / ramp : v;
    const g = Math.min(1, t / ramp); // the weave fades in with the speed
    const east = 6 * g * Math.sin(w * t);
    const de = 6 * (g * w * Math.cos(w * t) + (t < ramp ? Math.sin(w * t) / ramp : 0));
    const yaw = ds + Math.abs(de) < 1e-9 ? 0 : (Math.atan2(de, ds) * 180) / Math.PI;
    return { north: s, east, up: 8, yaw };
  },
};

/** Buildings and masts along both sides of a track `length_m` long (north), on gentle hills. */
export function cityWorld(length_m: number): SensorWorldSpec {
  const obstacles: unknown[] = [];
  const rng = new Rng(99);
  for (let n = -20; n < length_m + 40; n += 10) {
    for (const side of [-1, 1]) {
      const east = side * (12 + rng.next() * 10);
      if (rng.next() < 0.7) {
        obstacles.push({ kind: 'building', north: n + rng.next() * 6, east, size_m: { x: 5 + rng.next() * 8, y: 5 + rng.next() * 8, z: 6 + rng.next() * 25 }, yaw_deg: rng.next() * 90 });
      } else {
        obstacles.push({ kind: 'cylinder', north: n, east, radius_m: 0.5 + rng.next() * 1.5, height_m: 10 + rng.next() * 20 });
      }
    }
  }
  return SensorWorldSchema.parse({ terrain: { kind: 'hills', amplitude_m: 4, wavelength_m: 60, seed: 5 }, obstacles });
}

export const FLAT_WORLD: SensorWorldSpec = SensorWorldSchema.parse({});

/** Where the flights start (PX4's default home). */
export const FLIGHT_ORIGIN: GeoPoint = { lat_deg: 47.397742, lon_deg: 8.545594, alt_m: 488 };

export interface FlightRun {
  readonly scans: SlamScan[];
  /** NED ← sensor at each scan's middle. */
  readonly truth: Pose[];
  /** Sensor → NED rotation at each scan's middle (the attitude prior an IMU would give). */
  readonly attitude: number[][];
  readonly frames: number;
}

export interface FlightOptions {
  readonly world: SensorWorldSpec;
  readonly path: FlightPath;
  readonly duration_s: number;
  readonly seed: number;
  readonly model?: string;
  readonly mode?: '512x10' | '1024x10';
  readonly dropout?: number;
}

/** Flies `path` for `duration_s` with the simulated Ouster and returns its scans and the truth. */
export function flyOuster(o: FlightOptions): FlightRun {
  const clock = new VirtualClock();
  const frame = new LocalFrame(FLIGHT_ORIGIN);
  const poseAt = (t_ms: number): SensorPose => {
    const p = o.path.at(t_ms / 1000);
    return { position: frame.toGeo({ north_m: p.north, east_m: p.east, down_m: -p.up }), attitude_deg: { roll: 0, pitch: 0, yaw: p.yaw } };
  };
  const vehicle: VehiclePoseSource = { pose: () => ({ ...poseAt(clock.now()), t_ms: clock.now() }) };
  const sim = new OusterSim({
    model: o.model ?? 'os1-32', lidar_mode: o.mode ?? '512x10', clock, rng: new Rng(o.seed), world: o.world, origin: FLIGHT_ORIGIN, vehicle,
    range_noise_sd_m: 0.02, dropout_probability: o.dropout ?? 0.001,
  });
  const lut = makeXyzLut(sim.info);
  const frames: OusterFrame[] = [];
  const asm = new OusterScanAssembler(sim.info, (f) => frames.push(f));
  sim.subscribe((p) => asm.push(p));
  sim.start();
  clock.advanceSync(o.duration_s * 1000);
  sim.stop();
  asm.flush();
  const scans: SlamScan[] = [], truth: Pose[] = [], attitude: number[][] = [];
  const mount = sensorToBody();
  for (const f of frames) {
    if (f.missing_columns > f.w / 4) continue;
    const scan = frameToSlamScan(lut, f);
    const p = o.path.at(scan.t_mid_ms / 1000);
    const rot = mul3(bodyToNed({ roll: 0, pitch: 0, yaw: p.yaw }), mount);
    scans.push(scan);
    truth.push(fromRotationTranslation(rot, [p.north, p.east, -p.up]));
    attitude.push([...rot]);
  }
  return { scans, truth, attitude, frames: frames.length };
}

/** KISS-ICP over a flight's scans with the attitude prior (rotation only, as an IMU gives it). */
export function estimateFlight(run: FlightRun, options: Partial<KissIcpOptions> = {}): { est: Pose[]; degenerate: number; untrusted: number } {
  const odo = new KissIcpOdometry({ maxRange_m: 100, voxelSize_m: 1, ...options });
  const est: Pose[] = [];
  let degenerate = 0, untrusted = 0;
  run.scans.forEach((s, i) => {
    const r = odo.register({ points: s.points, times: s.times, attitude: run.attitude[i] });
    est.push(r.pose);
    if (r.reason === 'SLAM.DEGENERATE') degenerate++;
    if (!r.ok) untrusted++;
  });
  return { est, degenerate, untrusted };
}

/** Path length of a trajectory, m. */
export function pathLength(traj: readonly Pose[]): number {
  let d = 0;
  for (let i = 1; i < traj.length; i++) d += Math.hypot(traj[i]![3]! - traj[i - 1]![3]!, traj[i]![7]! - traj[i - 1]![7]!, traj[i]![11]! - traj[i - 1]![11]!);
  return d;
}

export interface FlightMetrics {
  readonly path_m: number;
  /** evo_ape (SE(3) Umeyama alignment), translation. */
  readonly ate: AteResult;
  /** evo_rpe `--delta 100 --delta_unit m --all_pairs --delta_tol 1`: translational error per 100 m, in % (`drift_pct`). */
  readonly rpe100: RpeResult;
  /** evo_rpe `--delta 100 --delta_unit m` (consecutive pairs). */
  readonly rpe100Consecutive: RpeResult;
}

/** The figures evo reports for an estimate against the truth. */
export function flightMetrics(est: readonly Pose[], truth: readonly Pose[]): FlightMetrics {
  return {
    path_m: pathLength(truth),
    ate: absoluteTrajectoryError(est, truth),
    rpe100: relativePoseError(est, truth, { delta_m: 100, allPairs: true, tol_m: 1 }),
    rpe100Consecutive: relativePoseError(est, truth, { delta_m: 100 }),
  };
}
