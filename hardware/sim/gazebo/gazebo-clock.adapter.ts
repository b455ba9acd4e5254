/**
 * A `gazebo` clock source: the runtime's {@link RunnableClock} driven by Gazebo's simulation time
 * (`ignition.msgs.Clock` on `/clock` or `/world/<world>/clock`), so the twin runs on Gazebo's
 * time — paused when Gazebo pauses, faster when it runs faster than real time.
 *
 * @remarks
 * `now()` is the `sim` field of the last Clock message (ms). Timers fire, in due order, when a
 * Clock message carries sim time at or past their due time; nothing fires between messages (Gazebo
 * publishes /clock at its update rate). A message with an earlier time (world reset) moves `now()`
 * back; pending timers then wait for the new time to reach them.
 */
import type { Logger } from 'pino';
import type { RunnableClock, RunOptions, TimerHandle } from '../../../core/clock.js';
import type { Failure, Result } from '../../../core/result.js';
import { ok } from '../../../core/result.js';
import type { GzErrorCode, GzNode } from './gz-node.js';

export interface GazeboClockOptions {
  /** World name: follows `/world/<world>/clock`; omitted, follows `/clock`. */
  readonly world?: string;
  /** Explicit topic (overrides `world`). */
  readonly topic?: string;
  /** Which Clock field to follow (default `sim`). */
  readonly field?: 'sim' | 'real' | 'system';
  /**
   * `absolute` (default): `now()` is Gazebo's time and goes back with it (world reset).
   * `twin` (the runtime's clock, `twin start --gz-world`): `now()` is 0 at the first Clock message
   * and then advances exactly as Gazebo's time does, never backwards — a Clock earlier than the
   * last one (world reset, a second publisher) is reported (`GZ.CLOCK_BACKWARDS`) and the twin's
   * time holds there, continuing as Gazebo's time advances again. Timers fire at their due time.
   */
  readonly mode?: 'absolute' | 'twin';
  /** Called for every rejected message (undecodable, no time) and, in `twin` mode, a backwards clock. */
  readonly onError?: (error: Failure) => void;
  readonly logger?: Logger;
}

interface Timer {
  readonly due: number;
  readonly seq: number;
  readonly id: number;
  readonly fn: (...args: unknown[]) => void;
}

/** `/clock`, or `/world/<world>/clock`. */
export const gazeboClockTopic = (o: GazeboClockOptions = {}): string => o.topic ?? (o.world ? `/world/${o.world}/clock` : '/clock');

export class GazeboClock implements RunnableClock {
  readonly kind = 'virtual' as const;
  /** Clock messages received; malformed ones are counted in `rejected`. */
  readonly stats = { messages: 0, rejected: 0, resets: 0 };
  lastError: Failure | undefined;
  private t = 0;
  /** `twin` mode: Gazebo time (ms) minus twin time. */
  private offset = 0;
  private lastSim = 0;
  private started = false;
  private timers: Timer[] = [];
  private seq = 0;
  private nextId = 1;
  private readonly waiters = new Set<() => void>();
  private unsubscribe: (() => void) | undefined;

  private constructor(private readonly o: GazeboClockOptions) {}

  /** Subscribes `node` to the clock topic. */
  static follow(node: GzNode, options: GazeboClockOptions = {}): Result<GazeboClock, GzErrorCode> {
    const clock = new GazeboClock(options);
    const sub = node.subscribe(gazeboClockTopic(options), (m) => clock.onClock(m), {
      type: 'Clock',
      onError: (e) => clock.reject(e),
    });
    if (!sub.ok) return sub;
    clock.unsubscribe = sub.value;
    return ok(clock);
  }

  /** True once a Clock message has arrived. */
  get synced(): boolean {
    return this.started;
  }

  /** The last Gazebo time received (ms), whatever the mode. */
  simNow(): number {
    return this.lastSim;
  }

