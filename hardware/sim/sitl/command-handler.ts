/**
 * MAVLink commands (COMMAND_LONG / COMMAND_INT) → simulator commands → COMMAND_ACK, with PX4's
 * parameter conventions and results.
 *
 * @remarks
 * Result mapping (PX4 Commander `handle_command`, v1.14+): Commander answers every refusal of a
 * mode change or (dis)arm with TEMPORARILY_REJECTED — `arm()`/`disarm()` and
 * `_user_mode_intention.change()` return TRANSITION_DENIED and that is all it reports — never
 * DENIED:
 * - ARM_DISARM: any refusal (preflight checks, "not landed", …) → TEMPORARILY_REJECTED; param1
 *   other than 0/1 → UNSUPPORTED. param2 = 21196 forces: a forced disarm in the air cuts the
 *   motors (the simulator's motor-failure fall). The simulator cannot skip preflight checks, so a
 *   forced arm is an ordinary arm.
 * - DO_SET_MODE (param1 must carry MAV_MODE_FLAG_CUSTOM_MODE_ENABLED, param2 main, param3 sub):
 *   a refused mode change → TEMPORARILY_REJECTED. While disarmed every auto mode and Position are
 *   selected without checks, as PX4's `UserModeIntention::change` does (Mission with no mission
 *   too; arming then decides); armed, the mode must be able to run. Other manual modes and
 *   offboard are refused (no manual control input / no offboard setpoints in the simulator).
 * - NAV_TAKEOFF (param7 altitude AMSL, NaN = MIS_TAKEOFF_ALT), NAV_LAND, NAV_RETURN_TO_LAUNCH,
 *   DO_REPOSITION (param5/6 lat/lon, param7 AMSL; NaN = keep): refusal → TEMPORARILY_REJECTED.
 *   PX4 (mavlink_receiver `handle_message_command_int`) ignores COMMAND_INT's frame: z becomes
 *   param7 unchanged, so it is AMSL whatever the frame says; x = y = INT32_MAX means "no
 *   position" (NaN), and x = y = 0x7ff80000 (a NaN float sent as an int) is DENIED.
 * - MISSION_START: no mission or param1 outside [-1, count) → DENIED; the mode switch or the
 *   arming it does refused → TEMPORARILY_REJECTED. It arms first when disarmed (PX4 does).
 * - DO_SET_MISSION_CURRENT out of range → DENIED.
 * - SET_MESSAGE_INTERVAL on a message that cannot be streamed → FAILED; REQUEST_MESSAGE of an
 *   unknown message → DENIED. Unknown commands → UNSUPPORTED.
 * A COMMAND_LONG repeated with a higher `confirmation` and the same parameters within
 * {@link RETRY_WINDOW_MS} is a retransmission: it is answered again with the first result, not
 * executed twice (a retried takeoff must not be refused as "already flying").
 */
import { common, type MavLinkData } from 'node-mavlink';
import type { MavFrame } from '../../real/mavlink/codec.js';
import { PX4_AUTO_SUB, PX4_MAIN } from '../../real/mavlink/px4-modes.js';
import type { SimCommand } from '../commands.js';
import type { SimWorld } from '../sim-world.js';
import { Cmd, FORCE_ARM_MAGIC, Frame, ModeFlag, Result, Severity, isForUs, msg, num } from './internal/mav.js';

/** How long a command result is kept to answer a retransmission, ms of sim time. */
export const RETRY_WINDOW_MS = 3000;

const INT32_MAX = 0x7fffffff;
/** The bits of a float NaN read as an int32: PX4 refuses x = y = this. */
const NAN_AS_INT = 0x7ff80000;

/** What the command handler needs from the vehicle and the link the command came on. */
export interface CommandContext {
  readonly world: SimWorld;
  readonly id: string;
  readonly sysid: number;
  now(): number;
  statustext(severity: number, text: string): void;
  /** Per-link stream control: false = cannot stream that message. */
  setMessageInterval(msgId: number, intervalUs: number): boolean;
  /** Sends MESSAGE_INTERVAL for `msgId` on the link; false if unknown. */
  sendMessageInterval(msgId: number): boolean;
  /** Sends one message now on the link; false if this SITL cannot produce it. */
  requestMessage(msgId: number): boolean;
  /** MISSION_SET_CURRENT semantics; false when out of range or busy. */
  missionSetCurrent(seq: number): boolean;
  send(m: MavLinkData): void;
}

interface Cached {
  readonly key: string;
  readonly confirmation: number;
  readonly result: number;
  readonly at: number;
}

/** Normalised command: params 5/6 as degrees for COMMAND_INT positions, frame for altitude. */
interface Command {
  readonly command: number;
  readonly p: readonly [number, number, number, number, number, number, number];
  /** Always GLOBAL (AMSL): PX4 ignores COMMAND_INT's frame. */
  readonly frame: number;
}

