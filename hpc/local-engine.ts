/**
 * The local engine: the embedded default when no Redis is configured. Jobs run on a pool of
 * node:worker_threads (local-engine.thread.ts runs hpc-pipeline.ts), in this process; inputs and
 * results are held in memory (or files in `storeDir`) under a byte budget (a submit that does not fit is refused with
 * HPC.BUDGET_EXHAUSTED → RESOURCE_EXHAUSTED) and evicted a TTL after the job finished.
 *
 * Same semantics as the BullMQ engine: FIFO queue, progress from the worker, `attempts` counts
 * attempts started, pipeline failures fail at once, a crashed thread (uncaught exception,
 * process.exit, out of memory) is replaced and its job retried until `attempts` is used up
 * (then FAILED with HPC.WORKER_CRASHED); the other threads and their jobs are not disturbed.
 *
 * @remarks Threads load compiled JavaScript: from dist/ the script next to this module; from
 * sources (a vitest run) the built copy under dist/ — run `npx tsc -p tsconfig.build.json` first.
 */
import { existsSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import { createLocalBlobStore, type StoredBlob } from './local-store.js';
import { EngineError, FINAL_STATES, type EngineJobStatus, type JobEngine, type JobResultMeta, type JobState, type JobSubmission } from './job-engine.js';
import type { RunMessage, ThreadData, ThreadMessage } from './local-engine.thread.js';

export interface LocalEngineOptions {
  /** Worker threads. Default max(1, cores − 1). */
  readonly poolSize?: number;
  /** Byte budget for inputs of queued/running jobs plus stored results. Default 1 GiB. */
  readonly maxStoredBytes?: number;
  /** How long a finished job (and its result) is kept, and how long a job may wait queued, ms. Default 24 h. */
  readonly ttlMs?: number;
  /** Attempts per job (a crashed thread counts one). Default 3. */
  readonly attempts?: number;
  /**
   * Keep inputs and results as files in a private subdirectory of this directory (removed on
   * close) instead of in memory; the budget then bounds the bytes on disk. Default: memory.
   */
  readonly storeDir?: string;
  /** Test only: honour `hpc-fault:exit|throw[@N]` client_request_ids (see local-engine.thread.ts). */
  readonly faultInjection?: boolean;
  /** The compiled thread script (default: found next to this module or under dist/). */
  readonly threadScript?: URL;
  readonly logger?: Logger;
}

export interface LocalEngine extends JobEngine {
  readonly kind: 'local';
  readonly poolSize: number;
  /** Bytes held now (inputs of unfinished jobs + results) and the budget. */
  storedBytes(): { used: number; budget: number };
  /** The private directory inputs and results are kept in, or null (memory). */
  readonly storeDir: string | null;
  /** Threads alive, ready (set up and taking jobs) and busy; jobs queued. */
  threads(): { alive: number; ready: number; busy: number; queued: number };
}

/** The compiled thread script, wherever this module runs from. */
export function defaultThreadScript(): URL {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return new URL('./local-engine.thread.js', import.meta.url);
  const built = here.replace(/\/hpc\/local-engine\.ts$/, '/dist/hpc/local-engine.thread.js');
  if (!existsSync(built)) throw new Error(`the local HPC engine's threads need the compiled build (${built}): run \`npx tsc -p tsconfig.build.json\``);
  return pathToFileURL(built);
}

interface Rec {
  readonly id: string;
  readonly job: Omit<JobSubmission, 'data' | 'additional'>;
  inputs: StoredBlob[] | null;
  inputBytes: number;
  state: JobState;
  progress: number;
  attempts: number;
  errorCode: string;
  errorMessage: string;
  readonly createdAtMs: number;
  finishedAtMs: number;
  result: JobResultMeta | null;
  resultBlob: StoredBlob | null;
  cancelRequested: boolean;
}

interface Slot {
  readonly n: number;
  readonly worker: Worker;
  readonly flag: Int32Array;
  rec: Rec | null;
  crash: string;
  /** Set when the thread reported it is set up; jobs go to ready threads only. */
  ready: boolean;
}

/** Starts the pool; the engine is usable at once (jobs wait until a thread is up). */
export function createLocalEngine(opts: LocalEngineOptions = {}): LocalEngine {
  const log = opts.logger ?? silentLogger;
  const poolSize = opts.poolSize ?? Math.max(1, availableParallelism() - 1);
  if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 256) throw new RangeError(`poolSize must be an integer in 1..256, got ${poolSize}`);
  const budget = opts.maxStoredBytes ?? 1024 ** 3;
  if (!(budget >= 1024)) throw new RangeError(`maxStoredBytes must be ≥ 1024, got ${budget}`);
  const ttlMs = opts.ttlMs ?? 86_400_000;
  const attempts = opts.attempts ?? 3;
  const script = opts.threadScript ?? defaultThreadScript();
  const faultInjection = opts.faultInjection ?? false;
  const store = createLocalBlobStore(opts.storeDir);

  const jobs = new Map<string, Rec>();
  const queue: Rec[] = [];
  const slots: Slot[] = [];
  let used = 0;
  let closed = false;
  let nextSlot = 0;
  /** Threads in a row that died before becoming ready (a broken build, missing module…). */
  let startFailures = 0;
  const respawnTimers = new Set<NodeJS.Timeout>();

  const releaseInputs = (r: Rec) => { if (r.inputs) { used -= r.inputBytes; r.inputs.forEach(store.release); r.inputs = null; } };
  const finish = (r: Rec, state: JobState, code = '', message = '') => {
    releaseInputs(r);
    r.state = state; r.errorCode = code; r.errorMessage = message; r.finishedAtMs = Date.now();
  };

  /** Drops finished jobs past their TTL; fails queued jobs that waited longer than the TTL. */
  function sweep(now = Date.now()): void {
    for (const r of jobs.values()) {
      if (FINAL_STATES.includes(r.state) && r.finishedAtMs > 0 && now - r.finishedAtMs > ttlMs) {
        if (r.resultBlob) { used -= r.resultBlob.size; store.release(r.resultBlob); r.resultBlob = null; }
        jobs.delete(r.id);
      } else if (r.state === 'QUEUED' && now - r.createdAtMs > ttlMs) {
        queue.splice(queue.indexOf(r), 1);
        finish(r, 'FAILED', 'HPC.INPUT_EXPIRED', `waited more than ${ttlMs} ms in the queue`);
      }
    }
  }
  const sweeper = setInterval(sweep, Math.max(50, Math.min(60_000, ttlMs / 4)));
  sweeper.unref();

  function pump(): void {
    for (const s of slots) {
      if (closed || queue.length === 0) return;
      if (s.rec || !s.ready) continue;
      const r = queue.shift()!;
      s.rec = r;
      Atomics.store(s.flag, 0, 0);
      r.state = 'RUNNING'; r.attempts += 1; r.progress = 0;
      const [data, ...additional] = r.inputs!.map((b) => ('bytes' in b ? b.bytes : b.path));
      const msg: RunMessage = {
        type: 'run', jobId: r.id, attempt: r.attempts, clientRequestId: r.job.clientRequestId, data: data!, additional,
        format: r.job.format, outputFormat: r.job.outputFormat, stages: r.job.stages, resultPath: store.pathFor(`${r.id}.out`),
      };
      s.worker.postMessage(msg);
      log.info({ jobId: r.id, attempt: r.attempts, thread: s.n }, 'hpc job start');
    }
  }

  function onDone(s: Slot, m: Extract<ThreadMessage, { type: 'done' }>): void {
    const r = s.rec;
    s.rec = null;
    if (!r || r.id !== m.jobId) { pump(); return; }
    if (!m.ok) {
      finish(r, m.code === 'HPC.CANCELLED' || r.cancelRequested ? 'CANCELLED' : 'FAILED', m.code === 'HPC.CANCELLED' ? 'HPC.CANCELLED' : m.code, m.message);
      log.warn({ jobId: r.id, code: m.code }, 'hpc job failed');
    } else {
      releaseInputs(r);
      const blob: StoredBlob = m.bytes ? { size: m.bytes.byteLength, bytes: Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength) } : { size: m.meta.sizeBytes, path: m.path };
      if (used + blob.size > budget) {
        store.release(blob);
        finish(r, 'FAILED', 'HPC.BUDGET_EXHAUSTED', `result of ${blob.size} bytes does not fit the ${budget}-byte store (${used} in use)`);
      } else {
        used += blob.size;
        r.resultBlob = blob;
        r.result = { ...m.meta, worker: `${hostname()}:${process.pid}/thread-${s.n}` };
        r.progress = 1;
        finish(r, 'SUCCEEDED');
        log.info({ jobId: r.id, outputPoints: m.meta.outputPoints, ms: m.meta.processingMs }, 'hpc job done');
      }
    }
    pump();
  }

  function onExit(s: Slot, code: number): void {
    slots.splice(slots.indexOf(s), 1);
    const r = s.rec;
    s.rec = null;
    if (closed) return;
    if (!s.ready) {
      // Died while starting: respawn with a growing delay; after 3 in a row fail the queued jobs.
      startFailures += 1;
      log.error({ thread: s.n, code, err: s.crash, startFailures }, 'hpc worker thread failed to start');
      if (startFailures >= 3) {
        for (const q of queue.splice(0)) finish(q, 'FAILED', 'HPC.WORKER_CRASHED', `worker threads fail to start (${s.crash || `exit code ${code}`})`);
      }
      const t = setTimeout(() => { respawnTimers.delete(t); if (!closed) { spawn(); } }, Math.min(30_000, 200 * 2 ** (startFailures - 1)));
      t.unref();
      respawnTimers.add(t);
      return;
    }
    log.error({ thread: s.n, code, err: s.crash, jobId: r?.id }, 'hpc worker thread died; replacing it');
    if (r) {
      const why = `worker thread died (${s.crash || `exit code ${code}`}) in attempt ${r.attempts}`;
      if (r.cancelRequested) finish(r, 'CANCELLED', 'HPC.CANCELLED', 'job cancelled');
      else if (r.attempts >= attempts) finish(r, 'FAILED', 'HPC.WORKER_CRASHED', why);
      else { r.state = 'QUEUED'; r.errorMessage = why; queue.unshift(r); }
    }
    spawn();
    pump();
  }

  function spawn(): void {
    const cancel = new SharedArrayBuffer(4);
    const worker = new Worker(script, { execArgv: [], workerData: { cancel, faultInjection } satisfies ThreadData });
    const s: Slot = { n: nextSlot++, worker, flag: new Int32Array(cancel), rec: null, crash: '', ready: false };
    worker.on('message', (m: ThreadMessage) => {
      if (m.type === 'ready') { s.ready = true; startFailures = 0; pump(); return; }
      if (m.type === 'progress') { if (s.rec?.id === m.jobId) s.rec.progress = m.progress; return; }
      onDone(s, m);
    });
    worker.on('error', (e) => { s.crash = e.message; });
    worker.on('exit', (code) => onExit(s, code));
    slots.push(s);
  }
  for (let i = 0; i < poolSize; i++) spawn();

  const statusOf = (r: Rec): EngineJobStatus => {
    const cancelled = r.state === 'CANCELLED' || (r.cancelRequested && r.state !== 'SUCCEEDED' && r.state !== 'FAILED');
    return {
      jobId: r.id, state: cancelled ? 'CANCELLED' : r.state, progress: r.progress,
      errorCode: cancelled ? 'HPC.CANCELLED' : r.state === 'FAILED' ? r.errorCode : '',
      errorMessage: cancelled ? 'job cancelled' : r.state === 'FAILED' ? r.errorMessage : '',
      attempts: r.attempts, createdAtMs: r.createdAtMs, finishedAtMs: r.finishedAtMs, result: r.state === 'SUCCEEDED' ? r.result : null,
    };
  };
  const find = (jobId: string): Rec => {
    if (closed) throw new EngineError('HPC.CLOSED', 'the HPC engine is shut down');
    const r = jobs.get(jobId);
    if (!r) throw new EngineError('HPC.NOT_FOUND', `job ${jobId} not found (unknown or expired)`);
    return r;
  };
  const succeeded = (jobId: string): StoredBlob => {
    const r = find(jobId);
    const st = statusOf(r);
    if (st.state !== 'SUCCEEDED') throw new EngineError('HPC.NOT_SUCCEEDED', `job ${jobId} is ${st.state}, not SUCCEEDED`);
    if (!r.resultBlob) throw new EngineError('HPC.NOT_FOUND', `result of job ${jobId} expired`);
    return r.resultBlob;
  };

  return {
    kind: 'local', poolSize, storeDir: store.dir,
    storedBytes: () => ({ used, budget }),
    threads: () => ({ alive: slots.length, ready: slots.filter((s) => s.ready).length, busy: slots.filter((s) => s.rec).length, queued: queue.length }),
    async submit(j) {
      if (closed) throw new EngineError('HPC.CLOSED', 'the HPC engine is shut down');
      sweep();
      const size = [j.data, ...j.additional].reduce((a, b) => a + b.length, 0);
      if (used + size > budget) {
        throw new EngineError('HPC.BUDGET_EXHAUSTED', `the job store is full: ${size} bytes do not fit (${used} of ${budget} bytes in use; results are kept ${ttlMs} ms)`);
      }
      used += size; // reserved before the (directory mode) writes, so concurrent submits see it
      const id = randomUUID();
      let inputs: StoredBlob[];
      try {
        inputs = await Promise.all([j.data, ...j.additional].map((b, i) => store.put(`${id}.in.${i}`, b)));
      } catch (e) {
        used -= size;
        throw e;
      }
      if (closed) { inputs.forEach(store.release); throw new EngineError('HPC.CLOSED', 'the HPC engine is shut down'); }
      const r: Rec = {
        id, job: { format: j.format, outputFormat: j.outputFormat, stages: j.stages, clientRequestId: j.clientRequestId },
        inputs, inputBytes: size, state: 'QUEUED', progress: 0, attempts: 0, errorCode: '', errorMessage: '',
        createdAtMs: Date.now(), finishedAtMs: 0, result: null, resultBlob: null, cancelRequested: false,
      };
      jobs.set(r.id, r);
      queue.push(r);
      pump();
      return r.id;
    },
    async status(jobId) {
      if (closed) throw new EngineError('HPC.CLOSED', 'the HPC engine is shut down');
      const r = jobs.get(jobId);
      return r ? statusOf(r) : null;
    },
    async resultSize(jobId) { return succeeded(jobId).size; },
    async readResult(jobId, start, end) { return store.read(succeeded(jobId), start, end); },
    async cancel(jobId) {
      const r = find(jobId);
      if (r.state === 'SUCCEEDED' || r.state === 'FAILED') throw new EngineError('HPC.ALREADY_FINAL', `job ${jobId} already ${r.state}`);
      if (r.state === 'QUEUED') {
        queue.splice(queue.indexOf(r), 1);
        finish(r, 'CANCELLED', 'HPC.CANCELLED', 'job cancelled');
      } else if (r.state === 'RUNNING') {
        r.cancelRequested = true;
        const s = slots.find((x) => x.rec === r);
        if (s) Atomics.store(s.flag, 0, 1);
      }
      log.info({ jobId }, 'hpc job cancel requested');
      return statusOf(r);
    },
    async jobCount() { return jobs.size; },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(sweeper);
      for (const t of respawnTimers) clearTimeout(t);
      await Promise.all(slots.map((s) => s.worker.terminate()));
      await store.close();
      jobs.clear();
      queue.length = 0;
      used = 0;
    },
  };
}
