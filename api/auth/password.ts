/**
 * Slow password hashing with node:crypto scrypt and a random per-user salt (no native
 * dependency). The stored string carries its own parameters, so raising the cost later keeps
 * old hashes verifiable: `scrypt$<N>$<r>$<p>$<salt b64url>$<hash b64url>`; {@link needsRehash}
 * tells the login to store a stronger hash of a password it has just verified.
 *
 * @remarks
 * `crypto.scrypt` (the callback form) runs on libuv's thread pool, never on the event loop, so
 * a burst of logins delays other logins (they queue for the pool) but not the rest of the
 * server; the rate limit on `POST /token` bounds that queue.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface ScryptParams {
  /** CPU/memory cost (power of two). Default 2^17 (128 MiB with r = 8), OWASP's minimum. */
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** OWASP Password Storage Cheat Sheet's minimum for scrypt: N = 2^17, r = 8, p = 1. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };
const KEY_LEN = 32;

const derive = (password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r };
    scrypt(password.normalize('NFKC'), salt, KEY_LEN, options, (err, key) => (err ? reject(err) : resolve(key)));
  });

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Constant-time comparison; false (never a throw) for a malformed stored hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((x) => Number.isInteger(x) && x > 0) || N > 2 ** 20) return false;
  const expected = Buffer.from(parts[5]!, 'base64url');
  try {
    const key = await derive(password, Buffer.from(parts[4]!, 'base64url'), { N, r, p });
    return key.length === expected.length && timingSafeEqual(key, expected);
  } catch {
    return false;
  }
}

/** True when `stored` is weaker than `params` (or not ours): hash the password again at the next login. */
export function needsRehash(stored: string, params: ScryptParams): boolean {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return true;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  return N < params.N || r < params.r || p < params.p;
}

/** A random password for the first admin: 24 characters, about 143 bits. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}
