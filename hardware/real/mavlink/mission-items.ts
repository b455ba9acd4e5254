/**
 * Port mission items ⇄ MAVLink MISSION_ITEM_INT rows.
 *
 * @remarks
 * - waypoint → [DO_CHANGE_SPEED (178) when the speed changes] + NAV_WAYPOINT (16) in
 *   MAV_FRAME_GLOBAL_RELATIVE_ALT_INT (6), param1 hold s, param2 acceptance m, param4 yaw NaN
 *   (keep heading logic of the autopilot) + [IMAGE_START_CAPTURE (2000) when `capture`].
 *   The speed change precedes the waypoint: DO items run when the previous NAV item completes,
 *   so the vehicle flies *towards* the waypoint at that speed. A waypoint without a speed after
 *   one with a speed resets to the default speed (param2 = -2, MAVLink's "return to default").
 * - capture uses MAV_CMD_IMAGE_START_CAPTURE (param3 = 1 image, param4 = sequence number):
 *   what QGroundControl writes for "take photo" and what PX4's navigator forwards to its camera
 *   trigger / MAVLink camera in missions; DO_DIGICAM_CONTROL (203) is read back as a capture too.
 * - takeoff → NAV_TAKEOFF (22) above home's lat/lon; land → NAV_LAND (21) at its position, or
 *   the previous position when it has none; rtl → NAV_RETURN_TO_LAUNCH (20) in MAV_FRAME_MISSION
 *   (2): PX4 rejects the whole upload when a non-positional item carries a global frame.
 * - ArduPilot stores home as seq 0: on upload a home row is prepended, on download dropped.
 * `navSeq[i]` is the MAVLink seq of port item i's NAV row; `portIndexOf[seq]` maps any row back
 * to the port item it belongs to, so progress reports speak in port indices.
 */
import type { GeoPoint } from '../../../core/geo.js';
import { MissionItemSchema, type MissionItem } from '../../../core/mission.js';
import { fail, ok, type Result } from '../../../core/result.js';
import type { AutopilotKind } from './session.js';
import { MAV_CMD, MAV_FRAME } from '../../../core/mission-files/model.js';

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
  const rows: Omit<MavMissionItem, 'seq'>[] = [];
  const owner: (number | undefined)[] = [];
  const navSeq: number[] = [];
  const push = (row: Omit<MavMissionItem, 'seq' | 'current' | 'autocontinue' | 'missionType'>, port: number | undefined) => {
    rows.push({ ...row, current: 0, autocontinue: 1, missionType: 0 });
    owner.push(port);
  };
  if (ctx.autopilot === 'ardupilot') {
    const h = ctx.home ?? { lat_deg: 0, lon_deg: 0, alt_m: 0 };
    push({ frame: MAV_FRAME.GLOBAL, command: MAV_CMD.NAV_WAYPOINT, param1: 0, param2: 0, param3: 0, param4: 0, x: toE7(h.lat_deg), y: toE7(h.lon_deg), z: h.alt_m }, undefined);
  }
  let last: { lat_deg: number; lon_deg: number } | undefined = ctx.home;
  let speedSet = false;
  let captures = 0;
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    const bad = (why: string) => fail('MISSION.INVALID', `items.${i}: ${why}`, { context: { index: i } });
    switch (it.kind) {
      case 'waypoint': {
        if (it.lat_deg === 0 && it.lon_deg === 0) return bad('waypoint at 0,0 (unset position)');
        if (it.speed_mps !== undefined || speedSet) {
          push({ frame: MAV_FRAME.MISSION, command: MAV_CMD.DO_CHANGE_SPEED, param1: 1, param2: it.speed_mps ?? -2, param3: -1, param4: 0, x: 0, y: 0, z: 0 }, i);
          speedSet = it.speed_mps !== undefined;
        }
        navSeq[i] = rows.length;
        push({ frame: MAV_FRAME.GLOBAL_RELATIVE_ALT_INT, command: MAV_CMD.NAV_WAYPOINT, param1: it.hold_s, param2: it.acceptance_m, param3: 0, param4: Number.NaN, x: toE7(it.lat_deg), y: toE7(it.lon_deg), z: it.alt_m }, i);
        if (it.capture) push({ frame: MAV_FRAME.MISSION, command: MAV_CMD.IMAGE_START_CAPTURE, param1: 0, param2: 0, param3: 1, param4: ++captures, x: 0, y: 0, z: Number.NaN }, i);
        last = it;
        break;
      }
      case 'takeoff': {
        const at = last ?? firstPosition(items, i);
        if (!at) return bad('takeoff needs home or a later waypoint for its position');
        navSeq[i] = rows.length;
        push({ frame: MAV_FRAME.GLOBAL_RELATIVE_ALT_INT, command: MAV_CMD.NAV_TAKEOFF, param1: 0, param2: 0, param3: 0, param4: Number.NaN, x: toE7(at.lat_deg), y: toE7(at.lon_deg), z: it.alt_m }, i);
        break;
      }
      case 'land': {
        const has = it.lat_deg !== undefined && it.lon_deg !== undefined;
        if ((it.lat_deg === undefined) !== (it.lon_deg === undefined)) return bad('land needs both lat_deg and lon_deg, or neither');
        if (has && it.lat_deg === 0 && it.lon_deg === 0) return bad('land at 0,0 (unset position)');
        const at = has ? { lat_deg: it.lat_deg!, lon_deg: it.lon_deg! } : last;
        if (!at) return bad('land without a position needs home or an earlier waypoint');
        navSeq[i] = rows.length;
        push({ frame: MAV_FRAME.GLOBAL_RELATIVE_ALT_INT, command: MAV_CMD.NAV_LAND, param1: 0, param2: 0, param3: 0, param4: Number.NaN, x: toE7(at.lat_deg), y: toE7(at.lon_deg), z: 0 }, i);
        last = at;
        break;
      }
      case 'rtl':
        navSeq[i] = rows.length;
        push({ frame: MAV_FRAME.MISSION, command: MAV_CMD.NAV_RETURN_TO_LAUNCH, param1: 0, param2: 0, param3: 0, param4: 0, x: 0, y: 0, z: 0 }, i);
        last = ctx.home;
        break;
    }
  }
  if (rows.length > 0xffff) return fail('MISSION.INVALID', `mission has ${rows.length} MAVLink items; at most 65535 fit`);
  return ok({ items: rows.map((r, seq) => ({ ...r, seq })), navSeq, portIndexOf: owner, source: items });
}

