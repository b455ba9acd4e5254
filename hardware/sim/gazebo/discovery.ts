/**
 * One discovery service of Gazebo transport over UDP multicast (messages on 10317, services on
 * 10318, group 239.255.0.7), as `ignition::transport::Discovery` (ign-transport11
 * include/ignition/transport/Discovery.hh) runs it: HEARTBEAT and re-ADVERTISE of local
 * publishers every second, peers silent for 3 s forgotten, SUBSCRIBE answered with ADVERTISE,
 * BYE on close.
 *
 * @remarks
 * Not implemented: unicast relays (IGN_RELAY) and the RELAY/NO_RELAY forwarding; a datagram with
 * the RELAY flag is ignored. Timers run on the injected clock (a `WallClock` in practice).
 */
import dgram from 'node:dgram';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../../core/clock.js';
import type { Failure } from '../../../core/result.js';
import { decodeDiscovery, encodeDiscovery, GZ_WIRE_VERSION, type DiscoveryPacket, type DiscoveryPublisher, type DiscoveryType } from './discovery-codec.js';
import type { GzMessages } from './gz-messages.js';

export const GZ_DISCOVERY_GROUP = '239.255.0.7';
export const GZ_MSG_DISCOVERY_PORT = 10317;
export const GZ_SRV_DISCOVERY_PORT = 10318;
/** Gazebo's discovery intervals (ms): `kDefHeartbeatInterval`, `kDefSilenceInterval`, `kDefActivityInterval`. */
export const GZ_HEARTBEAT_MS = 1000;
export const GZ_SILENCE_MS = 3000;
export const GZ_ACTIVITY_MS = 100;

export interface DiscoveryOptions {
  readonly msgs: GzMessages;
  readonly clock: Clock;
  readonly processUuid: string;
  readonly port: number;
  readonly group?: string;
  /** IPv4 addresses of the interfaces to join the group on and send from (IGN_IP or all up, non-loopback). */
  readonly interfaces: readonly string[];
  readonly logger?: Logger;
  readonly heartbeatMs?: number;
  readonly silenceMs?: number;
}

export interface DiscoveryStats {
  received: number;
  sent: number;
  /** Datagrams that failed to decode, by error code. */
  rejected: Record<string, number>;
  /** Well-formed datagrams of another wire version (ignored, as Gazebo does). */
  otherVersion: number;
  lastError?: Failure;
}

export interface DiscoveryEvents {
  /** A remote publisher appeared (first ADVERTISE of that topic/process/node). */
  connection(pub: DiscoveryPublisher): void;
  /** A publisher left: UNADVERTISE (with topic), or a process left/expired (`topic` empty). */
  disconnection(pub: DiscoveryPublisher): void;
  /** A remote subscriber registered with one of our publishers (NEW_CONNECTION). */
  registration(pub: DiscoveryPublisher): void;
  unregistration(pub: DiscoveryPublisher): void;
  /** A malformed datagram was dropped (nothing else happens). */
  rejected(error: Failure, from: string): void;
}

type Listeners = { [K in keyof DiscoveryEvents]: Set<DiscoveryEvents[K]> };

const key = (p: DiscoveryPublisher) => `${p.processUuid}\u0000${p.nodeUuid}`;

/** Publishers by topic, then by process/node. */
class PublisherTable {
  private readonly byTopic = new Map<string, Map<string, DiscoveryPublisher>>();

  add(p: DiscoveryPublisher): boolean {
    let m = this.byTopic.get(p.topic);
    if (!m) this.byTopic.set(p.topic, (m = new Map()));
    const k = key(p);
    if (m.has(k)) return false;
    m.set(k, p);
    return true;
  }
  delNode(topic: string, processUuid: string, nodeUuid: string): boolean {
    const m = this.byTopic.get(topic);
    const removed = m?.delete(`${processUuid}\u0000${nodeUuid}`) ?? false;
    if (m && m.size === 0) this.byTopic.delete(topic);
    return removed;
  }
  delProcess(processUuid: string): DiscoveryPublisher[] {
    const gone: DiscoveryPublisher[] = [];
    for (const [topic, m] of this.byTopic) {
      for (const [k, p] of m) if (p.processUuid === processUuid) (m.delete(k), gone.push(p));
      if (m.size === 0) this.byTopic.delete(topic);
    }
    return gone;
  }
  get(topic: string): DiscoveryPublisher[] {
    return [...(this.byTopic.get(topic)?.values() ?? [])];
  }
  all(): DiscoveryPublisher[] {
    return [...this.byTopic.values()].flatMap((m) => [...m.values()]);
  }
  topics(): string[] {
    return [...this.byTopic.keys()];
  }
}

