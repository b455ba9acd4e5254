/**
 * Faults on a real vehicle: PX4's failure injection (MAV_CMD_INJECT_FAILURE, 420) where PX4
 * has it, and link loss by silencing our own side of the link.
 *
 * @remarks
 * PX4 v1.15.4:
 * - `mavlink_receiver.cpp` forwards MAV_CMD_INJECT_FAILURE only when SYS_FAILURE_EN = 1 (else
 *   it answers DENIED); it sends no ACK itself: the module that handles the failure unit does.
 *   Handlers: commander's FailureInjector (FAILURE_UNIT_SYSTEM_MOTOR, OFF/OK/WRONG per motor,
 *   instance 0 = all), battery_simulator (SYSTEM_BATTERY: OFF empties the battery, OK restores),
 *   simulator_mavlink (SENSOR_GPS/ACCEL/GYRO/MAG/BARO/AIRSPEED/VIO, Gazebo Classic only). A
 *   unit no running module handles is never answered: the command times out, and we say so.
 * - So SYS_FAILURE_EN is set to 1 first (once per connection) when it is not.
 * - `link_loss` is a two-way outage for its duration, as in the simulator: every frame we send
 *   stops (our HEARTBEAT included, so the vehicle's COM_DL_LOSS_T / NAV_DLL_ACT failsafe runs)
 *   and the vehicle's frames are dropped on arrival (so the twin's own link-lost judgement runs);
 *   commands sent meanwhile time out. `link_restore` or the end of the duration lifts it.
 * - Timed GPS losses send FAILURE_TYPE_OK at the end of their duration.
 * - `battery_drop { pct }` (scripts/px4/FINDINGS.md F3): PX4's battery failure (FAILURE_TYPE_OFF) forces the
 *   cell voltage to empty — "battery empty", not a drop of N points. On a PX4 SITL the drop is
 *   emulated with its battery simulator's own parameters (BatterySimulator.cpp, v1.15.4: every
 *   cycle, armed, the level falls by dt / SIM_BAT_DRAIN and is floored at SIM_BAT_MIN_PCT; both
 *   are re-read on any parameter update; disarmed, the pack is held at 100 %): SIM_BAT_DRAIN =
 *   1 s and SIM_BAT_MIN_PCT = reported − N, then the floor corrected (≤ 3 times, 3 s apart) by
 *   how far the reported level is from the goal — PX4's estimator reports the simulator's level
 *   plus a load-drop compensation (throttle × BAT1_V_LOAD_DROP, ~+20 points hovering on SIH),
 *   clamped at 100 % — then SIM_BAT_DRAIN back and SIM_BAT_MIN_PCT back, or left at the new
 *   floor when it was higher, since a higher floor would lift the level again. Asked for while
 *   disarmed (the simulator holds the pack at 100 % then), the drop waits up to 30 s of vehicle
 *   time for arming — PX4 arms seconds after the simulator would, having waited for its own
 *   checks — and is refused if it does not come. A vehicle without SIM_BAT_MIN_PCT (real
 *   hardware) cannot take a partial drop: refused with that reason, unless the drop empties the
 *   battery anyway (then PX4's battery failure is injected).
 * Durations are in the adapter's clock (the scenario's time).
 */
import type { Logger } from '../../../core/logger.js';
import { fail, ok } from '../../../core/result.js';
import type { FaultReport, VehicleErrorCode, VehicleFault, VehicleResult } from '../../vehicle.port.js';
import type { CommandProtocol } from './command-protocol.js';
import type { ParamErrorCode, ParamProtocol } from './param-protocol.js';
import type { MavSession } from './session.js';
import { waitUntil } from './state-wait.js';

export const MAV_CMD_INJECT_FAILURE = 420;

/** FAILURE_UNIT. */
export const FAILURE_UNIT = {
  SENSOR_GYRO: 0, SENSOR_ACCEL: 1, SENSOR_MAG: 2, SENSOR_BARO: 3, SENSOR_GPS: 4, SENSOR_OPTICAL_FLOW: 5,
  SENSOR_VIO: 6, SENSOR_DISTANCE_SENSOR: 7, SENSOR_AIRSPEED: 8,
  SYSTEM_BATTERY: 100, SYSTEM_MOTOR: 101, SYSTEM_SERVO: 102, SYSTEM_AVOIDANCE: 103, SYSTEM_RC_SIGNAL: 104, SYSTEM_MAVLINK_SIGNAL: 105,
} as const;

