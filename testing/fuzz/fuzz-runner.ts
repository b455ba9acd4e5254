/**
 * `fuzzScenario`: generate variations of a scenario, run them (in parallel when the runner can),
 * and shrink the first case of each distinct failure to a minimal one with fast-check's own
 * shrinkers.
 *
 * @remarks
 * Generation and shrinking both come from fast-check with one seed: the sweep draws the cases with
 * `fc.sample(arb, { seed, numRuns })`, which is the stream `fc.check` with the same seed walks, so
 * case i is replayed for shrinking with `path: "i"` — no case travels by value from the sweep to
 * the shrinker, and `--seed S` reproduces the whole session. A candidate counts as failing only if
 * it fails the SAME check (expectation or invariant key) as the original: shrinking must not slide
 * from one bug to another. A budget (runs and wall time) bounds the shrink; what it reached so far
 * is still a valid, smaller failing case.
 */
import fc from 'fast-check';
import type { Scenario } from '../../actors/scenario/scenario.schema.js';
import { scenarioVariation } from '../arbitraries/scenario.arb.js';
import type { FuzzBounds } from '../fuzz-bounds.schema.js';
import type { CaseRunner, CaseVerdict } from './case-runner.js';

export interface FuzzOptions {
  readonly bounds: FuzzBounds;
  readonly runner: CaseRunner;
  readonly runs: number;
  readonly seed: number;
  /** Distinct failures (by check) to shrink; default 3. */
  readonly maxFailures?: number;
  /** Per failure: most shrink runs (default 2,000) and wall ms (default 60,000). */
  readonly shrinkBudget?: { readonly runs?: number; readonly ms?: number };
  /** After each case of the sweep. */
  readonly onCase?: (done: number, total: number, failed: number) => void;
  /** Shrinking progress: runs tried and the current minimal case's size. */
  readonly onShrink?: (key: string, tried: number) => void;
}

export interface FuzzFailure {
  /** Check that failed: `expect:<kind>[:<vehicle>]` or `invariant:<name>`. */
  readonly key: string;
  /** Index of the first case that failed this way (fast-check path). */
  readonly index: number;
  readonly original: { readonly scenario: Scenario; readonly verdict: CaseVerdict };
  readonly minimal: { readonly scenario: Scenario; readonly verdict: CaseVerdict; readonly reason: string };
  readonly shrinkRuns: number;
  readonly shrinkSteps: number;
  readonly shrink_ms: number;
  /** The budget ran out before fast-check had tried every smaller candidate. */
  readonly budgetExhausted: boolean;
}

export interface FuzzResult {
  readonly seed: number;
  readonly runs: number;
  readonly failedRuns: number;
  /** Failing runs per check key. */
  readonly failureCounts: Readonly<Record<string, number>>;
  readonly failures: readonly FuzzFailure[];
  readonly sweep_ms: number;
}

/** Fuzzes `base` within `bounds`; never throws for a failing case, only for bad options. */
export async function fuzzScenario(base: Scenario, opts: FuzzOptions): Promise<FuzzResult> {
  const arb = scenarioVariation(base, opts.bounds);
  const cases = fc.sample(arb, { seed: opts.seed, numRuns: opts.runs });
  const t0 = performance.now();
  let done = 0;
  let failedRuns = 0;
  const counts: Record<string, number> = {};
  const firsts = new Map<string, { index: number; verdict: CaseVerdict }>();
  // Keep each worker fed (one queued behind the running case), but never start every case at
  // once: in-process runs would all interleave on one event loop.
  const inFlight = opts.runner.parallelism > 1 ? opts.runner.parallelism * 2 : 1;
  let next = 0;
  const lane = async () => {
    while (next < cases.length) {
      const index = next++;
      const verdict = await opts.runner.run(cases[index]!);
      done++;
      if (!verdict.passed) {
        failedRuns++;
        for (const f of verdict.failures) {
          counts[f.key] = (counts[f.key] ?? 0) + 1;
          const prev = firsts.get(f.key);
          if (!prev || index < prev.index) firsts.set(f.key, { index, verdict });
        }
      }
      opts.onCase?.(done, cases.length, failedRuns);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  const sweep_ms = performance.now() - t0;

  // Shrink the earliest failure of each check; a case failing two checks is shrunk for the first.
  const targets = [...firsts].sort((a, b) => a[1].index - b[1].index);
  const shrunkIndices = new Set<number>();
  const failures: FuzzFailure[] = [];
  for (const [key, first] of targets) {
    if (failures.length >= (opts.maxFailures ?? 3)) break;
    if (shrunkIndices.has(first.index) && first.verdict.failures[0]?.key !== key) continue;
    shrunkIndices.add(first.index);
    failures.push(await shrinkFailure(arb, key, first.index, cases[first.index]!, first.verdict, opts));
  }
  return { seed: opts.seed, runs: cases.length, failedRuns, failureCounts: counts, failures, sweep_ms };
}

async function shrinkFailure(
  arb: fc.Arbitrary<Scenario>,
  key: string,
  index: number,
  original: Scenario,
  originalVerdict: CaseVerdict,
  opts: FuzzOptions,
): Promise<FuzzFailure> {
  const maxRuns = opts.shrinkBudget?.runs ?? 2000;
  const maxMs = opts.shrinkBudget?.ms ?? 60_000;
  const t0 = performance.now();
  let tried = 0;
  let exhausted = false;
  let best = { scenario: original, verdict: originalVerdict };
  const property = fc.asyncProperty(arb, async (scenario) => {
    if (tried >= maxRuns || performance.now() - t0 > maxMs) {
      exhausted = true;
      return true; // out of budget: every further candidate "passes", so shrinking stops here
    }
    tried++;
    const verdict = await opts.runner.run(scenario);
    opts.onShrink?.(key, tried);
    if (verdict.failures.some((f) => f.key === key)) {
      best = { scenario, verdict };
      return false;
    }
    return true;
  });
  const details = await fc.check(property, { seed: opts.seed, path: String(index), numRuns: index + 1, endOnFailure: false });
  const reason = best.verdict.failures.find((f) => f.key === key)?.reason ?? '';
  return {
    key,
    index,
    original: { scenario: original, verdict: originalVerdict },
    minimal: { scenario: best.scenario, verdict: best.verdict, reason },
    shrinkRuns: tried,
    shrinkSteps: details.numShrinks,
    shrink_ms: performance.now() - t0,
    budgetExhausted: exhausted,
  };
}
