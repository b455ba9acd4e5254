/**
 * Commands the simulated autopilot accepts, with PX4's preconditions: the checks decide
 * between VEHICLE.COMMAND_DENIED (with the reason PX4 would put in its statustext) and a mode
 * change. Runs at the moment the command reaches the vehicle (after the link latency).
 */
import type { LocalFrame } from '../../core/geo.js';
import type { MissionItem } from '../../core/mission.js';
import { fail, okVoid } from '../../core/result.js';
import type { VehicleResult } from '../vehicle.port.js';
import {
  enterHold, enterLand, enterMission, enterRtl, enterTakeoff, Landed, Mode, MissionState, setArmed, setMode,
  type AutopilotHost,
} from './autopilot.js';
import { compileMission, type SimMissionPlan } from './mission-plan.js';
import { allowsPosition } from './geofence.js';

export type SimCommand =
  /** `reason`: what Commander names in "Armed by …" (default 'external command'). */
  | { readonly kind: 'arm'; readonly reason?: 'external command' | 'mission start' }
  | { readonly kind: 'disarm' }
  /** `alt_m` above home; absent = MIS_TAKEOFF_ALT. */
  | { readonly kind: 'takeoff'; readonly alt_m?: number | undefined }
  | { readonly kind: 'land' }
  | { readonly kind: 'rtl' }
  | { readonly kind: 'hold' }
  /** Position WGS84, `alt_m` above home. */
  | { readonly kind: 'goto'; readonly lat_deg: number; readonly lon_deg: number; readonly alt_m: number }
  | { readonly kind: 'upload_mission'; readonly items: readonly MissionItem[] }
  | { readonly kind: 'start_mission' }
  | { readonly kind: 'clear_mission' }
  /**
   * A mode switch as PX4's Commander takes it (DO_SET_MODE): while disarmed every mode is
   * selected as is (`UserModeIntention::change` always allows it: Mission without a mission,
   * Position without RC); armed, it runs the mode (mission → start_mission, …).
   */
  | { readonly kind: 'set_mode'; readonly mode: 'manual' | 'hold' | 'takeoff' | 'mission' | 'rtl' | 'land' };

export interface CommandHost extends AutopilotHost {
  readonly frame: LocalFrame;
  setMission(i: number, plan: SimMissionPlan | undefined): void;
}

const denied = (reason: string): VehicleResult => fail('VEHICLE.COMMAND_DENIED', reason);

/**
 * Why vehicle `i` cannot arm now (undefined: it can) — the simulator's preflight checks and
 * Commander's canArm(nav_state): a geofence breach fails the arming checks of every mode, RTL
 * and Land prevent arming, Mission needs a valid mission (check_modes_mission), Position needs
 * manual control input (seen on PX4 v1.15.4 SIH without RC: all refused with this text). PX4 sets
 * SYS_STATUS' PREARM_CHECK health bit exactly when this is undefined.
 */
export function armRefusal(h: AutopilotHost, i: number): string | undefined {
  const s = h.s, p = h.params[i]!;
  if (s.falling[i] === 1) return 'no propulsion: vehicle is falling';
  if (s.crashed[i] === 1) return 'Arming denied: vehicle crashed';
  if (s.landed[i] !== Landed.OnGround) return 'Arming denied: not landed';
  if (s.gpsOk[i] !== 1) return 'Arming denied: no 3D GPS fix';
  if (s.batPct[i]! <= 10) return `Arming denied: battery ${s.batPct[i]!.toFixed(0)}% too low`;
  // Position (Manual here) needs manual control input, which the simulator never has.
  if ((s.gfBreach[i] !== 0 && Math.round(p.GF_ACTION) !== 0) || s.mode[i] === Mode.Rtl || s.mode[i] === Mode.Land
    || s.mode[i] === Mode.Manual || (s.mode[i] === Mode.Mission && !h.missions[i]))
    return 'Arming denied: Resolve system health failures first';
  return undefined;
}

