/**
 * Structured logging (pino). Library code takes a logger and defaults to a silent one, so
 * nothing prints unless the application asks; children carry `cid` correlation ids.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export const silentLogger: Logger = pino({ level: 'silent' });

/** A logger writing JSON lines to stderr (fd 2), so stdout stays clean for reports. */
export function createLogger(level: string = process.env.TWIN_LOG_LEVEL ?? 'error', name = 'twin'): Logger {
  return pino({ name, level, base: { name } }, pino.destination(2));
}

let nextCid = 0;
/** A short correlation id, unique in the process. */
export function correlationId(prefix = 'c'): string {
  nextCid = (nextCid + 1) % 0x7fffffff;
  return `${prefix}${nextCid.toString(36)}`;
}
