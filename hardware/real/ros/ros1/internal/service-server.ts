/**
 * One advertised service on our TCPROS server: the service handshake (md5sum check, `probe`
 * as `rosservice` uses it to learn the type), then request frames answered with the ROS
 * response framing: one ok byte, a uint32 length, and the response or an error string.
 */
import type { Socket } from 'node:net';
import type { Logger } from '../../../../../core/logger.js';
import type { Ros1Message, ServiceHandler } from '../ros1-node.types.js';
import type { SocketReader } from './socket-reader.js';
import { encodeHeader } from './tcpros-header.js';
import type { ServiceCodec } from './type-registry.js';

export class ServiceProvider {
  readonly sockets = new Set<Socket>();
  requests = 0;
  bytesReceived = 0;
  bytesSent = 0;
  private closed = false;

  constructor(
    readonly service: string,
    readonly codec: ServiceCodec,
    private readonly handler: ServiceHandler,
    private readonly callerId: string,
    private readonly log: Logger,
  ) {}

  accept(socket: Socket, reader: SocketReader, header: Record<string, string>): void {
    const caller = header.callerid ?? '(unknown)';
    const md5 = header.md5sum;
    if (md5 === undefined || (md5 !== '*' && md5 !== this.codec.md5sum)) {
      const error =
        md5 === undefined
          ? `Missing required element md5sum from connection header of [${caller}]`
          : `request from [${caller}]: md5sums do not match: [${md5}] vs. [${this.codec.md5sum}]`;
      this.log.warn({ service: this.service, error }, 'ros1: service client refused');
      socket.end(encodeHeader({ error }));
      return;
    }
    socket.write(
      encodeHeader({
        callerid: this.callerId,
        md5sum: this.codec.md5sum,
        request_type: this.codec.request.type,
        response_type: this.codec.response.type,
        type: this.codec.type,
      }),
    );
    if (header.probe === '1') {
      socket.end();
      return;
    }
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    void this.serve(socket, reader, caller);
  }

  close(): void {
    this.closed = true;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  private async serve(socket: Socket, reader: SocketReader, caller: string): Promise<void> {
    for (;;) {
      let frame: Buffer;
      try {
        frame = await reader.readFrame();
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code !== 'TCPROS.CLOSED') {
          this.log.warn({ service: this.service, caller, err: (err as Error).message }, 'ros1: service connection dropped');
        }
        socket.destroy();
        return;
      }
      if (this.closed) return;
      this.requests += 1;
      this.bytesReceived += frame.length + 4;
      let reply: Buffer;
      try {
        const req = this.codec.request.decode(frame);
        const resp: Ros1Message = await this.handler(req, { caller });
        const body = this.codec.response.encodeFramed(resp);
        reply = Buffer.concat([Buffer.from([1]), body]);
      } catch (err) {
        const text = Buffer.from(err instanceof Error ? err.message : String(err), 'utf8');
        const head = Buffer.allocUnsafe(5);
        head.writeUInt8(0, 0);
        head.writeUInt32LE(text.length, 1);
        reply = Buffer.concat([head, text]);
        this.log.info({ service: this.service, caller, err: text.toString() }, 'ros1: service call failed');
      }
      if (socket.destroyed) return;
      this.bytesSent += reply.length;
      socket.write(reply);
    }
  }
}
