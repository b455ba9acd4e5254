/**
 * The BullMQ engine: a job's bytes go to Redis keys with the configured TTL, its spec (JSON) to
 * the queue; `twin hpc worker` processes (hpc.worker.ts) on any machines run them. Status and
 * results are read back from BullMQ and Redis, so the engine (and the server) is stateless and
 * any number of servers may front one queue.
 */
import { randomUUID } from 'node:crypto';
import { Queue, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import { bullConnection, keys, parseReason, type HpcConfig } from './hpc-config.js';
import type { JobSpec } from './hpc-job.schema.js';
import { EngineError, type EngineJobStatus, type JobEngine, type JobResultMeta, type JobState, type JobSubmission } from './job-engine.js';

export interface RedisEngine extends JobEngine {
  readonly kind: 'redis';
  /** The BullMQ queue (tests and tools read counts from it). */
  readonly queue: Queue<JobSpec, JobResultMeta>;
}

/** Connects to Redis (`cfg.redisUrl`, required) and returns the engine. */
export function createRedisEngine(cfg: HpcConfig, logger: Logger = silentLogger): RedisEngine {
  if (!cfg.redisUrl) throw new Error('createRedisEngine: redisUrl is required');
  const q = cfg.queueName;
  const redis = new Redis(cfg.redisUrl, { maxRetriesPerRequest: 3 });
  const queue = new Queue<JobSpec, JobResultMeta>(q, { connection: bullConnection(cfg.redisUrl) });

  async function toStatus(fetched: Job<JobSpec, JobResultMeta>): Promise<EngineJobStatus> {
    const s = await fetched.getState();
    // The job may have finished between fetching it and reading its state: re-read its data then.
    const job = (s === 'completed' || s === 'failed') && !fetched.finishedOn ? (await queue.getJob(fetched.id!)) ?? fetched : fetched;
    const cancelled = (await redis.exists(keys.cancel(q, job.id!))) === 1;
    const fr = s === 'failed' ? parseReason(job.failedReason) : null;
    let state: JobState = s === 'active' ? 'RUNNING' : s === 'completed' ? 'SUCCEEDED' : s === 'failed' ? 'FAILED' : 'QUEUED';
    if ((cancelled && state !== 'SUCCEEDED') || fr?.code === 'HPC.CANCELLED') state = 'CANCELLED';
    return {
      jobId: job.id!, state, progress: typeof job.progress === 'number' ? job.progress : 0,
      errorCode: state === 'CANCELLED' ? 'HPC.CANCELLED' : fr?.code ?? '', errorMessage: state === 'CANCELLED' ? 'job cancelled' : fr?.message ?? '',
      attempts: job.attemptsStarted ?? job.attemptsMade, createdAtMs: job.data.createdAtMs, finishedAtMs: job.finishedOn ?? 0,
      result: state === 'SUCCEEDED' ? job.returnvalue ?? null : null,
    };
  }

  async function find(jobId: string): Promise<Job<JobSpec, JobResultMeta>> {
    const job = await queue.getJob(jobId);
    if (!job) throw new EngineError('HPC.NOT_FOUND', `job ${jobId} not found (unknown or expired)`);
    return job;
  }

  async function resultSize(jobId: string): Promise<number> {
    const st = await toStatus(await find(jobId));
    if (st.state !== 'SUCCEEDED') throw new EngineError('HPC.NOT_SUCCEEDED', `job ${jobId} is ${st.state}, not SUCCEEDED`);
    const size = await redis.strlen(keys.result(q, jobId));
    if (size === 0) throw new EngineError('HPC.NOT_FOUND', `result of job ${jobId} expired`);
    return size;
  }

  return {
    kind: 'redis', queue,
    async submit(j: JobSubmission): Promise<string> {
      const id = randomUUID();
      const inputKey = keys.input(q, id);
      const additionalKeys = j.additional.map((_, i) => keys.additional(q, id, i));
      const m = redis.multi().set(inputKey, Buffer.from(j.data), 'EX', cfg.ttlSeconds);
      j.additional.forEach((b, i) => m.set(additionalKeys[i]!, Buffer.from(b), 'EX', cfg.ttlSeconds));
      await m.exec();
      const spec: JobSpec = { format: j.format, outputFormat: j.outputFormat, stages: j.stages, inputKey, additionalKeys, clientRequestId: j.clientRequestId, createdAtMs: Date.now() };
      await queue.add('process', spec, {
        jobId: id, attempts: cfg.attempts, backoff: { type: 'fixed', delay: 500 },
        removeOnComplete: { age: cfg.ttlSeconds }, removeOnFail: { age: cfg.ttlSeconds },
      });
      return id;
    },
    async status(jobId) {
      const job = await queue.getJob(jobId);
      return job ? toStatus(job) : null;
    },
    resultSize,
    async readResult(jobId, start, end) {
      const data = await redis.getrangeBuffer(keys.result(q, jobId), start, end - 1);
      if (data.length === 0 && end > start) throw new EngineError('HPC.NOT_FOUND', `result of job ${jobId} expired`);
      return data;
    },
    async cancel(jobId) {
      const job = await find(jobId);
      const st = await toStatus(job);
      if (st.state === 'SUCCEEDED' || st.state === 'FAILED') throw new EngineError('HPC.ALREADY_FINAL', `job ${jobId} already ${st.state}`);
      await redis.set(keys.cancel(q, jobId), '1', 'EX', cfg.ttlSeconds);
      logger.info({ jobId }, 'hpc job cancel requested');
      return toStatus(job);
    },
    async jobCount() {
      return queue.getJobCountByTypes('waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized', 'waiting-children');
    },
    async close() {
      await queue.close();
      redis.disconnect();
    },
  };
}
