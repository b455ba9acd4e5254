/**
 * The append-only event log: every port event, actor state change and command, stamped with
 * sim time. Its SHA-256 is the run's fingerprint: same scenario + seed ⇒ same hash.
 *
 * @remarks
 * Entries are hashed as canonical JSON lines as they are appended, so the digest costs nothing
 * at the end of a run. Nothing here may carry wall time or anything else that differs between
 * two runs of the same seed.
 */
import { createHash, type Hash } from 'node:crypto';

export interface LogEntry {
  readonly seq: number;
  /** Sim time (ms). */
  readonly t_ms: number;
  /** Who it is about: `drone1`, `vehicle:drone1`, `mission:drone1`, `fleet`, `scenario`. */
  readonly source: string;
  readonly type: string;
  readonly data?: Readonly<Record<string, unknown>>;
  /** Correlation id of the request that caused it, when there is one. */
  readonly cid?: string;
}

export type LogSink = (entry: LogEntry, line: string) => void;

export interface EventLogOptions {
  /**
   * How many of the most recent entries stay in memory (`entries`, `toJsonl`); default all of
   * them. A twin that runs for days (`twin start`) keeps a window and streams everything to its
   * sinks (the store); `twin run` keeps all, its report and `--events` need the whole log. 0 keeps
   * none. The hash and the sinks always see every entry.
   */
  readonly window?: number;
}

export class EventLog {
  private items: LogEntry[] = [];
  private readonly hash: Hash = createHash('sha256');
  private readonly sinks: LogSink[] = [];
  private digest: string | undefined;
  /** Entries kept in memory; Infinity = all. */
  readonly window: number;

  /** `false` is the older spelling of `{ window: 0 }`. */
  constructor(options: EventLogOptions | boolean = {}) {
    const o = typeof options === 'boolean' ? { window: options ? Infinity : 0 } : options;
    const w = o.window ?? Infinity;
    if (!(w >= 0)) throw new RangeError(`EventLog: window must be >= 0, got ${w}`);
    this.window = w;
  }

  append(t_ms: number, source: string, type: string, data?: Record<string, unknown>, cid?: string): LogEntry {
    const entry: LogEntry = { seq: this.count, t_ms, source, type, ...(data ? { data } : {}), ...(cid ? { cid } : {}) };
    const line = JSON.stringify(entry);
    if (this.digest !== undefined) throw new Error('EventLog: append after sha256() was taken');
    this.hash.update(line + '\n');
    this.count++;
    if (this.window > 0) {
      this.items.push(entry);
      // Trim in batches (amortised O(1) per entry): up to twice the window is held between trims.
      if (this.items.length >= 2 * this.window) this.items = this.items.slice(this.items.length - this.window);
    }
    for (const sink of this.sinks) sink(entry, line);
    return entry;
  }

  /** Entries appended so far (all of them, whatever the window). */
  count = 0;

  /** The entries in memory, oldest first: all of them, or the last `window` (see `seq` for where they start). */
  get entries(): readonly LogEntry[] {
    return this.items.length > this.window ? this.items.slice(this.items.length - this.window) : this.items;
  }

  /** Streams every later entry (storage, recorders, bridges). */
  addSink(sink: LogSink): () => void {
    this.sinks.push(sink);
    return () => {
      const i = this.sinks.indexOf(sink);
      if (i >= 0) this.sinks.splice(i, 1);
    };
  }

  /** The digest of everything appended (in or out of the window); the log is closed afterwards. */
  sha256(): string {
    this.digest ??= this.hash.digest('hex');
    return this.digest;
  }

  /** The entries in memory as JSON lines, one entry per line. */
  toJsonl(): string {
    const items = this.entries;
    return items.map((e) => JSON.stringify(e)).join('\n') + (items.length ? '\n' : '');
  }
}
