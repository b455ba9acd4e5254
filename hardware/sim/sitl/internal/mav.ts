/**
 * MAVLink numbers the SITL speaks, by name (a subset of `common`/`minimal`), plus small helpers
 * for the untyped parts of node-mavlink messages.
 *
 * @remarks
 * node-mavlink types enum fields with TypeScript enums that reject plain numbers; the SITL reads
 * numbers off the wire and writes numbers back, so it uses these constants and {@link setFields}.
 */
import type { MavLinkData } from 'node-mavlink';

/** PX4's autopilot component (MAV_COMP_ID_AUTOPILOT1). */
export const COMP_AUTOPILOT = 1;
/** MAV_COMP_ID_MISSIONPLANNER: PX4 also accepts mission messages addressed to it. */
export const COMP_MISSIONPLANNER = 190;

export const MsgId = {
  HEARTBEAT: 0, SYS_STATUS: 1, PARAM_REQUEST_READ: 20, PARAM_REQUEST_LIST: 21, PARAM_VALUE: 22, PARAM_SET: 23,
  GPS_RAW_INT: 24, ATTITUDE: 30, LOCAL_POSITION_NED: 32, GLOBAL_POSITION_INT: 33, MISSION_ITEM: 39,
  MISSION_REQUEST: 40, MISSION_SET_CURRENT: 41, MISSION_CURRENT: 42, MISSION_REQUEST_LIST: 43, MISSION_COUNT: 44,
  MISSION_CLEAR_ALL: 45, MISSION_ITEM_REACHED: 46, MISSION_ACK: 47, MISSION_REQUEST_INT: 51, MISSION_ITEM_INT: 73,
  VFR_HUD: 74, COMMAND_INT: 75, COMMAND_LONG: 76, COMMAND_ACK: 77, CAMERA_TRIGGER: 112, AUTOPILOT_VERSION: 148,
  BATTERY_STATUS: 147, HOME_POSITION: 242, MESSAGE_INTERVAL: 244, EXTENDED_SYS_STATE: 245, STATUSTEXT: 253,
} as const;

export const Cmd = {
  NAV_WAYPOINT: 16, NAV_LOITER_UNLIM: 17, NAV_LOITER_TIME: 19, NAV_RETURN_TO_LAUNCH: 20, NAV_LAND: 21,
  NAV_TAKEOFF: 22, DO_JUMP: 177, DO_SET_MODE: 176, DO_CHANGE_SPEED: 178, DO_REPOSITION: 192,
  DO_SET_CAM_TRIGG_DIST: 206, DO_SET_CAM_TRIGG_INTERVAL: 214, DO_SET_MISSION_CURRENT: 224,
  MISSION_START: 300, COMPONENT_ARM_DISARM: 400, GET_MESSAGE_INTERVAL: 510, SET_MESSAGE_INTERVAL: 511,
  REQUEST_MESSAGE: 512, REQUEST_AUTOPILOT_CAPABILITIES: 520, IMAGE_START_CAPTURE: 2000, IMAGE_STOP_CAPTURE: 2001,
  NAV_FENCE_POLYGON_VERTEX_INCLUSION: 5001, NAV_FENCE_POLYGON_VERTEX_EXCLUSION: 5002,
  NAV_FENCE_CIRCLE_INCLUSION: 5003, NAV_FENCE_CIRCLE_EXCLUSION: 5004, NAV_RALLY_POINT: 5100,
} as const;

export const Result = { ACCEPTED: 0, TEMPORARILY_REJECTED: 1, DENIED: 2, UNSUPPORTED: 3, FAILED: 4 } as const;

export const MissionResult = {
  ACCEPTED: 0, ERROR: 1, UNSUPPORTED_FRAME: 2, UNSUPPORTED: 3, NO_SPACE: 4, INVALID: 5, INVALID_PARAM1: 6,
  INVALID_SEQUENCE: 13, DENIED: 14, OPERATION_CANCELLED: 15,
} as const;

export const Frame = { GLOBAL: 0, MISSION: 2, GLOBAL_RELATIVE_ALT: 3, GLOBAL_INT: 5, GLOBAL_RELATIVE_ALT_INT: 6 } as const;

export const MissionType = { MISSION: 0, FENCE: 1, RALLY: 2, ALL: 255 } as const;

export const Severity = { EMERGENCY: 0, ALERT: 1, CRITICAL: 2, ERROR: 3, WARNING: 4, NOTICE: 5, INFO: 6, DEBUG: 7 } as const;

export const ParamType = { INT32: 6, REAL32: 9 } as const;

export const MavType = { QUADROTOR: 2, GCS: 6 } as const;
export const AUTOPILOT_PX4 = 12;
export const ModeFlag = { CUSTOM_MODE_ENABLED: 1, AUTO_ENABLED: 4, GUIDED_ENABLED: 8, STABILIZE_ENABLED: 16, MANUAL_INPUT_ENABLED: 64, SAFETY_ARMED: 128 } as const;
export const MavState = { STANDBY: 3, ACTIVE: 4, CRITICAL: 5, EMERGENCY: 6 } as const;

/** MAV_CMD_COMPONENT_ARM_DISARM param2 magic that forces (dis)arming. */
export const FORCE_ARM_MAGIC = 21196;

/** Creates a message of class `C` with the given fields (numbers for enum fields). */
export function msg<C extends new () => MavLinkData>(C: C, fields: Record<string, unknown>): InstanceType<C> {
  const m = new C() as InstanceType<C>;
  setFields(m, fields);
  return m;
}

export function setFields(m: MavLinkData, fields: Record<string, unknown>): void {
  Object.assign(m as unknown as Record<string, unknown>, fields);
}

/** A numeric field of a decoded message (0 when absent, e.g. a truncated MAVLink 1 payload). */
export function num(m: MavLinkData, field: string): number {
  const v = (m as unknown as Record<string, unknown>)[field];
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : 0;
}

export function str(m: MavLinkData, field: string): string {
  const v = (m as unknown as Record<string, unknown>)[field];
  return typeof v === 'string' ? v : '';
}

/**
 * Whether a message addressed to (`targetSystem`, `targetComponent`) is for this autopilot: its
 * own system id or broadcast (0), and its component, broadcast, or (for missions) the planner.
 */
export function isForUs(sysid: number, targetSystem: number, targetComponent: number, alsoComponent = -1): boolean {
  if (targetSystem !== 0 && targetSystem !== sysid) return false;
  return targetComponent === 0 || targetComponent === COMP_AUTOPILOT || targetComponent === alsoComponent;
}
