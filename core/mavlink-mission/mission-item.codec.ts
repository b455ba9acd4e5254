/**
 * The one mission-item codec: the items the twin flies (`core/mission.ts`) ⇄ MAVLink mission
 * rows (MISSION_ITEM_INT's fields, positions in degrees). The MAVLink adapter, the built-in SITL
 * and the mission files all convert through it, so they agree on every idiom below.
 *
 * @remarks
 * Encoding (one waypoint → up to three rows):
 * - `DO_CHANGE_SPEED` (178) before a waypoint whose speed is set, param1 1 (ground speed),
 *   param2 the speed, param3 −1 (throttle unchanged). DO items run when the previous NAV item
 *   completes, so the vehicle flies *towards* the waypoint at that speed. The speed persists on
 *   the vehicle, so a waypoint without a speed after one with a speed gets param2 −2 ("return to
 *   default", MAVLink).
 * - `NAV_WAYPOINT` (16): param1 hold s, param2 acceptance m, param3 0, param4 yaw NaN (the
 *   autopilot's heading logic), altitude above home.
 * - `IMAGE_START_CAPTURE` (2000) after a waypoint with `capture`: param3 = 1 image, param4 = the
 *   capture's sequence number from 1 — what QGroundControl writes for "take photo" and what PX4's
 *   navigator forwards to its camera when it completes the waypoint.
 * - takeoff → `NAV_TAKEOFF` (22) at the previous position (home first); land → `NAV_LAND` (21)
 *   at its position; rtl → `NAV_RETURN_TO_LAUNCH` (20) in `MAV_FRAME_MISSION` (2): PX4 rejects a
 *   non-positional item in a global frame.
 * - `target: 'vehicle'` (MISSION_ITEM_INT): frame 6, and takeoff/land must have a position (PX4
 *   cannot read "unset" from an int field): the previous one, or the next waypoint's for a first
 *   takeoff. `target: 'file'`: frame 3, and an unknown position is NaN (`null` in a `.plan`).
 *
 * Decoding follows what PX4 v1.15 flies (`navigator_main.cpp`, `mission_block.cpp`):
 * - `DO_CHANGE_SPEED` param2 > 0 sets the cruise speed of every later leg; any other value
 *   (−1 "no change" and −2 "default" alike: PX4 v1.15 calls `reset_cruising_speed()` for both,
 *   unlike the MAVLink spec for −1) returns to the default speed.
 * - A single-image `IMAGE_START_CAPTURE` or a `DO_DIGICAM_CONTROL` shot (param5 = 1) right after a
 *   waypoint is that waypoint's `capture`.
 * - Rows with no item of ours depend on `unknown`: `'raw'` keeps them in place (mission files:
 *   they survive a round trip), `'fail'` rejects the mission naming the row (a vehicle's download
 *   the port must report exactly), `'fly'` approximates what a simulator can fly (loiters become
 *   held waypoints, continuous camera triggering captures at every waypoint until stopped) and
 *   drops DO items that change nothing it models.
 */
import { MissionItemSchema, type MissionItem } from '../mission.js';
import { fail, ok, type Result } from '../result.js';
import { MAV_CMD, MAV_FRAME } from './mav-enums.js';

/** One MAVLink mission row, by value: x/y are degrees in a global frame, plain params otherwise. */
export interface MissionRow {
  /** MAV_FRAME. */
  readonly frame: number;
  /** MAV_CMD. */
  readonly command: number;
  /** param1..param4 (NaN = unset). */
  readonly params: readonly [number, number, number, number];
  /** param5: latitude (deg) in a global frame. */
  readonly x: number;
  /** param6: longitude (deg) in a global frame. */
  readonly y: number;
  /** param7: altitude (m; reference set by `frame`). */
  readonly z: number;
}

/** An item we fly, or (mission files) a row we carry through untouched. */
export type CodecItem<R> = MissionItem | { readonly kind: 'raw'; readonly item: R };

export interface EncodeOptions {
  /** `'vehicle'`: MISSION_ITEM_INT for an autopilot; `'file'`: a mission file. */
  readonly target: 'vehicle' | 'file';
  /** Home (WGS84), for a takeoff without an earlier position. */
  readonly home?: { readonly lat_deg: number; readonly lon_deg: number };
}

/** One encoded row; `raw` is the passed-through row when it came from a raw item. */
export interface EncodedRow<R> {
  readonly row: MissionRow;
  /** Index of the item this row belongs to. */
  readonly item: number;
  readonly raw?: R;
}

