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

export class EventLog {
  private readonly items: LogEntry[] = [];
  private readonly hash: Hash = createHash('sha256');
  private readonly sinks: LogSink[] = [];
  private digest: string | undefined;

  constructor(private readonly keepInMemory = true) {}

  append(t_ms: number, source: string, type: string, data?: Record<string, unknown>, cid?: string): LogEntry {
    const entry: LogEntry = { seq: this.count, t_ms, source, type, ...(data ? { data } : {}), ...(cid ? { cid } : {}) };
    const line = JSON.stringify(entry);
    if (this.digest !== undefined) throw new Error('EventLog: append after sha256() was taken');
    this.hash.update(line + '\n');
    this.count++;
    if (this.keepInMemory) this.items.push(entry);
    for (const sink of this.sinks) sink(entry, line);
    return entry;
  }

  count = 0;

  get entries(): readonly LogEntry[] {
    return this.items;
  }

  /** Streams every later entry (storage, recorders, bridges). */
  addSink(sink: LogSink): () => void {
    this.sinks.push(sink);
    return () => {
      const i = this.sinks.indexOf(sink);
      if (i >= 0) this.sinks.splice(i, 1);
    };
  }

  /** The digest of everything appended; the log is closed afterwards. */
  sha256(): string {
    this.digest ??= this.hash.digest('hex');
    return this.digest;
  }

  /** JSON lines, one entry per line. */
  toJsonl(): string {
    return this.items.map((e) => JSON.stringify(e)).join('\n') + (this.items.length ? '\n' : '');
  }
}
