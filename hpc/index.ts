/**
 * The HPC service's public API (hpc/README.md).
 *
 * @example Embedded, no Redis: jobs on an in-process worker_threads pool
 * const s = await startHpcServer({ port: 0 });            // s.engine.kind === 'local'
 * // … gRPC clients on 127.0.0.1:s.port (hpcClient) …
 * await s.close();
 *
 * @example Scaled out: jobs on BullMQ; run `twin hpc worker` processes anywhere
 * const s = await startHpcServer({ redisUrl: 'redis://10.0.0.1:6379', host: '0.0.0.0' });
 */
export { startHpcServer, HPC_WRITE_ROLES, type HpcServer, type HpcServerOptions, type HpcAuthResult } from './hpc.server.js';
export { startHpcWorker, type HpcWorker, type HpcWorkerOptions } from './hpc.worker.js';
export { createLocalEngine, defaultThreadScript, type LocalEngine, type LocalEngineOptions } from './local-engine.js';
export { createRedisEngine, type RedisEngine } from './redis-engine.js';
export { EngineError, FINAL_STATES, type EngineErrorCode, type EngineJobStatus, type JobEngine, type JobResultMeta, type JobState, type JobSubmission } from './job-engine.js';
export { hpcClient, loadHpcService, PROTO_OPTIONS, protoPath } from './hpc-proto.js';
export { runPipeline, decodeCloud, encodeCloud, type PipelineInput, type PipelineMeta } from './hpc-pipeline.js';
export { validateRequest, type CloudFormat, type Stage } from './hpc-job.schema.js';
export type { HpcConfigInput } from './hpc-config.js';
