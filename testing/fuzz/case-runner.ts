/**
 * Running one generated case and reducing it to a verdict small enough to post between threads;
 * and the two ways of running many: in this thread, or on a pool of worker threads.
 *
 * @remarks
 * Cases are pure data (a validated scenario); a worker reruns exactly what the main thread would,
 * under the virtual clock and the scenario's seed, so where a case ran never changes its verdict.
 * Workers load compiled JavaScript: from dist/, the script next to this module; from sources (a
 * vitest run), the built copy under dist/ (so `npm run build` must have run).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Scenario } from '../../actors/scenario/scenario.schema.js';
import { runChecked, type RunFailure } from '../run-checked.js';

export interface CaseVerdict {
  readonly passed: boolean;
  readonly failures: readonly RunFailure[];
  readonly eventLogSha256: string;
  readonly simulatedSeconds: number;
}

/** Runs one case in this thread. A throw (a bug, not a failed check) becomes an `error` failure. */
export async function evaluateCase(scenario: Scenario): Promise<CaseVerdict> {
  try {
    const { report, failures } = await runChecked(scenario);
    return { passed: report.passed, failures, eventLogSha256: report.eventLogSha256, simulatedSeconds: report.simulatedSeconds };
  } catch (error) {
    return { passed: false, failures: [{ key: 'error', reason: error instanceof Error ? error.message : String(error) }], eventLogSha256: '', simulatedSeconds: 0 };
  }
}

/** Something that evaluates cases, possibly several at once. */
export interface CaseRunner {
  /** How many cases it runs at once. */
  readonly parallelism: number;
  run(scenario: Scenario): Promise<CaseVerdict>;
  close(): Promise<void>;
}

/** Evaluates cases one by one in this thread. */
export function inProcessRunner(): CaseRunner {
  return { parallelism: 1, run: evaluateCase, close: async () => {} };
}

/** The compiled worker script, wherever this module is running from. */
export function defaultWorkerScript(): URL {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return new URL('./fuzz.worker.js', import.meta.url);
  const built = here.replace(/\/testing\/fuzz\/case-runner\.ts$/, '/dist/testing/fuzz/fuzz.worker.js');
  if (!existsSync(built)) throw new Error(`fuzz workers need the compiled build (${built}): run \`npm run build\``);
  return pathToFileURL(built);
}

interface Job {
  readonly id: number;
  readonly scenario: Scenario;
  readonly resolve: (v: CaseVerdict) => void;
  readonly reject: (e: Error) => void;
}

/** A pool of `size` worker threads; jobs queue and go to whichever worker is free. */
export function workerPool(size: number, script: URL = defaultWorkerScript()): CaseRunner {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`workers must be a positive integer, got ${size}`);
  const queue: Job[] = [];
  const busy = new Map<Worker, Job>();
  const idle: Worker[] = [];
  let nextId = 0;
  let closed = false;

  const pump = () => {
    while (idle.length > 0 && queue.length > 0) {
      const w = idle.pop()!;
      const job = queue.shift()!;
      busy.set(w, job);
      w.postMessage({ id: job.id, scenario: job.scenario });
    }
  };
  const spawn = (): Worker => {
    const w = new Worker(script, { execArgv: [] });
    w.on('message', (msg: { id: number; verdict: CaseVerdict }) => {
      const job = busy.get(w);
      busy.delete(w);
      idle.push(w);
      if (job && job.id === msg.id) job.resolve(msg.verdict);
      pump();
    });
    w.on('error', (err) => {
      const job = busy.get(w);
      busy.delete(w);
      job?.reject(err);
      // Replace the dead worker so the pool keeps its size.
      if (!closed) {
        idle.push(spawn());
        pump();
      }
    });
    return w;
  };
  const workers = Array.from({ length: size }, spawn);
  idle.push(...workers);

  return {
    parallelism: size,
    run(scenario) {
      if (closed) return Promise.reject(new Error('worker pool closed'));
      return new Promise((resolve, reject) => {
        queue.push({ id: nextId++, scenario, resolve, reject });
        pump();
      });
    },
    async close() {
      closed = true;
      await Promise.all([...idle, ...busy.keys()].map((w) => w.terminate()));
    },
  };
}
