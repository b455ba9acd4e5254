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

/** An item as the vehicle stores it (PX4's mission_item_s, reduced). */
export interface StoredItem {
  readonly command: number;
  /** amsl: altitude above mean sea level; rel: above home; mission: no position. */
  readonly alt: 'amsl' | 'rel' | 'mission';
  readonly param1: number;
  readonly param2: number;
  readonly param3: number;
  readonly param4: number;
  /** Global items: latitude/longitude in degrees; MISSION frame: the raw x/y params. */
  readonly x: number;
  readonly y: number;
  readonly z: number;
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
    const alt = f === Frame.GLOBAL || f === Frame.GLOBAL_INT ? 'amsl' : 'rel';
    const x = intMode ? w.x * 1e-7 : w.x, y = intMode ? w.y * 1e-7 : w.y;
    const base = { command: w.command, alt, x, y, z: w.z, autocontinue: w.autocontinue, param1: 0, param2: 0, param3: 0, param4: 0 } as const;
    if (missionType === MissionType.MISSION && FENCE_OR_RALLY.has(w.command)) return MissionResult.ERROR;
    switch (w.command) {
      case Cmd.NAV_WAYPOINT:
        return { ...base, param1: w.param1, param2: w.param2, param4: wrapDeg(w.param4) };
      case Cmd.NAV_LOITER_UNLIM:
        return { ...base, param3: w.param3, param4: wrapDeg(w.param4) };
      case Cmd.NAV_LOITER_TIME:
        return { ...base, param1: w.param1, param2: flag(w.param2), param3: w.param3, param4: flag(w.param4) };
      case Cmd.NAV_LAND:
        return { ...base, param2: w.param2, param4: wrapDeg(w.param4) };
      case Cmd.NAV_TAKEOFF:
        return { ...base, param4: wrapDeg(w.param4) };
      case Cmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION:
      case Cmd.NAV_FENCE_POLYGON_VERTEX_EXCLUSION: {
        const vertices = Math.floor(w.param1 + 0.5) & 0xffff;
        if (missionType === MissionType.FENCE && vertices < 3) return MissionResult.ERROR;
        return { ...base, param1: vertices };
      }
      case Cmd.NAV_FENCE_CIRCLE_INCLUSION:
      case Cmd.NAV_FENCE_CIRCLE_EXCLUSION:
        return { ...base, param1: w.param1 };
      default:
        return base;
    }
  }
  if (f === Frame.MISSION) {
    if (!MISSION_FRAME_CMDS.has(w.command)) return MissionResult.UNSUPPORTED;
    return {
      command: w.command, alt: 'mission', param1: w.param1, param2: w.param2, param3: w.param3, param4: w.param4,
      x: w.x, y: w.y, z: w.z, autocontinue: w.autocontinue,
    };
  }
  return MissionResult.UNSUPPORTED_FRAME;
}

/** PX4's format of a stored item for download, in the link's int mode. */
export function formatItem(s: StoredItem, intMode: boolean): WireItem {
  if (s.alt === 'mission') {
    return {
      frame: Frame.MISSION, command: s.command, param1: s.param1, param2: s.param2, param3: s.param3, param4: s.param4,
      x: intMode ? Math.round(s.x) : Math.fround(s.x), y: intMode ? Math.round(s.y) : Math.fround(s.y), z: s.z,
      autocontinue: s.autocontinue,
    };
  }
  const frame = s.alt === 'rel'
    ? (intMode ? Frame.GLOBAL_RELATIVE_ALT_INT : Frame.GLOBAL_RELATIVE_ALT)
    : (intMode ? Frame.GLOBAL_INT : Frame.GLOBAL);
  return {
    frame, command: s.command, param1: s.param1, param2: s.param2, param3: s.param3, param4: s.param4,
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
 * Turns an accepted plan into the simulator's items. Nav items become waypoint / takeoff / land /
 * rtl; DO_CHANGE_SPEED sets the speed of the following waypoints; the camera items mark
 * captures: IMAGE_START_CAPTURE of one image captures on arrival at the preceding waypoint
 * (where PX4 would execute it), continuous capture and DO_SET_CAM_TRIGG_DIST/INTERVAL capture
 * at every following waypoint until stopped (the simulator captures on arrival, not by distance).
 * Other DO items have no effect in the simulator.
 */
export function toWorldPlan(items: readonly StoredItem[], homeAlt_m: number, defaultAcceptance_m: number): WorldPlan {
  const out: MissionItem[] = [];
  const seqOf: number[] = [];
  let speed: number | undefined;
  let captureEach = false;
  let captureNext = false;
  let lastWaypoint = -1;
  const altRel = (s: StoredItem) => (s.alt === 'amsl' ? s.z - homeAlt_m : s.z);
  items.forEach((s, seq) => {
    const push = (item: MissionItem) => {
      out.push(item);
      seqOf.push(seq);
    };
    switch (s.command) {
      case Cmd.NAV_WAYPOINT:
      case Cmd.NAV_LOITER_TIME:
      case Cmd.NAV_LOITER_UNLIM: {
        const hold = s.command === Cmd.NAV_WAYPOINT ? s.param1 : s.command === Cmd.NAV_LOITER_TIME ? s.param1 : 3600;
        const acc = s.command === Cmd.NAV_WAYPOINT && s.param2 > 0 ? s.param2 : defaultAcceptance_m;
        lastWaypoint = out.length;
        push({
          kind: 'waypoint', lat_deg: s.x, lon_deg: s.y, alt_m: altRel(s), hold_s: Math.max(0, Number.isFinite(hold) ? hold : 0),
          acceptance_m: Math.min(100, acc), speed_mps: speed, capture: captureEach || captureNext,
        });
        captureNext = false;
        break;
      }
      case Cmd.NAV_TAKEOFF:
        push({ kind: 'takeoff', alt_m: altRel(s) });
        break;
      case Cmd.NAV_LAND: {
        const hasPos = Number.isFinite(s.x) && Number.isFinite(s.y) && !(s.x === 0 && s.y === 0);
        push(hasPos ? { kind: 'land', lat_deg: s.x, lon_deg: s.y } : { kind: 'land' });
        break;
      }
      case Cmd.NAV_RETURN_TO_LAUNCH:
        push({ kind: 'rtl' });
        break;
      case Cmd.DO_CHANGE_SPEED:
        // param2 speed (m/s); −1 (or any non-positive value) = no change.
        if (s.param2 > 0) speed = Math.min(50, s.param2);
        break;
      case Cmd.DO_SET_CAM_TRIGG_DIST:
      case Cmd.DO_SET_CAM_TRIGG_INTERVAL:
        captureEach = s.param1 > 0;
        break;
      case Cmd.IMAGE_START_CAPTURE:
        if (Math.round(s.param3) === 1) {
          const wp = lastWaypoint >= 0 ? out[lastWaypoint] : undefined;
          if (wp && wp.kind === 'waypoint') out[lastWaypoint] = { ...wp, capture: true };
          else captureNext = true;
        } else captureEach = true;
        break;
      case Cmd.IMAGE_STOP_CAPTURE:
        captureEach = false;
        break;
      default:
        break;
    }
  });
  return { items: out, seqOf };
}
