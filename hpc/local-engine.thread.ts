/**
 * Worker-thread entry of the local engine's pool (local-engine.ts): receives one `run` at a time,
 * runs hpc-pipeline.ts on it and answers `progress` messages and one `done`. Cancellation is a
 * flag in a SharedArrayBuffer the main thread sets; it is read at every stage boundary.
 *
 * Fault injection (tests only, when the engine was created with `faultInjection: true`): a job
 * whose client_request_id is `hpc-fault:exit[@N]` or `hpc-fault:throw[@N]` ends this thread
 * (`process.exit(3)` / an uncaught exception) after decoding, in attempts ≤ N (default: every
 * attempt), as a crash in native or pipeline code would.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parentPort, threadId, workerData } from 'node:worker_threads';
import type { CloudFormat, Stage } from './hpc-job.schema.js';
import { runPipeline, type PipelineMeta } from './hpc-pipeline.js';

/** main → thread */
export interface RunMessage {
  readonly type: 'run';
  readonly jobId: string;
  readonly attempt: number;
  readonly clientRequestId: string;
  /** The bytes, or the path of the file holding them (the engine's directory mode). */
  readonly data: Uint8Array | string;
  readonly additional: readonly (Uint8Array | string)[];
  readonly format: CloudFormat;
  readonly outputFormat: CloudFormat;
  readonly stages: readonly Stage[];
  /** Write the result here and send no bytes back (directory mode); null: transfer the bytes. */
  readonly resultPath: string | null;
}

/** thread → main */
export type ThreadMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'progress'; readonly jobId: string; readonly progress: number }
  | { readonly type: 'done'; readonly jobId: string; readonly ok: true; readonly bytes: Uint8Array; readonly meta: PipelineMeta }
  | { readonly type: 'done'; readonly jobId: string; readonly ok: true; readonly bytes: null; readonly path: string; readonly meta: PipelineMeta }
  | { readonly type: 'done'; readonly jobId: string; readonly ok: false; readonly code: string; readonly message: string };

export interface ThreadData {
  /** Int32Array(1) over it: 1 = cancel the current job. */
  readonly cancel: SharedArrayBuffer;
  readonly faultInjection: boolean;
}

if (!parentPort) throw new Error('local-engine.thread must run in a worker thread');
const port = parentPort;
const { cancel, faultInjection } = workerData as ThreadData;
const flag = new Int32Array(cancel);
const FAULT = /^hpc-fault:(exit|throw)(?:@(\d+))?$/;

function injectFault(m: RunMessage): void {
  if (!faultInjection) return;
  const f = FAULT.exec(m.clientRequestId);
  if (!f || (f[2] !== undefined && m.attempt > Number(f[2]))) return;
  if (f[1] === 'exit') process.exit(3);
  throw new Error(`injected crash in thread ${threadId} (job ${m.jobId}, attempt ${m.attempt})`);
}

port.on('message', (m: RunMessage) => {
  void (async () => {
    let first = true;
    const load = (b: Uint8Array | string) => (typeof b === 'string' ? readFileSync(b) : b);
    let input: RunMessage & { data: Uint8Array; additional: Uint8Array[] };
    try { input = { ...m, data: load(m.data), additional: m.additional.map(load) }; } catch (e) {
      port.postMessage({ type: 'done', jobId: m.jobId, ok: false, code: 'HPC.INPUT_EXPIRED', message: `input unreadable: ${(e as Error).message}` } satisfies ThreadMessage);
      return;
    }
    const r = await runPipeline(input, async (done, total) => {
      if (first) {
        first = false;
        // Thrown from a timer, not the hook, so it is an uncaught exception in this thread.
        if (faultInjection && FAULT.test(m.clientRequestId)) await new Promise<void>((res) => setImmediate(() => { injectFault(m); res(); }));
      }
      port.postMessage({ type: 'progress', jobId: m.jobId, progress: done / total } satisfies ThreadMessage);
      return Atomics.load(flag, 0) === 0;
    });
    if (!r.ok) {
      port.postMessage({ type: 'done', jobId: m.jobId, ok: false, code: r.error.code, message: r.error.message } satisfies ThreadMessage);
      return;
    }
    if (m.resultPath) {
      try { writeFileSync(m.resultPath, r.value.bytes, { mode: 0o600 }); } catch (e) {
        port.postMessage({ type: 'done', jobId: m.jobId, ok: false, code: 'HPC.STORE_FAILED', message: `result not written: ${(e as Error).message}` } satisfies ThreadMessage);
        return;
      }
      port.postMessage({ type: 'done', jobId: m.jobId, ok: true, bytes: null, path: m.resultPath, meta: r.value.meta } satisfies ThreadMessage);
      return;
    }
    // Transfer the result's memory rather than copying it (copy first if it is a view into a larger buffer).
    const b = r.value.bytes;
    const own = b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer ? b : new Uint8Array(b);
    port.postMessage({ type: 'done', jobId: m.jobId, ok: true, bytes: own, meta: r.value.meta } satisfies ThreadMessage, [own.buffer as ArrayBuffer]);
  })();
});
port.postMessage({ type: 'ready' } satisfies ThreadMessage);
