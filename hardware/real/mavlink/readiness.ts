/**
 * Is the vehicle ready to arm, and if not, why?
 *
 * @remarks
 * PX4 needs ~30–40 s after boot (GPS fix, EKF convergence, home) before it will arm; sending
 * ARM earlier just earns a DENIED. We wait instead, up to a timeout, for: a vehicle heartbeat,
 * a 3D GPS fix (GPS_RAW_INT), a global position estimate (GLOBAL_POSITION_INT), HOME_POSITION,
 * a healthy GPS sensor where SYS_STATUS reports one, and the autopilot's own pre-arm verdict:
 * the MAV_SYS_STATUS_PREARM_CHECK health bit.
 *
 * PX4 v1.15 (`SYS_STATUS.hpp`) sets that bit in `onboard_control_sensors_health` only — never in
 * `present`/`enabled` — as `can_arm_mode_flags & (1 << nav_state)`: "can arm in the CURRENT
 * mode". So for a PX4 autopilot the bit is judged whatever `present` says (scripts/px4/FINDINGS.md F1;
 * other autopilots: where `present` has it). Because PX4's checks change with what we do —
 * NAV_DLL_ACT > 0 makes "no GCS heartbeat seen yet" (Commander starts with
 * `gcs_connection_lost = true` and clears it only ~1–1.3 s after our first heartbeat) an arming
 * failure for every mode (F2), and a mode switch changes the nav_state the bit is about — the
 * bit must have been set continuously for `settleMs` (autopilot time, default 1.5 s: three
 * SYS_STATUS at 2 Hz) after the latest {@link Readiness.mark} (connect, parameter set, mode
 * switch). A SYS_STATUS sent before PX4 re-ran its checks is not taken as the verdict.
 *
 * Once the bit has been seen clear, it must then stay set for `failsafeDelayMs` (default 6 s:
 * COM_FAIL_ACT_T, 5 s by default, + 1 s). A failing failsafe check while disarmed — the GCS-loss
 * check with NAV_DLL_ACT > 0 before PX4 has seen our heartbeat — starts PX4's failsafe delay
 * (`FailsafeBase::checkFailsafe`: `_current_delay = COM_FAIL_ACT_T`), and arming while it runs
 * selects a delayed Hold with no action behind it (`getSelectedAction`): "Failsafe activated:
 * Autopilot disengaged, switching to Hold" right after arming, even though PX4 let us arm (seen
 * on PX4 v1.15.4 SIH: armed 3.6 s after "GCS connection regained" → failsafe; 11 s after → none).
 *
 * All of this is also judged on the vehicle's own clock (time_boot_ms of GLOBAL_POSITION_INT and
 * ATTITUDE), not only ours: a CPU-starved PX4 at `PX4_SIM_SPEED_FACTOR=4` runs well below 4×, so
 * 1.5 s / 6 s of our 4× clock were 0.6 s / 2.5 s of PX4's — it armed inside its failsafe delay
 * (scripts/px4/FINDINGS.md F2b). Evidence that a failsafe-starting check failed is the bit seen
 * clear, or PX4 saying "No connection to the ground control station" (STATUSTEXT, or its health
 * report's `check_rc_dl_no_dllink` at Error level: at Info it is PX4 showing a check that does not
 * apply, NAV_DLL_ACT = 0), the delay counted from the latest of them.
 *
 * And PX4 must positively have seen our GCS heartbeat: its health report lists the
 * `communication_links` component as present (`rcAndDataLinkCheck.cpp`: `setIsPresent` once
 * `gcs_connection_lost` is clear); with no report (events metadata not loaded yet), at least
 * `gcsSeenMs` (2 s) of the vehicle's time must have passed since its first time-stamped message
 * after we started heartbeating (Commander clears `gcs_connection_lost` ~1–1.3 s after our first
 * heartbeat: the receiver publishes telemetry_status at ~1 Hz).
 *
 * Where the events interface gave a health report (`healthReport`), the reason names the PX4
 * checks that block the current mode ("No connection to the ground control station");
 * {@link Readiness.holdWouldArm} says when the current mode cannot arm but Hold can.
 * When the wait times out, the reason lists what is missing plus the vehicle's own words: its
 * latest warning-or-worse STATUSTEXT ("Preflight Fail: ..."); `onlyPrearm` says the autopilot's
 * own verdict was all that was missing (the adapter then lets the autopilot refuse in its words).
 */
