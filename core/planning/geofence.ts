/**
 * Geofence: an inclusion area (polygon and/or circle), altitude limits and no-fly exclusions,
 * all in local metres.
 */
import type { LocalXY } from '../geo.js';
import { PlanningInputError, requireNumber } from './errors.js';
import { EDGE_EPS_M, boundaryParams, distanceToEdges, locatePoint, requirePolygon } from './internal/geometry.js';

export interface GeofenceSpec {
  /** Inclusion polygon: the vehicle must stay inside (or on) it. Concave allowed. */
  readonly polygon?: readonly LocalXY[];
  /** Inclusion circle; with `polygon` too, the vehicle must be inside both. */
  readonly circle?: { readonly center: LocalXY; readonly radius_m: number };
  /** Highest allowed altitude (m above home). */
  readonly max_alt_m?: number;
  /** Lowest allowed altitude (m above home). */
  readonly min_alt_m?: number;
  /** No-fly polygons (obstacles, restricted zones); their edges count as inside them. */
  readonly exclusions?: readonly (readonly LocalXY[])[];
}

/** A position to check; altitude limits are only tested when `alt_m` (m above home) is given. */
export interface FencePoint extends LocalXY {
  readonly alt_m?: number;
}

/**
 * An immutable fence. Points on the inclusion boundary are inside (a waypoint placed exactly on
 * the fence is flyable); points on an exclusion's boundary are inside that exclusion, since an
 * obstacle's edge is not a safe place to be.
 *
 * @example
 * const fence = new Geofence({ polygon: field, max_alt_m: 120, exclusions: [mast] });
 * fence.violation({ north_m: 10, east_m: 5, alt_m: 130 }); // 'above max altitude 120 m'
 */
export class Geofence {
  private readonly polygon: readonly LocalXY[] | undefined;
  private readonly circle: { readonly center: LocalXY; readonly radius_m: number } | undefined;
  private readonly maxAlt: number | undefined;
  private readonly minAlt: number | undefined;
  private readonly exclusions: readonly (readonly LocalXY[])[];

  /** @throws PlanningInputError on a degenerate polygon, a non-positive radius or min > max altitude. */
  constructor(spec: GeofenceSpec) {
    const where = 'Geofence';
    this.polygon = spec.polygon === undefined ? undefined : requirePolygon(where, 'polygon', spec.polygon);
    if (spec.circle !== undefined) {
      const c = spec.circle.center;
      if (!c || !Number.isFinite(c.north_m) || !Number.isFinite(c.east_m)) {
        throw new PlanningInputError('PLANNING.INVALID_ARGUMENT', `${where}: circle.center must be a finite {north_m, east_m}`);
      }
      requireNumber(where, 'circle.radius_m', spec.circle.radius_m, (v) => v > 0, '> 0');
      this.circle = { center: { north_m: c.north_m, east_m: c.east_m }, radius_m: spec.circle.radius_m };
    }
    if (spec.max_alt_m !== undefined) this.maxAlt = requireNumber(where, 'max_alt_m', spec.max_alt_m, () => true, 'finite');
    if (spec.min_alt_m !== undefined) this.minAlt = requireNumber(where, 'min_alt_m', spec.min_alt_m, () => true, 'finite');
    if (this.maxAlt !== undefined && this.minAlt !== undefined && this.minAlt > this.maxAlt) {
      throw new PlanningInputError(
        'PLANNING.INVALID_ARGUMENT',
        `${where}: min_alt_m ${this.minAlt} is above max_alt_m ${this.maxAlt}`,
      );
    }
    this.exclusions = (spec.exclusions ?? []).map((p, i) => requirePolygon(where, `exclusions[${i}]`, p));
  }

  /** True when `p` is allowed: inside or on the inclusion area, within altitude limits, in no exclusion. */
  contains(p: FencePoint): boolean {
    return this.violation(p) === undefined;
  }

  /**
   * Why `p` is not allowed, or `undefined` if it is: `'outside fence polygon'`,
   * `'outside fence circle'`, `'above max altitude 120 m'`, `'below min altitude 10 m'`,
   * `'inside exclusion zone 0'` (index into `exclusions`). The first failing rule wins, in that order.
   */
  violation(p: FencePoint): string | undefined {
    if (this.polygon && locatePoint(p, this.polygon) === 'outside') return 'outside fence polygon';
    // Same on-boundary tolerance as the polygons, so a leg's own crossing point stays inside.
    if (this.circle && circleMargin(p, this.circle) < -EDGE_EPS_M) return 'outside fence circle';
    if (p.alt_m !== undefined) {
      if (this.maxAlt !== undefined && p.alt_m > this.maxAlt) return `above max altitude ${this.maxAlt} m`;
      if (this.minAlt !== undefined && p.alt_m < this.minAlt) return `below min altitude ${this.minAlt} m`;
    }
    const zone = this.exclusions.findIndex((z) => locatePoint(p, z) !== 'outside');
    return zone >= 0 ? `inside exclusion zone ${zone}` : undefined;
  }

