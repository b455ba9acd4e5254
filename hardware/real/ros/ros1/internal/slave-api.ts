/**
 * The slave (node) XML-RPC API (http://wiki.ros.org/ROS/Slave_API) the master, other nodes and
 * the ROS tools call on us. Every argument list is validated; bad arguments answer
 * `[-1, reason, 0]` (the ROS "caller error" code) and change nothing.
 */
import type { XmlRpcServer, XmlRpcValue } from '@foxglove/xmlrpc';
import { z } from 'zod';
import type { Logger } from '../../../../../core/logger.js';

/** What the slave API needs from the node. */
export interface SlaveApiNode {
  readonly masterUri: string;
  readonly advertisedHost: string;
  readonly tcprosPort: number;
  publications(): Array<{ topic: string; type: string }>;
  subscriptions(): Array<{ topic: string; type: string }>;
  hasPublication(topic: string): boolean;
  busStats(): XmlRpcValue[];
  busInfo(): XmlRpcValue[];
  publisherUpdate(topic: string, publishers: string[]): void;
  requestShutdown(reason: string): void;
}

const Caller = z.string();
const Args = {
  getBusStats: z.tuple([Caller]).rest(z.unknown()),
  getBusInfo: z.tuple([Caller]).rest(z.unknown()),
  getMasterUri: z.tuple([Caller]).rest(z.unknown()),
  getPid: z.tuple([Caller]).rest(z.unknown()),
  getSubscriptions: z.tuple([Caller]).rest(z.unknown()),
  getPublications: z.tuple([Caller]).rest(z.unknown()),
  shutdown: z.tuple([Caller]).rest(z.unknown()),
  paramUpdate: z.tuple([Caller, z.string(), z.unknown()]),
  publisherUpdate: z.tuple([Caller, z.string(), z.array(z.string())]),
  requestTopic: z.tuple([Caller, z.string(), z.array(z.array(z.unknown()))]),
} as const;

type Method = keyof typeof Args;

export function installSlaveApi(server: XmlRpcServer, node: SlaveApiNode, log: Logger): void {
  const handle = <M extends Method>(method: M, fn: (args: z.infer<(typeof Args)[M]>) => XmlRpcValue[]) => {
    server.setHandler(method, (_name, args) => {
      const parsed = Args[method].safeParse(args);
      if (!parsed.success) {
        const reason = `bad arguments for ${method}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(args)'} ${i.message}`).join('; ')}`;
        log.warn({ method, reason }, 'ros1: slave API call refused');
        return Promise.resolve([-1, reason, 0]);
      }
      return Promise.resolve(fn(parsed.data as z.infer<(typeof Args)[M]>));
    });
  };

  handle('getBusStats', () => [1, 'bus stats', node.busStats()]);
  handle('getBusInfo', () => [1, 'bus info', node.busInfo()]);
  handle('getMasterUri', () => [1, '', node.masterUri]);
  handle('getPid', () => [1, '', process.pid]);
  handle('getSubscriptions', () => [1, 'subscriptions', node.subscriptions().map((s) => [s.topic, s.type])]);
  handle('getPublications', () => [1, 'publications', node.publications().map((s) => [s.topic, s.type])]);
  handle('paramUpdate', () => [1, '', 0]);
  handle('shutdown', ([caller, reason]) => {
    const why = `shutdown requested by ${caller}${typeof reason === 'string' && reason ? `: ${reason}` : ''}`;
    node.requestShutdown(why);
    return [1, 'shutdown', 0];
  });
  handle('publisherUpdate', ([, topic, publishers]) => {
    node.publisherUpdate(topic, publishers);
    return [1, '', 0];
  });
  handle('requestTopic', ([caller, topic, protocols]) => {
    if (!node.hasPublication(topic)) return [-1, `Not a publisher of [${topic}]`, []];
    if (!protocols.some((p) => p[0] === 'TCPROS')) {
      log.info({ caller, topic, protocols }, 'ros1: requestTopic without TCPROS');
      return [0, 'no supported protocol implementations', []];
    }
    return [1, `ready on ${node.advertisedHost}:${node.tcprosPort}`, ['TCPROS', node.advertisedHost, node.tcprosPort]];
  });
}