export class CommandHandler {
  private readonly cache = new Map<string, Cached>();

  /** Handles COMMAND_LONG / COMMAND_INT; returns false if `m` is neither. */
  handle(ctx: CommandContext, frame: MavFrame, m: MavLinkData): boolean {
    const isLong = m instanceof common.CommandLong;
    if (!isLong && !(m instanceof common.CommandInt)) return false;
    if (!isForUs(ctx.sysid, num(m, 'targetSystem'), num(m, 'targetComponent'))) return true;
    const command = num(m, 'command');
    const p = [1, 2, 3, 4, 5, 6, 7].map((k) => num(m, `_param${k}`)) as unknown as Command['p'];
    let cmd: Command;
    if (isLong) cmd = { command, p, frame: Frame.GLOBAL };
    else {
      // COMMAND_INT carries x/y as degE7 integers; commands without a position use them raw.
      const positional = command === Cmd.DO_REPOSITION || command === Cmd.NAV_TAKEOFF || command === Cmd.NAV_LAND;
      if (p[4] === NAN_AS_INT && p[5] === NAN_AS_INT) {
        // PX4: "x/y invalid" — a NaN float sent as an int.
        ctx.send(msg(common.CommandAck, { command, result: Result.DENIED, progress: 0, resultParam2: 0, targetSystem: frame.sysid, targetComponent: frame.compid }));
        return true;
      }
      const unset = p[4] === INT32_MAX && p[5] === INT32_MAX;
      const lat = unset ? Number.NaN : p[4] * 1e-7, lon = unset ? Number.NaN : p[5] * 1e-7;
      const q = positional ? ([p[0], p[1], p[2], p[3], lat, lon, p[6]] as const) : p;
      // PX4 drops the frame: z is param7 as is (AMSL for the navigation commands).
      cmd = { command, p: q, frame: Frame.GLOBAL };
    }
    const key = `${frame.sysid}/${frame.compid}/${command}`;
    const fingerprint = `${key}:${cmd.p.join(',')}:${cmd.frame}`;
    const confirmation = isLong ? num(m, 'confirmation') : 0;
    const now = ctx.now();
    const prev = this.cache.get(key);
    let result: number;
    if (isLong && prev && prev.key === fingerprint && confirmation > prev.confirmation && now - prev.at <= RETRY_WINDOW_MS) {
      result = prev.result;
      this.cache.set(key, { ...prev, confirmation });
    } else {
      result = this.execute(ctx, cmd);
      this.cache.set(key, { key: fingerprint, confirmation, result, at: now });
    }
    ctx.send(msg(common.CommandAck, { command, result, progress: 0, resultParam2: 0, targetSystem: frame.sysid, targetComponent: frame.compid }));
    return true;
  }

