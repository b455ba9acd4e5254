/**
 * The neutral mission-file model: what a QGroundControl `.plan` and a `QGC WPL 110` file have in
 * common, as MAVLink sees it (MISSION_ITEM_INT fields), plus the fence, rally points and home a
 * `.plan` adds. Every reader produces it, every writer takes it.
 *
 * @remarks
 * Items stay raw (command numbers, frames, seven params) so that commands we do not fly survive
 * a round trip untouched; `toMissionItems` lifts the ones we do fly into `core/mission.ts` items.
 * Keys a `.plan` carries that MAVLink has no field for (QGC's `Altitude`, `AltitudeMode`,
 * `cruiseSpeed`…) are kept in `extra` so that writing back gives the same file.
 */
import type { Failure, Result } from '../result.js';
import { MAV_FRAME } from '../mavlink-mission/mav-enums.js';

// One table of MAVLink command and frame numbers for the whole project (core/mavlink-mission).
export { MAV_CMD, MAV_FRAME } from '../mavlink-mission/mav-enums.js';

/** One MAVLink mission item (MISSION_ITEM_INT's fields, positions in degrees). */
export interface RawMissionItem {
  /** Position in the mission, from 0 (home is not an item; see {@link MissionPlan.home}). */
  seq: number;
  /** MAV_FRAME. */
  frame: number;
  /** MAV_CMD. */
  command: number;
  current: boolean;
  autocontinue: boolean;
  /** param1..param4; NaN where the file has no value (`null` in a `.plan`). */
  params: [number, number, number, number];
  /** param5: latitude (deg) in a global frame. */
  x: number;
  /** param6: longitude (deg) in a global frame. */
  y: number;
  /** param7: altitude (m, reference set by `frame`). */
  z: number;
  /** QGC's DO_JUMP target id (auto-numbered from 1 when absent). */
  doJumpId?: number;
  /** Index in {@link MissionPlan.complex} of the complex item (survey) this item was expanded from. */
  complex?: number;
  /** `.plan` SimpleItem keys with no MAVLink field (`Altitude`, `AltitudeMode`…), kept verbatim. */
  extra?: Record<string, unknown>;
}

export interface LatLon {
  lat_deg: number;
  lon_deg: number;
}

/** Planned home: WGS84, altitude above mean sea level (m). */
export interface HomePosition extends LatLon {
  alt_m: number;
  /** A WPL home line that is not in the canonical form, kept so it is written back as read. */
  raw?: RawMissionItem;
}

export interface FencePolygon {
  /** true: stay inside; false: keep out. */
  inclusion: boolean;
  /** Vertices, clockwise, no closing vertex. */
  polygon: LatLon[];
  extra?: Record<string, unknown>;
}

export interface FenceCircle {
  inclusion: boolean;
  center: LatLon;
  radius_m: number;
  extra?: Record<string, unknown>;
}

/** A rally (safe) point; altitude above home (m). */
export interface RallyPoint extends LatLon {
  alt_m: number;
}

/** A `.plan` ComplexItem as read (verbatim), written back in place of the items expanded from it. */
export interface ComplexItemSource {
  complexItemType: string;
  json: Record<string, unknown>;
}

export interface MissionPlan {
  items: RawMissionItem[];
  home?: HomePosition;
  fence: { polygons: FencePolygon[]; circles: FenceCircle[] };
  rally: RallyPoint[];
  complex: ComplexItemSource[];
  /** `.plan` keys outside the items: `groundStation`, `firmwareType`, `cruiseSpeed`… */
  extra?: { plan?: Record<string, unknown>; mission?: Record<string, unknown>; geoFence?: Record<string, unknown>; rallyPoints?: Record<string, unknown> };
}

export type MissionFileErrorCode =
  | 'MISSION_FILE.INVALID_JSON'
  | 'MISSION_FILE.INVALID_PLAN'
  | 'MISSION_FILE.INVALID_WPL'
  | 'MISSION_FILE.UNSUPPORTED'
  /** The file reads, but one item's position is unusable (latitude outside ±90°, not finite…). */
  | 'MISSION_FILE.INVALID_ITEM'
  /** The file reads, but its mission has no items. */
  | 'MISSION_FILE.EMPTY';

export type MissionFileError = Failure<MissionFileErrorCode> & {
  readonly context: { readonly path: string; readonly issues?: readonly { path: string; message: string }[] };
};

export type MissionFileResult<T> = Result<T, MissionFileErrorCode>;

/** A failure whose message starts with where it is (`mission.items.3.params: …`, `line 4: …`). */
export function fileError(code: MissionFileErrorCode, path: string, message: string, issues?: { path: string; message: string }[]): MissionFileResult<never> {
  const error: MissionFileError = { code, message: `${path}: ${message}`, context: issues ? { path, issues } : { path } };
  return { ok: false, error };
}

/** An empty plan (no items, no fence, no rally points). */
export function emptyPlan(): MissionPlan {
  return { items: [], fence: { polygons: [], circles: [] }, rally: [], complex: [] };
}

/** A raw item with defaults for everything but the command. */
export function rawItem(command: number, fields: Partial<Omit<RawMissionItem, 'command'>> = {}): RawMissionItem {
  return {
    seq: 0,
    frame: MAV_FRAME.GLOBAL_RELATIVE_ALT,
    command,
    current: false,
    autocontinue: true,
    params: [0, 0, 0, 0],
    x: 0,
    y: 0,
    z: 0,
    ...fields,
  };
}

/** Renumbers `seq` from 0, in place. */
export function renumber(items: RawMissionItem[]): RawMissionItem[] {
  items.forEach((it, i) => {
    it.seq = i;
  });
  return items;
}
