/**
 * The HPC service's messages as the twin reads them: protos/hpc_service.proto loaded at run time
 * with @grpc/proto-loader (no generated code; this side loads the file itself, hardware/ never
 * imports the service in hpc/), and zod schemas that validate every decoded reply before it
 * becomes an {@link HpcJobStatus} or {@link HpcResultMeta}.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { z } from 'zod';
import type { HpcErrorCode, HpcJobStatus, HpcResultFormat, HpcResultMeta } from '../../hpc.port.js';

/** snake_case fields, enums as names, bytes as Buffer, 64-bit as numbers, defaults filled. */
const PROTO_OPTIONS: protoLoader.Options = { keepCase: true, longs: Number, enums: String, bytes: Buffer, defaults: true, oneofs: true, arrays: true };

/** protos/hpc_service.proto from the source tree (hardware/real/hpc/) or the build (dist/hardware/real/hpc/). */
export function hpcProtoPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const p of [join(here, '../../../protos/hpc_service.proto'), join(here, '../../../../protos/hpc_service.proto')]) if (existsSync(p)) return p;
  throw new Error('protos/hpc_service.proto not found above hardware/real/hpc/');
}

/** A loaded HPCService client: untyped methods (the replies are validated with the schemas below). */
export type HpcGrpcClient = grpc.Client & Record<string, (...a: unknown[]) => unknown>;
type ClientCtor = new (address: string, creds: grpc.ChannelCredentials, options?: grpc.ChannelOptions) => HpcGrpcClient;

let ctor: ClientCtor | undefined;
/** The HPCService client constructor (the proto is parsed once per process). */
export function hpcClientCtor(): ClientCtor {
  if (ctor) return ctor;
  const def = protoLoader.loadSync(hpcProtoPath(), PROTO_OPTIONS);
  const pkg = grpc.loadPackageDefinition(def) as unknown as { overwatch: { hpc: { HPCService: ClientCtor } } };
  ctor = pkg.overwatch.hpc.HPCService;
  return ctor;
}

const FORMATS = { PCD: 'pcd', PLY: 'ply', LAS: 'las', DSM_PNG: 'dsm_png', CLOUD_FORMAT_UNSPECIFIED: 'pcd' } as const satisfies Record<string, HpcResultFormat>;
const num = z.number().refine(Number.isFinite, 'finite');

export const ResultMetaWire = z.object({
  input_points: num.min(0),
  output_points: num.min(0),
  format: z.enum(['PCD', 'PLY', 'LAS', 'DSM_PNG', 'CLOUD_FORMAT_UNSPECIFIED']),
  size_bytes: num.min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  stages: num.min(0),
  processing_ms: num.min(0),
  worker: z.string(),
  media_type: z.string(),
  world_file: z.string().default(''),
});

export const JobStatusWire = z.object({
  job_id: z.string().min(1),
  state: z.enum(['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED']),
  progress: num.min(0).max(1),
  error_code: z.string().default(''),
  error_message: z.string().default(''),
  attempts: num.min(0),
  result: ResultMetaWire.nullish(),
});

export const ProcessingJobWire = z.object({ job_id: z.string().min(1), state: z.enum(['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED']), message: z.string().default('') });

export const ChunkWire = z.object({
  job_id: z.string(),
  offset: num.min(0),
  data: z.instanceof(Uint8Array),
  last: z.boolean(),
  metadata: ResultMetaWire.nullish(),
});

export function toMeta(m: z.output<typeof ResultMetaWire>): HpcResultMeta {
  return {
    input_points: m.input_points,
    output_points: m.output_points,
    format: FORMATS[m.format],
    size_bytes: m.size_bytes,
    sha256: m.sha256,
    stages: m.stages,
    processing_ms: m.processing_ms,
    worker: m.worker,
    media_type: m.media_type,
    ...(m.world_file ? { world_file: m.world_file } : {}),
  };
}

export function toStatus(s: z.output<typeof JobStatusWire>): HpcJobStatus {
  return {
    job_id: s.job_id,
    state: s.state,
    progress: s.progress,
    attempts: s.attempts,
    ...(s.error_code ? { error_code: s.error_code } : {}),
    ...(s.error_message ? { error_message: s.error_message } : {}),
    ...(s.result && s.state === 'SUCCEEDED' ? { result: toMeta(s.result) } : {}),
  };
}

/** gRPC status → the port's dotted code. */
export function codeOf(status: grpc.status | undefined): HpcErrorCode {
  switch (status) {
    case grpc.status.INVALID_ARGUMENT:
    case grpc.status.OUT_OF_RANGE:
      return 'HPC.INVALID';
    case grpc.status.NOT_FOUND:
      return 'HPC.NOT_FOUND';
    case grpc.status.RESOURCE_EXHAUSTED:
      return 'HPC.TOO_LARGE';
    case grpc.status.FAILED_PRECONDITION:
      return 'HPC.NOT_READY';
    case grpc.status.UNAUTHENTICATED:
    case grpc.status.PERMISSION_DENIED:
      return 'HPC.UNAUTHENTICATED';
    case grpc.status.DEADLINE_EXCEEDED:
      return 'HPC.TIMEOUT';
    case grpc.status.UNAVAILABLE:
      return 'HPC.UNAVAILABLE';
    case grpc.status.CANCELLED:
      return 'HPC.ABORTED';
    default:
      return 'HPC.FAILED';
  }
}
