/**
 * The pure HPC job machine (machines/hpc-job.machine.ts) with its actors provided as plain
 * promises/callbacks: the state sequence it publishes, what it logs, error codes, cancel.
 */
import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, fromPromise, initialTransition } from 'xstate';
import { hpcJobMachine, jobError, type HpcJobContext, type HpcJobEvent, type HpcJobResultRef, type HpcSubmitted } from '../../machines/hpc-job.machine.js';

const input = { key: 'hpc:d1:1', vehicle: 'd1', processing_type: 'dsm', source: 'slam_map' };
const RESULT: HpcJobResultRef = { blob_key: 'hpc/d1/001-dsm.png', bytes: 10, sha256: 'a'.repeat(64), media_type: 'image/png', output_points: 5 };

function run(o: { submit?: () => Promise<HpcSubmitted>; statuses?: HpcJobEvent[]; fetch?: () => Promise<HpcJobResultRef>; cancelAfter?: number }) {
  const published: string[] = [];
  const logged: string[] = [];
  let send: ((e: HpcJobEvent) => void) | undefined;
  const machine = hpcJobMachine.provide({
    actions: {
      publish: ({ context }) => void published.push(`${context.state}:${context.progress}${context.error ? `:${context.error.code}` : ''}`),
      logSubmitted: ({ context }) => void logged.push(`submitted:${context.job_id}`),
      logFinished: ({ context }) => void logged.push(`finished:${context.state}`),
    },
    actors: {
      submit: fromPromise<HpcSubmitted, HpcJobContext>(o.submit ?? (async () => ({ job_id: 'j1', state: 'QUEUED', input_points: 3, input_bytes: 40 }))),
      follow: fromCallback<HpcJobEvent, { job_id: string }>(({ sendBack }) => {
        send = sendBack;
        queueMicrotask(() => (o.statuses ?? []).forEach((e) => sendBack(e)));
        return () => (send = undefined);
      }),
      fetch: fromPromise<HpcJobResultRef, HpcJobContext>(o.fetch ?? (async () => RESULT)),
      cancel: fromPromise<void, HpcJobContext>(async () => {}),
    },
  });
  const actor = createActor(machine, { input });
  const done = new Promise<HpcJobContext>((resolve) => actor.subscribe({ complete: () => resolve(actor.getSnapshot().context) }));
  actor.start();
  return { actor, done, published, logged, follower: () => send };
}

describe('hpc job machine', () => {
  it('starts gathering, publishes every change once, logs submitted then finished, ends SUCCEEDED with the result', async () => {
    const [snap] = initialTransition(hpcJobMachine, input);
    expect(snap.value).toBe('gathering');
    expect(snap.context).toMatchObject({ state: 'GATHERING', job_id: null, progress: 0 });
    const r = run({ statuses: [
      { type: 'HPC.STATUS', state: 'RUNNING', progress: 0.25 },
      { type: 'HPC.STATUS', state: 'RUNNING', progress: 0.25 },
      { type: 'HPC.STATUS', state: 'RUNNING', progress: 0.75 },
      { type: 'HPC.FINAL', state: 'SUCCEEDED' },
    ] });
    const ctx = await r.done;
    expect(r.published).toEqual(['GATHERING:0', 'QUEUED:0', 'RUNNING:0.25', 'RUNNING:0.75', 'SUCCEEDED:1']);
    expect(r.logged).toEqual(['submitted:j1', 'finished:SUCCEEDED']);
    expect(ctx).toMatchObject({ job_id: 'j1', input_points: 3, input_bytes: 40, result: RESULT });
  });

  it('a refused submission fails with its dotted code, never logging submitted', async () => {
    const r = run({ submit: async () => { throw new Error('HPC.INVALID: resolution must be > 0'); } });
    const ctx = await r.done;
    expect(ctx.error).toEqual({ code: 'HPC.INVALID', message: 'resolution must be > 0' });
    expect(r.published).toEqual(['GATHERING:0', 'FAILED:0:HPC.INVALID']);
    expect(r.logged).toEqual(['finished:FAILED']);
  });

  it('the service failing or cancelling the job, or the result not stored', async () => {
    const failed = await run({ statuses: [{ type: 'HPC.FINAL', state: 'FAILED', error: { code: 'HPC.STAGE_FAILED', message: 'icp' } }] }).done;
    expect(failed).toMatchObject({ state: 'FAILED', error: { code: 'HPC.STAGE_FAILED' } });
    const cancelled = await run({ statuses: [{ type: 'HPC.FINAL', state: 'CANCELLED' }] }).done;
    expect(cancelled).toMatchObject({ state: 'CANCELLED', error: { code: 'HPC.CANCELLED' } });
    const store = await run({ statuses: [{ type: 'HPC.FINAL', state: 'SUCCEEDED' }], fetch: async () => { throw new Error('HPC.STORE_FAILED: BLOB.FULL'); } }).done;
    expect(store).toMatchObject({ state: 'FAILED', error: { code: 'HPC.STORE_FAILED', message: 'BLOB.FULL' } });
  });

  it('CANCEL while following cancels on the service and ends CANCELLED (the status stream is closed)', async () => {
    const r = run({});
    await new Promise((res) => setTimeout(res, 5));
    expect(r.actor.getSnapshot().value).toBe('following');
    expect(r.follower()).toBeDefined();
    r.actor.send({ type: 'CANCEL' });
    const ctx = await r.done;
    expect(ctx.state).toBe('CANCELLED');
    expect(r.follower()).toBeUndefined();
    expect(r.logged).toEqual(['submitted:j1', 'finished:CANCELLED']);
  });

  it('jobError reads a leading dotted code', () => {
    expect(jobError(new Error('HPC.UNAVAILABLE: gone'))).toEqual({ code: 'HPC.UNAVAILABLE', message: 'gone' });
    expect(jobError(new Error('plain'))).toEqual({ code: 'HPC.FAILED', message: 'plain' });
  });
});
