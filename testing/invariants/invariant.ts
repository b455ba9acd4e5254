/**
 * What an invariant is: a named property of a finished run, judged on its event log and its
 * ground-truth trace, answering `{ ok: true }` or `{ ok: false, reason }` with the reason in words
 * (which vehicle, when, by how much).
 */
import type { LogEntry } from '../../actors/event-log.js';
import type { Geofence } from '../../core/planning/index.js';
import type { Scenario } from '../../actors/scenario/scenario.schema.js';
import type { InvariantName, InvariantOptions } from '../fuzz-bounds.schema.js';
import type { TruthTrace } from '../truth-trace.js';

export type InvariantResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export const OK: InvariantResult = { ok: true };
export const violated = (reason: string): InvariantResult => ({ ok: false, reason });

/** Everything an invariant may look at. */
export interface RunFacts {
  readonly scenario: Scenario;
  /** The run's event log. */
  readonly log: readonly LogEntry[];
  /** Ground truth from the simulator (empty without one). */
  readonly trace: TruthTrace;
  /** The world's fence in the world frame, when it has one. */
  readonly fence?: Geofence;
  readonly options: InvariantOptions;
  /** Sim time the run ended (ms). */
  readonly end_ms: number;
}

export interface Invariant {
  readonly name: InvariantName;
  /** One line: what must hold. */
  readonly description: string;
  check(facts: RunFacts): InvariantResult;
}

/** `12.3 s` */
export const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** Per-vehicle check: the first vehicle that violates gives the result. */
export function everyVehicle(facts: RunFacts, check: (id: string) => InvariantResult): InvariantResult {
  for (const v of facts.scenario.vehicles) {
    const r = check(v.id);
    if (!r.ok) return r;
  }
  return OK;
}
