/**
 * The HPC port: point-cloud processing jobs on a compute service outside the twin (the gRPC
 * `HPCService` of protos/hpc_service.proto, served by `twin hpc serve` or any cluster speaking
 * it). The twin submits a cloud (its bytes or a reference the service can read), follows the
 * job, and fetches the result (a processed cloud, or a DSM PNG with its world file).
 *
 * @remarks
 * Expected failures are results with the closed set of {@link HpcErrorCode}s (a refused request,
 * an unknown job, a service that does not answer); exceptions are bugs. `watch` is a stream:
 * `watch(job, fn) → unsubscribe`. Sizes in bytes, durations in ms, progress 0..1. Times in a
 * status are the service's wall clock (Unix ms), never the twin's sim time.
 */
import type { Result } from '../core/result.js';
import type { Unsubscribe } from './sensor.port.js';

export type HpcErrorCode =
  | 'HPC.UNAVAILABLE' // the service does not answer (not running, unreachable, shut down)
  | 'HPC.INVALID' // the service refused the request (bad cloud, unknown processing type, absurd parameter)
  | 'HPC.NOT_FOUND' // unknown or expired job id, or a blob_ref the service cannot find
  | 'HPC.TOO_LARGE' // above the service's request or message limit
  | 'HPC.NOT_READY' // result asked for before SUCCEEDED, or cancel of a finished job
  | 'HPC.UNAUTHENTICATED' // the service wants a (valid) token
  | 'HPC.TIMEOUT' // no answer within the deadline
  | 'HPC.ABORTED' // the caller's abort signal
  | 'HPC.FAILED' // anything else the service reported (its message says what)
  | 'HPC.DISPOSED';

export type HpcResult<T = void> = Result<T, HpcErrorCode>;

/** Processing shorthands of the original client (`processing_type`). */
export const HPC_PROCESSING_TYPES = ['voxel_grid', 'outlier_removal', 'merge', 'dsm'] as const;
export type HpcProcessingType = (typeof HPC_PROCESSING_TYPES)[number];

/** Cloud encodings in; `dsm_png` is a result format only. */
export type HpcCloudFormat = 'pcd' | 'ply' | 'las';
export type HpcResultFormat = HpcCloudFormat | 'dsm_png';

export type HpcJobState = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
export const HPC_FINAL_STATES: readonly HpcJobState[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

/** A job to run. */
export interface HpcSubmission {
  /** The input cloud: its encoded bytes, or a path the service resolves under its blob dir. */
  readonly cloud: { readonly bytes: Uint8Array } | { readonly blob_ref: string };
  readonly format: HpcCloudFormat;
  readonly processing_type: HpcProcessingType;
  /** As the original client: `resolution` (m), `filter` (`statistical` | `radius`), `k`, `std_mul`, `radius`, `min_neighbors`, … */
  readonly parameters?: Readonly<Record<string, string | number | boolean>>;
  /** Inputs of a `merge`, same format as `cloud`. */
  readonly additional_clouds?: readonly Uint8Array[];
  /** Result cloud format (default pcd; a dsm is always a PNG). */
  readonly output_format?: HpcCloudFormat;
  /** Echoed in the job's metadata; for correlation in the service's logs. */
  readonly client_request_id?: string;
}

/** What a finished job produced (proto ResultMetadata). */
export interface HpcResultMeta {
  readonly input_points: number;
  readonly output_points: number;
  readonly format: HpcResultFormat;
  readonly size_bytes: number;
  /** Hex SHA-256 of the encoded result. */
  readonly sha256: string;
  readonly stages: number;
  /** Worker wall time for the pipeline, ms. */
  readonly processing_ms: number;
  readonly worker: string;
  readonly media_type: string;
  /** dsm_png only: the ESRI world file (.pgw) georeferencing the PNG. */
  readonly world_file?: string;
}

export interface HpcJobStatus {
  readonly job_id: string;
  readonly state: HpcJobState;
  /** 0..1, as the worker reports it. */
  readonly progress: number;
  /** Dotted code when FAILED / CANCELLED (`HPC.STAGE_FAILED`, `HPC.CANCELLED`, …). */
  readonly error_code?: string;
  readonly error_message?: string;
  readonly attempts: number;
  /** Set when SUCCEEDED. */
  readonly result?: HpcResultMeta;
}

export interface HpcResultData {
  readonly job_id: string;
  readonly data: Uint8Array;
  readonly metadata: HpcResultMeta;
}

export interface HpcCapabilities {
  /** Largest cloud sent in one request; larger ones are streamed (bytes). */
  readonly unaryLimit_bytes: number;
  /** Whether `cloud.blob_ref` is meaningful (the service shares a blob dir with the twin). */
  readonly blobRefs: boolean;
}

/** Ends a watch: the final status was seen (`ok`), or why the stream stopped. */
export type HpcWatchEnd = HpcResult<HpcJobStatus | undefined>;

export interface HpcPort {
  /** Where the service is (`host:port`), for logs and reports. */
  readonly endpoint: string;
  readonly capabilities: HpcCapabilities;
  /** Checks the service answers (HPC.UNAVAILABLE otherwise). */
  connect(signal?: AbortSignal): Promise<HpcResult>;
  /** Validates and queues a job; resolves with its id once the service accepted it. */
  submit(job: HpcSubmission, signal?: AbortSignal): Promise<HpcResult<{ readonly job_id: string; readonly state: HpcJobState }>>;
  status(job_id: string, signal?: AbortSignal): Promise<HpcResult<HpcJobStatus>>;
  /**
   * Streams the job's status on every change of state or progress; `onEnd` once after the final
   * state (with it) or when the stream fails. The returned function stops watching.
   */
  watch(job_id: string, onStatus: (s: HpcJobStatus) => void, onEnd?: (end: HpcWatchEnd) => void): Unsubscribe;
  /** The result of a SUCCEEDED job, checked against its SHA-256. */
  result(job_id: string, signal?: AbortSignal): Promise<HpcResult<HpcResultData>>;
  cancel(job_id: string, signal?: AbortSignal): Promise<HpcResult<HpcJobStatus>>;
  dispose(): Promise<void>;
}
