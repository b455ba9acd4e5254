/**
 * Entry point of one HPC worker process:
 *   node dist/hpc/worker-main.js --redis redis://host:6379 [--queue hpc-pointcloud]
 *     [--concurrency 1] [--lock-ms 30000] [--stalled-ms 30000] [--ttl 86400]
 * Logs (pino JSON) to stderr; "hpc worker ready" once taking jobs. SIGTERM/SIGINT: finish the
 * current job and exit.
 */
import { parseArgs } from 'node:util';
import { createLogger } from '../core/logger.js';
import { startHpcWorker } from './hpc.worker.js';

const { values: a } = parseArgs({
  options: {
    redis: { type: 'string', default: process.env.TWIN_REDIS_URL ?? 'redis://127.0.0.1:6379' },
    queue: { type: 'string' }, concurrency: { type: 'string' }, 'lock-ms': { type: 'string' },
    'stalled-ms': { type: 'string' }, ttl: { type: 'string' }, 'log-level': { type: 'string', default: 'info' },
  },
});
const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
const log = createLogger(a['log-level'], 'hpc-worker');
const w = startHpcWorker({
  redisUrl: a.redis!, ...(a.queue ? { queueName: a.queue } : {}), ...(a.ttl ? { ttlSeconds: Number(a.ttl) } : {}),
  concurrency: num(a.concurrency) ?? 1, lockDurationMs: num(a['lock-ms']) ?? 30_000, stalledIntervalMs: num(a['stalled-ms']) ?? 30_000, logger: log,
});
await w.ready();
log.info({ worker: w.id }, 'hpc worker ready');
const stop = () => { void w.close().then(() => process.exit(0)); };
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
