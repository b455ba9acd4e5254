/**
 * The one source of time for the runtime (STYLE §6). Times are milliseconds.
 *
 * @remarks
 * Both implementations satisfy XState's `Clock` (`setTimeout`/`clearTimeout`), so the same
 * instance is passed to `createActor(machine, { clock })` and to every simulator. Nothing else
 * in machines/, actors/ or hardware/sim/ reads wall time.
 */
export interface Clock {
  /** Milliseconds since the clock's epoch (sim time for the virtual clock, Unix ms for wall). */
  now(): number;
  setTimeout(fn: (...args: unknown[]) => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
  /**
   * Tells the clock that a promise was settled inside a timer callback, so the virtual clock
   * lets its continuations run before time moves on. A no-op on the wall clock.
   */
  notifyAsync(): void;
  readonly kind: 'virtual' | 'wall';
}

export type TimerHandle = number | { readonly __timer: unique symbol };

interface Timer {
  t: number;
  seq: number;
  id: number;
  fn: (...args: unknown[]) => void;
  cancelled: boolean;
}

/** Lets all queued promise continuations run (a macrotask boundary). */
const drainMicrotasks = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export interface RunOptions {
  /** Stop once sim time reaches this (ms). */
  until?: number;
  /** Stop as soon as this returns true (checked after each batch of timers). */
  stopWhen?: () => boolean;
  /**
   * Sim seconds per wall second. `Infinity` (default) runs as fast as possible; 1 is real time.
   */
  speed?: number;
  /** Called after each batch with the current sim time; used for progress bars. */
  onProgress?: (nowMs: number) => void;
  /** How often (sim ms) onProgress fires and, when paced, how often we yield. Default 1000. */
  progressEveryMs?: number;
  /** An abort signal that stops the run between batches. */
  signal?: AbortSignal;
}

/**
 * A discrete-event clock: time only moves when the runner advances it, jumping straight to the
 * next timer. Timers due at the same instant fire in the order they were set, so a run is
 * reproducible bit for bit.
 *
 * @example
 * const clock = new VirtualClock();
 * clock.setTimeout(() => log.push(clock.now()), 1500);
 * await clock.run({ until: 2000 }); // log = [1500], clock.now() = 2000
 */
export class VirtualClock implements Clock {
  readonly kind = 'virtual' as const;
  private t: number;
  private seq = 0;
  private nextId = 1;
  private readonly heap: Timer[] = [];
  private readonly live = new Map<number, Timer>();
  private drainRequested = false;

  constructor(startMs = 0) {
    this.t = startMs;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: (...args: unknown[]) => void, ms: number): TimerHandle {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const timer: Timer = { t: this.t + delay, seq: this.seq++, id: this.nextId++, fn, cancelled: false };
    this.push(timer);
    this.live.set(timer.id, timer);
    return timer.id as TimerHandle;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (typeof handle !== 'number') return;
    const timer = this.live.get(handle);
    if (timer) {
      timer.cancelled = true;
      this.live.delete(handle);
    }
  }

  notifyAsync(): void {
    this.drainRequested = true;
  }

  /** Number of pending (not cancelled) timers. */
  get pending(): number {
    return this.live.size;
  }

  /** Sim time of the next pending timer, or undefined when none is pending. */
  nextAt(): number | undefined {
    this.dropCancelledTop();
    return this.heap[0]?.t;
  }

  /**
   * Fires every timer due at the next instant (synchronously) and moves time there, unless that
   * instant is past `limit`. Returns false when nothing was fired.
   */
  step(limit = Infinity): boolean {
    const next = this.nextAt();
    if (next === undefined || next > limit) return false;
    this.t = next;
    while (this.heap.length > 0 && this.heap[0]!.t === next) {
      const timer = this.pop()!;
      if (timer.cancelled) continue;
      this.live.delete(timer.id);
      timer.fn();
    }
    return true;
  }

  /** Synchronously fires timers up to `ms` from now and sets the time to now + ms. */
  advanceSync(ms: number): void {
    const target = this.t + ms;
    while (this.step(target)) {
      /* keep firing */
    }
    this.t = Math.max(this.t, target);
  }

