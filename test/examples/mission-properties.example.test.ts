/**
 * Example for QA: property tests of a scenario in plain vitest with `fc.assert`.
 *
 * Copy this file; outside this repository import from the package entry point:
 *   import { arbitraries, invariants, runChecked } from 'overwatch-twin/testing';
 *
 * Each property draws a variation of a shipped scenario (missions, wind, parameters, faults
 * within the bounds given here), runs it on the simulator under the virtual clock, and checks
 * invariants. A failure is printed by fast-check with its seed and path; the counterexample is a
 * scenario object — `caseFileText` turns it into a file `twin run` replays.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadScenarioFile } from '../../actors/scenario/scenario.loader.js';
import { arbitraries, FuzzBoundsSchema, invariants, runChecked } from '../../testing/index.js';

const survey = await (async () => {
  const l = await loadScenarioFile('scenarios/survey.yaml');
  if (!l.ok) throw new Error(l.error.message);
  return l.value;
})();

describe('survey under GPS loss, gusts and motor failures (example)', () => {
  it('missions always end with a recorded outcome, through legal state changes, under the ceiling', { timeout: 60_000 }, async () => {
    // Bounds in code; the same object can live in the scenario file's `fuzz:` block.
    const bounds = FuzzBoundsSchema.parse({
      vary: { missions: true, params: false },
      expect: 'none',
      faults: { kinds: ['gps_loss', 'wind_gust', 'motor_failure'], count: [1, 2], at_s: [30, 400] },
      mission: { max_extent_m: 150 },
    });
    await fc.assert(
      fc.asyncProperty(arbitraries.scenarioVariation(survey, bounds), async (scenario) => {
        const run = await runChecked(scenario, { invariants: { skip: ['geofence', 'battery_reserve', 'battery_failsafe'] } });
        const broken = run.invariants.filter((v) => !v.result.ok);
        // Returning false fails the property; the message below says why.
        expect(broken.map((v) => `${v.name}: ${!v.result.ok && v.result.reason}`)).toEqual([]);
      }),
      { numRuns: 12, seed: 7 },
    );
  });

  it('a generated waypoint mission inside the fence is flown without leaving it (no faults)', { timeout: 60_000 }, async () => {
    const world = arbitraries.worldBounds(survey);
    await fc.assert(
      fc.asyncProperty(arbitraries.waypointMission(world, { waypoints: [1, 4], alt_m: [20, 60] }), async (mission) => {
        const scenario = { ...survey, faults: [], expect: [], vehicles: [{ ...survey.vehicles[0]!, mission }] };
        const run = await runChecked(scenario);
        const geofence = run.invariants.find((v) => v.name === 'geofence')!;
        expect(geofence.result).toEqual({ ok: true });
        expect(invariants.missionOutcomeInvariant.check({ scenario, log: run.log.entries, trace: run.trace, options: invariants.defaultInvariantOptions(), end_ms: 0 })).toEqual({ ok: true });
      }),
      { numRuns: 10, seed: 3 },
    );
  });
});
