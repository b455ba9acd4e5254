/**
 * Simulated-autopilot parameters.
 *
 * @remarks
 * A flat name → number record, so the future MAVLink SITL can serve it through the PARAM
 * protocol unchanged (PARAM_VALUE carries a float and a 16-char name). Names follow PX4 where
 * PX4 has the parameter; sim-only parameters are lower_snake_case with their unit as a suffix.
 * Where our default differs from PX4's, the doc says so and why.
 */
import { fail, ok, type Result } from '../../core/result.js';

/** Documentation and bounds of one parameter. */
export interface SimParamDef {
  readonly default: number;
  readonly min: number;
  readonly max: number;
  readonly unit: string;
  readonly doc: string;
}

/** Every parameter the simulated vehicle understands, with its default and bounds. */
export const SIM_PARAM_DEFS = {
  MPC_XY_CRUISE: { default: 5, min: 0.5, max: 30, unit: 'm/s', doc: 'Horizontal cruise speed in auto modes (PX4 default).' },
  MPC_XY_VEL_MAX: { default: 12, min: 1, max: 40, unit: 'm/s', doc: 'Maximum horizontal airspeed: the authority left to fight wind.' },
  MPC_ACC_HOR: { default: 3, min: 0.5, max: 15, unit: 'm/s^2', doc: 'Horizontal acceleration limit in auto modes (PX4 default).' },
  MPC_ACC_UP_MAX: { default: 4, min: 0.5, max: 15, unit: 'm/s^2', doc: 'Upward acceleration limit.' },
  MPC_ACC_DOWN_MAX: { default: 3, min: 0.5, max: 15, unit: 'm/s^2', doc: 'Downward acceleration limit.' },
  MPC_Z_VEL_MAX_UP: { default: 3, min: 0.5, max: 8, unit: 'm/s', doc: 'Maximum climb rate (PX4 default).' },
  MPC_Z_VEL_MAX_DN: { default: 1.5, min: 0.5, max: 4, unit: 'm/s', doc: 'Maximum descent rate.' },
  MPC_TKO_SPEED: { default: 1.5, min: 0.5, max: 5, unit: 'm/s', doc: 'Climb rate during takeoff (PX4 default).' },
  COM_SPOOLUP_TIME: { default: 1, min: 0, max: 5, unit: 's', doc: 'Motor spool-up after arming before a takeoff may climb (PX4 default).' },
  MPC_TKO_RAMP_T: { default: 3, min: 0, max: 10, unit: 's', doc: 'Takeoff climb-rate ramp from 0 to MPC_TKO_SPEED (PX4 default).' },
  MPC_LAND_SPEED: { default: 0.7, min: 0.3, max: 2, unit: 'm/s', doc: 'Descent rate below MPC_LAND_ALT2 (PX4 default).' },
  MPC_LAND_ALT2: { default: 5, min: 0, max: 50, unit: 'm', doc: 'Height above home below which landing slows to MPC_LAND_SPEED.' },
  MPC_YAWRAUTO_MAX: { default: 45, min: 5, max: 360, unit: 'deg/s', doc: 'Yaw rate limit in auto modes (PX4 default).' },
  MIS_TAKEOFF_ALT: { default: 10, min: 1, max: 200, unit: 'm', doc: 'Default takeoff height (PX4: 2.5 m; 10 m suits survey work).' },
  RTL_RETURN_ALT: { default: 60, min: 2, max: 500, unit: 'm', doc: 'Minimum height for the return leg (PX4 default).' },
  RTL_DESCEND_ALT: { default: 30, min: 2, max: 500, unit: 'm', doc: 'Height over home the return descends to before landing (PX4 default).' },
  NAV_ACC_RAD: { default: 2, min: 0.1, max: 200, unit: 'm', doc: 'Acceptance radius for goto/RTL targets (PX4: 10 m; items carry their own).' },
  NAV_MC_ALT_RAD: { default: 0.8, min: 0.05, max: 10, unit: 'm', doc: 'Vertical acceptance radius (PX4 default).' },
  COM_DISARM_LAND: { default: 2, min: 0, max: 20, unit: 's', doc: 'Auto-disarm delay after touchdown (PX4 default).' },
  COM_DISARM_PRFLT: { default: 10, min: 0, max: 60, unit: 's', doc: 'Auto-disarm when armed on the ground without taking off (PX4 default; 0 = never).' },
  COM_DL_LOSS_T: { default: 10, min: 1, max: 300, unit: 's', doc: 'Datalink silence before the datalink-loss action (PX4 default).' },
  NAV_DLL_ACT: { default: 2, min: 0, max: 3, unit: 'enum', doc: 'Datalink-loss action: 0 disabled, 1 hold, 2 return, 3 land (PX4: 0).' },
  COM_LOW_BAT_ACT: { default: 3, min: 0, max: 3, unit: 'enum', doc: 'Battery action: 0 warn, 2 land at critical, 3 return at critical + land at emergency (PX4: 0).' },
  BAT_LOW_THR: { default: 0.15, min: 0.05, max: 0.5, unit: 'fraction', doc: 'Low battery warning level (PX4 default).' },
  BAT_CRIT_THR: { default: 0.07, min: 0.02, max: 0.5, unit: 'fraction', doc: 'Critical battery level (PX4 default).' },
  BAT_EMERGEN_THR: { default: 0.05, min: 0.01, max: 0.5, unit: 'fraction', doc: 'Emergency battery level (PX4 default).' },
  BAT_CAPACITY: { default: 5000, min: 100, max: 100_000, unit: 'mAh', doc: 'Usable pack capacity.' },
  BAT_N_CELLS: { default: 4, min: 1, max: 14, unit: 'cells', doc: 'Series cell count (4S).' },
  BAT_R_INTERNAL: { default: 0.02, min: 0, max: 1, unit: 'ohm', doc: 'Pack internal resistance, for voltage sag.' },
  hover_current_a: { default: 10, min: 0.5, max: 200, unit: 'A', doc: 'Current while hovering; with BAT_CAPACITY gives ~29 min hover.' },
  idle_current_a: { default: 1.5, min: 0, max: 50, unit: 'A', doc: 'Current when armed on the ground (props idling).' },
  avionics_current_a: { default: 0.3, min: 0, max: 10, unit: 'A', doc: 'Constant draw of computer, radio and GPS.' },
  climb_current_a_per_mps: { default: 2, min: 0, max: 50, unit: 'A/(m/s)', doc: 'Extra current per m/s of climb.' },
  speed_current_lin: { default: -0.03, min: -1, max: 1, unit: '1/(m/s)', doc: 'Linear airspeed term of the power curve (translational lift lowers power at moderate speed).' },
  speed_current_quad: { default: 0.004, min: 0, max: 1, unit: '1/(m/s)^2', doc: 'Quadratic airspeed term of the power curve (parasitic drag).' },
  wind_est_tau_s: { default: 1.5, min: 0.1, max: 30, unit: 's', doc: 'Time constant of the controller wind estimate: gusts faster than this push the vehicle.' },
  gps_noise_sd_m: { default: 0.4, min: 0, max: 50, unit: 'm', doc: 'Horizontal GPS error standard deviation.' },
  gps_noise_alt_sd_m: { default: 0.7, min: 0, max: 50, unit: 'm', doc: 'Vertical GPS error standard deviation.' },
  gps_rate_hz: { default: 10, min: 1, max: 50, unit: 'Hz', doc: 'GPS update rate (capped at the physics rate).' },
  GF_ACTION: { default: 2, min: 0, max: 5, unit: 'enum', doc: 'Geofence breach action: 0 none, 1 warning, 2 hold, 3 return, 4 terminate, 5 land (PX4 default).' },
  GF_MAX_HOR_DIST: { default: 0, min: 0, max: 10_000, unit: 'm', doc: 'Maximum horizontal distance from home before the geofence action; 0 = off (PX4 default).' },
  GF_MAX_VER_DIST: { default: 0, min: 0, max: 10_000, unit: 'm', doc: 'Maximum height above home before the geofence action; 0 = off (PX4 default).' },
  GF_SOURCE: { default: 0, min: 0, max: 1, unit: 'enum', doc: 'Geofence position source: 0 global position, 1 GPS (the simulator has one source: the reported GPS).' },
  GF_PREDICT: { default: 0, min: 0, max: 1, unit: 'bool', doc: 'Pre-emptive geofence triggering (PX4 default 0; not simulated: the check uses the current position).' },
  max_alt_m: { default: 500, min: 1, max: 10_000, unit: 'm', doc: 'Highest mission altitude the vehicle accepts (above home).' },
} as const satisfies Record<string, SimParamDef>;

