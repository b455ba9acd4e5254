/**
 * The twin's HPC client: runs one point-cloud job on the HPC service (an {@link HpcPort}) for a
 * vehicle — gather the input, submit, follow, fetch the result, store it in the blob store — and
 * reports it on the bus (`/hpc/jobs`, every change of state and progress) and in the event log
 * (`hpc.submitted`, `hpc.finished` only). Each job is an actor of the pure `hpcJobMachine`
 * (machines/hpc-job.machine.ts) with its submit / follow / fetch / cancel actors bound to the port.
 *
 * @remarks
 * **Determinism.** The whole job runs under a hold on the clock (`Clock.hold`): on the virtual
 * clock sim time stays at the instant the job was started until it has finished, so both log
 * entries carry that instant and the log is byte-stable whatever the service's speed. The log
 * holds only what the inputs decide (the twin's job key, sizes, the result's SHA-256 and blob
 * key), never the service's job id, progress or timings: those go to the bus and the job book.
 * On the wall clock the hold is a no-op and entries carry the real times.
 */
import { holdClock, type Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Result } from '../core/result.js';
import type { HpcCloudFormat, HpcPort, HpcProcessingType, HpcResult } from '../hardware/hpc.port.js';
import type { BlobSink } from '../hardware/sensor.port.js';
import { createActor, fromCallback, fromPromise } from 'xstate';
import { hpcJobMachine, type HpcJobContext, type HpcJobEvent, type HpcJobResultRef, type HpcSubmitted } from '../machines/hpc-job.machine.js';
import { topics, type Bus, type HpcJobMsg } from './bus.js';
import type { EventLog } from './event-log.js';

/** What to run (the scenario's `after_mission.hpc`). */
export interface HpcJobSpec {
  readonly processing_type: HpcProcessingType;
  readonly parameters: Readonly<Record<string, string | number | boolean>>;
  /** Where the input comes from: the vehicle's SLAM map or its captured LiDAR scans. */
  readonly source: 'slam_map' | 'scans';
}

/** The encoded input cloud. */
export interface HpcInput {
  readonly bytes: Uint8Array;
  readonly format: HpcCloudFormat;
  readonly points: number;
}

export interface HpcClientDeps {
  readonly clock: Clock;
  readonly bus: Bus;
  readonly log: EventLog;
  readonly blobs: BlobSink;
  /** The HPC service, connected on first use (the composition root decides which). */
  readonly port: () => Promise<HpcResult<HpcPort>>;
  /** Result keys: `<prefix>/<vehicle>/<n>.<ext>` (default `hpc`). */
  readonly keyPrefix?: string;
  readonly logger?: Logger;
}

/** A finished job as the client saw it. */
export type HpcJobOutcome = HpcJobMsg;

const EXT: Record<string, string> = { dsm_png: 'png', pcd: 'pcd', ply: 'ply', las: 'las' };

export class HpcClient {
  private readonly counts = new Map<string, number>();
  private readonly outcomes: HpcJobOutcome[] = [];
  private readonly pending = new Set<Promise<HpcJobOutcome>>();
  private readonly running = new Set<{ send(e: HpcJobEvent): void }>();

  constructor(private readonly deps: HpcClientDeps) {}

  /** Jobs finished so far, in the order they were started. */
  get finished(): readonly HpcJobOutcome[] {
    return this.outcomes;
  }

  /** Asks every running job to stop (cancelled on the service when submitted); they end CANCELLED. */
  cancelAll(): void {
    for (const a of this.running) a.send({ type: 'CANCEL' });
  }

  /** Resolves once every started job has finished. */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  /**
   * Runs one job for `vehicle`; `gather` encodes the input at this instant (a failure is the
   * job's, `HPC.NO_INPUT`). Resolves with the final job message (never rejects).
   */
  run(vehicle: string, spec: HpcJobSpec, gather: () => Result<HpcInput, string>, cid?: string): Promise<HpcJobOutcome> {
    const n = (this.counts.get(vehicle) ?? 0) + 1;
    this.counts.set(vehicle, n);
    const key = `hpc:${vehicle}:${n}`;
    const job = holdClock(this.deps.clock, `hpc job ${key}`, () => this.execute(key, n, vehicle, spec, gather, cid)).then((o) => {
      this.outcomes.push(o);
      this.pending.delete(job);
      return o;
    });
    this.pending.add(job);
    return job;
  }

