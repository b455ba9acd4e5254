/**
 * The twin's HPC client: runs one point-cloud job on the HPC service (an {@link HpcPort}) for a
 * vehicle — gather the input, submit, follow, fetch the result, store it in the blob store — and
 * reports it on the bus (`/hpc/jobs`, every change of state and progress) and in the event log
 * (`hpc.submitted`, `hpc.finished` only).
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
import type { HpcCloudFormat, HpcJobStatus, HpcPort, HpcProcessingType, HpcResult } from '../hardware/hpc.port.js';
import type { BlobSink } from '../hardware/sensor.port.js';
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

  constructor(private readonly deps: HpcClientDeps) {}

  /** Jobs finished so far, in the order they were started. */
  get finished(): readonly HpcJobOutcome[] {
    return this.outcomes;
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

  private async execute(key: string, n: number, vehicle: string, spec: HpcJobSpec, gather: () => Result<HpcInput, string>, cid: string | undefined): Promise<HpcJobOutcome> {
    const { clock, bus, log } = this.deps;
    const base = { key, job_id: null as string | null, vehicle, processing_type: spec.processing_type, source: spec.source };
    const publish = (m: Omit<HpcJobMsg, keyof typeof base | 't_ms'> & Partial<Pick<HpcJobMsg, 'job_id'>>): HpcJobMsg => {
      const msg: HpcJobMsg = { ...base, ...m, t_ms: clock.now() };
      bus.publish(topics.hpcJobs, msg);
      return msg;
    };
    const failed = (code: string, message: string, job_id: string | null = null, state: 'FAILED' | 'CANCELLED' = 'FAILED'): HpcJobMsg => {
      log.append(clock.now(), vehicle, 'hpc.finished', { key, state, processing_type: spec.processing_type, source: spec.source, error: code }, cid);
      this.deps.logger?.warn({ key, job_id, code, message }, 'hpc job failed');
      return publish({ job_id, state, progress: 0, error: { code, message } });
    };

    publish({ state: 'GATHERING', progress: 0 });
    const input = gather();
    if (!input.ok) return failed(input.error.code, input.error.message);
    const portR = await this.deps.port();
    if (!portR.ok) return failed(portR.error.code, portR.error.message);
    const port = portR.value;
    const sub = await port.submit({
      cloud: { bytes: input.value.bytes },
      format: input.value.format,
      processing_type: spec.processing_type,
      parameters: spec.parameters,
      client_request_id: key,
    });
    if (!sub.ok) return failed(sub.error.code, sub.error.message);
    const job_id = sub.value.job_id;
    base.job_id = job_id;
    log.append(clock.now(), vehicle, 'hpc.submitted', { key, processing_type: spec.processing_type, source: spec.source, input_points: input.value.points, input_bytes: input.value.bytes.byteLength }, cid);
    publish({ state: sub.value.state === 'RUNNING' ? 'RUNNING' : 'QUEUED', progress: 0 });

    // Final states are published once the outcome is handled (SUCCEEDED: once the result is stored).
    const final = await this.follow(port, job_id, (s) => {
      if (s.state === 'QUEUED' || s.state === 'RUNNING') publish({ state: s.state, progress: s.progress });
    });
    if (!final.ok) return failed(final.error.code, final.error.message, job_id);
    const st = final.value;
    if (st.state !== 'SUCCEEDED') return failed(st.error_code ?? `HPC.${st.state}`, st.error_message ?? `job ${st.state.toLowerCase()}`, job_id, st.state === 'CANCELLED' ? 'CANCELLED' : 'FAILED');

    const res = await port.result(job_id);
    if (!res.ok) return failed(res.error.code, res.error.message, job_id);
    const meta = res.value.metadata;
    const blob_key = `${(this.deps.keyPrefix ?? 'hpc').replace(/\/+$/, '')}/${vehicle}/${String(n).padStart(3, '0')}-${spec.processing_type}.${EXT[meta.format] ?? 'bin'}`;
    const put = await this.deps.blobs.put(blob_key, res.value.data, meta.media_type);
    if (!put.ok) return failed('HPC.STORE_FAILED', `result not stored: ${put.error.message}`, job_id);
    let world_file_key: string | undefined;
    if (meta.world_file) {
      const wk = blob_key.replace(/\.png$/, '.pgw');
      const w = await this.deps.blobs.put(wk, new TextEncoder().encode(meta.world_file), 'text/plain');
      if (!w.ok) return failed('HPC.STORE_FAILED', `world file not stored: ${w.error.message}`, job_id);
      world_file_key = wk;
    }
    const result = { blob_key, bytes: put.value.bytes, sha256: put.value.sha256, media_type: meta.media_type, output_points: meta.output_points, ...(world_file_key ? { world_file_key } : {}) };
    log.append(clock.now(), vehicle, 'hpc.finished', { key, state: 'SUCCEEDED', processing_type: spec.processing_type, source: spec.source, ...result }, cid);
    return publish({ job_id, state: 'SUCCEEDED', progress: 1, result });
  }

  /** Follows the job with WatchJob until a final state (the port bounds a watch in time); cancels it if the watch fails. */
  private follow(port: HpcPort, job_id: string, onStatus: (s: HpcJobStatus) => void): Promise<HpcResult<HpcJobStatus>> {
    return new Promise((resolve) => {
      let last = '';
      port.watch(
        job_id,
        (s) => {
          const k = `${s.state}:${s.progress}`;
          if (k !== last) {
            last = k;
            onStatus(s);
          }
        },
        (end) => {
          if (end.ok && end.value) return resolve({ ok: true, value: end.value });
          if (!end.ok && end.error.code !== 'HPC.NOT_FOUND') void port.cancel(job_id);
          resolve(end.ok ? { ok: false, error: { code: 'HPC.FAILED', message: 'watch ended without a status' } } : end);
        },
      );
    });
  }
}