export interface EncodedMission<R> {
  readonly rows: readonly EncodedRow<R>[];
  /** Item index → index of its NAV row (of the row itself for a raw item). */
  readonly navRow: readonly number[];
}

const NaN_ = Number.NaN;
const row = (command: number, frame: number, params: [number, number, number, number], x = 0, y = 0, z = 0): MissionRow => ({
  frame, command, params, x, y, z,
});

/**
 * Items → rows. Items are taken as validated (`MissionItemSchema`); for a vehicle target a
 * position the autopilot could not use (a waypoint at 0,0, a land or takeoff with nowhere to be)
 * is MISSION.INVALID naming the item (`items.3: …`).
 */
export function encodeMission<R extends MissionRow = never>(items: readonly CodecItem<R>[], opts: EncodeOptions): Result<EncodedMission<R>, 'MISSION.INVALID'> {
  const vehicle = opts.target === 'vehicle';
  const posFrame = vehicle ? MAV_FRAME.GLOBAL_RELATIVE_ALT_INT : MAV_FRAME.GLOBAL_RELATIVE_ALT;
  const rows: EncodedRow<R>[] = [];
  const navRow: number[] = [];
  let last: { lat_deg: number; lon_deg: number } | undefined = opts.home;
  let speedSet = false;
  let captures = 0;
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    const bad = (why: string) => fail('MISSION.INVALID', `items.${i}: ${why}`, { context: { index: i } });
    const push = (r: MissionRow) => rows.push({ row: r, item: i });
    switch (it.kind) {
      case 'raw':
        navRow[i] = rows.length;
        rows.push({ row: it.item, item: i, raw: it.item });
        break;
      case 'waypoint': {
        if (vehicle && it.lat_deg === 0 && it.lon_deg === 0) return bad('waypoint at 0,0 (unset position)');
        if (it.speed_mps !== undefined || speedSet) {
          push(row(MAV_CMD.DO_CHANGE_SPEED, MAV_FRAME.MISSION, [1, it.speed_mps ?? -2, -1, 0]));
          speedSet = it.speed_mps !== undefined;
        }
        navRow[i] = rows.length;
        push(row(MAV_CMD.NAV_WAYPOINT, posFrame, [it.hold_s, it.acceptance_m, 0, NaN_], it.lat_deg, it.lon_deg, it.alt_m));
        if (it.capture) push(row(MAV_CMD.IMAGE_START_CAPTURE, MAV_FRAME.MISSION, [0, 0, 1, ++captures], 0, 0, NaN_));
        last = it;
        break;
      }
      case 'takeoff': {
        const at = last ?? firstWaypoint(items, i);
        if (!at && vehicle) return bad('takeoff needs home or a later waypoint for its position');
        navRow[i] = rows.length;
        push(row(MAV_CMD.NAV_TAKEOFF, posFrame, [0, 0, 0, NaN_], at?.lat_deg ?? NaN_, at?.lon_deg ?? NaN_, it.alt_m));
        break;
      }
      case 'land': {
        if ((it.lat_deg === undefined) !== (it.lon_deg === undefined)) return bad('land needs both lat_deg and lon_deg, or neither');
        const has = it.lat_deg !== undefined && it.lon_deg !== undefined;
        if (vehicle && has && it.lat_deg === 0 && it.lon_deg === 0) return bad('land at 0,0 (unset position)');
        const at = has ? { lat_deg: it.lat_deg!, lon_deg: it.lon_deg! } : vehicle ? last : undefined;
        if (!at && vehicle) return bad('land without a position needs home or an earlier waypoint');
        navRow[i] = rows.length;
        push(row(MAV_CMD.NAV_LAND, posFrame, [0, 0, 0, NaN_], at?.lat_deg ?? NaN_, at?.lon_deg ?? NaN_, 0));
        if (at) last = at;
        break;
      }
      case 'rtl':
        navRow[i] = rows.length;
        push(row(MAV_CMD.NAV_RETURN_TO_LAUNCH, MAV_FRAME.MISSION, [0, 0, 0, 0]));
        last = opts.home;
        break;
    }
  }
  return ok({ rows, navRow });
}

function firstWaypoint<R extends MissionRow>(items: readonly CodecItem<R>[], from: number): { lat_deg: number; lon_deg: number } | undefined {
  for (let j = from; j < items.length; j++) {
    const it = items[j]!;
    if (it.kind === 'waypoint') return it;
  }
  return undefined;
}

