/**
 * The HPC gRPC service (protos/hpc_service.proto, @grpc/grpc-js). Every request is validated
 * with zod after proto decoding; a bad request is INVALID_ARGUMENT with a message naming the
 * field and nothing is queued. Valid jobs go to a {@link JobEngine}: BullMQ on Redis when
 * `redisUrl` is set (redis-engine.ts: stateless, any number of servers and worker processes),
 * else the in-process worker_threads pool (local-engine.ts), or the engine passed in.
 */
import { readFile, realpath } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { z } from 'zod';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import { hpcConfigSchema, type HpcConfig, type HpcConfigInput } from './hpc-config.js';
import { validateRequest, type CloudFormat } from './hpc-job.schema.js';
import { decodeCloud } from './hpc-pipeline.js';
import { loadHpcService } from './hpc-proto.js';
import { EngineError, FINAL_STATES, type EngineErrorCode, type EngineJobStatus, type JobEngine, type JobResultMeta } from './job-engine.js';
import { createLocalEngine, type LocalEngineOptions } from './local-engine.js';
import { createRedisEngine } from './redis-engine.js';

/** What an authenticator says about a bearer token (the twin's `Authenticator.verify` fits). */
export interface HpcAuthResult {
  readonly ok: boolean;
  /** The principal; `role` (`viewer` | `operator` | `admin`) decides what it may do. */
  readonly value?: { readonly sub?: string; readonly role?: string };
  readonly error?: { readonly code: string; readonly message: string };
}

/** Roles allowed to submit and cancel jobs; any authenticated role may read status and results. */
export const HPC_WRITE_ROLES: readonly string[] = ['operator', 'admin'];

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
   * The engine to run jobs on (the caller keeps ownership: close() does not close it). Unset:
   * BullMQ when `redisUrl` is set, else a local worker_threads engine made with `local`.
   */
  readonly engine?: JobEngine;
  /** Options of the local engine made when neither `engine` nor `redisUrl` is given. */
  readonly local?: Omit<LocalEngineOptions, 'logger'>;
  /**
   * When set, every RPC needs `authorization: Bearer <token>` metadata that this accepts (the
   * twin's JWT verifier is injected by the CLI); otherwise UNAUTHENTICATED. Submitting and
   * cancelling also need `value.role` in {@link HPC_WRITE_ROLES}, else PERMISSION_DENIED.
   * Unset: no auth.
   */
  readonly authenticate?: (token: string) => Promise<HpcAuthResult>;
  readonly logger?: Logger;
}

export interface HpcServer {
  readonly port: number;
  /** The engine serving the jobs (`engine.kind`: `redis` | `local`). */
  readonly engine: JobEngine;
  close(): Promise<void>;
}

const FORMAT: Record<CloudFormat | 'dsm_png', string> = { pcd: 'PCD', ply: 'PLY', las: 'LAS', dsm_png: 'DSM_PNG' };
const MEDIA: Record<CloudFormat | 'dsm_png', string> = { pcd: 'application/pcd', ply: 'application/ply', las: 'application/vnd.las', dsm_png: 'image/png' };
const jobIdSchema = z.object({ job_id: z.string().uuid('job_id must be a UUID returned by ProcessPointCloud') });
const ENGINE_CODE: Record<EngineErrorCode, grpc.status> = {
  'HPC.BUDGET_EXHAUSTED': grpc.status.RESOURCE_EXHAUSTED, 'HPC.NOT_FOUND': grpc.status.NOT_FOUND,
  'HPC.NOT_SUCCEEDED': grpc.status.FAILED_PRECONDITION, 'HPC.ALREADY_FINAL': grpc.status.FAILED_PRECONDITION, 'HPC.CLOSED': grpc.status.UNAVAILABLE,
};

class RpcError extends Error {
  constructor(readonly code: grpc.status, message: string) { super(message); }
}
const asRpc = (e: unknown): unknown => (e instanceof EngineError ? new RpcError(ENGINE_CODE[e.code], e.message) : e);

function metaToProto(m: JobResultMeta | null | undefined): Record<string, unknown> | null {
  if (!m) return null;
  return { input_points: m.inputPoints, output_points: m.outputPoints, format: FORMAT[m.format], size_bytes: m.sizeBytes, sha256: m.sha256, stages: m.stages, processing_ms: m.processingMs, worker: m.worker, media_type: MEDIA[m.format], world_file: m.worldFile ?? '' };
}

