/**
 * The MAVLink command protocol (https://mavlink.io/en/services/command.html): send a
 * COMMAND_LONG or COMMAND_INT, wait for the COMMAND_ACK of that command, resend on timeout.
 *
 * @remarks
 * - COMMAND_LONG resends increment `confirmation` (0, 1, 2…) so the receiver can tell a
 *   retry from a new command; COMMAND_INT has no such field and is resent as is.
 * - MAV_RESULT_IN_PROGRESS means the command runs: we stop resending (a resend could restart
 *   it) and wait `inProgressTimeoutMs` from each progress ACK for the final one.
 * - At most one command with a given id is in flight (the spec forbids a second before the
 *   first is answered); later ones with the same id queue behind it.
 * - An ACK is matched to the outstanding request of its command id only when it comes from the
 *   target system (the session filters), from the component the request went to (or the
 *   autopilot, which answers for the components it hosts: PX4's camera trigger, gimbal), and is
 *   addressed to us: PX4 (Commander, Navigator, every module's `answer_command`) and ArduPilot
 *   fill COMMAND_ACK.target_system/target_component with the command's sender; 0 is taken as
 *   "not filled" (old firmware, a MAVLink 1 frame). An ACK with no outstanding request of that
 *   id is counted as stray and ignored.
 * - An aborted request is resolved at once, but its id stays taken (no resends) until its ACK
 *   arrives or its timeout passes, so a late ACK of the aborted command cannot complete the
 *   next command with the same id (each request is its own generation).
 * - Results: DENIED / TEMPORARILY_REJECTED / FAILED / CANCELLED → VEHICLE.COMMAND_DENIED;
 *   UNSUPPORTED / COMMAND_LONG_ONLY / COMMAND_INT_ONLY / UNSUPPORTED_MAV_FRAME →
 *   VEHICLE.UNSUPPORTED; no ACK after every retry → VEHICLE.TIMEOUT; link down →
 *   VEHICLE.NO_LINK; an aborted signal → VEHICLE.TIMEOUT with `context.aborted`.
 */
import { common } from 'node-mavlink';
import { fail, ok } from '../../../core/result.js';
import type { VehicleResult } from '../../vehicle.port.js';
import { AUTOPILOT_COMPID, type MavSession } from './session.js';

/** MAV_RESULT. */
export const MAV_RESULT = {
  ACCEPTED: 0, TEMPORARILY_REJECTED: 1, DENIED: 2, UNSUPPORTED: 3, FAILED: 4, IN_PROGRESS: 5, CANCELLED: 6,
  COMMAND_LONG_ONLY: 7, COMMAND_INT_ONLY: 8, UNSUPPORTED_MAV_FRAME: 9,
} as const;
const RESULT_NAME: Record<number, string> = Object.fromEntries(Object.entries(MAV_RESULT).map(([k, v]) => [v, k]));

/** A command to send. Unused params are NaN by MAVLink convention (0 where a command says so). */
export interface CommandRequest {
  readonly command: number;
  /** param1..param4 (and 5..7 for COMMAND_LONG). */
  readonly params?: readonly number[];
  /** Sends a COMMAND_INT: positions as degE7 integers in `x`/`y`, `z` in metres. */
  readonly int?: { readonly frame: number; readonly x: number; readonly y: number; readonly z: number };
  /** Component to address (default: the autopilot). */
  readonly targetComponent?: number;
}

export interface CommandAnswer {
  readonly result: number;
  readonly resultParam2: number;
}

export interface CommandOptions {
  /** Wait for an ACK before resending, ms of autopilot time (default 1500). */
  readonly timeoutMs?: number;
  /** Resends after the first attempt (default 3). */
  readonly retries?: number;
  /** Wait after each IN_PROGRESS ACK for the next one, ms of autopilot time (default 10 000). */
  readonly inProgressTimeoutMs?: number;
}

const MSG_COMMAND_ACK = 77;

