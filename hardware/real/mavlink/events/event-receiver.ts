/**
 * The receiving side of the MAVLink events protocol (https://mavlink.io/en/services/events.html)
 * for one sending component, after libevents' `ReceiveProtocol` (`libs/cpp/protocol/receive.h`),
 * which QGroundControl uses.
 *
 * @remarks
 * - Events are delivered exactly once and in sequence order. An EVENT newer than the next
 *   expected one means some were lost: it is dropped and the missing one is asked for with
 *   REQUEST_EVENT; the autopilot resends it (and we then ask for the rest, one at a time, up to
 *   the latest sequence seen). Older sequences are duplicates and dropped.
 * - CURRENT_EVENT_SEQUENCE (PX4: every 3 s) tells the latest sequence: events lost at the tail
 *   are found and requested. Its RESET flag (a reboot) restarts tracking; so does an event time
 *   that jumps back by more than 10 s.
 * - RESPONSE_EVENT_ERROR for the requested sequence: the autopilot no longer has it; the lost
 *   count is reported and tracking resumes at the oldest event it still has.
 * - An unanswered request is repeated every `retryMs` (100 ms as libevents), at most
 *   `maxRetries` times in a row, then the gap is given up (reported as lost) so a silent
 *   autopilot cannot keep us requesting forever.
 * Sequence comparisons wrap at 65 536. Timers come from the injected `after` (the session clock).
 */

export interface ReceivedEvent {
  readonly id: number;
  readonly sequence: number;
  readonly eventTimeBootMs: number;
  readonly logLevels: number;
  readonly arguments: readonly number[];
  readonly destinationSystem: number;
  readonly destinationComponent: number;
}

export interface EventReceiverOptions {
  /** Our system and component id (events for other destinations are tracked, not delivered). */
  readonly ourSystem: number;
  readonly ourComponent: number;
  /** Sends a REQUEST_EVENT for `first..last` to the sender. */
  readonly request: (first: number, last: number) => void;
  /** Delivers one event, in order. */
  readonly deliver: (e: ReceivedEvent) => void;
  /** Reports events the sender no longer had (or we gave up on). */
  readonly lost?: (count: number) => void;
  /** Schedules `fn` after `ms`; returns a cancel function. */
  readonly after: (ms: number, fn: () => void) => () => void;
  /** Wait for a requested event before asking again, ms (default 100). */
  readonly retryMs?: number;
  /** Requests of one sequence before giving up on it (default 10). */
  readonly maxRetries?: number;
}

export interface EventReceiverStats {
  delivered: number;
  duplicates: number;
  requests: number;
  lost: number;
  resets: number;
  /** Events addressed to another system or component. */
  notForUs: number;
}

const MAV_COMP_ID_ALL = 0;
const FLAG_RESET = 1;

type Cmp = 'older' | 'equal' | 'newer';
function compare(expected: number, incoming: number): Cmp {
  if (expected === incoming) return 'equal';
  return ((incoming - expected) & 0xffff) > 0x7fff ? 'older' : 'newer';
}

export class EventReceiver {
  readonly stats: EventReceiverStats = { delivered: 0, duplicates: 0, requests: 0, lost: 0, resets: 0, notForUs: 0 };
  private latest = 0;
  private hasSequence = false;
  private lastTimestamp = 0;
  private current: number | undefined;
  private cancelTimer: (() => void) | undefined;
  private retriesOfPending = 0;
  private readonly retryMs: number;
  private readonly maxRetries: number;

  constructor(private readonly o: EventReceiverOptions) {
    this.retryMs = o.retryMs ?? 100;
    this.maxRetries = o.maxRetries ?? 10;
  }

  /** The next sequence we expect, once tracking has started. */
  get expected(): number | undefined {
    return this.hasSequence ? (this.latest + 1) & 0xffff : undefined;
  }

