/**
 * The HPC gRPC service (protos/hpc_service.proto, @grpc/grpc-js). Every request is validated
 * with zod after proto decoding; a bad request is INVALID_ARGUMENT with a message naming the
 * field and nothing is queued. Valid jobs go to BullMQ (Redis): their bytes to Redis keys with
 * the configured TTL, the job spec (JSON) to the queue. Status and results are read back from
 * BullMQ and Redis, so the server is stateless and any number of them may front one queue.
 */
import { readFile, realpath } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { Queue, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { z } from 'zod';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import { bullConnection, hpcConfigSchema, keys, parseReason, type HpcConfig, type HpcConfigInput } from './hpc-config.js';
import { validateRequest, type CloudFormat, type JobSpec } from './hpc-job.schema.js';
import { decodeCloud } from './hpc-pipeline.js';
import { loadHpcService } from './hpc-proto.js';
import type { JobResultMeta } from './hpc.worker.js';

export interface HpcServerOptions extends HpcConfigInput {
  /** TCP port; 0 picks a free one. Default 50051. */
  readonly port?: number;
  /** Bind address. Default 127.0.0.1 (use 0.0.0.0 to serve other machines). */
  readonly host?: string;
  /** Largest result GetProcessedResult returns in one message, bytes (default 4 MiB − 64 KiB). */
  readonly maxUnaryResultBytes?: number;
  /** Chunk size of StreamProcessedResult, bytes (default 1 MiB). */
  readonly chunkBytes?: number;
  /** How often WatchJob re-reads a job's status, ms (default 100). */
  readonly watchPollMs?: number;
  /**
   * When set, every RPC needs `authorization: Bearer <token>` metadata that this accepts (the
   * twin's JWT verifier is injected by the CLI); otherwise UNAUTHENTICATED. Unset: no auth.
   */
  readonly authenticate?: (token: string) => Promise<{ readonly ok: boolean; readonly error?: { readonly code: string; readonly message: string } }>;
  readonly logger?: Logger;
}

export interface HpcServer {
  readonly port: number;
  readonly queue: Queue<JobSpec, JobResultMeta>;
  close(): Promise<void>;
}

type State = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
const FORMAT: Record<CloudFormat | 'dsm_png', string> = { pcd: 'PCD', ply: 'PLY', las: 'LAS', dsm_png: 'DSM_PNG' };
const MEDIA: Record<CloudFormat | 'dsm_png', string> = { pcd: 'application/pcd', ply: 'application/ply', las: 'application/vnd.las', dsm_png: 'image/png' };
const jobIdSchema = z.object({ job_id: z.string().uuid('job_id must be a UUID returned by ProcessPointCloud') });

class RpcError extends Error {
  constructor(readonly code: grpc.status, message: string) { super(message); }
}

function metaToProto(m: JobResultMeta | undefined): Record<string, unknown> | null {
  if (!m) return null;
  return { input_points: m.inputPoints, output_points: m.outputPoints, format: FORMAT[m.format], size_bytes: m.sizeBytes, sha256: m.sha256, stages: m.stages, processing_ms: m.processingMs, worker: m.worker, media_type: MEDIA[m.format], world_file: m.worldFile ?? '' };
}

/** Starts the service; resolves once bound. */
export async function startHpcServer(opts: HpcServerOptions): Promise<HpcServer> {
  const cfg: HpcConfig = hpcConfigSchema.parse(opts);
  const log = opts.logger ?? silentLogger;
  const q = cfg.queueName;
  const redis = new Redis(cfg.redisUrl, { maxRetriesPerRequest: 3 });
  const queue = new Queue<JobSpec, JobResultMeta>(q, { connection: bullConnection(cfg.redisUrl) });
  const maxUnary = opts.maxUnaryResultBytes ?? 4 * 1024 * 1024 - 64 * 1024;
  const chunk = opts.chunkBytes ?? 1024 * 1024;
  const watchPollMs = opts.watchPollMs ?? 100;

  async function readBlob(ref: string): Promise<Buffer> {
    if (!cfg.blobDir) throw new RpcError(grpc.status.INVALID_ARGUMENT, 'blob_ref: this server has no blob directory configured (--blob-dir)');
    const root = await realpath(cfg.blobDir);
    let p: string;
    try { p = await realpath(resolve(root, ref)); } catch { throw new RpcError(grpc.status.NOT_FOUND, `blob_ref: ${ref} not found`); }
    if (!p.startsWith(root + sep)) throw new RpcError(grpc.status.INVALID_ARGUMENT, 'blob_ref: outside the blob directory');
    const b = await readFile(p);
    if (b.length > cfg.maxRequestBytes) throw new RpcError(grpc.status.RESOURCE_EXHAUSTED, `blob_ref: ${b.length} bytes exceeds the ${cfg.maxRequestBytes}-byte limit`);
    return b;
  }

  async function findJob(raw: unknown): Promise<Job<JobSpec, JobResultMeta>> {
    const p = jobIdSchema.safeParse(raw);
    if (!p.success) throw new RpcError(grpc.status.INVALID_ARGUMENT, p.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    const job = await queue.getJob(p.data.job_id);
    if (!job) throw new RpcError(grpc.status.NOT_FOUND, `job ${p.data.job_id} not found (unknown or expired)`);
    return job;
  }

  async function status(fetched: Job<JobSpec, JobResultMeta>): Promise<Record<string, unknown>> {
    const s = await fetched.getState();
    // The job may have finished between fetching it and reading its state: re-read its data then.
    const job = (s === 'completed' || s === 'failed') && !fetched.finishedOn ? (await queue.getJob(fetched.id!)) ?? fetched : fetched;
    const cancelled = (await redis.exists(keys.cancel(q, job.id!))) === 1;
    const fr = s === 'failed' ? parseReason(job.failedReason) : null;
    let state: State = s === 'active' ? 'RUNNING' : s === 'completed' ? 'SUCCEEDED' : s === 'failed' ? 'FAILED' : 'QUEUED';
    if ((cancelled && state !== 'SUCCEEDED') || fr?.code === 'HPC.CANCELLED') state = 'CANCELLED';
    return {
      job_id: job.id, state, progress: typeof job.progress === 'number' ? job.progress : 0,
      error_code: state === 'CANCELLED' ? 'HPC.CANCELLED' : fr?.code ?? '', error_message: state === 'CANCELLED' ? 'job cancelled' : fr?.message ?? '',
      attempts: job.attemptsStarted ?? job.attemptsMade, created_at_ms: job.data.createdAtMs, finished_at_ms: job.finishedOn ?? 0,
      result: state === 'SUCCEEDED' ? metaToProto(job.returnvalue) : null,
    };
  }

  async function succeededSize(job: Job<JobSpec, JobResultMeta>): Promise<number> {
    const st = await status(job);
    if (st.state !== 'SUCCEEDED') throw new RpcError(grpc.status.FAILED_PRECONDITION, `job ${job.id} is ${String(st.state)}, not SUCCEEDED`);
    const size = await redis.strlen(keys.result(q, job.id!));
    if (size === 0) throw new RpcError(grpc.status.NOT_FOUND, `result of job ${job.id} expired`);
    return size;
  }

  async function authorize(md: grpc.Metadata | undefined): Promise<void> {
    if (!opts.authenticate) return;
    const h = String(md?.get('authorization')[0] ?? '');
    const m = /^Bearer\s+(\S+)$/i.exec(h);
    if (!m) throw new RpcError(grpc.status.UNAUTHENTICATED, 'missing "authorization: Bearer <token>" metadata');
    const r = await opts.authenticate(m[1]!);
    if (!r.ok) throw new RpcError(grpc.status.UNAUTHENTICATED, `${r.error?.code ?? 'AUTH.INVALID'}: ${r.error?.message ?? 'token refused'}`);
  }

  function unary<Req, Res>(name: string, fn: (req: Req) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
    return (call, cb) => {
      authorize(call.metadata).then(() => fn(call.request)).then((r) => cb(null, r), (e: unknown) => {
        if (e instanceof RpcError) { log.debug({ rpc: name, code: e.code, msg: e.message }, 'hpc rpc refused'); cb({ code: e.code, details: e.message }); return; }
        log.error({ rpc: name, err: e }, 'hpc rpc failed');
        cb({ code: grpc.status.UNAVAILABLE, details: `internal error: ${(e as Error).message}` });
      });
    };
  }

  async function submit(req: unknown): Promise<Record<string, unknown>> {
    const v = validateRequest(req);
    if (!v.ok) throw new RpcError(grpc.status.INVALID_ARGUMENT, v.message);
    const r = v.value;
    const data = r.data ?? (await readBlob(r.blobRef!));
    const total = data.length + r.additional.reduce((a, b) => a + b.length, 0);
    if (total > cfg.maxRequestBytes) throw new RpcError(grpc.status.RESOURCE_EXHAUSTED, `request clouds total ${total} bytes, limit ${cfg.maxRequestBytes}`);
    for (const [i, b] of [data, ...r.additional].entries()) {
      const d = decodeCloud(b, r.format);
      if (!d.ok) throw new RpcError(grpc.status.INVALID_ARGUMENT, `${i === 0 ? 'point_cloud_data' : `additional_clouds.${i - 1}`}: ${d.error.message}`);
    }
    const id = randomUUID();
    const inputKey = keys.input(q, id);
    const additionalKeys = r.additional.map((_, i) => keys.additional(q, id, i));
    const m = redis.multi().set(inputKey, Buffer.from(data), 'EX', cfg.ttlSeconds);
    r.additional.forEach((b, i) => m.set(additionalKeys[i]!, Buffer.from(b), 'EX', cfg.ttlSeconds));
    await m.exec();
    const spec: JobSpec = { format: r.format, outputFormat: r.outputFormat, stages: r.stages, inputKey, additionalKeys, clientRequestId: r.clientRequestId, createdAtMs: Date.now() };
    await queue.add('process', spec, {
      jobId: id, attempts: cfg.attempts, backoff: { type: 'fixed', delay: 500 },
      removeOnComplete: { age: cfg.ttlSeconds }, removeOnFail: { age: cfg.ttlSeconds },
    });
    log.info({ jobId: id, stages: r.stages.length, bytes: total }, 'hpc job queued');
    return { job_id: id, state: 'QUEUED', message: `queued ${r.stages.length} stage(s)` };
  }

  const handlers: grpc.UntypedServiceImplementation = {
    ProcessPointCloud: unary('ProcessPointCloud', submit),
    UploadPointCloud: (call: grpc.ServerReadableStream<Record<string, unknown>, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      let head: Record<string, unknown> | null = null;
      const parts: Buffer[] = [];
      let size = 0, failed = false;
      const refuse = (code: grpc.status, details: string) => { if (failed) return; failed = true; cb({ code, details }); call.destroy(); };
      // Refuse an unauthenticated upload before buffering it.
      const authed = authorize(call.metadata).then(() => true, (e: RpcError) => { refuse(e.code, e.message); return false; });
      call.on('data', (m: Record<string, unknown>) => {
        if (failed) return;
        if (m.part === 'request' && head === null && m.request) {
          head = m.request as Record<string, unknown>;
          const first = head.point_cloud_data;
          if (first instanceof Uint8Array && first.length) { parts.push(Buffer.from(first)); size += first.length; }
        } else if (m.part === 'chunk' && head !== null && m.chunk instanceof Uint8Array) {
          parts.push(Buffer.from(m.chunk)); size += m.chunk.length;
        } else {
          refuse(grpc.status.INVALID_ARGUMENT, head === null ? 'the first UploadPointCloud message must carry `request`' : '`request` may only be sent once, first');
          return;
        }
        if (size > cfg.maxRequestBytes) refuse(grpc.status.RESOURCE_EXHAUSTED, `upload exceeds the ${cfg.maxRequestBytes}-byte limit`);
      });
      call.on('error', () => { failed = true; });
      call.on('end', async () => {
        if (!(await authed) || failed) return;
        if (head === null) { refuse(grpc.status.INVALID_ARGUMENT, 'empty upload: no request message'); return; }
        unary('UploadPointCloud', submit)({ request: { ...head, point_cloud_data: Buffer.concat(parts, size) }, metadata: call.metadata } as grpc.ServerUnaryCall<unknown, unknown>, cb);
      });
    },
    GetJobStatus: unary('GetJobStatus', async (req: unknown) => status(await findJob(req))),
    GetProcessedResult: unary('GetProcessedResult', async (req: unknown) => {
      const job = await findJob(req);
      const size = await succeededSize(job);
      if (size > maxUnary) throw new RpcError(grpc.status.RESOURCE_EXHAUSTED, `result is ${size} bytes (> ${maxUnary}): use StreamProcessedResult`);
      const data = await redis.getBuffer(keys.result(q, job.id!));
      if (!data) throw new RpcError(grpc.status.NOT_FOUND, `result of job ${job.id} expired`);
      return { job_id: job.id, data, metadata: metaToProto(job.returnvalue) };
    }),
    StreamProcessedResult: (call: grpc.ServerWritableStream<unknown, unknown>) => {
      (async () => {
        await authorize(call.metadata);
        const job = await findJob(call.request);
        const size = await succeededSize(job);
        const key = keys.result(q, job.id!);
        for (let off = 0; off < size && !call.cancelled; off += chunk) {
          const data = await redis.getrangeBuffer(key, off, Math.min(size, off + chunk) - 1);
          const last = off + chunk >= size;
          const more = call.write({ job_id: job.id, offset: off, data, last, metadata: off === 0 ? metaToProto(job.returnvalue) : null });
          if (!more) await new Promise((r) => call.once('drain', r));
        }
        call.end();
      })().catch((e: unknown) => {
        const code = e instanceof RpcError ? e.code : grpc.status.UNAVAILABLE;
        if (!(e instanceof RpcError)) log.error({ err: e }, 'hpc stream failed');
        call.destroy(Object.assign(new Error((e as Error).message), { code, details: (e as Error).message }));
      });
    },
    WatchJob: (call: grpc.ServerWritableStream<unknown, unknown>) => {
      (async () => {
        await authorize(call.metadata);
        const job = await findJob(call.request);
        let last = '';
        while (!call.cancelled) {
          const fresh = (await queue.getJob(job.id!)) ?? job;
          const st = await status(fresh);
          const key = `${String(st.state)}:${String(st.progress)}:${String(st.attempts)}`;
          if (key !== last) { last = key; call.write(st); }
          if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(String(st.state))) break;
          await new Promise((r) => setTimeout(r, watchPollMs));
        }
        call.end();
      })().catch((e: unknown) => {
        const code = e instanceof RpcError ? e.code : grpc.status.UNAVAILABLE;
        call.destroy(Object.assign(new Error((e as Error).message), { code, details: (e as Error).message }));
      });
    },
    CancelJob: unary('CancelJob', async (req: unknown) => {
      const job = await findJob(req);
      const st = await status(job);
      if (st.state === 'SUCCEEDED' || st.state === 'FAILED') throw new RpcError(grpc.status.FAILED_PRECONDITION, `job ${job.id} already ${String(st.state)}`);
      await redis.set(keys.cancel(q, job.id!), '1', 'EX', cfg.ttlSeconds);
      log.info({ jobId: job.id }, 'hpc job cancel requested');
      return status(job);
    }),
  };

  const server = new grpc.Server({ 'grpc.max_receive_message_length': Math.min(2 ** 31 - 1, cfg.maxRequestBytes + 1024 * 1024) });
  server.addService(loadHpcService().service, handlers);
  const port = await new Promise<number>((res, rej) =>
    server.bindAsync(`${opts.host ?? '127.0.0.1'}:${opts.port ?? 50051}`, grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
  log.info({ port, queue: q }, 'hpc server listening');
  return {
    port, queue,
    close: async () => {
      await new Promise<void>((r) => server.tryShutdown(() => r()));
      await queue.close();
      redis.disconnect();
    },
  };
}