export interface DecodeOptions {
  /** What a row with no item of ours becomes (see the module remarks). */
  readonly unknown: 'raw' | 'fail' | 'fly';
  /** Home altitude above mean sea level (m): converts absolute-altitude rows; without it they have no item. */
  readonly homeAlt_m?: number;
  /** Acceptance radius (m) of a waypoint whose param2 is 0 (the vehicle's NAV_ACC_RAD). @defaultValue 2 */
  readonly defaultAcceptance_m?: number;
}

export interface DecodedMission<R> {
  readonly items: CodecItem<R>[];
  /** Item index → index of the row it came from (its NAV row). */
  readonly rowOf: number[];
  /** Item index → why a raw item has no item of ours (undefined for the others). */
  readonly why: (string | undefined)[];
}

const RELATIVE: readonly number[] = [MAV_FRAME.GLOBAL_RELATIVE_ALT, MAV_FRAME.GLOBAL_RELATIVE_ALT_INT];
const ABSOLUTE: readonly number[] = [MAV_FRAME.GLOBAL, MAV_FRAME.GLOBAL_INT];

/** Altitude above home (m) of a positioned row, or undefined when its frame does not tell. */
function relAlt(r: MissionRow, homeAlt_m: number | undefined): number | undefined {
  if (RELATIVE.includes(r.frame)) return r.z;
  if (ABSOLUTE.includes(r.frame) && homeAlt_m !== undefined) return r.z - homeAlt_m;
  return undefined;
}

const positioned = (r: MissionRow) => Number.isFinite(r.x) && Number.isFinite(r.y) && !(r.x === 0 && r.y === 0);
const isShot = (r: MissionRow) => r.command === MAV_CMD.DO_DIGICAM_CONTROL && r.x === 1;
/** The shot exactly as files write it (every other field 0): anything else stays raw in a file. */
const isPlainShot = (r: MissionRow) => isShot(r) && r.params.every((p) => p === 0) && r.y === 0 && r.z === 0;
const isSingleImage = (r: MissionRow) => r.command === MAV_CMD.IMAGE_START_CAPTURE && Math.round(r.params[2]) === 1;
/** A speed change we can express: a speed (or a reset) and no throttle setting. */
const isSpeedChange = (r: MissionRow) =>
  r.command === MAV_CMD.DO_CHANGE_SPEED && Number.isFinite(r.params[1]) && r.params[1] <= 50 && !(r.params[2] > 0);

/**
 * Rows → items, in mission order. With `unknown: 'fail'` a row that has no item is
 * MISSION.INVALID whose context names the row (`row`, `command`, `frame`).
 */