function firstPosition(items: readonly MissionItem[], from: number): { lat_deg: number; lon_deg: number } | undefined {
  for (let j = from; j < items.length; j++) {
    const it = items[j]!;
    if (it.kind === 'waypoint') return it;
  }
  return undefined;
}

/**
 * MAVLink rows → port items (the inverse of {@link toMavPlan} for what it writes, plus the
 * equivalent float frames). Rows the port cannot express make it fail with the row's seq.
 */
export function fromMavItems(rows: readonly MavMissionItem[], ctx: ToMavContext): Result<MissionItem[], 'MISSION.INVALID'> {
  const body = ctx.autopilot === 'ardupilot' ? rows.slice(1) : rows;
  const out: MissionItem[] = [];
  let pendingSpeed: number | undefined;
  const relAlt = (r: MavMissionItem): number | undefined => {
    if (r.frame === MAV_FRAME.GLOBAL_RELATIVE_ALT_INT || r.frame === MAV_FRAME.GLOBAL_RELATIVE_ALT) return r.z;
    if ((r.frame === MAV_FRAME.GLOBAL_INT || r.frame === MAV_FRAME.GLOBAL) && ctx.home) return r.z - ctx.home.alt_m;
    return undefined;
  };
  for (const r of body) {
    const bad = (why: string) => fail('MISSION.INVALID', `seq ${r.seq}: ${why}`, { context: { seq: r.seq, command: r.command, frame: r.frame } });
    switch (r.command) {
      case MAV_CMD.DO_CHANGE_SPEED:
        pendingSpeed = r.param2 > 0 ? r.param2 : undefined;
        break;
      case MAV_CMD.NAV_WAYPOINT: {
        const alt = relAlt(r);
        if (alt === undefined) return bad(`waypoint in unsupported frame ${r.frame}`);
        const wp: MissionItem = {
          kind: 'waypoint', lat_deg: r.x / E7, lon_deg: r.y / E7, alt_m: alt, hold_s: r.param1 || 0,
          acceptance_m: r.param2 > 0 ? r.param2 : 2, capture: false, ...(pendingSpeed !== undefined ? { speed_mps: pendingSpeed } : {}),
        };
        out.push(wp);
        break;
      }
      case MAV_CMD.IMAGE_START_CAPTURE:
      case MAV_CMD.DO_DIGICAM_CONTROL: {
        const prev = out.at(-1);
        if (prev?.kind !== 'waypoint') return bad('camera trigger not after a waypoint');
        out[out.length - 1] = { ...prev, capture: true };
        break;
      }
      case MAV_CMD.NAV_TAKEOFF: {
        const alt = relAlt(r);
        if (alt === undefined) return bad(`takeoff in unsupported frame ${r.frame}`);
        out.push({ kind: 'takeoff', alt_m: alt });
        break;
      }
      case MAV_CMD.NAV_LAND:
        out.push(r.x === 0 && r.y === 0 ? { kind: 'land' } : { kind: 'land', lat_deg: r.x / E7, lon_deg: r.y / E7 });
        break;
      case MAV_CMD.NAV_RETURN_TO_LAUNCH:
        out.push({ kind: 'rtl' });
        break;
      default:
        return bad(`MAV_CMD ${r.command} has no port mission item`);
    }
  }
  return ok(out);
}