import { fail, okVoid } from '../../../core/result.js';
import type { VehicleResult } from '../../vehicle.port.js';
import { checksForModeGroup, type HealthReport } from './events/health-report.js';
import type { MavSession } from './session.js';
import { MSG_ID, type TelemetryMapper } from './telemetry-mapper.js';

export const MAV_SYS_STATUS_SENSOR_GPS = 0x20;
export const MAV_SYS_STATUS_PREARM_CHECK = 0x10000000;
/** PX4 custom mode of AUTO.LOITER (Hold): main 4 << 16 | sub 3 << 24. */
export const PX4_HOLD_CUSTOM_MODE = ((4 << 16) | (3 << 24)) >>> 0;

const SERIOUS = new Set(['emergency', 'alert', 'critical', 'error', 'warning']);

export interface ReadinessReport {
  readonly ready: boolean;
  /** What is missing, in words. */
  readonly missing: readonly string[];
  /** The vehicle's latest complaint (STATUSTEXT, warning or worse), if any. */
  readonly vehicleSays?: string;
  /** Everything else is there; only the autopilot's own pre-arm verdict is missing. */
  readonly onlyPrearm?: boolean;
}

export interface ReadinessOptions {
  /** How long the pre-arm bit must stay set after a mark, ms of autopilot time (default 1500). */
  readonly settleMs?: number;
  /** How long it must stay set once it has been seen clear, ms of autopilot time (default 6000: COM_FAIL_ACT_T + 1 s). */
  readonly failsafeDelayMs?: number;
  /** PX4's latest health-and-arming-check report (events interface), if any. */
  readonly healthReport?: () => HealthReport | undefined;
  /** PX4 custom mode → navigation-mode group (events metadata), if known. */
  readonly modeGroupOf?: (customMode: number) => number | undefined;
  /** With no health report: vehicle-time ms after our first heartbeat before PX4 counts as seeing us (default 2000). */
  readonly gcsSeenMs?: number;
}

/** PX4's words for its GCS-loss arming check (rcAndDataLinkCheck.cpp), which starts the failsafe delay. */
const NO_GCS_TEXT = /no connection to the ground/i;
const NO_GCS_CHECK = 'check_rc_dl_no_dllink';
const BLOCKING = new Set(['emergency', 'alert', 'critical', 'error']);

export class Readiness {
  private readonly settleMs: number;
  /** Clock time of the latest SYS_STATUS, and since when its pre-arm bit has been set without a break. */
  private lastStatusAt: number | undefined;
  private bitSince: number | undefined;
  /** Whether the bit has been seen clear since connect (a failing check may have started PX4's failsafe delay). */
  private seenClear = false;
  private readonly failsafeDelayMs: number;
  /** Evidence older than this does not count (connect, parameter set, mode switch). */
  private markAt: number;
  private customMode: number | undefined;
  private readonly offs: (() => void)[];
  private readonly gcsSeenMs: number;
  /**
   * The same instants on the vehicle's clock (time_boot_ms, ms): the latest received, and the
   * vehicle time at the mark, when the bit was last set, at the latest failing-check evidence, and
   * of the first time-stamped message after we started heartbeating. `null`: pending, taken from
   * the next time-stamped message.
   */
  private vt: number | undefined;
  private markVt: number | null = null;
  private bitSinceVt: number | null | undefined;
  private failingVt: number | null | undefined;
  private failingAt: number | undefined;
  private firstVt: number | null = null;
  /** The health report already looked at (its completion time). */
  private reportSeenAt: number | undefined;

