/**
 * TCPROS connection headers (http://wiki.ros.org/ROS/Connection%20Header): a 4-byte
 * little-endian total length, then fields each as a 4-byte little-endian length and
 * `key=value` bytes. Pure encode/decode; decoding never throws.
 */
import { fail, ok, type Result } from '../../../../../core/result.js';

export type HeaderFields = Readonly<Record<string, string>>;

/** Encodes a header including its leading 4-byte total length. */
export function encodeHeader(fields: HeaderFields): Buffer {
  const parts = Object.entries(fields).map(([k, v]) => Buffer.from(`${k}=${v}`, 'utf8'));
  const body = parts.reduce((n, p) => n + 4 + p.length, 0);
  const out = Buffer.allocUnsafe(4 + body);
  out.writeUInt32LE(body, 0);
  let o = 4;
  for (const p of parts) {
    out.writeUInt32LE(p.length, o);
    p.copy(out, o + 4);
    o += 4 + p.length;
  }
  return out;
}

/**
 * Decodes a header body (without the leading total length).
 * Fails with `TCPROS.BAD_HEADER` on a field overrunning the body or lacking `=`.
 */
export function decodeHeader(body: Uint8Array): Result<Record<string, string>, 'TCPROS.BAD_HEADER'> {
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  let o = 0;
  while (o < buf.length) {
    if (o + 4 > buf.length) return fail('TCPROS.BAD_HEADER', `truncated field length at byte ${o}`);
    const len = buf.readUInt32LE(o);
    o += 4;
    if (len > buf.length - o) {
      return fail('TCPROS.BAD_HEADER', `field of ${len} bytes at byte ${o - 4} overruns the ${buf.length}-byte header`);
    }
    const text = buf.toString('utf8', o, o + len);
    o += len;
    const eq = text.indexOf('=');
    if (eq <= 0) return fail('TCPROS.BAD_HEADER', `field without key=value: ${JSON.stringify(text.slice(0, 64))}`);
    fields[text.slice(0, eq)] = text.slice(eq + 1);
  }
  return ok(fields);
}
