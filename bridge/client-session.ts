/**
 * One connected client: authentication, op dispatch, status replies and its topic streams.
 *
 * @remarks
 * Works against the minimal {@link BridgeSocket} (send, bufferedAmount, close), as
 * foxglove/ws-protocol's server does, so the WebSocket library stays in the server file. Every
 * frame goes through the pure parser; anything wrong is answered with a `status` op at level
 * `error` naming a dotted code, and nothing else changes — the connection stays usable. Until
 * the client authenticates, every op but `auth` is refused and nothing is delivered.
 */
import type { Logger } from '../core/logger.js';
import { correlationId } from '../core/logger.js';
import type { Twin } from '../actors/twin.js';
import { argsObject, commandFromMessage } from './commands.js';
import { OutgoingMessage, textFrame, type Frame } from './encoding.js';
import type { CommandWaiter } from './internal/command-waiter.js';
import { FragmentAssembler } from './internal/fragment-assembler.js';
import { SessionAuth, type Authenticate } from './internal/session-auth.js';
import type { BridgeMetrics, DropReason } from './metrics.js';
import {
  normalizeName,
  parseClientMessage,
  parseClientValue,
  sameRosType,
  statusPasses,
  type CallServiceRequest,
  type ClientOp,
  type FragmentRequest,
  type PublishRequest,
  type ServerOp,
  type StatusLevel,
  type SubscribeRequest,
} from './protocol.js';
import { roleAtLeast, type Identity, type ServiceDef } from './services.js';
import type { TopicCatalog } from './topic-catalog.js';
import type { TopicHub } from './topic-hub.js';
import { TopicStream, type StreamHost } from './topic-stream.js';

/** The least a session needs from a socket. */
export interface BridgeSocket {
  send(data: Buffer, binary: boolean): void;
  /** Bytes accepted by `send` and not yet handed to the OS. */
  readonly bufferedAmount: number;
  close(code: number, reason: string): void;
}

export type { Authenticate };

export interface SessionLimits {
  readonly maxMessageBytes: number;
  /** Above this many buffered bytes the client is congested: topic messages queue (and drop). */
  readonly highWaterMarkBytes: number;
  /** Replies (status, service responses) are dropped above this many buffered bytes. */
  readonly maxBufferedBytes: number;
  readonly maxQueueLength: number;
  readonly maxTopics: number;
  readonly maxPendingCalls: number;
  readonly serviceTimeout_ms: number;
  /**
   * How often (wall ms) a connected client's token is verified again, so an expired token, or a
   * user deleted or demoted in the store, loses the connection's rights; 0 = never.
   */
  readonly reauthInterval_ms: number;
  /**
   * A connection without a valid identity for this long (wall ms) is closed (1008), so idle
   * unauthenticated sockets cannot use up `maxClients`; 0 = never.
   */
  readonly authTimeout_ms: number;
}

export interface SessionDeps {
  readonly twin: Twin;
  readonly catalog: TopicCatalog;
  readonly hub: TopicHub;
  readonly services: ReadonlyMap<string, ServiceDef>;
  readonly waiter: CommandWaiter;
  readonly authenticate: Authenticate;
  readonly logger: Logger;
  readonly limits: SessionLimits;
  readonly metrics?: BridgeMetrics;
  /**
   * Asked when a connection that was not authenticated becomes so (an `auth` op): false means
   * the server is full of authenticated clients, and the connection is closed (1013).
   */
  readonly admit?: () => boolean;
}

/** A token the server verified at the upgrade (`?token=`), with what it proved. */
export interface PreAuth {
  readonly token: string;
  readonly identity: Identity;
}

export interface ClientInfo {
  readonly id: string;
  readonly sub?: string;
  readonly role?: string;
  readonly bufferedAmount: number;
  readonly sent: number;
  readonly dropped: number;
  readonly rejected: number;
  readonly topics: { topic: string; sent: number; dropped: number; queued: number; requests: number }[];
}

const MAX_PENDING_FRAMES = 64;
const DRAIN_POLL_MS = 5;

type Level = Exclude<StatusLevel, 'none'>;

