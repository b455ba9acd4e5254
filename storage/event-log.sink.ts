/**
 * Persists a twin's event log: an `EventLog.addSink` sink that queues entries and writes them
 * in batched transactions (see {@link BatchWriter}), so appending never waits on the disk.
 *
 * @example
 * const sink = attachEventLogSink(store, twin.log, { runId: 'session-1' });
 * // … run …
 * sink.close(); // flushes what is queued
 */
import type { EventLog, LogEntry } from '../actors/event-log.js';
import { BatchWriter } from './batch-writer.js';
import type { Store } from './store.js';

export interface EventLogSinkOptions {
  /** The run or session id the entries are stored under. */
  readonly runId: string;
  /** Entries per transaction. Default 1000. */
  readonly batchSize?: number;
  readonly onError?: (error: unknown) => void;
  /** Every entry, after it was queued (metrics count events and state occupancy here). */
  readonly observe?: (entry: LogEntry) => void;
  readonly onBatch?: (count: number, seconds: number) => void;
}

export interface EventLogSink {
  /** The function to pass to `EventLog.addSink`. */
  readonly sink: (entry: LogEntry) => void;
  readonly writer: BatchWriter<LogEntry>;
  flush(): boolean;
  /** Detaches from the log (when attached) and flushes. */
  close(): boolean;
}

export function createEventLogSink(store: Store, options: EventLogSinkOptions): EventLogSink {
  const { runId, observe } = options;
  const writer = new BatchWriter<LogEntry>({
    write: (batch) => store.events.insertBatch(runId, batch),
    batchSize: options.batchSize,
    onError: options.onError,
    onBatch: options.onBatch,
  });
  const sink = observe
    ? (entry: LogEntry) => {
        writer.push(entry);
        observe(entry);
      }
    : (entry: LogEntry) => writer.push(entry);
  return { sink, writer, flush: () => writer.flush(), close: () => writer.close() };
}

/** Creates a sink and attaches it to `log`; `close()` detaches and flushes. */
export function attachEventLogSink(store: Store, log: EventLog, options: EventLogSinkOptions): EventLogSink {
  const s = createEventLogSink(store, options);
  let detach: (() => unknown) | undefined = log.addSink(s.sink);
  return {
    ...s,
    close: () => {
      // Once only: EventLog's remover is not idempotent.
      detach?.();
      detach = undefined;
      return s.close();
    },
  };
}
