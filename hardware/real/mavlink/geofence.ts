/**
 * A {@link VehicleGeofence} as PX4 takes it: MAV_MISSION_TYPE_FENCE rows for the polygons, and
 * parameters for the altitude limit and the breach action.
 *
 * @remarks
 * PX4 v1.15 (`mavlink_mission.cpp` `parse_mavlink_mission_item`, `navigator/geofence.cpp`):
 * - one row per vertex, MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION (5001) or _EXCLUSION (5002),
 *   param1 = the polygon's vertex count (PX4 refuses < 3), x/y = lat/lon degE7, in a global
 *   frame (MAV_FRAME_GLOBAL, as QGroundControl writes fences);
 * - GF_MAX_VER_DIST (FLOAT, m above home, 0 = off) and GF_ACTION (INT32: 0 none, 1 warning,
 *   2 hold, 3 return, 4 terminate, 5 land).
 * Validated here with zod (the port's edge): finite coordinates in range, no 0,0 vertex.
 */
import { z } from 'zod';
import { fail, ok, type Result } from '../../../core/result.js';
import type { VehicleGeofence } from '../../vehicle.port.js';
import { MAV_CMD, MAV_FRAME } from '../../../core/mavlink-mission/mav-enums.js';
import type { MavMissionItem } from './mission-items.js';

/** GF_ACTION values. */
export const GF_ACTION = { none: 0, warn: 1, hold: 2, rtl: 3, terminate: 4, land: 5 } as const;

const Point = z.strictObject({ lat_deg: z.number().min(-90).max(90), lon_deg: z.number().min(-180).max(180) })
  .refine((p) => !(p.lat_deg === 0 && p.lon_deg === 0), 'vertex at 0,0 (unset position)');
const Polygon = z.array(Point).min(3, 'a fence polygon needs at least 3 vertices').max(500);

export const VehicleGeofenceSchema = z.strictObject({
  polygon: Polygon.optional(),
  exclusions: z.array(Polygon).max(100).optional(),
  max_alt_m: z.number().positive().max(10_000).optional(),
  action: z.enum(['none', 'warn', 'hold', 'rtl', 'land', 'terminate']).optional(),
});

export interface FencePlan {
  /** MAV_MISSION_TYPE_FENCE rows (empty = clear the fence). */
  readonly items: readonly MavMissionItem[];
  /** Parameters to set, PX4 names. */
  readonly params: Readonly<Record<string, number>>;
}

/** Validates the fence and builds its rows and parameters; MISSION.INVALID names the field. */
export function fencePlan(input: VehicleGeofence): Result<FencePlan, 'MISSION.INVALID'> {
  const parsed = VehicleGeofenceSchema.safeParse(input);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    return fail('MISSION.INVALID', `fence.${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  const f = parsed.data;
  const rows: MavMissionItem[] = [];
  const polygon = (vertices: readonly { lat_deg: number; lon_deg: number }[], command: number) => {
    for (const v of vertices) {
      rows.push({
        seq: rows.length, frame: MAV_FRAME.GLOBAL, command, current: 0, autocontinue: 1,
        param1: vertices.length, param2: 0, param3: 0, param4: 0,
        x: Math.round(v.lat_deg * 1e7), y: Math.round(v.lon_deg * 1e7), z: 0, missionType: 1,
      });
    }
  };
  if (f.polygon) polygon(f.polygon, MAV_CMD.NAV_FENCE_POLYGON_VERTEX_INCLUSION);
  for (const ex of f.exclusions ?? []) polygon(ex, MAV_CMD.NAV_FENCE_POLYGON_VERTEX_EXCLUSION);
  const params: Record<string, number> = {};
  if (f.max_alt_m !== undefined) params['GF_MAX_VER_DIST'] = f.max_alt_m;
  if (f.action !== undefined) params['GF_ACTION'] = GF_ACTION[f.action];
  return ok({ items: rows, params });
}
