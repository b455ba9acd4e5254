/**
 * `overwatch-twin/testing`: property-based testing of missions, fault schedules and weather.
 *
 * - `arbitraries`: fast-check generators of waypoints, missions, vehicle parameters, wind, fault
 *   schedules and whole scenario variations, bounded by a world (origin, geofence, obstacles);
 *   every generated value is a valid scenario (file).
 * - `invariants`: properties of a finished run (event log + ground-truth trace), each answering
 *   `{ ok: true } | { ok: false, reason }`; `checkInvariants` runs them all.
 * - `runChecked`: `runScenario` plus the invariants, on the virtual clock and the scenario seed.
 * - `fuzzScenario`: the engine behind `twin fuzz` (sweep, parallel workers, shrinking, case files).
 *
 * @example
 * import fc from 'fast-check';
 * import { arbitraries, runChecked } from 'overwatch-twin/testing';
 * await fc.assert(fc.asyncProperty(arbitraries.scenarioVariation(base), async (s) => (await runChecked(s)).report.passed));
 */
import * as arbitraries from './arbitraries/index.js';
import * as invariants from './invariants/index.js';

export { arbitraries, invariants };
export { runChecked, invariantOptionsOf, declaresInvariants, failureKey } from './run-checked.js';
export type { CheckedRun, CheckedRunOptions, RunFailure } from './run-checked.js';
export { TruthRecorder, isAirborne, type TruthTrace, type VehicleTruth } from './truth-trace.js';
export {
  FuzzBoundsSchema, InvariantOptionsSchema, fuzzBoundsOf, FAULT_KINDS, INVARIANT_NAMES,
  type FuzzBounds, type InvariantOptions, type InvariantName, type FuzzFaultKind,
} from './fuzz-bounds.schema.js';
export { fuzzScenario, type FuzzOptions, type FuzzResult, type FuzzFailure } from './fuzz/fuzz-runner.js';
export { evaluateCase, inProcessRunner, workerPool, type CaseRunner, type CaseVerdict } from './fuzz/case-runner.js';
export { caseFileText, caseScenario, failureSlug, type CaseFileInfo } from './fuzz/case-file.js';
export type { Invariant, InvariantResult, RunFacts } from './invariants/index.js';
