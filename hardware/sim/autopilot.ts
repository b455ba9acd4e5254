/**
 * The simulated PX4-like autopilot: an integer mode and phase per vehicle and a small per-tick
 * switch that turns them into a controller setpoint and discrete events.
 *
 * @remarks
 * Deliberately plain code over the struct-of-arrays store rather than a statechart: this runs
 * for every vehicle on every physics tick. Events are built only on discrete changes.
 * Behaviour follows PX4 where it matters to a twin: auto-disarm after touchdown
 * (COM_DISARM_LAND) and before takeoff (COM_DISARM_PRFLT), datalink-loss action (NAV_DLL_ACT),
 * GPS loss → land, low-battery action (COM_LOW_BAT_ACT).
 *
 * End of mission as PX4 v1.15 does it (`mission_base.cpp`, `mission_block.cpp`, Commander):
 * - A mission's NAV_RETURN_TO_LAUNCH item is not flown by the mission: the navigator issues it
 *   as a command and Commander switches to RTL ("Returning to launch"), so the mode becomes RTL
 *   and the item is never reported reached on the vehicle's side. The mission stays current at
 *   that item. For the port (the twin's side), the item counts as reached, and the mission as
 *   finished, when the vehicle disarms on the ground after it — just before `armed: false`,
 *   which is when the MAVLink adapter can tell.
 * - A LAND item is reached when the vehicle is on the ground: "Mission finished, landed".
 * - A mission ending in the air: "Mission finished, loitering", and Commander switches to Hold.
 * - Disarming returns the mode to PX4's nav_state_after_disarming: the last mode chosen (not a
 *   failsafe's) that does not prevent arming (RTL and Land do), e.g. Mission after a mission's
 *   RTL item.
 */
import type { FlightMode, LandedState, VehicleEvent } from '../vehicle.port.js';
import { Ctl } from './multirotor.model.js';
import { ItemKind, type SimMissionPlan } from './mission-plan.js';
import type { SimParams } from './params.js';
import type { VehicleStore } from './internal/vehicle-store.js';
import { breachBits, breachTexts, GEOFENCE_CHECK_INTERVAL_MS, GfAction, type SimFence } from './geofence.js';

export const Mode = { Manual: 0, Hold: 1, Takeoff: 2, Mission: 3, Rtl: 4, Land: 5 } as const;
export const MODE_NAMES: readonly FlightMode[] = ['manual', 'hold', 'takeoff', 'mission', 'rtl', 'land'];
export const Landed = { Unknown: 0, OnGround: 1, TakingOff: 2, InAir: 3, Landing: 4 } as const;
export const LANDED_NAMES: readonly LandedState[] = ['unknown', 'on_ground', 'taking_off', 'in_air', 'landing'];

/** Phases inside a mode (the `phase` column). RTL phases are shared by RTL mode and rtl items. */
export const Phase = {
  None: 0,
  MissionClimb: 10, MissionFly: 11, MissionHold: 12, MissionLandApproach: 13, MissionLand: 14, MissionDone: 15,
  RtlClimb: 20, RtlReturn: 21, RtlLand: 22, RtlDescend: 23,
} as const;

export const MissionState = { Idle: 0, Active: 1, Paused: 2, Finished: 3 } as const;

/** A port event without the fields the world stamps on (vehicle id and time). */
export type EventBody = VehicleEvent extends infer E ? (E extends unknown ? Omit<E, 'vehicle' | 't_ms'> : never) : never;

/** What the autopilot needs from the world it runs in. */
export interface AutopilotHost {
  readonly s: VehicleStore;
  readonly params: readonly SimParams[];
  readonly missions: readonly (SimMissionPlan | undefined)[];
  /** Uploaded geofences (polygons and circles), local metres. */
  readonly fences: readonly (SimFence | undefined)[];
  /** Altitude of the (flat) ground above mean sea level, m: home's AMSL altitude. */
  readonly groundAlt_m: number;
  emit(i: number, body: EventBody): void;
  /** Capture event position: the vehicle's true position as WGS84. */
  emitCapture(i: number, seq: number): void;
}

const height = (s: VehicleStore, i: number) => -s.pD[i]!;

