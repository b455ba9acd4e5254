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
  /**
   * Holds the clock for outside work (an HPC job, a blob write): until the hold is released, the
   * virtual clock does not move past the sim time at which it was taken, so the work's outcome
   * is handled at that sim time however long it takes in wall time. A no-op on the wall clock.
   * Optional: clocks without it never wait (see {@link holdClock}).
   */
  hold?(reason: string): ClockHold;
  readonly kind: 'virtual' | 'wall';
}

/** An open hold on a clock (see {@link Clock.hold}); `release()` is idempotent. */
export interface ClockHold {
  readonly reason: string;
  /** Clock time at which the hold was taken, ms. */
  readonly at_ms: number;
  release(): void;
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

/** A clock the scenario runner can run: the virtual clock in simulation, the wall clock in the field. */
export interface RunnableClock extends Clock {
  /** Runs until `until`, `stopWhen` or the abort signal (the virtual clock also stops when no timer is left). */
  run(options?: RunOptions): Promise<void>;
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
export class VirtualClock implements RunnableClock {
  readonly kind = 'virtual' as const;
  private t: number;
  /**
   * Set while a paced run sleeps between instants: sockets deliver in wall time then, so `now()`
   * follows the wall (at the run's speed) up to the next timer, instead of reading the instant of
   * the last timer. A timer armed from an I/O callback is therefore not early.
   */
  private pacing: { wallStart: number; simStart: number; speed: number; limit: number } | undefined;
  private firing = false;
  /** While a paced run sleeps until sim time `before`: wakes it (an earlier timer was armed). */
  private wake: { before: number; fn: () => void } | undefined;
  private seq = 0;
  private nextId = 1;
  private readonly heap: Timer[] = [];
  private readonly live = new Map<number, Timer>();
  private drainRequested = false;
  /** Open holds (see {@link hold}) and who waits for the last one to be released. */
  private readonly holds = new Map<number, ClockHold>();
  private nextHold = 1;
  private onReleased: (() => void) | undefined;
  /** Set from the last release until the run loop has let the held work's continuations run. */
  private settling = false;

  constructor(startMs = 0) {
    this.t = startMs;
  }

  now(): number {
    const p = this.pacing;
    // While held, time stays where the (first) hold pinned it.
    if (p && !this.firing && this.holds.size === 0 && !this.settling) {
      // Wall-derived time, never past the next timer (timers fire in order) nor the run's end.
      const wall = p.simStart + (performance.now() - p.wallStart) * p.speed;
      const cap = Math.min(this.nextAt() ?? Infinity, p.limit);
      if (wall > this.t) this.t = Math.min(wall, cap);
    }
    return this.t;
  }