export class GzDiscovery {
  readonly stats: DiscoveryStats = { received: 0, sent: 0, rejected: {}, otherVersion: 0 };
  private readonly group: string;
  private readonly remote = new PublisherTable();
  private readonly local = new PublisherTable();
  private readonly activity = new Map<string, number>();
  private readonly listeners: Listeners = { connection: new Set(), disconnection: new Set(), registration: new Set(), unregistration: new Set(), rejected: new Set() };
  private recv: dgram.Socket | undefined;
  private senders: dgram.Socket[] = [];
  private heartbeatTimer: TimerHandle | undefined;
  private activityTimer: TimerHandle | undefined;
  private closed = false;
  private readonly inflight = new Set<Promise<void>>();
  private readonly heartbeatMs: number;
  private readonly silenceMs: number;

  constructor(private readonly o: DiscoveryOptions) {
    this.group = o.group ?? GZ_DISCOVERY_GROUP;
    this.heartbeatMs = o.heartbeatMs ?? GZ_HEARTBEAT_MS;
    this.silenceMs = o.silenceMs ?? GZ_SILENCE_MS;
  }

  on<K extends keyof DiscoveryEvents>(event: K, fn: DiscoveryEvents[K]): () => void {
    (this.listeners[event] as Set<DiscoveryEvents[K]>).add(fn);
    return () => (this.listeners[event] as Set<DiscoveryEvents[K]>).delete(fn);
  }

  private emit<K extends keyof DiscoveryEvents>(event: K, ...args: Parameters<DiscoveryEvents[K]>): void {
    for (const fn of this.listeners[event]) {
      try {
        (fn as (...a: Parameters<DiscoveryEvents[K]>) => void)(...args);
      } catch (err) {
        this.o.logger?.error({ err, event }, 'gz discovery listener threw');
      }
    }
  }

