/**
 * Our TCPROS listening socket, shared by every publication and service of the node: reads the
 * connection header (bounded in size and time), then routes by its `topic` or `service` field.
 * A malformed or unroutable header gets an `error` header and a closed connection; nothing
 * else is disturbed.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../../../../../core/logger.js';
import { SocketReader } from './socket-reader.js';
import { decodeHeader, encodeHeader } from './tcpros-header.js';

/** Connection headers are small (a message definition at most); anything larger is refused. */
const MAX_HEADER_BYTES = 1 << 20;
const HEADER_TIMEOUT_MS = 5000;

export interface TcprosRoutes {
  topic(name: string): ((socket: Socket, reader: SocketReader, header: Record<string, string>) => void) | undefined;
  service(name: string): ((socket: Socket, reader: SocketReader, header: Record<string, string>) => void) | undefined;
}

export class TcprosServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  refused = 0;

  constructor(
    private readonly routes: TcprosRoutes,
    private readonly log: Logger,
    private readonly maxFrameBytes: number,
  ) {
    this.server = createServer((socket) => this.onConnection(socket));
  }

  get port(): number {
    const a = this.server.address();
    return a && typeof a === 'object' ? a.port : 0;
  }

  listen(host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, host, () => {
        this.server.removeListener('error', reject);
        resolve();
      });
    });
  }

  close(): void {
    this.server.close();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  private onConnection(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    const peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    const reader = new SocketReader(socket, Math.min(MAX_HEADER_BYTES, this.maxFrameBytes));
    const timer = setTimeout(() => this.refuse(socket, peer, `no connection header within ${HEADER_TIMEOUT_MS} ms`), HEADER_TIMEOUT_MS);
    socket.on('close', () => clearTimeout(timer));
    reader
      .readFrame()
      .then((body) => {
        clearTimeout(timer);
        const header = decodeHeader(body);
        if (!header.ok) {
          this.refuse(socket, peer, `malformed connection header: ${header.error.message}`);
          return;
        }
        const h = header.value;
        const route = h.service !== undefined ? this.routes.service(h.service) : h.topic !== undefined ? this.routes.topic(h.topic) : undefined;
        if (!route) {
          const what = h.service !== undefined ? `service [${h.service}]` : h.topic !== undefined ? `topic [${h.topic}]` : undefined;
          this.refuse(socket, peer, what ? `this node does not provide ${what}` : 'connection header has neither topic nor service');
          return;
        }
        reader.maxFrameBytes = this.maxFrameBytes; // service requests may be larger than a header
        route(socket, reader, h);
      })
      .catch((err: unknown) => {
        clearTimeout(timer);
        const e = err as { code?: string; message?: string };
        if (e.code === 'TCPROS.CLOSED') {
          this.log.debug({ peer }, 'ros1: peer left before sending a connection header');
          socket.destroy();
        } else this.refuse(socket, peer, e.message ?? String(err));
      });
  }

  private refuse(socket: Socket, peer: string, error: string): void {
    this.refused += 1;
    this.log.warn({ peer, error }, 'ros1: TCPROS connection refused');
    if (!socket.destroyed) {
      socket.end(encodeHeader({ error }));
      setTimeout(() => socket.destroy(), 1000).unref();
    }
  }
}
