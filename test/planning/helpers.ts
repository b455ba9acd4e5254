/** Geometry helpers for the survey tests, computed independently of the planner's internals. */
import type { LocalXY } from '../../core/geo.js';


/** Legs between consecutive capture points that run along the survey direction. */
export function captureSegments(wps: readonly { north_m: number; east_m: number; capture: boolean }[], angle_deg: number) {
  const r = (angle_deg * Math.PI) / 180;
  const [dn, de] = [Math.cos(r), Math.sin(r)];
  const segs: [LocalXY, LocalXY][] = [];
  for (let i = 1; i < wps.length; i++) {
    const a = wps[i - 1]!;
    const b = wps[i]!;
    const [vn, ve] = [b.north_m - a.north_m, b.east_m - a.east_m];
    const len = Math.hypot(vn, ve);
    if (!a.capture || !b.capture || len === 0) continue;
    if (Math.abs(vn * de - ve * dn) / len < 1e-9) segs.push([a, b]);
  }
  // Single-capture passes (a line touching a vertex) are zero-length segments.
  wps.forEach((w) => w.capture && segs.push([w, w]));
  return segs;
}

export function nearest(p: LocalXY, segs: readonly [LocalXY, LocalXY][]): number {
  let best = Infinity;
  for (const [a, b] of segs) {
    const [dn, de] = [b.north_m - a.north_m, b.east_m - a.east_m];
    const l2 = dn * dn + de * de;
    const t = l2 === 0 ? 0 : Math.max(0, Math.min(1, ((p.north_m - a.north_m) * dn + (p.east_m - a.east_m) * de) / l2));
    best = Math.min(best, Math.hypot(p.north_m - a.north_m - t * dn, p.east_m - a.east_m - t * de));
  }
  return best;
}