  setTimeout(fn: (...args: unknown[]) => void, ms: number): TimerHandle {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const timer: Timer = { t: this.now() + delay, seq: this.seq++, id: this.nextId++, fn, cancelled: false };
    this.push(timer);
    this.live.set(timer.id, timer);
    if (this.wake && timer.t < this.wake.before) this.wake.fn();
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

  /**
   * Holds sim time at `now()` until released: a running `run`/`advance` fires the timers due at
   * this instant, then waits (yielding to I/O) for every hold to be released before it moves on,
   * so whatever the held work does when it completes happens at this sim time, whatever its wall
   * duration. A paced run resumes its pacing from where it was (the held wall time is not caught
   * up). `advanceSync` cannot wait and ignores holds. The held work must not itself wait on
   * this clock's timers (it would never complete).
   *
   * @example
   * const h = clock.hold('blob write');
   * try { await blobs.put(key, bytes, type); } finally { h.release(); }
   */
  hold(reason: string): ClockHold {
    const id = this.nextHold++;
    const at_ms = this.now();
    let open = true;
    const h: ClockHold = {
      reason,
      at_ms,
      release: () => {
        if (!open) return;
        open = false;
        this.holds.delete(id);
        if (this.holds.size === 0) {
          // The held work's continuations read the held instant, not the wall (see runLoop).
          if (this.pacing) this.settling = true;
          const f = this.onReleased;
          this.onReleased = undefined;
          f?.();
        }
      },
    };
    this.holds.set(id, h);
    return h;
  }

  /** The reasons of the holds open now (diagnostics). */
  get held(): readonly string[] {
    return [...this.holds.values()].map((h) => h.reason);
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
    this.t = Math.max(this.t, next);
    const instant = this.t;
    this.firing = true;
    try {
      while (this.heap.length > 0 && this.heap[0]!.t <= instant) {
        const timer = this.pop()!;
        if (timer.cancelled) continue;
        this.live.delete(timer.id);
        timer.fn();
      }
    } finally {
      this.firing = false;
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
    if (paced) this.pacing = { wallStart, simStart, speed, limit: until };
    try {
      await this.runLoop(options, { until, paced, wallStart, simStart, speed, every, nextProgress });
    } finally {
      this.pacing = undefined;
    }
  }

  private async runLoop(
    { stopWhen, onProgress, signal }: RunOptions,
    o: { until: number; paced: boolean; wallStart: number; simStart: number; speed: number; every: number; nextProgress: number },
  ): Promise<void> {
    const { until, paced, simStart, speed, every } = o;
    let { nextProgress, wallStart } = o;
    // One turn before starting: the caller's own continuations (a promise it just settled) run
    // at the current instant.
    await Promise.resolve();
    await this.drainIfRequested();
    for (;;) {
      if (signal?.aborted) return;
      if (this.holds.size > 0) {
        // Outside work holds the clock: nothing moves until it is done. Pacing then resumes
        // from here rather than catching up the wall time spent waiting (see hold()).
        const released = await this.whenReleased(signal);
        if (released) {
          await this.drainIfRequested();
          await drainMicrotasks();
        }
        this.settling = false;
        // A paced run resumes its pacing from the held instant (no catching up).
        if (this.pacing) wallStart = this.pacing.wallStart = performance.now() - (this.t - simStart) / speed;
        if (!released) return;
        continue;
      }
      if (stopWhen?.()) return;
      const next = this.nextAt();
      if (next === undefined || next > until) break;
      if (paced) {
        // Sleep (in wall time) until this instant is due; the only wall-time read in the runtime.
        const dueWall = wallStart + (next - simStart) / speed;
        const wait = dueWall - performance.now();
        // Paced runs share the process with sockets: let I/O in before every instant. A sleep
        // resumes in the timers phase, before pending datagrams are read, so yield once more.
        if (wait > 1) await this.sleepUnlessEarlier(wait, next);
        await drainMicrotasks();
        if (signal?.aborted) return;
        // A hold was taken from an I/O callback while we slept: wait for it before this instant.
        if (this.holds.size > 0) continue;
        // An I/O callback armed an earlier timer while we slept: pace to that one first.
        if ((this.nextAt() ?? Infinity) < next) continue;
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

  /** Resolves true once no hold is open, false on abort. */
  private whenReleased(signal: AbortSignal | undefined): Promise<boolean> {
    if (this.holds.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const onAbort = () => {
        this.onReleased = undefined;
        resolve(false);
      };
      if (signal?.aborted) return resolve(false);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.onReleased = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      };
    });
  }

  /** Wall sleep of `wait_ms`, cut short when a timer due before sim time `next` is armed. */
  private sleepUnlessEarlier(wait_ms: number, next: number): Promise<void> {
    return new Promise((resolve) => {
      const h = setTimeout(done, wait_ms);
      const self = this;
      function done(): void {
        clearTimeout(h);
        self.wake = undefined;
        resolve();
      }
      this.wake = { before: next, fn: done };
    });
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

export interface WallClockOptions {
  /**
   * Clock seconds per wall second (default 1). Above 1 for a SITL that runs faster than real
   * time (PX4_SIM_SPEED_FACTOR): timeouts shrink with it, so link-loss detection keeps pace.
   */
  readonly speed?: number;
  /** What `now()` reads at construction, in ms (default `Date.now()`; 0 for a run's own time axis). */
  readonly startMs?: number;
}

/**
 * Time that follows the wall clock, for the field: `now()` is read fresh from the monotonic wall
 * clock on every call (from an I/O callback too), and a timer never fires before `now()` has
 * reached its due time (Node may wake a millisecond early: it is re-armed for the rest).
 *
 * @example
 * const clock = new WallClock({ startMs: 0, speed: 1 }); // a run's time axis, from 0 ms
 * clock.setTimeout(() => log(clock.now()), 1500);       // logs ≥ 1500, 1.5 s later
 */
export class WallClock implements RunnableClock {
  readonly kind = 'wall' as const;
  readonly speed: number;
  private readonly wallStart = performance.now();
  private readonly epoch: number;
  private nextId = 1;
  private readonly timers = new Map<number, NodeJS.Timeout>();

  constructor(options: WallClockOptions = {}) {
    const speed = options.speed ?? 1;
    if (!(Number.isFinite(speed) && speed > 0)) throw new RangeError(`WallClock: speed must be a positive finite factor, got ${speed}`);
    this.speed = speed;
    this.epoch = options.startMs ?? Date.now();
  }

  now(): number {
    return this.epoch + (performance.now() - this.wallStart) * this.speed;
  }

  setTimeout(fn: (...args: unknown[]) => void, ms: number): TimerHandle {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const due = this.now() + delay;
    const id = this.nextId++;
    const arm = (clockMs: number) => {
      this.timers.set(
        id,
        setTimeout(() => {
          const left = due - this.now();
          if (left > 0) return arm(left); // woke early (timer granularity): wait for the rest
          this.timers.delete(id);
          fn();
        }, clockMs / this.speed),
      );
    };
    arm(delay);
    return id as TimerHandle;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (typeof handle !== 'number') return;
    const h = this.timers.get(handle);
    if (h !== undefined) clearTimeout(h);
    this.timers.delete(handle);
  }

  notifyAsync(): void {}

  /** A no-op: wall time does not wait (the work's outcome lands when it lands). */
  hold(reason: string): ClockHold {
    return { reason, at_ms: this.now(), release: () => {} };
  }

  /** Number of pending timers. */
  get pending(): number {
    return this.timers.size;
  }

  /**
   * Cancels every pending timer and returns how many there were. For the owner of the clock once
   * everything living on it has stopped: a wall-clock timer is a real one, and one left behind
   * keeps the process alive (and fires into components already torn down).
   */
  cancelAll(): number {
    const n = this.timers.size;
    for (const h of this.timers.values()) clearTimeout(h);
    this.timers.clear();
    return n;
  }

  /**
   * Waits (in wall time) until `until`, `stopWhen` (polled every few ms) or the abort signal.
   * `speed` in the options is ignored: the clock's own speed applies.
   */
  run(options: RunOptions = {}): Promise<void> {
    const { until = Infinity, stopWhen, onProgress, signal } = options;
    const every = options.progressEveryMs ?? 1000;
    return new Promise<void>((resolve) => {
      const poll = setInterval(() => check(), POLL_MS);
      const progress = onProgress ? setInterval(() => onProgress(this.now()), every / this.speed) : undefined;
      const end = Number.isFinite(until) ? this.setTimeout(() => check(), until - this.now()) : undefined;
      const finish = () => {
        clearInterval(poll);
        if (progress) clearInterval(progress);
        this.clearTimeout(end);
        signal?.removeEventListener('abort', finish);
        onProgress?.(this.now());
        resolve();
      };
      const check = () => {
        if (signal?.aborted || stopWhen?.() || this.now() >= until) finish();
      };
      signal?.addEventListener('abort', finish, { once: true });
      check();
    });
  }
}

/** How often a wall-clock run checks its `stopWhen` (ms of wall time). */
const POLL_MS = 10;

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
  // Already aborted: nothing to wait for (and an abort event will never come).
  if (signal?.aborted) return Promise.resolve(fallback);
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

/**
 * Runs `work` under a hold on `clock` (see {@link Clock.hold}; clocks without holds just await
 * it): the hold is released once the work has settled, so a virtual clock handles its outcome at
 * the sim time the work started. Returns the work's own promise outcome.
 */
export async function holdClock<T>(clock: Clock, reason: string, work: () => Promise<T>): Promise<T> {
  const h = clock.hold?.(reason);
  try {
    return await work();
  } finally {
    h?.release();
    clock.notifyAsync();
  }
}