/** FAILURE_TYPE. */
export const FAILURE_TYPE = { OK: 0, OFF: 1, STUCK: 2, GARBAGE: 3, WRONG: 4, SLOW: 5, DELAYED: 6, INTERMITTENT: 7 } as const;

const UNIT_NAME: Record<number, string> = Object.fromEntries(Object.entries(FAILURE_UNIT).map(([k, v]) => [v, `FAILURE_UNIT_${k}`]));

/** Scenario sensor names → FAILURE_UNIT. */
const SENSOR_UNIT: Readonly<Record<string, number>> = {
  gyro: FAILURE_UNIT.SENSOR_GYRO, gyroscope: FAILURE_UNIT.SENSOR_GYRO,
  accel: FAILURE_UNIT.SENSOR_ACCEL, accelerometer: FAILURE_UNIT.SENSOR_ACCEL,
  mag: FAILURE_UNIT.SENSOR_MAG, magnetometer: FAILURE_UNIT.SENSOR_MAG, compass: FAILURE_UNIT.SENSOR_MAG,
  baro: FAILURE_UNIT.SENSOR_BARO, barometer: FAILURE_UNIT.SENSOR_BARO,
  gps: FAILURE_UNIT.SENSOR_GPS,
  optical_flow: FAILURE_UNIT.SENSOR_OPTICAL_FLOW, flow: FAILURE_UNIT.SENSOR_OPTICAL_FLOW,
  vio: FAILURE_UNIT.SENSOR_VIO,
  distance_sensor: FAILURE_UNIT.SENSOR_DISTANCE_SENSOR, rangefinder: FAILURE_UNIT.SENSOR_DISTANCE_SENSOR,
  airspeed: FAILURE_UNIT.SENSOR_AIRSPEED,
};

/** One MAV_CMD_INJECT_FAILURE. */
export interface FailureCommand {
  readonly unit: number;
  readonly type: number;
  /** 0 = all instances. */
  readonly instance: number;
  /** How this differs from the simulator's fault of the same kind. */
  readonly note?: string;
}

export type FaultPlan =
  | { readonly how: 'inject'; readonly command: FailureCommand; readonly restoreAfter_s?: number }
  | { readonly how: 'link'; readonly silence: boolean; readonly duration_s?: number }
  | { readonly how: 'unsupported'; readonly why: string };

/** What a fault becomes on a PX4 vehicle (pure). */
export function px4FaultPlan(fault: VehicleFault): FaultPlan {
  switch (fault.kind) {
    case 'link_loss':
      return { how: 'link', silence: true, ...(fault.duration_s !== undefined ? { duration_s: fault.duration_s } : {}) };
    case 'link_restore':
      return { how: 'link', silence: false };
    case 'gps_loss':
      return { how: 'inject', command: { unit: FAILURE_UNIT.SENSOR_GPS, type: FAILURE_TYPE.OFF, instance: 0 }, ...(fault.duration_s !== undefined ? { restoreAfter_s: fault.duration_s } : {}) };
    case 'gps_restore':
      return { how: 'inject', command: { unit: FAILURE_UNIT.SENSOR_GPS, type: FAILURE_TYPE.OK, instance: 0 } };
    case 'battery_drop':
      return { how: 'inject', command: { unit: FAILURE_UNIT.SYSTEM_BATTERY, type: FAILURE_TYPE.OFF, instance: 0, note: `PX4's battery failure empties the battery (FAILURE_TYPE_OFF); a drop of ${fault.pct} points is emulated through SIM_BAT_MIN_PCT where the vehicle has it (Px4FaultInjector)` } };
    case 'motor_failure':
      return { how: 'inject', command: { unit: FAILURE_UNIT.SYSTEM_MOTOR, type: FAILURE_TYPE.OFF, instance: 0, note: 'all motors off (instance 0), as the simulator loses propulsion' } };
    case 'wind_gust':
      return { how: 'unsupported', why: 'wind cannot be injected into a real vehicle (PX4 has no failure unit for it)' };
    case 'sensor_failure': {
      const unit = SENSOR_UNIT[fault.sensor.toLowerCase()];
      if (unit === undefined) return { how: 'unsupported', why: `no PX4 failure unit for sensor "${fault.sensor}" (known: ${Object.keys(SENSOR_UNIT).join(', ')})` };
      return { how: 'inject', command: { unit, type: FAILURE_TYPE.OFF, instance: 0 } };
    }
  }
}

