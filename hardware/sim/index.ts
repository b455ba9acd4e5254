/** The built-in multirotor simulator: a world of PX4-like vehicles and their vehicle port. */
export { SimWorld } from './sim-world.js';
export type { SimWind, SimWorldOptions, AddVehicleOptions, SimWorldErrorCode } from './sim-world.js';
export { createSimVehiclePort } from './sim-vehicle.adapter.js';
export type { SimVehiclePortOptions } from './sim-vehicle.adapter.js';
export { SimFaultSchema } from './faults.js';
export type { SimFault, SimFaultKind } from './faults.js';
export {
  SIM_PARAM_DEFS, SIM_PARAM_NAMES, defaultSimParams, resolveSimParams, checkSimParam, isSimParamName,
} from './params.js';
export type { SimParams, SimParamName, SimParamDef } from './params.js';
export type { SimCommand } from './commands.js';
export { windVector } from './wind.js';
export { ocvPerCell, batteryCurrent } from './battery.model.js';
