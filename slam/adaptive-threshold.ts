/**
 * KISS-ICP's adaptive correspondence threshold (Vizzo et al. 2023, §III-D): σ is the RMS of the
 * constant-velocity model's deviation, measured as the largest displacement any point within
 * `maxRange_m` suffers from it — δ = ‖Δt‖ + 2·r_max·sin(θ/2) — over the frames where the vehicle
 * moved more than `minMotion_m`. Until one such frame, σ is `initialThreshold_m`.
 */
import { rotationAngle, translationNorm, type Pose } from './rigid-transform.js';

export interface AdaptiveThresholdOptions {
  /** σ before any motion sample, m (KISS-ICP: 2.0). */
  readonly initialThreshold_m: number;
  /** Deviations at or below this are not samples, m (KISS-ICP: 0.1). */
  readonly minMotion_m: number;
  readonly maxRange_m: number;
}

export class AdaptiveThreshold {
  private sse = 0;
  private samples = 0;
  constructor(readonly o: AdaptiveThresholdOptions) {}

  /** σ, m: correspondences are searched within 3σ and the Geman-McClure kernel scale is σ/3. */
  get sigma_m(): number {
    return this.samples < 1 ? this.o.initialThreshold_m : Math.sqrt(this.sse / this.samples);
  }

  /** The model's error for one frame: `deviation` = initial_guess⁻¹ · registered pose. */
  static modelError(deviation: Pose, maxRange_m: number): number {
    return translationNorm(deviation) + 2 * maxRange_m * Math.sin(rotationAngle(deviation) / 2);
  }

  update(deviation: Pose): void {
    const e = AdaptiveThreshold.modelError(deviation, this.o.maxRange_m);
    if (e > this.o.minMotion_m) {
      this.sse += e * e;
      this.samples++;
    }
  }

  reset(): void {
    this.sse = 0;
    this.samples = 0;
  }
}
