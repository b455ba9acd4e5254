/**
 * MAVSDK-convention connection URLs, parsed and validated at the edge (STYLE §8).
 *
 * @remarks
 * - `udpin://0.0.0.0:14540`  bind that address; replies go to whoever sent to us (PX4 SITL's
 *   default: PX4 sends from 14580 to 14540).
 * - `udpout://host:14550`    bind an ephemeral port and send to host:port.
 * - `tcp://host:5760`        TCP client (ArduPilot SITL's default serial0).
 * - `serial:///dev/ttyUSB0:57600` a serial port at that baud rate (needs the optional
 *   `serialport` package).
 * Legacy `udp://` is read as `udpin://` (MAVSDK's older spelling).
 */
import { z } from 'zod';
import { fail, ok, type Result } from '../../../core/result.js';

export type ConnectionUrl =
  | { readonly kind: 'udpin'; readonly host: string; readonly port: number }
  | { readonly kind: 'udpout'; readonly host: string; readonly port: number }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'serial'; readonly path: string; readonly baud: number };

const port = z.coerce.number().int('port must be an integer').min(1, 'port must be 1..65535').max(65535, 'port must be 1..65535');
const host = z
  .string()
  .min(1, 'host is missing')
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.\-_]+)$/, 'host must be a name or an IP address');
const BAUDS = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 500000, 921600, 1000000, 1500000, 2000000, 3000000];
const baud = z.coerce.number().int('baud must be an integer').refine((b) => BAUDS.includes(b), { message: `baud must be one of ${BAUDS.join(', ')}` });

const UrlSchema = z.string().trim().min(1, 'empty connection URL').max(512, 'connection URL too long');

/**
 * Parses a connection URL. Errors are values with code `LINK.BAD_URL` and a reason that names
 * the part at fault.
 *
 * @example
 * parseConnectionUrl('udpin://0.0.0.0:14540') // ok { kind: 'udpin', host: '0.0.0.0', port: 14540 }
 * parseConnectionUrl('udp://:99999')          // LINK.BAD_URL: port must be 1..65535
 */
export function parseConnectionUrl(input: unknown): Result<ConnectionUrl, 'LINK.BAD_URL'> {
  const bad = (reason: string) => fail('LINK.BAD_URL', `bad connection URL ${JSON.stringify(input)}: ${reason}`, { context: { url: input } });
  const s = UrlSchema.safeParse(input);
  if (!s.success) return bad(s.error.issues[0]?.message ?? 'not a string');
  const m = /^([a-z]+):\/\/(.*)$/.exec(s.data);
  if (!m) return bad('expected <scheme>://..., e.g. udpin://0.0.0.0:14540');
  const scheme = m[1]!;
  const rest = m[2]!;
  if (scheme === 'serial') {
    const sm = /^(.+):(\d+)$/.exec(rest);
    if (!sm) return bad('expected serial:///dev/ttyX:<baud>');
    const path = sm[1]!;
    if (!path.startsWith('/') && !/^COM\d+$/i.test(path)) return bad('serial path must be absolute (/dev/...) or COMn');
    const b = baud.safeParse(sm[2]);
    if (!b.success) return bad(b.error.issues[0]!.message);
    return ok({ kind: 'serial', path, baud: b.data });
  }
  const kind = scheme === 'udp' ? 'udpin' : scheme;
  if (kind !== 'udpin' && kind !== 'udpout' && kind !== 'tcp')
    return bad(`unknown scheme ${scheme}: use udpin, udpout, tcp or serial`);
  const hm = /^(\[[^\]]*\]|[^:/]*):([^:/]*)\/?$/.exec(rest);
  if (!hm) return bad('expected host:port');
  let h = hm[1] === '' && kind === 'udpin' ? '0.0.0.0' : hm[1]!;
  const hp = host.safeParse(h);
  if (!hp.success) return bad(hp.error.issues[0]!.message);
  if (h.startsWith('[')) h = h.slice(1, -1);
  const p = port.safeParse(hm[2] === '' ? undefined : hm[2]);
  if (!p.success) return bad(hm[2] === '' ? 'port is missing' : p.error.issues[0]!.message);
  return ok({ kind, host: h, port: p.data });
}

/** The URL back in canonical form (for logs). */
export function formatConnectionUrl(u: ConnectionUrl): string {
  if (u.kind === 'serial') return `serial://${u.path}:${u.baud}`;
  const h = u.host.includes(':') ? `[${u.host}]` : u.host;
  return `${u.kind}://${h}:${u.port}`;
}