export function decodeMission<R extends MissionRow>(rows: readonly R[], opts: DecodeOptions): Result<DecodedMission<R>, 'MISSION.INVALID'> {
  const mode = opts.unknown;
  const fly = mode === 'fly';
  const acceptDefault = opts.defaultAcceptance_m ?? 2;
  const items: CodecItem<R>[] = [];
  const rowOf: number[] = [];
  const why: (string | undefined)[] = [];
  let speed: number | undefined;
  let captureEach = false;
  let captureNext = false;
  const add = (item: CodecItem<R>, k: number, reason?: string) => {
    items.push(item);
    rowOf.push(k);
    why.push(reason);
  };
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k]!;
    const [p1, p2, p3, p4] = r.params;
    /** No item for this row: keep it, drop it, or fail, by mode. */
    const other = (reason: string): Result<never, 'MISSION.INVALID'> | undefined => {
      if (mode === 'fail') return fail('MISSION.INVALID', reason, { context: { row: k, command: r.command, frame: r.frame } });
      if (mode === 'raw') add({ kind: 'raw', item: r }, k, reason);
      return undefined;
    };
    const prev = items.at(-1);
    // A capture belongs to the waypoint before it; in a file only to the row right before it.
    const prevWaypoint = prev?.kind === 'waypoint' && (mode !== 'raw' || rowOf.at(-1) === k - 1) ? prev : undefined;
    let failed: Result<never, 'MISSION.INVALID'> | undefined;
    switch (r.command) {
      case MAV_CMD.DO_CHANGE_SPEED:
        if (fly || isSpeedChange(r)) speed = p2 > 0 ? Math.min(50, p2) : undefined;
        else failed = other(`DO_CHANGE_SPEED ${p2} m/s (throttle ${p3}) is not a speed the twin flies`);
        break;
      case MAV_CMD.NAV_WAYPOINT:
      case MAV_CMD.NAV_LOITER_TIME:
      case MAV_CMD.NAV_LOITER_UNLIM: {
        const alt_m = relAlt(r, opts.homeAlt_m);
        const loiter = r.command !== MAV_CMD.NAV_WAYPOINT;
        const exact = !loiter && p3 === 0 && (Number.isNaN(p4) || p4 === 0);
        if (alt_m === undefined || !Number.isFinite(r.x) || !Number.isFinite(r.y) || (loiter && !fly) || (mode === 'raw' && !exact)) {
          failed = other(
            alt_m === undefined ? `frame ${r.frame} gives no altitude above home${ABSOLUTE.includes(r.frame) ? ' (the plan has no home)' : ''}`
              : !Number.isFinite(r.x) || !Number.isFinite(r.y) ? 'a waypoint needs a latitude and longitude'
              : loiter ? `MAV_CMD ${r.command} (loiter) has no item the twin flies`
              : `pass radius ${p3} / yaw ${p4}: the twin flies waypoints without them`,
          );
          break;
        }
        const hold = r.command === MAV_CMD.NAV_LOITER_UNLIM ? 3600 : p1;
        const wp = {
          kind: 'waypoint' as const, lat_deg: r.x, lon_deg: r.y, alt_m,
          hold_s: fly || mode === 'fail' ? Math.min(3600, Math.max(0, Number.isFinite(hold) ? hold : 0)) : hold,
          acceptance_m: loiter || !(p2 > 0) ? acceptDefault : fly ? Math.min(100, p2) : p2,
          capture: fly && (captureEach || captureNext),
          ...(speed !== undefined ? { speed_mps: speed } : {}),
        };
        captureNext = false;
        if (fly) {
          add(wp, k); // the simulator validates what it is given (and refuses what it cannot fly)
          break;
        }
        const parsed = MissionItemSchema.safeParse(wp);
        if (parsed.success) add(parsed.data, k);
        else failed = other(`waypoint ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
        break;
      }
      case MAV_CMD.NAV_TAKEOFF: {
        const alt_m = relAlt(r, opts.homeAlt_m);
        const parsed = alt_m === undefined ? undefined : MissionItemSchema.safeParse({ kind: 'takeoff', alt_m });
        if (parsed?.success) add(parsed.data, k);
        else if (fly && alt_m !== undefined) add({ kind: 'takeoff', alt_m }, k);
        else failed = other(alt_m === undefined ? `takeoff in frame ${r.frame} has no altitude above home` : `takeoff to ${alt_m} m is out of range`);
        break;
      }
      case MAV_CMD.NAV_LAND: {
        const land = positioned(r) ? { kind: 'land' as const, lat_deg: r.x, lon_deg: r.y } : { kind: 'land' as const };
        const parsed = MissionItemSchema.safeParse(land);
        if (parsed.success) add(parsed.data, k);
        else failed = other(`land at ${r.x}, ${r.y} is not a position`);
        break;
      }
      case MAV_CMD.NAV_RETURN_TO_LAUNCH:
        add({ kind: 'rtl' }, k);
        break;
      case MAV_CMD.IMAGE_START_CAPTURE:
      case MAV_CMD.DO_DIGICAM_CONTROL: {
        const single = isSingleImage(r) || (mode === 'raw' ? isPlainShot(r) : isShot(r));
        if (single && prevWaypoint && !prevWaypoint.capture) {
          items[items.length - 1] = { ...prevWaypoint, capture: true };
        } else if (fly && single) {
          if (!prevWaypoint) captureNext = true; // after a takeoff (say): at the next waypoint
        } else if (fly && r.command === MAV_CMD.IMAGE_START_CAPTURE) {
          captureEach = true; // an image series: approximated by a capture at every waypoint
        } else if (!fly) {
          failed = other(single ? 'camera trigger not after a waypoint' : `MAV_CMD ${r.command} is not a single capture`);
        }
        break;
      }
      case MAV_CMD.IMAGE_STOP_CAPTURE:
        if (fly) captureEach = false;
        else failed = other(`MAV_CMD ${r.command} has no item the twin flies`);
        break;
      case MAV_CMD.DO_SET_CAM_TRIGG_DIST:
      case MAV_CMD.DO_SET_CAM_TRIGG_INTERVAL:
        if (fly) captureEach = p1 > 0;
        else failed = other(`MAV_CMD ${r.command} (camera triggering) has no item the twin flies`);
        break;
      default:
        if (!fly) failed = other(`MAV_CMD ${r.command} has no item the twin flies`);
        break;
    }
    if (failed) return failed;
  }
  return ok({ items, rowOf, why });
}
