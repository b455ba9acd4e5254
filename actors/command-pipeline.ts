/**
 * The per-vehicle command pipeline: the one door through which anything reaches a vehicle port.
 *
 * @remarks
 * Vehicle commands (operator and failsafe, from the vehicle machine's `command` actor) and
 * mission operations (upload, launch, pause, resume, abort, from the mission machine's actors)
 * all go through one pipeline per vehicle, so:
 * - **one at a time**: two operations never reach the port concurrently;
 * - **priorities**: a `failsafe` operation pre-empts whatever runs (its AbortSignal is aborted,
 *   its callers get `VEHICLE.PREEMPTED`) and goes ahead of every queued `normal` operation;
 * - **bounded**: at most `maxQueue` operations wait; a full queue refuses a normal operation with
 *   `VEHICLE.BUSY` (a failsafe evicts the newest normal one instead of being refused);
 * - **coalescing**: an operation whose `key` equals a queued or running one's (the same port
 *   call: `rtl`, `hold`, `goto:…`) joins it and shares its outcome instead of queueing again;
 * - **time to live**: a normal operation still waiting `ttl_ms` after it was issued (clock ms)
 *   is dropped with `VEHICLE.STALE` and never sent. Failsafes have no TTL: a failsafe
 *   is the twin's current decision, and a newer one replaces it in the vehicle machine.
 *
 * Why a small runtime actor (a class) and not a statechart: what it holds is promises,
 * AbortControllers and timers of one port — scheduling, not domain state. The decisions
 * (which command, which failsafe, which mission step) stay in the pure machines; the pipeline
 * only orders, bounds, expires and pre-empts their port calls. Its queue of closures is not
 * serialisable and must not be persisted: a restarted twin never replays old commands.
 * Time comes only from the injected clock (TTL, pre-emption grace), so a run stays
 * reproducible under the virtual clock.
 *
 * @example
 * const pipeline = new CommandPipeline(clock);
 * const r = await pipeline.submit({ label: 'rtl', key: 'rtl', priority: 'failsafe', run: (s) => port.returnToLaunch(s) });
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import { fail, type Result } from '../core/result.js';
import type { VehicleErrorCode, VehicleResult } from '../hardware/vehicle.port.js';

/** Outcomes the pipeline adds to the port's own codes. */
export type PipelineErrorCode =
  /** A failsafe took the port: the operation was cancelled (or never started). */
  | 'VEHICLE.PREEMPTED'
  /** It waited longer than its time to live; never sent. */
  | 'VEHICLE.STALE'
  /** The queue was full; never queued. */
  | 'VEHICLE.BUSY'
  /** Its caller gave up (aborted its signal) before it ran. */
  | 'VEHICLE.CANCELLED'
  /** The operation threw (a bug in it, not an expected failure). */
  | 'VEHICLE.INTERNAL'
  | 'VEHICLE.DISPOSED';

export type PipelineResult = Result<void, VehicleErrorCode | PipelineErrorCode>;

export type OperationPriority = 'failsafe' | 'normal';

/** One port call (or one short sequence of them, like launch: arm, confirm, start). */
export interface PortOperation {
  /** What it is, for logs: `rtl`, `mission.pause`. */
  readonly label: string;
  /** Default `normal`. */
  readonly priority?: OperationPriority;
  /** Equal keys mean the same port call; absent: never coalesced. */
  readonly key?: string;
  /** When the request was issued (clock ms); default: when submitted. */
  readonly issued_ms?: number;
  /** Overrides the pipeline's `ttl_ms` for this operation (clock ms). */
  readonly ttl_ms?: number;
  /** Correlation id, for logs. */
  readonly cid?: string;
  /** Performs the operation; must honour the signal (abort = stop talking to the port). */
  readonly run: (signal: AbortSignal) => Promise<VehicleResult>;
}

export interface PipelineConfig {
  /** Operations that may wait (not counting the running one). Default 16. */
  readonly maxQueue?: number;
  /** Longest a normal operation may wait before it is dropped as stale (clock ms). Default 10 000. */
  readonly ttl_ms?: number;
  /**
   * After pre-empting, how long the port may take to let go of the cancelled call before the
   * failsafe is sent anyway (clock ms). Ports resolve an aborted call at once; this only bounds
   * a port that ignores its signal. Default 250.
   */
  readonly preemptGrace_ms?: number;
}

/** What the pipeline did with an operation other than run it to its own answer. */
export interface PipelineNotice {
  readonly label: string;
  readonly cid?: string;
  readonly code: PipelineErrorCode;
  /** Clock ms since the operation was issued. */
  readonly waited_ms: number;
}

export const DEFAULT_PIPELINE: Required<PipelineConfig> = { maxQueue: 16, ttl_ms: 10_000, preemptGrace_ms: 250 };

