/**
 * A Gazebo transport node in TypeScript: publish, subscribe and services on the same wire as
 * Ignition Transport 11 (Fortress) — UDP multicast discovery ({@link GzDiscovery}) and ZeroMQ
 * data sockets with gz-transport's multipart frames (src/NodeShared.cc):
 *
 * - messages, PUB → SUB: `[topic, sender address, data, msg type]`; a publisher sends only after
 *   a subscriber registered with it (NEW_CONNECTION whose `ctrl` is the publisher's process);
 * - service request, requester ROUTER → replier ROUTER (routing id = the `socket_id` advertised):
 *   `[replier id, topic, requester address, response-receiver id, node uuid, request uuid,
 *   request, request type, response type]`;
 * - service response, replier ROUTER → response-receiver ROUTER:
 *   `[response-receiver id, topic, node uuid, request uuid, response, "1" | "0"]`; none when the
 *   response type is `Empty` (one-way).
 *
 * Each node is one transport "process" (own process uuid and sockets), so two nodes in one Node.js
 * process talk over the network like two programs. `zeromq` is an optional dependency loaded here.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../../core/clock.js';
import { sleep, WallClock } from '../../../core/clock.js';
import { fail, ok, okVoid, type Failure, type Result } from '../../../core/result.js';
import { GZ_UNTHROTTLED, type DiscoveryPublisher } from './discovery-codec.js';
import { GzDiscovery, GZ_MSG_DISCOVERY_PORT, GZ_SRV_DISCOVERY_PORT } from './discovery.js';
import { gzMessages, gzTypeName, type GzMessages, type GzPackage } from './gz-messages.js';
import { gzHostAddress, gzInterfaces } from './net-interfaces.js';
import { decomposeName, fullyQualifiedName, partitionFromEnv } from './topic-names.js';

type Zmq = typeof import('zeromq');
type ZPublisher = import('zeromq').Publisher;
type ZSubscriber = import('zeromq').Subscriber;
type ZRouter = import('zeromq').Router;
type Frames = (string | Uint8Array)[];

/** `google.protobuf.Message`: a subscriber that takes any type (`kGenericMessageType`). */
export const GZ_GENERIC_TYPE = 'google.protobuf.Message';

export type GzErrorCode =
  | 'GZ.ZMQ_UNAVAILABLE'
  | 'GZ.BIND_FAILED'
  | 'GZ.INVALID_TOPIC'
  | 'GZ.UNKNOWN_TYPE'
  | 'GZ.ENCODE_FAILED'
  | 'GZ.DECODE_FAILED'
  | 'GZ.MALFORMED_FRAMES'
  | 'GZ.SEND_FAILED'
  | 'GZ.SERVICE_TIMEOUT'
  | 'GZ.SERVICE_FAILED'
  | 'GZ.ALREADY_ADVERTISED'
  | 'GZ.CLOSED';

