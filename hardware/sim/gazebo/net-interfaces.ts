/**
 * Which addresses Gazebo transport uses on this host, as gz-transport's NetUtils decides:
 * `IGN_IP` (or `GZ_IP`) when set, else every up, non-loopback IPv4 interface (loopback when
 * there is none). The host address (ZeroMQ endpoints) prefers a public address over a private one.
 */
import { networkInterfaces } from 'node:os';

const isPrivate = (ip: string) => ip.startsWith('192.168') || ip.startsWith('10.') || ip.startsWith('169.254');

/** Interfaces to run discovery on. */
export function gzInterfaces(env: NodeJS.ProcessEnv = process.env): string[] {
  const forced = env.IGN_IP || env.GZ_IP;
  if (forced) return [forced];
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) out.push(a.address);
  }
  return out.length > 0 ? out : ['127.0.0.1'];
}

/** The address ZeroMQ sockets bind to and that discovery announces. */
export function gzHostAddress(env: NodeJS.ProcessEnv = process.env): string {
  const forced = env.IGN_IP || env.GZ_IP;
  if (forced) return forced;
  const ifaces = gzInterfaces(env);
  return ifaces.find((ip) => !isPrivate(ip)) ?? ifaces[0]!;
}
