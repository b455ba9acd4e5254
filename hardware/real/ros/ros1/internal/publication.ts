/**
 * One advertised topic: the TCPROS subscriber connections, the publisher-side handshake
 * (md5sum check with ROS's error header on mismatch), latching and per-connection queues.
 */
import type { Socket } from 'node:net';
import type { Logger } from '../../../../../core/logger.js';
import type { SocketReader } from './socket-reader.js';
import { encodeHeader, type HeaderFields } from './tcpros-header.js';
import type { MessageCodec } from './type-registry.js';

let nextConnectionId = 1;

export class SubscriberLink {
  readonly id = nextConnectionId++;
  bytesSent = 0;
  messagesSent = 0;
  dropped = 0;
  private readonly queue: Buffer[] = [];
  private waitingDrain = false;
  private corked = false;

  constructor(
    readonly socket: Socket,
    readonly callerId: string,
    private readonly queueSize: number,
  ) {
    socket.on('drain', () => this.flush());
  }

  send(frame: Buffer): void {
    if (this.socket.destroyed) return;
    if (this.waitingDrain) {
      this.queue.push(frame);
      while (this.queue.length > this.queueSize) {
        this.queue.shift();
        this.dropped += 1;
      }
      return;
    }
    this.write(frame);
  }

  private write(frame: Buffer): void {
    this.bytesSent += frame.length;
    this.messagesSent += 1;
    // A burst of publishes in one tick goes out as one writev instead of a syscall each.
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    if (!this.socket.write(frame)) this.waitingDrain = true;
  }

  private flush(): void {
    this.waitingDrain = false;
    while (this.queue.length > 0 && !this.waitingDrain) this.write(this.queue.shift()!);
  }
}

export class Publication {
  readonly links = new Set<SubscriberLink>();
  private latched: Buffer | undefined;
  bytesSent = 0;

  constructor(
    readonly topic: string,
    readonly codec: MessageCodec,
    readonly latch: boolean,
    readonly queueSize: number,
    private readonly callerId: string,
    private readonly log: Logger,
  ) {}

  /** Serialises once (throws on a message not matching the definition) and fans out. */
  publish(msg: unknown): void {
    const frame = this.codec.encodeFramed(msg);
    if (this.latch) this.latched = frame;
    for (const link of this.links) link.send(frame);
    this.bytesSent += frame.length * this.links.size;
  }

  /**
   * Handles a subscriber's connection header on our TCPROS server. On an md5sum or type
   * mismatch it answers with an `error` header (as roscpp/rospy do) and closes.
   */
  accept(socket: Socket, reader: SocketReader, header: Record<string, string>): void {
    const callerId = header.callerid ?? '(unknown)';
    const md5 = header.md5sum;
    if (md5 === undefined) {
      this.refuse(socket, `Missing required element md5sum from connection header of [${callerId}]`);
      return;
    }
    if (md5 !== '*' && md5 !== this.codec.md5sum) {
      this.refuse(
        socket,
        `Client [${callerId}] wants topic ${this.topic} to have datatype/md5sum [${header.type ?? '*'}/${md5}], ` +
          `but our version has [${this.codec.type}/${this.codec.md5sum}]. Dropping connection.`,
      );
      return;
    }
    const reply: HeaderFields = {
      callerid: this.callerId,
      latching: this.latch ? '1' : '0',
      md5sum: this.codec.md5sum,
      message_definition: this.codec.definition,
      topic: this.topic,
      type: this.codec.type,
    };
    socket.setNoDelay(header.tcp_nodelay === '1');
    socket.write(encodeHeader(reply));
    const link = new SubscriberLink(socket, callerId, this.queueSize);
    this.links.add(link);
    socket.on('close', () => this.links.delete(link));
    // Subscribers send nothing after their header; anything more is dropped, not buffered.
    reader.discard();
    this.log.debug({ topic: this.topic, subscriber: callerId }, 'ros1: subscriber connected');
    if (this.latched) link.send(this.latched);
  }

  close(): void {
    for (const l of this.links) l.socket.destroy();
    this.links.clear();
  }

  private refuse(socket: Socket, error: string): void {
    this.log.warn({ topic: this.topic, error }, 'ros1: subscriber refused');
    socket.end(encodeHeader({ error }));
  }
}
