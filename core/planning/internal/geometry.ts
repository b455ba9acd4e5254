/**
 * Planar geometry on local metres (north_m, east_m). Shared by the survey planner and the
 * geofence; not exported from the folder's index.
 */
import type { LocalXY } from '../../geo.js';
import { PlanningInputError } from '../errors.js';

/**
 * Distance (m) under which a point counts as lying on an edge. Sub-micrometre: well below any
 * positioning accuracy, but above the round-off of rotating kilometre-scale coordinates.
 */
export const EDGE_EPS_M = 1e-7;

const cross = (ax: number, ay: number, bx: number, by: number): number => ax * by - ay * bx;

/** Shoelace area; positive when the vertices run counter-clockwise in the (east, north) plane. */
export function signedArea(poly: readonly LocalXY[]): number {
  let s = 0;
  for (let i = 0; i < poly.length; i++) {
    const a = poly[i]!;
    const b = poly[(i + 1) % poly.length]!;
    s += a.east_m * b.north_m - b.east_m * a.north_m;
  }
  return s / 2;
}

/** Distance (m) from `p` to the segment `a`–`b`. */
export function pointSegmentDistance(p: LocalXY, a: LocalXY, b: LocalXY): number {
  const dx = b.north_m - a.north_m;
  const dy = b.east_m - a.east_m;
  const len2 = dx * dx + dy * dy;
  let t = len2 === 0 ? 0 : ((p.north_m - a.north_m) * dx + (p.east_m - a.east_m) * dy) / len2;
  t = Math.max(0, Math.min(1, t));
  return Math.hypot(p.north_m - (a.north_m + t * dx), p.east_m - (a.east_m + t * dy));
}

/** Distance (m) from `p` to the nearest edge of `poly`. */
export function distanceToEdges(p: LocalXY, poly: readonly LocalXY[]): number {
  let best = Infinity;
  for (let i = 0; i < poly.length; i++) {
    best = Math.min(best, pointSegmentDistance(p, poly[i]!, poly[(i + 1) % poly.length]!));
  }
  return best;
}

/**
 * Point-in-polygon for any simple polygon, concave included. Points within {@link EDGE_EPS_M}
 * of an edge are reported as `'edge'` first, so the crossing test never has to decide them
 * (that is where crossing-number tests are fragile).
 */
export function locatePoint(p: LocalXY, poly: readonly LocalXY[]): 'inside' | 'edge' | 'outside' {
  if (distanceToEdges(p, poly) <= EDGE_EPS_M) return 'edge';
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const a = poly[i]!;
    const b = poly[j]!;
    // Half-open rule on north: a vertex exactly at p's latitude is counted once, not twice.
    if (a.north_m > p.north_m !== b.north_m > p.north_m) {
      const east = a.east_m + ((p.north_m - a.north_m) / (b.north_m - a.north_m)) * (b.east_m - a.east_m);
      if (p.east_m < east) inside = !inside;
    }
  }
  return inside ? 'inside' : 'outside';
}

/**
 * Parameters t ∈ [0, 1] along `a`→`b` where it meets segment `c`–`d` (one value for a
 * crossing or touch, both ends of the overlap for collinear segments).
 */
export function segmentHits(a: LocalXY, b: LocalXY, c: LocalXY, d: LocalXY): number[] {
  const rx = b.north_m - a.north_m;
  const ry = b.east_m - a.east_m;
  const sx = d.north_m - c.north_m;
  const sy = d.east_m - c.east_m;
  const qx = c.north_m - a.north_m;
  const qy = c.east_m - a.east_m;
  const denom = cross(rx, ry, sx, sy);
  const scale = Math.hypot(rx, ry) * Math.hypot(sx, sy);
  if (Math.abs(denom) > 1e-12 * scale) {
    const t = cross(qx, qy, sx, sy) / denom;
    const u = cross(qx, qy, rx, ry) / denom;
    return t >= -1e-12 && t <= 1 + 1e-12 && u >= -1e-12 && u <= 1 + 1e-12 ? [clamp01(t)] : [];
  }
  // Parallel: only collinear overlaps matter.
  const r2 = rx * rx + ry * ry;
  if (r2 === 0 || Math.abs(cross(qx, qy, rx, ry)) > EDGE_EPS_M * Math.sqrt(r2)) return [];
  const t0 = (qx * rx + qy * ry) / r2;
  const t1 = t0 + (sx * rx + sy * ry) / r2;
  const lo = Math.max(0, Math.min(t0, t1));
  const hi = Math.min(1, Math.max(t0, t1));
  return lo <= hi ? [lo, hi] : [];
}

