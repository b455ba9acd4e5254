/**
 * Configuration shared by the HPC server and workers, and the Redis key layout.
 * With Redis, inputs and results live in Redis (with a TTL), so every worker on every machine can
 * read the inputs and the server can stream any worker's result: one Redis is the only shared
 * state. Without (server only), the local engine keeps them in memory (local-engine.ts).
 */
import { z } from 'zod';
import type { ConnectionOptions } from 'bullmq';

export const hpcConfigSchema = z.object({
  /** redis://[:password@]host:port[/db]; unset on the server: the local engine (worker_threads) runs the jobs. */
  redisUrl: z.string().url().optional(),
  /** BullMQ queue name; server and workers must agree. */
  queueName: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).default('hpc-pointcloud'),
  /** Seconds inputs and results are kept in Redis (and finished jobs in BullMQ). */
  ttlSeconds: z.number().int().min(10).max(30 * 86_400).default(86_400),
  /** Largest accepted request (cloud bytes + additional clouds), bytes. */
  maxRequestBytes: z.number().int().min(1024).max(2 ** 31 - 1).default(512 * 1024 * 1024),
  /** Directory blob_ref paths are resolved in (server side); null disables blob_ref. */
  blobDir: z.string().nullable().default(null),
  /** Attempts per job before it is FAILED (retries after a worker error). */
  attempts: z.number().int().min(1).max(20).default(3),
});
export type HpcConfig = z.infer<typeof hpcConfigSchema>;
export type HpcConfigInput = z.input<typeof hpcConfigSchema>;

/** BullMQ connection options from a redis:// URL (BullMQ needs maxRetriesPerRequest: null for workers). */
export function bullConnection(redisUrl: string): ConnectionOptions {
  const u = new URL(redisUrl);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  return {
    host: u.hostname, port: Number(u.port || 6379), db,
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    maxRetriesPerRequest: null,
  };
}

/** Redis keys of one job's bytes and cancel marker. */
export const keys = {
  input: (q: string, id: string) => `hpc:${q}:${id}:in`,
  additional: (q: string, id: string, i: number) => `hpc:${q}:${id}:in:${i}`,
  result: (q: string, id: string) => `hpc:${q}:${id}:out`,
  cancel: (q: string, id: string) => `hpc:${q}:${id}:cancel`,
} as const;

/** Error text carried in BullMQ's failedReason: "CODE: message". */
export const reason = (code: string, message: string) => `${code}: ${message}`;
export function parseReason(r: string | undefined): { code: string; message: string } {
  const m = /^([A-Z0-9_]+\.[A-Z0-9_.]+): ([\s\S]*)$/.exec(r ?? '');
  return m ? { code: m[1]!, message: m[2]! } : { code: 'HPC.WORKER_ERROR', message: r ?? 'unknown error' };
}
