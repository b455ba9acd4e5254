/**
 * The seam between the gRPC service (hpc.server.ts) and what runs its jobs. Two engines serve
 * the same API: `redis-engine.ts` (BullMQ on Redis, workers in any number of processes on any
 * machines) and `local-engine.ts` (a worker_threads pool in the server's process, inputs and
 * results in a bounded in-memory store; the embedded default without Redis).
 *
 * Engines hold no gRPC types: the server maps {@link EngineError} codes to gRPC status codes.
 */
import type { CloudFormat, Stage } from './hpc-job.schema.js';
import type { PipelineMeta } from './hpc-pipeline.js';

/** Metadata of a finished job (proto ResultMetadata): the pipeline's, plus who ran it. */
export interface JobResultMeta extends PipelineMeta {
  /** Worker id: `host:pid` for a BullMQ worker process, `host:pid/thread-N` for a local pool thread. */
  readonly worker: string;
}

export type JobState = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
export const FINAL_STATES: readonly JobState[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

/** A job's status as GetJobStatus reports it. */
export interface EngineJobStatus {
  readonly jobId: string;
  readonly state: JobState;
  /** 0..1, from the worker (steps done / steps: decode, each stage, encode). */
  readonly progress: number;
  /** Dotted code when FAILED / CANCELLED (`HPC.STAGE_FAILED`, `HPC.CANCELLED`, `HPC.WORKER_CRASHED`, …), else ''. */
  readonly errorCode: string;
  readonly errorMessage: string;
  /** Attempts started (> 1 after a retry, a stalled worker or a crashed thread). */
  readonly attempts: number;
  /** Unix ms. */
  readonly createdAtMs: number;
  /** Unix ms; 0 while not finished (a cancelled running job: until its worker has stopped). */
  readonly finishedAtMs: number;
  /** Set when SUCCEEDED. */
  readonly result: JobResultMeta | null;
}

/** A validated job with its bytes (the server has decoded every cloud once to validate it). */
export interface JobSubmission {
  readonly format: CloudFormat;
  readonly outputFormat: CloudFormat;
  readonly stages: readonly Stage[];
  readonly data: Uint8Array;
  readonly additional: readonly Uint8Array[];
  readonly clientRequestId: string;
}

/** Expected engine failures; the server maps them to gRPC codes. */
export type EngineErrorCode =
  | 'HPC.BUDGET_EXHAUSTED' // → RESOURCE_EXHAUSTED: the store cannot take these bytes now
  | 'HPC.NOT_FOUND' //        → NOT_FOUND: unknown or expired job / result
  | 'HPC.NOT_SUCCEEDED' //    → FAILED_PRECONDITION: result asked for before SUCCEEDED
  | 'HPC.ALREADY_FINAL' //    → FAILED_PRECONDITION: cancel of a SUCCEEDED / FAILED job
  | 'HPC.CLOSED'; //          → UNAVAILABLE: engine shut down

export class EngineError extends Error {
  constructor(readonly code: EngineErrorCode, message: string) { super(message); this.name = 'EngineError'; }
}

/**
 * Runs HPC jobs. All methods may reject with {@link EngineError} for expected failures; any other
 * rejection is an internal error.
 */
export interface JobEngine {
  /** `redis` (BullMQ) or `local` (worker_threads pool). */
  readonly kind: 'redis' | 'local';
  /** Stores the inputs and queues the job; resolves with its id (a UUID). */
  submit(job: JobSubmission): Promise<string>;
  /** The job's status, or null when unknown or expired. */
  status(jobId: string): Promise<EngineJobStatus | null>;
  /** Byte length of a SUCCEEDED job's result. HPC.NOT_FOUND / HPC.NOT_SUCCEEDED otherwise. */
  resultSize(jobId: string): Promise<number>;
  /** Bytes [start, end) of a SUCCEEDED job's result (the server streams it in chunks). */
  readResult(jobId: string, start: number, end: number): Promise<Buffer>;
  /**
   * Cancels a QUEUED job (it never runs) or a RUNNING one (it stops at its next stage boundary);
   * resolves with the status, CANCELLED at once. HPC.ALREADY_FINAL for SUCCEEDED / FAILED.
   */
  cancel(jobId: string): Promise<EngineJobStatus>;
  /** Jobs the engine knows of (queued, running or finished and not yet expired). */
  jobCount(): Promise<number>;
  close(): Promise<void>;
}