  /**
   * Signed distance (m) to the nearest fence boundary, horizontal or vertical: positive inside,
   * negative outside, `Infinity` for a fence with no limits.
   *
   * @remarks Inside, this is the distance to the nearest single limit (a safe lower bound on the
   * room to manoeuvre). Outside, it is minus the largest single violation, so its magnitude is a
   * lower bound on the distance back in when several limits are broken at once.
   */
  distanceToBoundary_m(p: FencePoint): number {
    let margin = Infinity;
    if (this.polygon) {
      const d = distanceToEdges(p, this.polygon);
      margin = Math.min(margin, locatePoint(p, this.polygon) === 'outside' ? -d : d);
    }
    if (this.circle) margin = Math.min(margin, circleMargin(p, this.circle));
    if (p.alt_m !== undefined) {
      if (this.maxAlt !== undefined) margin = Math.min(margin, this.maxAlt - p.alt_m);
      if (this.minAlt !== undefined) margin = Math.min(margin, p.alt_m - this.minAlt);
    }
    for (const z of this.exclusions) {
      const d = distanceToEdges(p, z);
      margin = Math.min(margin, locatePoint(p, z) === 'inside' ? -d : d);
    }
    return margin;
  }

  /**
   * True when the whole straight leg `a`→`b` is allowed: it never leaves the inclusion area,
   * enters or grazes an exclusion, or breaks an altitude limit (altitude varies linearly along
   * the leg; with `alt_m` on only one end, altitude is not checked between them).
   *
   * @remarks The leg is cut at every contact with a boundary and each piece's midpoint tested;
   * between contacts a leg cannot change sides, so this is exact up to the edge tolerance.
   */
  segmentInside(a: FencePoint, b: FencePoint): boolean {
    if (!this.contains(a) || !this.contains(b)) return false;
    const ts = [0, 1];
    if (this.polygon) ts.push(...boundaryParams(a, b, this.polygon));
    for (const z of this.exclusions) ts.push(...boundaryParams(a, b, z));
    if (this.circle) ts.push(...circleParams(a, b, this.circle));
    ts.sort((x, y) => x - y);
    const hasAlt = a.alt_m !== undefined && b.alt_m !== undefined;
    for (let k = 0; k + 1 < ts.length; k++) {
      const t0 = ts[k]!;
      const t1 = ts[k + 1]!;
      // Test the contact point itself too: a leg that only grazes an exclusion's vertex is out.
      for (const t of t1 - t0 > 1e-12 ? [t0, (t0 + t1) / 2] : [t0]) {
        const p: FencePoint = {
          north_m: a.north_m + t * (b.north_m - a.north_m),
          east_m: a.east_m + t * (b.east_m - a.east_m),
          ...(hasAlt ? { alt_m: a.alt_m! + t * (b.alt_m! - a.alt_m!) } : {}),
        };
        if (!this.contains(p)) return false;
      }
    }
    return true;
  }
}

function circleMargin(p: LocalXY, c: { readonly center: LocalXY; readonly radius_m: number }): number {
  return c.radius_m - Math.hypot(p.north_m - c.center.north_m, p.east_m - c.center.east_m);
}

/** Parameters t ∈ [0, 1] where `a`→`b` crosses the circle (roots of |a + t·d − c|² = r²). */
function circleParams(a: LocalXY, b: LocalXY, c: { readonly center: LocalXY; readonly radius_m: number }): number[] {
  const dx = b.north_m - a.north_m;
  const dy = b.east_m - a.east_m;
  const fx = a.north_m - c.center.north_m;
  const fy = a.east_m - c.center.east_m;
  const qa = dx * dx + dy * dy;
  if (qa === 0) return [];
  const qb = 2 * (fx * dx + fy * dy);
  const qc = fx * fx + fy * fy - c.radius_m * c.radius_m;
  const disc = qb * qb - 4 * qa * qc;
  if (disc < 0) return [];
  const s = Math.sqrt(disc);
  return [(-qb - s) / (2 * qa), (-qb + s) / (2 * qa)].filter((t) => t > 0 && t < 1);
}
