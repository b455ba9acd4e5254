/**
 * Entry point of the HPC gRPC server:
 *   node dist/hpc/server-main.js [--redis redis://host:6379] [--host 0.0.0.0] [--port 50051]
 *     [--queue hpc-pointcloud] [--blob-dir DIR] [--ttl 86400] [--max-request-bytes N]
 *     [--pool-size N] [--max-stored-bytes N] [--store-dir DIR]
 * Without --redis (and TWIN_REDIS_URL) the jobs run on an in-process worker_threads pool.
 * Logs (pino JSON) to stderr; "hpc server listening" with the port once bound.
 */
import { parseArgs } from 'node:util';
import { createLogger } from '../core/logger.js';
import { startHpcServer } from './hpc.server.js';

const { values: a } = parseArgs({
  options: {
    redis: { type: 'string', default: process.env.TWIN_REDIS_URL },
    'pool-size': { type: 'string' }, 'max-stored-bytes': { type: 'string' }, 'store-dir': { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string', default: '50051' },
    queue: { type: 'string' }, 'blob-dir': { type: 'string' }, ttl: { type: 'string' },
    'max-request-bytes': { type: 'string' }, 'log-level': { type: 'string', default: 'info' },
  },
});
const log = createLogger(a['log-level'], 'hpc-server');
const s = await startHpcServer({
  ...(a.redis ? { redisUrl: a.redis } : {}),
  local: { ...(a['pool-size'] ? { poolSize: Number(a['pool-size']) } : {}), ...(a['max-stored-bytes'] ? { maxStoredBytes: Number(a['max-stored-bytes']) } : {}), ...(a['store-dir'] ? { storeDir: a['store-dir'] } : {}) },
  host: a.host!, port: Number(a.port), logger: log,
  ...(a.queue ? { queueName: a.queue } : {}), ...(a['blob-dir'] ? { blobDir: a['blob-dir'] } : {}),
  ...(a.ttl ? { ttlSeconds: Number(a.ttl) } : {}), ...(a['max-request-bytes'] ? { maxRequestBytes: Number(a['max-request-bytes']) } : {}),
});
const stop = () => { void s.close().then(() => process.exit(0)); };
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