interface Waiter {
  readonly resolve: (r: PipelineResult) => void;
  readonly cid?: string;
  aborted: boolean;
}

interface Entry {
  readonly op: PortOperation;
  priority: OperationPriority;
  readonly issued_ms: number;
  readonly waiters: Waiter[];
  timer?: TimerHandle;
  controller?: AbortController;
  /** Outcome delivered (answered, pre-empted, cancelled, dropped). */
  done: boolean;
}

export class CommandPipeline {
  private readonly config: Required<PipelineConfig>;
  private readonly queue: Entry[] = [];
  /** The operation holding the port (also while a pre-empted one lets go). */
  private running: Entry | undefined;
  private disposed = false;

  constructor(
    private readonly clock: Clock,
    config: PipelineConfig = {},
    private readonly notice: (n: PipelineNotice) => void = () => {},
  ) {
    this.config = { ...DEFAULT_PIPELINE, ...config };
  }

  /** Operations waiting (not counting the running one). */
  get queued(): number {
    return this.queue.length;
  }

  /** The label of the operation holding the port, if any. */
  get current(): string | undefined {
    return this.running?.op.label;
  }

  /**
   * Queues an operation; resolves with its outcome (never rejects). Aborting `signal` withdraws
   * this caller: a queued operation nobody waits for is dropped, a running one is cancelled.
   */
  submit(op: PortOperation, signal?: AbortSignal): Promise<PipelineResult> {
    return new Promise<PipelineResult>((resolve) => {
      const waiter: Waiter = { resolve, cid: op.cid, aborted: false };
      const now = this.clock.now();
      const issued_ms = op.issued_ms ?? now;
      const priority = op.priority ?? 'normal';
      if (this.disposed) return this.answer(waiter, fail('VEHICLE.DISPOSED', 'command pipeline disposed'));
      if (signal?.aborted) return this.answer(waiter, fail('VEHICLE.CANCELLED', `${op.label}: withdrawn before it was queued`));
      const ttl = op.ttl_ms ?? this.config.ttl_ms;
      if (priority === 'normal' && now - issued_ms >= ttl) return this.drop(op, [waiter], 'VEHICLE.STALE', now - issued_ms);

      let entry = op.key === undefined ? undefined : this.joinable(op.key);
      if (priority === 'failsafe' && entry !== this.running) this.preempt(op.label);
      if (entry) {
        entry.waiters.push(waiter);
        if (priority === 'failsafe' && entry.priority === 'normal' && entry !== this.running) {
          // The queued twin of a failsafe becomes one: it goes first and cannot expire.
          entry.priority = 'failsafe';
          this.clearTimer(entry);
          this.queue.splice(this.queue.indexOf(entry), 1);
          this.insert(entry);
        }
      } else {
        if (this.queue.length >= this.config.maxQueue) {
          const victim = this.evictFor(priority);
          if (!victim) return this.drop(op, [waiter], 'VEHICLE.BUSY', now - issued_ms);
          this.drop(victim.op, victim.waiters, 'VEHICLE.BUSY', now - victim.issued_ms, victim);
        }
        entry = { op, priority, issued_ms, waiters: [waiter], done: false };
        this.insert(entry);
        if (priority === 'normal') {
          const e = entry;
          e.timer = this.clock.setTimeout(() => {
            e.timer = undefined;
            if (this.queue.includes(e)) {
              this.queue.splice(this.queue.indexOf(e), 1);
              this.drop(e.op, e.waiters, 'VEHICLE.STALE', this.clock.now() - e.issued_ms, e);
            }
          }, issued_ms + ttl - now);
        }
      }
      if (signal) {
        const e = entry;
        signal.addEventListener('abort', () => this.withdraw(e, waiter), { once: true });
      }
      this.pump();
    });
  }

  /** Cancels everything; later submissions fail with VEHICLE.DISPOSED. */
  dispose(): void {
    this.disposed = true;
    for (const e of this.queue.splice(0)) {
      this.clearTimer(e);
      this.settle(e, fail('VEHICLE.DISPOSED', `${e.op.label}: command pipeline disposed`));
    }
    const r = this.running;
    if (r) {
      r.controller?.abort();
      this.settle(r, fail('VEHICLE.DISPOSED', `${r.op.label}: command pipeline disposed`));
      // No grace timer outlives the pipeline (a wall clock would keep the process alive for it).
      this.clearTimer(r);
      this.running = undefined;
    }
  }

  private joinable(key: string): Entry | undefined {
    if (this.running && !this.running.done && this.running.op.key === key) return this.running;
    return this.queue.find((e) => e.op.key === key);
  }