  /** Binds the multicast port (shared with other processes: SO_REUSEADDR), joins the group, starts heartbeats. */
  async start(): Promise<void> {
    const recv = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    recv.on('message', (buf, rinfo) => this.onDatagram(buf, rinfo.address));
    recv.on('error', (err) => this.o.logger?.warn({ err }, 'gz discovery socket error'));
    try {
      await new Promise<void>((resolve, reject) => {
        recv.once('error', reject);
        recv.bind(this.o.port, () => {
          recv.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      recv.close();
      throw err;
    }
    for (const iface of this.o.interfaces) {
      try {
        recv.addMembership(this.group, iface);
      } catch (err) {
        this.o.logger?.warn({ err, iface }, 'gz discovery: cannot join the multicast group on this interface');
      }
    }
    this.recv = recv;
    for (const iface of this.o.interfaces) {
      const s = dgram.createSocket({ type: 'udp4' });
      s.on('error', (err) => this.o.logger?.warn({ err, iface }, 'gz discovery send socket error'));
      await new Promise<void>((resolve) => s.bind(0, iface, () => resolve()));
      s.setMulticastInterface(iface);
      s.setMulticastLoopback(true);
      this.senders.push(s);
    }
    this.heartbeat();
    this.checkActivity();
  }

  /** Announces a local publisher (and keeps re-announcing it with every heartbeat). */
  advertise(pub: DiscoveryPublisher): void {
    this.local.add(pub);
    if (pub.scope !== 'PROCESS') this.send('ADVERTISE', { pub });
  }

  /** Withdraws a local publisher. */
  unadvertise(pub: DiscoveryPublisher): void {
    if (this.local.delNode(pub.topic, pub.processUuid, pub.nodeUuid) && pub.scope !== 'PROCESS') this.send('UNADVERTISE', { pub });
  }

  /** Asks the publishers of a topic to announce themselves (SUBSCRIBE); known ones are reported at once. */
  discover(topic: string): void {
    this.send('SUBSCRIBE', { sub: { topic } });
    for (const p of this.remote.get(topic)) this.emit('connection', p);
  }

  /** Tells a publisher's process that we subscribed (NEW_CONNECTION; `pub.msg.ctrl` = its process uuid). */
  register(pub: DiscoveryPublisher): void {
    this.send('NEW_CONNECTION', { pub });
  }

  unregister(pub: DiscoveryPublisher): void {
    this.send('END_CONNECTION', { pub });
  }

  /** Remote publishers of a fully qualified topic. */
  publishers(topic: string): DiscoveryPublisher[] {
    return this.remote.get(topic);
  }

  /** Every fully qualified topic known (remote and local). */
  topics(): string[] {
    return [...new Set([...this.remote.topics(), ...this.local.topics()])];
  }

  /** Sends BYE and closes the sockets. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.send('BYE', {});
    this.closed = true;
    this.o.clock.clearTimeout(this.heartbeatTimer);
    this.o.clock.clearTimeout(this.activityTimer);
    // Let the BYE datagrams leave before the sockets close.
    await Promise.all(this.inflight);
    for (const s of [...this.senders, ...(this.recv ? [this.recv] : [])]) {
      try {
        s.close();
      } catch {
        /* already closed */
      }
    }
    this.senders = [];
    this.recv = undefined;
  }

  private send(type: DiscoveryType, body: { pub?: DiscoveryPublisher; sub?: { topic: string } }): void {
    if (this.closed) return;
    const packet: DiscoveryPacket = { version: GZ_WIRE_VERSION, processUuid: this.o.processUuid, type, ...body };
    const enc = encodeDiscovery(this.o.msgs, packet);
    if (!enc.ok) {
      this.o.logger?.error({ error: enc.error, type }, 'gz discovery: cannot encode');
      return;
    }
    for (const s of this.senders) {
      const done = new Promise<void>((resolve) =>
        s.send(enc.value, this.o.port, this.group, (err) => {
          if (err) this.o.logger?.debug({ err }, 'gz discovery send failed');
          this.inflight.delete(done);
          resolve();
        }),
      );
      this.inflight.add(done);
      this.stats.sent++;
    }
  }

  private heartbeat(): void {
    if (this.closed) return;
    this.send('HEARTBEAT', {});
    for (const p of this.local.all()) if (p.scope !== 'PROCESS') this.send('ADVERTISE', { pub: p });
    this.heartbeatTimer = this.o.clock.setTimeout(() => this.heartbeat(), this.heartbeatMs);
  }

  private checkActivity(): void {
    if (this.closed) return;
    const now = this.o.clock.now();
    for (const [proc, t] of this.activity) {
      if (now - t > this.silenceMs) {
        this.activity.delete(proc);
        this.remote.delProcess(proc);
        this.emit('disconnection', { topic: '', address: '', processUuid: proc, nodeUuid: '', scope: 'ALL' });
      }
    }
    this.activityTimer = this.o.clock.setTimeout(() => this.checkActivity(), GZ_ACTIVITY_MS);
  }

  private onDatagram(buf: Buffer, from: string): void {
    if (this.closed) return;
    this.stats.received++;
    const r = decodeDiscovery(this.o.msgs, buf);
    if (!r.ok) {
      this.stats.rejected[r.error.code] = (this.stats.rejected[r.error.code] ?? 0) + 1;
      this.stats.lastError = r.error;
      this.o.logger?.debug({ error: r.error, from }, 'gz discovery: dropped a malformed datagram');
      this.emit('rejected', r.error, from);
      return;
    }
    const msg = r.value;
    if (msg.version !== GZ_WIRE_VERSION) {
      this.stats.otherVersion++;
      return;
    }
    if (msg.processUuid === this.o.processUuid) return;
    if (msg.flags?.relay) return;
    const local = this.o.interfaces.includes(from) || from.startsWith('127.');
    const inScope = (p: DiscoveryPublisher) => p.scope !== 'PROCESS' && (p.scope !== 'HOST' || local);
    this.activity.set(msg.processUuid, this.o.clock.now());
    switch (msg.type) {
      case 'ADVERTISE':
        if (msg.pub && inScope(msg.pub) && this.remote.add(msg.pub)) this.emit('connection', msg.pub);
        break;
      case 'SUBSCRIBE':
        for (const p of this.local.get(msg.sub!.topic)) if (inScope(p)) this.send('ADVERTISE', { pub: p });
        break;
      case 'NEW_CONNECTION':
        this.emit('registration', msg.pub!);
        break;
      case 'END_CONNECTION':
        this.emit('unregistration', msg.pub!);
        break;
      case 'HEARTBEAT':
        break;
      case 'BYE':
        this.activity.delete(msg.processUuid);
        this.emit('disconnection', { topic: '', address: '', processUuid: msg.processUuid, nodeUuid: '', scope: 'ALL' });
        this.remote.delProcess(msg.processUuid);
        break;
      case 'UNADVERTISE':
        if (msg.pub && inScope(msg.pub)) {
          this.emit('disconnection', msg.pub);
          this.remote.delNode(msg.pub.topic, msg.pub.processUuid, msg.pub.nodeUuid);
        }
        break;
      default:
        this.o.logger?.debug({ type: msg.type }, 'gz discovery: unknown type');
    }
  }
}