  constructor(private readonly session: MavSession, private readonly telemetry: TelemetryMapper, private readonly opts: ReadinessOptions = {}) {
    this.settleMs = opts.settleMs ?? 1500;
    this.failsafeDelayMs = opts.failsafeDelayMs ?? 6000;
    this.gcsSeenMs = opts.gcsSeenMs ?? 2000;
    this.markAt = session.clock.now();
    const onVehicleTime = (m: unknown) => {
      const t = Number((m as { timeBootMs?: number }).timeBootMs);
      if (!Number.isFinite(t) || t <= 0) return;
      if (this.vt !== undefined && t < this.vt - 1000) {
        // The vehicle rebooted: its clock restarted, and so does everything judged on it.
        this.markVt = this.firstVt = null;
        if (this.bitSinceVt !== undefined) this.bitSinceVt = null;
        if (this.failingVt !== undefined) this.failingVt = null;
      }
      this.vt = t;
      if (this.markVt === null) this.markVt = t;
      if (this.firstVt === null) this.firstVt = t;
      if (this.bitSinceVt === null) this.bitSinceVt = t;
      if (this.failingVt === null) this.failingVt = t;
    };
    this.offs = [
      session.on(MSG_ID.SYS_STATUS, (m) => {
        const now = session.clock.now();
        const health = Number((m as unknown as { onboardControlSensorsHealth: number }).onboardControlSensorsHealth) >>> 0;
        this.lastStatusAt = now;
        if ((health & MAV_SYS_STATUS_PREARM_CHECK) === 0) {
          this.bitSince = undefined;
          this.bitSinceVt = undefined;
          this.failing();
        } else if (this.bitSince === undefined) {
          this.bitSince = now;
          this.bitSinceVt = this.vt ?? null;
        }
      }),
      session.on(MSG_ID.HEARTBEAT, (m) => {
        this.customMode = Number((m as unknown as { customMode: number }).customMode) >>> 0;
      }),
      session.on(MSG_ID.STATUSTEXT, (m) => {
        if (NO_GCS_TEXT.test(String((m as unknown as { text: string }).text))) this.failing();
      }),
      session.on(MSG_ID.GLOBAL_POSITION_INT, onVehicleTime),
      session.on(MSG_ID.ATTITUDE, onVehicleTime),
    ];
  }

  /** A check that starts PX4's failsafe delay was seen failing now. */
  private failing(): void {
    this.seenClear = true;
    this.failingAt = this.session.clock.now();
    this.failingVt = this.vt ?? null;
  }

  /** Something that changes the vehicle's checks happened now: earlier pre-arm evidence no longer counts. */
  mark(): void {
    this.markAt = this.session.clock.now();
    this.markVt = this.vt ?? null;
  }

  /** Vehicle-time ms since `since` (Infinity when the vehicle sends no time: judged on our clock alone). */
  private vehicleSince(since: number | null | undefined): number {
    if (this.vt === undefined) return Infinity;
    if (since === null || since === undefined) return 0;
    return this.vt - since;
  }

  /** Why PX4 may not have seen our GCS heartbeat yet, or undefined when it has. */
  private gcsNotSeen(): string | undefined {
    if (this.session.autopilot !== 'px4') return undefined;
    const report = this.opts.healthReport?.();
    if (report && report.t_ms !== this.reportSeenAt) {
      this.reportSeenAt = report.t_ms;
      // Required or not, PX4 reports the check with every mode group (Report::reportedModes shows
      // optional checks to the UI); only its log level tells: Error when NAV_DLL_ACT > 0, else Info.
      if (report.checks.some((c) => c.name === NO_GCS_CHECK && BLOCKING.has(c.severity))) this.failing();
    }
    const links = report?.components.find((c) => c.name === 'communication_links');
    if (links) return links.present ? undefined : 'PX4 has not seen our heartbeat yet (communication links not present)';
    if (this.vt === undefined) return undefined;
    return this.vehicleSince(this.firstVt) >= this.gcsSeenMs ? undefined : 'PX4 may not have seen our heartbeat yet';
  }

  dispose(): void {
    for (const off of this.offs) off();
  }

  /** Whether the pre-arm bit is to be judged on this vehicle. */
  private judgesBit(): boolean {
    const s = this.telemetry.sensors;
    return this.session.autopilot === 'px4' || (s !== undefined && (s.present & MAV_SYS_STATUS_PREARM_CHECK) !== 0);
  }

  /** PX4's failing checks for the current mode (health report), in PX4's words. */
  private blockingChecks(): string[] {
    const report = this.opts.healthReport?.();
    if (!report || this.customMode === undefined) return [];
    const group = this.opts.modeGroupOf?.(this.customMode);
    return [...new Set(checksForModeGroup(report, group).map((c) => c.text))];
  }

