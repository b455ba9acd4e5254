/**
 * Is a mission anywhere near the vehicle? A plan made for another field (absolute coordinates
 * from a .plan planned elsewhere) uploads and starts fine on a vehicle whose home is 6,000 km
 * away: PX4's own first-waypoint check (MIS_DIST_1WP) only looks at the first positional row,
 * which the twin may have put at home (a takeoff), and the vehicle flies off. Both vehicle
 * adapters refuse such a mission before upload with this check.
 *
 * @remarks
 * Pure: every positional item (a waypoint, a land with a position) must lie within `limit_m`
 * (great-circle, metres) of home. Items without a finite position are left to the schema
 * validation that follows. A limit ≤ 0 or not finite disables the check, as does an unknown
 * home.
 */
import { haversine_m, type GeoPoint } from './geo.js';
import { fail, okVoid, type Result } from './result.js';

/** Default limit, metres: a survey drone's mission stays within a few km of its launch point. */
export const DEFAULT_MAX_ITEM_DISTANCE_M = 10_000;

export interface FarItem {
  /** Index of the item in the mission. */
  readonly index: number;
  /** Its distance from home, metres. */
  readonly distance_m: number;
}

/** The first positional item farther than `limit_m` from `home`, if any. */
export function firstItemBeyond(items: readonly unknown[], home: GeoPoint, limit_m: number): FarItem | undefined {
  for (let i = 0; i < items.length; i++) {
    const it = items[i] as { lat_deg?: unknown; lon_deg?: unknown } | null | undefined;
    if (typeof it !== 'object' || it === null) continue;
    const { lat_deg, lon_deg } = it;
    if (typeof lat_deg !== 'number' || typeof lon_deg !== 'number' || !Number.isFinite(lat_deg) || !Number.isFinite(lon_deg)) continue;
    if (Math.abs(lat_deg) > 90 || Math.abs(lon_deg) > 180) continue;
    const d = haversine_m(home, { lat_deg, lon_deg });
    if (d > limit_m) return { index: i, distance_m: d };
  }
  return undefined;
}

function formatDistance(m: number): string {
  return m >= 100_000 ? `${Math.round(m / 1000).toLocaleString('en-US')} km` : m >= 1000 ? `${(m / 1000).toFixed(1)} km` : `${Math.round(m)} m`;
}

/**
 * MISSION.INVALID naming the first item farther than `limit_m` from home and its distance, or ok.
 * `context` carries `{ index, distance_m, limit_m }`.
 */
export function checkMissionDistance(
  items: readonly unknown[],
  home: GeoPoint | undefined,
  limit_m: number = DEFAULT_MAX_ITEM_DISTANCE_M,
): Result<void, 'MISSION.INVALID'> {
  if (!home || !Array.isArray(items) || !(limit_m > 0) || !Number.isFinite(limit_m)) return okVoid;
  const far = firstItemBeyond(items, home, limit_m);
  if (!far) return okVoid;
  return fail(
    'MISSION.INVALID',
    `items.${far.index}: ${formatDistance(far.distance_m)} from the vehicle's home (limit ${formatDistance(limit_m)}); was the mission planned for another place?`,
    { context: { index: far.index, distance_m: Math.round(far.distance_m), limit_m } },
  );
}