export function setMode(h: AutopilotHost, i: number, mode: number): void {
  const s = h.s;
  if (mode !== Mode.Rtl && mode !== Mode.Land) s.afterDisarm[i] = mode; // PX4: RTL and Land prevent arming
  if (s.mode[i] === mode) return;
  if (s.mode[i] === Mode.Mission && s.missionState[i] === MissionState.Active) s.missionState[i] = MissionState.Paused;
  if (mode !== Mode.Rtl) s.rtlItem[i] = 0;
  s.mode[i] = mode;
  h.emit(i, { type: 'mode', mode: MODE_NAMES[mode]! });
}

export function setLanded(h: AutopilotHost, i: number, landed: number): void {
  if (h.s.landed[i] === landed) return;
  // Commander's land detector texts (armed only).
  if (h.s.armed[i] === 1 && h.s.landed[i] === Landed.OnGround) h.emit(i, { type: 'statustext', severity: 'info', text: 'Takeoff detected' });
  else if (h.s.armed[i] === 1 && landed === Landed.OnGround) h.emit(i, { type: 'statustext', severity: 'info', text: 'Landing detected' });
  h.s.landed[i] = landed;
  h.emit(i, { type: 'landed', state: LANDED_NAMES[landed]! });
}

export function setArmed(h: AutopilotHost, i: number, armed: boolean, now: number): void {
  const s = h.s;
  if ((s.armed[i] === 1) === armed) return;
  s.armed[i] = armed ? 1 : 0;
  s.groundSince[i] = now;
  s.flown[i] = 0;
  if (!armed && s.rtlItem[i] === 1 && s.landed[i] === Landed.OnGround) {
    // The mission's RTL item, as the twin's side sees it: home, on the ground, disarming.
    s.rtlItem[i] = 0;
    s.missionState[i] = MissionState.Finished;
    h.emit(i, { type: 'mission.reached', seq: s.missionIdx[i]! });
    h.emit(i, { type: 'mission.finished' });
  }
  h.emit(i, { type: 'armed', armed });
  if (!armed) {
    s.ctl[i] = Ctl.Off;
    s.rtlItem[i] = 0;
    setMode(h, i, s.afterDisarm[i]!);
  }
}

function setTarget(h: AutopilotHost, i: number, n: number, e: number, d: number, spd: number, vUp: number): void {
  const s = h.s, p = h.params[i]!;
  s.tgtN[i] = n; s.tgtE[i] = e; s.tgtD[i] = Math.min(0, d);
  s.tgtSpd[i] = spd; s.tgtVUp[i] = vUp; s.tgtVDn[i] = p.MPC_Z_VEL_MAX_DN;
  s.ctl[i] = Ctl.Position;
}

/** Hold (PX4 AUTO.LOITER) at the point where the vehicle can stop, or at (n, e, alt) for goto. */
export function enterHold(h: AutopilotHost, i: number, at?: { n: number; e: number; alt: number }): void {
  const s = h.s, p = h.params[i]!;
  setMode(h, i, Mode.Hold);
  s.phase[i] = Phase.None;
  if (s.landed[i] === Landed.OnGround) { s.ctl[i] = Ctl.Off; return; }
  if (at) { setTarget(h, i, at.n, at.e, -at.alt, p.MPC_XY_CRUISE, p.MPC_Z_VEL_MAX_UP); return; }
  // Stopping point along the current ground velocity: brake rather than turn back.
  const vN = s.vN[i]!, vE = s.vE[i]!, k = Math.sqrt(vN * vN + vE * vE) / (2 * p.MPC_ACC_HOR);
  setTarget(h, i, s.pN[i]! + vN * k, s.pE[i]! + vE * k, s.pD[i]!, p.MPC_XY_CRUISE, p.MPC_Z_VEL_MAX_UP);
  if (s.landed[i] !== Landed.InAir) setLanded(h, i, Landed.InAir);
}

export function enterTakeoff(h: AutopilotHost, i: number, alt: number): void {
  const s = h.s, p = h.params[i]!;
  setMode(h, i, Mode.Takeoff);
  s.phase[i] = Phase.None;
  setTarget(h, i, s.pN[i]!, s.pE[i]!, -alt, p.MPC_XY_CRUISE, p.MPC_TKO_SPEED);
  setLanded(h, i, Landed.TakingOff);
}

export function enterLand(h: AutopilotHost, i: number, mode: number = Mode.Land, phase: number = Phase.None): void {
  const s = h.s, p = h.params[i]!;
  setMode(h, i, mode);
  s.phase[i] = phase;
  if (s.landed[i] === Landed.OnGround) { s.ctl[i] = Ctl.Off; return; }
  s.tgtN[i] = s.pN[i]!; s.tgtE[i] = s.pE[i]!; s.tgtVDn[i] = p.MPC_Z_VEL_MAX_DN;
  s.ctl[i] = Ctl.Land;
  setLanded(h, i, Landed.Landing);
}