  /** `twin` mode: Gazebo's time (ms) at twin time 0 (after a backwards jump, the rebased origin). */
  get origin_ms(): number {
    return this.offset;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: (...args: unknown[]) => void, ms: number): TimerHandle {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const timer: Timer = { due: this.t + delay, seq: this.seq++, id: this.nextId++, fn };
    // Sorted insert (due, then seq): timers are few.
    let i = this.timers.length;
    while (i > 0 && (this.timers[i - 1]!.due > timer.due || (this.timers[i - 1]!.due === timer.due && this.timers[i - 1]!.seq > timer.seq))) i--;
    this.timers.splice(i, 0, timer);
    return timer.id as TimerHandle;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (typeof handle !== 'number') return;
    const i = this.timers.findIndex((t) => t.id === handle);
    if (i >= 0) this.timers.splice(i, 1);
  }

  notifyAsync(): void {
    /* timers fire from socket callbacks: continuations run before the next message */
  }

  /** Resolves when sim time reaches `until`, `stopWhen` holds (checked per message) or on abort. */
  run(options: RunOptions = {}): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        const done = options.signal?.aborted || (options.until !== undefined && this.t >= options.until) || (options.stopWhen?.() ?? false);
        options.onProgress?.(this.t);
        if (done) {
          this.waiters.delete(check);
          options.signal?.removeEventListener('abort', check);
          resolve();
        }
      };
      this.waiters.add(check);
      options.signal?.addEventListener('abort', check, { once: true });
      check();
    });
  }

  /** Stops following the topic (pending timers stay until time moves, which it no longer does). */
  dispose(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private onClock(m: Record<string, unknown>): void {
    const field = (m[this.o.field ?? 'sim'] ?? null) as { sec?: number; nsec?: number } | null;
    if (!field || !Number.isFinite(field.sec) || !Number.isFinite(field.nsec)) {
      this.reject({ code: 'GZ.CLOCK_NO_TIME', message: `Clock message without ${this.o.field ?? 'sim'} time` });
      return;
    }
    const sim = field.sec! * 1000 + field.nsec! / 1e6;
    this.stats.messages++;
    if (this.o.mode === 'twin') {
      this.onTwinTime(sim);
      return;
    }
    const t = sim;
    this.lastSim = sim;
    if (this.started && t < this.t) {
      this.stats.resets++;
      this.o.logger?.info({ from_ms: this.t, to_ms: t }, 'gazebo clock went back (world reset)');
    }
    this.started = true;
    this.t = t;
    // Fire what is due, including timers armed by callbacks for the same instant.
    while (this.timers.length > 0 && this.timers[0]!.due <= this.t) {
      const timer = this.timers.shift()!;
      try {
        timer.fn();
      } catch (err) {
        this.o.logger?.error({ err }, 'gazebo clock: timer callback threw');
      }
    }
    for (const w of [...this.waiters]) w();
  }

  private reject(e: Failure): void {
    this.stats.rejected++;
    this.lastError = e;
    this.o.onError?.(e);
  }

  /** `twin` mode: time from 0, monotonic; timers fire at their due time. */
  private onTwinTime(sim: number): void {
    if (!this.started) {
      this.offset = sim;
    } else if (sim < this.lastSim) {
      this.stats.resets++;
      const from = this.lastSim;
      this.offset = sim - this.t;
      this.lastSim = sim;
      const e: Failure = {
        code: 'GZ.CLOCK_BACKWARDS',
        message: `${gazeboClockTopic(this.o)} went back from ${(from / 1000).toFixed(3)} s to ${(sim / 1000).toFixed(3)} s (world reset?): the twin's time holds at ${(this.t / 1000).toFixed(3)} s and advances with Gazebo's from here`,
      };
      this.lastError = e;
      this.o.logger?.warn({ from_ms: from, to_ms: sim }, e.message);
      this.o.onError?.(e);
      return;
    }
    this.started = true;
    this.lastSim = sim;
    const t = sim - this.offset;
    while (this.timers.length > 0 && this.timers[0]!.due <= t) {
      const timer = this.timers.shift()!;
      this.t = Math.max(this.t, timer.due);
      try {
        timer.fn();
      } catch (err) {
        this.o.logger?.error({ err }, 'gazebo clock: timer callback threw');
      }
    }
    this.t = Math.max(this.t, t);
    for (const w of [...this.waiters]) w();
  }
}
