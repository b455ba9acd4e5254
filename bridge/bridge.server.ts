/**
 * `createBridgeServer`: the rosbridge v2 WebSocket server over a twin, so roslibjs frontends
 * connect unchanged (`new ROSLIB.Ros({ url: 'ws://host:9090/?token=<jwt>' })`).
 *
 * @remarks
 * The only file that knows the `ws` library: it adapts each WebSocket to the session's minimal
 * {@link BridgeSocket} and wires the shared pieces — the topic catalog, the hub that fans bus
 * messages out, the services and the command waiter. Frames larger than `maxMessageBytes` are
 * answered with a status error by the session; ws itself only cuts off frames beyond a hard
 * ceiling (`hardMaxMessageBytes`, 8× the limit by default) so memory stays bounded.
 *
 * Unauthenticated connections are a separate, small budget: at most `maxPending` at once and
 * `maxPendingPerAddress` from one address (beyond, the oldest unauthenticated one of that
 * address, else of all, is closed with 1008 to make room), each closed after `authTimeout_ms`
 * (10 s) and after `preAuthMaxBytes` (1 MiB) received before it authenticates (1009, counted on
 * the raw socket, so a large frame is cut off while it arrives rather than buffered whole; ws's
 * `maxPayload` is one value for the whole server and cannot change after the upgrade). A
 * `?token=` in the URL is verified at the upgrade: a valid one never waits behind anonymous
 * sockets — only `maxClients` (authenticated connections) bounds it.
 *
 * @example
 * const bridge = createBridgeServer({ twin, authenticate: verify, port: 9090 });
 * const { url } = await bridge.start(); // ws://127.0.0.1:9090
 * // …
 * await bridge.stop();
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import type { Twin } from '../actors/twin.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { ClientSession, type Authenticate, type BridgeSocket, type ClientInfo, type PreAuth } from './client-session.js';
import { CommandWaiter } from './internal/command-waiter.js';
import type { BridgeMetrics } from './metrics.js';
import { twinSensorDirectory, type BlobReader, type SensorDirectory } from './sensor-directory.js';
import { SensorLatest, sensorServices, sensorTopics } from './sensor-topics.js';
import { slamTopics, twinSlamDirectory, type SlamDirectory } from './slam-topics.js';
import { buildServices } from './services.js';
import { buildTopicCatalog } from './topic-catalog.js';
import { hpcTopics } from './hpc-topics.js';
import { TopicHub, type TopicHubStats } from './topic-hub.js';

export interface BridgeServerOptions {
  readonly twin: Twin;
  /** Interface to listen on. Default `127.0.0.1` (loopback: put a TLS proxy in front for the field). */
  readonly host?: string;
  /** TCP port; 0 picks a free one. Default 9090 (rosbridge's). */
  readonly port?: number;
  /** Verifies a token (a JWT from the API gateway's `POST /token`). */
  readonly authenticate: Authenticate;
  readonly logger?: Logger;
  /** Largest incoming message answered normally; larger ones get a status error. Default 1 MiB. */
  readonly maxMessageBytes?: number;
  /** Frames above this close the connection (ws code 1009). Default 8 × maxMessageBytes. */
  readonly hardMaxMessageBytes?: number;
  readonly metrics?: BridgeMetrics;
  /** Socket bytes buffered before a client counts as slow and its topics queue. Default 256 KiB. */
  readonly highWaterMarkBytes?: number;
  /** Buffered bytes above which even replies to a client are dropped. Default 4 MiB. */
  readonly maxBufferedBytes?: number;
  /** Cap on a subscription's queue_length. Default 1000. */
  readonly maxQueueLength?: number;
  /** Upper bound (wall ms) a service call waits for the twin. Default 10 000. */
  readonly serviceTimeout_ms?: number;
  /**
   * How often (wall ms) each client's token is verified again: an expired token or a deleted or
   * demoted user loses its rights on a live connection too. Default 60 000; 0 = never.
   */
  readonly reauthInterval_ms?: number;
  /** A client with no valid identity for this long (wall ms) is closed (1008). Default 10 000; 0 = never. */
  readonly authTimeout_ms?: number;
  /** Authenticated connections beyond this are refused (HTTP 503, or 1013 after an `auth` op). Default 1000. */
  readonly maxClients?: number;
  /** Unauthenticated connections at once, all addresses; a new one closes the oldest (1008). Default 64. */
  readonly maxPending?: number;
  /** Unauthenticated connections at once from one address; a new one closes that address's oldest (1008). Default 8. */
  readonly maxPendingPerAddress?: number;
  /** Bytes a connection may send before it authenticates; beyond, it is closed (1009). Default maxMessageBytes. */
  readonly preAuthMaxBytes?: number;
  /**
   * The sensors whose topics (`/<vehicle>/<sensor>/…`) and camera services the bridge offers.
   * Default: the twin's own (`sensorDirectory(twin)`).
   */
  readonly sensors?: SensorDirectory;
  /** Where images and scans are read from (the store's blob store). Absent: no image or point topics carry data. */
  readonly blobs?: BlobReader;
  /** The SLAM whose topics (`/<vehicle>/slam/…`, `/tf`) the bridge offers. Default: the twin's own. */
  readonly slam?: SlamDirectory;
}