  onEvent(e: ReceivedEvent): void {
    this.checkTimestampReset(e.eventTimeBootMs);
    if (!this.hasSequence) {
      this.hasSequence = true;
      this.latest = (e.sequence - 1) & 0xffff;
    }
    switch (compare((this.latest + 1) & 0xffff, e.sequence)) {
      case 'older':
        this.stats.duplicates++;
        return;
      case 'newer':
        // Dropped events: ask for the first missing one; this one is asked for again after
        // them (it now counts as the latest known, without waiting for CURRENT_EVENT_SEQUENCE).
        if (this.current === undefined || compare(this.current, e.sequence) === 'newer') this.current = e.sequence;
        this.requestNext();
        return;
      case 'equal':
        break;
    }
    this.latest = e.sequence;
    this.lastTimestamp = e.eventTimeBootMs;
    this.stopTimer();
    this.retriesOfPending = 0;
    if ((e.destinationSystem !== this.o.ourSystem && e.destinationSystem !== 0)
      || (e.destinationComponent !== this.o.ourComponent && e.destinationComponent !== MAV_COMP_ID_ALL)) {
      this.stats.notForUs++;
    } else {
      this.stats.delivered++;
      this.o.deliver(e);
    }
    // Deliver first, then ask for more: a synchronous answer must not overtake this event.
    if (this.current !== undefined && compare(this.latest, this.current) === 'newer') this.requestNext();
  }

  onCurrentSequence(sequence: number, flags: number): void {
    if (flags & FLAG_RESET) {
      if (this.hasSequence) this.stats.resets++;
      this.hasSequence = false;
    }
    if (!this.hasSequence) {
      this.hasSequence = true;
      this.latest = sequence & 0xffff;
    }
    this.current = sequence & 0xffff;
    if (compare(this.latest, this.current) === 'newer') this.requestNext();
  }

  onError(sequence: number, oldestAvailable: number): void {
    if (!this.hasSequence || compare((this.latest + 1) & 0xffff, sequence) !== 'equal') return;
    this.retriesOfPending = 0;
    if (compare(sequence, oldestAvailable) === 'newer') {
      this.reportLost((oldestAvailable - sequence) & 0xffff);
      this.latest = (oldestAvailable - 1) & 0xffff;
    } else {
      // Nothing kept after it (PX4 then names its latest, or an older one): what we still
      // expected up to the latest known sequence is gone; stop asking.
      const upTo = this.current !== undefined && compare(sequence, this.current) !== 'older' ? this.current : sequence;
      this.reportLost(((upTo - sequence) & 0xffff) + 1);
      this.latest = upTo;
    }
    // Only ask for more when there is more: the oldest available may be beyond the latest.
    if (this.current !== undefined && compare(this.latest, this.current) === 'newer') this.requestNext();
    else this.stopTimer();
  }

  dispose(): void {
    this.stopTimer();
  }

  private requestNext(): void {
    const seq = (this.latest + 1) & 0xffff;
    this.stats.requests++;
    // Timer first: an answer that arrives synchronously (in-process links) cancels it.
    this.stopTimer();
    this.cancelTimer = this.o.after(this.retryMs, () => this.onTimeout());
    this.o.request(seq, seq);
  }

  private onTimeout(): void {
    this.cancelTimer = undefined;
    if (++this.retriesOfPending >= this.maxRetries) {
      // The sender does not answer for this one: count it lost and move on.
      this.retriesOfPending = 0;
      this.reportLost(1);
      this.latest = (this.latest + 1) & 0xffff;
      if (this.current !== undefined && compare(this.latest, this.current) === 'newer') this.requestNext();
      return;
    }
    this.requestNext();
  }

  private reportLost(n: number): void {
    if (n <= 0) return;
    this.stats.lost += n;
    this.o.lost?.(n);
  }

  private stopTimer(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  private checkTimestampReset(ts: number): void {
    if (this.lastTimestamp === 0) this.lastTimestamp = ts;
    if (ts + 10_000 < this.lastTimestamp && this.lastTimestamp < 0xffffffff - 60_000) {
      this.stats.resets++;
      this.hasSequence = false;
      this.current = undefined;
    }
  }
}
