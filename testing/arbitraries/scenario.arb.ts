/**
 * Variations of a scenario: its missions, parameters, wind, fault schedule and seed, each drawn
 * within the bounds of the scenario's `fuzz:` block and its world. Every generated value is a
 * complete, validated {@link Scenario} — written out, it is a scenario file `twin run` flies.
 *
 * @remarks
 * Each varied part is optional and shrinks to "as in the base scenario" (fast-check's `option`
 * shrinks to nil), so a minimal failing case differs from the base only where it must.
 */
import fc from 'fast-check';
import { ScenarioSchema, type ExpectationSpec, type MissionSpec, type Scenario, type ScenarioInput } from '../../actors/scenario/scenario.schema.js';
import type { FuzzBounds } from '../fuzz-bounds.schema.js';
import { FuzzBoundsSchema } from '../fuzz-bounds.schema.js';
import { faultSchedule, vehicleParams, wind } from './conditions.arb.js';
import { mission } from './mission.arb.js';
import { worldBounds } from './world-bounds.js';

/** Expectations no injected fault excuses; the default set checked on variations. */
export const SAFETY_EXPECTATIONS: readonly ExpectationSpec['kind'][] = ['inside_geofence', 'max_altitude', 'min_separation'];

/** The base scenario's expectations a variation keeps, per the `expect` filter. */
export function expectationsFor(base: Scenario, filter: FuzzBounds['expect']): ExpectationSpec[] {
  if (filter === 'all') return [...base.expect];
  if (filter === 'none') return [];
  const kinds: readonly string[] = filter === 'safety' ? SAFETY_EXPECTATIONS : filter;
  return base.expect.filter((e) => kinds.includes(e.kind));
}

/**
 * Variations of `base` within `bounds` (default: the scenario's own `fuzz:` block, else defaults).
 *
 * @example
 * fc.assert(fc.asyncProperty(scenarioVariation(base), async (s) => (await runChecked(s)).report.passed));
 */
export function scenarioVariation(base: Scenario, bounds: FuzzBounds = FuzzBoundsSchema.parse(base.fuzz ?? {})): fc.Arbitrary<Scenario> {
  const world = worldBounds(base);
  const ids = base.vehicles.map((v) => v.id);
  const { vary } = bounds;
  const none = fc.constant(undefined);

  const perVehicle = base.vehicles.map((v) => {
    const m = v.mission;
    const missionArb: fc.Arbitrary<MissionSpec | undefined> =
      vary.missions && m
        ? fc.option(
            mission(world, {
              // Plan files and raw items cannot be generated: vary them as waypoint missions.
              types: bounds.mission.types ?? [m.type === 'plan' || m.type === 'items' ? 'waypoints' : m.type],
              waypoints: bounds.mission.waypoints,
              alt_m: bounds.mission.alt_m,
              max_extent_m: bounds.mission.max_extent_m,
              end: 'end' in m ? m.end : 'rtl',
            }).map((x) => ({ ...x, start_at_s: m.start_at_s })),
            { nil: undefined },
          )
        : none;
    const paramsArb = vary.params && Object.keys(bounds.params).length > 0 ? vehicleParams(bounds.params) : fc.constant({});
    return fc.record({ mission: missionArb, params: paramsArb });
  });

  const at_s = bounds.faults.at_s ?? [0, Math.floor(base.duration_s * 0.6)];
  const faultsArb = vary.faults ? faultSchedule({ ...bounds.faults, vehicles: ids, at_s }) : fc.constant([]);
  const windArb = vary.wind ? fc.option(wind(bounds.wind), { nil: undefined }) : none;
  const seedArb = vary.seed ? fc.option(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { nil: undefined }) : none;
  const expect = expectationsFor(base, bounds.expect);

  return fc.record({ vehicles: fc.tuple(...perVehicle), faults: faultsArb, wind: windArb, seed: seedArb }).map((c): Scenario => {
    const input: ScenarioInput = {
      ...base,
      seed: c.seed ?? base.seed,
      world: { ...base.world, wind: c.wind ?? base.world.wind },
      vehicles: base.vehicles.map((v, i) => {
        const pv = c.vehicles[i]!;
        return { ...v, params: { ...v.params, ...pv.params }, mission: pv.mission ?? v.mission };
      }),
      faults: [...(bounds.faults.keep_base ? base.faults : []), ...c.faults].sort((a, b) => a.at_s - b.at_s),
      expect,
    };
    return ScenarioSchema.parse(input);
  });
}
