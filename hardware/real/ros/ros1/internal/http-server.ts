/**
 * The HTTP side of our slave XML-RPC server, implementing @foxglove/xmlrpc's `HttpServer`
 * on node:http with what its bundled one lacks: a request body limit (a hostile peer cannot
 * make us buffer without end) and a close that also drops keep-alive connections.
 */
import { createServer, type Server } from 'node:http';
import type { HttpHandler, HttpServer } from '@foxglove/xmlrpc';

export class BoundedHttpServer implements HttpServer {
  handler: HttpHandler = () => Promise.resolve({ statusCode: 404 });
  private readonly server: Server;

  constructor(
    private readonly maxBodyBytes: number,
    private readonly onBadRequest: (reason: string) => void,
  ) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let refused = false;
      req.on('data', (c: Buffer) => {
        if (refused) return;
        size += c.length;
        if (size > this.maxBodyBytes) {
          refused = true;
          this.onBadRequest(`XML-RPC request body over ${this.maxBodyBytes} bytes`);
          res.statusCode = 413;
          res.shouldKeepAlive = false;
          res.end();
          req.destroy();
          return;
        }
        chunks.push(c);
      });
      req.on('end', () => {
        if (refused) return;
        const body = Buffer.concat(chunks).toString('utf8');
        this.handler({ body, method: req.method, url: req.url, socket: req.socket })
          .then((out) => {
            if (out.statusCode !== 200) this.onBadRequest(`XML-RPC request refused: ${out.statusMessage ?? out.statusCode}`);
            res.statusCode = out.statusCode;
            res.statusMessage = (out.statusMessage ?? '').replace(/[^\x20-\x7e]/g, ' ').slice(0, 200);
            for (const [k, v] of Object.entries(out.headers ?? {})) res.setHeader(k, v);
            res.end(out.body);
          })
          .catch((err: unknown) => {
            this.onBadRequest(`XML-RPC handler failed: ${String(err)}`);
            res.statusCode = 500;
            res.end();
          });
      });
      req.on('error', () => undefined);
    });
    this.server.on('clientError', (_err, socket) => socket.destroy());
  }

  url(): string | undefined {
    const a = this.server.address();
    return a && typeof a === 'object' ? `http://${a.address}:${a.port}/` : undefined;
  }

  port(): number | undefined {
    const a = this.server.address();
    return a && typeof a === 'object' ? a.port : undefined;
  }

  listen(port?: number, hostname?: string, backlog?: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, hostname, backlog, () => {
        this.server.removeListener('error', reject);
        resolve();
      });
    });
  }

  close(): void {
    this.server.close();
    this.server.closeAllConnections();
  }
}
