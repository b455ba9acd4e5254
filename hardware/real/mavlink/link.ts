/**
 * A MAVLink link: bytes in and out over UDP, TCP or a serial port, framed by the codec.
 *
 * @remarks
 * One link may carry several vehicles (system ids) and several ground-station clients; it does
 * no filtering itself, it reports every good frame with the peer it came from.
 * - Peers (`udpin`): a sender becomes a peer only once it sent a frame with a valid checksum
 *   (garbage makes no peer); at most `maxPeers` are kept, the one heard least recently goes.
 * - Routing (https://mavlink.io/en/guide/routing.html): a system id is routed to the peer its
 *   HEARTBEAT last came from, not any frame's; an outgoing frame goes to the peer of its target
 *   system, or to every peer while that system has no route.
 * - TCP: a dropped connection is redialled with exponential backoff (`reconnectMs` doubling up
 *   to `reconnectMaxMs`) until `close()` or the `signal` aborts; a first dial that fails fails
 *   `openLink` and leaves nothing behind.
 * - Backpressure (TCP, serial): when the socket's `write()` returns false, frames wait in an
 *   outbound queue until 'drain'; a frame that would take the queue past `maxQueuedBytes` is
 *   dropped (newest first, whole frames only) and counted in `txDropped` / `txBackpressureDrops`.
 * Inbound bytes are untrusted: bad frames are counted in {@link LinkStats}, a throwing listener
 * is counted and isolated, nothing throws out of a socket callback. `serialport` is an optional
 * dependency loaded only for `serial://` URLs.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { WallClock, type Clock, type TimerHandle } from '../../../core/clock.js';
import { silentLogger, type Logger } from '../../../core/logger.js';
import { fail, ok, type Result } from '../../../core/result.js';
import { MavlinkParser, type MavFrame, type ParserStats } from './codec.js';
import { formatConnectionUrl, parseConnectionUrl, type ConnectionUrl } from './connection-url.js';

export interface LinkStats {
  rxBytes: number;
  rxFrames: number;
  txBytes: number;
  txFrames: number;
  /** Frames whose checksum did not match (corruption, or a dialect mismatch). */
  badCrc: number;
  /** Bytes skipped while resynchronising on garbage. */
  garbageBytes: number;
  /** Frames with a message id we have no definition for. */
  unknownMsg: number;
  /** MAVLink 2 frames dropped for incompat_flags we do not understand. */
  incompatible: number;
  /** Sends that failed or had nowhere to go (no peer yet, link closed, queue full). */
  txDropped: number;
  /** Of `txDropped`: frames dropped because the outbound queue was full (TCP, serial). */
  txBackpressureDrops: number;
  /** Bytes waiting in the outbound queue for the socket to drain (TCP, serial). */
  txQueuedBytes: number;
  /** Peers forgotten to keep the peer set within `maxPeers` (udpin). */
  peersEvicted: number;
  /** TCP connection attempts after the first. */
  reconnects: number;
  /** Listener callbacks that threw (a bug upstream; counted, never propagated). */
  listenerErrors: number;
}

/** Who a frame came from: `udp:127.0.0.1:14580`, `tcp:host:port`, `serial:/dev/ttyUSB0`. */
export type PeerId = string;

export interface Link {
  /** The canonical URL the link was opened with. */
  readonly url: string;
  /** Sends one encoded frame; to the peer of `toSysid` when known (UDP), else to all peers. */
  send(frame: Buffer, toSysid?: number): void;
  /** Every good frame, in arrival order. Returns the unsubscribe function. */
  onFrame(fn: (frame: MavFrame, from: PeerId) => void): () => void;
  /** Closes the socket and stops any redial; idempotent. */
  close(): Promise<void>;
  readonly stats: Readonly<LinkStats>;
  /** The peers frames currently go to (UDP: learned or configured; TCP/serial: the one). */
  peers(): PeerId[];
  /** The peer a system id is routed to (learned from its HEARTBEAT), if any. */
  routeOf(sysid: number): PeerId | undefined;
}

