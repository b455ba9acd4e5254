/**
 * The {@link HpcPort} over gRPC (@grpc/grpc-js, protos/hpc_service.proto loaded at run time):
 * clouds up to `unaryLimit_bytes` go in one `ProcessPointCloud`, larger ones through the
 * client-streaming `UploadPointCloud` in 1 MiB chunks; results always come through the
 * server-streaming `StreamProcessedResult` (no message-size ceiling) and are checked against
 * their SHA-256; `watch` is `WatchJob`. Every reply is validated (zod) before it is returned.
 *
 * @example
 * const hpc = createGrpcHpcPort({ address: '127.0.0.1:50051' });
 * const job = await hpc.submit({ cloud: { bytes: pcd }, format: 'pcd', processing_type: 'dsm', parameters: { resolution: 0.5 } });
 * if (job.ok) hpc.watch(job.value.job_id, (s) => log(s.state, s.progress), async () => save(await hpc.result(job.value.job_id)));
 */
import { createHash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { fail, ok, okVoid, type Failure } from '../../../core/result.js';
import type { HpcErrorCode, HpcJobStatus, HpcPort, HpcResult, HpcResultData, HpcResultMeta, HpcSubmission, HpcWatchEnd } from '../../hpc.port.js';
import { HPC_FINAL_STATES } from '../../hpc.port.js';
import { ChunkWire, codeOf, hpcClientCtor, JobStatusWire, ProcessingJobWire, toMeta, toStatus, type HpcGrpcClient } from './hpc-wire.js';

export interface GrpcHpcOptions {
  /** `host:port` of the HPCService. */
  readonly address: string;
  /** A bearer token (the twin's JWT) sent as `authorization` metadata when the service wants one. */
  readonly token?: string;
  /** Clouds above this many bytes are streamed (default 3 MiB: under gRPC's 4 MiB default). */
  readonly unaryLimit_bytes?: number;
  /** Upload chunk size, bytes (default 1 MiB). */
  readonly chunk_bytes?: number;
  /** Deadline of every unary call and of a whole result download, ms (default 30 000; uploads: 10 min). */
  readonly deadline_ms?: number;
  /** How long `connect` waits for the service, ms (default 5 000). */
  readonly connect_timeout_ms?: number;
  /** Longest a `watch` lasts before it ends with HPC.TIMEOUT, ms (default 10 min). */
  readonly watch_timeout_ms?: number;
  /** Whether the service reads `blob_ref`s from a directory the twin shares (default false). */
  readonly blobRefs?: boolean;
}

const MIB = 1024 * 1024;
const FORMAT_WIRE = { pcd: 'PCD', ply: 'PLY', las: 'LAS' } as const;

type Call = (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: unknown) => void) => grpc.ClientUnaryCall;

/** Creates the adapter; the channel connects lazily (see `connect`). */
export function createGrpcHpcPort(options: GrpcHpcOptions): HpcPort {
  return new GrpcHpcPort(options);
}

class GrpcHpcPort implements HpcPort {
  readonly endpoint: string;
  readonly capabilities;
  private readonly client: HpcGrpcClient;
  private readonly deadline_ms: number;
  private readonly chunk: number;
  private readonly watches = new Set<grpc.ClientReadableStream<unknown>>();
  private disposed = false;