/**
 * RTL as PX4's rtl_direct (RTL_TYPE 0): climb to RTL_RETURN_ALT if lower, fly home, descend to
 * RTL_DESCEND_ALT (LOITER_DOWN), then land ("RTL: land at destination").
 */
export function enterRtl(h: AutopilotHost, i: number): void {
  const s = h.s, p = h.params[i]!;
  const alt = Math.max(p.RTL_RETURN_ALT, height(s, i));
  setMode(h, i, Mode.Rtl);
  s.phase[i] = Phase.RtlClimb;
  setTarget(h, i, s.pN[i]!, s.pE[i]!, -alt, p.MPC_XY_CRUISE, p.MPC_Z_VEL_MAX_UP);
  if (s.landed[i] !== Landed.InAir) setLanded(h, i, Landed.InAir);
  // rtl_direct.cpp on activation: the return altitude AMSL and above the destination (home).
  h.emit(i, { type: 'statustext', severity: 'info', text: `RTL: start return at ${Math.ceil(h.groundAlt_m + alt)} m (${Math.ceil(alt)} m above destination)` });
}

/** Starts or resumes the mission at the current item (the caller checked armed and loaded). */
export function enterMission(h: AutopilotHost, i: number): void {
  const s = h.s, p = h.params[i]!, plan = h.missions[i]!;
  if (s.missionState[i] === MissionState.Finished || s.missionIdx[i]! >= plan.kind.length) s.missionIdx[i] = 0;
  // mission_base.cpp: "Executing Mission" when the navigator takes a mission up afresh.
  if (s.missionState[i] !== MissionState.Active && s.missionState[i] !== MissionState.Paused) h.emit(i, { type: 'statustext', severity: 'info', text: 'Executing Mission' });
  setMode(h, i, Mode.Mission);
  s.missionState[i] = MissionState.Active;
  const idx = s.missionIdx[i]!;
  h.emit(i, { type: 'mission.current', seq: idx, total: plan.kind.length });
  if (s.landed[i] === Landed.OnGround) {
    const alt = plan.alt[idx]!;
    const climb = Number.isFinite(alt) && alt >= 1 ? alt : p.MIS_TAKEOFF_ALT;
    h.emit(i, { type: 'statustext', severity: 'info', text: `Climb to ${climb.toFixed(1)} meters above home` }); // mission.cpp
    s.phase[i] = Phase.MissionClimb;
    setTarget(h, i, s.pN[i]!, s.pE[i]!, -climb, p.MPC_XY_CRUISE, p.MPC_TKO_SPEED);
    setLanded(h, i, Landed.TakingOff);
    return;
  }
  beginItem(h, i, idx);
}

function beginItem(h: AutopilotHost, i: number, idx: number): void {
  const s = h.s, p = h.params[i]!, plan = h.missions[i]!;
  switch (plan.kind[idx]) {
    case ItemKind.Waypoint: {
      const item = plan.items[idx]!;
      const spd = item.kind === 'waypoint' && item.speed_mps !== undefined ? item.speed_mps : p.MPC_XY_CRUISE;
      s.phase[i] = Phase.MissionFly;
      setTarget(h, i, plan.north[idx]!, plan.east[idx]!, -plan.alt[idx]!, spd, p.MPC_Z_VEL_MAX_UP);
      break;
    }
    case ItemKind.Takeoff:
      s.phase[i] = Phase.MissionFly;
      setTarget(h, i, s.pN[i]!, s.pE[i]!, Math.min(s.pD[i]!, -plan.alt[idx]!), p.MPC_XY_CRUISE, p.MPC_Z_VEL_MAX_UP);
      break;
    case ItemKind.Land:
      if (Number.isFinite(plan.north[idx]!)) {
        s.phase[i] = Phase.MissionLandApproach;
        setTarget(h, i, plan.north[idx]!, plan.east[idx]!, s.pD[i]!, p.MPC_XY_CRUISE, p.MPC_Z_VEL_MAX_UP);
      } else enterLand(h, i, Mode.Mission, Phase.MissionLand);
      break;
    default: {
      // PX4 hands a NAV_RETURN_TO_LAUNCH item to Commander, which switches to RTL mode.
      h.emit(i, { type: 'statustext', severity: 'info', text: 'Returning to launch' });
      const after = s.afterDisarm[i]!;
      enterRtl(h, i);
      s.afterDisarm[i] = after;
      s.rtlItem[i] = 1;
    }
  }
}