export class ClientSession implements StreamHost {
  private readonly auth: SessionAuth;
  private readonly held: { data: Buffer; binary: boolean }[] = [];
  private level: StatusLevel = 'error';
  private readonly streams = new Map<string, TopicStream>();
  private readonly advertised = new Set<string>();
  private readonly fragments: FragmentAssembler;
  private readonly draining = new Set<TopicStream>();
  private drainTimer: NodeJS.Timeout | undefined;
  private pendingCalls = 0;
  private closed = false;
  /** Set once the connection has had an identity (the server counted it as authenticated). */
  private wasAuthenticated = false;
  /** Commands (publish) run in arrival order, each after its own token check. */
  private commandChain: Promise<void> = Promise.resolve();
  private readonly log: Logger;
  sent = 0;
  dropped = 0;
  rejected = 0;

  constructor(
    readonly id: string,
    private readonly socket: BridgeSocket,
    private readonly deps: SessionDeps,
    urlToken?: string | PreAuth,
  ) {
    this.log = deps.logger.child({ client: id });
    this.fragments = new FragmentAssembler(deps.limits.maxMessageBytes);
    this.auth = new SessionAuth(deps.authenticate, deps.limits, this.log, {
      accepted: (who, opId) => {
        if (!this.wasAuthenticated && this.deps.admit && !this.deps.admit()) {
          this.reject('BRIDGE.BUSY', 'too many clients', opId);
          return this.socket.close(1013, 'too many clients');
        }
        this.wasAuthenticated = true;
        this.status('info', `authenticated as ${who.sub} (${who.role})`, opId);
      },
      refused: (message, opId) => this.reject('BRIDGE.UNAUTHENTICATED', message, opId),
      revoked: (message) => {
        this.dropStreams();
        this.advertised.clear();
        this.reject('BRIDGE.UNAUTHENTICATED', message);
      },
      settled: () => {
        for (const f of this.held.splice(0)) this.handleFrame(f.data, f.binary);
      },
      timedOut: () => this.socket.close(1008, 'authentication required'),
    });
    if (typeof urlToken === 'string') this.auth.submit(urlToken, undefined);
    else if (urlToken !== undefined) {
      this.wasAuthenticated = true;
      this.auth.adopt(urlToken.identity, urlToken.token);
    }
  }

  /** Who the client is, once authenticated. */
  private get identity(): Identity | undefined {
    return this.auth.identity;
  }

  /** True while the connection has a valid identity. */
  get authenticated(): boolean {
    return this.auth.identity !== undefined;
  }

  /** Handles one incoming WebSocket frame. Never throws. */
  onFrame(data: Buffer, binary: boolean): void {
    if (this.closed) return;
    this.deps.metrics?.messagesReceived?.(1);
    this.handleFrame(data, binary);
  }

  private handleFrame(data: Buffer, binary: boolean): void {
    if (this.auth.pending) {
      // Keep order: ops sent right after the token wait until it is checked.
      if (this.held.length < MAX_PENDING_FRAMES) this.held.push({ data, binary });
      else this.reject('BRIDGE.BUSY', 'too many messages while authentication is pending');
      return;
    }
    try {
      const parsed = parseClientMessage(data, binary, this.deps.limits.maxMessageBytes);
      if (!parsed.ok) return this.reject(parsed.code, parsed.message, parsed.id);
      this.dispatch(parsed.op);
    } catch (error) {
      // A bug, not bad input: log it, tell the client, keep the connection.
      this.log.error({ err: error }, 'bridge op handler threw');
      this.reject('BRIDGE.INTERNAL', 'internal error handling the message');
    }
  }