export class CommandProtocol {
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly inProgressMs: number;
  /** Tail of the queue per command id. */
  private readonly inFlight = new Map<number, Promise<unknown>>();
  /** The outstanding request (its generation) of each command id and who may answer it. */
  private readonly waiting = new Map<number, { gen: number; component: number; on: (ack: CommandAnswer & { progress: number }) => void; abandon: () => void }>();
  private generation = 0;
  private disposed = false;
  private readonly off: () => void;
  /** Counters for diagnostics and benchmarks. */
  readonly stats = { sent: 0, resent: 0, acked: 0, timeouts: 0, strayAcks: 0 };

  constructor(private readonly session: MavSession, opts: CommandOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 1500;
    this.retries = opts.retries ?? 3;
    this.inProgressMs = opts.inProgressTimeoutMs ?? 10_000;
    this.off = session.on(MSG_COMMAND_ACK, (m, frame) => {
      const ack = m as common.CommandAck;
      if (!session.isForUs(ack.targetSystem, ack.targetComponent)) return;
      const w = this.waiting.get(ack.command);
      // No request of that id outstanding, or an answer from a component we did not ask.
      if (!w || (w.component !== 0 && frame.compid !== w.component && frame.compid !== AUTOPILOT_COMPID)) return void this.stats.strayAcks++;
      w.on({ result: ack.result, resultParam2: ack.resultParam2 ?? 0, progress: ack.progress ?? 0 });
    }, { anyComponent: true });
  }

  /** Sends a command and resolves with its final answer (never rejects). */
  send(req: CommandRequest, signal?: AbortSignal): Promise<VehicleResult<CommandAnswer>> {
    const prev = this.inFlight.get(req.command) ?? Promise.resolve();
    let settled!: (r: VehicleResult<CommandAnswer>) => void;
    const result = new Promise<VehicleResult<CommandAnswer>>((r) => (settled = r));
    // The queue's tail is the exchange's end (its id free again), which may come after the
    // caller's answer (an aborted request keeps its id until its ACK or its timeout).
    const tail: Promise<unknown> = prev.then(() => this.exchange(req, settled, signal)).finally(() => {
      if (this.inFlight.get(req.command) === tail) this.inFlight.delete(req.command);
    });
    this.inFlight.set(req.command, tail);
    return result;
  }