  /**
   * True when PX4's health report says the current mode cannot arm but Hold can (a disarmed
   * vehicle left in a mode it cannot arm in): arming there would wait for nothing.
   */
  holdWouldArm(): boolean {
    const report = this.opts.healthReport?.();
    if (!report || this.customMode === undefined || this.customMode === PX4_HOLD_CUSTOM_MODE) return false;
    const here = this.opts.modeGroupOf?.(this.customMode), hold = this.opts.modeGroupOf?.(PX4_HOLD_CUSTOM_MODE);
    if (here === undefined || hold === undefined || here === hold) return false;
    const g = (i: number) => report.modeGroups.find((m) => m.index === i);
    return g(here)?.canArm === false && g(hold)?.canArm === true;
  }

  check(): ReadinessReport {
    const t = this.telemetry;
    const missing: string[] = [];
    if (!this.session.linkUp) missing.push('no heartbeat');
    if (t.gps?.fix !== '3d') missing.push(`GPS fix ${t.gps?.fix ?? 'unknown'} (need 3D)`);
    if (!t.position) missing.push('no global position estimate');
    if (!t.home) missing.push('home position not set');
    const s = t.sensors;
    if (s) {
      const healthy = (bit: number) => (s.present & bit) === 0 || (s.enabled & bit) === 0 || (s.health & bit) !== 0;
      if (!healthy(MAV_SYS_STATUS_SENSOR_GPS)) missing.push('GPS unhealthy');
    }
    const basic = missing.length;
    if (this.judgesBit()) {
      // Judged by our clock since the evidence, with at least one SYS_STATUS after the mark.
      const now = this.session.clock.now();
      const settle = this.session.ms(this.settleMs);
      const gcs = this.gcsNotSeen();
      const sinceMarkVt = Math.min(this.vehicleSince(this.markVt), this.vehicleSince(this.bitSinceVt));
      if (this.lastStatusAt === undefined) missing.push('pre-arm checks not reported yet (no SYS_STATUS)');
      else if (this.bitSince === undefined) {
        const why = this.blockingChecks();
        missing.push(`pre-arm checks failing${why.length ? `: ${why.join('; ')}` : ''}`);
      } else if (this.lastStatusAt <= this.markAt || now - Math.max(this.bitSince, this.markAt) < settle || sinceMarkVt < this.settleMs) missing.push('pre-arm checks settling');
      else if (gcs) missing.push(gcs);
      else if (this.seenClear && this.session.autopilot === 'px4' && (
        now - Math.max(this.bitSince, this.failingAt ?? -Infinity) < this.session.ms(this.failsafeDelayMs) || this.vehicleSince(this.failingVt) < this.failsafeDelayMs))
        missing.push('pre-arm checks passing, waiting out PX4\'s failsafe delay (COM_FAIL_ACT_T)');
    }
    const complaint = [...t.recentText].reverse().find((l) => SERIOUS.has(l.severity));
    return {
      ready: missing.length === 0, missing, ...(complaint ? { vehicleSays: complaint.text } : {}),
      ...(basic === 0 && missing.length > 0 ? { onlyPrearm: true } : {}),
    };
  }

  /** Resolves ok once ready; VEHICLE.NOT_READY with the reasons after `timeoutMs` (clock ms). */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<VehicleResult> {
    const first = this.check();
    if (first.ready) return Promise.resolve(okVoid);
    const s = this.session;
    return new Promise((resolve) => {
      const deadline = s.clock.now() + timeoutMs;
      let cancel = () => {};
      const done = (r: VehicleResult) => {
        cancel();
        signal?.removeEventListener('abort', onAbort);
        resolve(r);
        s.clock.notifyAsync();
      };
      const onAbort = () => done(fail('VEHICLE.TIMEOUT', 'waiting for readiness: aborted by caller', { context: { aborted: true } }));
      const poll = () => {
        const r = this.check();
        if (r.ready) return done(okVoid);
        if (s.clock.now() >= deadline) return done(notReady(r));
        cancel = s.after(Math.min(s.ms(250), Math.max(1, deadline - s.clock.now())), poll);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      poll();
    });
  }
}

export function notReady(r: ReadinessReport): VehicleResult {
  const says = r.vehicleSays ? `; vehicle says: "${r.vehicleSays}"` : '';
  return fail('VEHICLE.NOT_READY', `vehicle not ready: ${r.missing.join(', ')}${says}`, { context: { missing: r.missing, vehicleSays: r.vehicleSays, ...(r.onlyPrearm ? { onlyPrearm: true } : {}) } });
}
