/**
 * LiPo battery model: current from flight state, charge by coulomb counting, terminal voltage
 * from an open-circuit curve minus I·R sag.
 *
 * @remarks
 * Hover current × capacity sets endurance (defaults: 5000 mAh, 10 A → ~29 min). Forward flight
 * follows a U-shaped power curve (translational lift first lowers power, drag then raises it),
 * climbing costs extra current. Works in place on the vehicle store; no allocation.
 */
import type { SimParams } from './params.js';
import type { VehicleStore } from './internal/vehicle-store.js';

/** Open-circuit voltage per cell (V) at state of charge 0.0, 0.1, … 1.0 (a typical LiPo curve). */
const OCV_PER_CELL = new Float64Array([3.3, 3.6, 3.7, 3.74, 3.77, 3.8, 3.84, 3.88, 3.94, 4.02, 4.2]);

/** Open-circuit cell voltage (V) for a state of charge in [0, 1]. */
export function ocvPerCell(soc: number): number {
  const x = Math.min(1, Math.max(0, soc)) * 10;
  const k = Math.min(9, Math.floor(x));
  const a = OCV_PER_CELL[k]!;
  return a + (OCV_PER_CELL[k + 1]! - a) * (x - k);
}

/**
 * Battery current (A) for a flight state.
 * @param airspeed_mps horizontal airspeed
 * @param climb_mps vertical speed, positive up
 */
export function batteryCurrent(
  p: SimParams,
  motorsOn: boolean,
  inAir: boolean,
  airspeed_mps: number,
  climb_mps: number,
): number {
  if (!motorsOn) return p.avionics_current_a;
  if (!inAir) return p.avionics_current_a + p.idle_current_a;
  const v = airspeed_mps;
  const speedFactor = Math.max(0.6, 1 + p.speed_current_lin * v + p.speed_current_quad * v * v);
  // Descending unloads the rotors somewhat; never below 80 % of hover.
  const vertical = climb_mps >= 0 ? p.climb_current_a_per_mps * climb_mps : Math.max(-0.2 * p.hover_current_a, 0.05 * p.hover_current_a * climb_mps);
  return p.avionics_current_a + p.hover_current_a * speedFactor + vertical;
}

/** Advances vehicle `i`'s battery by `dt_s` seconds at `current_a`. */
export function stepBattery(s: VehicleStore, i: number, p: SimParams, dt_s: number, current_a: number): void {
  const used = s.batUsed[i]! + (current_a * dt_s) / 3.6; // 1 mAh = 3.6 A·s
  s.batUsed[i] = used;
  s.batCurrent[i] = current_a;
  updateBatteryReadout(s, i, p);
}

/** Recomputes remaining % and terminal voltage from consumed charge and current. */
export function updateBatteryReadout(s: VehicleStore, i: number, p: SimParams): void {
  const soc = Math.max(0, 1 - s.batUsed[i]! / p.BAT_CAPACITY);
  s.batPct[i] = soc * 100;
  s.batVoltage[i] = Math.max(0, p.BAT_N_CELLS * ocvPerCell(soc) - s.batCurrent[i]! * p.BAT_R_INTERNAL);
}

/** Removes `pct` percentage points of charge at once (the battery_drop fault). */
export function dropBattery(s: VehicleStore, i: number, p: SimParams, pct: number): void {
  s.batUsed[i] = Math.min(p.BAT_CAPACITY, s.batUsed[i]! + (pct / 100) * p.BAT_CAPACITY);
  updateBatteryReadout(s, i, p);
}