  /** Stops listening; outstanding and queued requests fail with VEHICLE.DISPOSED (none hangs). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.off();
    for (const w of [...this.waiting.values()]) w.abandon();
  }

  /**
   * One request/ACK exchange. `answer` gets the caller's result; the returned promise settles
   * when the command id is free again.
   */
  private exchange(req: CommandRequest, answer: (r: VehicleResult<CommandAnswer>) => void, signal?: AbortSignal): Promise<void> {
    const s = this.session;
    const name = commandName(req.command);
    if (this.disposed) return Promise.resolve(answer(fail('VEHICLE.DISPOSED', `${name}: command protocol disposed`)));
    if (signal?.aborted) return Promise.resolve(answer(fail('VEHICLE.TIMEOUT', `${name}: aborted by caller`, { context: { aborted: true } })));
    if (!s.linkUp || s.sysid === undefined) return Promise.resolve(answer(fail('VEHICLE.NO_LINK', `${name}: no link to the vehicle`)));
    const gen = ++this.generation;
    return new Promise<void>((release) => {
      let attempt = 0;
      let cancelTimer = () => {};
      let inProgress = false;
      let answered = false;
      const reply = (r: VehicleResult<CommandAnswer>) => {
        if (answered) return;
        answered = true;
        answer(r);
        s.clock.notifyAsync();
      };
      const done = () => {
        cancelTimer();
        if (this.waiting.get(req.command)?.gen === gen) this.waiting.delete(req.command);
        signal?.removeEventListener('abort', onAbort);
        release();
      };
      const finish = (r: VehicleResult<CommandAnswer>) => {
        done();
        reply(r);
      };
      const onAbort = () => {
        reply(fail('VEHICLE.TIMEOUT', `${name}: aborted by caller`, { context: { aborted: true } }));
        // Keep the id (no resends) until the ACK of what we sent comes, or its timeout passes.
        arm(inProgress ? this.inProgressMs : this.timeoutMs);
      };
      const arm = (ms: number) => {
        cancelTimer();
        cancelTimer = s.after(s.ms(ms), onTimeout);
      };
      const transmit = () => {
        this.stats.sent++;
        if (attempt > 0) this.stats.resent++;
        s.send(this.encode(req, attempt));
        arm(this.timeoutMs);
      };
      function onTimeout(this: void) {
        if (answered) return done();
        if (inProgress || attempt >= self.retries) {
          self.stats.timeouts++;
          const why = inProgress ? 'no final ACK after IN_PROGRESS' : `no COMMAND_ACK after ${attempt + 1} attempts`;
          return finish(fail(s.linkUp ? 'VEHICLE.TIMEOUT' : 'VEHICLE.NO_LINK', `${name}: ${why}`, { context: { command: req.command, attempts: attempt + 1 } }));
        }
        attempt++;
        transmit();
      }
      const self = this;
      this.waiting.set(req.command, {
        gen,
        component: req.targetComponent ?? s.compid,
        abandon: () => finish(fail('VEHICLE.DISPOSED', `${name}: command protocol disposed`)),
        on: (ack) => {
          this.stats.acked++;
          const context = { command: req.command, result: RESULT_NAME[ack.result] ?? ack.result, resultParam2: ack.resultParam2 };
          switch (ack.result) {
            case MAV_RESULT.ACCEPTED:
              return finish(ok({ result: ack.result, resultParam2: ack.resultParam2 }));
            case MAV_RESULT.IN_PROGRESS:
              inProgress = true;
              return arm(this.inProgressMs);
            case MAV_RESULT.UNSUPPORTED:
            case MAV_RESULT.COMMAND_LONG_ONLY:
            case MAV_RESULT.COMMAND_INT_ONLY:
            case MAV_RESULT.UNSUPPORTED_MAV_FRAME:
              return finish(fail('VEHICLE.UNSUPPORTED', `${name}: ${context.result}`, { context }));
            default:
              return finish(fail('VEHICLE.COMMAND_DENIED', `${name}: ${context.result}`, { context }));
          }
        },
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      transmit();
    });
  }

  private encode(req: CommandRequest, attempt: number): common.CommandLong | common.CommandInt {
    const s = this.session;
    const p = (i: number) => req.params?.[i] ?? (i < 4 ? 0 : Number.NaN);
    if (req.int) {
      const m = new common.CommandInt();
      m.targetSystem = s.sysid ?? 0;
      m.targetComponent = req.targetComponent ?? s.compid;
      m.frame = req.int.frame;
      m.command = req.command;
      m.current = 0;
      m.autocontinue = 0;
      m._param1 = p(0);
      m._param2 = p(1);
      m._param3 = p(2);
      m._param4 = p(3);
      // COMMAND_INT's param5/param6 are int32 (degE7), param7 a float.
      m._param5 = Math.round(req.int.x);
      m._param6 = Math.round(req.int.y);
      m._param7 = req.int.z;
      return m;
    }
    const m = new common.CommandLong();
    m.targetSystem = s.sysid ?? 0;
    m.targetComponent = req.targetComponent ?? s.compid;
    m.command = req.command;
    m.confirmation = Math.min(attempt, 255);
    m._param1 = p(0);
    m._param2 = p(1);
    m._param3 = p(2);
    m._param4 = p(3);
    m._param5 = req.params?.[4] ?? 0;
    m._param6 = req.params?.[5] ?? 0;
    m._param7 = req.params?.[6] ?? 0;
    return m;
  }
}

/** `MAV_CMD_NAV_TAKEOFF` style names for messages. */
export function commandName(id: number): string {
  const n = (common.MavCmd as unknown as Record<number, string>)[id];
  return n ? `MAV_CMD_${n}` : `MAV_CMD ${id}`;
}