  constructor(private readonly o: GrpcHpcOptions) {
    this.endpoint = o.address;
    this.capabilities = { unaryLimit_bytes: o.unaryLimit_bytes ?? 3 * MIB, blobRefs: o.blobRefs ?? false };
    this.deadline_ms = o.deadline_ms ?? 30_000;
    this.chunk = Math.max(1024, o.chunk_bytes ?? MIB);
    const Ctor = hpcClientCtor();
    this.client = new Ctor(o.address, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': 64 * MIB, 'grpc.max_send_message_length': -1 });
  }

  async connect(signal?: AbortSignal): Promise<HpcResult> {
    if (this.disposed) return disposedFail();
    const r = await new Promise<HpcResult>((resolve) => {
      this.client.waitForReady(Date.now() + (this.o.connect_timeout_ms ?? 5_000), (err) => resolve(err ? fail('HPC.UNAVAILABLE', `HPC service at ${this.endpoint} is not reachable: ${err.message}`) : okVoid));
      signal?.addEventListener('abort', () => resolve(fail('HPC.ABORTED', 'aborted')), { once: true });
    });
    return r;
  }

  async submit(job: HpcSubmission, signal?: AbortSignal): Promise<HpcResult<{ job_id: string; state: HpcJobStatus['state'] }>> {
    if (this.disposed) return disposedFail();
    const bytes = 'bytes' in job.cloud ? job.cloud.bytes : undefined;
    const request = {
      point_cloud_data: bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : Buffer.alloc(0),
      format: FORMAT_WIRE[job.format],
      processing_type: job.processing_type,
      parameters: Object.fromEntries(Object.entries(job.parameters ?? {}).map(([k, v]) => [k, String(v)])),
      operations: [],
      blob_ref: 'blob_ref' in job.cloud ? job.cloud.blob_ref : '',
      additional_clouds: (job.additional_clouds ?? []).map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength)),
      output_format: FORMAT_WIRE[job.output_format ?? 'pcd'],
      client_request_id: job.client_request_id ?? '',
    };
    const total = (bytes?.byteLength ?? 0) + (job.additional_clouds ?? []).reduce((n, c) => n + c.byteLength, 0);
    const reply = total > this.capabilities.unaryLimit_bytes ? await this.upload(request, signal) : await this.unary('ProcessPointCloud', request, signal);
    if (!reply.ok) return reply;
    const p = ProcessingJobWire.safeParse(reply.value);
    if (!p.success) return fail('HPC.FAILED', `ProcessPointCloud: malformed reply: ${p.error.issues[0]?.message ?? 'invalid'}`);
    return ok({ job_id: p.data.job_id, state: p.data.state });
  }

  async status(job_id: string, signal?: AbortSignal): Promise<HpcResult<HpcJobStatus>> {
    if (this.disposed) return disposedFail();
    return this.statusCall('GetJobStatus', job_id, signal);
  }

  async cancel(job_id: string, signal?: AbortSignal): Promise<HpcResult<HpcJobStatus>> {
    if (this.disposed) return disposedFail();
    return this.statusCall('CancelJob', job_id, signal);
  }

  watch(job_id: string, onStatus: (s: HpcJobStatus) => void, onEnd?: (end: HpcWatchEnd) => void): () => void {
    let ended = false;
    const end = (e: HpcWatchEnd) => {
      if (ended) return;
      ended = true;
      this.watches.delete(stream);
      onEnd?.(e);
    };
    if (this.disposed) {
      queueMicrotask(() => end(disposedFail()));
      return () => {};
    }
    let last: HpcJobStatus | undefined;
    const limit = this.o.watch_timeout_ms ?? 600_000;
    const stream = (this.client.WatchJob as (req: unknown, md: grpc.Metadata, o: grpc.CallOptions) => grpc.ClientReadableStream<unknown>)({ job_id }, this.metadata(), { deadline: Date.now() + limit });
    this.watches.add(stream);
    stream.on('data', (msg: unknown) => {
      const p = JobStatusWire.safeParse(msg);
      if (!p.success) {
        stream.cancel();
        return end(fail('HPC.FAILED', `WatchJob: malformed status: ${p.error.issues[0]?.message ?? 'invalid'}`));
      }
      last = toStatus(p.data);
      onStatus(last);
    });
    stream.on('error', (err: grpc.ServiceError) => {
      if (err.code === grpc.status.CANCELLED && ended) return;
      end(fromGrpc('WatchJob', err));
    });
    stream.on('end', () => {
      end(last && HPC_FINAL_STATES.includes(last.state) ? ok(last) : fail('HPC.FAILED', 'WatchJob: the stream ended before a final state'));
    });
    return () => {
      if (ended) return;
      ended = true;
      this.watches.delete(stream);
      stream.cancel();
    };
  }

  result(job_id: string, signal?: AbortSignal): Promise<HpcResult<HpcResultData>> {
    if (this.disposed) return Promise.resolve(disposedFail());
    return new Promise((resolve) => {
      const parts: Buffer[] = [];
      let meta: HpcResultMeta | undefined;
      let offset = 0;
      let done = false;
      const finish = (r: HpcResult<HpcResultData>) => {
        if (done) return;
        done = true;
        signal?.removeEventListener('abort', onAbort);
        resolve(r);
      };
      const stream = (this.client.StreamProcessedResult as (req: unknown, md: grpc.Metadata, o: grpc.CallOptions) => grpc.ClientReadableStream<unknown>)(
        { job_id },
        this.metadata(),
        { deadline: Date.now() + this.deadline_ms },
      );
      const onAbort = () => {
        stream.cancel();
        finish(fail('HPC.ABORTED', 'aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      stream.on('data', (msg: unknown) => {
        const p = ChunkWire.safeParse(msg);
        if (!p.success || p.data.offset !== offset) {
          stream.cancel();
          return finish(fail('HPC.FAILED', `StreamProcessedResult: ${p.success ? `chunk at ${p.data.offset}, expected ${offset}` : `malformed chunk: ${p.error.issues[0]?.message ?? 'invalid'}`}`));
        }
        if (p.data.metadata && !meta) meta = toMeta(p.data.metadata);
        parts.push(Buffer.from(p.data.data));
        offset += p.data.data.byteLength;
      });
      stream.on('error', (err: grpc.ServiceError) => finish(fromGrpc('StreamProcessedResult', err)));
      stream.on('end', () => {
        if (!meta) return finish(fail('HPC.FAILED', 'StreamProcessedResult: no metadata on the first chunk'));
        const data = Buffer.concat(parts);
        const sha = createHash('sha256').update(data).digest('hex');
        if (data.byteLength !== meta.size_bytes || sha !== meta.sha256)
          return finish(fail('HPC.FAILED', `StreamProcessedResult: ${data.byteLength} bytes with sha256 ${sha.slice(0, 12)}…, expected ${meta.size_bytes} bytes ${meta.sha256.slice(0, 12)}…`));
        finish(ok({ job_id, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), metadata: meta }));
      });
    });
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const s of this.watches) s.cancel();
    this.watches.clear();
    this.client.close();
  }

  // ---------------------------------------------------------------------------------------------

  private metadata(): grpc.Metadata {
    const md = new grpc.Metadata();
    if (this.o.token) md.set('authorization', `Bearer ${this.o.token}`);
    return md;
  }

  private async statusCall(method: 'GetJobStatus' | 'CancelJob', job_id: string, signal?: AbortSignal): Promise<HpcResult<HpcJobStatus>> {
    const r = await this.unary(method, { job_id }, signal);
    if (!r.ok) return r;
    const p = JobStatusWire.safeParse(r.value);
    if (!p.success) return fail('HPC.FAILED', `${method}: malformed reply: ${p.error.issues[0]?.message ?? 'invalid'}`);
    return ok(toStatus(p.data));
  }

  private unary(method: string, req: unknown, signal?: AbortSignal): Promise<HpcResult<unknown>> {
    return new Promise((resolve) => {
      const fn = this.client[method] as unknown as Call;
      const call = fn.call(this.client, req, this.metadata(), { deadline: Date.now() + this.deadline_ms }, (err, res) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(err ? fromGrpc(method, err) : ok(res));
      });
      const onAbort = () => call.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** UploadPointCloud: the request without its bytes first, then the bytes in order. */
  private upload(request: { point_cloud_data: Buffer } & Record<string, unknown>, signal?: AbortSignal): Promise<HpcResult<unknown>> {
    return new Promise((resolve) => {
      const fn = this.client.UploadPointCloud as unknown as (md: grpc.Metadata, o: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: unknown) => void) => grpc.ClientWritableStream<unknown>;
      const call = fn.call(this.client, this.metadata(), { deadline: Date.now() + Math.max(this.deadline_ms, 600_000) }, (err, res) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(err ? fromGrpc('UploadPointCloud', err) : ok(res));
      });
      const onAbort = () => call.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
      const data = request.point_cloud_data;
      const chunk = this.chunk;
      let i = 0;
      const pump = () => {
        while (i < data.byteLength) {
          const part = data.subarray(i, i + chunk);
          i += part.byteLength;
          if (!call.write({ chunk: part })) return void call.once('drain', pump);
        }
        call.end();
      };
      call.write({ request: { ...request, point_cloud_data: Buffer.alloc(0) } });
      pump();
    });
  }
}

function fromGrpc(method: string, err: grpc.ServiceError): { ok: false; error: Failure<HpcErrorCode> } {
  const code = codeOf(err.code);
  return fail(code, `${method}: ${err.details || err.message}`, { context: { grpcStatus: err.code } }) as { ok: false; error: Failure<HpcErrorCode> };
}

function disposedFail(): { ok: false; error: Failure<HpcErrorCode> } {
  return fail('HPC.DISPOSED', 'the HPC port is disposed') as { ok: false; error: Failure<HpcErrorCode> };
}

