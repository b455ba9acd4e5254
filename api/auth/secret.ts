/**
 * The JWT signing key. There is no default in the code: it comes from `TWIN_JWT_SECRET`, or
 * is generated on first start and kept in `<data dir>/jwt-secret` with mode 0600, so tokens
 * survive restarts and a leaked source tree signs nothing.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SigningSecret {
  readonly key: Uint8Array;
  readonly source: 'env' | 'file' | 'generated';
  /** The key file (absent when the key came from the environment). */
  readonly path?: string;
}

/** Minimum secret length: HS256 wants at least 256 bits of key. */
const MIN_BYTES = 32;

export function loadOrCreateSecret(dir: string, env: NodeJS.ProcessEnv = process.env): SigningSecret {
  const fromEnv = env.TWIN_JWT_SECRET;
  if (fromEnv !== undefined && fromEnv !== '') {
    const key = new TextEncoder().encode(fromEnv);
    if (key.byteLength < MIN_BYTES) throw new Error(`AUTH.WEAK_SECRET: TWIN_JWT_SECRET must be at least ${MIN_BYTES} bytes`);
    return { key, source: 'env' };
  }
  const path = join(dir, 'jwt-secret');
  try {
    const text = readFileSync(path, 'utf8').trim();
    // Tighten a key file someone loosened by hand.
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
    const key = Buffer.from(text, 'base64url');
    if (key.byteLength < MIN_BYTES) throw new Error(`AUTH.WEAK_SECRET: ${path} holds fewer than ${MIN_BYTES} bytes`);
    return { key: new Uint8Array(key), source: 'file', path };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = randomBytes(MIN_BYTES * 2);
  // 'wx': if another process created it meanwhile, fail rather than overwrite its key.
  writeFileSync(path, key.toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
  return { key: new Uint8Array(key), source: 'generated', path };
}