export interface FaultInjectorDeps {
  readonly session: MavSession;
  readonly commands: CommandProtocol;
  readonly params: ParamProtocol;
  /** Silences (true) or restores (false) everything we send to the vehicle. */
  readonly silence: (on: boolean) => void;
  /** The battery level the vehicle reports, % (undefined before telemetry). */
  readonly battery?: () => number | undefined;
  /** Whether the vehicle is armed (undefined before its heartbeat). */
  readonly armed?: () => boolean | undefined;
  readonly logger?: Logger;
}

/** A parameter error as the port's code: a missing parameter is unsupported, a refused one denied. */
function vehicleCode(code: ParamErrorCode): VehicleErrorCode {
  return code === 'PARAM.NOT_FOUND' ? 'VEHICLE.UNSUPPORTED' : code === 'PARAM.NOT_SET' ? 'VEHICLE.COMMAND_DENIED' : code;
}

/** SIM_BAT_DRAIN while emulating a drop: 1 s per 100 % (the parameter's minimum). */
const FAST_DRAIN_S = 1;
/** Settling time after each SIM_BAT_MIN_PCT step, ms of autopilot time (PX4's voltage filter: 1 s time constant). */
const SETTLE_MS = 3000;
/** SIM_BAT_MIN_PCT steps at most (the first, then corrections for PX4's estimator offset). */
const DROP_STEPS = 4;
/** How long a drop asked for while disarmed waits for the vehicle to arm, ms of autopilot time. */
const ARM_WAIT_MS = 30_000;
/** After arming, the simulator's level leaves its disarmed 100 % and PX4's estimate follows, ms of autopilot time. */
const ARMED_SETTLE_MS = 1500;

export class Px4FaultInjector {
  private enabled = false;
  private timers = new Set<() => void>();
  private linkTimer: (() => void) | undefined;
  private batteryChain: Promise<unknown> = Promise.resolve();

  constructor(private readonly d: FaultInjectorDeps) {}

  async inject(fault: VehicleFault, signal?: AbortSignal): Promise<VehicleResult<FaultReport>> {
    if (fault.kind === 'battery_drop') {
      // One drop at a time: a second would read the first one's parameters as the originals.
      const run = this.batteryChain.then(() => this.batteryDrop(fault.pct, signal));
      this.batteryChain = run.then(() => undefined, () => undefined);
      return run;
    }
    const plan = px4FaultPlan(fault);
    const kind = fault.kind;
    switch (plan.how) {
      case 'unsupported':
        return fail('VEHICLE.UNSUPPORTED', `${kind}: ${plan.why}`, { context: { kind } });
      case 'link': {
        this.linkTimer?.();
        this.linkTimer = undefined;
        this.d.silence(plan.silence);
        if (plan.silence && plan.duration_s !== undefined) {
          const cancel = this.d.session.after(plan.duration_s * 1000, () => {
            this.timers.delete(cancel);
            this.linkTimer = undefined;
            this.d.silence(false);
          });
          this.timers.add(cancel);
          this.linkTimer = cancel;
        }
        return ok({ kind, result: plan.silence ? 'LINK_SILENCED' : 'LINK_RESTORED', note: 'two-way outage: our transmissions stop (heartbeat, commands) and the vehicle\'s are dropped on arrival' });
      }
      case 'inject': {
        const r = await this.send(plan.command, signal);
        if (!r.ok) return fail(r.error.code, `${kind}: ${r.error.message}`, { context: { ...r.error.context, kind } });
        if (plan.restoreAfter_s !== undefined) {
          const cancel = this.d.session.after(plan.restoreAfter_s * 1000, () => {
            this.timers.delete(cancel);
            void this.send({ ...plan.command, type: FAILURE_TYPE.OK });
          });
          this.timers.add(cancel);
        }
        return ok({ kind, result: 'ACCEPTED', ...(plan.command.note ? { note: plan.command.note } : {}) });
      }
    }
  }