const clamp01 = (t: number): number => Math.max(0, Math.min(1, t));

/**
 * True when the polygon's edges meet only at shared vertices of neighbouring edges: no
 * crossings, touches, collinear overlaps or repeated vertices.
 */
export function isSimple(poly: readonly LocalXY[]): boolean {
  const n = poly.length;
  if (n < 3) return false;
  for (let i = 0; i < n; i++) {
    const a = poly[i]!;
    const b = poly[(i + 1) % n]!;
    if (a.north_m === b.north_m && a.east_m === b.east_m) return false;
    for (let j = i + 1; j < n; j++) {
      const c = poly[j]!;
      const d = poly[(j + 1) % n]!;
      const hits = segmentHits(a, b, c, d);
      if (hits.length === 0) continue;
      const adjacentNext = j === i + 1;
      const adjacentPrev = i === 0 && j === n - 1;
      if (!adjacentNext && !adjacentPrev) return false;
      // Neighbours share exactly one vertex; any other contact (a fold back) is a defect.
      if (hits.length === 2 && hits[1]! - hits[0]! > 1e-9) return false;
      const shared = adjacentNext ? 1 : 0;
      if (hits.some((t) => Math.abs(t - shared) > 1e-9)) return false;
    }
  }
  return true;
}

/**
 * Checks a polygon is usable as an area (≥ 3 finite vertices, non-zero area, simple) and returns
 * it without a repeated closing vertex, which GIS exports commonly include.
 * @throws PlanningInputError `PLANNING.INVALID_POLYGON` naming the defect.
 */
export function requirePolygon(where: string, field: string, poly: readonly LocalXY[] | undefined): LocalXY[] {
  const fail = (why: string): never => {
    throw new PlanningInputError('PLANNING.INVALID_POLYGON', `${where}: ${field} ${why}`, { field });
  };
  if (!Array.isArray(poly)) return fail('must be an array of {north_m, east_m}');
  const pts = [...poly];
  const first = pts[0];
  const last = pts[pts.length - 1];
  if (pts.length > 3 && first && last && first.north_m === last.north_m && first.east_m === last.east_m) pts.pop();
  if (pts.length < 3) return fail(`needs at least 3 vertices (got ${pts.length})`);
  pts.forEach((p, i) => {
    if (!p || !Number.isFinite(p.north_m) || !Number.isFinite(p.east_m)) fail(`vertex ${i} is not a finite point`);
  });
  if (fanArea(pts) < 1e-6) return fail('has zero area (all vertices collinear)');
  // Simplicity before signed area: a symmetric bow-tie also has zero signed area.
  if (!isSimple(pts)) return fail('is self-intersecting (edges cross, touch or repeat a vertex)');
  if (Math.abs(signedArea(pts)) < 1e-6) return fail('has zero area');
  return pts;
}

/** True when the leg stays inside or on the polygon: split at every boundary contact, test each piece. */
export function legInside(poly: readonly LocalXY[], a: LocalXY, b: LocalXY): boolean {
  const ts = [0, 1, ...boundaryParams(a, b, poly)].sort((x, y) => x - y);
  const at = (t: number): LocalXY => ({
    north_m: a.north_m + t * (b.north_m - a.north_m),
    east_m: a.east_m + t * (b.east_m - a.east_m),
  });
  if (locatePoint(a, poly) === 'outside' || locatePoint(b, poly) === 'outside') return false;
  for (let k = 0; k + 1 < ts.length; k++) {
    if (ts[k + 1]! - ts[k]! < 1e-12) continue;
    if (locatePoint(at((ts[k]! + ts[k + 1]!) / 2), poly) === 'outside') return false;
  }
  return true;
}

/** Parameters t ∈ [0, 1] along `a`→`b` where it touches any edge of `poly`. */
export function boundaryParams(a: LocalXY, b: LocalXY, poly: readonly LocalXY[]): number[] {
  const ts: number[] = [];
  for (let i = 0; i < poly.length; i++) ts.push(...segmentHits(a, b, poly[i]!, poly[(i + 1) % poly.length]!));
  return ts;
}

/** Sum of |triangle areas| fanned from vertex 0: zero only when every vertex is collinear. */
function fanArea(poly: readonly LocalXY[]): number {
  const o = poly[0]!;
  let s = 0;
  for (let i = 1; i + 1 < poly.length; i++) {
    const a = poly[i]!;
    const b = poly[i + 1]!;
    s += Math.abs(cross(a.north_m - o.north_m, a.east_m - o.east_m, b.north_m - o.north_m, b.east_m - o.east_m));
  }
  return s / 2;
}
