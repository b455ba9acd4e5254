/**
 * A scripted PX4 v1.15 for adapter tests: the scripted autopilot plus its mission server, with
 * the behaviours of the real thing that issue 8 found (read from PX4 v1.15.4's source):
 * - After an upload's MISSION_ACK (opaque_id = the plan's id), MISSION_CURRENT carries that id
 *   as `mission_id` but `seq = UINT16_MAX` until the navigator has checked the plan
 *   (`checkDelayMs`); meanwhile Commander refuses Mission mode to an armed vehicle with
 *   TEMPORARILY_REJECTED (`mavlink_mission.cpp`, `MissionBase::check_mission_valid`,
 *   `Commander::handle_command` DO_SET_MODE).
 * - MISSION_CURRENT.mission_state is never filled (0).
 * - A new plan uploaded with no `current` row keeps the previous plan's current index, clamped
 *   to the new count (`MissionBase::updateMavlinkMission`); MISSION_SET_CURRENT moves it.
 * - Knobs for a lossy link: ACKs of some commands are dropped while the command takes effect.
 * - Parameters with PX4's types (INT32 bytewise in the float field); a PARAM_SET whose type is
 *   not the parameter's is refused by answering the unchanged value (`mavlink_parameters.cpp`).
 * - MAV_CMD_INJECT_FAILURE: DENIED unless SYS_FAILURE_EN = 1 (`mavlink_receiver.cpp`); then
 *   ACCEPTED for the units a module handles (`failureUnits`), never answered for the others.
 * - Arming checks as Commander's (scripts/px4/FINDINGS.md F1/F2): a report recomputed every
 *   `checksPeriodMs`, read by ARM (TEMPORARILY_REJECTED while it cannot arm) and by SYS_STATUS
 *   (PREARM_CHECK in `health` only, for the CURRENT mode: RTL, Land and Mission without a plan
 *   cannot arm). `gcs_connection_lost` holds until `gcsSeenDelayMs` after our first GCS heartbeat;
 *   with NAV_DLL_ACT > 0 that fails every mode, and armed it is a failsafe to Hold. That check
 *   starting to fail (even disarmed) starts the failsafe delay (COM_FAIL_ACT_T, 5 s): arming
 *   within it is "Failsafe activated: Autopilot disengaged, switching to Hold" (FailsafeBase).
 * - Battery simulator (BatterySimulator.cpp): armed, the level falls by dt / SIM_BAT_DRAIN, floored
 *   at SIM_BAT_MIN_PCT; disarmed it is held at 100 %; battery failure OFF empties it.
 * Wall-clock timers are fine here: this is the world, not the runtime.
 */
import { common, minimal, type MavLinkData } from 'node-mavlink';
import { decodeParamValue, encodeParamValue, MAV_PARAM_TYPE } from '../../hardware/real/mavlink/param-protocol.js';
import { ackCommands, sendReadyTelemetry, startScriptedAutopilot, type ScriptedAutopilot } from './scripted-autopilot.js';
import { serveMissions, type MissionServerKnobs, type ScriptedMissionServer } from './scripted-mission-server.js';

export const PX4 = { AUTO: 4, LOITER: 3, MISSION: 4, RTL: 5, LAND: 6, TAKEOFF: 2, POSCTL: 3 } as const;
export const MAV_RESULT_TEMPORARILY_REJECTED = 1;
const SAFETY_ARMED = 128;
const CUSTOM_MODE_ENABLED = 1;
const LANDED = { ON_GROUND: 1, IN_AIR: 2 } as const;

