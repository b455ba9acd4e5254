/**
 * The MAVLink command and frame numbers the project gives meaning to, in one table shared by
 * the mission-item codec, the mission files, the MAVLink adapter and the built-in SITL.
 */

/** MAV_CMD values used in missions. */
export const MAV_CMD = {
  NAV_WAYPOINT: 16,
  NAV_LOITER_UNLIM: 17,
  NAV_LOITER_TURNS: 18,
  NAV_LOITER_TIME: 19,
  NAV_RETURN_TO_LAUNCH: 20,
  NAV_LAND: 21,
  NAV_TAKEOFF: 22,
  NAV_LOITER_TO_ALT: 31,
  NAV_VTOL_TAKEOFF: 84,
  NAV_VTOL_LAND: 85,
  DO_JUMP: 177,
  DO_CHANGE_SPEED: 178,
  DO_REPOSITION: 192,
  DO_SET_ROI_LOCATION: 195,
  DO_DIGICAM_CONTROL: 203,
  DO_SET_CAM_TRIGG_DIST: 206,
  DO_SET_CAM_TRIGG_INTERVAL: 214,
  IMAGE_START_CAPTURE: 2000,
  IMAGE_STOP_CAPTURE: 2001,
  NAV_FENCE_RETURN_POINT: 5000,
  NAV_FENCE_POLYGON_VERTEX_INCLUSION: 5001,
  NAV_FENCE_POLYGON_VERTEX_EXCLUSION: 5002,
  NAV_FENCE_CIRCLE_INCLUSION: 5003,
  NAV_FENCE_CIRCLE_EXCLUSION: 5004,
  NAV_RALLY_POINT: 5100,
} as const;

/** MAV_FRAME values this project gives meaning to. */
export const MAV_FRAME = {
  /** WGS84, altitude above mean sea level. */
  GLOBAL: 0,
  /** Not a position: x, y, z are plain params 5–7. */
  MISSION: 2,
  /** WGS84, altitude above home. */
  GLOBAL_RELATIVE_ALT: 3,
  GLOBAL_INT: 5,
  GLOBAL_RELATIVE_ALT_INT: 6,
  /** WGS84, altitude above terrain. */
  GLOBAL_TERRAIN_ALT: 10,
  GLOBAL_TERRAIN_ALT_INT: 11,
} as const;

const GLOBAL_FRAMES: ReadonlySet<number> = new Set([0, 3, 5, 6, 10, 11]);

/** True for the WGS84 frames, where x/y are latitude/longitude. */
export const isGlobalFrame = (frame: number): boolean => GLOBAL_FRAMES.has(frame);

/** Commands whose x/y are a WGS84 position when their frame is global. */
const POSITIONED: ReadonlySet<number> = new Set([
  16, 17, 18, 19, 21, 22, 31, 84, 85, 192, 195, 5000, 5001, 5002, 5003, 5004, 5100,
]);

/** True when the row's x/y are meant as latitude/longitude (a positioned command in a global frame). */
export const hasPosition = (row: { readonly frame: number; readonly command: number }): boolean =>
  GLOBAL_FRAMES.has(row.frame) && POSITIONED.has(row.command);
