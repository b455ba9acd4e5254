/**
 * The invariants every run of a scenario must satisfy, and the function that checks them.
 */
import { INVARIANT_NAMES, InvariantOptionsSchema, type InvariantName, type InvariantOptions } from '../fuzz-bounds.schema.js';
import { batteryFailsafeInvariant, linkFailsafeInvariant } from './failsafe.invariant.js';
import { altitudeInvariant, batteryReserveInvariant, geofenceInvariant, separationInvariant } from './flight-envelope.invariant.js';
import type { Invariant, InvariantResult, RunFacts } from './invariant.js';
import { missionOutcomeInvariant, missionProgressInvariant } from './mission.invariant.js';
import { legalTransitionsInvariant } from './transitions.invariant.js';

export type { Invariant, InvariantResult, RunFacts } from './invariant.js';
export { machineGraph, regionLeaves, type MachineGraph } from './machine-graph.js';
export { machineGraphs } from './transitions.invariant.js';
export {
  altitudeInvariant, batteryFailsafeInvariant, batteryReserveInvariant, geofenceInvariant, legalTransitionsInvariant,
  linkFailsafeInvariant, missionOutcomeInvariant, missionProgressInvariant, separationInvariant,
};

/** Every invariant, by name, in the order they are reported. */
export const ALL_INVARIANTS: Readonly<Record<InvariantName, Invariant>> = {
  geofence: geofenceInvariant,
  altitude: altitudeInvariant,
  separation: separationInvariant,
  battery_reserve: batteryReserveInvariant,
  mission_progress: missionProgressInvariant,
  mission_outcome: missionOutcomeInvariant,
  legal_transitions: legalTransitionsInvariant,
  battery_failsafe: batteryFailsafeInvariant,
  link_failsafe: linkFailsafeInvariant,
};

export interface InvariantVerdict {
  readonly name: InvariantName;
  readonly result: InvariantResult;
}

/** Defaults for every invariant tolerance. */
export const defaultInvariantOptions = (): InvariantOptions => InvariantOptionsSchema.parse({});

/** Checks every invariant not in `facts.options.skip`, in {@link INVARIANT_NAMES} order. */
export function checkInvariants(facts: RunFacts): InvariantVerdict[] {
  return INVARIANT_NAMES.filter((n) => !facts.options.skip.includes(n)).map((name) => ({ name, result: ALL_INVARIANTS[name].check(facts) }));
}
