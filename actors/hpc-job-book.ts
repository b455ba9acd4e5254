/**
 * The HPC jobs the twin has run or is running, as the operator services show them
 * (`GET /jobs`, the bridge's latched `/hpc/jobs`): the latest `/hpc/jobs` message of every job,
 * read off the bus, newest first, at most `capacity` (the oldest finished ones are forgotten).
 */
import { topics, type Bus, type HpcJobMsg } from './bus.js';

const FINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

export class HpcJobBook {
  private readonly jobs = new Map<string, HpcJobMsg>();
  private readonly off: () => void;

  /** @param capacity jobs kept (default 1000). */
  constructor(bus: Pick<Bus, 'subscribe'>, private readonly capacity = 1000) {
    this.off = bus.subscribe(topics.hpcJobs, (m: HpcJobMsg) => this.record(m));
  }

  /** Every job, newest first (by the order they were first seen). */
  list(): HpcJobMsg[] {
    return [...this.jobs.values()].reverse();
  }

  /** A job by the twin's key (`hpc:<vehicle>:<n>`) or by the service's job id. */
  get(id: string): HpcJobMsg | undefined {
    const byKey = this.jobs.get(id);
    if (byKey) return byKey;
    for (const j of this.jobs.values()) if (j.job_id === id) return j;
    return undefined;
  }

  close(): void {
    this.off();
  }

  private record(m: HpcJobMsg): void {
    this.jobs.set(m.key, m);
    if (this.jobs.size <= this.capacity) return;
    for (const [k, j] of this.jobs) {
      if (this.jobs.size <= this.capacity) break;
      if (FINAL.has(j.state)) this.jobs.delete(k);
    }
  }
}