export type LinkErrorCode = 'LINK.BAD_URL' | 'LINK.OPEN_FAILED' | 'LINK.SERIAL_UNAVAILABLE';

export interface LinkOptions {
  readonly logger?: Logger;
  /** Drives TCP reconnection (default: wall clock). */
  readonly clock?: Clock;
  /** First delay before a TCP redial, ms of `clock` (default 1000); doubles per failed attempt. */
  readonly reconnectMs?: number;
  /** Longest delay between TCP redials, ms of `clock` (default 30 000). */
  readonly reconnectMaxMs?: number;
  /** Most peers a `udpin` link remembers (default 16); the least recently heard is forgotten. */
  readonly maxPeers?: number;
  /** Outbound queue bound for TCP and serial, bytes (default 65 536). */
  readonly maxQueuedBytes?: number;
  /** Aborting closes the link (and stops a TCP redial). */
  readonly signal?: AbortSignal;
}

const MSG_HEARTBEAT = 0;
const zeroStats = (): ParserStats => ({ frames: 0, badCrc: 0, unknownMsg: 0, garbageBytes: 0, incompatible: 0 });

/** Shared bookkeeping of every transport: parsing, stats, listeners, sysid → peer routes. */
class LinkCore {
  readonly stats: LinkStats = {
    rxBytes: 0, rxFrames: 0, txBytes: 0, txFrames: 0, badCrc: 0, garbageBytes: 0, unknownMsg: 0, incompatible: 0,
    txDropped: 0, txBackpressureDrops: 0, txQueuedBytes: 0, peersEvicted: 0, reconnects: 0, listenerErrors: 0,
  };
  readonly routes = new Map<number, PeerId>();
  private readonly listeners = new Set<(frame: MavFrame, from: PeerId) => void>();
  private readonly streamParsers = new Map<PeerId, MavlinkParser>();

  constructor(private readonly logger: Logger) {}

  onFrame(fn: (frame: MavFrame, from: PeerId) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * A datagram is a set of whole frames: parse it on its own, so a truncated datagram cannot
   * hold the next one's frames back while the parser waits for bytes that never come.
   * `onValid` runs once, before the first good frame is delivered (peer learning).
   *
   * @returns the number of good frames it held.
   */
  datagram(buf: Buffer, from: PeerId, onValid?: () => void): number {
    this.stats.rxBytes += buf.length;
    const parser = new MavlinkParser();
    const n = this.parse(parser, buf, from, onValid);
    this.absorb(parser.stats, zeroStats());
    return n;
  }

  /**
   * A byte stream (TCP, serial): one parser per peer keeps partial frames between chunks.
   *
   * @returns the number of good frames completed by this chunk.
   */
  stream(buf: Buffer, from: PeerId): number {
    this.stats.rxBytes += buf.length;
    let parser = this.streamParsers.get(from);
    if (!parser) {
      parser = new MavlinkParser();
      this.streamParsers.set(from, parser);
    }
    const before = { ...parser.stats };
    const n = this.parse(parser, buf, from);
    this.absorb(parser.stats, before);
    return n;
  }

  resetStream(from: PeerId): void {
    this.streamParsers.delete(from);
  }

  /** Forgets every route through `peer` (it was evicted). */
  dropRoutesVia(peer: PeerId): void {
    for (const [sysid, p] of this.routes) if (p === peer) this.routes.delete(sysid);
  }

  private parse(parser: MavlinkParser, buf: Buffer, from: PeerId, onValid?: () => void): number {
    let n = 0;
    try {
      parser.push(buf, (frame) => {
        if (n++ === 0) onValid?.();
        this.stats.rxFrames++;
        // Routing follows heartbeats: a frame of any other kind (or a forged one that happens to
        // pass the CRC) does not move a system to another peer.
        if (frame.msgid === MSG_HEARTBEAT) this.routes.set(frame.sysid, from);
        for (const fn of this.listeners) {
          try {
            fn(frame, from);
          } catch (err) {
            this.stats.listenerErrors++;
            this.logger.error({ err }, 'mavlink link: frame listener threw');
          }
        }
      });
    } catch (err) {
      // The parser promises never to throw; if it does, drop the chunk rather than the process.
      this.stats.garbageBytes += buf.length;
      this.logger.error({ err }, 'mavlink link: parser threw');
    }
    return n;
  }

  private absorb(now: ParserStats, before: ParserStats): void {
    this.stats.badCrc += now.badCrc - before.badCrc;
    this.stats.unknownMsg += now.unknownMsg - before.unknownMsg;
    this.stats.garbageBytes += now.garbageBytes - before.garbageBytes;
    this.stats.incompatible += now.incompatible - before.incompatible;
  }

  sent(bytes: number): void {
    this.stats.txBytes += bytes;
    this.stats.txFrames++;
  }
}

/** A byte sink that reports backpressure the Node stream way. */
interface Writable {
  write(b: Buffer): boolean;
}

/**
 * Writes whole frames to a stream socket, respecting backpressure: once `write()` returned
 * false, frames queue (bounded by `maxBytes`) until `drained()` is called on 'drain'.
 */
class OutboundQueue {
  private readonly queue: Buffer[] = [];
  private blocked = false;

