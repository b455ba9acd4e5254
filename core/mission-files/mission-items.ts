/**
 * Raw mission items ⇄ the items we fly (`core/mission.ts`), through the project's one
 * mission-item codec (`core/mavlink-mission`): NAV_WAYPOINT (16), NAV_TAKEOFF (22), NAV_LAND (21),
 * NAV_RETURN_TO_LAUNCH (20). Anything else stays a raw item, in place.
 *
 * @remarks
 * Our items are in metres above home; a raw item in an absolute frame (MAV_FRAME_GLOBAL*) is
 * converted with the plan's home altitude, and kept raw without one; terrain frames stay raw.
 * The codec's idioms fold into waypoint fields and unfold back: a single-image
 * IMAGE_START_CAPTURE (or a DO_DIGICAM_CONTROL "shoot") right after a waypoint is its `capture`;
 * DO_CHANGE_SPEED sets the `speed_mps` of every later waypoint until the next one (PX4 keeps the
 * speed for later legs; ≤ 0 returns to the default). A waypoint's pass radius (param3) must be 0
 * and its yaw (param4) unset or 0, or it stays raw: we could not fly it as written. Takeoff keeps
 * only its altitude (our takeoff climbs where the vehicle stands).
 */
import { decodeMission, encodeMission, type CodecItem } from '../mavlink-mission/mission-item.codec.js';
import { rawItem, renumber, type HomePosition, type MissionPlan, type RawMissionItem } from './model.js';

/** An item we fly, or a raw item we carry through untouched. */
export type PlanItem = CodecItem<RawMissionItem>;

/**
 * The items of a plan as items we fly where possible, raw items elsewhere, in mission order.
 *
 * @example
 * const plan = parseQgcPlan(text);
 * if (plan.ok) port.uploadMission(toMissionItems(plan.value).filter((i) => i.kind !== 'raw'));
 */
export function toMissionItems(plan: Pick<MissionPlan, 'items' | 'home'>): PlanItem[] {
  const r = decodeMission(plan.items, { unknown: 'raw', ...(plan.home ? { homeAlt_m: plan.home.alt_m } : {}) });
  // 'raw' never fails: every row has an item or stays raw.
  if (!r.ok) return plan.items.map((item) => ({ kind: 'raw', item: { ...item, params: [...item.params] } }));
  return r.value.items.map((it) => (it.kind === 'raw' ? { kind: 'raw', item: { ...it.item, params: [...it.item.params] } } : it));
}

/**
 * Why each item of {@link toMissionItems} that stayed raw has no item we fly (same indices;
 * undefined for the items we fly), e.g. `waypoint alt_m: Too big: expected number to be <=1000`.
 */
export function rawItemReasons(plan: Pick<MissionPlan, 'items' | 'home'>): (string | undefined)[] {
  const r = decodeMission(plan.items, { unknown: 'raw', ...(plan.home ? { homeAlt_m: plan.home.alt_m } : {}) });
  return r.ok ? r.value.why : plan.items.map(() => 'unreadable');
}

/**
 * Raw items (numbered from 0, altitudes relative to home) for a mission.
 *
 * @param home - gives a takeoff its position (MAVLink wants one); without it the takeoff's
 *   latitude and longitude are those of the first waypoint after it, or NaN (unset).
 */
export function fromMissionItems(items: readonly PlanItem[], home?: HomePosition): RawMissionItem[] {
  const r = encodeMission(items, { target: 'file', ...(home ? { home } : {}) });
  // A file target refuses nothing (it may hold what no vehicle flies).
  if (!r.ok) throw new Error(`BUG: ${r.error.code}: ${r.error.message}`);
  const out = r.value.rows.map(({ row, raw }): RawMissionItem =>
    raw ? { ...raw, params: [...raw.params] } : rawItem(row.command, { frame: row.frame, params: [...row.params], x: row.x, y: row.y, z: row.z }),
  );
  return renumber(out);
}
