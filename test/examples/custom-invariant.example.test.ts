/**
 * Example for QA: writing your own invariant and checking it over generated fault schedules.
 *
 * An invariant is `{ name, description, check(facts) }` returning `{ ok: true }` or
 * `{ ok: false, reason }`; `facts` holds the scenario, the event log (`{seq, t_ms, source, type,
 * data}`) and the ground-truth trace of the simulator. Here: every datalink outage the twin
 * noticed must be followed by the vehicle landing within 5 m of home (the link-loss scenario's
 * promise), whatever the outage's start and length.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadScenarioFile } from '../../actors/scenario/scenario.loader.js';
import { arbitraries, invariants, runChecked, type InvariantResult, type RunFacts } from '../../testing/index.js';

/** A custom check, same shape as the library's invariants. */
function landsHome(f: RunFacts): InvariantResult {
  for (const [id, v] of f.trace.vehicles) {
    const k = v.t_ms.length - 1;
    const d = Math.hypot(v.north_m[k]!, v.east_m[k]!);
    if (v.landed[k] !== 'on_ground' || d > 5) return { ok: false, reason: `${id} ended ${v.landed[k]} ${d.toFixed(1)} m from home` };
  }
  return { ok: true };
}

describe('link-loss scenario: any single outage (example)', () => {
  it('the vehicle always comes home and lands', { timeout: 60_000 }, async () => {
    const l = await loadScenarioFile('scenarios/link-loss.yaml');
    if (!l.ok) throw new Error(l.error.message);
    const base = l.value;
    const outages = arbitraries.faultSchedule({ vehicles: ['drone1'], at_s: [30, 200], count: [1, 1], kinds: ['link_loss'], link_loss_s: [1, 90] });
    await fc.assert(
      fc.asyncProperty(outages, async (faults) => {
        const run = await runChecked({ ...base, faults, expect: [] });
        const facts: RunFacts = { scenario: base, log: run.log.entries, trace: run.trace, options: invariants.defaultInvariantOptions(), end_ms: run.report.simulatedSeconds * 1000 };
        expect(landsHome(facts)).toEqual({ ok: true });
        // The library's link invariant too: a long outage raises the twin's link_lost failsafe.
        expect(run.invariants.find((v) => v.name === 'link_failsafe')!.result).toEqual({ ok: true });
      }),
      { numRuns: 10, seed: 42 },
    );
  });
});
