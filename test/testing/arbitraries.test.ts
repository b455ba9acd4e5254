/**
 * The arbitraries produce valid scenarios inside their world's bounds, and the fuzz sweep's
 * `fc.sample` stream is the one `fc.check` replays by path (shrinking relies on it).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { loadScenarioFile, parseScenario } from '../../actors/scenario/scenario.loader.js';
import { ScenarioSchema, type Scenario } from '../../actors/scenario/scenario.schema.js';
import { SIM_PARAM_DEFS, SimFaultSchema } from '../../hardware/sim/index.js';
import { arbitraries, fuzzBoundsOf } from '../../testing/index.js';

async function load(file: string): Promise<Scenario> {
  const l = await loadScenarioFile(file);
  if (!l.ok) throw new Error(l.error.message);
  return l.value;
}

describe('arbitraries', () => {
  it('scenario variations are valid scenario files (schema and cross-field rules, through YAML)', async () => {
    for (const file of ['scenarios/datalink-blind.yaml', 'scenarios/survey.yaml', 'scenarios/fleet.yaml']) {
      const base = await load(file);
      for (const s of fc.sample(arbitraries.scenarioVariation(base), { seed: 3, numRuns: 25 })) {
        const r = parseScenario(stringify(s), file);
        expect(r.ok, r.ok ? '' : r.error.message).toBe(true);
        if (r.ok) expect(r.value).toEqual(s);
      }
    }
  });

  it('generated missions stay inside the fence (with margin) and under the ceiling', async () => {
    const base = await load('scenarios/datalink-blind.yaml');
    const world = arbitraries.worldBounds(base);
    fc.assert(
      fc.property(arbitraries.mission(world), (m) => {
        const pts = m.type === 'waypoints' ? m.waypoints : m.type === 'survey' ? m.polygon : m.type === 'orbit' ? [m.center] : [];
        for (const p of pts) {
          if (!('north' in p)) return false;
          if (!world.inside({ north_m: p.north, east_m: p.east }, arbitraries.DEFAULT_MARGIN_M)) return false;
        }
        const alts = m.type === 'waypoints' ? m.waypoints.map((w) => w.alt) : 'alt' in m ? [m.alt] : [];
        return alts.every((a) => a > 0 && a <= world.maxAlt_m);
      }),
      { numRuns: 200, seed: 11 },
    );
  });

  it('parameters stay within their PX4 bounds; faults are valid and inside the window', () => {
    fc.assert(
      fc.property(arbitraries.vehicleParams({ MPC_XY_CRUISE: [0, 100], NAV_DLL_ACT: [0, 3], BAT_LOW_THR: [0.1, 0.2] }), (p) =>
        Object.entries(p).every(([n, v]) => {
          const d = SIM_PARAM_DEFS[n as keyof typeof SIM_PARAM_DEFS];
          return v >= d.min && v <= d.max && (n !== 'NAV_DLL_ACT' || Number.isInteger(v));
        }),
      ),
      { numRuns: 200, seed: 1 },
    );
    fc.assert(
      fc.property(arbitraries.faultSchedule({ vehicles: ['a', 'b'], at_s: [30, 90], count: [0, 5] }), (faults) =>
        faults.every((f, i) => SimFaultSchema.safeParse(f.fault).success && f.at_s >= 30 && f.at_s <= 90 && (i === 0 || faults[i - 1]!.at_s <= f.at_s)),
      ),
      { numRuns: 200, seed: 2 },
    );
    expect(() => arbitraries.vehicleParams({ NOT_A_PARAM: [0, 1] })).toThrow(/unknown parameter/);
  });

  it('the fuzz block is validated: unknown parameters and inverted ranges are errors', () => {
    expect(fuzzBoundsOf({ fuzz: { params: { NOPE: [0, 1] } } })).toMatchObject({ ok: false });
    expect(fuzzBoundsOf({ fuzz: { faults: { at_s: [50, 10] } } })).toMatchObject({ ok: false });
    expect(fuzzBoundsOf({ fuzz: { params: { NAV_DLL_ACT: [0, 9] } } })).toMatchObject({ ok: false });
    expect(fuzzBoundsOf({})).toMatchObject({ ok: true });
  });

  it('fc.sample(seed) yields the values fc.check replays by path (what shrinking builds on)', async () => {
    const base = await load('scenarios/datalink-blind.yaml');
    const arb = arbitraries.scenarioVariation(base);
    const sampled = fc.sample(arb, { seed: 9, numRuns: 12 });
    for (const index of [0, 5, 11]) {
      let seen: Scenario | undefined;
      fc.check(fc.property(arb, (s) => ((seen ??= s), false)), { seed: 9, path: String(index), numRuns: 12, endOnFailure: true });
      expect(seen).toEqual(sampled[index]);
    }
  });

  it('a variation of a scenario is a Scenario (schema output) and keeps its vehicles', async () => {
    const base = await load('scenarios/fleet.yaml');
    const [s] = fc.sample(arbitraries.scenarioVariation(base), { seed: 1, numRuns: 1 });
    expect(ScenarioSchema.parse(s)).toEqual(s);
    expect(s!.vehicles.map((v) => v.id)).toEqual(base.vehicles.map((v) => v.id));
  });
});
