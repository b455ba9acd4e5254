/**
 * The `fuzz:` block of a scenario file: the bounds `twin fuzz` varies the scenario within, and
 * the tolerances of the invariants it checks. Every field is optional; what a scenario leaves
 * out gets a default that suits a single-drone mission of a few to twenty minutes.
 *
 * @remarks
 * The scenario schema accepts `fuzz` as a free-form record so the runtime does not depend on the
 * testing library; this module is its real schema, applied with `safeParse` wherever a fuzz
 * block is read (the fuzz command, `twin run` of a minimal failing case).
 *
 * @example
 * fuzz:
 *   runs: 200
 *   faults: { kinds: [link_loss, battery_drop], count: [1, 3], link_loss_s: [10, 240] }
 *   wind: { speed_mps: [0, 8] }
 *   params: { MPC_XY_CRUISE: [3, 10] }
 *   invariants: { battery_failsafe_s: 10 }
 */
import { z } from 'zod';
import { SIM_PARAM_DEFS, isSimParamName } from '../hardware/sim/index.js';
import type { Scenario } from '../actors/scenario/scenario.schema.js';

/** `[min, max]`, min ≤ max. */
const range = (lo: number, hi: number) =>
  z
    .tuple([z.number().min(lo).max(hi), z.number().min(lo).max(hi)])
    .refine(([a, b]) => a <= b, 'expected [min, max] with min ≤ max');

export const FAULT_KINDS = ['link_loss', 'gps_loss', 'battery_drop', 'motor_failure', 'wind_gust', 'sensor_failure'] as const;
export type FuzzFaultKind = (typeof FAULT_KINDS)[number];

export const INVARIANT_NAMES = [
  'geofence',
  'altitude',
  'separation',
  'battery_reserve',
  'mission_progress',
  'mission_outcome',
  'legal_transitions',
  'battery_failsafe',
  'link_failsafe',
] as const;
export type InvariantName = (typeof INVARIANT_NAMES)[number];

/** Which of the scenario's own expectations a variation must still meet. */
export const ExpectFilterSchema = z.union([z.enum(['all', 'none', 'safety']), z.array(z.string().min(1)).max(20)]);

export const InvariantOptionsSchema = z.strictObject({
  /** Invariants not to check. */
  skip: z.array(z.enum(INVARIANT_NAMES)).default([]),
  /** How far (m) outside the fence counts as a breach: GPS noise makes the twin's view differ. */
  geofence_margin_m: z.number().min(0).max(100).default(2),
  /** A breach must raise the geofence failsafe within this many seconds. */
  geofence_failsafe_s: z.number().positive().max(600).default(10),
  /** Ceiling (m above home); default the fence's max_alt, else unchecked. */
  max_alt_m: z.number().positive().max(10_000).optional(),
  /** Tolerance above the ceiling (m): a climb overshoots slightly. */
  altitude_margin_m: z.number().min(0).max(100).default(3),
  /** Minimum distance between airborne vehicles (m). */
  min_separation_m: z.number().min(0).max(1000).default(5),
  /** Charge every landing must keep (%); a crash counts as a landing. */
  battery_reserve_pct: z.number().min(0).max(100).default(3),
  /** Below the low threshold in the air, the vehicle must be returning or landing within this (s). */
  battery_failsafe_s: z.number().positive().max(600).default(10),
  /** Slack (s) on the twin's link-lost failsafe after its timeout. */
  link_failsafe_s: z.number().min(0).max(600).default(2),
});
export type InvariantOptions = z.output<typeof InvariantOptionsSchema>;

export const FuzzBoundsSchema = z.strictObject({
  /** Default number of generated cases (`--runs` overrides). */
  runs: z.number().int().min(1).max(1_000_000).default(100),
  /** Default fast-check seed (`--seed` overrides). */
  seed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
  /** Which parts of the scenario vary. */
  vary: z
    .strictObject({
      missions: z.boolean().default(true),
      faults: z.boolean().default(true),
      wind: z.boolean().default(true),
      params: z.boolean().default(true),
      seed: z.boolean().default(true),
    })
    .prefault({}),
  /**
   * Expectations checked on variations: `safety` (default) keeps those a fault cannot excuse —
   * inside_geofence, max_altitude, min_separation; `all`, `none`, or a list of kinds.
   */
  expect: ExpectFilterSchema.default('safety'),
  mission: z
    .strictObject({
      /** Mission types generated; default the base mission's own type. */
      types: z.array(z.enum(['waypoints', 'survey', 'orbit'])).min(1).optional(),
      waypoints: range(1, 200).default([1, 8]),
      alt_m: range(2, 1000).optional(),
      /** Largest survey side / orbit radius (m). */
      max_extent_m: z.number().positive().max(10_000).default(300),
    })
    .prefault({}),
  faults: z
    .strictObject({
      kinds: z.array(z.enum(FAULT_KINDS)).min(1).default([...FAULT_KINDS]),
      /** How many faults a case adds. */
      count: range(0, 50).default([0, 3]),
      /** When faults happen (sim s); default the first 60 % of the run. */
      at_s: range(0, 7 * 86_400).optional(),
      link_loss_s: range(0.5, 86_400).default([2, 120]),
      gps_loss_s: range(0.5, 86_400).default([2, 60]),
      battery_drop_pct: range(1, 100).default([5, 50]),
      gust_mps: range(0, 60).default([2, 15]),
      gust_s: range(0.5, 3600).default([2, 30]),
      /** Keep the base scenario's own faults in every case. */
      keep_base: z.boolean().default(true),
    })
    .prefault({}),
  wind: z
    .strictObject({
      speed_mps: range(0, 40).default([0, 10]),
      gust_sd_mps: range(0, 20).default([0, 2]),
    })
    .prefault({}),
  /** PX4 parameter ranges, each within the parameter's own min/max. */
  params: z
    .record(z.string(), range(-1e9, 1e9))
    .default({ MPC_XY_CRUISE: [3, 10] })
    .superRefine((rec, ctx) => {
      for (const [name, [a, b]] of Object.entries(rec)) {
        if (!isSimParamName(name)) ctx.addIssue({ code: 'custom', path: [name], message: `unknown parameter ${name}` });
        else {
          const def = SIM_PARAM_DEFS[name];
          if (a < def.min || b > def.max) ctx.addIssue({ code: 'custom', path: [name], message: `outside ${name}'s bounds [${def.min}, ${def.max}]` });
        }
      }
    }),
  invariants: InvariantOptionsSchema.prefault({}),
  /** Written into a minimal failing case: the scenario it came from and the failure it shows. */
  origin: z.strictObject({ scenario: z.string(), failure: z.string(), fuzz_seed: z.number().int().optional() }).optional(),
});
export type FuzzBounds = z.output<typeof FuzzBoundsSchema>;

export type FuzzBoundsResult = { ok: true; value: FuzzBounds } | { ok: false; message: string };

/** Validates a scenario's `fuzz:` block (absent = every default). */
export function fuzzBoundsOf(scenario: Pick<Scenario, 'fuzz'>): FuzzBoundsResult {
  const r = FuzzBoundsSchema.safeParse(scenario.fuzz ?? {});
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, message: r.error.issues.map((i) => `fuzz.${i.path.join('.')}: ${i.message}`).join('\n') };
}
