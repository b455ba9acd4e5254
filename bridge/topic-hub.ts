/**
 * Fan-out from the bus to client streams: one bus subscription per ROS topic, however many
 * clients listen, and one {@link OutgoingMessage} per bus message shared by all of them.
 *
 * @remarks
 * The hub subscribes to a bus topic when the first client stream attaches and lets go when the
 * last detaches, so the twin's `hasSubscribers` checks stay false — and its telemetry path free —
 * for topics nobody watches. Delivery runs inside the bus callback but each sink only writes to
 * a socket or pushes onto its own bounded queue (O(1)), so a slow client never holds up the
 * twin or the other clients.
 */
import type { Bus } from '../actors/bus.js';
import { OutgoingMessage } from './encoding.js';
import type { TopicCatalog, TopicDef } from './topic-catalog.js';

/** A client-side receiver of one topic (a `TopicStream`). */
export interface HubSink {
  offer(message: OutgoingMessage): void;
}

interface Channel {
  readonly def: TopicDef;
  readonly sinks: HubSink[];
  unsubscribe?: () => void;
  published: number;
  /** Loading topics: a load is running. */
  loading?: boolean;
  /** Loading topics: the newest bus message waiting for the running load to finish. */
  waiting?: { msg: unknown };
  /** Loading topics: bus messages replaced by a newer one before their load started. */
  skipped: number;
}

export interface TopicHubStats {
  readonly topic: string;
  readonly subscribers: number;
  readonly messages: number;
  /** Bus messages of a loading topic (images, scans) skipped because a newer one came first. */
  readonly skipped: number;
}

export class TopicHub {
  private readonly channels = new Map<string, Channel>();

  constructor(
    private readonly bus: Bus,
    private readonly catalog: TopicCatalog,
    private readonly onError: (error: unknown, topic: string) => void,
  ) {}

  /** Starts delivering `topic` to `sink`; returns the detach function. The topic must be in the catalog. */
  attach(topic: string, sink: HubSink): () => void {
    const def = this.catalog.topics.get(topic);
    if (!def) throw new Error(`TopicHub: no topic ${topic}`);
    let ch = this.channels.get(topic);
    if (!ch) {
      ch = { def, sinks: [], published: 0, skipped: 0 };
      this.channels.set(topic, ch);
    }
    ch.sinks.push(sink);
    if (!ch.unsubscribe) {
      const channel = ch;
      // The bus is typed by topic name; the catalog pairs each ROS topic with its bus topic.
      const onMsg = def.load ? (msg: unknown) => this.loadThenFanOut(channel, msg) : (msg: unknown) => this.fanOut(channel, msg);
      const bus = this.bus as unknown as Bus<Record<string, unknown>>;
      const offs = [def.busTopic, ...(def.moreBusTopics ?? [])].map((t) => bus.subscribe(t, onMsg));
      channel.unsubscribe = offs.length === 1 ? offs[0] : () => offs.forEach((off) => off());
    }
    let attached = true;
    return () => {
      if (!attached) return;
      attached = false;
      const c = this.channels.get(topic);
      if (!c) return;
      const i = c.sinks.indexOf(sink);
      if (i >= 0) c.sinks.splice(i, 1);
      if (c.sinks.length === 0) {
        c.unsubscribe?.();
        this.channels.delete(topic);
      }
    };
  }

  /** The latched value(s) of a topic as messages, for a new subscriber. */
  current(topic: string): OutgoingMessage[] {
    const def = this.catalog.topics.get(topic);
    if (!def?.current) return [];
    try {
      return def.current().map((msg) => new OutgoingMessage({ op: 'publish', topic, msg }));
    } catch (error) {
      this.onError(error, topic);
      return [];
    }
  }

  /** Latched values that need I/O (`TopicDef.currentLater`), or undefined when the topic has none. */
  currentLater(topic: string): Promise<OutgoingMessage[]> | undefined {
    const def = this.catalog.topics.get(topic);
    if (!def?.currentLater) return undefined;
    return def.currentLater().catch((error: unknown) => {
      this.onError(error, topic);
      return [];
    });
  }

  /** Stops every bus subscription (server shutdown). */
  detachAll(): void {
    for (const ch of this.channels.values()) ch.unsubscribe?.();
    this.channels.clear();
  }

  stats(): TopicHubStats[] {
    return [...this.channels.values()].map((c) => ({ topic: c.def.name, subscribers: c.sinks.length, messages: c.published, skipped: c.skipped }));
  }

  /**
   * One load at a time per topic; while it runs, only the newest bus message waits (a camera or
   * LiDAR faster than the disk skips frames instead of queueing reads without bound).
   */
  private loadThenFanOut(ch: Channel, msg: unknown): void {
    if (ch.loading) {
      if (ch.waiting) ch.skipped++;
      ch.waiting = { msg };
      return;
    }
    ch.loading = true;
    const load = ch.def.load as (m: unknown) => Promise<OutgoingMessage | undefined>;
    let pending: Promise<OutgoingMessage | undefined>;
    try {
      pending = load(msg);
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending
      .then(
        (out) => {
          if (out && this.channels.get(ch.def.name) === ch) this.deliver(ch, out);
        },
        (error: unknown) => this.onError(error, ch.def.name),
      )
      .finally(() => {
        ch.loading = false;
        const next = ch.waiting;
        ch.waiting = undefined;
        if (next && this.channels.get(ch.def.name) === ch) this.loadThenFanOut(ch, next.msg);
      });
  }

  private fanOut(ch: Channel, msg: unknown): void {
    let ros: unknown;
    try {
      ros = (ch.def.toRos as (m: unknown) => unknown)(msg);
    } catch (error) {
      this.onError(error, ch.def.name);
      return;
    }
    this.deliver(ch, new OutgoingMessage({ op: 'publish', topic: ch.def.name, msg: ros }));
  }

  private deliver(ch: Channel, out: OutgoingMessage): void {
    ch.published++;
    // Index loop over a snapshot length: a sink may detach (splice) while we deliver.
    const sinks = ch.sinks.length === 1 ? ch.sinks : ch.sinks.slice();
    for (let i = 0; i < sinks.length; i++) {
      try {
        sinks[i]!.offer(out);
      } catch (error) {
        this.onError(error, ch.def.name);
      }
    }
  }
}
