/**
 * One ROS XML-RPC call: the `[code, statusMessage, value]` convention of the master and slave
 * APIs (http://wiki.ros.org/ROS/Master_API), validated with zod, with a timeout. Never throws.
 */
import { XmlRpcClient, type XmlRpcValue } from '@foxglove/xmlrpc';
import { z } from 'zod';
import { fail, ok } from '../../../../../core/result.js';
import type { Ros1Result } from '../ros1-node.types.js';

const Reply = z.tuple([z.number().int(), z.string(), z.unknown()]).rest(z.unknown());

const clients = new Map<string, XmlRpcClient>();

function clientFor(uri: string): XmlRpcClient {
  let c = clients.get(uri);
  if (!c) {
    c = new XmlRpcClient(uri);
    if (clients.size > 256) clients.clear();
    clients.set(uri, c);
  }
  return c;
}

/**
 * Calls `method` at `uri`. Transport failures are `ROS1.MASTER_UNREACHABLE` (also used for a
 * slave that does not answer), a code other than 1 is `ROS1.MASTER_ERROR` with the status message.
 */
export async function rosCall(uri: string, method: string, params: XmlRpcValue[], timeoutMs: number): Promise<Ros1Result<unknown>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const raw = await Promise.race([clientFor(uri).methodCall(method, params), timeout]);
    if (raw === 'timeout') return fail('ROS1.TIMEOUT', `${method} at ${uri}: no answer in ${timeoutMs} ms`);
    const parsed = Reply.safeParse(raw);
    if (!parsed.success) {
      return fail('ROS1.MASTER_ERROR', `${method} at ${uri}: malformed reply ${JSON.stringify(raw)?.slice(0, 200)}`);
    }
    const [code, status, value] = parsed.data;
    if (code !== 1) return fail('ROS1.MASTER_ERROR', `${method} at ${uri}: ${status} (code ${code})`, { context: { code } });
    return ok(value);
  } catch (err) {
    return fail('ROS1.MASTER_UNREACHABLE', `${method} at ${uri}: ${(err as Error).message}`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}
