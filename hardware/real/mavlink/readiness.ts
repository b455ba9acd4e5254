/**
 * Is the vehicle ready to arm, and if not, why?
 *
 * @remarks
 * PX4 needs ~30–40 s after boot (GPS fix, EKF convergence, home) before it will arm; sending
 * ARM earlier just earns a DENIED. We wait instead, up to a timeout, for: a vehicle heartbeat,
 * a 3D GPS fix (GPS_RAW_INT), a global position estimate (GLOBAL_POSITION_INT), HOME_POSITION,
 * and — where the vehicle reports them in SYS_STATUS — a healthy GPS sensor and PX4's
 * pre-arm-check bit (MAV_SYS_STATUS_PREARM_CHECK, set by PX4 when its pre-arm checks pass).
 * When the wait times out the reason lists what is missing plus the vehicle's own words: its
 * latest warning-or-worse STATUSTEXT ("Preflight Fail: ...").
 */
import { fail, okVoid } from '../../../core/result.js';
import type { VehicleResult } from '../../vehicle.port.js';
import type { MavSession } from './session.js';
import type { TelemetryMapper } from './telemetry-mapper.js';

export const MAV_SYS_STATUS_SENSOR_GPS = 0x20;
export const MAV_SYS_STATUS_PREARM_CHECK = 0x10000000;

const SERIOUS = new Set(['emergency', 'alert', 'critical', 'error', 'warning']);

export interface ReadinessReport {
  readonly ready: boolean;
  /** What is missing, in words. */
  readonly missing: readonly string[];
  /** The vehicle's latest complaint (STATUSTEXT, warning or worse), if any. */
  readonly vehicleSays?: string;
}

export class Readiness {
  constructor(private readonly session: MavSession, private readonly telemetry: TelemetryMapper) {}

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
      if ((s.present & MAV_SYS_STATUS_PREARM_CHECK) !== 0 && (s.health & MAV_SYS_STATUS_PREARM_CHECK) === 0) missing.push('pre-arm checks failing');
    }
    const complaint = [...t.recentText].reverse().find((l) => SERIOUS.has(l.severity));
    return { ready: missing.length === 0, missing, ...(complaint ? { vehicleSays: complaint.text } : {}) };
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
  return fail('VEHICLE.NOT_READY', `vehicle not ready: ${r.missing.join(', ')}${says}`, { context: { missing: r.missing, vehicleSays: r.vehicleSays } });
}