function completeItem(h: AutopilotHost, i: number): void {
  const s = h.s, plan = h.missions[i]!;
  const idx = s.missionIdx[i]!;
  h.emit(i, { type: 'mission.reached', seq: idx });
  const item = plan.items[idx]!;
  if (item.kind === 'waypoint' && item.capture) h.emitCapture(i, idx);
  if (idx + 1 >= plan.kind.length) {
    const landed = s.landed[i] === Landed.OnGround;
    s.missionState[i] = MissionState.Finished;
    s.phase[i] = Phase.MissionDone;
    h.emit(i, { type: 'statustext', severity: 'info', text: landed ? 'Mission finished, landed' : 'Mission finished, loitering' });
    h.emit(i, { type: 'mission.finished' });
    // In the air, Commander switches a finished mission to Hold, loitering at the last setpoint.
    if (!landed) enterHold(h, i, { n: s.tgtN[i]!, e: s.tgtE[i]!, alt: -s.tgtD[i]! });
    return;
  }
  s.missionIdx[i] = idx + 1;
  h.emit(i, { type: 'mission.current', seq: idx + 1, total: plan.kind.length });
  if (s.landed[i] === Landed.OnGround) {
    // Landed by a land item with more items after it: wait on the ground for a new start.
    s.missionState[i] = MissionState.Paused;
    s.phase[i] = Phase.None;
    return;
  }
  beginItem(h, i, idx + 1);
}

function reached3d(s: VehicleStore, i: number, radius: number, altRadius: number): boolean {
  const dN = s.tgtN[i]! - s.pN[i]!, dE = s.tgtE[i]! - s.pE[i]!;
  return dN * dN + dE * dE <= radius * radius && Math.abs(s.tgtD[i]! - s.pD[i]!) <= altRadius;
}

/** Starts the motor-out fall; the crash is resolved on ground contact. */
export function startFalling(h: AutopilotHost, i: number, reason: string, text: string): void {
  const s = h.s;
  if (s.falling[i] === 1) return;
  s.falling[i] = 1;
  s.ctl[i] = Ctl.Fall;
  h.emit(i, { type: 'statustext', severity: 'critical', text });
  h.emit(i, { type: 'failsafe', reason, action: 'manual' });
}

function touchdown(h: AutopilotHost, i: number, now: number): void {
  const s = h.s;
  s.ctl[i] = Ctl.Off;
  s.groundSince[i] = now;
  s.flown[i] = 1;
  setLanded(h, i, Landed.OnGround);
}

/** Failsafe mode switch with its event; `reason` is e.g. 'gps_loss', 'datalink_loss'. */
export function failsafe(h: AutopilotHost, i: number, reason: string, action: number): void {
  h.emit(i, { type: 'failsafe', reason, action: MODE_NAMES[action]! });
  const after = h.s.afterDisarm[i]!; // a failsafe's mode is not the user's choice (PX4)
  if (action === Mode.Hold) enterHold(h, i);
  else if (action === Mode.Rtl) enterRtl(h, i);
  else enterLand(h, i);
  h.s.afterDisarm[i] = after;
}

/**
 * PX4's geofence check (every 200 ms while GF_ACTION ≠ 0) and, on a new breach in the air,
 * Commander's texts and the GF_ACTION failsafe (see geofence.ts).
 */
function geofenceStep(h: AutopilotHost, i: number, now: number): void {
  const s = h.s, p = h.params[i]!;
  s.gfCheckAt[i] = now + GEOFENCE_CHECK_INTERVAL_MS;
  const action = Math.round(p.GF_ACTION);
  if (action === GfAction.None) {
    s.gfBreach[i] = 0;
    return;
  }
  const prev = s.gfBreach[i]!;
  const bits = breachBits(s, i, h.fences[i], p.GF_MAX_HOR_DIST, p.GF_MAX_VER_DIST);
  s.gfBreach[i] = bits;
  const fresh = bits & ~prev;
  if (fresh === 0 || s.armed[i] === 0 || s.landed[i] === Landed.OnGround) return;
  for (const text of breachTexts(bits)) h.emit(i, { type: 'statustext', severity: 'critical', text });
  if (action === GfAction.Terminate) {
    startFalling(h, i, 'geofence', 'Failsafe activated');
    return;
  }
  h.emit(i, { type: 'statustext', severity: 'critical', text: 'Failsafe activated' });
  const target = action === GfAction.Hold ? Mode.Hold : action === GfAction.Rtl ? Mode.Rtl : action === GfAction.Land ? Mode.Land : -1;
  if (target < 0) return; // warning only
  const mode = s.mode[i]!;
  // The failsafe does not step down from a stronger action already under way.
  if (mode === target || mode === Mode.Land || (mode === Mode.Rtl && target === Mode.Hold)) return;
  failsafe(h, i, 'geofence', target);
}

