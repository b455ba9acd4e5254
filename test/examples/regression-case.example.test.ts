/**
 * Example for QA: turning a fuzz finding into a regression test.
 *
 * 1. `twin fuzz scenarios/datalink-blind.yaml --seed 1` finds and shrinks a failure and writes
 *    `failures/datalink-blind-battery-failsafe-seed1.yaml`.
 * 2. Keep the file (here it is rebuilt in the test with fast-check's replay `path`, so the
 *    example needs no fixture) and assert what it shows. While the bug is open, the test pins the
 *    failure; once fixed, flip the expectation and keep the case as a guard.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadScenarioFile, parseScenario } from '../../actors/scenario/scenario.loader.js';
import { arbitraries, caseFileText, fuzzBoundsOf, runChecked } from '../../testing/index.js';

describe('datalink outage hides a low battery (known failure class)', () => {
  it('fast-check finds it and shrinks it; the case file replays to the same event log', { timeout: 60_000 }, async () => {
    const l = await loadScenarioFile('scenarios/datalink-blind.yaml');
    if (!l.ok) throw new Error(l.error.message);
    const bounds = fuzzBoundsOf(l.value);
    if (!bounds.ok) throw new Error(bounds.message);
    const arb = arbitraries.scenarioVariation(l.value, bounds.value);
    const details = await fc.check(
      fc.asyncProperty(arb, async (s) => (await runChecked(s)).invariants.every((v) => v.result.ok)),
      { seed: 1, numRuns: 60 },
    );
    expect(details.failed).toBe(true);
    const minimal = details.counterexample![0];

    const first = await runChecked(minimal);
    expect(first.failures.map((f) => f.key)).toContain('invariant:battery_failsafe');
    const file = caseFileText(minimal, { base: l.value.name, failure: first.failures[0]!, fuzzSeed: 1, eventLogSha256: first.report.eventLogSha256 });
    const replayed = parseScenario(file);
    if (!replayed.ok) throw new Error(replayed.error.message);
    const again = await runChecked(replayed.value);
    expect(again.report.eventLogSha256).toBe(first.report.eventLogSha256);
    expect(again.failures[0]!.key).toBe('invariant:battery_failsafe');
  });
});
