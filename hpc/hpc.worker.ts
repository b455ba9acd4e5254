/**
 * The HPC worker: takes jobs from the BullMQ queue, runs the point-cloud pipeline, stores the
 * encoded result in Redis with the configured TTL and returns its metadata (BullMQ's return
 * value). Any number of workers on any number of machines may serve one queue. A worker that
 * dies mid-job stops renewing the job's lock; after `lockDurationMs` another worker's stalled
 * check puts the job back on the queue (BullMQ stalled-job handling), up to `maxStalledCount`.
 */
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import { bullConnection, hpcConfigSchema, keys, reason, type HpcConfigInput } from './hpc-config.js';
import type { JobSpec } from './hpc-job.schema.js';
import { runPipeline } from './hpc-pipeline.js';
import type { JobResultMeta } from './job-engine.js';

/** BullMQ return value of a finished job (proto ResultMetadata). */
export type { JobResultMeta } from './job-engine.js';

export interface HpcWorkerOptions extends HpcConfigInput {
  /** redis://… (required for a worker). */
  readonly redisUrl: string;
  /** Jobs processed at once by this process (pipelines are CPU-bound: 1 per core). Default 1. */
  readonly concurrency?: number;
  /** Job lock, ms: a dead worker's job is recovered after this. Must exceed the longest single stage. Default 30000. */
  readonly lockDurationMs?: number;
  /** Stalled-job check period, ms. Default 30000 (BullMQ's). */
  readonly stalledIntervalMs?: number;
  /** Times a job may be recovered from a dead worker before it fails. Default 2. */
  readonly maxStalledCount?: number;
  readonly logger?: Logger;
}

export interface HpcWorker {
  readonly id: string;
  readonly worker: Worker<JobSpec, JobResultMeta>;
  /** Resolves once connected to Redis and taking jobs. */
  ready(): Promise<void>;
  /** Finishes the current job(s) (or abandons them with force) and disconnects. */
  close(force?: boolean): Promise<void>;
}

const yieldLoop = () => new Promise<void>((r) => setImmediate(r));

/** Starts a worker process-side. */
export function startHpcWorker(opts: HpcWorkerOptions): HpcWorker {
  const cfg = hpcConfigSchema.extend({ redisUrl: z.string().url() }).parse(opts);
  const log = opts.logger ?? silentLogger;
  const id = `${hostname()}:${process.pid}`;
  const redis = new Redis(cfg.redisUrl, { maxRetriesPerRequest: null });
  const q = cfg.queueName;

  const cancelled = async (jobId: string) => (await redis.exists(keys.cancel(q, jobId))) === 1;

  const processor = async (job: Job<JobSpec, JobResultMeta>): Promise<JobResultMeta> => {
    const jobId = job.id!;
    const spec = job.data;
    log.info({ jobId, attempt: job.attemptsStarted, stages: spec.stages.length }, 'hpc job start');
    if (await cancelled(jobId)) {
      await redis.del(spec.inputKey, ...spec.additionalKeys);
      throw new UnrecoverableError(reason('HPC.CANCELLED', 'job cancelled'));
    }
    const data = await redis.getBuffer(spec.inputKey);
    if (!data) throw new UnrecoverableError(reason('HPC.INPUT_EXPIRED', `input ${spec.inputKey} is gone (TTL expired?)`));
    const additional: Buffer[] = [];
    for (const k of spec.additionalKeys) {
      const b = await redis.getBuffer(k);
      if (!b) throw new UnrecoverableError(reason('HPC.INPUT_EXPIRED', `input ${k} is gone (TTL expired?)`));
      additional.push(b);
    }
    const r = await runPipeline({ data, additional, format: spec.format, outputFormat: spec.outputFormat, stages: spec.stages }, async (done, total) => {
      await job.updateProgress(done / total);
      await yieldLoop();
      return !(await cancelled(jobId));
    });
    const inputs = [spec.inputKey, ...spec.additionalKeys];
    if (!r.ok) {
      await redis.del(...inputs); // final failure (no retry): the inputs are no longer needed
      throw new UnrecoverableError(reason(r.error.code, r.error.message));
    }
    await redis.multi()
      .set(keys.result(q, jobId), Buffer.from(r.value.bytes.buffer, r.value.bytes.byteOffset, r.value.bytes.byteLength), 'EX', cfg.ttlSeconds)
      .del(...inputs)
      .exec();
    await job.updateProgress(1);
    log.info({ jobId, outputPoints: r.value.meta.outputPoints, ms: r.value.meta.processingMs }, 'hpc job done');
    return { ...r.value.meta, worker: id };
  };

  const worker = new Worker<JobSpec, JobResultMeta>(q, processor, {
    connection: bullConnection(cfg.redisUrl),
    concurrency: opts.concurrency ?? 1,
    lockDuration: opts.lockDurationMs ?? 30_000,
    stalledInterval: opts.stalledIntervalMs ?? 30_000,
    maxStalledCount: opts.maxStalledCount ?? 2,
  });
  worker.on('error', (e) => log.error({ err: e }, 'hpc worker error'));
  worker.on('failed', (job, e) => log.warn({ jobId: job?.id, err: e.message }, 'hpc job failed'));

  return {
    id, worker,
    ready: () => worker.waitUntilReady().then(() => undefined),
    close: async (force = false) => { await worker.close(force); redis.disconnect(); },
  };
}