function statusToProto(s: EngineJobStatus): Record<string, unknown> {
  return {
    job_id: s.jobId, state: s.state, progress: s.progress, error_code: s.errorCode, error_message: s.errorMessage,
    attempts: s.attempts, created_at_ms: s.createdAtMs, finished_at_ms: s.finishedAtMs, result: metaToProto(s.result),
  };
}

/** Starts the service; resolves once bound. */
export async function startHpcServer(opts: HpcServerOptions = {}): Promise<HpcServer> {
  const cfg: HpcConfig = hpcConfigSchema.parse(opts);
  const log = opts.logger ?? silentLogger;
  const engine: JobEngine = opts.engine
    ?? (cfg.redisUrl ? createRedisEngine(cfg, log) : createLocalEngine({ attempts: cfg.attempts, ttlMs: cfg.ttlSeconds * 1000, ...opts.local, logger: log }));
  const ownsEngine = !opts.engine;
  const maxUnary = opts.maxUnaryResultBytes ?? 4 * 1024 * 1024 - 64 * 1024;
  const chunk = opts.chunkBytes ?? 1024 * 1024;
  const watchPollMs = opts.watchPollMs ?? 100;
  /** How long close() waits for calls in flight before cutting them, ms. */
  const closeGraceMs = 2_000;

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

  function jobId(raw: unknown): string {
    const p = jobIdSchema.safeParse(raw);
    if (!p.success) throw new RpcError(grpc.status.INVALID_ARGUMENT, p.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    return p.data.job_id;
  }

  async function status(id: string): Promise<EngineJobStatus> {
    const st = await engine.status(id);
    if (!st) throw new RpcError(grpc.status.NOT_FOUND, `job ${id} not found (unknown or expired)`);
    return st;
  }

  /** Checks the bearer token; `write`: also the role (submit / cancel). */
  async function authorize(md: grpc.Metadata | undefined, write = false): Promise<void> {
    if (!opts.authenticate) return;
    const h = String(md?.get('authorization')[0] ?? '');
    const m = /^Bearer\s+(\S+)$/i.exec(h);
    if (!m) throw new RpcError(grpc.status.UNAUTHENTICATED, 'missing "authorization: Bearer <token>" metadata');
    const r = await opts.authenticate(m[1]!);
    if (!r.ok) throw new RpcError(grpc.status.UNAUTHENTICATED, `${r.error?.code ?? 'AUTH.INVALID'}: ${r.error?.message ?? 'token refused'}`);
    const role = r.value?.role;
    if (write && !(role !== undefined && HPC_WRITE_ROLES.includes(role))) {
      throw new RpcError(grpc.status.PERMISSION_DENIED, `AUTH.FORBIDDEN: role "${role ?? 'none'}" may not submit or cancel jobs (needs ${HPC_WRITE_ROLES.join(' or ')})`);
    }
  }

  const streamFailed = (call: grpc.ServerWritableStream<unknown, unknown>) => (raw: unknown) => {
    const e = asRpc(raw);
    const code = e instanceof RpcError ? e.code : grpc.status.UNAVAILABLE;
    if (!(e instanceof RpcError)) log.error({ err: e }, 'hpc stream failed');
    // grpc-js sends a stream's status from its own 'error' listener (status, then end); destroy()
    // would tear the stream down without ever sending one, leaving the client to its deadline.
    if (!call.cancelled) call.emit('error', Object.assign(new Error((e as Error).message), { code, details: (e as Error).message }));
  };

  function unary<Req, Res>(name: string, fn: (req: Req) => Promise<Res>, write = false): grpc.handleUnaryCall<Req, Res> {
    return (call, cb) => {
      authorize(call.metadata, write).then(() => fn(call.request)).then((r) => cb(null, r), (raw: unknown) => {
        const e = asRpc(raw);
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
      const d = await decodeCloud(b, r.format);
      if (!d.ok) throw new RpcError(grpc.status.INVALID_ARGUMENT, `${i === 0 ? 'point_cloud_data' : `additional_clouds.${i - 1}`}: ${d.error.message}`);
    }
    const id = await engine.submit({ format: r.format, outputFormat: r.outputFormat, stages: r.stages, data, additional: r.additional, clientRequestId: r.clientRequestId });
    log.info({ jobId: id, stages: r.stages.length, bytes: total, engine: engine.kind }, 'hpc job queued');
    return { job_id: id, state: 'QUEUED', message: `queued ${r.stages.length} stage(s)` };
  }

  const handlers: grpc.UntypedServiceImplementation = {
    ProcessPointCloud: unary('ProcessPointCloud', submit, true),
    UploadPointCloud: (call: grpc.ServerReadableStream<Record<string, unknown>, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      let head: Record<string, unknown> | null = null;
      const parts: Buffer[] = [];
      let size = 0, failed = false;
      const refuse = (code: grpc.status, details: string) => { if (failed) return; failed = true; cb({ code, details }); call.destroy(); };
      // Refuse an unauthenticated (or read-only) upload before buffering it.
      const authed = authorize(call.metadata, true).then(() => true, (e: RpcError) => { refuse(e.code, e.message); return false; });
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
        unary('UploadPointCloud', submit, true)({ request: { ...head, point_cloud_data: Buffer.concat(parts, size) }, metadata: call.metadata } as grpc.ServerUnaryCall<unknown, unknown>, cb);
      });
    },
    GetJobStatus: unary('GetJobStatus', async (req: unknown) => statusToProto(await status(jobId(req)))),
    GetProcessedResult: unary('GetProcessedResult', async (req: unknown) => {
      const id = jobId(req);
      const st = await status(id);
      const size = await engine.resultSize(id);
      if (size > maxUnary) throw new RpcError(grpc.status.RESOURCE_EXHAUSTED, `result is ${size} bytes (> ${maxUnary}): use StreamProcessedResult`);
      const data = await engine.readResult(id, 0, size);
      return { job_id: id, data, metadata: metaToProto(st.result) };
    }),
    StreamProcessedResult: (call: grpc.ServerWritableStream<unknown, unknown>) => {
      (async () => {
        await authorize(call.metadata);
        const id = jobId(call.request);
        const st = await status(id);
        const size = await engine.resultSize(id);
        for (let off = 0; off < size && !call.cancelled; off += chunk) {
          const data = await engine.readResult(id, off, Math.min(size, off + chunk));
          const last = off + chunk >= size;
          const more = call.write({ job_id: id, offset: off, data, last, metadata: off === 0 ? metaToProto(st.result) : null });
          if (!more) await new Promise((r) => call.once('drain', r));
        }
        call.end();
      })().catch(streamFailed(call));
    },
    WatchJob: (call: grpc.ServerWritableStream<unknown, unknown>) => {
      (async () => {
        await authorize(call.metadata);
        const id = jobId(call.request);
        let last = '';
        while (!call.cancelled) {
          const st = await status(id);
          const key = `${st.state}:${st.progress}:${st.attempts}:${st.finishedAtMs}`;
          if (key !== last) { last = key; call.write(statusToProto(st)); }
          if (FINAL_STATES.includes(st.state)) break;
          await new Promise((r) => setTimeout(r, watchPollMs));
        }
        call.end();
      })().catch(streamFailed(call));
    },
    CancelJob: unary('CancelJob', async (req: unknown) => statusToProto(await engine.cancel(jobId(req))), true),
  };

  const server = new grpc.Server({ 'grpc.max_receive_message_length': Math.min(2 ** 31 - 1, cfg.maxRequestBytes + 1024 * 1024) });
  server.addService(loadHpcService().service, handlers);
  let port: number;
  try {
    port = await new Promise<number>((res, rej) =>
      server.bindAsync(`${opts.host ?? '127.0.0.1'}:${opts.port ?? 50051}`, grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
  } catch (e) {
    if (ownsEngine) await engine.close();
    throw e;
  }
  log.info({ port, engine: engine.kind, ...(engine.kind === 'redis' ? { queue: cfg.queueName } : {}) }, 'hpc server listening');
  return {
    port, engine,
    close: async () => {
      // Graceful first; a stream a client abandoned mid-open can keep tryShutdown waiting forever.
      await new Promise<void>((r) => {
        const force = setTimeout(() => { server.forceShutdown(); r(); }, closeGraceMs);
        server.tryShutdown(() => { clearTimeout(force); r(); });
      });
      if (ownsEngine) await engine.close();
    },
  };
}
