/**
 * fast-check arbitraries for the conditions a mission flies in: vehicle parameters (PX4 names,
 * within their documented min/max), wind, and fault schedules at sim times.
 *
 * @remarks
 * Values are quantised (whole seconds, tenths of m/s, whole percent) so that a shrunk case reads
 * like something a person wrote, and integers shrink towards the low end of each range: a shrunk
 * fault is as early, short and mild as still fails.
 */
import fc from 'fast-check';
import { SIM_PARAM_DEFS, isSimParamName, type SimParamName } from '../../hardware/sim/index.js';
import type { FaultSpec } from '../../actors/scenario/scenario.schema.js';
import { FAULT_KINDS, type FuzzFaultKind } from '../fuzz-bounds.schema.js';

type Range = readonly [number, number];

/** A number in `[lo, hi]` on a grid of `step`, shrinking towards `lo`. */
export function stepped(lo: number, hi: number, step: number): fc.Arbitrary<number> {
  const n = Math.max(0, Math.floor((hi - lo) / step + 1e-9));
  const digits = Math.max(0, -Math.floor(Math.log10(step)));
  return fc.integer({ min: 0, max: n }).map((k) => Number((lo + k * step).toFixed(digits)));
}

/** The grid a parameter is varied on: enums and counts are integers, the rest 1/100 of the range. */
function paramStep(name: SimParamName, lo: number, hi: number): number {
  const unit = SIM_PARAM_DEFS[name].unit;
  if (unit === 'enum' || unit === 'cells' || unit === 'mAh') return 1;
  const span = hi - lo;
  if (span <= 0) return 1;
  return 10 ** Math.floor(Math.log10(span / 100));
}

/**
 * A partial PX4 parameter record; each named parameter is present or not (absent = the base
 * value), within its range clamped to the parameter's own bounds.
 *
 * @example
 * vehicleParams({ MPC_XY_CRUISE: [3, 10], NAV_DLL_ACT: [0, 3] })
 */
export function vehicleParams(ranges: Readonly<Record<string, Range>>): fc.Arbitrary<Record<string, number>> {
  const model: Record<string, fc.Arbitrary<number>> = {};
  for (const [name, [a, b]] of Object.entries(ranges)) {
    if (!isSimParamName(name)) throw new RangeError(`unknown parameter ${name}`);
    const def = SIM_PARAM_DEFS[name];
    const lo = Math.max(a, def.min);
    const hi = Math.min(b, def.max);
    if (lo > hi) throw new RangeError(`${name}: [${a}, ${b}] is outside [${def.min}, ${def.max}]`);
    model[name] = stepped(lo, hi, paramStep(name, lo, hi));
  }
  return fc.record(model, { requiredKeys: [] }) as fc.Arbitrary<Record<string, number>>;
}

export interface WindOptions {
  readonly speed_mps?: Range;
  readonly gust_sd_mps?: Range;
}

/** Ambient wind as the scenario's `world.wind`. */
export function wind(opts: WindOptions = {}): fc.Arbitrary<{ speed_mps: number; direction_deg: number; gust_sd_mps: number }> {
  const [s0, s1] = opts.speed_mps ?? [0, 10];
  const [g0, g1] = opts.gust_sd_mps ?? [0, 2];
  return fc.record({
    speed_mps: stepped(s0, s1, 0.5),
    direction_deg: fc.integer({ min: 0, max: 359 }),
    gust_sd_mps: stepped(g0, g1, 0.1),
  });
}

export interface FaultOptions {
  readonly kinds?: readonly FuzzFaultKind[];
  readonly link_loss_s?: Range;
  readonly gps_loss_s?: Range;
  readonly battery_drop_pct?: Range;
  readonly gust_mps?: Range;
  readonly gust_s?: Range;
}

/** One fault (the simulator's fault schema), of one of `kinds`. */
export function fault(opts: FaultOptions = {}): fc.Arbitrary<FaultSpec> {
  const kinds = opts.kinds ?? FAULT_KINDS;
  const [l0, l1] = opts.link_loss_s ?? [2, 120];
  const [g0, g1] = opts.gps_loss_s ?? [2, 60];
  const [b0, b1] = opts.battery_drop_pct ?? [5, 50];
  const [w0, w1] = opts.gust_mps ?? [2, 15];
  const [d0, d1] = opts.gust_s ?? [2, 30];
  const byKind: Record<FuzzFaultKind, fc.Arbitrary<FaultSpec>> = {
    link_loss: stepped(l0, l1, 1).map((duration_s) => ({ kind: 'link_loss', duration_s })),
    gps_loss: stepped(g0, g1, 1).map((duration_s) => ({ kind: 'gps_loss', duration_s })),
    battery_drop: stepped(b0, b1, 1).map((pct) => ({ kind: 'battery_drop', pct })),
    motor_failure: fc.constant({ kind: 'motor_failure' }),
    wind_gust: fc
      .record({ speed_mps: stepped(w0, w1, 0.5), direction_deg: fc.integer({ min: 0, max: 359 }), duration_s: stepped(d0, d1, 1) })
      .map((g) => ({ kind: 'wind_gust', ...g })),
    sensor_failure: fc.constantFrom('camera', 'lidar').map((sensor) => ({ kind: 'sensor_failure', sensor })),
  };
  return fc.oneof(...kinds.map((k) => byKind[k]));
}

export interface FaultScheduleOptions extends FaultOptions {
  /** Vehicles a fault may hit. */
  readonly vehicles: readonly string[];
  /** Sim-time window `[from, to]` (s) faults happen in. */
  readonly at_s: Range;
  /** How many faults (default [0, 3]). */
  readonly count?: Range;
}

/** A fault schedule: `{ at_s, vehicle, fault }[]`, sorted by time, as a scenario's `faults`. */
export function faultSchedule(opts: FaultScheduleOptions) {
  const [c0, c1] = opts.count ?? [0, 3];
  const [t0, t1] = opts.at_s;
  const timed = fc.record({
    at_s: stepped(t0, t1, 1),
    vehicle: fc.constantFrom(...opts.vehicles),
    fault: fault(opts),
  });
  return fc
    .array(timed, { minLength: c0, maxLength: c1 })
    .map((faults) => [...faults].sort((a, b) => a.at_s - b.at_s));
}
