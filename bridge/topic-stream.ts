/**
 * One client's stream of one topic: rosbridge's throttle_rate and queue_length, plus the
 * backpressure that keeps a slow client from costing memory or time.
 *
 * @remarks
 * rosbridge sends a topic to a client once however many `subscribe` requests name it (roslib
 * dispatches by topic name, so a second copy would reach every listener twice); the requests are
 * merged as the spec says — the lowest throttle_rate, the highest queue_length, the lowest
 * fragment_size. A message is written at once when the socket is under its high-water mark, the
 * queue is empty and the throttle window is open; otherwise it waits in a ring of
 * `max(queue_length, 1)` slots, the oldest being dropped (and counted) when full. So
 * queue_length 0 keeps only the newest message — what a dashboard wants from a state topic —
 * and a stalled client holds at most `capacity` shared message references per topic.
 */
import type { Frame, OutCompression, OutgoingMessage } from './encoding.js';
import type { DropReason } from './metrics.js';
import type { HubSink } from './topic-hub.js';

/** What a stream needs from its client session. */
export interface StreamHost {
  /** True while the socket takes more (its buffered bytes are under the high-water mark). */
  writable(): boolean;
  write(frames: readonly Frame[]): void;
  /** Calls `stream.flush()` once the socket has drained. */
  awaitDrain(stream: TopicStream): void;
  /** Counts messages this stream dropped, and why. */
  onDropped(topic: string, count: number, reason: DropReason): void;
  /** Monotonic wall milliseconds (throttle windows are wall time: they pace a network link). */
  now(): number;
}

export interface StreamRequest {
  readonly throttle_ms: number;
  readonly queue_length: number;
  readonly fragment_size?: number;
  readonly compression: OutCompression;
  /** Points per message on point-cloud topics (our extension of `subscribe`); absent = the topic's default. */
  readonly point_budget?: number;
}

export class TopicStream implements HubSink {
  private readonly requests = new Map<string, StreamRequest>();
  private anon = 0;
  private throttle_ms = 0;
  private fragmentSize: number | undefined;
  private compression: OutCompression = 'none';
  private variant: number | undefined;
  private ring: (OutgoingMessage | undefined)[] = [undefined];
  private head = 0;
  private size = 0;
  private lastSent = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Messages written to the socket. */
  sent = 0;
  /** Messages dropped because the queue was full (throttled or congested). */
  dropped = 0;
  /** Set by the session once attached to the hub. */
  detach: (() => void) | undefined;

  constructor(
    readonly topic: string,
    private readonly host: StreamHost,
  ) {}

  /** Adds (or replaces, same id) a subscribe request; returns its key. */
  addRequest(id: string | undefined, request: StreamRequest): string {
    const key = id ?? `#${++this.anon}`;
    this.requests.delete(key);
    this.requests.set(key, request);
    this.recompute();
    return key;
  }

  /** Removes one request (by id) or all (no id); returns how many remain. */
  removeRequest(id?: string): number {
    if (id === undefined) this.requests.clear();
    else this.requests.delete(id);
    if (this.requests.size) this.recompute();
    return this.requests.size;
  }

  hasRequest(id: string): boolean {
    return this.requests.has(id);
  }

  get requestCount(): number {
    return this.requests.size;
  }

  get queued(): number {
    return this.size;
  }

  get settings() {
    return { throttle_ms: this.throttle_ms, capacity: this.ring.length, fragment_size: this.fragmentSize, compression: this.compression, point_budget: this.variant };
  }

  offer(message: OutgoingMessage): void {
    if (this.closed) return;
    if (this.size === 0 && (this.throttle_ms === 0 || this.host.now() - this.lastSent >= this.throttle_ms) && this.host.writable()) {
      this.send(message);
      return;
    }
    this.push(message);
    this.flush();
  }

  /** Sends what the throttle and the socket allow now; re-arms a timer or a drain wait for the rest. */
  flush(): void {
    while (this.size > 0 && !this.closed) {
      if (!this.host.writable()) {
        this.host.awaitDrain(this);
        return;
      }
      if (this.throttle_ms > 0) {
        const wait = this.lastSent + this.throttle_ms - this.host.now();
        if (wait > 0) {
          this.timer ??= setTimeout(() => {
            this.timer = undefined;
            this.flush();
          }, Math.ceil(wait));
          return;
        }
      }
      this.send(this.shift()!);
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.ring = [undefined];
    this.size = 0;
    this.detach?.();
  }

  private send(message: OutgoingMessage): void {
    this.host.write(message.frames(this.compression, this.fragmentSize, this.variant));
    this.sent++;
    if (this.throttle_ms > 0) this.lastSent = this.host.now();
  }

  private recompute(): void {
    const all = [...this.requests.values()];
    const last = all[all.length - 1]!;
    this.throttle_ms = Math.min(...all.map((r) => r.throttle_ms));
    const sizes = all.map((r) => r.fragment_size).filter((s): s is number => s !== undefined);
    this.fragmentSize = sizes.length ? Math.min(...sizes) : undefined;
    // The newest request names the encoding: one stream has one encoding.
    this.compression = last.compression;
    this.variant = last.point_budget;
    this.resize(Math.max(1, ...all.map((r) => r.queue_length)));
  }

  private resize(capacity: number): void {
    if (capacity === this.ring.length) return;
    const kept: OutgoingMessage[] = [];
    while (this.size > 0) kept.push(this.shift()!);
    const drop = Math.max(0, kept.length - capacity);
    if (drop) this.countDrop(drop, 'throttle');
    this.ring = new Array(capacity).fill(undefined);
    this.head = 0;
    for (const m of kept.slice(drop)) this.push(m);
  }

  private push(message: OutgoingMessage): void {
    const cap = this.ring.length;
    if (this.size === cap) {
      // Full: the oldest goes (rosbridge's queue semantics), and it is counted.
      this.ring[this.head] = message;
      this.head = (this.head + 1) % cap;
      // Congested socket or a closed throttle window: say which, for the metrics.
      this.countDrop(1, this.host.writable() ? 'throttle' : 'backpressure');
      return;
    }
    this.ring[(this.head + this.size) % cap] = message;
    this.size++;
  }

  private shift(): OutgoingMessage | undefined {
    if (this.size === 0) return undefined;
    const m = this.ring[this.head];
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.ring.length;
    this.size--;
    return m;
  }

  private countDrop(n: number, reason: DropReason): void {
    this.dropped += n;
    this.host.onDropped(this.topic, n, reason);
  }
}
