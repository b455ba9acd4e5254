/**
 * A queue that writes in batches: at `batchSize` items at once, otherwise on the next turn of
 * the event loop (`setImmediate`), so a burst of appends from one clock instant becomes one
 * transaction and the producer (the bus, the event log) never waits on the disk.
 *
 * @remarks
 * A batch that fails to commit stays queued and is retried at the next flush (the writes are
 * idempotent), so nothing is dropped because of one transient error (SQLITE_BUSY, a full disk
 * that is cleared). Only past `maxQueued` items does the writer shed the oldest, and counts them.
 */

export interface BatchWriterOptions<T> {
  /** Writes one batch in one transaction; throws on failure. */
  readonly write: (items: readonly T[]) => void;
  /** Items per transaction. Default 1000. */
  readonly batchSize?: number;
  /** Queue bound before the oldest items are shed. Default 1,000,000. */
  readonly maxQueued?: number;
  readonly onError?: (error: unknown) => void;
  /** Observes each committed batch (metrics). */
  readonly onBatch?: (count: number, seconds: number) => void;
}

export class BatchWriter<T> {
  private queue: T[] = [];
  private scheduled: ReturnType<typeof setImmediate> | undefined;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  /** Items committed so far. */
  written = 0;
  /** Items shed because the queue overflowed. */
  dropped = 0;
  /** Failed commits (each retried). */
  failures = 0;
  private readonly batchSize: number;
  private readonly maxQueued: number;

  constructor(private readonly options: BatchWriterOptions<T>) {
    this.batchSize = options.batchSize ?? 1000;
    this.maxQueued = options.maxQueued ?? 1_000_000;
  }

  get pending(): number {
    return this.queue.length;
  }

  push(item: T): void {
    if (this.closed) return;
    this.queue.push(item);
    if (this.queue.length >= this.batchSize) this.flush();
    else if (this.scheduled === undefined) this.scheduled = setImmediate(() => this.flush());
  }

  /** Writes everything queued now, in `batchSize` transactions. Returns false if one failed. */
  flush(): boolean {
    if (this.scheduled !== undefined) {
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
    }
    while (this.queue.length > 0) {
      const n = Math.min(this.batchSize, this.queue.length);
      const batch = n === this.queue.length ? this.queue : this.queue.slice(0, n);
      const t0 = performance.now();
      try {
        this.options.write(batch);
      } catch (error) {
        this.failures++;
        this.options.onError?.(error);
        this.shed();
        // Retry later rather than spin on a persistent failure.
        if (!this.closed && this.retry === undefined) {
          this.retry = setTimeout(() => {
            this.retry = undefined;
            this.flush();
          }, 100);
          this.retry.unref();
        }
        return false;
      }
      this.written += n;
      this.options.onBatch?.(n, (performance.now() - t0) / 1000);
      if (n === this.queue.length) this.queue = [];
      else this.queue.splice(0, n);
    }
    return true;
  }

  /** Flushes and stops accepting items. */
  close(): boolean {
    const ok = this.flush();
    this.closed = true;
    clearTimeout(this.retry);
    this.retry = undefined;
    return ok;
  }

  private shed(): void {
    const over = this.queue.length - this.maxQueued;
    if (over > 0) {
      this.queue.splice(0, over);
      this.dropped += over;
    }
  }
}
