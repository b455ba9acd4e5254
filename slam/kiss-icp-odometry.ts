/**
 * LiDAR odometry after KISS-ICP (Vizzo, Guadagnino, Mersch, Wiesmann, Behley, Stachniss, "KISS-ICP:
 * In Defense of Point-to-Point ICP", RA-L 2023): range crop, optional de-skewing, double voxel
 * downsampling (α·v for the map, β·v for registration), constant-velocity prediction, point-to-point
 * ICP against a voxel-hash local map with a Geman-McClure kernel and the adaptive threshold.
 *
 * @remarks
 * Pure and synchronous: typed arrays in, a pose out; no clock, no I/O. The map frame is the first
 * scan's sensor frame. Poses are map ← sensor, SI units. An attitude prior (IMU or autopilot
 * attitude, sensor → world rotation) replaces the predicted rotation increment when given for
 * consecutive scans: rotation is what point-to-point ICP finds hardest on weak geometry.
 */
import { AdaptiveThreshold } from './adaptive-threshold.js';
import { registerToMap } from './icp-registration.js';
import { compose, expTwist, fromRotationTranslation, identity, inverse, rotationAngle, type Pose } from './rigid-transform.js';
import { VoxelHashMap, voxelDownsample } from './voxel-hash-map.js';

export interface KissIcpOptions {
  /** Farthest return used, m (KISS-ICP: 100). */
  readonly maxRange_m: number;
  /** Nearest return used, m (drops the airframe) (KISS-ICP: 0). */
  readonly minRange_m: number;
  /** Map voxel edge v, m (KISS-ICP: maxRange / 100). */
  readonly voxelSize_m: number;
  /** Map points per voxel (KISS-ICP: 20). */
  readonly maxPointsPerVoxel: number;
  /** σ before the first motion sample, m (KISS-ICP: 2). */
  readonly initialThreshold_m: number;
  /** Smallest model deviation counted as a σ sample, m (KISS-ICP: 0.1). */
  readonly minMotion_m: number;
  /** Map downsampling factor α (0.5) and registration factor β (1.5). */
  readonly alpha: number;
  readonly beta: number;
  /** Undistort scans with the constant-velocity motion when per-point times are given (true). */
  readonly deskew: boolean;
  /** Below this translation conditioning the registration is reported degenerate (0.02). */
  readonly minConditioning: number;
}

export const DEFAULT_KISS_ICP: KissIcpOptions = {
  maxRange_m: 100,
  minRange_m: 1,
  voxelSize_m: 1,
  maxPointsPerVoxel: 20,
  initialThreshold_m: 2,
  minMotion_m: 0.1,
  alpha: 0.5,
  beta: 1.5,
  deskew: true,
  minConditioning: 0.02,
};

export interface OdometryScan {
  /** Sensor-frame points, `stride` floats a point, x,y,z (m) first (a ScanRef blob: stride 4). */
  readonly points: Float32Array | Float64Array;
  readonly stride?: number;
  /** Per-point acquisition time normalised to the scan, 0 (first column) … 1 (last). */
  readonly times?: Float32Array | Float64Array;
  /** Attitude prior: row-major sensor → world rotation at the scan's middle, from the IMU/autopilot. */
  readonly attitude?: ArrayLike<number>;
}

export interface OdometryResult {
  /** map ← sensor at the middle of the scan. */
  readonly pose: Pose;
  /** The registration is trusted: converged, enough correspondences, geometry not degenerate. */
  readonly ok: boolean;
  /** Dotted code when not ok. */
  readonly reason?: 'SLAM.DEGENERATE' | 'SLAM.FEW_CORRESPONDENCES' | 'SLAM.NOT_CONVERGED' | 'SLAM.EMPTY_SCAN';
  readonly sigma_m: number;
  readonly iterations: number;
  readonly correspondences: number;
  readonly sourcePoints: number;
  readonly translationConditioning: number;
}

export class KissIcpOdometry {
  readonly o: KissIcpOptions;
  readonly map: VoxelHashMap;
  private readonly threshold: AdaptiveThreshold;
  private lastPose: Pose = identity();
  private lastDelta: Pose = identity();
  private lastAttitude: Float64Array | undefined;
  private frames = 0;

  constructor(options: Partial<KissIcpOptions> = {}) {
    this.o = { ...DEFAULT_KISS_ICP, ...options };
    this.map = new VoxelHashMap({ voxelSize_m: this.o.voxelSize_m, maxPointsPerVoxel: this.o.maxPointsPerVoxel, maxRange_m: this.o.maxRange_m });
    this.threshold = new AdaptiveThreshold({ initialThreshold_m: this.o.initialThreshold_m, minMotion_m: this.o.minMotion_m, maxRange_m: this.o.maxRange_m });
  }

  /** The latest pose (map ← sensor). */
  get pose(): Pose {
    return this.lastPose.slice();
  }

  get frameCount(): number {
    return this.frames;
  }

  /** Forgets map, motion and σ: the next scan starts a new map frame. */
  reset(): void {
    this.map.clear();
    this.threshold.reset();
    this.lastPose = identity();
    this.lastDelta = identity();
    this.lastAttitude = undefined;
    this.frames = 0;
  }

