/**
 * A MAVLink link: bytes in and out over UDP, TCP or a serial port, framed by the codec.
 *
 * @remarks
 * One link may carry several vehicles (system ids) and several ground-station clients; it does
 * no filtering itself, it reports every good frame with the peer it came from, and routes an
 * outgoing frame to the peer last heard from the target system (UDP), or to every known peer
 * when that system has not been heard yet. Inbound bytes are untrusted: bad frames are counted
 * in {@link LinkStats}, a throwing listener is counted and isolated, nothing throws out of a
 * socket callback. `serialport` is an optional dependency loaded only for `serial://` URLs.
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
  /** Sends that failed or had nowhere to go (no peer yet). */
  txDropped: number;
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
  /** Closes the socket; idempotent. */
  close(): Promise<void>;
  readonly stats: Readonly<LinkStats>;
}

export type LinkErrorCode = 'LINK.BAD_URL' | 'LINK.OPEN_FAILED' | 'LINK.SERIAL_UNAVAILABLE';

export interface LinkOptions {
  readonly logger?: Logger;
  /** Drives TCP reconnection (default: wall clock). */
  readonly clock?: Clock;
  /** Delay between TCP reconnection attempts, ms of `clock` (default 1000). */
  readonly reconnectMs?: number;
}

/** Shared bookkeeping of every transport: parsing, stats, listeners, sysid → peer routes. */
class LinkCore {
  readonly stats: LinkStats = {
    rxBytes: 0, rxFrames: 0, txBytes: 0, txFrames: 0, badCrc: 0, garbageBytes: 0, unknownMsg: 0, txDropped: 0, listenerErrors: 0,
  };
  readonly routes = new Map<number, PeerId>();
  private readonly listeners = new Set<(frame: MavFrame, from: PeerId) => void>();
  private readonly streamParsers = new Map<PeerId, MavlinkParser>();
  private readonly seen: ParserStats = { frames: 0, badCrc: 0, unknownMsg: 0, garbageBytes: 0 };

  constructor(private readonly logger: Logger) {}

