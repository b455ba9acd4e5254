/**
 * The plan already on a vehicle, as progress needs it: port items plus the mapping of the
 * vehicle's own MAVLink rows to them.
 *
 * @remarks
 * Progress speaks in port item indices but hears MAVLink seqs, so the mapping must be the
 * vehicle's rows, not a re-encoding of the items (a plan written by QGroundControl or an
 * earlier twin places DO_CHANGE_SPEED and camera rows its own way). One port item per NAV row
 * (waypoint, takeoff, land, RTL), as {@link fromMavItems} reads them; a DO_CHANGE_SPEED row
 * belongs to the NAV item after it, a camera row to the one before; ArduPilot's home row
 * (seq 0) to none.
 */
import type { MissionItem } from '../../../core/mission.js';
import { fail, ok, type Result } from '../../../core/result.js';
import { fromMavItems, MAV_CMD, type MavMissionItem, type MavPlan, type ToMavContext } from './mission-items.js';

const NAV = new Set<number>([MAV_CMD.NAV_WAYPOINT, MAV_CMD.NAV_TAKEOFF, MAV_CMD.NAV_LAND, MAV_CMD.NAV_RETURN_TO_LAUNCH]);

/** Builds the plan of downloaded rows; MISSION.NONE_LOADED when there is none or it cannot be followed. */
export function planFromVehicleRows(rows: readonly MavMissionItem[], ctx: ToMavContext): Result<MavPlan, 'MISSION.NONE_LOADED'> {
  const skip = ctx.autopilot === 'ardupilot' ? 1 : 0;
  if (rows.length <= skip) return fail('MISSION.NONE_LOADED', 'the vehicle has no mission');
  const items = fromMavItems(rows, ctx);
  if (!items.ok) return fail('MISSION.NONE_LOADED', `the vehicle's mission cannot be followed: ${items.error.message}`, { context: items.error.context ?? {} });
  const navSeq: number[] = [];
  const portIndexOf: (number | undefined)[] = [];
  let k = 0;
  rows.forEach((r, seq) => {
    if (seq < skip) return void portIndexOf.push(undefined);
    if (NAV.has(r.command)) {
      navSeq[k] = seq;
      portIndexOf.push(k++);
    } else if (r.command === MAV_CMD.DO_CHANGE_SPEED) portIndexOf.push(Math.min(k, items.value.length - 1));
    else portIndexOf.push(Math.max(0, k - 1));
  });
  if (k !== items.value.length) return fail('MISSION.NONE_LOADED', `the vehicle's mission has ${k} navigation rows for ${items.value.length} items`);
  return ok({ items: rows, navSeq, portIndexOf, source: items.value as readonly MissionItem[] });
}