  /** Moves the estimate to `pose` (relocalization) and drops the motion model. */
  relocalize(pose: Pose): void {
    this.lastPose = pose.slice();
    this.lastDelta = identity();
    this.lastAttitude = undefined;
  }

  /** Registers one scan; returns its pose and whether the registration is trusted. */
  register(scan: OdometryScan): OdometryResult {
    const o = this.o;
    const stride = scan.stride ?? 3;
    const cropped = this.crop(scan, stride);
    const sigma = this.threshold.sigma_m;
    if (cropped.length === 0) {
      return { pose: this.pose, ok: false, reason: 'SLAM.EMPTY_SCAN', sigma_m: sigma, iterations: 0, correspondences: 0, sourcePoints: 0, translationConditioning: NaN };
    }
    const frame = voxelDownsample(cropped, o.voxelSize_m * o.alpha);
    const source = voxelDownsample(frame, o.voxelSize_m * o.beta);

    // Constant-velocity prediction; an attitude prior overrides its rotation increment.
    const delta = this.lastDelta.slice();
    const att = scan.attitude ? Float64Array.from(scan.attitude) : undefined;
    if (att && this.lastAttitude) {
      const prev = fromRotationTranslation(this.lastAttitude, [0, 0, 0]);
      const rel = compose(inverse(prev), fromRotationTranslation(att, [0, 0, 0]));
      for (const k of [0, 1, 2, 4, 5, 6, 8, 9, 10]) delta[k] = rel[k]!;
    }
    const guess = compose(this.lastPose, delta);

    let pose: Pose = guess, iterations = 0, correspondences = 0, conditioning = NaN, converged = true;
    if (this.frames > 0) {
      const r = registerToMap(source, this.map, guess, { maxCorrespondence_m: 3 * sigma, kernel_m: sigma / 3 });
      ({ pose, iterations, correspondences, converged } = r);
      conditioning = r.translationConditioning;
      this.threshold.update(compose(inverse(guess), pose));
    }
    this.map.add(transformPointsTyped(pose, frame));
    this.map.removeFarFrom(pose[3]!, pose[7]!, pose[11]!);
    this.lastDelta = compose(inverse(this.lastPose), pose);
    this.lastPose = pose;
    this.lastAttitude = att;
    this.frames++;

    let reason: OdometryResult['reason'];
    if (this.frames > 1) {
      if (correspondences < Math.max(20, 0.2 * (source.length / 3))) reason = 'SLAM.FEW_CORRESPONDENCES';
      else if (!converged) reason = 'SLAM.NOT_CONVERGED';
      else if (!(conditioning >= o.minConditioning)) reason = 'SLAM.DEGENERATE';
    }
    return {
      pose: pose.slice(), ok: reason === undefined, ...(reason ? { reason } : {}), sigma_m: sigma, iterations, correspondences,
      sourcePoints: source.length / 3, translationConditioning: conditioning,
    };
  }

  /** Range crop, and de-skew to the scan's middle with the last motion when times are given. */
  private crop(scan: OdometryScan, stride: number): Float64Array {
    const o = this.o;
    const pts = scan.points;
    const n = Math.floor(pts.length / stride);
    const out = new Float64Array(n * 3);
    const lo2 = o.minRange_m * o.minRange_m, hi2 = o.maxRange_m * o.maxRange_m;
    const deskew = o.deskew && scan.times !== undefined && this.frames > 1;
    // The last frame's motion as a twist (small-angle log): rotation axis·angle, translation.
    const d = this.lastDelta;
    const th = rotationAngle(d);
    const f = th < 1e-9 ? 0.5 : th / (2 * Math.sin(th));
    const twist = [d[3]!, d[7]!, d[11]!, f * (d[9]! - d[6]!), f * (d[2]! - d[8]!), f * (d[4]! - d[1]!)];
    const m = new Float64Array(12), tw = new Float64Array(6);
    let q = 0;
    for (let i = 0, j = 0; i < n; i++, j += stride) {
      let x = pts[j]!, y = pts[j + 1]!, z = pts[j + 2]!;
      const r2 = x * x + y * y + z * z;
      if (!(r2 >= lo2 && r2 <= hi2)) continue;
      if (deskew) {
        const s = scan.times![i]! - 0.5;
        for (let k = 0; k < 6; k++) tw[k] = s * twist[k]!;
        expTwist(tw, m);
        const nx = m[0]! * x + m[1]! * y + m[2]! * z + m[3]!;
        const ny = m[4]! * x + m[5]! * y + m[6]! * z + m[7]!;
        const nz = m[8]! * x + m[9]! * y + m[10]! * z + m[11]!;
        x = nx; y = ny; z = nz;
      }
      out[q++] = x; out[q++] = y; out[q++] = z;
    }
    return out.subarray(0, q);
  }
}

function transformPointsTyped(p: Pose, xyz: Float64Array): Float64Array {
  const out = new Float64Array(xyz.length);
  for (let i = 0; i < xyz.length; i += 3) {
    const x = xyz[i]!, y = xyz[i + 1]!, z = xyz[i + 2]!;
    out[i] = p[0]! * x + p[1]! * y + p[2]! * z + p[3]!;
    out[i + 1] = p[4]! * x + p[5]! * y + p[6]! * z + p[7]!;
    out[i + 2] = p[8]! * x + p[9]! * y + p[10]! * z + p[11]!;
  }
  return out;
}