  /**
   * A drop of `pct` points through the SITL battery simulator's parameters (see the file's
   * remarks); on a vehicle without them, PX4's battery failure only when it empties the pack.
   */
  private async batteryDrop(pct: number, signal?: AbortSignal): Promise<VehicleResult<FaultReport>> {
    const kind = 'battery_drop' as const;
    const { params, session } = this.d;
    const minParam = await params.read('SIM_BAT_MIN_PCT', signal);
    if (!minParam.ok) {
      if (minParam.error.code !== 'PARAM.NOT_FOUND') return fail(vehicleCode(minParam.error.code), `battery_drop: reading SIM_BAT_MIN_PCT: ${minParam.error.message}`, { context: { kind } });
      const level = this.d.battery?.();
      const note = `a drop of ${pct} points cannot be injected into this vehicle: it has no SIM_BAT_MIN_PCT (no PX4 SITL battery simulator), and PX4's battery failure injection (FAILURE_UNIT_SYSTEM_BATTERY) means "battery empty"`;
      if (level === undefined || pct < level) return fail('VEHICLE.UNSUPPORTED', `battery_drop: ${note}`, { context: { kind, note } });
      const r = await this.send({ unit: FAILURE_UNIT.SYSTEM_BATTERY, type: FAILURE_TYPE.OFF, instance: 0 }, signal);
      if (!r.ok) return fail(r.error.code, `battery_drop: ${r.error.message}`, { context: { ...r.error.context, kind, note } });
      return ok({ kind, result: 'ACCEPTED', note: `the drop of ${pct} points from ${level} % empties the battery: PX4's battery failure (battery empty) injected` });
    }
    // Disarmed, the battery simulator holds the pack at 100 %: the drop waits for arming (a real
    // PX4 arms seconds after the simulator would, having waited for its own checks).
    const wasArmed = this.d.armed?.() === true;
    if (!wasArmed && !(await waitUntil(session, () => this.d.armed?.() === true, session.ms(ARM_WAIT_MS), signal)))
      return fail('VEHICLE.COMMAND_DENIED', `battery_drop: PX4's battery simulator holds a disarmed vehicle's pack at 100 % (BatterySimulator: reset while disarmed); a drop only holds in flight, and the vehicle did not arm within ${ARM_WAIT_MS / 1000} s`, { context: { kind } });
    if (!wasArmed) await waitUntil(session, () => signal?.aborted === true, session.ms(ARMED_SETTLE_MS), signal);
    const level = this.d.battery?.();
    if (level === undefined) return fail('VEHICLE.NOT_READY', 'battery_drop: the vehicle has not reported its battery level yet', { context: { kind } });
    const drainParam = await params.read('SIM_BAT_DRAIN', signal);
    if (!drainParam.ok) return fail(vehicleCode(drainParam.error.code), `battery_drop: reading SIM_BAT_DRAIN: ${drainParam.error.message}`, { context: { kind } });
    const minWas = minParam.value.value, drainWas = drainParam.value.value;
    // The level PX4 reports is not the simulator's: its estimator adds a load-drop compensation
    // (throttle × BAT1_V_LOAD_DROP) the simulated voltage never had (+20 points hovering on SIH)
    // and clamps at 100 %. So the floor is set, the reported level read once it has settled, and
    // the floor moved by the remaining error (the floor lifts the level too), a few times.
    const goal = Math.max(0, level - pct);
    let floor = goal;
    let now: number | undefined = level;
    let steps = 0;
    let failed: VehicleResult<FaultReport> | undefined;
    for (; steps < DROP_STEPS; steps++) {
      const setMin = await params.set('SIM_BAT_MIN_PCT', floor, minParam.value.type, signal);
      if (!setMin.ok) {
        failed = fail(vehicleCode(setMin.error.code), `battery_drop: setting SIM_BAT_MIN_PCT = ${floor}: ${setMin.error.message}`, { context: { kind } });
        break;
      }
      if (steps === 0) {
        const setDrain = await params.set('SIM_BAT_DRAIN', FAST_DRAIN_S, drainParam.value.type, signal);
        if (!setDrain.ok) {
          failed = fail(vehicleCode(setDrain.error.code), `battery_drop: setting SIM_BAT_DRAIN = ${FAST_DRAIN_S}: ${setDrain.error.message}`, { context: { kind } });
          break;
        }
      }
      // Drain time (100 % per FAST_DRAIN_S) + PX4's voltage filter (1 s time constant) settling.
      const settle = (steps === 0 ? (pct / 100) * FAST_DRAIN_S * 1000 : 0) + SETTLE_MS;
      await waitUntil(session, () => signal?.aborted === true, session.ms(settle), signal);
      if (signal?.aborted) break;
      now = this.d.battery?.();
      if (now === undefined) break;
      const error = now - goal;
      if (Math.abs(error) <= 1) break;
      floor = Math.min(100, Math.max(0, Math.round((floor - error) * 10) / 10));
    }
    // Restore whatever happened (no abort signal: the vehicle must not keep draining fast).
    const minAfter = Math.min(minWas, floor);
    const restoredDrain = await params.set('SIM_BAT_DRAIN', drainWas, drainParam.value.type);
    const restoredMin = await params.set('SIM_BAT_MIN_PCT', minAfter, minParam.value.type);
    const restoreNote = `SIM_BAT_DRAIN ${restoredDrain.ok ? `back to ${drainWas} s` : `NOT restored (${restoredDrain.error.message})`}, SIM_BAT_MIN_PCT ${!restoredMin.ok ? `NOT restored (${restoredMin.error.message})` : minAfter === minWas ? `back to ${minWas} %` : `left at ${minAfter} % (it was ${minWas} %: a higher floor would lift the level again)`}`;
    this.d.logger?.info({ pct, from: level, goal, floor, now, steps, restoreNote }, 'px4-faults: battery drop emulated through the battery simulator');
    if (failed && !failed.ok) return fail(failed.error.code, `${failed.error.message}; ${restoreNote}`, { context: failed.error.context });
    if (signal?.aborted) return fail('VEHICLE.TIMEOUT', `battery_drop: aborted by caller; ${restoreNote}`, { context: { kind, aborted: true } });
    if (now === undefined || Math.abs(now - goal) > 2)
      return fail('VEHICLE.TIMEOUT', `battery_drop: the vehicle reports ${now ?? '?'} % (goal ${goal} %) after ${steps + 1} adjustments of SIM_BAT_MIN_PCT (last ${floor} %); ${restoreNote}`, { context: { kind } });
    return ok({
      kind, result: 'ACCEPTED',
      note: `${wasArmed ? '' : 'applied once the vehicle armed; '}emulated with PX4's battery simulator (its battery failure would mean "battery empty"): reported ${level} % → ${now} % through SIM_BAT_DRAIN ${FAST_DRAIN_S} s and SIM_BAT_MIN_PCT ${floor} % (PX4 reports the simulator's level plus its load-drop compensation); ${restoreNote}`,
    });
  }

