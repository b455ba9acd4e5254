/**
 * Measures of paths and areas in local metres.
 */
import type { LocalXY } from '../geo.js';
import { requireNumber } from './errors.js';
import { isSimple, signedArea } from './internal/geometry.js';

/** A local position; `alt_m` (metres above home) is optional so 2-D paths can be measured too. */
export interface PathPoint extends LocalXY {
  readonly alt_m?: number;
}

/**
 * Length (m) of the polyline through `points`, in 3-D: a missing `alt_m` counts as 0, so a path
 * without altitudes gets its horizontal length.
 */
export function pathLength_m(points: readonly PathPoint[]): number {
  let total = 0;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    total += Math.hypot(b.north_m - a.north_m, b.east_m - a.east_m, (b.alt_m ?? 0) - (a.alt_m ?? 0));
  }
  return total;
}

/**
 * Flight time (s) along `points`, ignoring acceleration and hold times.
 *
 * @param cruise_mps - horizontal ground speed (m/s), > 0.
 * @param climb_mps - vertical speed (m/s), > 0, used for both climbs and descents.
 * @remarks Each leg takes the longer of its horizontal and vertical times, because a multirotor
 * flies both axes at once (PX4 scales the faster axis down to arrive together) rather than one
 * after the other.
 */
export function estimateDuration_s(points: readonly PathPoint[], cruise_mps: number, climb_mps: number): number {
  requireNumber('estimateDuration_s', 'cruise_mps', cruise_mps, (v) => v > 0, '> 0');
  requireNumber('estimateDuration_s', 'climb_mps', climb_mps, (v) => v > 0, '> 0');
  let total = 0;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    const horizontal = Math.hypot(b.north_m - a.north_m, b.east_m - a.east_m) / cruise_mps;
    const vertical = Math.abs((b.alt_m ?? 0) - (a.alt_m ?? 0)) / climb_mps;
    total += Math.max(horizontal, vertical);
  }
  return total;
}

/** Area (m²) enclosed by a simple polygon, whatever its winding; no closing vertex needed. */
export function polygonArea_m2(polygon: readonly LocalXY[]): number {
  return polygon.length < 3 ? 0 : Math.abs(signedArea(polygon));
}

/**
 * True when the polygon has at least 3 vertices and its edges meet only where neighbouring
 * edges share a vertex (no crossings, touches, fold-backs or repeated vertices). Collinear
 * consecutive vertices are allowed; zero area is not checked here (see `polygonArea_m2`).
 */
export function isSimplePolygon(polygon: readonly LocalXY[]): boolean {
  return isSimple(polygon);
}
