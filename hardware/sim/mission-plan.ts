/**
 * A mission as the simulated autopilot stores it: the validated items plus their targets in
 * local NED metres, computed once at upload so the per-tick code never projects coordinates.
 */
import type { LocalFrame } from '../../core/geo.js';
import { checkMission, type MissionItem } from '../../core/mission.js';
import { fail, ok, type Result } from '../../core/result.js';
import type { SimParams } from './params.js';

export const ItemKind = { Waypoint: 0, Takeoff: 1, Land: 2, Rtl: 3 } as const;

export interface SimMissionPlan {
  readonly items: readonly MissionItem[];
  readonly kind: Int32Array;
  /** Target north/east (m from the world origin); NaN for a land item without a position. */
  readonly north: Float64Array;
  readonly east: Float64Array;
  /** Target height above home (m); NaN where the item has none. */
  readonly alt: Float64Array;
}

/**
 * Validates items the way the vehicle would reject a MISSION_ITEM list (shape, empty, altitude
 * range, waypoint at 0,0) and compiles them to local targets.
 */
export function compileMission(
  items: readonly unknown[],
  frame: LocalFrame,
  params: SimParams,
  vehicleId: string,
): Result<SimMissionPlan, 'MISSION.INVALID'> {
  if (!Array.isArray(items) || items.length === 0) return fail('MISSION.INVALID', 'mission has no items');
  const { mission, issues } = checkMission(
    { id: 'upload', name: 'upload', vehicle: vehicleId, items },
    { maxAlt_m: params.max_alt_m, minAlt_m: 0 },
  );
  if (!mission) {
    const first = issues[0];
    return fail('MISSION.INVALID', `mission rejected: ${first ? `${first.path}: ${first.message}` : 'invalid'}`, {
      context: { issues },
    });
  }
  const n = mission.items.length;
  const plan: SimMissionPlan = {
    items: mission.items,
    kind: new Int32Array(n),
    north: new Float64Array(n).fill(Number.NaN),
    east: new Float64Array(n).fill(Number.NaN),
    alt: new Float64Array(n).fill(Number.NaN),
  };
  mission.items.forEach((item, k) => {
    switch (item.kind) {
      case 'waypoint': {
        const l = frame.toLocal(item.lat_deg, item.lon_deg);
        plan.kind[k] = ItemKind.Waypoint;
        plan.north[k] = l.north_m;
        plan.east[k] = l.east_m;
        plan.alt[k] = item.alt_m;
        break;
      }
      case 'takeoff':
        plan.kind[k] = ItemKind.Takeoff;
        plan.alt[k] = item.alt_m;
        break;
      case 'land':
        plan.kind[k] = ItemKind.Land;
        if (item.lat_deg !== undefined && item.lon_deg !== undefined) {
          const l = frame.toLocal(item.lat_deg, item.lon_deg);
          plan.north[k] = l.north_m;
          plan.east[k] = l.east_m;
        }
        break;
      case 'rtl':
        plan.kind[k] = ItemKind.Rtl;
        break;
    }
  });
  return ok(plan);
}
