/** Property: a survey of any convex polygon leaves no point farther than half a line spacing from a line. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Geofence, planSurvey } from '../../core/planning/index.js';
import type { LocalXY } from '../../core/geo.js';
import { captureSegments, nearest } from './helpers.js';

const camera = {
  sensor_width_mm: 13.2,
  sensor_height_mm: 8.8,
  focal_length_mm: 8.8,
  image_width_px: 5472,
  image_height_px: 3648,
};

/** Andrew's monotone chain; drops collinear points. */
function convexHull(points: LocalXY[]): LocalXY[] {
  const p = [...points].sort((a, b) => a.north_m - b.north_m || a.east_m - b.east_m);
  const cross = (o: LocalXY, a: LocalXY, b: LocalXY) =>
    (a.north_m - o.north_m) * (b.east_m - o.east_m) - (a.east_m - o.east_m) * (b.north_m - o.north_m);
  const half = (pts: LocalXY[]) => {
    const out: LocalXY[] = [];
    for (const q of pts) {
      while (out.length >= 2 && cross(out[out.length - 2]!, out[out.length - 1]!, q) <= 0) out.pop();
      out.push(q);
    }
    out.pop();
    return out;
  };
  return [...half(p), ...half([...p].reverse())];
}

const coord = fc.integer({ min: -300, max: 300 });
const polygonArb = fc
  .array(fc.record({ north_m: coord, east_m: coord }), { minLength: 3, maxLength: 12 })
  .map(convexHull)
  .filter((h) => {
    if (h.length < 3) return false;
    let a = 0;
    h.forEach((p, i) => {
      const q = h[(i + 1) % h.length]!;
      a += p.east_m * q.north_m - q.east_m * p.north_m;
    });
    return Math.abs(a) / 2 > 50;
  });

const paramsArb = fc.record({
  polygon: polygonArb,
  alt_m: fc.double({ min: 30, max: 120, noNaN: true }),
  front_overlap: fc.double({ min: 0, max: 0.8, noNaN: true }),
  side_overlap: fc.double({ min: 0, max: 0.8, noNaN: true }),
  angle_deg: fc.option(fc.double({ min: 0, max: 360, noNaN: true, maxExcluded: true }), { nil: undefined }),
  samples: fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })), {
    minLength: 20,
    maxLength: 40,
  }),
});

/** Test points: every vertex (sharp corners are the hard case), edge midpoints, random interior points. */
function samplePoints(polygon: LocalXY[], samples: [number, number][]): LocalXY[] {
  const ns = polygon.map((p) => p.north_m);
  const es = polygon.map((p) => p.east_m);
  const [n0, n1, e0, e1] = [Math.min(...ns), Math.max(...ns), Math.min(...es), Math.max(...es)];
  const fence = new Geofence({ polygon });
  const mids = polygon.map((p, i) => {
    const q = polygon[(i + 1) % polygon.length]!;
    return { north_m: (p.north_m + q.north_m) / 2, east_m: (p.east_m + q.east_m) / 2 };
  });
  const random = samples
    .map(([a, b]) => ({ north_m: n0 + a * (n1 - n0), east_m: e0 + b * (e1 - e0) }))
    .filter((p) => fence.contains(p));
  return [...polygon, ...mids, ...random];
}

describe('survey coverage of convex polygons (property)', () => {
  it("every point of the polygon is within line_spacing/2 of a survey line (line_ends 'strip')", () => {
    fc.assert(
      fc.property(paramsArb, ({ samples, ...p }) => {
        const plan = planSurvey({ ...p, camera });
        const segs = captureSegments(plan.waypoints, plan.angle_deg);
        for (const q of samplePoints(p.polygon, samples)) {
          expect(nearest(q, segs)).toBeLessThanOrEqual(plan.line_spacing_m / 2 + 1e-6);
        }
      }),
      { numRuns: 150, seed: 20_240_601 },
    );
  });

  it("keeps every waypoint inside the polygon with line_ends 'polygon'", () => {
    fc.assert(
      fc.property(paramsArb, ({ samples: _samples, ...p }) => {
        const plan = planSurvey({ ...p, camera, line_ends: 'polygon' });
        const fence = new Geofence({ polygon: p.polygon });
        for (const w of plan.waypoints) expect(fence.distanceToBoundary_m(w)).toBeGreaterThanOrEqual(-1e-6);
      }),
      { numRuns: 150, seed: 20_240_602 },
    );
  });
});
