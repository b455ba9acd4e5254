/**
 * Plays a recording back onto a bus at its recorded times, scaled: the replay side of
 * `twin replay`.
 *
 * @remarks
 * Paced on the wall clock (this is an operator service, not the runtime): a message recorded at
 * `t` goes out at `start + (t - t0) / speed` wall ms. Messages due together go out in one batch,
 * in recorded order. The replay clock's `now()` is the recording's time being played, so the
 * bridge stamps latched messages with recorded time.
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import type { RecordedMessage } from './mcap-reader.js';

/** The recording's time as it is being played: `now()` in recorded ms. */
export class ReplayClock implements Clock {
  readonly kind = 'wall' as const;
  private origin_ms = 0;
  private wallStart = performance.now();
  private speed = 1;
  private end_ms = 0;

  /** Starts playing `from` (recorded ms) now, at `speed`, never past `until`. */
  play(from: number, until: number, speed: number): void {
    this.origin_ms = from;
    this.end_ms = until;
    this.speed = speed;
    this.wallStart = performance.now();
  }

  now(): number {
    if (!Number.isFinite(this.speed)) return this.end_ms;
    return Math.min(this.end_ms, this.origin_ms + (performance.now() - this.wallStart) * this.speed);
  }

  setTimeout(fn: (...args: unknown[]) => void, ms: number): TimerHandle {
    return setTimeout(fn, ms) as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle !== undefined) clearTimeout(handle as unknown as NodeJS.Timeout);
  }

  notifyAsync(): void {}
}

export interface ReplayOptions {
  /** Recorded seconds per wall second; Infinity = as fast as possible. Default 1. */
  readonly speed?: number;
  readonly signal?: AbortSignal;
  /** After each batch, with the recorded time (ms) reached. */
  readonly onProgress?: (t_ms: number) => void;
}

export interface ReplayOutcome {
  readonly published: number;
  /** Recorded ms from the first to the last message played. */
  readonly span_ms: number;
  readonly aborted: boolean;
}

/** Publishes `messages` (in time order) through `publish`; resolves when all went out or on abort. */
export async function replayMessages(
  messages: readonly RecordedMessage[],
  publish: (busTopic: string, msg: unknown) => void,
  clock: ReplayClock,
  options: ReplayOptions = {},
): Promise<ReplayOutcome> {
  const speed = options.speed ?? 1;
  if (!(speed > 0)) throw new RangeError(`replay speed must be > 0, got ${speed}`);
  const t0 = messages[0]?.t_ms ?? 0;
  const tEnd = messages.at(-1)?.t_ms ?? t0;
  clock.play(t0, tEnd, speed);
  let i = 0;
  while (i < messages.length) {
    if (options.signal?.aborted) return { published: i, span_ms: (messages[i - 1]?.t_ms ?? t0) - t0, aborted: true };
    const now = clock.now();
    let batch = 0;
    // Unpaced: yield every 2,000 messages so sockets get written.
    while (i < messages.length && messages[i]!.t_ms <= now && batch < (Number.isFinite(speed) ? Infinity : 2000)) {
      const m = messages[i++]!;
      publish(m.busTopic, m.msg);
      batch++;
    }
    options.onProgress?.(messages[i - 1]?.t_ms ?? t0);
    if (i >= messages.length) break;
    const wait_ms = Number.isFinite(speed) ? Math.max(0, (messages[i]!.t_ms - clock.now()) / speed) : 0;
    await new Promise<void>((resolve) => {
      const onAbort = () => {
        if (timer !== undefined) clearTimeout(timer);
        else if (immediate !== undefined) clearImmediate(immediate);
        resolve();
      };
      const done = () => {
        options.signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      // Wake at least once a second: the clock is the wall clock, a long gap is waited in steps.
      const timer = wait_ms > 0 ? setTimeout(done, Math.min(wait_ms, 1000)) : undefined;
      const immediate = wait_ms > 0 ? undefined : setImmediate(done);
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
  return { published: i, span_ms: (messages[i - 1]?.t_ms ?? t0) - t0, aborted: false };
}
