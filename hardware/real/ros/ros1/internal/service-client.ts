/**
 * One service call: lookupService at the master, a TCPROS connection to the `rosrpc://`
 * address, the client handshake, one request, and the ok byte + length-prefixed answer.
 */
import { connect } from 'node:net';
import { z } from 'zod';
import { fail, ok } from '../../../../../core/result.js';
import type { Ros1Message, Ros1Result } from '../ros1-node.types.js';
import { SocketReader, StreamError } from './socket-reader.js';
import { decodeHeader, encodeHeader } from './tcpros-header.js';
import type { ServiceCodec } from './type-registry.js';
import { rosCall } from './xmlrpc-call.js';

const RosRpcUri = z.string().regex(/^rosrpc:\/\/[^:/]+:\d{1,5}\/?$/);

export interface ServiceCallDeps {
  readonly callerId: string;
  readonly masterUri: string;
  readonly xmlrpcTimeoutMs: number;
  readonly maxFrameBytes: number;
}

export async function callService(
  deps: ServiceCallDeps,
  service: string,
  codec: ServiceCodec,
  request: Ros1Message,
  timeoutMs: number,
): Promise<Ros1Result<Ros1Message>> {
  let body: Buffer;
  try {
    body = codec.request.encodeFramed(request);
  } catch (err) {
    return fail('ROS1.SERIALIZE_FAILED', `${codec.type} request: ${(err as Error).message}`, { cause: err });
  }
  const deadline = Date.now() + timeoutMs;
  const lookup = await rosCall(deps.masterUri, 'lookupService', [deps.callerId, service], Math.min(deps.xmlrpcTimeoutMs, timeoutMs));
  if (!lookup.ok) {
    if (lookup.error.code === 'ROS1.MASTER_ERROR') return fail('ROS1.SERVICE_NOT_FOUND', `service ${service} is not advertised (${lookup.error.message})`);
    return lookup;
  }
  const uri = RosRpcUri.safeParse(lookup.value);
  if (!uri.success) return fail('ROS1.MASTER_ERROR', `lookupService ${service}: not a rosrpc URI: ${String(lookup.value)}`);
  const u = new URL(uri.data.replace(/^rosrpc:/, 'http:'));
  const remaining = deadline - Date.now();
  if (remaining <= 0) return fail('ROS1.TIMEOUT', `service ${service}: no answer in ${timeoutMs} ms`);

  const socket = connect({ host: u.hostname, port: Number(u.port) });
  socket.setNoDelay(true);
  const reader = new SocketReader(socket, deps.maxFrameBytes);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Ros1Result<Ros1Message>>((resolve) => {
    timer = setTimeout(() => resolve(fail('ROS1.TIMEOUT', `service ${service}: no answer in ${timeoutMs} ms`)), remaining);
  });
  const exchange = (async (): Promise<Ros1Result<Ros1Message>> => {
    socket.write(
      encodeHeader({
        callerid: deps.callerId,
        service,
        md5sum: codec.md5sum,
        type: codec.type,
        persistent: '0',
      }),
    );
    const header = decodeHeader(await reader.readFrame());
    if (!header.ok) return fail('ROS1.HANDSHAKE_FAILED', `service ${service}: ${header.error.message}`);
    if (header.value.error !== undefined) return fail('ROS1.HANDSHAKE_FAILED', `service ${service}: ${header.value.error}`);
    socket.write(body);
    const okByte = (await reader.readExact(1))[0];
    const payload = await reader.readFrame();
    if (okByte !== 1) return fail('ROS1.SERVICE_FAILED', payload.toString('utf8') || `service ${service} failed`);
    try {
      return ok(codec.response.decode(payload));
    } catch (err) {
      return fail('ROS1.CONNECTION_FAILED', `service ${service}: undecodable response: ${(err as Error).message}`, { cause: err });
    }
  })().catch((err: unknown) =>
    fail(
      'ROS1.CONNECTION_FAILED',
      `service ${service} at ${uri.data}: ${err instanceof StreamError || err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    ),
  );
  try {
    return await Promise.race([exchange, timeout]);
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}
