/**
 * Mission items between MAVLink and the simulator: PX4's parse (`parse_mavlink_mission_item`)
 * and format (`format_mavlink_mission_item`) rules, and the conversion of an accepted plan into
 * the world's {@link MissionItem}s. Pure functions, no I/O.
 *
 * @remarks
 * What PX4 does and this reproduces:
 * - Frames: GLOBAL (0) and GLOBAL_RELATIVE_ALT (3) always; GLOBAL_INT (5) and
 *   GLOBAL_RELATIVE_ALT_INT (6) only once the link is in int mode; MISSION (2) for items without
 *   a position. Anything else → MAV_MISSION_UNSUPPORTED_FRAME (2).
 * - A command not allowed in its frame → MAV_MISSION_UNSUPPORTED (3): NAV_RETURN_TO_LAUNCH is
 *   only allowed in frame MISSION, so an RTL item in frame 3 rejects the upload with ACK 3.
 * - Download gives back what PX4 stored, not the bytes sent: in int mode a relative-altitude
 *   item comes back in frame 6 (and 5 for AMSL), in legacy mode 3 (and 0); the params PX4 does
 *   not keep for a nav command come back as 0 (e.g. waypoint param3).
 *
 * What the simulator cannot fly is refused here rather than silently ignored: DO_JUMP and the
 * global-frame commands beyond waypoint/loiter/takeoff/land/fence/rally answer UNSUPPORTED.
 */
import type { MissionItem } from '../../../core/mission.js';
import { decodeMission, type MissionRow } from '../../../core/mavlink-mission/index.js';
import { Cmd, Frame, MissionResult, MissionType } from './internal/mav.js';

/** Maximum items per mission type (PX4: waypoints, fence points, safe points). */
export const MAX_ITEMS: Readonly<Record<number, number>> = { [MissionType.MISSION]: 2000, [MissionType.FENCE]: 64, [MissionType.RALLY]: 8 };

/** A MISSION_ITEM(_INT) as received, with `intPayload` telling how to read x/y. */
export interface WireItem {
  readonly frame: number;
  readonly command: number;
  readonly param1: number;
  readonly param2: number;
  readonly param3: number;
  readonly param4: number;
  /** degE7 (MISSION_ITEM_INT) or degrees (MISSION_ITEM) for global frames; raw otherwise. */
  readonly x: number;
  readonly y: number;
  readonly z: number;
  readonly autocontinue: number;
}

/**
 * An item as the vehicle stores it (PX4's mission_item_s, reduced): a codec row whose frame is
 * normalised to GLOBAL (0, altitude above mean sea level), GLOBAL_RELATIVE_ALT (3, above home)
 * or MISSION (2, no position), x/y in degrees for the first two and raw params otherwise.
 */
export interface StoredItem extends MissionRow {
  readonly autocontinue: number;
}

const GLOBAL_CMDS = new Set<number>([
  Cmd.NAV_WAYPOINT, Cmd.NAV_LOITER_UNLIM, Cmd.NAV_LOITER_TIME, Cmd.NAV_LAND, Cmd.NAV_TAKEOFF,
  5000 /* NAV_FENCE_RETURN_POINT */, Cmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION, Cmd.NAV_FENCE_POLYGON_VERTEX_EXCLUSION,
  Cmd.NAV_FENCE_CIRCLE_INCLUSION, Cmd.NAV_FENCE_CIRCLE_EXCLUSION, Cmd.NAV_RALLY_POINT,
]);

/** PX4's MISSION-frame command list (DO_JUMP excepted: the simulator does not jump). */
const MISSION_FRAME_CMDS = new Set<number>([
  178, 179, 189, 2003, 203, 204, 205, 1000, 532, 1001, 2000, 2001, 2500, 2501, 200, 206, 260, 214, 530, 534, 3000,
  93, Cmd.NAV_RETURN_TO_LAUNCH, 196, 197, 112, 114, 187, 212, 400, 42600, 211,
]);

const FENCE_OR_RALLY = new Set<number>([5000, 5001, 5002, 5003, 5004, 5100]);

const wrapDeg = (deg: number) => (Number.isFinite(deg) ? ((deg % 360) + 360) % 360 : deg);
const flag = (v: number) => (v > 0 ? 1 : 0);

/**
 * PX4's parse of one received item. Returns the stored form, or a MAV_MISSION_RESULT code.
 * `intMode` is the link's mission int mode (true when the item came as MISSION_ITEM_INT).
 */