  private execute(ctx: CommandContext, c: Command): number {
    const [p1, p2, p3, , p5, p6, p7] = c.p;
    switch (c.command) {
      case Cmd.COMPONENT_ARM_DISARM: {
        const action = Math.round(p1);
        const force = Math.round(p2) === FORCE_ARM_MAGIC;
        if (action === 1) return this.run(ctx, { kind: 'arm' }, Result.TEMPORARILY_REJECTED);
        if (action !== 0) {
          ctx.statustext(Severity.CRITICAL, `Unsupported ARM_DISARM param: ${p1.toFixed(3)}`);
          return Result.UNSUPPORTED;
        }
        const t = ctx.world.telemetry(ctx.id);
        if (force && t.armed && t.landed !== 'on_ground') {
          // PX4 kills the motors on a forced disarm in flight: the vehicle falls.
          ctx.statustext(Severity.CRITICAL, 'Forced disarm in flight: motors stopped');
          const r = ctx.world.injectFault(ctx.id, { kind: 'motor_failure' });
          return r.ok ? Result.ACCEPTED : Result.FAILED;
        }
        return this.run(ctx, { kind: 'disarm' }, Result.TEMPORARILY_REJECTED);
      }
      case Cmd.NAV_TAKEOFF: {
        const alt = Number.isFinite(p7) ? this.relAlt(ctx, p7) : undefined;
        return this.run(ctx, { kind: 'takeoff', alt_m: alt }, Result.TEMPORARILY_REJECTED);
      }
      case Cmd.NAV_LAND:
        return this.run(ctx, { kind: 'land' }, Result.TEMPORARILY_REJECTED);
      case Cmd.NAV_RETURN_TO_LAUNCH:
        return this.run(ctx, { kind: 'rtl' }, Result.TEMPORARILY_REJECTED);
      case Cmd.DO_REPOSITION: {
        const t = ctx.world.telemetry(ctx.id);
        const lat = Number.isFinite(p5) ? p5 : t.position.lat_deg;
        const lon = Number.isFinite(p6) ? p6 : t.position.lon_deg;
        const alt = Number.isFinite(p7) ? this.relAlt(ctx, p7) : t.alt_rel_m;
        return this.run(ctx, { kind: 'goto', lat_deg: lat, lon_deg: lon, alt_m: alt }, Result.TEMPORARILY_REJECTED);
      }
      case Cmd.DO_SET_MODE:
        return this.setMode(ctx, p1, p2, p3);
      case Cmd.MISSION_START: {
        if (Number.isFinite(p1) && p1 > 0 && !ctx.missionSetCurrent(Math.round(p1))) return Result.DENIED;
        if (!ctx.world.telemetry(ctx.id).armed) {
          const armed = this.run(ctx, { kind: 'arm', reason: 'mission start' }, Result.TEMPORARILY_REJECTED);
          if (armed !== Result.ACCEPTED) return armed;
        }
        // PX4: "Mission start denied! No valid mission" is DENIED; a refused mode switch is not.
        return this.run(ctx, { kind: 'start_mission' }, Result.TEMPORARILY_REJECTED, (_text, code) => (code === 'MISSION.NONE_LOADED' ? Result.DENIED : Result.TEMPORARILY_REJECTED));
      }
      case Cmd.DO_SET_MISSION_CURRENT:
        return ctx.missionSetCurrent(Math.round(p1)) ? Result.ACCEPTED : Result.DENIED;
      case Cmd.SET_MESSAGE_INTERVAL:
        return ctx.setMessageInterval(Math.round(p1), p2) ? Result.ACCEPTED : Result.FAILED;
      case Cmd.GET_MESSAGE_INTERVAL:
        return ctx.sendMessageInterval(Math.round(p1)) ? Result.ACCEPTED : Result.FAILED;
      case Cmd.REQUEST_MESSAGE:
        return ctx.requestMessage(Math.round(p1)) ? Result.ACCEPTED : Result.DENIED;
      case Cmd.REQUEST_AUTOPILOT_CAPABILITIES:
        return ctx.requestMessage(148) ? Result.ACCEPTED : Result.FAILED;
      default:
        return Result.UNSUPPORTED;
    }
  }

  /** DO_SET_MODE with PX4 custom modes. */
  private setMode(ctx: CommandContext, baseMode: number, main: number, sub: number): number {
    const rejected = Result.TEMPORARILY_REJECTED;
    if ((Math.round(baseMode) & ModeFlag.CUSTOM_MODE_ENABLED) === 0) {
      ctx.statustext(Severity.CRITICAL, 'Mode change rejected: only PX4 custom modes are supported');
      return rejected;
    }
    const m = Math.round(main), s = Math.round(sub);
    if (m === PX4_MAIN.AUTO) {
      switch (s) {
        case PX4_AUTO_SUB.MISSION: return this.run(ctx, { kind: 'set_mode', mode: 'mission' }, rejected);
        case PX4_AUTO_SUB.LOITER: return this.run(ctx, { kind: 'set_mode', mode: 'hold' }, rejected);
        case PX4_AUTO_SUB.RTL: return this.run(ctx, { kind: 'set_mode', mode: 'rtl' }, rejected);
        case PX4_AUTO_SUB.LAND: return this.run(ctx, { kind: 'set_mode', mode: 'land' }, rejected);
        case PX4_AUTO_SUB.TAKEOFF: return this.run(ctx, { kind: 'set_mode', mode: 'takeoff' }, rejected);
        default: break;
      }
    }
    // Position: selectable while disarmed (PX4 always allows a disarmed mode change); armed, it
    // needs manual control input, which the simulator has none of.
    if (m === PX4_MAIN.POSCTL) return this.run(ctx, { kind: 'set_mode', mode: 'manual' }, rejected);
    const why = m === PX4_MAIN.OFFBOARD ? 'no offboard signal' : 'no manual control input';
    ctx.statustext(Severity.CRITICAL, `Switching to mode ${m}.${s} is currently not possible: ${why}`);
    return rejected;
  }

  /** Runs a simulator command; a refusal sends its reason as STATUSTEXT and maps to a result. */
  private run(ctx: CommandContext, cmd: SimCommand, refused: number, classify?: (text: string, code: string) => number): number {
    const r = ctx.world.command(ctx.id, cmd);
    if (r.ok) return Result.ACCEPTED;
    ctx.statustext(Severity.CRITICAL, r.error.message);
    if (r.error.code === 'VEHICLE.NO_LINK') return Result.FAILED;
    return classify ? classify(r.error.message, r.error.code) : refused;
  }

  /** An AMSL altitude (param7 of every command here, COMMAND_INT's frame notwithstanding) → metres above home. */
  private relAlt(ctx: CommandContext, alt: number): number {
    return alt - ctx.world.home(ctx.id).alt_m;
  }
}