  /** Failsafes first (in arrival order), then normal operations in arrival order. */
  private insert(entry: Entry): void {
    if (entry.priority === 'normal') {
      this.queue.push(entry);
      return;
    }
    const firstNormal = this.queue.findIndex((e) => e.priority === 'normal');
    if (firstNormal < 0) this.queue.push(entry);
    else this.queue.splice(firstNormal, 0, entry);
  }

  /** Makes room for a failsafe by evicting the newest normal operation; none for a normal one. */
  private evictFor(priority: OperationPriority): Entry | undefined {
    if (priority === 'normal') return undefined;
    for (let i = this.queue.length - 1; i >= 0; i--) {
      if (this.queue[i]!.priority === 'normal') return this.queue.splice(i, 1)[0];
    }
    // Sixteen failsafes queued: the oldest is the most superseded.
    return this.queue.shift();
  }

  private preempt(by: string): void {
    const r = this.running;
    if (!r || r.done) return;
    r.controller?.abort();
    this.drop(r.op, r.waiters, 'VEHICLE.PREEMPTED', this.clock.now() - r.issued_ms, r, `pre-empted by failsafe ${by}`);
    // The port lets go of an aborted call at once; wait no longer than the grace for one that does not.
    const release = this.clock.setTimeout(() => this.release(r), this.config.preemptGrace_ms);
    r.timer = release;
  }

  private withdraw(entry: Entry, waiter: Waiter): void {
    if (entry.done || waiter.aborted) return;
    waiter.aborted = true;
    this.answer(waiter, fail('VEHICLE.CANCELLED', `${entry.op.label}: withdrawn by its caller`));
    if (entry.waiters.some((w) => !w.aborted)) return;
    entry.done = true;
    if (this.running === entry) {
      entry.controller?.abort();
      entry.timer = this.clock.setTimeout(() => this.release(entry), this.config.preemptGrace_ms);
    } else {
      this.clearTimer(entry);
      const i = this.queue.indexOf(entry);
      if (i >= 0) this.queue.splice(i, 1);
    }
  }

  private pump(): void {
    if (this.running || this.disposed) return;
    let entry: Entry | undefined;
    while ((entry = this.queue.shift())) {
      const waited = this.clock.now() - entry.issued_ms;
      // Its expiry timer is due at this very instant but has not fired yet: it is stale all the same.
      if (entry.priority === 'normal' && waited >= (entry.op.ttl_ms ?? this.config.ttl_ms)) this.drop(entry.op, entry.waiters, 'VEHICLE.STALE', waited, entry);
      else break;
    }
    if (!entry) return;
    this.clearTimer(entry);
    const controller = new AbortController();
    entry.controller = controller;
    this.running = entry;
    let outcome: Promise<PipelineResult>;
    try {
      outcome = entry.op.run(controller.signal);
    } catch (err) {
      outcome = Promise.resolve(fail('VEHICLE.INTERNAL', `${entry.op.label} threw: ${String(err)}`, { cause: err }));
    }
    outcome.then(
      (r) => {
        this.settle(entry, r);
        this.release(entry);
      },
      (err: unknown) => {
        this.settle(entry, fail('VEHICLE.INTERNAL', `${entry.op.label} threw: ${String(err)}`, { cause: err }));
        this.release(entry);
      },
    );
  }

  /** The port is free again: start the next operation. */
  private release(entry: Entry): void {
    if (this.running !== entry) return;
    this.clearTimer(entry);
    this.running = undefined;
    this.pump();
    this.clock.notifyAsync();
  }

  private settle(entry: Entry, r: PipelineResult): void {
    if (entry.done) return;
    entry.done = true;
    for (const w of entry.waiters) if (!w.aborted) w.resolve(r);
    this.clock.notifyAsync();
  }

  private drop(op: PortOperation, waiters: Waiter[], code: PipelineErrorCode, waited_ms: number, entry?: Entry, why?: string): void {
    const message =
      why ??
      (code === 'VEHICLE.STALE'
        ? `${op.label}: waited ${waited_ms} ms, longer than its time to live; not sent`
        : code === 'VEHICLE.BUSY'
          ? `${op.label}: command queue full (${this.config.maxQueue})`
          : `${op.label}: ${code}`);
    const r = fail(code, message, { context: { waited_ms } });
    if (entry) {
      this.clearTimer(entry);
      this.settle(entry, r);
    } else for (const w of waiters) this.answer(w, r);
    this.notice({ label: op.label, cid: op.cid, code, waited_ms });
  }

  private answer(waiter: Waiter, r: PipelineResult): void {
    waiter.resolve(r);
    this.clock.notifyAsync();
  }

  private clearTimer(entry: Entry): void {
    if (entry.timer !== undefined) this.clock.clearTimeout(entry.timer);
    entry.timer = undefined;
  }
}