  constructor(private readonly core: LinkCore, private readonly maxBytes: number) {}

  send(sink: Writable, frame: Buffer): void {
    const st = this.core.stats;
    if (this.blocked) {
      if (st.txQueuedBytes + frame.length > this.maxBytes) {
        st.txDropped++;
        st.txBackpressureDrops++;
        return;
      }
      this.queue.push(frame);
      st.txQueuedBytes += frame.length;
      return;
    }
    this.core.sent(frame.length);
    if (!sink.write(frame)) this.blocked = true;
  }

  /** The socket drained: write queued frames until it pushes back again. */
  drained(sink: Writable): void {
    this.blocked = false;
    const st = this.core.stats;
    while (this.queue.length > 0 && !this.blocked) {
      const f = this.queue.shift()!;
      st.txQueuedBytes -= f.length;
      this.core.sent(f.length);
      if (!sink.write(f)) this.blocked = true;
    }
  }

  /** The socket went away: queued frames are lost (counted as dropped). */
  reset(): void {
    const st = this.core.stats;
    st.txDropped += this.queue.length;
    this.queue.length = 0;
    st.txQueuedBytes = 0;
    this.blocked = false;
  }
}

/** Opens a link for a URL (see `connection-url.ts`). */
export async function openLink(url: string | ConnectionUrl, opts: LinkOptions = {}): Promise<Result<Link, LinkErrorCode>> {
  let u: ConnectionUrl;
  if (typeof url === 'string') {
    const parsed = parseConnectionUrl(url);
    if (!parsed.ok) return parsed;
    u = parsed.value;
  } else u = url;
  const logger = opts.logger ?? silentLogger;
  if (opts.signal?.aborted) return fail('LINK.OPEN_FAILED', `cannot open ${formatConnectionUrl(u)}: aborted`, { context: { aborted: true } });
  let link: Link;
  try {
    switch (u.kind) {
      case 'udpin':
      case 'udpout':
        link = await openUdp(u, logger, Math.max(1, opts.maxPeers ?? 16));
        break;
      case 'tcp':
        link = await openTcp(u, logger, opts);
        break;
      case 'serial': {
        const r = await openSerial(u, logger, opts.maxQueuedBytes ?? 65_536);
        if (!r.ok) return r;
        link = r.value;
        break;
      }
    }
  } catch (err) {
    return fail('LINK.OPEN_FAILED', `cannot open ${formatConnectionUrl(u)}: ${(err as Error).message}`, { cause: err });
  }
  const signal = opts.signal;
  if (signal) {
    if (signal.aborted) {
      await link.close();
      return fail('LINK.OPEN_FAILED', `cannot open ${formatConnectionUrl(u)}: aborted`, { context: { aborted: true } });
    }
    const onAbort = () => void link.close();
    signal.addEventListener('abort', onAbort, { once: true });
    const close = link.close.bind(link);
    link = { ...link, stats: link.stats, close: () => (signal.removeEventListener('abort', onAbort), close()) };
  }
  return ok(link);
}

async function openUdp(u: Extract<ConnectionUrl, { kind: 'udpin' | 'udpout' }>, logger: Logger, maxPeers: number): Promise<Link> {
  const family = net.isIPv6(u.host) ? 'udp6' : 'udp4';
  const socket = dgram.createSocket({ type: family, reuseAddr: false });
  const core = new LinkCore(logger);
  /** Insertion order = least recently heard first (re-inserted on every good datagram). */
  const peers = new Map<PeerId, { address: string; port: number }>();
  if (u.kind === 'udpout') peers.set(`udp:${u.host}:${u.port}`, { address: u.host, port: u.port });
  socket.on('message', (msg, rinfo) => {
    const id = `udp:${rinfo.address}:${rinfo.port}`;
    // udpin replies to whoever sent a good frame; udpout keeps talking to its configured peer.
    const learn = u.kind === 'udpin'
      ? () => {
          const known = peers.get(id);
          peers.delete(id);
          peers.set(id, known ?? { address: rinfo.address, port: rinfo.port });
          while (peers.size > maxPeers) {
            const oldest = peers.keys().next().value as PeerId;
            peers.delete(oldest);
            core.dropRoutesVia(oldest);
            core.stats.peersEvicted++;
          }
        }
      : undefined;
    core.datagram(msg, id, learn);
  });
  socket.on('error', (err) => logger.warn({ err }, 'mavlink udp: socket error'));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    const done = () => {
      socket.off('error', reject);
      resolve();
    };
    if (u.kind === 'udpin') socket.bind(u.port, u.host, done);
    else socket.bind(0, done);
  });
  let closed = false;
  const sendTo = (buf: Buffer, p: { address: string; port: number }) => {
    core.sent(buf.length);
    socket.send(buf, p.port, p.address, (err) => {
      if (err) core.stats.txDropped++;
    });
  };
  return {
    url: formatConnectionUrl(u),
    stats: core.stats,
    onFrame: (fn) => core.onFrame(fn),
    peers: () => [...peers.keys()],
    routeOf: (sysid) => core.routes.get(sysid),
    send(buf, toSysid) {
      if (closed) return void core.stats.txDropped++;
      const route = toSysid === undefined ? undefined : core.routes.get(toSysid);
      const peer = route ? peers.get(route) : undefined;
      if (peer) return sendTo(buf, peer);
      if (peers.size === 0) return void core.stats.txDropped++;
      for (const p of peers.values()) sendTo(buf, p);
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (closed) return resolve();
        closed = true;
        socket.close(() => resolve());
      }),
  };
}