  dispose(): void {
    for (const c of this.timers) c();
    this.timers.clear();
  }

  /** SYS_FAILURE_EN = 1, then MAV_CMD_INJECT_FAILURE; the vehicle's answer as a result. */
  private async send(c: FailureCommand, signal?: AbortSignal): Promise<VehicleResult> {
    const unit = UNIT_NAME[c.unit] ?? `FAILURE_UNIT ${c.unit}`;
    if (!this.enabled) {
      const cur = await this.d.params.read('SYS_FAILURE_EN', signal);
      if (!cur.ok) {
        if (cur.error.code === 'PARAM.NOT_FOUND') return fail('VEHICLE.UNSUPPORTED', 'the vehicle has no SYS_FAILURE_EN parameter (no PX4 failure injection)');
        return fail(cur.error.code === 'PARAM.NOT_SET' ? 'VEHICLE.COMMAND_DENIED' : cur.error.code, `reading SYS_FAILURE_EN: ${cur.error.message}`);
      }
      if (cur.value.value !== 1) {
        const set = await this.d.params.set('SYS_FAILURE_EN', 1, cur.value.type, signal);
        if (!set.ok) return fail(set.error.code === 'PARAM.NOT_SET' || set.error.code === 'PARAM.NOT_FOUND' ? 'VEHICLE.COMMAND_DENIED' : set.error.code, `setting SYS_FAILURE_EN = 1: ${set.error.message}`);
      }
      this.enabled = true;
    }
    const r = await this.d.commands.send({ command: MAV_CMD_INJECT_FAILURE, params: [c.unit, c.type, c.instance, 0, 0, 0, 0] }, signal);
    if (r.ok) return { ok: true, value: undefined };
    const context = { ...r.error.context, unit, failureType: c.type, instance: c.instance };
    if (r.error.code === 'VEHICLE.TIMEOUT' && !r.error.context?.['aborted'])
      return fail('VEHICLE.TIMEOUT', `${unit}: no COMMAND_ACK — no module on this vehicle handles this failure unit (PX4 answers only where a simulator or driver implements it)`, { context });
    return fail(r.error.code, `${unit}: ${r.error.message}`, { context });
  }
}
