/**
 * Runs a scenario and judges it twice: by its own expectations (the runner) and by the
 * invariants (this library), on the event log and a ground-truth trace recorded from the
 * simulator. The invariant verdicts are merged into the report as `invariant:<name>` results,
 * so `passed`, the summary table and JUnit output cover both.
 *
 * @remarks
 * The trace recorder rides the world's tick read-only, so the event log — and its hash — are
 * those of a plain `runScenario` of the same scenario and seed.
 */
import { runScenario, simBackend, type BackendFactory, type RunScenarioOptions, type ScenarioReport, type ScenarioRun } from '../actors/scenario/scenario.runner.js';
import type { ExpectationResult } from '../actors/scenario/expectations.js';
import { buildGeofence } from '../actors/scenario/mission-builder.js';
import type { Scenario } from '../actors/scenario/scenario.schema.js';
import { FuzzBoundsSchema, InvariantOptionsSchema, type InvariantOptions } from './fuzz-bounds.schema.js';
import { checkInvariants, type InvariantVerdict } from './invariants/index.js';
import { worldFrame } from './arbitraries/world-bounds.js';
import { TruthRecorder, type TruthTrace } from './truth-trace.js';

export interface CheckedRunOptions extends RunScenarioOptions {
  /** Invariant tolerances; default the scenario's `fuzz.invariants`, else the defaults. */
  readonly invariants?: Partial<InvariantOptions>;
  /** Ground-truth samples per sim second (default 2). */
  readonly traceHz?: number;
}

/** One reason a run is not acceptable, with a stable key to compare failures by. */
export interface RunFailure {
  /** `expect:<kind>[:<vehicle>]` or `invariant:<name>`. */
  readonly key: string;
  readonly reason: string;
}

export interface CheckedRun extends ScenarioRun {
  readonly trace: TruthTrace;
  readonly invariants: readonly InvariantVerdict[];
  /** Failed expectations then violated invariants, in report order. */
  readonly failures: readonly RunFailure[];
}

/** The invariant options a scenario asks for (its `fuzz.invariants`), with `overrides` on top. */
export function invariantOptionsOf(scenario: Scenario, overrides: Partial<InvariantOptions> = {}): InvariantOptions {
  const block = (scenario.fuzz as { invariants?: unknown } | undefined)?.invariants ?? {};
  const parsed = InvariantOptionsSchema.safeParse({ ...(block as object), ...overrides });
  if (!parsed.success) throw new RangeError(`fuzz.invariants: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** Whether `twin run` should check invariants on this scenario: it has a valid `fuzz:` block. */
export function declaresInvariants(scenario: Scenario): boolean {
  return scenario.fuzz !== undefined && FuzzBoundsSchema.safeParse(scenario.fuzz).success;
}

/** The stable key of a failed expectation result. */
export const failureKey = (e: ExpectationResult): string =>
  e.kind.startsWith('invariant:') ? e.kind : `expect:${e.kind}${e.vehicle ? `:${e.vehicle}` : ''}`;

/**
 * `runScenario` plus the invariants.
 *
 * @example
 * const { report, failures } = await runChecked(scenario, { seed: 7 });
 * if (!report.passed) console.log(failures[0].key, failures[0].reason);
 */
export async function runChecked(scenario: Scenario, options: CheckedRunOptions = {}): Promise<CheckedRun> {
  const opts = invariantOptionsOf(scenario, options.invariants);
  const recorder = new TruthRecorder(scenario.vehicles.map((v) => v.id), options.traceHz ?? 2);
  const inner = options.backend ?? simBackend;
  let frame = worldFrame(scenario);
  const backend: BackendFactory = (ctx) => {
    const b = inner(ctx);
    if (b.world) {
      recorder.attach(b.world);
      frame = b.world.frame;
    }
    return b;
  };
  const run = await runScenario(scenario, { ...options, backend });
  const fence = buildGeofence(frame, scenario);
  const verdicts = checkInvariants({
    scenario,
    log: run.log.entries,
    trace: recorder.trace,
    fence: fence.ok ? fence.value : undefined,
    options: opts,
    end_ms: run.report.simulatedSeconds * 1000,
  });
  const invariantResults: ExpectationResult[] = verdicts.map((v) => ({
    kind: `invariant:${v.name}`,
    held: v.result.ok,
    expected_to_fail: false,
    passed: v.result.ok,
    reason: v.result.ok ? 'held' : v.result.reason,
  }));
  const expectations = [...run.report.expectations, ...invariantResults];
  const report: ScenarioReport = { ...run.report, expectations, passed: run.report.passed && verdicts.every((v) => v.result.ok) };
  const failures = expectations.filter((e) => !e.passed).map((e) => ({ key: failureKey(e), reason: e.reason }));
  if (run.report.errors.length > 0) failures.unshift(...run.report.errors.map((reason) => ({ key: 'error', reason })));
  return { ...run, report, trace: recorder.trace, invariants: verdicts, failures };
}