/** One autopilot tick for vehicle `i` at sim time `now` (ms), before the physics step. */
export function autopilotStep(h: AutopilotHost, i: number, now: number): void {
  const s = h.s, p = h.params[i]!;
  if (s.falling[i] === 1) {
    if (s.pD[i]! >= 0) {
      const impact = s.vD[i]!;
      s.falling[i] = 0;
      s.crashed[i] = 1;
      s.vD[i] = 0;
      touchdown(h, i, now);
      setArmed(h, i, false, now);
      h.emit(i, { type: 'statustext', severity: 'critical', text: `Vehicle crashed (impact ${impact.toFixed(1)} m/s)` });
    }
    return;
  }
  if (now >= s.gfCheckAt[i]!) geofenceStep(h, i, now);
  if (s.armed[i] === 0) return;
  const onGround = s.landed[i] === Landed.OnGround;
  // PX4's takeoff state machine (mc_pos_control Takeoff): no climb before COM_SPOOLUP_TIME after
  // arming, then the climb rate ramps up to MPC_TKO_SPEED over MPC_TKO_RAMP_T.
  if (s.landed[i] === Landed.TakingOff) {
    if (Number.isNaN(s.tkoAt[i]!)) s.tkoAt[i] = Math.max(now, s.groundSince[i]! + p.COM_SPOOLUP_TIME * 1000);
    const ramp = p.MPC_TKO_RAMP_T * 1000;
    const f = ramp > 0 ? (now - s.tkoAt[i]!) / ramp : 1;
    s.tgtVUp[i] = f >= 1 ? p.MPC_TKO_SPEED : Math.max(0, f) * p.MPC_TKO_SPEED;
  } else if (!Number.isNaN(s.tkoAt[i]!)) s.tkoAt[i] = Number.NaN;

  // Battery: warnings and the low-battery action, and motors stop when empty.
  const frac = s.batPct[i]! / 100;
  if (frac <= 0) {
    if (onGround) setArmed(h, i, false, now);
    else startFalling(h, i, 'battery_depleted', 'Battery depleted: motors stopped');
    return;
  }
  const level = frac <= p.BAT_EMERGEN_THR ? 3 : frac <= p.BAT_CRIT_THR ? 2 : frac <= p.BAT_LOW_THR ? 1 : 0;
  if (level > s.batLevel[i]!) {
    s.batLevel[i] = level;
    const act = p.COM_LOW_BAT_ACT;
    h.emit(i, { type: 'statustext', severity: level === 1 ? 'warning' : 'critical', text: `Battery ${['', 'low', 'critical', 'emergency'][level]}: ${s.batPct[i]!.toFixed(0)}% remaining` });
    if (!onGround && level === 2 && act === 3 && s.mode[i] !== Mode.Rtl && s.mode[i] !== Mode.Land) failsafe(h, i, 'battery_critical', Mode.Rtl);
    else if (!onGround && level >= 2 && (act === 2 || (act === 3 && level === 3)) && s.mode[i] !== Mode.Land) failsafe(h, i, level === 3 ? 'battery_emergency' : 'battery_critical', Mode.Land);
  }

  // Datalink loss, as the vehicle sees it: silence for COM_DL_LOSS_T, then NAV_DLL_ACT.
  if (s.dllFired[i] === 0 && now - s.linkDownSince[i]! >= p.COM_DL_LOSS_T * 1000 && !onGround && p.NAV_DLL_ACT > 0) {
    const action = p.NAV_DLL_ACT === 1 ? Mode.Hold : p.NAV_DLL_ACT === 2 ? Mode.Rtl : Mode.Land;
    s.dllFired[i] = 1;
    s.dllAction[i] = s.gpsOk[i] === 1 ? action : Mode.Land;
    h.emit(i, { type: 'statustext', severity: 'critical', text: 'Data link lost' });
    failsafe(h, i, 'datalink_loss', s.dllAction[i]!);
  }

  if (onGround) {
    if (s.ctl[i] !== Ctl.Off) return; // a climb was commanded; the landed state flips once airborne
    const delay = s.flown[i] === 1 ? p.COM_DISARM_LAND : p.COM_DISARM_PRFLT;
    if (delay > 0 && now - s.groundSince[i]! >= delay * 1000) {
      h.emit(i, { type: 'statustext', severity: 'info', text: s.flown[i] === 1 ? 'Disarmed by landing' : 'Disarmed by auto preflight disarming' });
      setArmed(h, i, false, now);
    }
    return;
  }

  const landingTouched = s.ctl[i] === Ctl.Land && s.pD[i]! >= 0;
  const accRad = p.NAV_ACC_RAD, altRad = p.NAV_MC_ALT_RAD;
  switch (s.mode[i]) {
    case Mode.Takeoff:
      if (reached3d(s, i, Infinity, altRad)) {
        setLanded(h, i, Landed.InAir);
        enterHold(h, i, { n: s.tgtN[i]!, e: s.tgtE[i]!, alt: -s.tgtD[i]! });
      }
      break;
    case Mode.Land:
      if (landingTouched) touchdown(h, i, now);
      break;
    case Mode.Hold:
      if (s.landed[i] === Landed.TakingOff && reached3d(s, i, Infinity, altRad)) setLanded(h, i, Landed.InAir);
      break;
    case Mode.Rtl:
    case Mode.Mission:
      stepNav(h, i, now, landingTouched, accRad, altRad);
      break;
  }
}