export interface BridgeStats {
  readonly clients: number;
  readonly connections: number;
  readonly sent: number;
  readonly dropped: number;
  readonly rejected: number;
  readonly topics: TopicHubStats[];
}

export interface BridgeServer {
  /** Listens; resolves with the URL clients use (`ws://host:port`). */
  start(): Promise<{ url: string }>;
  /** Closes every connection and the listener, and lets go of the bus. */
  stop(): Promise<void>;
  /** A snapshot of the connected clients and their streams. */
  clients(): ClientInfo[];
  stats(): BridgeStats;
}

const MiB = 1024 * 1024;

export function createBridgeServer(options: BridgeServerOptions): BridgeServer {
  const { twin } = options;
  const logger = (options.logger ?? silentLogger).child({ component: 'bridge' });
  const maxMessageBytes = options.maxMessageBytes ?? MiB;
  const limits = {
    maxMessageBytes,
    highWaterMarkBytes: options.highWaterMarkBytes ?? 256 * 1024,
    maxBufferedBytes: options.maxBufferedBytes ?? 4 * MiB,
    maxQueueLength: options.maxQueueLength ?? 1000,
    maxTopics: 256,
    maxPendingCalls: 32,
    serviceTimeout_ms: options.serviceTimeout_ms ?? 10_000,
    reauthInterval_ms: options.reauthInterval_ms ?? 60_000,
    authTimeout_ms: options.authTimeout_ms ?? 10_000,
  };
  const maxClients = options.maxClients ?? 1000;
  const maxPending = options.maxPending ?? 64;
  const maxPendingPerAddress = options.maxPendingPerAddress ?? 8;
  const preAuthMaxBytes = options.preAuthMaxBytes ?? maxMessageBytes;
  // The twin's own sensors unless the caller gives a directory.
  const sensors = options.sensors ?? twinSensorDirectory(twin);
  const latest = new SensorLatest(sensors?.list() ?? []);
  const sensorDefs = sensors ? sensorTopics({ directory: sensors, latest, now: () => twin.clock.now(), ...(options.blobs ? { blobs: options.blobs } : {}) }) : [];
  const slam = options.slam ?? twinSlamDirectory(twin);
  const hpc = hpcTopics(twin.bus);
  const catalog = buildTopicCatalog(twin, [...sensorDefs, ...(slam ? slamTopics(slam) : []), ...hpc.defs]);
  const waiter = new CommandWaiter(twin.log);
  const hub = new TopicHub(twin.bus, catalog, (error, topic) => logger.error({ err: error, topic }, 'topic mapping failed'));
  const services = buildServices(twin, catalog, waiter);
  if (sensors) for (const def of sensorServices(sensors)) services.set(def.name, def);
  const sessions = new Map<WebSocket, ClientSession>();
  /** The remote address of each session (for the per-address cap on unauthenticated ones). */
  const remotes = new Map<ClientSession, string>();
  /** Unauthenticated sessions closed to make room, until their socket is gone. */
  const evicted = new Set<ClientSession>();
  const counts = (address?: string) => {
    let authenticated = 0;
    let pending = 0;
    let fromAddress = 0;
    for (const s of sessions.values()) {
      if (s.authenticated) authenticated++;
      else if (!evicted.has(s)) {
        pending++;
        if (address !== undefined && remotes.get(s) === address) fromAddress++;
      }
    }
    return { authenticated, pending, fromAddress };
  };
  const evictOldest = (address: string | undefined) => {
    for (const [ws, s] of sessions) {
      if (s.authenticated || evicted.has(s) || (address !== undefined && remotes.get(s) !== address)) continue;
      evicted.add(s);
      evictions++;
      options.metrics?.rejected?.('BRIDGE.PENDING_EVICTED');
      if (evictions === 1 || evictions % 100 === 0) logger.warn({ remote: remotes.get(s), evictions }, 'too many unauthenticated connections: closing the oldest');
      ws.close(1008, 'too many unauthenticated connections');
      setTimeout(() => ws.terminate(), 1000).unref();
      return;
    }
  };
  let evictions = 0;
  let oversize = 0;
  /** Admission at the upgrade: a valid URL token needs a client slot, anything else a pending one. */
  const verifyClient = (info: { req: IncomingMessage }, done: (ok: boolean, code?: number, message?: string) => void) => {
    const address = info.req.socket.remoteAddress ?? '';
    // Full: the oldest unauthenticated connection (of this address, else of any) makes room, so
    // a flood of idle sockets shortens everyone's window to authenticate but locks nobody out.
    const admitPending = () => {
      const c = counts(address);
      if (c.fromAddress >= maxPendingPerAddress) evictOldest(address);
      else if (c.pending >= maxPending) evictOldest(undefined);
      done(true);
    };
    const token = tokenFromUrl(info.req.url);
    if (token === undefined) return admitPending();
    let checked: ReturnType<Authenticate>;
    try {
      checked = options.authenticate(token);
    } catch {
      return admitPending();
    }
    void Promise.resolve(checked)
      .catch(() => undefined)
      .then((r) => {
        if (!r?.ok) return admitPending(); // the session says why, on the socket
        if (counts().authenticated >= maxClients) return done(false, 503, 'too many clients');
        (info.req as PreAuthRequest)[PRE_AUTH] = { token, identity: r.value };
        done(true);
      });
  };
  let http: Server | undefined;
  let wss: WebSocketServer | undefined;
  let connections = 0;
  // Counters of clients that have gone, so stats() covers the server's whole life.
  const gone = { sent: 0, dropped: 0, rejected: 0 };

  const onConnection = (ws: WebSocket, req: IncomingMessage) => {
    const id = `c${++connections}`;
    const pre = (req as PreAuthRequest)[PRE_AUTH];
    const token = pre ?? tokenFromUrl(req.url);
    const socket: BridgeSocket = {
      send: (data, binary) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(data, binary ? BINARY : TEXT);
      },
      get bufferedAmount() {
        return ws.bufferedAmount;
      },
      close: (code, reason) => ws.close(code, reason),
    };
    const admit = () => counts().authenticated < maxClients;
    const session = new ClientSession(id, socket, { twin, catalog, hub, services, waiter, authenticate: options.authenticate, logger, limits, admit, ...(options.metrics ? { metrics: options.metrics } : {}) }, token);
    sessions.set(ws, session);
    remotes.set(session, req.socket.remoteAddress ?? '');
    // Bytes before authentication are counted as they arrive on the socket, so a client cannot
    // make us buffer a large frame whole before it has proved who it is.
    let preAuthBytes = 0;
    const onData = (chunk: Buffer) => {
      if (session.authenticated) return void req.socket.off('data', onData);
      preAuthBytes += chunk.length;
      if (preAuthBytes <= preAuthMaxBytes) return;
      req.socket.off('data', onData);
      oversize++;
      options.metrics?.rejected?.('BRIDGE.PREAUTH_TOO_LARGE');
      // The first and every 100th: a flood of these must not become a log flood.
      if (oversize === 1 || oversize % 100 === 0) logger.warn({ client: id, remote: req.socket.remoteAddress, bytes: preAuthBytes, count: oversize }, 'closing unauthenticated client: too many bytes before authentication');
      ws.close(1009, 'too much data before authentication');
      // Read no more of it; cut it off if it does not close its side promptly.
      req.socket.pause();
      setTimeout(() => ws.terminate(), 1000).unref();
    };
    req.socket.on('data', onData);
    options.metrics?.clients?.(sessions.size);
    logger.info({ client: id, remote: req.socket.remoteAddress, token: token !== undefined }, 'client connected');
    ws.on('message', (data, isBinary) => session.onFrame(toBuffer(data), isBinary));
    ws.on('error', (error) => logger.warn({ client: id, err: error }, 'client socket error'));
    ws.on('close', (code) => {
      session.close();
      gone.sent += session.sent;
      gone.dropped += session.dropped;
      gone.rejected += session.rejected;
      sessions.delete(ws);
      remotes.delete(session);
      evicted.delete(session);
      req.socket.off('data', onData);
      options.metrics?.clients?.(sessions.size);
      logger.info({ client: id, code, sent: session.sent, dropped: session.dropped }, 'client disconnected');
    });
  };

  return {
    async start() {
      if (http) throw new Error('bridge: already started');
      latest.attach(twin.bus as never);
      http = createServer((_req, res) => {
        res.writeHead(426, { 'content-type': 'text/plain' }).end('rosbridge v2 WebSocket endpoint: connect with ws://\n');
      });
      wss = new WebSocketServer({
        server: http,
        maxPayload: options.hardMaxMessageBytes ?? 8 * maxMessageBytes,
        perMessageDeflate: false,
        verifyClient,
      });
      wss.on('connection', onConnection);
      wss.on('error', (error) => logger.error({ err: error }, 'bridge server error'));
      const server = http;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port ?? 9090, options.host ?? '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
      const addr = server.address() as AddressInfo;
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      const url = `ws://${host}:${addr.port}`;
      logger.info({ url }, 'bridge listening');
      return { url };
    },

    async stop() {
      const server = http;
      const ws = wss;
      http = undefined;
      wss = undefined;
      for (const [socket, session] of sessions) {
        session.close();
        socket.close(1001, 'server stopping');
      }
      hub.detachAll();
      latest.detach();
      hpc.book.close();
      waiter.cancelAll();
      if (ws) {
        // Give closing handshakes a moment, then cut whatever is left.
        const deadline = setTimeout(() => ws.clients.forEach((c) => c.terminate()), 1000);
        await new Promise<void>((resolve) => ws.close(() => resolve()));
        for (const c of ws.clients) c.terminate();
        clearTimeout(deadline);
      }
      if (server) {
        server.closeAllConnections?.();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },

    clients() {
      return [...sessions.values()].map((s) => s.info());
    },

    stats() {
      const live = [...sessions.values()];
      const sum = (f: (s: ClientSession) => number) => live.reduce((n, s) => n + f(s), 0);
      return {
        clients: live.length,
        connections,
        sent: gone.sent + sum((s) => s.sent),
        dropped: gone.dropped + sum((s) => s.dropped),
        rejected: gone.rejected + sum((s) => s.rejected),
        topics: hub.stats(),
      };
    },
  };
}

/** Where verifyClient leaves the identity a URL token proved, for the connection handler. */
const PRE_AUTH = Symbol('bridge.preAuth');
type PreAuthRequest = IncomingMessage & { [PRE_AUTH]?: PreAuth };

// Shared option objects: ws.send is called once per message per client.
const TEXT = { binary: false } as const;
const BINARY = { binary: true } as const;

function tokenFromUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const token = new URL(url, 'http://bridge').searchParams.get('token');
    return token === null || token === '' ? undefined : token;
  } catch {
    return undefined;
  }
}

function toBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