export interface GzNodeOptions {
  /** Partition (default `IGN_PARTITION`, `GZ_PARTITION`, else `hostname:username`). */
  readonly partition?: string;
  /** Namespace for relative topic names. */
  readonly namespace?: string;
  /** Clock for discovery timers and timeouts (default: a new `WallClock`). */
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Environment to read IGN_IP/IGN_PARTITION/IGN_DISCOVERY_*_PORT from (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
  /** Message package for short type names (default `ignition.msgs`, as transport 11 names them). */
  readonly typePackage?: GzPackage;
}

/** What a subscriber learns with each message. */
export interface GzMessageInfo {
  /** Topic without the partition. */
  readonly topic: string;
  readonly partition: string;
  readonly type: string;
}

export interface GzNodeStats {
  published: number;
  received: number;
  /** Messages or frames dropped, by error code (malformed frames, undecodable bytes). */
  dropped: Record<string, number>;
  lastError?: Failure;
}

interface Subscription {
  readonly fq: string;
  readonly type: string;
  readonly nodeUuid: string;
  readonly raw: boolean;
  readonly cb: (msg: unknown, info: GzMessageInfo) => void;
  readonly onError?: (error: Failure) => void;
}

interface Responder {
  readonly fq: string;
  readonly reqType: string;
  readonly repType: string;
  readonly handler: (req: Record<string, unknown>) => Promise<GzServiceReply> | GzServiceReply;
}

/** A responder's answer: `ok: false` is sent as a failed call (`result` "0"). */
export interface GzServiceReply {
  readonly ok: boolean;
  readonly response?: Record<string, unknown>;
}

interface PendingRequest {
  readonly resolve: (r: Result<Record<string, unknown>, GzErrorCode>) => void;
  readonly repType: string;
  timer: TimerHandle | undefined;
}

/** A handle returned by {@link GzNode.advertise}. */
export interface GzPublisher {
  readonly topic: string;
  readonly type: string;
  /** Encodes and sends (to registered remote subscribers and this node's own subscribers). */
  publish(msg: Record<string, unknown>): Promise<Result<void, GzErrorCode>>;
  /** Sends already-encoded bytes of this publisher's type. */
  publishRaw(bytes: Uint8Array): Promise<Result<void, GzErrorCode>>;
  /** True when a remote subscriber registered with this topic and type. */
  hasConnections(): boolean;
  unadvertise(): void;
}

/** Serialises sends on one ZeroMQ socket (zeromq v6 allows one pending send per socket). */
class SendQueue {
  private tail: Promise<unknown> = Promise.resolve();
  constructor(private readonly sock: ZRouter) {}
  send(frames: Frames): Promise<void> {
    const next = this.tail.then(() => this.sock.send(frames));
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/** Opens a node: binds its ZeroMQ sockets and starts both discovery services. */
export async function createGzNode(options: GzNodeOptions = {}): Promise<Result<GzNode, GzErrorCode>> {
  let zmq: Zmq;
  try {
    zmq = await import('zeromq');
  } catch (cause) {
    return fail('GZ.ZMQ_UNAVAILABLE', 'the optional dependency zeromq could not be loaded (npm install zeromq)', { cause });
  }
  const node = new GzNode(zmq, options);
  const started = await node.start();
  if (!started.ok) {
    await node.close();
    return started;
  }
  return ok(node);
}

export class GzNode {
  readonly processUuid = randomUUID();
  readonly nodeUuid = randomUUID();
  readonly partition: string;
  readonly hostAddress: string;
  readonly stats: GzNodeStats = { published: 0, received: 0, dropped: {} };
  readonly msgs: GzMessages;
  /** ZeroMQ endpoint of the PUB socket, `tcp://ip:port`. */
  address = '';
  /** ZeroMQ endpoint of the service replier. */
  replierAddress = '';
  /** ZeroMQ endpoint where service responses arrive. */
  responseAddress = '';
  readonly msgDiscovery: GzDiscovery;
  readonly srvDiscovery: GzDiscovery;
  private readonly clock: Clock;
  private readonly log: Logger | undefined;
  private readonly ns: string;
  private readonly pkg: GzPackage;
  private readonly replierId = randomUUID();
  private readonly responseReceiverId = randomUUID();
  private readonly publisher: ZPublisher;
  private readonly subscriber: ZSubscriber;
  private readonly replier: ZRouter;
  private readonly requester: ZRouter;
  private readonly responseReceiver: ZRouter;
  private readonly replierQueue: SendQueue;
  private readonly requesterQueue: SendQueue;
  private readonly subs = new Set<Subscription>();
  private readonly zmqSubscribed = new Set<string>();
  private readonly connectedPubs = new Set<string>();
  private readonly connectedSrv = new Set<string>();
  private readonly replierConnections = new Set<string>();
  /** Remote subscribers registered with our publishers: fq topic → `${proc}/${node}` → msg type. */
  private readonly remoteSubs = new Map<string, Map<string, { proc: string; type: string }>>();
  private readonly localPubs = new Map<string, DiscoveryPublisher>();
  private readonly responders = new Map<string, Responder>();
  private readonly pending = new Map<string, PendingRequest>();
  private closed = false;
  private readonly loops: Promise<void>[] = [];

  /** @internal use {@link createGzNode}. */
  constructor(zmq: Zmq, options: GzNodeOptions) {
    const env = options.env ?? process.env;
    this.partition = options.partition ?? partitionFromEnv(env);
    this.ns = options.namespace ?? '';
    this.pkg = options.typePackage ?? 'ignition.msgs';
    this.clock = options.clock ?? new WallClock();
    this.log = options.logger;
    this.msgs = gzMessages();
    this.hostAddress = gzHostAddress(env);
    const interfaces = gzInterfaces(env);
    const port = (name: string, dflt: number) => {
      const v = Number(env[name] ?? env[name.replace(/^IGN_/, 'GZ_')]);
      return Number.isInteger(v) && v > 0 && v < 65536 ? v : dflt;
    };
    const common = { msgs: this.msgs, clock: this.clock, processUuid: this.processUuid, interfaces, ...(env.IGN_DISCOVERY_MULTICAST_IP ? { group: env.IGN_DISCOVERY_MULTICAST_IP } : {}), ...(this.log ? { logger: this.log } : {}) };
    this.msgDiscovery = new GzDiscovery({ ...common, port: port('IGN_DISCOVERY_MSG_PORT', GZ_MSG_DISCOVERY_PORT) });
    this.srvDiscovery = new GzDiscovery({ ...common, port: port('IGN_DISCOVERY_SRV_PORT', GZ_SRV_DISCOVERY_PORT) });
    // gz-transport's socket options (NodeShared::InitializeSockets): linger 0, HWM 1000,
    // routing ids on the replier and the response receiver, router_mandatory on both routers.
    this.publisher = new zmq.Publisher({ linger: 0, sendHighWaterMark: 1000 });
    this.subscriber = new zmq.Subscriber({ receiveHighWaterMark: 1000 });
    this.replier = new zmq.Router({ routingId: this.replierId, linger: 0, mandatory: true });
    this.requester = new zmq.Router({ linger: 0, mandatory: true });
    this.responseReceiver = new zmq.Router({ routingId: this.responseReceiverId, linger: 0 });
    this.replierQueue = new SendQueue(this.replier);
    this.requesterQueue = new SendQueue(this.requester);
  }

  /** @internal */
  async start(): Promise<Result<void, GzErrorCode>> {
    const any = `tcp://${this.hostAddress}:*`;
    try {
      await this.publisher.bind(any);
      await this.replier.bind(any);
      await this.responseReceiver.bind(any);
      await this.msgDiscovery.start();
      await this.srvDiscovery.start();
    } catch (cause) {
      return fail('GZ.BIND_FAILED', `cannot bind on ${this.hostAddress}: ${(cause as Error).message}`, { cause });
    }
    this.address = this.publisher.lastEndpoint ?? '';
    this.replierAddress = this.replier.lastEndpoint ?? '';
    this.responseAddress = this.responseReceiver.lastEndpoint ?? '';
    this.subscriber.events.on('handshake', (e) => this.onHandshake(e.address));
    this.subscriber.events.on('disconnect', (e) => this.handshaken.delete(e.address));
    // A requester that went away (a finished `ign service` process): stop reconnecting to it.
    this.replier.events.on('disconnect', (e) => {
      if (!this.replierConnections.delete(e.address)) return;
      try {
        this.replier.disconnect(e.address);
      } catch {
        /* already gone */
      }
    });
    this.msgDiscovery.on('connection', (p) => this.onPublisher(p));
    this.msgDiscovery.on('disconnection', (p) => this.onPublisherGone(p));
    this.msgDiscovery.on('registration', (p) => this.onRegistration(p));
    this.msgDiscovery.on('unregistration', (p) => this.onUnregistration(p));
    this.srvDiscovery.on('connection', (p) => this.onResponder(p));
    this.loops.push(this.receiveLoop(this.subscriber, (f) => this.onData(f)));
    this.loops.push(this.receiveLoop(this.replier, (f) => void this.onRequest(f)));
    this.loops.push(this.receiveLoop(this.responseReceiver, (f) => this.onResponse(f)));
    return okVoid;
  }

  private fq(topic: string): Result<string, GzErrorCode> {
    return fullyQualifiedName(this.partition, topic, this.ns);
  }

  private drop(error: Failure): void {
    this.stats.dropped[error.code] = (this.stats.dropped[error.code] ?? 0) + 1;
    this.stats.lastError = error;
    this.log?.debug({ error }, 'gz: dropped');
  }

  private async receiveLoop(sock: ZSubscriber | ZRouter, fn: (frames: Buffer[]) => void): Promise<void> {
    try {
      for await (const frames of sock) {
        try {
          fn(frames);
        } catch (err) {
          this.log?.error({ err }, 'gz: handler threw');
        }
      }
    } catch (err) {
      if (!this.closed) this.log?.warn({ err }, 'gz: receive loop ended');
    }
  }

  // ---- publish ---------------------------------------------------------------------------

  /** Announces a topic of `type` (`Pose` or `ignition.msgs.Pose`). */
  advertise(topic: string, type: string): Result<GzPublisher, GzErrorCode> {
    if (this.closed) return fail('GZ.CLOSED', 'node closed');
    const fq = this.fq(topic);
    if (!fq.ok) return fq;
    const msgType = gzTypeName(type, this.pkg);
    if (!this.msgs.type(msgType)) return fail('GZ.UNKNOWN_TYPE', `unknown message type ${msgType}`);
    if (this.localPubs.has(fq.value)) return fail('GZ.ALREADY_ADVERTISED', `${topic} is already advertised by this node`);
    const pub: DiscoveryPublisher = {
      topic: fq.value,
      address: this.address,
      processUuid: this.processUuid,
      nodeUuid: this.nodeUuid,
      scope: 'ALL',
      msg: { ctrl: 'unused', msgType, throttled: false, msgsPerSec: GZ_UNTHROTTLED },
    };
    this.localPubs.set(fq.value, pub);
    this.msgDiscovery.advertise(pub);
    const publishRaw = (bytes: Uint8Array) => this.publishBytes(fq.value, msgType, bytes);
    return ok({
      topic: fq.value,
      type: msgType,
      publishRaw,
      publish: async (msg) => {
        const enc = this.msgs.encode(msgType, msg);
        if (!enc.ok) return enc;
        return publishRaw(enc.value);
      },
      hasConnections: () => this.hasRemote(fq.value, msgType),
      unadvertise: () => {
        if (this.localPubs.delete(fq.value)) this.msgDiscovery.unadvertise(pub);
      },
    });
  }

  private hasRemote(fq: string, type: string): boolean {
    for (const s of this.remoteSubs.get(fq)?.values() ?? []) if (s.type === type || s.type === GZ_GENERIC_TYPE) return true;
    return false;
  }

  private async publishBytes(fq: string, type: string, bytes: Uint8Array): Promise<Result<void, GzErrorCode>> {
    if (this.closed) return fail('GZ.CLOSED', 'node closed');
    if (!this.localPubs.has(fq)) return fail('GZ.INVALID_TOPIC', `${fq} is not advertised`);
    this.stats.published++;
    this.deliverLocal(fq, type, bytes);
    if (!this.hasRemote(fq, type)) return okVoid;
    try {
      // A PUB socket never blocks (past the high-water mark it drops), so sends need no queue.
      await this.publisher.send([this.frame(fq), this.frame(this.address), bytes, this.frame(type)]);
      return okVoid;
    } catch (cause) {
      return fail('GZ.SEND_FAILED', `publish on ${fq}: ${(cause as Error).message}`, { cause });
    }
  }

  private readonly frames = new Map<string, Buffer>();

  /** The constant frames (topic, address, type) as Buffers, made once. */
  private frame(text: string): Buffer {
    let b = this.frames.get(text);
    if (!b) this.frames.set(text, (b = Buffer.from(text)));
    return b;
  }

  private deliverLocal(fq: string, type: string, bytes: Uint8Array): void {
    for (const s of this.subs) if (s.fq === fq && (s.type === type || s.type === GZ_GENERIC_TYPE)) this.dispatch(s, fq, type, bytes);
  }

  // ---- subscribe -------------------------------------------------------------------------

  /**
   * Subscribes to a topic: `cb` gets each message decoded as a plain object. `type` filters like
   * Gazebo's typed subscriptions; omit it for any type (decoded by the type each message names).
   * Undecodable bytes go to `onError` (and `stats.dropped`), never to `cb`.
   */
  subscribe(
    topic: string,
    cb: (msg: Record<string, unknown>, info: GzMessageInfo) => void,
    options: { type?: string; onError?: (error: Failure) => void } = {},
  ): Result<() => void, GzErrorCode> {
    return this.addSubscription(topic, cb as Subscription['cb'], false, options);
  }

  /** Subscribes to the raw bytes of a topic. */
  subscribeRaw(topic: string, cb: (bytes: Uint8Array, info: GzMessageInfo) => void, options: { type?: string } = {}): Result<() => void, GzErrorCode> {
    return this.addSubscription(topic, cb as Subscription['cb'], true, options);
  }

  private addSubscription(topic: string, cb: Subscription['cb'], raw: boolean, options: { type?: string; onError?: (error: Failure) => void }): Result<() => void, GzErrorCode> {
    if (this.closed) return fail('GZ.CLOSED', 'node closed');
    const fq = this.fq(topic);
    if (!fq.ok) return fq;
    const type = options.type ? gzTypeName(options.type, this.pkg) : GZ_GENERIC_TYPE;
    if (type !== GZ_GENERIC_TYPE && !this.msgs.type(type)) return fail('GZ.UNKNOWN_TYPE', `unknown message type ${type}`);
    const sub: Subscription = { fq: fq.value, type, nodeUuid: randomUUID(), raw, cb, ...(options.onError ? { onError: options.onError } : {}) };
    this.subs.add(sub);
    // Known publishers are connected at once; SUBSCRIBE makes the others announce themselves.
    for (const p of this.msgDiscovery.publishers(fq.value)) this.connectTo(p, [sub]);
    this.msgDiscovery.discover(fq.value);
    return ok(() => {
      if (!this.subs.delete(sub)) return;
      for (const p of this.msgDiscovery.publishers(sub.fq)) {
        if (p.msg) this.msgDiscovery.unregister({ ...p, processUuid: this.processUuid, nodeUuid: sub.nodeUuid, msg: { ...p.msg, ctrl: p.processUuid } });
      }
      if (![...this.subs].some((s) => s.fq === sub.fq) && this.zmqSubscribed.delete(sub.fq)) this.subscriber.unsubscribe(sub.fq);
    });
  }

  private onPublisher(p: DiscoveryPublisher): void {
    if (p.processUuid === this.processUuid || !p.msg) return;
    const subs = [...this.subs].filter((s) => s.fq === p.topic);
    if (subs.length > 0) this.connectTo(p, subs);
  }

  /** Connects the SUB socket to a publisher and registers our matching subscriptions with it (NEW_CONNECTION). */
  private connectTo(p: DiscoveryPublisher, subs: Subscription[]): void {
    if (!p.msg || p.processUuid === this.processUuid) return;
    const msgType = p.msg.msgType;
    const matching = subs.filter((s) => s.type === msgType || s.type === GZ_GENERIC_TYPE);
    if (matching.length === 0) return;
    if (!this.connectedPubs.has(p.address)) {
      this.subscriber.connect(p.address);
      this.connectedPubs.add(p.address);
      this.pubAddressOf.set(p.processUuid, p.address);
    }
    if (!this.zmqSubscribed.has(p.topic)) {
      this.subscriber.subscribe(p.topic);
      this.zmqSubscribed.add(p.topic);
    }
    const msg = p.msg;
    const register = () => {
      if (this.closed) return;
      for (const s of matching) if (this.subs.has(s)) this.msgDiscovery.register({ ...p, processUuid: this.processUuid, nodeUuid: s.nodeUuid, msg: { ...msg, ctrl: p.processUuid } });
    };
    // Gazebo registers right after connect(), so the first messages can leave before the
    // subscription reached the publisher (ZeroMQ's slow joiner). We register once the ZMTP
    // handshake with that publisher is done (or after 1 s).
    if (this.handshaken.has(p.address)) register();
    else this.afterHandshake(p.address, register);
  }

  private readonly handshaken = new Set<string>();
  private readonly handshakeWaiters = new Map<string, (() => void)[]>();

  private afterHandshake(address: string, fn: () => void): void {
    let list = this.handshakeWaiters.get(address);
    if (!list) this.handshakeWaiters.set(address, (list = []));
    let done = false;
    const once = () => {
      if (done) return;
      done = true;
      this.clock.clearTimeout(timer);
      fn();
    };
    const timer = this.clock.setTimeout(once, 1000);
    list.push(once);
  }

  private onHandshake(address: string): void {
    this.handshaken.add(address);
    const list = this.handshakeWaiters.get(address) ?? [];
    this.handshakeWaiters.delete(address);
    for (const fn of list) fn();
  }

  /** Publisher process uuid → the PUB address our SUB socket is connected to. */
  private readonly pubAddressOf = new Map<string, string>();

  private onPublisherGone(p: DiscoveryPublisher): void {
    if (p.topic === '') {
      for (const m of this.remoteSubs.values()) for (const [k, v] of m) if (v.proc === p.processUuid) m.delete(k);
      // The process left (BYE or silence): stop ZeroMQ reconnecting to its PUB socket.
      const address = this.pubAddressOf.get(p.processUuid);
      if (address !== undefined) {
        this.pubAddressOf.delete(p.processUuid);
        this.connectedPubs.delete(address);
        this.handshaken.delete(address);
        try {
          this.subscriber.disconnect(address);
        } catch {
          /* not connected */
        }
      }
    } else {
      this.remoteSubs.get(p.topic)?.delete(`${p.processUuid}/${p.nodeUuid}`);
    }
  }

  private onRegistration(p: DiscoveryPublisher): void {
    if (p.msg?.ctrl !== this.processUuid) return;
    let m = this.remoteSubs.get(p.topic);
    if (!m) this.remoteSubs.set(p.topic, (m = new Map()));
    m.set(`${p.processUuid}/${p.nodeUuid}`, { proc: p.processUuid, type: p.msg.msgType });
  }

  private onUnregistration(p: DiscoveryPublisher): void {
    if (p.msg?.ctrl !== this.processUuid) return;
    this.remoteSubs.get(p.topic)?.delete(`${p.processUuid}/${p.nodeUuid}`);
  }

  private onData(frames: Buffer[]): void {
    if (frames.length !== 4 && frames.length !== 5) {
      this.drop({ code: 'GZ.MALFORMED_FRAMES', message: `a data message has ${frames.length} frames, expected 4 (or 5 with topic statistics)` });
      return;
    }
    const fq = frames[0]!.toString();
    const type = frames[3]!.toString();
    this.stats.received++;
    for (const s of this.subs) if (s.fq === fq && (s.type === type || s.type === GZ_GENERIC_TYPE)) this.dispatch(s, fq, type, frames[2]!);
  }

  private dispatch(s: Subscription, fq: string, type: string, bytes: Uint8Array): void {
    const parts = decomposeName(fq);
    const info: GzMessageInfo = { topic: parts?.topic ?? fq, partition: parts?.partition.replace(/^\//, '') ?? '', type };
    if (s.raw) {
      s.cb(bytes, info);
      return;
    }
    const d = this.msgs.decode(type, bytes);
    if (!d.ok) {
      this.drop(d.error);
      s.onError?.(d.error);
      return;
    }
    try {
      s.cb(d.value, info);
    } catch (err) {
      this.log?.error({ err, topic: info.topic }, 'gz: subscriber callback threw');
    }
  }

  // ---- services --------------------------------------------------------------------------

  /** Offers a service; the handler's reply is encoded as `repType`. */
  advertiseService(service: string, reqType: string, repType: string, handler: Responder['handler']): Result<() => void, GzErrorCode> {
    if (this.closed) return fail('GZ.CLOSED', 'node closed');
    const fq = this.fq(service);
    if (!fq.ok) return fq;
    const rq = gzTypeName(reqType, this.pkg);
    const rp = gzTypeName(repType, this.pkg);
    for (const t of [rq, rp]) if (!this.msgs.type(t)) return fail('GZ.UNKNOWN_TYPE', `unknown message type ${t}`);
    if (this.responders.has(fq.value)) return fail('GZ.ALREADY_ADVERTISED', `${service} is already offered by this node`);
    this.responders.set(fq.value, { fq: fq.value, reqType: rq, repType: rp, handler });
    const pub: DiscoveryPublisher = {
      topic: fq.value,
      address: this.replierAddress,
      processUuid: this.processUuid,
      nodeUuid: this.nodeUuid,
      scope: 'ALL',
      srv: { socketId: this.replierId, requestType: rq, responseType: rp },
    };
    this.srvDiscovery.advertise(pub);
    return ok(() => {
      if (this.responders.delete(fq.value)) this.srvDiscovery.unadvertise(pub);
    });
  }

  private async onRequest(frames: Buffer[]): Promise<void> {
    if (frames.length !== 9) {
      this.drop({ code: 'GZ.MALFORMED_FRAMES', message: `a service request has ${frames.length} frames, expected 9` });
      return;
    }
    const [, topicB, senderB, dstIdB, nodeUuidB, reqUuidB, req, reqTypeB, repTypeB] = frames as [Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer];
    const topic = topicB.toString();
    const reqType = reqTypeB.toString();
    const repType = repTypeB.toString();
    const r = this.responders.get(topic);
    if (!r || r.reqType !== reqType || r.repType !== repType) return;
    const { ok: success, bytes } = await this.runHandler(r, req);
    if (repType.endsWith('.Empty')) return; // one-way
    const sender = senderB.toString();
    if (!this.replierConnections.has(sender)) {
      this.replier.connect(sender);
      this.replierConnections.add(sender);
    }
    const sent = await this.sendRouted(this.replierQueue, [dstIdB, topicB, nodeUuidB, reqUuidB, bytes, success ? '1' : '0']);
    if (!sent.ok) this.drop(sent.error);
  }

  private async runHandler(r: Responder, req: Uint8Array): Promise<{ ok: boolean; bytes: Uint8Array }> {
    const d = this.msgs.decode(r.reqType, req);
    if (!d.ok) {
      this.drop(d.error);
      return { ok: false, bytes: new Uint8Array() };
    }
    try {
      const reply = await r.handler(d.value);
      const enc = this.msgs.encode(r.repType, reply.response ?? {});
      if (!enc.ok) {
        this.drop(enc.error);
        return { ok: false, bytes: new Uint8Array() };
      }
      return { ok: reply.ok, bytes: enc.value };
    } catch (err) {
      this.log?.error({ err, service: r.fq }, 'gz: service handler threw');
      return { ok: false, bytes: new Uint8Array() };
    }
  }

  /**
   * Sends on a ROUTER with `mandatory`: right after connect() the peer's routing id is not known
   * until the ZeroMQ handshake ends (EHOSTUNREACH), so retry for up to 2 s (Gazebo sleeps 100 ms).
   */
  private async sendRouted(q: SendQueue, frames: Frames): Promise<Result<void, GzErrorCode>> {
    let last: unknown;
    for (let i = 0; i < 100 && !this.closed; i++) {
      try {
        await q.send(frames);
        return okVoid;
      } catch (err) {
        last = err;
        if ((err as { code?: string }).code !== 'EHOSTUNREACH') break;
        await sleep(this.clock, 20);
      }
    }
    return fail('GZ.SEND_FAILED', `service frames not delivered: ${(last as Error | undefined)?.message ?? 'node closed'}`, { cause: last });
  }

  private onResponder(p: DiscoveryPublisher): void {
    if (p.processUuid === this.processUuid || !p.srv) return;
    for (const w of this.responderWaiters) w(p);
  }

  private readonly responderWaiters = new Set<(p: DiscoveryPublisher) => void>();

  /**
   * Calls a service: `GZ.SERVICE_TIMEOUT` when no responder with these types answers within
   * `timeout_ms`, `GZ.SERVICE_FAILED` when it answers with failure, `GZ.DECODE_FAILED` when the
   * answer does not decode. A one-way call (`repType` Empty) resolves once sent.
   */
  async request(
    service: string,
    reqType: string,
    req: Record<string, unknown>,
    repType: string,
    timeout_ms = 1000,
  ): Promise<Result<Record<string, unknown>, GzErrorCode>> {
    if (this.closed) return fail('GZ.CLOSED', 'node closed');
    const fq = this.fq(service);
    if (!fq.ok) return fq;
    const rq = gzTypeName(reqType, this.pkg);
    const rp = gzTypeName(repType, this.pkg);
    const enc = this.msgs.encode(rq, req);
    if (!enc.ok) return enc;
    if (!this.msgs.type(rp)) return fail('GZ.UNKNOWN_TYPE', `unknown message type ${rp}`);
    const local = this.responders.get(fq.value);
    if (local && local.reqType === rq && local.repType === rp) {
      const out = await this.runHandler(local, enc.value);
      if (!out.ok) return fail('GZ.SERVICE_FAILED', `${service} answered with failure`);
      return this.msgs.decode(rp, out.bytes);
    }
    const start = this.clock.now();
    const matches = (p: DiscoveryPublisher) => p.srv?.requestType === rq && p.srv.responseType === rp;
    let responder = this.srvDiscovery.publishers(fq.value).find(matches);
    if (!responder) {
      responder = await new Promise<DiscoveryPublisher | undefined>((resolve) => {
        const timer = this.clock.setTimeout(() => done(undefined), timeout_ms);
        const done = (p: DiscoveryPublisher | undefined) => {
          this.responderWaiters.delete(waiter);
          this.clock.clearTimeout(timer);
          resolve(p);
        };
        const waiter = (p: DiscoveryPublisher) => {
          if (p.topic === fq.value && matches(p)) done(p);
        };
        this.responderWaiters.add(waiter);
        this.srvDiscovery.discover(fq.value);
      });
    }
    if (!responder?.srv) return fail('GZ.SERVICE_TIMEOUT', `no responder for ${service} (${rq} → ${rp}) within ${timeout_ms} ms`);
    if (!this.connectedSrv.has(responder.address)) {
      this.requester.connect(responder.address);
      this.connectedSrv.add(responder.address);
    }
    const reqUuid = randomUUID();
    const oneway = rp.endsWith('.Empty');
    const answer = oneway
      ? undefined
      : new Promise<Result<Record<string, unknown>, GzErrorCode>>((resolve) => {
          const left = Math.max(0, timeout_ms - (this.clock.now() - start));
          const entry: PendingRequest = { resolve, repType: rp, timer: undefined };
          entry.timer = this.clock.setTimeout(() => {
            this.pending.delete(reqUuid);
            resolve(fail('GZ.SERVICE_TIMEOUT', `${service}: no response within ${timeout_ms} ms`));
          }, left);
          this.pending.set(reqUuid, entry);
        });
    const sent = await this.sendRouted(this.requesterQueue, [
      responder.srv.socketId,
      fq.value,
      this.responseAddress,
      this.responseReceiverId,
      this.nodeUuid,
      reqUuid,
      enc.value,
      rq,
      rp,
    ]);
    if (!sent.ok) {
      const p = this.pending.get(reqUuid);
      if (p) {
        this.clock.clearTimeout(p.timer);
        this.pending.delete(reqUuid);
      }
      return sent;
    }
    return answer ?? ok({});
  }

  private onResponse(frames: Buffer[]): void {
    if (frames.length !== 6) {
      this.drop({ code: 'GZ.MALFORMED_FRAMES', message: `a service response has ${frames.length} frames, expected 6` });
      return;
    }
    const reqUuid = frames[3]!.toString();
    const p = this.pending.get(reqUuid);
    if (!p) return;
    this.pending.delete(reqUuid);
    this.clock.clearTimeout(p.timer);
    if (frames[5]!.toString() !== '1') return p.resolve(fail('GZ.SERVICE_FAILED', `service ${frames[1]!.toString()} answered with failure`));
    p.resolve(this.msgs.decode(p.repType, frames[4]!));
  }

  // ---- introspection ---------------------------------------------------------------------

  /** Outgoing ZeroMQ connections: to publishers (SUB), to responders (requests), to requesters (responses). */
  connections(): { publishers: number; responders: number; requesters: number } {
    return { publishers: this.connectedPubs.size, responders: this.connectedSrv.size, requesters: this.replierConnections.size };
  }

  /** Topics with a publisher in this node's partition (without the partition), like `ign topic -l`. */
  topicList(): string[] {
    return this.inPartition(this.msgDiscovery.topics());
  }

  /** Services offered in this node's partition, like `ign service -l`. */
  serviceList(): string[] {
    return this.inPartition(this.srvDiscovery.topics());
  }

  private inPartition(fqs: string[]): string[] {
    const mine = this.partition === '' ? '' : `/${this.partition.replace(/^\/|\/$/g, '')}`;
    return fqs
      .map((t) => decomposeName(t))
      .filter((d): d is { partition: string; topic: string } => d !== undefined && d.partition === mine)
      .map((d) => d.topic)
      .sort();
  }

  /** Withdraws everything (BYE) and closes the sockets. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) {
      this.clock.clearTimeout(p.timer);
      p.resolve(fail('GZ.CLOSED', 'node closed'));
    }
    this.pending.clear();
    await this.msgDiscovery.close();
    await this.srvDiscovery.close();
    for (const s of [this.publisher, this.subscriber, this.replier, this.requester, this.responseReceiver]) {
      try {
        s.close();
      } catch {
        /* already closed */
      }
    }
    await Promise.all(this.loops);
  }
}
