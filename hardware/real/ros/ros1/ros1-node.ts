/**
 * A ROS 1 node: slave XML-RPC server, TCPROS server, registrations with the master, and a
 * master watchdog that re-registers everything when the master comes back (a restarted
 * roscore knows nothing of us; rospy would stay silently unregistered, we do not).
 */
import { EventEmitter } from 'node:events';
import { XmlRpcServer, type XmlRpcValue } from '@foxglove/xmlrpc';
import { z } from 'zod';
import { silentLogger, type Logger } from '../../../../core/logger.js';
import { fail, ok, okVoid } from '../../../../core/result.js';
import { BoundedHttpServer } from './internal/http-server.js';
import { normalizeNamespace, resolveName } from './internal/names.js';
import { Publication } from './internal/publication.js';
import { callService } from './internal/service-client.js';
import { ServiceProvider } from './internal/service-server.js';
import { MasterLink } from './internal/master-link.js';
import { installSlaveApi, type SlaveApiNode } from './internal/slave-api.js';
import { Subscription } from './internal/subscription.js';
import { TcprosServer } from './internal/tcpros-server.js';
import { TypeRegistry, type MessageCodec, type ServiceCodec } from './internal/type-registry.js';
import type {
  AdvertiseOptions,
  CallServiceOptions,
  MessageMeta,
  Publisher,
  Ros1Message,
  Ros1Node,
  Ros1NodeEvents,
  Ros1NodeOptions,
  Ros1Result,
  ServiceHandler,
  ServiceServer,
  SubscribeOptions,
  Subscriber,
} from './ros1-node.types.js';