  /** Stops every stream and timer; the socket is the server's to close. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.dropStreams();
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.auth.dispose();
    this.fragments.clear();
    this.held.length = 0;
  }

  info(): ClientInfo {
    return {
      id: this.id,
      ...(this.identity ? { sub: this.identity.sub, role: this.identity.role } : {}),
      bufferedAmount: this.socket.bufferedAmount,
      sent: this.sent,
      dropped: this.dropped,
      rejected: this.rejected,
      topics: [...this.streams.values()].map((s) => ({ topic: s.topic, sent: s.sent, dropped: s.dropped, queued: s.queued, requests: s.requestCount })),
    };
  }

  // ---- StreamHost ----

  writable(): boolean {
    return this.socket.bufferedAmount < this.deps.limits.highWaterMarkBytes;
  }

  write(frames: readonly Frame[]): void {
    for (const f of frames) this.socket.send(f.data, f.binary);
    this.sent++;
    this.deps.metrics?.messagesSent?.(1);
  }

  awaitDrain(stream: TopicStream): void {
    this.draining.add(stream);
    // Polled, and only while congested: ws has no drain event, and an idle client costs nothing.
    this.drainTimer ??= setTimeout(() => this.pollDrain(), DRAIN_POLL_MS);
  }

  onDropped(topic: string, count: number, reason: DropReason): void {
    this.dropped += count;
    this.deps.metrics?.messagesDropped?.(topic, count, reason);
  }

  now(): number {
    return performance.now();
  }

  private pollDrain(): void {
    this.drainTimer = undefined;
    if (this.closed) return;
    // Resume below half the high-water mark so we do not flap at the threshold.
    if (this.socket.bufferedAmount > this.deps.limits.highWaterMarkBytes / 2) {
      this.drainTimer = setTimeout(() => this.pollDrain(), DRAIN_POLL_MS);
      return;
    }
    const streams = [...this.draining];
    this.draining.clear();
    for (const s of streams) s.flush();
  }

  // ---- replies ----

  private reply(op: ServerOp): void {
    if (this.closed) return;
    // A client that sends but never reads must not grow our buffers without bound.
    if (this.socket.bufferedAmount > this.deps.limits.maxBufferedBytes) {
      this.dropped++;
      this.deps.metrics?.messagesDropped?.(op.op, 1, 'backpressure');
      return;
    }
    const f = textFrame(JSON.stringify(op));
    this.socket.send(f.data, false);
  }

  private status(level: Level, msg: string, id?: string): void {
    if (!statusPasses(level, this.level)) return;
    this.reply({ op: 'status', level, msg, ...(id !== undefined ? { id } : {}) });
  }

  private reject(code: string, message: string, id?: string): void {
    this.rejected++;
    this.deps.metrics?.rejected?.(code);
    this.log.debug({ code, id }, message);
    this.status('error', `${code}: ${message}`, id);
  }

  private dropStreams(): void {
    for (const stream of this.streams.values()) stream.close();
    this.streams.clear();
    this.draining.clear();
  }

  // ---- dispatch ----

  private dispatch(op: ClientOp): void {
    if (op.op === 'auth') return this.auth.submit((op.token ?? op.mac)!, op.id);
    if (!this.identity) return this.reject('BRIDGE.UNAUTHENTICATED', `authenticate first (?token=<jwt> or an auth op) before ${op.op}`, op.id);
    switch (op.op) {
      case 'subscribe':
        return this.subscribe(op);
      case 'unsubscribe':
        return this.unsubscribe(normalizeName(op.topic), op.id);
      case 'advertise':
        return this.advertise(normalizeName(op.topic), op.type, op.id);
      case 'unadvertise': {
        const topic = normalizeName(op.topic);
        if (!this.advertised.delete(topic)) this.status('warning', `unadvertise: ${topic} is not advertised by this client`, op.id);
        return;
      }
      case 'publish':
        return this.publish(op);
      case 'call_service':
        return void this.callService(op);
      case 'set_level':
        this.level = op.level;
        return;
      case 'fragment':
        return this.onFragment(op);
    }
  }

  private subscribe(op: SubscribeRequest): void {
    const topic = normalizeName(op.topic);
    const def = this.deps.catalog.topics.get(topic);
    if (!def) return this.reject('BRIDGE.UNKNOWN_TOPIC', `no topic ${topic}; see /rosapi/topics`, op.id);
    if (op.type && !sameRosType(op.type, def.type))
      return this.reject('BRIDGE.TYPE_MISMATCH', `${topic} is ${def.type}, not ${op.type}`, op.id);
    if (op.compression === 'cbor-raw') return this.reject('BRIDGE.UNSUPPORTED', 'compression cbor-raw is not supported (use cbor, png or none)', op.id);
    let stream = this.streams.get(topic);
    if (!stream && this.streams.size >= this.deps.limits.maxTopics)
      return this.reject('BRIDGE.LIMIT', `at most ${this.deps.limits.maxTopics} subscribed topics per client`, op.id);
    let queue = op.queue_length ?? 0;
    if (queue > this.deps.limits.maxQueueLength) {
      this.status('warning', `queue_length ${queue} capped at ${this.deps.limits.maxQueueLength}`, op.id);
      queue = this.deps.limits.maxQueueLength;
    }
    const isNew = !stream;
    stream ??= new TopicStream(topic, this);
    stream.addRequest(op.id, {
      throttle_ms: op.throttle_rate ?? 0,
      queue_length: queue,
      compression: op.compression ?? 'none',
      ...(op.fragment_size !== undefined ? { fragment_size: op.fragment_size } : {}),
      ...(op.point_budget !== undefined ? { point_budget: op.point_budget } : {}),
    });
    if (isNew) {
      this.streams.set(topic, stream);
      stream.detach = this.deps.hub.attach(topic, stream);
    }
    for (const m of this.deps.hub.current(topic)) stream.offer(m);
    // Latched values that need I/O (the latest image from the blob store) follow when read.
    const later = this.deps.hub.currentLater(topic);
    if (later) {
      const s = stream;
      void later.then((ms) => {
        if (this.closed || this.streams.get(topic) !== s) return;
        for (const m of ms) s.offer(m);
      });
    }
    this.status('info', `subscribed to ${topic}`, op.id);
  }

  private unsubscribe(topic: string, id: string | undefined): void {
    const stream = this.streams.get(topic);
    if (!stream) return this.status('warning', `unsubscribe: not subscribed to ${topic}`, id);
    // roslib unsubscribes with its subscription's id; an id we do not know removes nothing (spec).
    if (id !== undefined && !stream.hasRequest(id)) return this.status('warning', `unsubscribe: no subscription ${id} on ${topic}`, id);
    const remaining = stream.removeRequest(id);
    if (remaining === 0) {
      stream.close();
      this.streams.delete(topic);
      this.draining.delete(stream);
    }
  }

  private advertise(topic: string, type: string, id: string | undefined): void {
    const def = this.deps.catalog.inbound.get(topic);
    if (!def) {
      const readOnly = this.deps.catalog.topics.has(topic);
      return this.reject('BRIDGE.PUBLISH_DENIED', readOnly ? `${topic} is published by the twin; clients cannot publish on it` : `clients may publish only on /<vehicle>/cmd, not ${topic}`, id);
    }
    if (!roleAtLeast(this.identity!.role, 'operator')) return this.reject('BRIDGE.FORBIDDEN', `role ${this.identity!.role} may not publish commands`, id);
    if (!sameRosType(type, def.type)) return this.reject('BRIDGE.TYPE_MISMATCH', `${topic} is ${def.type}, not ${type}`, id);
    this.advertised.add(topic);
  }

  private publish(op: PublishRequest): void {
    const topic = normalizeName(op.topic);
    const def = this.deps.catalog.inbound.get(topic);
    if (!def) return this.advertise(topic, '', op.id);
    const command = commandFromMessage(op.msg);
    if (!command.ok) return this.reject(command.error.code, `${topic}: ${command.error.message}`, op.id);
    // A command: the token is checked again now (revoked, expired, user demoted or deleted
    // since the last periodic check), in order with the client's other commands.
    this.commandChain = this.commandChain.then(async () => {
      const identity = await this.auth.recheck();
      if (this.closed) return;
      if (!identity) return this.reject('BRIDGE.UNAUTHENTICATED', `authenticate again before publishing on ${topic}`, op.id);
      if (!roleAtLeast(identity.role, 'operator')) return this.reject('BRIDGE.FORBIDDEN', `role ${identity.role} may not publish commands`, op.id);
      const cid = op.id ?? correlationId('ws');
      this.log.info({ cid, sub: identity.sub, vehicle: def.vehicle, command: command.value }, 'command published');
      // No reply op exists for publish: a refusal comes back as a warning status.
      this.deps.waiter.wait(cid, this.deps.limits.serviceTimeout_ms).then((r) => {
        if (r && !r.ok) this.status('warning', `${def.vehicle} ${command.value.kind}: ${r.code}: ${r.message}`, op.id);
      });
      this.deps.twin.command(def.vehicle, command.value, cid);
    }).catch((error: unknown) => {
      this.log.error({ err: error }, 'publish failed');
      this.reject('BRIDGE.INTERNAL', 'internal error handling the message', op.id);
    });
  }

  private async callService(op: CallServiceRequest): Promise<void> {
    const name = normalizeName(op.service);
    const respond = (result: boolean, values: unknown) => {
      const m = new OutgoingMessage({ op: 'service_response', service: op.service, result, values, ...(op.id !== undefined ? { id: op.id } : {}) });
      if (this.closed || this.socket.bufferedAmount > this.deps.limits.maxBufferedBytes) return;
      for (const f of m.frames(op.compression === 'cbor-raw' ? 'none' : (op.compression ?? 'none'), op.fragment_size)) this.socket.send(f.data, f.binary);
    };
    const refuse = (code: string, message: string) => {
      this.reject(code, message, op.id);
      respond(false, `${code}: ${message}`);
    };
    const def = this.deps.services.get(name);
    if (!def) return refuse('BRIDGE.UNKNOWN_SERVICE', `no service ${name}; see /rosapi/services`);
    if (this.pendingCalls >= this.deps.limits.maxPendingCalls) return refuse('BRIDGE.BUSY', `at most ${this.deps.limits.maxPendingCalls} service calls in flight per client`);
    const cid = op.id ?? correlationId('ws');
    const timeout_ms = op.timeout && op.timeout > 0 ? Math.min(op.timeout * 1000, this.deps.limits.serviceTimeout_ms) : this.deps.limits.serviceTimeout_ms;
    const t0 = performance.now();
    this.pendingCalls++;
    try {
      // Commanding services check the token again now (it may be revoked, expired, or its user
      // demoted or deleted since the last periodic check); read-only ones use the current identity.
      const identity = def.minRole === 'viewer' ? this.identity : await this.auth.recheck();
      if (this.closed) return;
      if (!identity) return refuse('BRIDGE.UNAUTHENTICATED', `authenticate again before calling ${name}`);
      if (!roleAtLeast(identity.role, def.minRole)) return refuse('BRIDGE.FORBIDDEN', `${name} needs role ${def.minRole}; ${identity.sub} is ${identity.role}`);
      const outcome = await def.call({ args: argsObject(op.args), cid, identity, timeout_ms });
      const ms = performance.now() - t0;
      if (outcome.ok) {
        this.log.info({ cid, sub: identity.sub, service: name, values: outcome.values, ms }, 'service call');
        this.deps.metrics?.serviceCall?.(name, outcome.values.success === false ? 'refused' : 'ok', ms);
        respond(true, outcome.values);
      } else {
        this.log.info({ cid, sub: identity.sub, service: name, code: outcome.code, ms }, 'service call failed');
        this.deps.metrics?.serviceCall?.(name, 'error', ms);
        refuse(outcome.code, outcome.message);
      }
    } catch (error) {
      this.log.error({ err: error, cid, service: name }, 'service handler threw');
      this.deps.metrics?.serviceCall?.(name, 'error', performance.now() - t0);
      refuse('BRIDGE.INTERNAL', `${name} failed internally`);
    } finally {
      this.pendingCalls--;
    }
  }

  private onFragment(op: FragmentRequest): void {
    const r = this.fragments.add(op);
    if (r.state === 'partial') return;
    if (r.state === 'error') return this.reject(r.code, r.message, op.id);
    let value: unknown;
    try {
      value = JSON.parse(r.text);
    } catch (error) {
      return this.reject('BRIDGE.BAD_JSON', `reassembled fragments are not JSON: ${(error as Error).message}`, op.id);
    }
    const parsed = parseClientValue(value);
    if (!parsed.ok) return this.reject(parsed.code, parsed.message, parsed.id ?? op.id);
    if (parsed.op.op === 'fragment') return this.reject('BRIDGE.INVALID_FIELDS', 'a fragment cannot contain a fragment', op.id);
    this.dispatch(parsed.op);
  }
}
