/**
 * Raw mission items ⇄ the items we fly (`core/mission.ts`): NAV_WAYPOINT (16), NAV_TAKEOFF (22),
 * NAV_LAND (21), NAV_RETURN_TO_LAUNCH (20). Anything else stays a raw item, in place.
 *
 * @remarks
 * Our items are in metres above home; a raw item in an absolute frame (MAV_FRAME_GLOBAL*) is
 * converted with the plan's home altitude, and kept raw without one; terrain frames stay raw.
 * Two raw idioms fold into waypoint fields and unfold back: a DO_DIGICAM_CONTROL "shoot" right
 * after a waypoint is its `capture`, a DO_CHANGE_SPEED (ground speed) right before it is its
 * `speed_mps` (the autopilot keeps that speed for later legs too). A waypoint's pass radius
 * (param3) must be 0 and its yaw (param4) unset or 0, or it stays raw: we could not fly it as
 * written. Takeoff keeps only its altitude (our takeoff climbs where the vehicle stands).
 */
import { MissionItemSchema, type MissionItem } from '../mission.js';
import { MAV_CMD, MAV_FRAME, rawItem, renumber, type HomePosition, type MissionPlan, type RawMissionItem } from './model.js';

/** An item we fly, or a raw item we carry through untouched. */
export type PlanItem = MissionItem | { readonly kind: 'raw'; readonly item: RawMissionItem };

const RELATIVE: readonly number[] = [MAV_FRAME.GLOBAL_RELATIVE_ALT, MAV_FRAME.GLOBAL_RELATIVE_ALT_INT];
const ABSOLUTE: readonly number[] = [MAV_FRAME.GLOBAL, MAV_FRAME.GLOBAL_INT];

const isShoot = (r: RawMissionItem | undefined) =>
  r !== undefined && r.command === MAV_CMD.DO_DIGICAM_CONTROL && r.params.every((p) => p === 0) && r.x === 1 && r.y === 0 && r.z === 0;
const speedOf = (r: RawMissionItem | undefined) =>
  r !== undefined && r.command === MAV_CMD.DO_CHANGE_SPEED && r.params[0] === 1 && r.params[1]! > 0 && r.params[2] === -1 && r.params[3] === 0
    ? r.params[1]
    : undefined;

/** Altitude above home (m) of a positioned raw item, or undefined if we cannot tell. */
function relAlt(r: RawMissionItem, home: HomePosition | undefined): number | undefined {
  if (RELATIVE.includes(r.frame)) return r.z;
  if (ABSOLUTE.includes(r.frame) && home) return r.z - home.alt_m;
  return undefined;
}

function lift(r: RawMissionItem, home: HomePosition | undefined): MissionItem | undefined {
  const alt_m = relAlt(r, home);
  let candidate: unknown;
  switch (r.command) {
    case MAV_CMD.NAV_RETURN_TO_LAUNCH:
      candidate = { kind: 'rtl' };
      break;
    case MAV_CMD.NAV_TAKEOFF:
      candidate = alt_m === undefined ? undefined : { kind: 'takeoff', alt_m };
      break;
    case MAV_CMD.NAV_LAND: {
      const positioned = Number.isFinite(r.x) && Number.isFinite(r.y) && !(r.x === 0 && r.y === 0);
      candidate = positioned ? { kind: 'land', lat_deg: r.x, lon_deg: r.y } : { kind: 'land' };
      break;
    }
    case MAV_CMD.NAV_WAYPOINT: {
      const [hold, accept, pass, yaw] = r.params;
      if (alt_m === undefined || pass !== 0 || !(Number.isNaN(yaw) || yaw === 0)) return undefined;
      candidate = { kind: 'waypoint', lat_deg: r.x, lon_deg: r.y, alt_m, hold_s: hold, acceptance_m: accept! > 0 ? accept : 2, capture: false };
      break;
    }
  }
  const parsed = candidate === undefined ? undefined : MissionItemSchema.safeParse(candidate);
  return parsed?.success ? parsed.data : undefined;
}

/**
 * The items of a plan as items we fly where possible, raw items elsewhere, in mission order.
 *
 * @example
 * const plan = parseQgcPlan(text);
 * if (plan.ok) port.uploadMission(toMissionItems(plan.value).filter((i) => i.kind !== 'raw'));
 */
export function toMissionItems(plan: Pick<MissionPlan, 'items' | 'home'>): PlanItem[] {
  const out: PlanItem[] = [];
  const items = plan.items;
  for (let i = 0; i < items.length; i++) {
    const r = items[i]!;
    const speed = speedOf(r);
    if (speed !== undefined) {
      const next = items[i + 1] && items[i + 1]!.command === MAV_CMD.NAV_WAYPOINT ? lift(items[i + 1]!, plan.home) : undefined;
      if (next?.kind === 'waypoint' && next.speed_mps === undefined && MissionItemSchema.safeParse({ ...next, speed_mps: speed }).success) {
        const wp = { ...next, speed_mps: speed };
        if (isShoot(items[i + 2])) {
          wp.capture = true;
          i++;
        }
        out.push(wp);
        i++;
        continue;
      }
    }
    const lifted = lift(r, plan.home);
    if (!lifted) {
      out.push({ kind: 'raw', item: { ...r } });
      continue;
    }
    if (lifted.kind === 'waypoint' && isShoot(items[i + 1])) {
      lifted.capture = true;
      i++;
    }
    out.push(lifted);
  }
  return out;
}

/**
 * Raw items (numbered from 0, altitudes relative to home) for a mission.
 *
 * @param home - gives a takeoff its position (MAVLink wants one); without it the takeoff's
 *   latitude and longitude are NaN (unset).
 */
export function fromMissionItems(items: readonly PlanItem[], home?: HomePosition): RawMissionItem[] {
  const out: RawMissionItem[] = [];
  const NaN_ = Number.NaN;
  for (const it of items) {
    switch (it.kind) {
      case 'raw':
        out.push({ ...it.item, params: [...it.item.params] });
        break;
      case 'takeoff':
        out.push(rawItem(MAV_CMD.NAV_TAKEOFF, { params: [0, 0, 0, NaN_], x: home?.lat_deg ?? NaN_, y: home?.lon_deg ?? NaN_, z: it.alt_m }));
        break;
      case 'land':
        out.push(rawItem(MAV_CMD.NAV_LAND, { params: [0, 0, 0, NaN_], x: it.lat_deg ?? 0, y: it.lon_deg ?? 0, z: 0 }));
        break;
      case 'rtl':
        out.push(rawItem(MAV_CMD.NAV_RETURN_TO_LAUNCH, { frame: MAV_FRAME.MISSION }));
        break;
      case 'waypoint':
        if (it.speed_mps !== undefined) {
          out.push(rawItem(MAV_CMD.DO_CHANGE_SPEED, { frame: MAV_FRAME.MISSION, params: [1, it.speed_mps, -1, 0] }));
        }
        out.push(rawItem(MAV_CMD.NAV_WAYPOINT, { params: [it.hold_s, it.acceptance_m, 0, NaN_], x: it.lat_deg, y: it.lon_deg, z: it.alt_m }));
        if (it.capture) out.push(rawItem(MAV_CMD.DO_DIGICAM_CONTROL, { frame: MAV_FRAME.MISSION, x: 1 }));
        break;
    }
  }
  return renumber(out);
}
