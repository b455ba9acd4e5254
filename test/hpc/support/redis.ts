/**
 * A real redis-server for the HPC tests: spawned on a free 127.0.0.1 port with persistence off,
 * stopped after. `REDIS_SERVER` is null when redis-server is not installed (tests skip, saying so;
 * `npm run setup:test` installs it from Debian).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

const which = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
export const REDIS_SERVER: string | null = which.status === 0 ? which.stdout.trim() : null;
export const SKIP_REASON = 'redis-server is not installed (apt-get install redis-server, or npm run setup:test)';

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => { const a = s.address(); s.close(() => res(typeof a === 'object' && a ? a.port : 0)); });
  });
}

export interface RedisHandle { readonly url: string; readonly port: number; stop(): Promise<void> }

export async function startRedis(): Promise<RedisHandle> {
  const port = await freePort();
  const proc: ChildProcess = spawn(REDIS_SERVER!, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    c.on('error', () => undefined);
    try { await c.connect(); if ((await c.ping()) === 'PONG') { c.disconnect(); break; } } catch { c.disconnect(); }
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`redis-server did not start on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url, port,
    stop: () => new Promise<void>((r) => { if (proc.exitCode !== null) return r(); proc.once('exit', () => r()); proc.kill('SIGTERM'); }),
  };
}