  /** Advances by `ms`, letting promise continuations run at the sim time they belong to. */
  async advance(ms: number): Promise<void> {
    await this.run({ until: this.t + ms });
  }

  /** Runs until `until`, `stopWhen`, the abort signal or no timers left, whichever is first. */
  async run(options: RunOptions = {}): Promise<void> {
    const { until = Infinity, stopWhen, speed = Infinity, onProgress, signal } = options;
    const every = options.progressEveryMs ?? 1000;
    const paced = Number.isFinite(speed) && speed > 0;
    const wallStart = performance.now();
    const simStart = this.t;
    let nextProgress = this.t + every;
    // One turn before starting: the caller's own continuations (a promise it just settled) run
    // at the current instant.
    await Promise.resolve();
    await this.drainIfRequested();
    for (;;) {
      if (signal?.aborted) return;
      if (stopWhen?.()) return;
      const next = this.nextAt();
      if (next === undefined || next > until) break;
      if (paced) {
        // Sleep (in wall time) until this instant is due; the only wall-time read in the runtime.
        const dueWall = wallStart + (next - simStart) / speed;
        const wait = dueWall - performance.now();
        // Paced runs share the process with sockets: let I/O in before every instant. A sleep
        // resumes in the timers phase, before pending datagrams are read, so yield once more.
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        await drainMicrotasks();
        if (signal?.aborted) return;
      }
      this.step(until);
      // Only a settled promise needs a turn of the event loop; most instants have none.
      if (this.drainRequested) await this.drainIfRequested();
      if (this.t >= nextProgress) {
        nextProgress = this.t + every;
        onProgress?.(this.t);
      }
    }
    if (until !== Infinity && this.t < until && !stopWhen?.()) this.t = until;
    onProgress?.(this.t);
  }

  private async drainIfRequested(): Promise<void> {
    // Continuations may settle further promises and request again; loop until quiet.
    while (this.drainRequested) {
      this.drainRequested = false;
      await drainMicrotasks();
    }
  }

  private dropCancelledTop(): void {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.pop();
  }

  private less(a: Timer, b: Timer): boolean {
    return a.t < b.t || (a.t === b.t && a.seq < b.seq);
  }

  private push(timer: Timer): void {
    const h = this.heap;
    h.push(timer);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): Timer | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

/** Real time, for the field. */
export class WallClock implements Clock {
  readonly kind = 'wall' as const;
  now(): number {
    return Date.now();
  }
  setTimeout(fn: (...args: unknown[]) => void, ms: number): TimerHandle {
    return setTimeout(fn, ms) as unknown as TimerHandle;
  }
  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle !== undefined) clearTimeout(handle as unknown as NodeJS.Timeout);
  }
  notifyAsync(): void {}
}

/** Resolves after `ms` on the given clock (honours an abort signal). */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const h = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      clock.notifyAsync();
      resolve();
    }, ms);
    const onAbort = () => {
      clock.clearTimeout(h);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Runs `fn` once, `ms` of clock time from now; returns the handle for `clock.clearTimeout`. */
export function after(clock: Clock, ms: number, fn: () => void): TimerHandle {
  return clock.setTimeout(fn, ms);
}

/**
 * Waits on the clock for the first value `listen` reports, or `fallback` after `timeout_ms` of
 * clock time or on abort. `listen` subscribes with the settle function it is given and returns
 * its unsubscribers; everything is released on the first outcome, and the virtual clock is told
 * (`notifyAsync`) so the waiter continues at the sim time it belongs to.
 */
export function waitOnClock<T>(
  clock: Clock,
  timeout_ms: number,
  fallback: T,
  listen: (settle: (value: T) => void) => readonly (() => void)[],
  signal?: AbortSignal,
): Promise<T> {
  return new Promise((resolve) => {
    let settled = false;
    let unsubs: readonly (() => void)[] = [];
    const settle = (value: T) => {
      if (settled) return;
      settled = true;
      for (const u of unsubs) u();
      clock.clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      clock.notifyAsync();
      resolve(value);
    };
    const onAbort = () => settle(fallback);
    const timer = after(clock, timeout_ms, () => settle(fallback));
    signal?.addEventListener('abort', onAbort, { once: true });
    unsubs = listen(settle);
    if (settled) for (const u of unsubs) u();
  });
}