export interface ScriptedPx4Knobs {
  /** Refuse ARM with TEMPORARILY_REJECTED this many times first (a check settling). */
  armRejections: number;
  /** How long the navigator takes to check a new plan, ms (0 = at once). */
  checkDelayMs: number;
  /** Send MISSION_CURRENT.mission_id (PX4 ≥ 1.14 does; older vehicles send 0). */
  sendMissionId: boolean;
  /** Refuse every Mission mode request (an infeasible plan). */
  rejectMission: boolean;
  /** Commands whose ACK is lost (the command still takes effect). */
  dropAckFor: Set<number>;
  /** Commands that are lost entirely (neither executed nor answered). */
  loseCommand: Set<number>;
  /** FAILURE_UNITs a module answers (SITL SIH: motor 101 in commander, battery 100 in battery_simulator). */
  failureUnits: Set<number>;
  /** Parameters whose PARAM_SET the vehicle answers with the unchanged value. */
  frozenParams: Set<string>;
  /** Answer every MAV_CMD_INJECT_FAILURE with this MAV_RESULT (a vehicle refusing). */
  injectResult?: number;
  /** An arming check failing in every mode (EKF not converged…); its STATUSTEXT is sent every second. */
  checksFailing: string | undefined;
  /** How long after our first GCS heartbeat PX4 counts the GCS as connected, ms. */
  gcsSeenDelayMs: number;
  /** Commander's arming-check report period, ms. */
  checksPeriodMs: number;
  /** PX4_SIM_SPEED_FACTOR of the battery simulator (its drain runs on autopilot time). */
  simSpeed: number;
  /** What PX4's estimator adds to the simulator's battery level while armed (load-drop compensation), points. */
  batteryOffsetPct: number;
  /**
   * SYS_STATUS's pre-arm bit leaves the GCS check out (as seen on a CPU-starved PX4 v1.15.4 at 4×,
   * scripts/px4/FINDINGS.md F2b: the bit stayed set while PX4 said "No connection to the ground
   * control station" and ARM was taken into the failsafe delay).
   */
  prearmIgnoresGcs: boolean;
  /** Send the vehicle's clock (time_boot_ms, at `simSpeed` × wall) in GLOBAL_POSITION_INT. */
  sendTimeBoot: boolean;
}

export interface ScriptedPx4 {
  readonly ap: ScriptedAutopilot;
  readonly srv: ScriptedMissionServer;
  readonly knobs: ScriptedPx4Knobs;
  /** The vehicle's state, reflected in HEARTBEAT and MISSION_CURRENT. */
  readonly state: { armed: boolean; main: number; sub: number; landed: number; checked: boolean; currentSeq: number };
  /** Every DO_SET_MODE received, with when and what it was answered. */
  readonly modeRequests: { at: number; main: number; sub: number; result: number | undefined }[];
  /** The mode the vehicle was in each time it armed. */
  readonly armedIn: { main: number; sub: number }[];
  /** The current item each time Mission mode was entered. */
  readonly missionStarts: number[];
  /** Parameters, PX4 types. */
  readonly params: Map<string, { value: number; type: number }>;
  /** Every PARAM_SET received: name, the type it was sent as, and whether it was taken. */
  readonly paramSets: { name: string; type: number; value: number; taken: boolean }[];
  /** Every ARM request: when, and whether the vehicle's checks let it arm. */
  readonly armAttempts: { at: number; result: number }[];
  /** Failsafes taken (F2: armed with NAV_DLL_ACT > 0 and no GCS seen → Hold). */
  readonly failsafes: string[];
  /** The battery simulator's level, % (float). */
  readonly battery: { level: number; empty: boolean };
  /** Every MAV_CMD_INJECT_FAILURE received (unit, type, instance) and its answer. */
  readonly injections: { unit: number; type: number; instance: number; result: number | undefined }[];
  setMode(main: number, sub: number): void;
  setArmed(armed: boolean): void;
  setLanded(onGround: boolean): void;
  /** Moves the mission's current item (MISSION_CURRENT) now. */
  setCurrent(seq: number): void;
  reached(seq: number): void;
  close(): Promise<void>;
}

