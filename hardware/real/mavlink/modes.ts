/**
 * Flight-mode changes with MAV_CMD_DO_SET_MODE (176), per autopilot.
 *
 * @remarks
 * PX4 (`Commander::handle_command`, VEHICLE_CMD_DO_SET_MODE): param1 = base mode with
 * MAV_MODE_FLAG_CUSTOM_MODE_ENABLED (1), param2 = main mode, param3 = sub mode. The packed
 * HEARTBEAT word (`main << 16 | sub << 24`) is what PX4 *reports*, never what it takes: sent as
 * param2 it is read as an unknown main mode and denied. ArduPilot: param1 = 1, param2 = the
 * mode number. The ACK says the request was accepted; the HEARTBEAT that follows says the mode
 * was entered (the telemetry mapper reports that as a `mode` event).
 */
import type { FlightMode } from '../../../core/flight.js';
import { fail } from '../../../core/result.js';
import type { VehicleResult } from '../../vehicle.port.js';
import { COPTER_MODE_FOR, copterModeToFlightMode } from './ardupilot-modes.js';
import type { CommandAnswer, CommandProtocol, CommandRequest } from './command-protocol.js';
import { PX4_MODE_FOR, px4ModeToFlightMode } from './px4-modes.js';
import type { AutopilotKind } from './session.js';

export const MAV_CMD_DO_SET_MODE = 176;
export const MAV_MODE_FLAG_CUSTOM_MODE_ENABLED = 1;

/** The DO_SET_MODE command that puts `autopilot` into `mode`, or undefined if it has none. */
export function setModeCommand(autopilot: AutopilotKind, mode: FlightMode): CommandRequest | undefined {
  if (mode === 'unknown') return undefined;
  if (autopilot === 'ardupilot')
    return { command: MAV_CMD_DO_SET_MODE, params: [MAV_MODE_FLAG_CUSTOM_MODE_ENABLED, COPTER_MODE_FOR[mode], 0, 0, 0, 0, 0] };
  // PX4 and anything that does not say otherwise speak PX4's custom modes (our SITL does).
  const m = PX4_MODE_FOR[mode];
  return { command: MAV_CMD_DO_SET_MODE, params: [MAV_MODE_FLAG_CUSTOM_MODE_ENABLED, m.main, m.sub, 0, 0, 0, 0] };
}

/** HEARTBEAT.custom_mode → domain mode, for the autopilot that sent it. */
export function flightModeOf(autopilot: AutopilotKind, baseMode: number, customMode: number): FlightMode {
  if ((baseMode & MAV_MODE_FLAG_CUSTOM_MODE_ENABLED) === 0) return 'unknown';
  return autopilot === 'ardupilot' ? copterModeToFlightMode(customMode) : px4ModeToFlightMode(customMode);
}

/** Sets a mode through the command protocol. */
export async function setMode(
  commands: CommandProtocol,
  autopilot: AutopilotKind,
  mode: FlightMode,
  signal?: AbortSignal,
): Promise<VehicleResult<CommandAnswer>> {
  const cmd = setModeCommand(autopilot, mode);
  if (!cmd) return fail('VEHICLE.UNSUPPORTED', `no ${autopilot} mode for ${mode}`);
  return commands.send(cmd, signal);
}
