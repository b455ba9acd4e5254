/**
 * The simulated autopilot's own geofence, as PX4 v1.15's navigator and Commander enforce it
 * (`navigator/geofence.cpp`, `Navigator::geofence_breach_check`, Commander's
 * `HealthAndArmingChecks/checks/geofenceCheck.cpp` and `failsafe.cpp` `fromGfActParam`).
 *
 * @remarks
 * - Checked every {@link GEOFENCE_CHECK_INTERVAL_MS} (PX4's GEOFENCE_CHECK_INTERVAL_US) while
 *   GF_ACTION ≠ 0, armed or not, at the reported (GPS) position, which is the vehicle's estimate.
 * - Three conditions, each its own breach bit: GF_MAX_HOR_DIST (horizontal distance from home,
 *   0 = off), GF_MAX_VER_DIST (height above home, 0 = off), and the uploaded polygons and circles:
 *   inside every inclusion, outside every exclusion (PNPOLY, as PX4's `insidePolygon`).
 * - A breach in the air while armed sends Commander's texts ("Geofence violation: …", then
 *   "Failsafe activated") and takes GF_ACTION: 1 warning only, 2 Hold, 3 Return, 4 terminate
 *   (motors off: the vehicle falls), 5 Land. Like PX4's failsafe (clear condition
 *   OnModeChangeOrDisarm) it acts once per breach: a new breach is needed to act again.
 * - While breached, arming is refused ("Arming denied: Resolve system health failures first",
 *   the arming check fails for every mode).
 * - Not simulated: GF_PREDICT (pre-emptive triggering, PX4 default off), GF_SOURCE (one source
 *   here), the fence file's altitude band, a mission's feasibility against the fence.
 * Polygons are kept in the world's local metres (north, east), which for the few kilometres a
 * fence spans is PX4's lat/lon PNPOLY to well under a centimetre.
 */
import type { VehicleStore } from './internal/vehicle-store.js';

/** PX4's GEOFENCE_CHECK_INTERVAL_US (0.2 s), in ms. */
export const GEOFENCE_CHECK_INTERVAL_MS = 200;

/** Breach bits (the `gfBreach` column). */
export const GfBreach = { MaxDist: 1, MaxAlt: 2, Fence: 4 } as const;

/** GF_ACTION values (PX4 `geofence_violation_action`). */
export const GfAction = { None: 0, Warn: 1, Hold: 2, Rtl: 3, Terminate: 4, Land: 5 } as const;

/** A fence polygon or circle in WGS84 degrees, as uploaded. */
export type SimFenceShape =
  | { readonly kind: 'polygon'; readonly inclusion: boolean; readonly vertices: readonly { readonly lat_deg: number; readonly lon_deg: number }[] }
  | { readonly kind: 'circle'; readonly inclusion: boolean; readonly lat_deg: number; readonly lon_deg: number; readonly radius_m: number };

/** A fence in the world's local frame: polygons as flat [n0, e0, n1, e1, …] arrays, metres. */
export interface SimFence {
  readonly polygons: readonly { readonly inclusion: boolean; readonly ne: Float64Array }[];
  readonly circles: readonly { readonly inclusion: boolean; readonly n: number; readonly e: number; readonly radius_m: number }[];
}

/** PNPOLY (W. R. Franklin), as PX4's `Geofence::insidePolygon`. */
export function insidePolygon(ne: Float64Array, n: number, e: number): boolean {
  let c = false;
  const k = ne.length / 2;
  for (let i = 0, j = k - 1; i < k; j = i++) {
    const ni = ne[2 * i]!, ei = ne[2 * i + 1]!, nj = ne[2 * j]!, ej = ne[2 * j + 1]!;
    if (ei >= e !== ej >= e && n <= ((nj - ni) * (e - ei)) / (ej - ei) + ni) c = !c;
  }
  return c;
}

/** PX4's `isInsidePolygonOrCircle`: an empty fence accepts every point. */
export function insideFence(f: SimFence, n: number, e: number): boolean {
  for (const p of f.polygons) if (insidePolygon(p.ne, n, e) !== p.inclusion) return false;
  for (const c of f.circles) {
    const dn = n - c.n, de = e - c.e;
    if (dn * dn + de * de < c.radius_m * c.radius_m !== c.inclusion) return false;
  }
  return true;
}

/** The breach bits of vehicle `i` at its reported position (`gfBreach` semantics). */
export function breachBits(s: VehicleStore, i: number, fence: SimFence | undefined, maxHor: number, maxVer: number): number {
  const n = s.gpsN[i]!, e = s.gpsE[i]!, up = -s.gpsD[i]!;
  let bits = 0;
  if (maxHor > 0) {
    const dn = n - s.homeN[i]!, de = e - s.homeE[i]!;
    if (!(Math.sqrt(dn * dn + de * de) < maxHor)) bits |= GfBreach.MaxDist;
  }
  if (maxVer > 0 && !(up < maxVer)) bits |= GfBreach.MaxAlt;
  if (fence && !insideFence(fence, n, e)) bits |= GfBreach.Fence;
  return bits;
}

/**
 * PX4's `Navigator::geofence_allows_position` (`checkPointAgainstAllGeofences`): with GF_ACTION
 * other than none/warning, a reposition target (local metres, height above home) must be within
 * GF_MAX_HOR_DIST / GF_MAX_VER_DIST of home and inside the fence; otherwise the navigator ignores
 * it ("Reposition is outside geofence") although Commander ACCEPTED the command.
 */
export function allowsPosition(s: VehicleStore, i: number, fence: SimFence | undefined, action: number, maxHor: number, maxVer: number, n: number, e: number, up: number): boolean {
  if (action === GfAction.None || action === GfAction.Warn) return true;
  if (maxHor > 0 && !(Math.hypot(n - s.homeN[i]!, e - s.homeE[i]!) < maxHor)) return false;
  if (maxVer > 0 && !(up < maxVer)) return false;
  return !fence || insideFence(fence, n, e);
}

/** Commander's health-check texts for the breach bits (mavlink_log_critical, no tab). */
export function breachTexts(bits: number): string[] {
  const out: string[] = [];
  if (bits & GfBreach.MaxDist) out.push('Geofence violation: exceeding maximum distance to Home');
  if (bits & GfBreach.MaxAlt) out.push('Geofence violation: exceeding maximum altitude above Home');
  if (bits & GfBreach.Fence) out.push('Geofence violation: approaching or outside geofence');
  return out;
}