/** Executes `cmd` on vehicle `i` at sim time `now` (ms). Never throws for bad arguments. */
export function executeCommand(h: CommandHost, i: number, cmd: SimCommand, now: number): VehicleResult {
  const s = h.s, p = h.params[i]!;
  const armed = s.armed[i] === 1;
  const onGround = s.landed[i] === Landed.OnGround;
  if (s.falling[i] === 1) return denied('no propulsion: vehicle is falling');
  const noGps = s.gpsOk[i] !== 1;
  switch (cmd.kind) {
    case 'arm':
      if (armed) return okVoid;
      {
        const why = armRefusal(h, i);
        if (why) return denied(why);
      }
      setArmed(h, i, true, now);
      h.emit(i, { type: 'statustext', severity: 'info', text: `Armed by ${cmd.reason ?? 'external command'}` }); // Commander's
      // Armed in Mission or Takeoff mode, the navigator runs it at once: takeoff, then the mission.
      if (s.mode[i] === Mode.Mission && cmd.reason !== 'mission start' && !noGps) enterMission(h, i);
      else if (s.mode[i] === Mode.Takeoff && !noGps) enterTakeoff(h, i, p.MIS_TAKEOFF_ALT);
      return okVoid;
    case 'disarm':
      if (!armed) return okVoid;
      if (!onGround) return denied('Disarming denied: not landed');
      h.emit(i, { type: 'statustext', severity: 'info', text: 'Disarmed by external command' });
      setArmed(h, i, false, now);
      return okVoid;
    case 'takeoff': {
      if (!armed) return denied('Takeoff denied: not armed');
      if (!onGround) return denied('Takeoff denied: already flying');
      if (noGps) return denied('Takeoff denied: no position estimate');
      const alt = cmd.alt_m ?? p.MIS_TAKEOFF_ALT;
      if (!Number.isFinite(alt) || alt < 1 || alt > p.max_alt_m) return denied(`Takeoff denied: altitude ${alt} m out of range`);
      enterTakeoff(h, i, alt);
      return okVoid;
    }
    case 'land':
      if (!armed) return denied('Land denied: not armed');
      enterLand(h, i);
      return okVoid;
    case 'rtl':
      if (!armed) return denied('RTL denied: not armed');
      if (onGround) return denied('RTL denied: landed');
      if (noGps) return denied('RTL denied: no position estimate');
      h.emit(i, { type: 'statustext', severity: 'info', text: 'Returning to launch' }); // Commander's
      enterRtl(h, i);
      return okVoid;
    case 'hold':
      // PX4 also lets you select Hold disarmed on the ground; nothing moves then.
      if (noGps && !onGround) return denied('Hold denied: no position estimate');
      enterHold(h, i);
      return okVoid;
    case 'goto': {
      if (!armed) return denied('Reposition denied: not armed');
      if (onGround) return denied('Reposition denied: landed, take off first');
      if (noGps) return denied('Reposition denied: no position estimate');
      const { lat_deg, lon_deg, alt_m } = cmd;
      if (![lat_deg, lon_deg, alt_m].every(Number.isFinite) || Math.abs(lat_deg) > 90 || Math.abs(lon_deg) > 180)
        return denied('Reposition denied: invalid position');
      if (alt_m < 1 || alt_m > p.max_alt_m) return denied(`Reposition denied: altitude ${alt_m} m out of range`);
      const l = h.frame.toLocal(lat_deg, lon_deg);
      if (!allowsPosition(s, i, h.fences[i], Math.round(p.GF_ACTION), p.GF_MAX_HOR_DIST, p.GF_MAX_VER_DIST, l.north_m, l.east_m, alt_m)) {
        // PX4: Commander ACCEPTS DO_REPOSITION; the navigator then ignores a target outside the fence.
        h.emit(i, { type: 'statustext', severity: 'critical', text: 'Reposition is outside geofence' });
        return okVoid;
      }
      enterHold(h, i, { n: l.north_m, e: l.east_m, alt: alt_m });
      return okVoid;
    }
    case 'upload_mission': {
      const plan = compileMission(cmd.items, h.frame, p, `vehicle-${i}`);
      if (!plan.ok) return plan;
      h.setMission(i, plan.value);
      s.missionIdx[i] = 0;
      const wasRunning = s.mode[i] === Mode.Mission && !onGround;
      s.missionState[i] = MissionState.Idle;
      // A new mission while flying one restarts from its first item (PX4 resets the current seq).
      if (wasRunning) enterMission(h, i);
      return okVoid;
    }
    case 'start_mission':
      if (!h.missions[i]) return fail('MISSION.NONE_LOADED', 'no mission uploaded');
      if (!armed) return denied('Mission start denied: not armed');
      if (noGps) return denied('Mission start denied: no position estimate');
      enterMission(h, i);
      return okVoid;
    case 'set_mode': {
      const mode = { manual: Mode.Manual, hold: Mode.Hold, takeoff: Mode.Takeoff, mission: Mode.Mission, rtl: Mode.Rtl, land: Mode.Land }[cmd.mode];
      if (!armed) {
        if (mode === Mode.Mission && s.missionState[i] === MissionState.Active) s.missionState[i] = MissionState.Paused;
        setMode(h, i, mode);
        s.phase[i] = 0;
        return okVoid;
      }
      switch (cmd.mode) {
        case 'manual': return denied('Switching to Position is currently not possible: No manual control input');
        case 'hold': return executeCommand(h, i, { kind: 'hold' }, now);
        case 'takeoff': return executeCommand(h, i, { kind: 'takeoff' }, now);
        case 'mission': return executeCommand(h, i, { kind: 'start_mission' }, now);
        case 'rtl': return executeCommand(h, i, { kind: 'rtl' }, now);
        case 'land': return executeCommand(h, i, { kind: 'land' }, now);
      }
      return okVoid;
    }
    case 'clear_mission':
      h.setMission(i, undefined);
      s.missionIdx[i] = 0;
      s.missionState[i] = MissionState.Idle;
      if (s.mode[i] === Mode.Mission) enterHold(h, i);
      return okVoid;
  }
}