export async function startScriptedPx4(opts: { knobs?: Partial<ScriptedPx4Knobs>; missions?: MissionServerKnobs } = {}): Promise<ScriptedPx4> {
  const ap = await startScriptedAutopilot();
  const knobs: ScriptedPx4Knobs = {
    checkDelayMs: 0, sendMissionId: true, rejectMission: false, dropAckFor: new Set(), loseCommand: new Set(), failureUnits: new Set([100, 101]), frozenParams: new Set(), armRejections: 0,
    checksFailing: undefined, gcsSeenDelayMs: 0, checksPeriodMs: 100, batteryOffsetPct: 0, simSpeed: 1, prearmIgnoresGcs: false, sendTimeBoot: false, ...opts.knobs,
  };
  const I = MAV_PARAM_TYPE.INT32, F = MAV_PARAM_TYPE.REAL32;
  const params = new Map<string, { value: number; type: number }>([
    ['SYS_FAILURE_EN', { value: 0, type: I }], ['COM_DL_LOSS_T', { value: 10, type: I }], ['NAV_DLL_ACT', { value: 0, type: I }],
    ['GF_MAX_VER_DIST', { value: 0, type: F }], ['GF_ACTION', { value: 2, type: I }], ['MPC_XY_CRUISE', { value: 5, type: F }],
    ['SIM_BAT_MIN_PCT', { value: 50, type: F }], ['SIM_BAT_DRAIN', { value: 60, type: F }], ['COM_FAIL_ACT_T', { value: 5, type: F }],
  ]);
  const armAttempts: ScriptedPx4['armAttempts'] = [];
  const failsafes: string[] = [];
  const battery = { level: 100, empty: false };
  const paramSets: ScriptedPx4['paramSets'] = [];
  const injections: ScriptedPx4['injections'] = [];
  const state = { armed: false, main: PX4.AUTO as number, sub: PX4.LOITER as number, landed: LANDED.ON_GROUND as number, checked: true, currentSeq: 0 };
  const modeRequests: ScriptedPx4['modeRequests'] = [];
  const missionStarts: number[] = [];
  const armedIn: { main: number; sub: number }[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  const heartbeatState = () => {
    ap.state.baseMode = CUSTOM_MODE_ENABLED | (state.armed ? SAFETY_ARMED : 0);
    ap.state.customMode = ((state.main & 0xff) << 16) | ((state.sub & 0xff) << 24);
  };
  heartbeatState();

  const srv = serveMissions(ap, opts.missions);
  let checkGeneration = 0;
  let lastNavigatorSeq = 0;
  srv.onCommit = (items) => {
    // PX4 resets the current seq to the transfer's (-1 → UINT16_MAX on the wire) and re-checks;
    // the navigator then carries the previous index over, clamped to the new plan.
    const carried = Math.max(0, Math.min(lastNavigatorSeq, items.length - 1));
    state.checked = false;
    state.currentSeq = -1;
    const gen = ++checkGeneration;
    later(knobs.checkDelayMs, () => {
      if (gen !== checkGeneration) return;
      state.checked = true;
      state.currentSeq = carried;
      lastNavigatorSeq = carried;
      sendCurrent();
    });
  };
  ap.onMessage((m) => {
    if (!(m instanceof common.MissionSetCurrent)) return;
    if (m.seq >= srv.committed.length) return;
    state.currentSeq = m.seq;
    lastNavigatorSeq = m.seq;
    sendCurrent();
  });
  const sendCurrent = () => {
    const count = srv.committed.length;
    ap.send(Object.assign(new common.MissionCurrent(), {
      seq: state.currentSeq < 0 ? 0xffff : state.currentSeq, total: count > 0 ? count : 0xffff,
      missionState: 0, missionMode: 0, missionId: knobs.sendMissionId ? srv.opaqueId : 0, fenceId: 0, rallyPointsId: 0,
    }));
  };
  const sendExtState = () => ap.send(Object.assign(new common.ExtendedSysState(), { vtolState: 0, landedState: state.landed }));

  ackCommands(ap, (cmd, m: MavLinkData) => {
    if (knobs.loseCommand.has(cmd)) return undefined;
    const c = m as common.CommandLong;
    let result = 0;
    if (cmd === 400) {
      if (Math.round(c._param1) === 1 && !state.armed && !report.canArm) {
        armAttempts.push({ at: Date.now(), result: MAV_RESULT_TEMPORARILY_REJECTED });
        return MAV_RESULT_TEMPORARILY_REJECTED;
      }
      if (Math.round(c._param1) === 1 && knobs.armRejections > 0) {
        knobs.armRejections--;
        return MAV_RESULT_TEMPORARILY_REJECTED;
      }
      if (Math.round(c._param1) === 1 && !state.armed) {
        armAttempts.push({ at: Date.now(), result: 0 });
        if (Date.now() < failsafeDelayUntil) failsafes.push('Failsafe activated: Autopilot disengaged, switching to Hold');
      }
      state.armed = Math.round(c._param1) === 1;
      if (state.armed) armedIn.push({ main: state.main, sub: state.sub });
      heartbeatState();
    } else if (cmd === 420) {
      const unit = Math.round(c._param1), type = Math.round(c._param2), instance = Math.round(c._param3);
      const r = params.get('SYS_FAILURE_EN')!.value !== 1 ? 2 /* DENIED */ : knobs.injectResult ?? (knobs.failureUnits.has(unit) ? 0 : undefined);
      injections.push({ unit, type, instance, result: r });
      if (r === 0 && unit === 100) battery.empty = type === 1;
      return r;
    } else if (cmd === 176) {
      const main = Math.round(c._param2), sub = Math.round(c._param3);
      const toMission = main === PX4.AUTO && sub === PX4.MISSION;
      if (toMission && state.armed && (!state.checked || knobs.rejectMission)) result = MAV_RESULT_TEMPORARILY_REJECTED;
      else {
        if (toMission) missionStarts.push(state.currentSeq);
        state.main = main;
        state.sub = sub;
        heartbeatState();
      }
      modeRequests.push({ at: Date.now(), main, sub, result: knobs.dropAckFor.has(cmd) ? undefined : result });
    }
    return knobs.dropAckFor.has(cmd) ? undefined : result;
  });

  const scratch = new DataView(new ArrayBuffer(4));
  const sendParam = (name: string, index = -1) => {
    const p = params.get(name)!;
    const names = [...params.keys()];
    ap.send(Object.assign(new common.ParamValue(), {
      paramId: name, paramValue: encodeParamValue(p.value, p.type, 'px4'), paramType: p.type,
      paramCount: names.length, paramIndex: index >= 0 ? index : names.indexOf(name),
    }));
  };
  ap.onMessage((m) => {
    if (m instanceof common.ParamRequestRead) {
      const name = m.paramIndex >= 0 ? [...params.keys()][m.paramIndex] : String(m.paramId).replace(/\0.*$/s, '');
      if (name && params.has(name)) sendParam(name);
    } else if (m instanceof common.ParamSet) {
      const name = String(m.paramId).replace(/\0.*$/s, '');
      const p = params.get(name);
      if (!p) return; // PX4: unknown parameter, no answer
      scratch.setFloat32(0, m.paramValue, true);
      const value = decodeParamValue(scratch.getUint32(0, true), m.paramType, 'px4');
      const taken = m.paramType === p.type && !knobs.frozenParams.has(name);
      paramSets.push({ name, type: m.paramType, value, taken });
      if (taken) p.value = value;
      sendParam(name);
    }
  });

  // Commander's arming checks (HealthAndArmingChecks): a report recomputed periodically.
  let firstGcsAt: number | undefined;
  ap.onMessage((m) => {
    if (m instanceof minimal.Heartbeat && m.type === 6 /* MAV_TYPE_GCS */) firstGcsAt ??= Date.now();
  });
  const gcsLost = () => firstGcsAt === undefined || Date.now() - firstGcsAt < knobs.gcsSeenDelayMs;
  const modeCanArm = () => !(state.main === PX4.AUTO && (state.sub === PX4.RTL || state.sub === PX4.LAND || (state.sub === PX4.MISSION && srv.committed.length === 0)));
  const computeCanArm = () => knobs.checksFailing === undefined && !(params.get('NAV_DLL_ACT')!.value > 0 && gcsLost()) && modeCanArm();
  const computePrearm = () => knobs.checksFailing === undefined && modeCanArm();
  const report = { canArm: computeCanArm(), prearm: computePrearm() };
  let dlFailing = false;
  let failsafeDelayUntil = 0;
  const checks = setInterval(() => {
    report.canArm = computeCanArm();
    report.prearm = knobs.prearmIgnoresGcs ? computePrearm() : report.canArm;
    const failing = params.get('NAV_DLL_ACT')!.value > 0 && gcsLost();
    if (failing && !dlFailing) failsafeDelayUntil = Date.now() + params.get('COM_FAIL_ACT_T')!.value * 1000;
    dlFailing = failing;
  }, knobs.checksPeriodMs);
  const complaints = setInterval(() => {
    const text = knobs.checksFailing ?? (params.get('NAV_DLL_ACT')!.value > 0 && gcsLost() ? 'Preflight Fail: No connection to the ground control station' : undefined);
    if (text && !state.armed) ap.send(Object.assign(new common.StatusText(), { severity: 4, text, id: 0, chunkSeq: 0 }));
  }, 1000);

  // Telemetry to whoever the GCS is (the autopilot answers to the last peer heard).
  let lastTick = Date.now();
  const bootAt = Date.now();
  const ticker = setInterval(() => {
    const now = Date.now();
    // BatterySimulator::Run: drain while armed, 100 % while disarmed, floored at SIM_BAT_MIN_PCT.
    if (state.armed) battery.level -= (((now - lastTick) * knobs.simSpeed) / 1000 / Math.max(1, params.get('SIM_BAT_DRAIN')?.value ?? 60)) * 100;
    else battery.level = 100;
    battery.level = Math.max(battery.level, params.get('SIM_BAT_MIN_PCT')?.value ?? 50);
    lastTick = now;
    if (state.armed && params.get('NAV_DLL_ACT')!.value > 0 && gcsLost() && !(state.main === PX4.AUTO && state.sub === PX4.LOITER)) {
      failsafes.push('no connection to the ground control station → Hold');
      state.main = PX4.AUTO;
      state.sub = PX4.LOITER;
      heartbeatState();
    }
    sendCurrent();
    sendExtState();
    sendReadyTelemetry(ap, undefined, { prearm: report.prearm, ...(knobs.sendTimeBoot ? { timeBootMs: 1 + (now - bootAt) * knobs.simSpeed } : {}), batteryPct: battery.empty ? 0 : Math.min(100, battery.level + (state.armed ? knobs.batteryOffsetPct : 0)) });
  }, 50);

  return {
    ap, srv, knobs, state, modeRequests, missionStarts, armedIn, params, paramSets, injections, armAttempts, failsafes, battery,
    setMode(main, sub) {
      state.main = main;
      state.sub = sub;
      heartbeatState();
    },
    setArmed(armed) {
      state.armed = armed;
      heartbeatState();
    },
    setLanded(onGround) {
      state.landed = onGround ? LANDED.ON_GROUND : LANDED.IN_AIR;
      sendExtState();
    },
    setCurrent(seq) {
      state.currentSeq = seq;
      lastNavigatorSeq = seq;
      sendCurrent();
    },
    reached(seq) {
      ap.send(Object.assign(new common.MissionItemReached(), { seq }));
    },
    async close() {
      clearInterval(ticker);
      clearInterval(checks);
      clearInterval(complaints);
      for (const t of timers) clearTimeout(t);
      await ap.close();
    },
  };
}
