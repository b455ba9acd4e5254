/**
 * `twin hpc serve` / `twin hpc worker`: the HPC point-cloud service (hpc/README.md).
 *   twin hpc serve  [--redis URL] [--host 127.0.0.1] [--port 50051] [--queue Q] [--blob-dir DIR] [--ttl S] [--auth]
 *                   [--pool-size N] [--max-stored-bytes N] [--store-dir DIR]
 * `serve` without `--redis` and without TWIN_REDIS_URL runs the jobs in-process on a worker_threads
 * pool (the local engine); with either, on BullMQ (start `twin hpc worker`s).
 *   twin hpc worker [--redis URL] [--queue Q] [--concurrency N] [--lock-ms MS] [--stalled-ms MS] [--ttl S]
 * `worker`'s `--redis` defaults to TWIN_REDIS_URL, then redis://127.0.0.1:6379. Logs (pino JSON) on stderr.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { createAuthenticator, loadOrCreateSecret } from '../api/auth/index.js';
import { createLogger } from '../core/logger.js';
import { dataDir, openStore } from '../storage/store.js';
import { startHpcServer } from '../hpc/hpc.server.js';
import { startHpcWorker } from '../hpc/hpc.worker.js';

const int = (name: string, min: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}`);
  return n;
};
const redisDefault = () => process.env.TWIN_REDIS_URL ?? 'redis://127.0.0.1:6379';

function untilSignal(close: () => Promise<void>): Promise<void> {
  return new Promise((res) => {
    const stop = () => { void close().then(res); };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}

export function registerHpcCommand(program: Command): void {
  const hpc = program.command('hpc').description('HPC point-cloud processing service over gRPC, jobs on BullMQ (Redis) or an in-process worker_threads pool');
  hpc.command('serve')
    .description('run the gRPC HPCService (protos/hpc_service.proto)')
    .option('--redis <url>', 'Redis URL: jobs on BullMQ (default $TWIN_REDIS_URL; neither: in-process worker_threads pool)')
    .option('--pool-size <n>', 'local engine (no Redis): worker threads (default cores − 1, at least 1)', int('--pool-size', 1))
    .option('--max-stored-bytes <n>', 'local engine (no Redis): byte budget for inputs and results held (default 1 GiB)', int('--max-stored-bytes', 1024))
    .option('--store-dir <dir>', 'local engine (no Redis): keep inputs and results as files under this directory instead of in memory')
    .option('--host <addr>', 'bind address (0.0.0.0 to serve other machines)', '127.0.0.1')
    .option('--port <n>', 'gRPC port (0 = any free one)', int('--port', 0), 50051)
    .option('--queue <name>', 'BullMQ queue name (workers must use the same)')
    .option('--blob-dir <dir>', 'directory blob_ref paths are read from')
    .option('--ttl <s>', 'seconds inputs/results/jobs are kept in Redis', int('--ttl', 10))
    .option('--auth', 'require the twin\'s JWT (authorization: Bearer …), checked against the store in TWIN_DATA_DIR')
    .option('--log-level <level>', 'pino level on stderr', 'info')
    .action(async (o: { redis?: string; poolSize?: number; maxStoredBytes?: number; storeDir?: string; host: string; port: number; queue?: string; blobDir?: string; ttl?: number; auth?: boolean; logLevel: string }) => {
      const log = createLogger(o.logLevel, 'hpc-server');
      const store = o.auth ? openStore({ dir: dataDir() }) : null;
      const auth = store ? createAuthenticator({ store, secret: loadOrCreateSecret(store.dir).key }) : null;
      const s = await startHpcServer({
        ...((o.redis ?? process.env.TWIN_REDIS_URL) ? { redisUrl: o.redis ?? process.env.TWIN_REDIS_URL } : {}),
        local: { ...(o.poolSize ? { poolSize: o.poolSize } : {}), ...(o.maxStoredBytes ? { maxStoredBytes: o.maxStoredBytes } : {}), ...(o.storeDir ? { storeDir: o.storeDir } : {}) },
        host: o.host, port: o.port, logger: log,
        ...(auth ? { authenticate: (t: string) => auth.verify(t) } : {}),
        ...(o.queue ? { queueName: o.queue } : {}), ...(o.blobDir ? { blobDir: o.blobDir } : {}), ...(o.ttl ? { ttlSeconds: o.ttl } : {}),
      });
      await untilSignal(async () => { await s.close(); store?.close(); });
    });
  hpc.command('worker')
    .description('take HPC jobs from the queue (run any number, on any machines)')
    .option('--redis <url>', 'Redis URL (default $TWIN_REDIS_URL or redis://127.0.0.1:6379)')
    .option('--queue <name>', 'BullMQ queue name')
    .option('--concurrency <n>', 'jobs at once in this process', int('--concurrency', 1), 1)
    .option('--lock-ms <ms>', 'job lock; a dead worker\'s job is recovered after this', int('--lock-ms', 100), 30_000)
    .option('--stalled-ms <ms>', 'stalled-job check period', int('--stalled-ms', 100), 30_000)
    .option('--ttl <s>', 'seconds results are kept in Redis', int('--ttl', 10))
    .option('--log-level <level>', 'pino level on stderr', 'info')
    .action(async (o: { redis?: string; queue?: string; concurrency: number; lockMs: number; stalledMs: number; ttl?: number; logLevel: string }) => {
      const log = createLogger(o.logLevel, 'hpc-worker');
      const w = startHpcWorker({
        redisUrl: o.redis ?? redisDefault(), concurrency: o.concurrency, lockDurationMs: o.lockMs, stalledIntervalMs: o.stalledMs, logger: log,
        ...(o.queue ? { queueName: o.queue } : {}), ...(o.ttl ? { ttlSeconds: o.ttl } : {}),
      });
      await w.ready();
      log.info({ worker: w.id }, 'hpc worker ready');
      await untilSignal(() => w.close());
    });
}
