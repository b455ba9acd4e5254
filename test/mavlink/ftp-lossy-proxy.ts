/**
 * A loopback UDP relay between a MAVLink client and a server that can drop chosen datagrams,
 * for the FTP and events tests: real sockets, real loss.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { MavLinkData } from 'node-mavlink';
import { decode, MavlinkParser, REGISTRY, type MavFrame } from '../../hardware/real/mavlink/codec.js';

export type Direction = 'toServer' | 'toClient';
/** Return true to drop the datagram that carried this message. */
export type DropRule = (dir: Direction, msg: MavLinkData, frame: MavFrame) => boolean;

export interface LossyProxy {
  /** Where the client sends. */
  readonly port: number;
  readonly dropped: { dir: Direction; msgid: number }[];
  setRule(rule: DropRule | undefined): void;
  close(): Promise<void>;
}

export async function startLossyProxy(serverPort: number, rule?: DropRule): Promise<LossyProxy> {
  const front = createSocket('udp4');
  const back = createSocket('udp4');
  await Promise.all([new Promise<void>((r) => front.bind(0, '127.0.0.1', r)), new Promise<void>((r) => back.bind(0, '127.0.0.1', r))]);
  let client: RemoteInfo | undefined;
  let current = rule;
  const dropped: { dir: Direction; msgid: number }[] = [];
  const shouldDrop = (dir: Direction, buf: Buffer): boolean => {
    if (!current) return false;
    let drop = false;
    new MavlinkParser(REGISTRY).push(buf, (f) => {
      const m = decode(f);
      if (m && !drop && current!(dir, m, f)) {
        drop = true;
        dropped.push({ dir, msgid: f.msgid });
      }
    });
    return drop;
  };
  front.on('message', (buf, rinfo) => {
    client = rinfo;
    if (!shouldDrop('toServer', buf)) back.send(buf, serverPort, '127.0.0.1');
  });
  back.on('message', (buf) => {
    if (client && !shouldDrop('toClient', buf)) front.send(buf, client.port, client.address);
  });
  const close = (s: Socket) => new Promise<void>((r) => s.close(() => r()));
  return {
    port: front.address().port,
    dropped,
    setRule: (r) => { current = r; },
    close: async () => { await Promise.all([close(front), close(back)]); },
  };
}