async function openTcp(u: Extract<ConnectionUrl, { kind: 'tcp' }>, logger: Logger, opts: LinkOptions): Promise<Link> {
  const clock = opts.clock ?? new WallClock();
  const baseMs = Math.max(1, opts.reconnectMs ?? 1000);
  const maxMs = Math.max(baseMs, opts.reconnectMaxMs ?? 30_000);
  const core = new LinkCore(logger);
  const out = new OutboundQueue(core, opts.maxQueuedBytes ?? 65_536);
  const id: PeerId = `tcp:${u.host}:${u.port}`;
  let socket: net.Socket | undefined;
  /** The socket being dialled or connected (destroyed by close()). */
  let current: net.Socket | undefined;
  let closed = false;
  let retry: TimerHandle | undefined;
  let failures = 0;
  // An abort while the first dial is under way makes it fail (openLink then reports it).
  opts.signal?.addEventListener('abort', () => {
    closed = true;
    clock.clearTimeout(retry);
    current?.destroy(new Error('aborted'));
  }, { once: true });
  const scheduleRedial = () => {
    if (closed || retry !== undefined) return;
    // Autopilots reboot: keep redialling until closed, backing off up to maxMs.
    const delay = Math.min(maxMs, baseMs * 2 ** Math.min(failures, 30));
    failures++;
    retry = clock.setTimeout(() => {
      retry = undefined;
      if (closed) return;
      core.stats.reconnects++;
      dial().catch(() => scheduleRedial());
    }, delay);
  };
  const dial = () =>
    new Promise<void>((resolve, reject) => {
      const s = net.connect({ host: u.host, port: u.port });
      current = s;
      s.setNoDelay(true);
      let connected = false;
      s.once('connect', () => {
        if (closed) return void s.destroy();
        connected = true;
        socket = s;
        core.resetStream(id);
        resolve();
      });
      s.on('data', (chunk) => {
        // The backoff starts over once the far end speaks MAVLink, not on a bare connect (a
        // port that accepts and drops would otherwise be hammered at the shortest delay).
        if (core.stream(chunk, id) > 0) failures = 0;
      });
      s.on('drain', () => out.drained(s));
      s.on('error', (err) => {
        logger.warn({ err }, 'mavlink tcp: socket error');
        if (!connected) reject(err);
      });
      s.on('close', () => {
        if (current === s) current = undefined;
        if (socket === s) {
          socket = undefined;
          out.reset();
          scheduleRedial();
        }
      });
    });
  await dial(); // a failed first dial rejects: openLink fails, no redial is left behind
  return {
    url: formatConnectionUrl(u),
    stats: core.stats,
    onFrame: (fn) => core.onFrame(fn),
    peers: () => (socket ? [id] : []),
    routeOf: (sysid) => core.routes.get(sysid),
    send(buf) {
      if (closed || !socket) return void core.stats.txDropped++;
      out.send(socket, buf);
    },
    async close() {
      if (closed) return;
      closed = true;
      clock.clearTimeout(retry);
      retry = undefined;
      current?.destroy();
      socket?.destroy();
      socket = undefined;
      out.reset();
    },
  };
}

