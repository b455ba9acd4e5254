/**
 * Kinematic multirotor with limits: the position controller and the airframe in one step.
 *
 * @remarks
 * The vehicle flies relative to the air. The controller aims for a ground velocity towards its
 * target (capped by the speed limit and by v ≤ √(2·a·d) so it can stop in time), subtracts its
 * own wind estimate, and commands an airspeed of at most MPC_XY_VEL_MAX, reached under the
 * MPC_ACC_HOR acceleration limit. The wind estimate follows the real wind with a time constant,
 * so a sudden gust pushes the vehicle until the estimate catches up, and wind stronger than the
 * airspeed limit pushes it off track for good. Vertical motion is rate- and acceleration-limited
 * and unaffected by wind. The ground is flat at down = 0. No allocation.
 */
import type { SimParams } from './params.js';
import type { VehicleStore } from './internal/vehicle-store.js';

/** What the controller is doing this tick (the `ctl` column). */
export const Ctl = {
  /** On the ground, nothing moves. */
  Off: 0,
  /** Fly to the 3D target (tgtN, tgtE, tgtD) within the speed limits. */
  Position: 1,
  /** Hold the horizontal target and descend with the landing profile until touchdown. */
  Land: 2,
  /** No thrust: the vehicle falls. */
  Fall: 3,
} as const;

const G = 9.81;
/** Vertical drag coefficient giving a ~25 m/s terminal speed for a tumbling airframe. */
const FALL_DRAG = G / (25 * 25);
const DEG = Math.PI / 180;

/** Speed (m/s) that still allows stopping within `d` m at deceleration `a`, or a P-term near 0. */
function approachSpeed(d: number, a: number): number {
  return Math.min(Math.sqrt(2 * a * d), 2 * d);
}

/**
 * Advances vehicle `i` by `dt` seconds in wind (`wN`, `wE`, m/s, the direction the air moves).
 */
export function stepMultirotor(s: VehicleStore, i: number, p: SimParams, dt: number, wN: number, wE: number): void {
  const ctl = s.ctl[i]!;
  // The estimate keeps converging even on the ground, as an EKF wind estimate would not; harmless.
  const k = Math.min(1, dt / p.wind_est_tau_s);
  const wEstN = s.wEstN[i]! + (wN - s.wEstN[i]!) * k;
  const wEstE = s.wEstE[i]! + (wE - s.wEstE[i]!) * k;
  s.wEstN[i] = wEstN;
  s.wEstE[i] = wEstE;

  if (ctl === Ctl.Off) {
    s.vaN[i] = 0; s.vaE[i] = 0; s.vN[i] = 0; s.vE[i] = 0; s.vD[i] = 0;
    return;
  }

  let pN = s.pN[i]!, pE = s.pE[i]!, pD = s.pD[i]!;
  let vaN = s.vaN[i]!, vaE = s.vaE[i]!, vD = s.vD[i]!;

  if (ctl === Ctl.Fall) {
    vD += (G - FALL_DRAG * vD * Math.abs(vD)) * dt;
    const decay = Math.max(0, 1 - dt / 2);
    vaN *= decay;
    vaE *= decay;
  } else {
    // Horizontal: desired ground velocity, then the airspeed that achieves it.
    let desN = 0, desE = 0;
    if (s.gpsOk[i] === 1) {
      const dN = s.tgtN[i]! - pN, dE = s.tgtE[i]! - pE;
      const d = Math.sqrt(dN * dN + dE * dE);
      if (d > 1e-6) {
        const spd = Math.min(s.tgtSpd[i]!, approachSpeed(d, p.MPC_ACC_HOR * 0.8)) / d;
        desN = dN * spd - wEstN;
        desE = dE * spd - wEstE;
      } else {
        desN = -wEstN;
        desE = -wEstE;
      }
      const mag = Math.sqrt(desN * desN + desE * desE);
      if (mag > p.MPC_XY_VEL_MAX) {
        desN *= p.MPC_XY_VEL_MAX / mag;
        desE *= p.MPC_XY_VEL_MAX / mag;
      }
      // Heading turns toward the direction of travel, rate-limited.
      const gN = desN + wEstN, gE = desE + wEstE;
      if (gN * gN + gE * gE > 1) turnYaw(s, i, Math.atan2(gE, gN) / DEG, p.MPC_YAWRAUTO_MAX * dt);
    } // without GPS there is no position control: zero airspeed, the vehicle drifts with the wind
    const aN = desN - vaN, aE = desE - vaE;
    const am = Math.sqrt(aN * aN + aE * aE);
    const amax = p.MPC_ACC_HOR * dt;
    if (am > amax) {
      vaN += (aN * amax) / am;
      vaE += (aE * amax) / am;
    } else {
      vaN = desN;
      vaE = desE;
    }

    // Vertical (down positive).
    let vzDes: number;
    if (ctl === Ctl.Land) {
      vzDes = -pD > p.MPC_LAND_ALT2 ? s.tgtVDn[i]! : p.MPC_LAND_SPEED;
    } else {
      const dz = s.tgtD[i]! - pD;
      const lim = dz < 0 ? p.MPC_ACC_UP_MAX : p.MPC_ACC_DOWN_MAX;
      const v = approachSpeed(Math.abs(dz), lim * 0.8);
      vzDes = dz < 0 ? -Math.min(v, s.tgtVUp[i]!) : Math.min(v, s.tgtVDn[i]!);
    }
    const az = vzDes - vD;
    const azMax = (az < 0 ? p.MPC_ACC_UP_MAX : p.MPC_ACC_DOWN_MAX) * dt;
    vD += az > azMax ? azMax : az < -azMax ? -azMax : az;
  }

  let vN = vaN + wN, vE = vaE + wE;
  pD += vD * dt;
  if (pD >= 0 && vD >= 0) {
    // Ground contact: no sinking, no sliding in the wind. The autopilot reads touchdown from pD.
    pD = 0;
    if (ctl !== Ctl.Fall) vD = 0;
    vN = 0; vE = 0; vaN = 0; vaE = 0;
  }
  pN += vN * dt;
  pE += vE * dt;
  s.pN[i] = pN; s.pE[i] = pE; s.pD[i] = pD;
  s.vN[i] = vN; s.vE[i] = vE; s.vD[i] = vD;
  s.vaN[i] = vaN; s.vaE[i] = vaE;
}

/** Turns the heading toward `target_deg` by at most `maxStep_deg`; heading kept in [0, 360). */
function turnYaw(s: VehicleStore, i: number, target_deg: number, maxStep_deg: number): void {
  const yaw = s.yaw[i]!;
  let diff = target_deg - yaw;
  diff -= 360 * Math.round(diff / 360);
  const step = diff > maxStep_deg ? maxStep_deg : diff < -maxStep_deg ? -maxStep_deg : diff;
  let next = yaw + step;
  if (next < 0) next += 360;
  else if (next >= 360) next -= 360;
  s.yaw[i] = next;
}
