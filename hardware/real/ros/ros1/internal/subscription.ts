/**
 * One subscribed topic: a TCPROS connection to each publisher the master names (requestTopic
 * on the publisher's slave API, then the subscriber handshake), frames decoded and handed to
 * the callback. A connection that drops while its publisher is still listed is retried with
 * backoff; a refused handshake (md5sum mismatch) is not.
 */
import { connect, type Socket } from 'node:net';
import { z } from 'zod';
import type { Logger } from '../../../../../core/logger.js';
import type { MessageMeta, Ros1Message } from '../ros1-node.types.js';
import { SocketReader } from './socket-reader.js';
import { decodeHeader, encodeHeader } from './tcpros-header.js';
import type { MessageCodec } from './type-registry.js';
import { rosCall } from './xmlrpc-call.js';

const TcprosParams = z.tuple([z.literal('TCPROS'), z.string().min(1), z.number().int().min(1).max(65535)]);

export interface SubscriptionDeps {
  readonly callerId: string;
  readonly log: Logger;
  readonly xmlrpcTimeoutMs: number;
  readonly maxFrameBytes: number;
}

let nextLinkId = 1;
/** Consecutive failed requestTopic calls (slave unreachable or not publishing) before a link is dropped. */
const MAX_UNREACHABLE = 6;

export class PublisherLink {
  readonly id = nextLinkId++;
  connected = false;
  publisherId = '';
  latching = false;
  bytesReceived = 0;
  messagesReceived = 0;
  decodeErrors = 0;
  private socket: Socket | undefined;
  private closed = false;
  private retryMs = 250;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly uri: string,
    private readonly sub: Subscription,
    private readonly deps: SubscriptionDeps,
  ) {}

  start(): void {
    void this.run();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.socket?.destroy();
    this.connected = false;
  }

  private async run(): Promise<void> {
    const { log } = this.deps;
    const topic = this.sub.topic;
    const r = await rosCall(this.uri, 'requestTopic', [this.deps.callerId, topic, [['TCPROS']]], this.deps.xmlrpcTimeoutMs);
    if (this.closed) return;
    if (!r.ok) {
      log.warn({ topic, publisher: this.uri, err: r.error.message }, 'ros1: requestTopic failed');
      this.failures += 1;
      if (this.failures >= MAX_UNREACHABLE) {
        // Gone for good (a restarted master may never tell us): forget it; a later
        // publisherUpdate naming it again starts afresh.
        log.info({ topic, publisher: this.uri }, 'ros1: publisher unreachable; link dropped');
        this.sub.forget(this);
        return;
      }
      this.retry();
      return;
    }
    this.failures = 0;
    const params = TcprosParams.safeParse(r.value);
    if (!params.success) {
      log.warn({ topic, publisher: this.uri, value: r.value }, 'ros1: requestTopic answered without TCPROS parameters');
      this.retry();
      return;
    }
    const [, host, port] = params.data;
    const socket = connect({ host, port });
    this.socket = socket;
    socket.setNoDelay(true);
    const reader = new SocketReader(socket, this.deps.maxFrameBytes);
    socket.on('close', () => {
      if (this.socket !== socket) return;
      const wasConnected = this.connected;
      this.connected = false;
      if (wasConnected) log.info({ topic, publisher: this.publisherId || this.uri }, 'ros1: publisher connection closed');
      if (!this.closed && wasConnected) this.retry();
    });
    const codec = this.sub.codec;
    socket.write(
      encodeHeader({
        callerid: this.deps.callerId,
        topic,
        md5sum: codec.md5sum,
        type: codec.type,
        message_definition: codec.definition,
        tcp_nodelay: '1',
      }),
    );
    let header: Record<string, string>;
    try {
      const decoded = decodeHeader(await reader.readFrame());
      if (!decoded.ok) throw new Error(decoded.error.message);
      header = decoded.value;
    } catch (err) {
      if (this.closed) return;
      log.warn({ topic, publisher: this.uri, err: (err as Error).message }, 'ros1: publisher handshake failed');
      socket.destroy();
      this.retry();
      return;
    }
    if (header.error !== undefined) {
      log.error({ topic, publisher: this.uri, error: header.error }, 'ros1: publisher refused our subscription');
      socket.destroy();
      return; // a type mismatch does not fix itself: no retry until the master names it again
    }
    if (header.md5sum !== undefined && header.md5sum !== '*' && header.md5sum !== codec.md5sum) {
      log.error({ topic, publisher: this.uri, theirs: header.md5sum, ours: codec.md5sum }, 'ros1: publisher md5sum differs');
      socket.destroy();
      return;
    }
    this.publisherId = header.callerid ?? this.uri;
    this.latching = header.latching === '1';
    this.connected = true;
    this.retryMs = 250;
    log.debug({ topic, publisher: this.publisherId }, 'ros1: connected to publisher');
    const meta = { topic, publisher: this.publisherId, latching: this.latching };
    reader.onFrames(
      (frame) => {
        this.bytesReceived += frame.length + 4;
        this.messagesReceived += 1;
        this.sub.deliver(frame, { ...meta, byteLength: frame.length }, this);
      },
      (e) => {
        if (e.code === 'TCPROS.OVERSIZED') {
          log.warn({ topic, publisher: this.publisherId, err: e.message }, 'ros1: oversized frame from publisher; connection dropped');
          socket.destroy();
        }
      },
    );
  }

  private retry(): void {
    if (this.closed) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.run(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, 5000);
  }
}

