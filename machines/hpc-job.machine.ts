/**
 * One HPC job as the twin follows it: gathering (encode the input, connect, submit) → following
 * (QUEUED/RUNNING with progress, from the service's status stream) → fetching (result into the
 * blob store) → SUCCEEDED | FAILED | CANCELLED.
 *
 * @remarks
 * Pure (STYLE §1): submitting, following, fetching and cancelling are named actors the runtime
 * provides (actors/hpc-client.ts, over hardware/hpc.port.ts); `publish` (every change),
 * `logSubmitted` and `logFinished` are named actions. A failing actor's error message starts with
 * its dotted code (`HPC.INVALID: …`), which becomes `error.code`. Context holds plain values only.
 */
import { assign, fromCallback, fromPromise, setup } from 'xstate';

/** The job's state as the bus and the API show it (the service's states plus GATHERING). */
export type HpcJobPhase = 'GATHERING' | 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

export interface HpcJobResultRef {
  readonly blob_key: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly media_type: string;
  readonly output_points: number;
  readonly world_file_key?: string;
}

export interface HpcJobInput {
  readonly key: string;
  readonly vehicle: string;
  readonly processing_type: string;
  readonly source: string;
}

export interface HpcJobContext extends HpcJobInput {
  job_id: string | null;
  state: HpcJobPhase;
  /** 0..1 */
  progress: number;
  input_points?: number;
  input_bytes?: number;
  error?: { code: string; message: string };
  result?: HpcJobResultRef;
}

export type HpcJobEvent =
  | { type: 'HPC.STATUS'; state: 'QUEUED' | 'RUNNING'; progress: number }
  /** The status stream ended: the service's final state, or why following failed. */
  | { type: 'HPC.FINAL'; state: 'SUCCEEDED' | 'FAILED' | 'CANCELLED'; error?: { code: string; message: string } }
  | { type: 'CANCEL' };

export interface HpcSubmitted {
  readonly job_id: string;
  readonly state: 'QUEUED' | 'RUNNING';
  readonly input_points: number;
  readonly input_bytes: number;
}

const notProvided = (op: string) => fromPromise<never, HpcJobContext>(async () => {
  throw new Error(`HPC.${op.toUpperCase()}_NOT_PROVIDED: ${op}`);
});

/** `CODE: message` → { code, message }; anything else is HPC.FAILED. */
export function jobError(e: unknown): { code: string; message: string } {
  const text = e instanceof Error ? e.message : String(e);
  const m = /^([A-Z][A-Z0-9_]*(?:\.[A-Z0-9_]+)+): ?(.*)$/s.exec(text);
  return m ? { code: m[1]!, message: m[2]! } : { code: 'HPC.FAILED', message: text };
}

export const hpcJobMachine = setup({
  types: {
    context: {} as HpcJobContext,
    events: {} as HpcJobEvent,
    input: {} as HpcJobInput,
  },
  actors: {
    submit: notProvided('submit') as unknown as ReturnType<typeof fromPromise<HpcSubmitted, HpcJobContext>>,
    follow: fromCallback<HpcJobEvent, { job_id: string }>(() => () => {}),
    fetch: notProvided('fetch') as unknown as ReturnType<typeof fromPromise<HpcJobResultRef, HpcJobContext>>,
    cancel: notProvided('cancel') as unknown as ReturnType<typeof fromPromise<void, HpcJobContext>>,
  },
  actions: {
    publish: () => {},
    logSubmitted: () => {},
    logFinished: () => {},
  },
}).createMachine({
  id: 'hpcJob',
  context: ({ input }) => ({ ...input, job_id: null, state: 'GATHERING', progress: 0 }),
  initial: 'gathering',
  entry: 'publish',
  states: {
    gathering: {
      invoke: {
        src: 'submit',
        input: ({ context }) => context,
        onDone: {
          target: 'following',
          actions: [
            assign(({ event }) => ({ job_id: event.output.job_id, state: event.output.state, input_points: event.output.input_points, input_bytes: event.output.input_bytes })),
            'logSubmitted',
            'publish',
          ],
        },
        onError: { target: 'failed', actions: assign(({ event }) => ({ error: jobError(event.error) })) },
      },
      on: { CANCEL: { target: 'cancelled', actions: assign({ error: { code: 'HPC.CANCELLED', message: 'cancelled before submission' } }) } },
    },
    following: {
      invoke: { src: 'follow', input: ({ context }) => ({ job_id: context.job_id! }) },
      on: {
        'HPC.STATUS': {
          // Only changes are published (the stream repeats a status after a reconnect).
          guard: ({ context, event }) => event.state !== context.state || event.progress !== context.progress,
          actions: [assign(({ event }) => ({ state: event.state, progress: event.progress })), 'publish'],
        },
        'HPC.FINAL': [
          { guard: ({ event }) => event.state === 'SUCCEEDED', target: 'fetching' },
          { guard: ({ event }) => event.state === 'CANCELLED', target: 'cancelled', actions: assign(({ event }) => ({ error: event.error ?? { code: 'HPC.CANCELLED', message: 'cancelled' } })) },
          { target: 'failed', actions: assign(({ event }) => ({ error: event.error ?? { code: 'HPC.FAILED', message: 'the job failed' } })) },
        ],
        CANCEL: 'cancelling',
      },
    },
    fetching: {
      invoke: {
        src: 'fetch',
        input: ({ context }) => context,
        onDone: { target: 'succeeded', actions: assign(({ event }) => ({ result: event.output })) },
        onError: { target: 'failed', actions: assign(({ event }) => ({ error: jobError(event.error) })) },
      },
    },
    cancelling: {
      invoke: {
        src: 'cancel',
        input: ({ context }) => context,
        onDone: { target: 'cancelled', actions: assign({ error: { code: 'HPC.CANCELLED', message: 'cancelled by the twin' } }) },
        onError: { target: 'failed', actions: assign(({ event }) => ({ error: jobError(event.error) })) },
      },
    },
    succeeded: { type: 'final', entry: [assign({ state: 'SUCCEEDED', progress: 1 }), 'logFinished', 'publish'] },
    failed: { type: 'final', entry: [assign({ state: 'FAILED' }), 'logFinished', 'publish'] },
    cancelled: { type: 'final', entry: [assign({ state: 'CANCELLED' }), 'logFinished', 'publish'] },
  },
});