export function parseItem(w: WireItem, intMode: boolean, missionType: number): StoredItem | number {
  const f = w.frame;
  const global = f === Frame.GLOBAL || f === Frame.GLOBAL_RELATIVE_ALT || (intMode && (f === Frame.GLOBAL_INT || f === Frame.GLOBAL_RELATIVE_ALT_INT));
  if (global) {
    if (!GLOBAL_CMDS.has(w.command)) return MissionResult.UNSUPPORTED;
    const frame = f === Frame.GLOBAL || f === Frame.GLOBAL_INT ? Frame.GLOBAL : Frame.GLOBAL_RELATIVE_ALT;
    // degE7 / 1e7 (PX4 multiplies by 1e-7: the same to 1e-15°, but this gives back the exact degrees we sent).
    const x = intMode ? w.x / 1e7 : w.x, y = intMode ? w.y / 1e7 : w.y;
    const stored = (params: [number, number, number, number] = [0, 0, 0, 0]): StoredItem =>
      ({ command: w.command, frame, params, x, y, z: w.z, autocontinue: w.autocontinue });
    if (missionType === MissionType.MISSION && FENCE_OR_RALLY.has(w.command)) return MissionResult.ERROR;
    switch (w.command) {
      case Cmd.NAV_WAYPOINT:
        return stored([w.param1, w.param2, 0, wrapDeg(w.param4)]);
      case Cmd.NAV_LOITER_UNLIM:
        return stored([0, 0, w.param3, wrapDeg(w.param4)]);
      case Cmd.NAV_LOITER_TIME:
        return stored([w.param1, flag(w.param2), w.param3, flag(w.param4)]);
      case Cmd.NAV_LAND:
        return stored([0, w.param2, 0, wrapDeg(w.param4)]);
      case Cmd.NAV_TAKEOFF:
        return stored([0, 0, 0, wrapDeg(w.param4)]);
      case Cmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION:
      case Cmd.NAV_FENCE_POLYGON_VERTEX_EXCLUSION: {
        const vertices = Math.floor(w.param1 + 0.5) & 0xffff;
        if (missionType === MissionType.FENCE && vertices < 3) return MissionResult.ERROR;
        return stored([vertices, 0, 0, 0]);
      }
      case Cmd.NAV_FENCE_CIRCLE_INCLUSION:
      case Cmd.NAV_FENCE_CIRCLE_EXCLUSION:
        return stored([w.param1, 0, 0, 0]);
      default:
        return stored();
    }
  }
  if (f === Frame.MISSION) {
    if (!MISSION_FRAME_CMDS.has(w.command)) return MissionResult.UNSUPPORTED;
    return {
      command: w.command, frame: Frame.MISSION, params: [w.param1, w.param2, w.param3, w.param4],
      x: w.x, y: w.y, z: w.z, autocontinue: w.autocontinue,
    };
  }
  return MissionResult.UNSUPPORTED_FRAME;
}

/** PX4's format of a stored item for download, in the link's int mode. */
export function formatItem(s: StoredItem, intMode: boolean): WireItem {
  const [param1, param2, param3, param4] = s.params;
  if (s.frame === Frame.MISSION) {
    return {
      frame: Frame.MISSION, command: s.command, param1, param2, param3, param4,
      x: intMode ? Math.round(s.x) : Math.fround(s.x), y: intMode ? Math.round(s.y) : Math.fround(s.y), z: s.z,
      autocontinue: s.autocontinue,
    };
  }
  const frame = s.frame === Frame.GLOBAL_RELATIVE_ALT
    ? (intMode ? Frame.GLOBAL_RELATIVE_ALT_INT : Frame.GLOBAL_RELATIVE_ALT)
    : (intMode ? Frame.GLOBAL_INT : Frame.GLOBAL);
  return {
    frame, command: s.command, param1, param2, param3, param4,
    x: intMode ? Math.round(s.x * 1e7) : Math.fround(s.x), y: intMode ? Math.round(s.y * 1e7) : Math.fround(s.y),
    z: s.z, autocontinue: s.autocontinue,
  };
}

/** The world mission of a stored plan: its items and, per world item, the MAVLink seq it came from. */
export interface WorldPlan {
  readonly items: MissionItem[];
  readonly seqOf: number[];
}

/**
 * Turns an accepted plan into the simulator's items with the shared mission-item codec in its
 * `'fly'` mode (`core/mavlink-mission`): nav items become waypoint / takeoff / land / rtl (loiters
 * held waypoints); DO_CHANGE_SPEED sets the speed of the following waypoints and param2 ≤ 0
 * returns to the default, as PX4 v1.15 does; a single-image IMAGE_START_CAPTURE or a
 * DO_DIGICAM_CONTROL shot captures on arrival at the waypoint before it (where PX4 would execute
 * it); continuous capture and DO_SET_CAM_TRIGG_DIST/INTERVAL capture at every following waypoint
 * until stopped (the simulator captures on arrival, not by distance). Other DO items have no
 * effect in the simulator.
 */
export function toWorldPlan(items: readonly StoredItem[], homeAlt_m: number, defaultAcceptance_m: number): WorldPlan {
  const r = decodeMission(items, { unknown: 'fly', homeAlt_m, defaultAcceptance_m });
  if (!r.ok) return { items: [], seqOf: [] }; // 'fly' refuses nothing
  return { items: r.value.items as MissionItem[], seqOf: r.value.rowOf };
}