export class Subscription {
  readonly links = new Map<string, PublisherLink>();
  private readonly callbacks = new Set<(msg: Ros1Message, meta: MessageMeta) => void>();

  constructor(
    readonly topic: string,
    readonly codec: MessageCodec,
    private readonly deps: SubscriptionDeps,
  ) {}

  addCallback(cb: (msg: Ros1Message, meta: MessageMeta) => void): void {
    this.callbacks.add(cb);
  }

  removeCallback(cb: (msg: Ros1Message, meta: MessageMeta) => void): boolean {
    this.callbacks.delete(cb);
    return this.callbacks.size === 0;
  }

  get publisherCount(): number {
    let n = 0;
    for (const l of this.links.values()) if (l.connected) n += 1;
    return n;
  }

  /**
   * Brings the connections in line with the master's publisher list (slave URIs). With
   * `additive` (the answer to a re-registration), links are only added: a restarted master does
   * not know the publishers that did not re-register (rospy's), whose connections still work.
   */
  updatePublishers(uris: readonly string[], additive = false): void {
    const wanted = new Set(uris);
    for (const [uri, link] of this.links) {
      if (!additive && !wanted.has(uri)) {
        link.close();
        this.links.delete(uri);
      }
    }
    for (const uri of wanted) {
      if (this.links.has(uri)) continue;
      const link = new PublisherLink(uri, this, this.deps);
      this.links.set(uri, link);
      link.start();
    }
  }

  /** Drops a link that gave up (its publisher is gone). */
  forget(link: PublisherLink): void {
    link.close();
    if (this.links.get(link.uri) === link) this.links.delete(link.uri);
  }

  deliver(frame: Buffer, meta: MessageMeta, link: PublisherLink): void {
    let msg: Ros1Message;
    try {
      msg = this.codec.decode(frame);
    } catch (err) {
      link.decodeErrors += 1;
      this.deps.log.warn({ topic: this.topic, publisher: meta.publisher, bytes: frame.length, err: (err as Error).message }, 'ros1: undecodable message dropped');
      return;
    }
    for (const cb of this.callbacks) {
      try {
        cb(msg, meta);
      } catch (err) {
        this.deps.log.error({ topic: this.topic, err }, 'ros1: subscriber callback threw');
      }
    }
  }

  close(): void {
    for (const l of this.links.values()) l.close();
    this.links.clear();
  }
}