  onFrame(fn: (frame: MavFrame, from: PeerId) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * A datagram is a set of whole frames: parse it on its own, so a truncated datagram cannot
   * hold the next one's frames back while the parser waits for bytes that never come.
   */
  datagram(buf: Buffer, from: PeerId): void {
    this.stats.rxBytes += buf.length;
    const parser = new MavlinkParser();
    this.parse(parser, buf, from);
    this.absorb(parser.stats, { frames: 0, badCrc: 0, unknownMsg: 0, garbageBytes: 0 });
  }

  /** A byte stream (TCP, serial): one parser per peer keeps partial frames between chunks. */
  stream(buf: Buffer, from: PeerId): void {
    this.stats.rxBytes += buf.length;
    let parser = this.streamParsers.get(from);
    if (!parser) {
      parser = new MavlinkParser();
      this.streamParsers.set(from, parser);
    }
    const before = { ...parser.stats };
    this.parse(parser, buf, from);
    this.absorb(parser.stats, before);
  }

  resetStream(from: PeerId): void {
    this.streamParsers.delete(from);
  }

  private parse(parser: MavlinkParser, buf: Buffer, from: PeerId): void {
    try {
      parser.push(buf, (frame) => {
        this.stats.rxFrames++;
        this.routes.set(frame.sysid, from);
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
  }

  private absorb(now: ParserStats, before: ParserStats): void {
    this.stats.badCrc += now.badCrc - before.badCrc;
    this.stats.unknownMsg += now.unknownMsg - before.unknownMsg;
    this.stats.garbageBytes += now.garbageBytes - before.garbageBytes;
    this.seen.frames += now.frames - before.frames;
  }

  sent(bytes: number): void {
    this.stats.txBytes += bytes;
    this.stats.txFrames++;
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
  try {
    switch (u.kind) {
      case 'udpin':
      case 'udpout':
        return ok(await openUdp(u, logger));
      case 'tcp':
        return ok(await openTcp(u, logger, opts.clock ?? new WallClock(), opts.reconnectMs ?? 1000));
      case 'serial':
        return await openSerial(u, logger);
    }
  } catch (err) {
    return fail('LINK.OPEN_FAILED', `cannot open ${formatConnectionUrl(u)}: ${(err as Error).message}`, { cause: err });
  }
}

async function openUdp(u: Extract<ConnectionUrl, { kind: 'udpin' | 'udpout' }>, logger: Logger): Promise<Link> {
  const family = net.isIPv6(u.host) ? 'udp6' : 'udp4';
  const socket = dgram.createSocket({ type: family, reuseAddr: false });
  const core = new LinkCore(logger);
  const peers = new Map<PeerId, { address: string; port: number }>();
  if (u.kind === 'udpout') peers.set(`udp:${u.host}:${u.port}`, { address: u.host, port: u.port });
  socket.on('message', (msg, rinfo) => {
    const id = `udp:${rinfo.address}:${rinfo.port}`;
    // udpin replies to whoever sent; udpout keeps talking to its configured peer only.
    if (u.kind === 'udpin' && !peers.has(id)) peers.set(id, { address: rinfo.address, port: rinfo.port });
    core.datagram(msg, id);
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

async function openTcp(u: Extract<ConnectionUrl, { kind: 'tcp' }>, logger: Logger, clock: Clock, reconnectMs: number): Promise<Link> {
  const core = new LinkCore(logger);
  const id: PeerId = `tcp:${u.host}:${u.port}`;
  let socket: net.Socket | undefined;
  let closed = false;
  let retry: TimerHandle | undefined;
  const dial = (first: boolean) =>
    new Promise<void>((resolve, reject) => {
      const s = net.connect({ host: u.host, port: u.port });
      s.setNoDelay(true);
      s.once('connect', () => {
        socket = s;
        core.resetStream(id);
        resolve();
      });
      s.on('data', (chunk) => core.stream(chunk, id));
      s.on('error', (err) => {
        logger.warn({ err }, 'mavlink tcp: socket error');
        if (first && !socket) reject(err);
      });
      s.on('close', () => {
        if (socket === s) socket = undefined;
        if (closed || (first && !socket && retry === undefined && s.connecting)) return;
        // Autopilots reboot; keep redialling until closed.
        clock.clearTimeout(retry);
        retry = clock.setTimeout(() => {
          retry = undefined;
          if (!closed) dial(false).catch(() => {});
        }, reconnectMs);
      });
    });
  await dial(true);
  return {
    url: formatConnectionUrl(u),
    stats: core.stats,
    onFrame: (fn) => core.onFrame(fn),
    send(buf) {
      if (closed || !socket) return void core.stats.txDropped++;
      core.sent(buf.length);
      socket.write(buf);
    },
    async close() {
      closed = true;
      clock.clearTimeout(retry);
      socket?.destroy();
      socket = undefined;
    },
  };
}

/** The slice of serialport's API we use. */
interface SerialPortLike {
  on(ev: 'data', fn: (b: Buffer) => void): void;
  on(ev: 'error', fn: (e: Error) => void): void;
  write(b: Buffer): void;
  close(cb?: (err?: Error | null) => void): void;
}

async function openSerial(u: Extract<ConnectionUrl, { kind: 'serial' }>, logger: Logger): Promise<Result<Link, LinkErrorCode>> {
  let SerialPort: new (o: { path: string; baudRate: number; autoOpen?: boolean }, cb?: (err: Error | null) => void) => SerialPortLike;
  try {
    const name = 'serialport'; // a variable keeps bundlers and tsc from requiring it
    ({ SerialPort } = (await import(name)) as { SerialPort: typeof SerialPort });
  } catch (err) {
    return fail('LINK.SERIAL_UNAVAILABLE', 'serial links need the optional dependency `serialport` (npm install serialport)', { cause: err });
  }
  const core = new LinkCore(logger);
  const id: PeerId = `serial:${u.path}`;
  const port = await new Promise<SerialPortLike>((resolve, reject) => {
    const p = new SerialPort({ path: u.path, baudRate: u.baud }, (err) => (err ? reject(err) : resolve(p)));
  });
  port.on('data', (chunk) => core.stream(chunk, id));
  port.on('error', (err) => logger.warn({ err }, 'mavlink serial: port error'));
  let closed = false;
  return ok({
    url: formatConnectionUrl(u),
    stats: core.stats,
    onFrame: (fn) => core.onFrame(fn),
    send(buf) {
      if (closed) return void core.stats.txDropped++;
      core.sent(buf.length);
      port.write(buf);
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (closed) return resolve();
        closed = true;
        port.close(() => resolve());
      }),
  });
}