export type SimParamName = keyof typeof SIM_PARAM_DEFS;
/** The typed view of the flat parameter record. */
export type SimParams = { [K in SimParamName]: number };

export const SIM_PARAM_NAMES = Object.keys(SIM_PARAM_DEFS) as SimParamName[];

/** Default parameters (a fresh object each call, so callers may mutate it). */
export function defaultSimParams(): SimParams {
  // Object.fromEntries keeps V8 fast properties; assigning ~40 keys one by one to `{}` does not,
  // and these are read on every physics tick.
  return Object.fromEntries(SIM_PARAM_NAMES.map((name) => [name, SIM_PARAM_DEFS[name].default])) as SimParams;
}

export function isSimParamName(name: string): name is SimParamName {
  return Object.hasOwn(SIM_PARAM_DEFS, name);
}

/** Checks one value against its parameter's bounds. */
export function checkSimParam(name: string, value: number): Result<void, 'SIM.PARAM_UNKNOWN' | 'SIM.PARAM_OUT_OF_RANGE'> {
  if (!isSimParamName(name)) return fail('SIM.PARAM_UNKNOWN', `unknown parameter ${name}`);
  const def = SIM_PARAM_DEFS[name];
  if (!Number.isFinite(value) || value < def.min || value > def.max)
    return fail('SIM.PARAM_OUT_OF_RANGE', `${name}=${value} outside [${def.min}, ${def.max}] ${def.unit}`);
  return ok(undefined);
}

/**
 * Defaults overlaid with `overrides`, every value checked. Keys are always created in the same
 * order so every vehicle's params object has the same shape (keeps the per-tick reads fast).
 */
export function resolveSimParams(
  overrides: Partial<SimParams> = {},
): Result<SimParams, 'SIM.PARAM_UNKNOWN' | 'SIM.PARAM_OUT_OF_RANGE'> {
  const out = defaultSimParams();
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    const check = checkSimParam(name, value);
    if (!check.ok) return check;
    out[name as SimParamName] = value;
  }
  return ok(out);
}