const Options = z.object({
  name: z.string().min(1),
  masterUri: z.string().url().refine((u) => /^https?:\/\//.test(u), 'masterUri must be http(s)://host:port/'),
  host: z.string().min(1).optional(),
  bindAddress: z.string().min(1).optional(),
  namespace: z.string().optional(),
  masterPollMs: z.number().int().min(50).max(600_000).optional(),
  xmlrpcTimeoutMs: z.number().int().min(50).max(600_000).optional(),
  maxMessageBytes: z.number().int().min(1024).max(2 ** 31).optional(),
});

/** XML-RPC request bodies we accept on the slave API (they are small: topic lists). */
const MAX_XMLRPC_BODY = 4 * 1024 * 1024;

/** Thrown for invalid options (a programming error, not an expected failure). */
export class Ros1OptionsError extends Error {}

/**
 * Starts a ROS 1 node: binds the slave XML-RPC and TCPROS servers and contacts the master.
 * Resolves even when the master is down: registrations are sent as soon as it answers
 * (`master-back`), and again whenever it restarts.
 * @throws Ros1OptionsError on invalid options; the servers' bind errors propagate.
 */
export async function createRos1Node(options: Ros1NodeOptions): Promise<Ros1Node> {
  const parsed = Options.safeParse(options);
  if (!parsed.success) throw new Ros1OptionsError(`createRos1Node: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const ns = normalizeNamespace(options.namespace);
  if (!ns.ok) throw new Ros1OptionsError(ns.error.message);
  const name = resolveName(options.name, ns.value, '/');
  if (!name.ok || options.name.startsWith('~')) throw new Ros1OptionsError(`createRos1Node: ${name.ok ? 'node name cannot be private' : name.error.message}`);
  const node = new Ros1NodeImpl(options, ns.value, name.value);
  for (const [type, text] of Object.entries(options.definitions ?? {})) {
    const r = node.registerDefinition(type, text);
    if (!r.ok) throw new Ros1OptionsError(`createRos1Node: definition ${type}: ${r.error.message}`);
  }
  await node.start();
  return node;
}

class Ros1NodeImpl extends EventEmitter implements Ros1Node, SlaveApiNode {
  readonly masterUri: string;
  readonly advertisedHost: string;
  private readonly bindAddress: string;
  private readonly log: Logger;
  private readonly registry = new TypeRegistry();
  private readonly pollMs: number;
  private readonly rpcTimeoutMs: number;
  private readonly maxFrameBytes: number;
  private readonly http: BoundedHttpServer;
  private readonly xmlrpc: XmlRpcServer;
  private readonly tcpros: TcprosServer;
  private readonly pubs = new Map<string, { pub: Publication; handles: number; registration: Promise<Ros1Result> }>();
  private readonly subs = new Map<string, Subscription>();
  private readonly subRegistrations = new Map<string, Promise<Ros1Result>>();
  private readonly srvs = new Map<string, ServiceProvider>();
  private readonly master: MasterLink;
  private down = false;
  private uriValue = '';

  constructor(
    opts: Ros1NodeOptions,
    readonly namespace: string,
    readonly name: string,
  ) {
    super();
    this.masterUri = opts.masterUri.endsWith('/') ? opts.masterUri : `${opts.masterUri}/`;
    this.advertisedHost = opts.host ?? '127.0.0.1';
    this.bindAddress = opts.bindAddress ?? (/^(127\.|localhost$)/.test(this.advertisedHost) ? this.advertisedHost : '0.0.0.0');
    this.log = (opts.logger ?? silentLogger).child({ ros1node: name });
    this.pollMs = opts.masterPollMs ?? 1000;
    this.rpcTimeoutMs = opts.xmlrpcTimeoutMs ?? 3000;
    this.maxFrameBytes = opts.maxMessageBytes ?? 256 * 1024 * 1024;
    this.http = new BoundedHttpServer(MAX_XMLRPC_BODY, (reason) => this.log.warn({ reason }, 'ros1: bad XML-RPC request'));
    this.xmlrpc = new XmlRpcServer(this.http);
    this.tcpros = new TcprosServer(
      {
        topic: (t) => {
          const p = this.pubs.get(t)?.pub;
          return p ? (s, r, h) => p.accept(s, r, h) : undefined;
        },
        service: (n) => {
          const p = this.srvs.get(n);
          return p ? (s, r, h) => p.accept(s, r, h) : undefined;
        },
      },
      this.log,
      this.maxFrameBytes,
    );
    installSlaveApi(this.xmlrpc, this, this.log);
    this.master = new MasterLink({
      masterUri: this.masterUri,
      callerId: name,
      timeoutMs: this.rpcTimeoutMs,
      log: this.log,
      callerApi: () => this.uriValue,
      serviceApi: () => `rosrpc://${this.advertisedHost}:${this.tcpros.port}`,
      // additive: a restarted master does not list the publishers that did not re-register
      // (rospy's), whose connections still work
      onPublishers: (topic, pubs) => this.subs.get(topic)?.updatePublishers(pubs, true),
      onLost: (e) => this.emit('master-lost', e),
      onBack: (e) => this.emit('master-back', e),
    });
  }

  get uri(): string {
    return this.uriValue;
  }

  get masterReachable(): boolean {
    return this.master.reachable;
  }

  get tcprosPort(): number {
    return this.tcpros.port;
  }

  async start(): Promise<void> {
    try {
      await this.http.listen(0, this.bindAddress);
      await this.tcpros.listen(this.bindAddress);
    } catch (err) {
      this.http.close();
      this.tcpros.close();
      throw err;
    }
    this.uriValue = `http://${this.advertisedHost}:${this.http.port() ?? 0}/`;
    await this.master.start(this.pollMs);
    this.log.info({ uri: this.uriValue, master: this.masterUri, reachable: this.master.reachable }, 'ros1: node started');
  }

  // ---- types -------------------------------------------------------------------------------

  hasType(type: string): boolean {
    return this.registry.hasMessage(type) || this.registry.hasService(type);
  }

  registerDefinition(type: string, text: string, kind?: 'msg' | 'srv'): Ros1Result {
    return this.registry.register(type, text, kind);
  }

  md5sum(type: string): string | undefined {
    return this.registry.md5sum(type);
  }

  /** What advertise/subscribe/services all start with: a live node, a resolved name, a known type. */
  private named(name: string, type: string, kind: 'message'): Ros1Result<{ name: string; codec: MessageCodec }>;
  private named(name: string, type: string, kind: 'service'): Ros1Result<{ name: string; codec: ServiceCodec }>;
  private named(name: string, type: string, kind: 'message' | 'service'): Ros1Result<{ name: string; codec: MessageCodec | ServiceCodec }> {
    if (this.down) return fail('ROS1.SHUT_DOWN', 'node is shut down');
    const resolved = resolveName(name, this.namespace, this.name);
    if (!resolved.ok) return resolved;
    const codec = kind === 'message' ? this.registry.message(type) : this.registry.service(type);
    if (!codec.ok) return codec;
    return ok({ name: resolved.value, codec: codec.value });
  }

  // ---- topics ------------------------------------------------------------------------------

  advertise(topic: string, type: string, options: AdvertiseOptions = {}): Ros1Result<Publisher> {
    const named = this.named(topic, type, 'message');
    if (!named.ok) return named;
    const { name: t, codec } = named.value;
    let entry = this.pubs.get(t);
    if (entry) {
      if (entry.pub.codec.type !== type) {
        return fail('ROS1.ALREADY_ADVERTISED', `${t} is already advertised by this node as ${entry.pub.codec.type}`);
      }
      entry.handles += 1;
    } else {
      const queueSize = Math.max(1, options.queueSize ?? 100);
      const pub = new Publication(t, codec, options.latch ?? false, queueSize, this.name, this.log);
      entry = { pub, handles: 1, registration: this.master.add('pub', t, type) };
      this.pubs.set(t, entry);
    }
    const pub = entry.pub;
    const registration = entry.registration;
    let closed = false;
    const handle: Publisher = {
      topic: t,
      type,
      md5sum: codec.md5sum,
      registration,
      get subscriberCount() {
        return pub.links.size;
      },
      publish: (msg) => {
        if (closed) return fail('ROS1.SHUT_DOWN', `publisher of ${t} is closed`);
        try {
          pub.publish(msg);
          return okVoid;
        } catch (err) {
          return fail('ROS1.SERIALIZE_FAILED', `${type} on ${t}: ${(err as Error).message}`, { cause: err });
        }
      },
      close: async () => {
        if (closed) return;
        closed = true;
        const e = this.pubs.get(t);
        if (!e || e.pub !== pub) return;
        e.handles -= 1;
        if (e.handles > 0) return;
        this.pubs.delete(t);
        pub.close();
        await this.master.remove('pub', t);
      },
    };
    return ok(handle);
  }

  subscribe<T extends Ros1Message = Ros1Message>(
    topic: string,
    type: string,
    callback: (msg: T, meta: MessageMeta) => void,
    _options: SubscribeOptions = {},
  ): Ros1Result<Subscriber> {
    const named = this.named(topic, type, 'message');
    if (!named.ok) return named;
    const { name: t, codec } = named.value;
    let sub = this.subs.get(t);
    if (sub && sub.codec.type !== type) {
      return fail('ROS1.ALREADY_ADVERTISED', `${t} is already subscribed by this node as ${sub.codec.type}`);
    }
    if (!sub) {
      sub = new Subscription(t, codec, {
        callerId: this.name,
        log: this.log,
        xmlrpcTimeoutMs: this.rpcTimeoutMs,
        maxFrameBytes: this.maxFrameBytes,
      });
      this.subs.set(t, sub);
      this.subRegistrations.set(t, this.master.add('sub', t, type));
    }
    const cb = callback as (msg: Ros1Message, meta: MessageMeta) => void;
    sub.addCallback(cb);
    const s = sub;
    let closed = false;
    return ok({
      topic: t,
      type,
      registration: this.subRegistrations.get(t) ?? Promise.resolve(okVoid),
      get publisherCount() {
        return s.publisherCount;
      },
      close: async () => {
        if (closed) return;
        closed = true;
        if (!s.removeCallback(cb) || this.subs.get(t) !== s) return;
        this.subs.delete(t);
        this.subRegistrations.delete(t);
        s.close();
        await this.master.remove('sub', t);
      },
    });
  }

  // ---- services ----------------------------------------------------------------------------

  advertiseService(service: string, srvType: string, handler: ServiceHandler): Ros1Result<ServiceServer> {
    const named = this.named(service, srvType, 'service');
    if (!named.ok) return named;
    const { name: n, codec } = named.value;
    if (this.srvs.has(n)) return fail('ROS1.ALREADY_ADVERTISED', `${n} is already provided by this node`);
    const provider = new ServiceProvider(n, codec, handler, this.name, this.log);
    this.srvs.set(n, provider);
    const registration = this.master.add('srv', n, srvType);
    let closed = false;
    return ok({
      service: n,
      type: srvType,
      registration,
      close: async () => {
        if (closed) return;
        closed = true;
        if (this.srvs.get(n) !== provider) return;
        this.srvs.delete(n);
        provider.close();
        await this.master.remove('srv', n);
      },
    });
  }

  async callService<T extends Ros1Message = Ros1Message>(
    service: string,
    srvType: string,
    request: Ros1Message,
    options: CallServiceOptions = {},
  ): Promise<Ros1Result<T>> {
    const named = this.named(service, srvType, 'service');
    if (!named.ok) return named;
    const r = await callService(
      { callerId: this.name, masterUri: this.masterUri, xmlrpcTimeoutMs: this.rpcTimeoutMs, maxFrameBytes: this.maxFrameBytes },
      named.value.name,
      named.value.codec,
      request,
      options.timeoutMs ?? 5000,
    );
    return r as Ros1Result<T>;
  }

  // ---- slave API ---------------------------------------------------------------------------

  publications(): Array<{ topic: string; type: string }> {
    return [...this.pubs.values()].map(({ pub }) => ({ topic: pub.topic, type: pub.codec.type }));
  }

  subscriptions(): Array<{ topic: string; type: string }> {
    return [...this.subs.values()].map((s) => ({ topic: s.topic, type: s.codec.type }));
  }

  hasPublication(topic: string): boolean {
    return this.pubs.has(topic);
  }

  publisherUpdate(topic: string, publishers: string[]): void {
    const sub = this.subs.get(topic);
    if (!sub) {
      this.log.debug({ topic }, 'ros1: publisherUpdate for a topic we do not subscribe');
      return;
    }
    sub.updatePublishers(publishers);
  }

  busStats(): XmlRpcValue[] {
    const publish = [...this.pubs.values()].map(({ pub }) => [
      pub.topic,
      pub.bytesSent,
      [...pub.links].map((l) => [l.id, l.bytesSent, l.messagesSent, true]),
    ]);
    const subscribe = [...this.subs.values()].map((s) => [
      s.topic,
      [...s.links.values()].map((l) => [l.id, l.bytesReceived, l.decodeErrors, l.connected]),
    ]);
    let requests = 0;
    let rx = 0;
    let tx = 0;
    for (const p of this.srvs.values()) {
      requests += p.requests;
      rx += p.bytesReceived;
      tx += p.bytesSent;
    }
    return [publish, subscribe, [requests, rx, tx]];
  }

  busInfo(): XmlRpcValue[] {
    const out: XmlRpcValue[] = [];
    for (const { pub } of this.pubs.values()) {
      for (const l of pub.links) out.push([l.id, l.callerId, 'o', 'TCPROS', pub.topic, true, `TCPROS connection on port ${this.tcpros.port} to [${l.callerId}]`]);
    }
    for (const s of this.subs.values()) {
      for (const l of s.links.values()) out.push([l.id, l.uri, 'i', 'TCPROS', s.topic, l.connected, `TCPROS connection to [${l.publisherId || l.uri}]`]);
    }
    return out;
  }

  requestShutdown(reason: string): void {
    this.log.warn({ reason }, 'ros1: shutdown requested through the slave API');
    setImmediate(() => {
      void this.shutdown(reason).then(() => this.emit('shutdown', { reason }));
    });
  }

  async shutdown(reason = 'shutdown'): Promise<void> {
    if (this.down) return;
    this.down = true;
    await this.master.stop();
    for (const { pub } of this.pubs.values()) pub.close();
    for (const s of this.subs.values()) s.close();
    for (const p of this.srvs.values()) p.close();
    this.pubs.clear();
    this.subs.clear();
    this.subRegistrations.clear();
    this.srvs.clear();
    this.tcpros.close();
    this.http.close();
    this.log.info({ reason }, 'ros1: node shut down');
  }
}