  private execute(key: string, n: number, vehicle: string, spec: HpcJobSpec, gather: () => Result<HpcInput, string>, cid: string | undefined): Promise<HpcJobOutcome> {
    const { clock, bus, log } = this.deps;
    const keyPrefix = (this.deps.keyPrefix ?? 'hpc').replace(/\/+$/, '');
    let port: HpcPort | undefined;
    const message = (c: HpcJobContext): HpcJobMsg => ({
      key: c.key,
      job_id: c.job_id,
      vehicle: c.vehicle,
      processing_type: c.processing_type,
      source: c.source,
      state: c.state,
      progress: c.progress,
      t_ms: clock.now(),
      ...(c.error ? { error: c.error } : {}),
      ...(c.result ? { result: c.result } : {}),
    });
    let last: HpcJobMsg | undefined;
    const machine = hpcJobMachine.provide({
      actions: {
        publish: ({ context }) => {
          last = message(context);
          bus.publish(topics.hpcJobs, last);
        },
        logSubmitted: ({ context }) => {
          log.append(clock.now(), vehicle, 'hpc.submitted', { key, processing_type: spec.processing_type, source: spec.source, input_points: context.input_points, input_bytes: context.input_bytes }, cid);
        },
        logFinished: ({ context }) => {
          const base = { key, state: context.state, processing_type: spec.processing_type, source: spec.source };
          log.append(clock.now(), vehicle, 'hpc.finished', context.result ? { ...base, ...context.result } : { ...base, error: context.error?.code ?? 'HPC.FAILED' }, cid);
          if (context.error) this.deps.logger?.warn({ key, job_id: context.job_id, ...context.error }, 'hpc job did not succeed');
        },
      },
      actors: {
        submit: fromPromise<HpcSubmitted, HpcJobContext>(async () => {
          const input = gather();
          if (!input.ok) throw coded(input.error);
          const p = await this.deps.port();
          if (!p.ok) throw coded(p.error);
          port = p.value;
          const sub = await port.submit({ cloud: { bytes: input.value.bytes }, format: input.value.format, processing_type: spec.processing_type, parameters: spec.parameters, client_request_id: key });
          if (!sub.ok) throw coded(sub.error);
          return { job_id: sub.value.job_id, state: sub.value.state === 'RUNNING' ? 'RUNNING' : 'QUEUED', input_points: input.value.points, input_bytes: input.value.bytes.byteLength };
        }),
        follow: fromCallback<HpcJobEvent, { job_id: string }>(({ sendBack, input }) =>
          port!.watch(
            input.job_id,
            (st) => {
              if (st.state === 'QUEUED' || st.state === 'RUNNING') sendBack({ type: 'HPC.STATUS', state: st.state, progress: st.progress });
            },
            (end) => {
              if (end.ok && end.value && (end.value.state === 'SUCCEEDED' || end.value.state === 'FAILED' || end.value.state === 'CANCELLED')) {
                const st = end.value;
                return sendBack({ type: 'HPC.FINAL', state: st.state as 'SUCCEEDED' | 'FAILED' | 'CANCELLED', ...(st.state !== 'SUCCEEDED' ? { error: { code: st.error_code ?? `HPC.${st.state}`, message: st.error_message ?? `job ${st.state.toLowerCase()}` } } : {}) });
              }
              // The stream failed: the job may still run on the service; do not leave it there.
              if (!end.ok && end.error.code !== 'HPC.NOT_FOUND') void port!.cancel(input.job_id);
              sendBack({ type: 'HPC.FINAL', state: 'FAILED', error: end.ok ? { code: 'HPC.FAILED', message: 'the status stream ended without a final state' } : { code: end.error.code, message: end.error.message } });
            },
          ),
        ),
        fetch: fromPromise<HpcJobResultRef, HpcJobContext>(async ({ input: c }) => {
          const res = await port!.result(c.job_id!);
          if (!res.ok) throw coded(res.error);
          const meta = res.value.metadata;
          const blob_key = `${keyPrefix}/${vehicle}/${String(n).padStart(3, '0')}-${spec.processing_type}.${EXT[meta.format] ?? 'bin'}`;
          const put = await this.deps.blobs.put(blob_key, res.value.data, meta.media_type);
          if (!put.ok) throw new Error(`HPC.STORE_FAILED: result not stored: ${put.error.message}`);
          let world_file_key: string | undefined;
          if (meta.world_file) {
            const wk = blob_key.replace(/\.png$/, '.pgw');
            const w = await this.deps.blobs.put(wk, new TextEncoder().encode(meta.world_file), 'text/plain');
            if (!w.ok) throw new Error(`HPC.STORE_FAILED: world file not stored: ${w.error.message}`);
            world_file_key = wk;
          }
          return { blob_key, bytes: put.value.bytes, sha256: put.value.sha256, media_type: meta.media_type, output_points: meta.output_points, ...(world_file_key ? { world_file_key } : {}) };
        }),
        cancel: fromPromise<void, HpcJobContext>(async ({ input: c }) => {
          const r = await port!.cancel(c.job_id!);
          if (!r.ok && r.error.code !== 'HPC.NOT_READY') throw coded(r.error);
        }),
      },
    });
    return new Promise<HpcJobOutcome>((resolve) => {
      const actor = createActor(machine, { input: { key, vehicle, processing_type: spec.processing_type, source: spec.source }, clock });
      this.running.add(actor);
      actor.subscribe({
        complete: () => {
          this.running.delete(actor);
          resolve(last ?? message(actor.getSnapshot().context));
        },
        // Bugs only: every expected failure is a state of the machine.
        error: (err) => {
          this.running.delete(actor);
          this.deps.logger?.error({ err, key }, 'hpc job actor failed');
          resolve({ ...(last ?? message(actor.getSnapshot().context)), state: 'FAILED', error: { code: 'HPC.INTERNAL', message: String(err) } });
        },
      });
      actor.start();
    });
  }
}

/** A failure as an actor error whose message starts with its code (see `jobError`). */
const coded = (f: { code: string; message: string }): Error => new Error(`${f.code}: ${f.message}`);