/** The slice of serialport's API we use. */
interface SerialPortLike {
  on(ev: 'data', fn: (b: Buffer) => void): void;
  on(ev: 'error', fn: (e: Error) => void): void;
  on(ev: 'drain', fn: () => void): void;
  write(b: Buffer): boolean;
  close(cb?: (err?: Error | null) => void): void;
}

async function openSerial(u: Extract<ConnectionUrl, { kind: 'serial' }>, logger: Logger, maxQueuedBytes: number): Promise<Result<Link, LinkErrorCode>> {
  let SerialPort: new (o: { path: string; baudRate: number; autoOpen?: boolean }, cb?: (err: Error | null) => void) => SerialPortLike;
  try {
    const name = 'serialport'; // a variable keeps bundlers and tsc from requiring it
    ({ SerialPort } = (await import(name)) as { SerialPort: typeof SerialPort });
  } catch (err) {
    return fail('LINK.SERIAL_UNAVAILABLE', 'serial links need the optional dependency `serialport` (npm install serialport)', { cause: err });
  }
  const core = new LinkCore(logger);
  const out = new OutboundQueue(core, maxQueuedBytes);
  const id: PeerId = `serial:${u.path}`;
  const port = await new Promise<SerialPortLike>((resolve, reject) => {
    const p = new SerialPort({ path: u.path, baudRate: u.baud }, (err) => (err ? reject(err) : resolve(p)));
  });
  port.on('data', (chunk) => core.stream(chunk, id));
  port.on('error', (err) => logger.warn({ err }, 'mavlink serial: port error'));
  port.on('drain', () => out.drained(port));
  let closed = false;
  return ok({
    url: formatConnectionUrl(u),
    stats: core.stats,
    onFrame: (fn) => core.onFrame(fn),
    peers: () => (closed ? [] : [id]),
    routeOf: (sysid) => core.routes.get(sysid),
    send(buf) {
      if (closed) return void core.stats.txDropped++;
      out.send(port, buf);
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (closed) return resolve();
        closed = true;
        out.reset();
        port.close(() => resolve());
      }),
  });
}
