/**
 * Port mission items ⇄ MAVLink MISSION_ITEM_INT rows: the wire side of the project's one
 * mission-item codec (`core/mavlink-mission`, which documents the idioms: DO_CHANGE_SPEED before
 * a waypoint with −2 to return to the default, IMAGE_START_CAPTURE after it for a capture,
 * NAV_RETURN_TO_LAUNCH in MAV_FRAME_MISSION, takeoff/land always positioned).
 *
 * @remarks
 * What is the adapter's own: port items are validated here (MISSION.INVALID names the item),
 * positions go to degE7, ArduPilot stores home as seq 0 (prepended on upload, dropped on
 * download), and a download the port cannot express fails with the row's seq.
 * `navSeq[i]` is the MAVLink seq of port item i's NAV row; `portIndexOf[seq]` maps any row back
 * to the port item it belongs to, so progress reports speak in port indices.
 */
import type { GeoPoint } from '../../../core/geo.js';
import { MissionItemSchema, type MissionItem } from '../../../core/mission.js';
import { fail, ok, type Result } from '../../../core/result.js';
import type { AutopilotKind } from './session.js';
import { MAV_CMD, MAV_FRAME, decodeMission, encodeMission, isGlobalFrame, type MissionRow } from '../../../core/mavlink-mission/index.js';

// One table of MAVLink command and frame numbers for the whole project (mission files too).
export { MAV_CMD, MAV_FRAME };

/** MAV_MISSION_TYPE. */
export type MissionType = 0 | 1 | 2;

/** One MISSION_ITEM_INT, by value. `x`/`y` are degE7 for global frames. */
export interface MavMissionItem {
  readonly seq: number;
  readonly frame: number;
  readonly command: number;
  readonly current: number;
  readonly autocontinue: number;
  readonly param1: number;
  readonly param2: number;
  readonly param3: number;
  readonly param4: number;
  readonly x: number;
  readonly y: number;
  readonly z: number;
  readonly missionType: MissionType;
}

export interface MavPlan {
  readonly items: readonly MavMissionItem[];
  /** Port index → seq of its NAV row. */
  readonly navSeq: readonly number[];
  /** Seq → port index (undefined for ArduPilot's home row). */
  readonly portIndexOf: readonly (number | undefined)[];
  /** The port items this plan was built from. */
  readonly source: readonly MissionItem[];
}

const E7 = 1e7;
const toE7 = (deg: number) => Math.round(deg * E7);

export interface ToMavContext {
  readonly autopilot: AutopilotKind;
  /** Home, for takeoff/land rows without their own position and ArduPilot's seq 0. */
  readonly home?: GeoPoint;
}

/** Validates and converts port items; MISSION.INVALID names the item and the reason. */
export function toMavPlan(input: readonly unknown[], ctx: ToMavContext): Result<MavPlan, 'MISSION.INVALID'> {
  if (!Array.isArray(input) || input.length === 0) return fail('MISSION.INVALID', 'mission is empty');
  const items: MissionItem[] = [];
  for (let i = 0; i < input.length; i++) {
    const parsed = MissionItemSchema.safeParse(input[i]);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return fail('MISSION.INVALID', `items.${[i, ...issue.path].join('.')}: ${issue.message}`, { context: { index: i } });
    }
    items.push(parsed.data);
  }
  const enc = encodeMission(items, { target: 'vehicle', ...(ctx.home ? { home: ctx.home } : {}) });
  if (!enc.ok) return enc;
  const rows: Omit<MavMissionItem, 'seq'>[] = [];
  const owner: (number | undefined)[] = [];
  if (ctx.autopilot === 'ardupilot') {
    const h = ctx.home ?? { lat_deg: 0, lon_deg: 0, alt_m: 0 };
    rows.push({ frame: MAV_FRAME.GLOBAL, command: MAV_CMD.NAV_WAYPOINT, current: 0, autocontinue: 1, param1: 0, param2: 0, param3: 0, param4: 0, x: toE7(h.lat_deg), y: toE7(h.lon_deg), z: h.alt_m, missionType: 0 });
    owner.push(undefined);
  }
  const offset = rows.length;
  for (const { row, item } of enc.value.rows) {
    rows.push(toWire(row));
    owner.push(item);
  }
  if (rows.length > 0xffff) return fail('MISSION.INVALID', `mission has ${rows.length} MAVLink items; at most 65535 fit`);
  return ok({ items: rows.map((r, seq) => ({ ...r, seq })), navSeq: enc.value.navRow.map((k) => k + offset), portIndexOf: owner, source: items });
}

/** A codec row as MISSION_ITEM_INT fields (degE7 in global frames). */
function toWire(r: MissionRow): Omit<MavMissionItem, 'seq'> {
  const g = isGlobalFrame(r.frame);
  const [param1, param2, param3, param4] = r.params;
  return {
    frame: r.frame, command: r.command, current: 0, autocontinue: 1, param1, param2, param3, param4,
    x: g ? toE7(r.x) : r.x, y: g ? toE7(r.y) : r.y, z: r.z, missionType: 0,
  };
}

/** MISSION_ITEM_INT fields as a codec row (degrees in global frames). */
function fromWire(r: MavMissionItem): MissionRow {
  const g = isGlobalFrame(r.frame);
  return { frame: r.frame, command: r.command, params: [r.param1, r.param2, r.param3, r.param4], x: g ? r.x / E7 : r.x, y: g ? r.y / E7 : r.y, z: r.z };
}

/**
 * MAVLink rows → port items (the inverse of {@link toMavPlan} for what it writes, plus the
 * equivalent float frames and idioms the shared codec reads). Rows the port cannot express make
 * it fail with the row's seq.
 */
export function fromMavItems(rows: readonly MavMissionItem[], ctx: ToMavContext): Result<MissionItem[], 'MISSION.INVALID'> {
  const body = ctx.autopilot === 'ardupilot' ? rows.slice(1) : rows;
  const dec = decodeMission(body.map(fromWire), { unknown: 'fail', ...(ctx.home ? { homeAlt_m: ctx.home.alt_m } : {}) });
  if (!dec.ok) {
    const k = dec.error.context?.['row'] as number;
    const r = body[k]!;
    return fail('MISSION.INVALID', `seq ${r.seq}: ${dec.error.message}`, { context: { seq: r.seq, command: r.command, frame: r.frame } });
  }
  return ok(dec.value.items as MissionItem[]);
}