/** RTL phases (in RTL mode or for an rtl item) and mission phases. */
function stepNav(h: AutopilotHost, i: number, now: number, landingTouched: boolean, accRad: number, altRad: number): void {
  const s = h.s, p = h.params[i]!;
  const phase = s.phase[i]!;
  const inMission = s.mode[i] === Mode.Mission;
  switch (phase) {
    case Phase.RtlClimb:
      if (reached3d(s, i, Infinity, altRad)) {
        s.phase[i] = Phase.RtlReturn;
        setTarget(h, i, s.homeN[i]!, s.homeE[i]!, s.tgtD[i]!, p.MPC_XY_CRUISE, p.MPC_Z_VEL_MAX_UP);
      }
      return;
    case Phase.RtlReturn:
      if (reached3d(s, i, accRad, altRad)) {
        if (-s.pD[i]! > p.RTL_DESCEND_ALT + altRad) {
          s.phase[i] = Phase.RtlDescend;
          setTarget(h, i, s.homeN[i]!, s.homeE[i]!, -p.RTL_DESCEND_ALT, p.MPC_XY_CRUISE, p.MPC_Z_VEL_MAX_UP);
          return;
        }
        h.emit(i, { type: 'statustext', severity: 'info', text: 'RTL: land at destination' });
        enterLand(h, i, s.mode[i]!, Phase.RtlLand);
      }
      return;
    case Phase.RtlDescend:
      if (reached3d(s, i, accRad, altRad)) {
        h.emit(i, { type: 'statustext', severity: 'info', text: 'RTL: land at destination' });
        enterLand(h, i, s.mode[i]!, Phase.RtlLand);
      }
      return;
    case Phase.RtlLand:
    case Phase.MissionLand:
      if (landingTouched) {
        touchdown(h, i, now);
        if (inMission) completeItem(h, i);
      }
      return;
    case Phase.MissionClimb:
      if (reached3d(s, i, Infinity, altRad)) {
        setLanded(h, i, Landed.InAir);
        beginItem(h, i, s.missionIdx[i]!);
      }
      return;
    case Phase.MissionFly: {
      const item = h.missions[i]!.items[s.missionIdx[i]!]!;
      const radius = item.kind === 'waypoint' ? item.acceptance_m : Infinity;
      if (!reached3d(s, i, radius, altRad)) return;
      if (item.kind === 'waypoint' && item.hold_s > 0) {
        s.phase[i] = Phase.MissionHold;
        s.phaseT[i] = now;
      } else completeItem(h, i);
      return;
    }
    case Phase.MissionHold: {
      const item = h.missions[i]!.items[s.missionIdx[i]!]!;
      if (item.kind === 'waypoint' && now - s.phaseT[i]! >= item.hold_s * 1000) completeItem(h, i);
      return;
    }
    case Phase.MissionLandApproach:
      if (reached3d(s, i, accRad, Infinity)) enterLand(h, i, Mode.Mission, Phase.MissionLand);
      return;
  }
}
