/**
 * What each {@link SimFault} does to a vehicle, and the per-tick expiry of timed faults.
 *
 * @remarks
 * Timed faults store their end time in the store (Infinity = until restored) and are checked
 * inside the physics tick, so a fault schedule adds no clock timers.
 */
import { dropBattery } from './battery.model.js';
import { failsafe, Landed, Mode, MODE_NAMES, setArmed, startFalling, type AutopilotHost } from './autopilot.js';
import type { SimFault } from './faults.js';
import { windVector } from './wind.js';

export interface FaultHost extends AutopilotHost {
  updateDatalink(i: number): void;
  emitState(i: number): void;
  readonly rngs: readonly { next(): number }[];
}

/** Applies `fault` to vehicle `i` at sim time `now` (ms). */
export function applyFault(h: FaultHost, i: number, fault: SimFault, now: number): void {
  const s = h.s, p = h.params[i]!;
  const until = (d: number | undefined) => (d === undefined ? Infinity : now + d * 1000);
  switch (fault.kind) {
    case 'link_loss':
      s.linkLossUntil[i] = until(fault.duration_s);
      if (s.linkOk[i] === 1) {
        // The twin hears the link go down; everything after is lost until restore.
        h.emit(i, { type: 'link', up: false });
        s.linkOk[i] = 0;
        h.updateDatalink(i);
      }
      return;
    case 'link_restore':
      restoreLink(h, i);
      return;
    case 'gps_loss':
      s.gpsLossUntil[i] = until(fault.duration_s);
      if (s.gpsOk[i] === 0) return;
      s.gpsOk[i] = 0;
      s.sats[i] = Math.floor(h.rngs[i]!.next() * 4);
      s.hdop[i] = 99.99;
      h.emit(i, { type: 'statustext', severity: 'critical', text: 'GPS lost: no position estimate' });
      // Like PX4, auto modes cannot navigate without a position: fall back to land.
      if (s.armed[i] === 1 && s.landed[i] !== Landed.OnGround && s.falling[i] === 0 && s.mode[i] !== Mode.Land)
        failsafe(h, i, 'gps_loss', Mode.Land);
      return;
    case 'gps_restore':
      restoreGps(h, i);
      return;
    case 'battery_drop':
      dropBattery(s, i, p, fault.pct);
      h.emit(i, { type: 'statustext', severity: 'warning', text: `Battery dropped to ${s.batPct[i]!.toFixed(0)}%` });
      return;
    case 'motor_failure':
      if (s.armed[i] === 1 && s.landed[i] !== Landed.OnGround) {
        startFalling(h, i, 'motor_failure', 'Motor failure: vehicle falling');
        return;
      }
      // On the ground it cannot fall; it is simply unusable from now on.
      s.crashed[i] = 1;
      h.emit(i, { type: 'statustext', severity: 'critical', text: 'Motor failure' });
      h.emit(i, { type: 'failsafe', reason: 'motor_failure', action: 'manual' });
      setArmed(h, i, false, now);
      return;
    case 'wind_gust': {
      const [n, e] = windVector(fault.speed_mps, fault.direction_deg);
      s.injGustN[i] = n;
      s.injGustE[i] = e;
      s.injGustUntil[i] = now + fault.duration_s * 1000;
      return;
    }
    case 'sensor_failure':
      h.emit(i, { type: 'statustext', severity: 'error', text: `Sensor failure: ${fault.sensor}` });
      h.emit(i, { type: 'failsafe', reason: `sensor_failure:${fault.sensor}`, action: MODE_NAMES[s.mode[i]!]! });
      return;
  }
}

function restoreLink(h: FaultHost, i: number): void {
  const s = h.s;
  s.linkLossUntil[i] = Infinity;
  if (s.linkOk[i] === 1) return;
  s.linkOk[i] = 1;
  const fired = s.dllFired[i] === 1;
  const action = s.dllAction[i]!;
  h.updateDatalink(i);
  // What the twin learns once it hears the vehicle again: the link, the failsafe it missed,
  // then the full state so it can resynchronise.
  h.emit(i, { type: 'link', up: true });
  if (fired) h.emit(i, { type: 'failsafe', reason: 'datalink_loss', action: MODE_NAMES[action]! });
  h.emitState(i);
}

function restoreGps(h: FaultHost, i: number): void {
  const s = h.s;
  s.gpsLossUntil[i] = Infinity;
  if (s.gpsOk[i] === 1) return;
  s.gpsOk[i] = 1;
  s.sats[i] = 12;
  s.hdop[i] = 0.82;
  h.emit(i, { type: 'statustext', severity: 'info', text: 'GPS fix regained' });
}

/** Ends timed faults that are due; cheap when nothing is active (three comparisons). */
export function expireFaults(h: FaultHost, i: number, now: number): void {
  const s = h.s;
  if (s.linkLossUntil[i]! <= now) restoreLink(h, i);
  if (s.gpsLossUntil[i]! <= now) restoreGps(h, i);
}
