import { describe, expect, it } from 'vitest';
import { Geofence, PlanningInputError, planSurvey } from '../../core/planning/index.js';
import type { SurveyParams } from '../../core/planning/index.js';
import type { LocalXY } from '../../core/geo.js';
import { captureSegments, nearest } from './helpers.js';

/** DJI Phantom 4 Pro-like: 13.2 × 8.8 mm sensor, 8.8 mm lens, 5472 × 3648 px. */
const camera = {
  sensor_width_mm: 13.2,
  sensor_height_mm: 8.8,
  focal_length_mm: 8.8,
  image_width_px: 5472,
  image_height_px: 3648,
};
const pt = (north_m: number, east_m: number): LocalXY => ({ north_m, east_m });
/** 200 m north × 100 m east. */
const rectangle = [pt(0, 0), pt(200, 0), pt(200, 100), pt(0, 100)];
const base: SurveyParams = { polygon: rectangle, alt_m: 50, camera, front_overlap: 0.8, side_overlap: 0.7 };

describe('planSurvey on a 200 × 100 m rectangle at 50 m', () => {
  const plan = planSurvey(base);

  it('sizes footprint, spacing, trigger distance and GSD from the pinhole model', () => {
    // 50 m · 13.2 / 8.8 = 75 m across; 50 m · 8.8 / 8.8 = 50 m along.
    expect(plan.footprint.width_m).toBeCloseTo(75, 9);
    expect(plan.footprint.height_m).toBeCloseTo(50, 9);
    expect(plan.line_spacing_m).toBeCloseTo(22.5, 9); // 75 · (1 − 0.7)
    expect(plan.trigger_distance_m).toBeCloseTo(10, 9); // 50 · (1 − 0.8)
    expect(plan.gsd_cm_per_px).toBeCloseTo((75 / 5472) * 100, 9); // ≈ 1.37 cm/px
  });

  it('flies 5 lines along the long (north) edge, centred across the 100 m width', () => {
    // ceil(100 / 22.5) = 5 lines; margin (100 − 4 · 22.5) / 2 = 5 m each side.
    expect(plan.angle_deg).toBeCloseTo(0, 9);
    expect(plan.lines).toBe(5);
    const easts = [...new Set(plan.waypoints.map((w) => w.east_m.toFixed(6)))].map(Number);
    expect(easts).toEqual([5, 27.5, 50, 72.5, 95]);
    // 21 captures per 200 m line (0, 10, …, 200 m), no transit points on a rectangle.
    expect(plan.waypoints).toHaveLength(5 * 21);
    expect(plan.waypoints.every((w) => w.capture && w.alt_m === 50)).toBe(true);
    expect(plan.length_m).toBeCloseTo(5 * 200 + 4 * 22.5, 6);
  });

  it('alternates direction line by line, entering and leaving at the polygon edge', () => {
    for (let line = 0; line < 5; line++) {
      const pts = plan.waypoints.slice(line * 21, line * 21 + 21);
      const [first, last] = [pts[0]!, pts[20]!];
      expect(first.north_m).toBeCloseTo(line % 2 === 0 ? 0 : 200, 6);
      expect(last.north_m).toBeCloseTo(line % 2 === 0 ? 200 : 0, 6);
      pts.slice(1).forEach((p, i) => expect(Math.abs(p.north_m - pts[i]!.north_m)).toBeCloseTo(10, 6));
    }
  });

  it('keeps every waypoint inside the polygon', () => {
    const fence = new Geofence({ polygon: rectangle });
    for (const w of plan.waypoints) expect(fence.contains(w)).toBe(true);
  });

  it('is deterministic', () => {
    expect(planSurvey(base)).toEqual(plan);
  });
});

describe('planSurvey options', () => {
  it('flies across the rectangle when angle_deg is 90 (east)', () => {
    const plan = planSurvey({ ...base, angle_deg: 90 });
    expect(plan.lines).toBe(Math.ceil(200 / 22.5)); // 9
    const first = plan.waypoints[0]!;
    const second = plan.waypoints[1]!;
    expect(second.north_m).toBeCloseTo(first.north_m, 6);
    expect(second.east_m - first.east_m).toBeCloseTo(10, 6);
  });

  it('adds non-capturing turnaround points beyond each line end', () => {
    const plan = planSurvey({ ...base, turnaround_m: 15 });
    const turns = plan.waypoints.filter((w) => !w.capture);
    expect(turns).toHaveLength(10);
    for (const w of turns) expect([-15, 215]).toContain(Math.round(w.north_m * 1e6) / 1e6);
  });

  it('captures at the exit too when the line is not a multiple of the trigger distance', () => {
    const plan = planSurvey({ ...base, polygon: [pt(0, 0), pt(205, 0), pt(205, 20), pt(0, 20)] });
    const line = plan.waypoints.filter((w) => Math.abs(w.east_m - 10) < 1e-6);
    expect(line.map((w) => Math.round(w.north_m * 1e6) / 1e6).at(-1)).toBe(205);
    expect(line).toHaveLength(22); // 0, 10, …, 200, 205
  });
});

describe('planSurvey on a concave L', () => {
  // West arm 100 m north × 50 m east, south arm 50 m north × 100 m east; notch at the NE.
  const L = [pt(0, 0), pt(100, 0), pt(100, 50), pt(50, 50), pt(50, 100), pt(0, 100)];
  const inNotch = (p: LocalXY) => p.north_m > 50 + 1e-6 && p.east_m > 50 + 1e-6;

  for (const angle_deg of [0, 90, 30, 135]) {
    it(`puts no waypoint and no leg in the notch (lines at ${angle_deg}°)`, () => {
      const plan = planSurvey({ ...base, polygon: L, alt_m: 30, angle_deg, line_ends: 'polygon' });
      expect(plan.waypoints.filter(inNotch)).toEqual([]);
      const fence = new Geofence({ polygon: L });
      plan.waypoints.forEach((w) => expect(fence.contains(w)).toBe(true));
      // Dog-leg transits keep every leg inside the L, not just its ends.
      for (let i = 1; i < plan.waypoints.length; i++) {
        expect(fence.segmentInside(plan.waypoints[i - 1]!, plan.waypoints[i]!)).toBe(true);
      }
    });
  }

  it('covers the L: every sampled point is within spacing/2 of a flown line', () => {
    const plan = planSurvey({ ...base, polygon: L, alt_m: 30 });
    const fence = new Geofence({ polygon: L });
    const segs = captureSegments(plan.waypoints, plan.angle_deg);
    for (let n = 0.5; n < 100; n += 2.5) {
      for (let e = 0.5; e < 100; e += 2.5) {
        if (!fence.contains(pt(n, e))) continue;
        expect(nearest(pt(n, e), segs)).toBeLessThanOrEqual(plan.line_spacing_m / 2 + 1e-6);
      }
    }
  });
});

describe('planSurvey rejects bad input', () => {
  const cases: [string, Partial<SurveyParams>, RegExp][] = [
    ['two vertices', { polygon: [pt(0, 0), pt(1, 1)] }, /polygon needs at least 3 vertices/],
    ['zero area', { polygon: [pt(0, 0), pt(10, 0), pt(20, 0)] }, /polygon has zero area/],
    ['a bow-tie', { polygon: [pt(0, 0), pt(10, 10), pt(10, 0), pt(0, 10)] }, /polygon is self-intersecting/],
    ['a NaN vertex', { polygon: [pt(0, 0), pt(10, NaN), pt(10, 0)] }, /vertex 1 is not a finite point/],
    ['front overlap 0.96', { front_overlap: 0.96 }, /front_overlap must be within 0\.\.0\.95/],
    ['negative side overlap', { side_overlap: -0.1 }, /side_overlap must be within 0\.\.0\.95/],
    ['altitude 0', { alt_m: 0 }, /alt_m must be > 0/],
    ['a zero focal length', { camera: { ...camera, focal_length_mm: 0 } }, /camera\.focal_length_mm must be > 0/],
    ['negative turnaround', { turnaround_m: -1 }, /turnaround_m must be ≥ 0/],
  ];
  for (const [name, patch, message] of cases) {
    it(`throws on ${name}`, () => {
      expect(() => planSurvey({ ...base, ...patch })).toThrow(message);
      expect(() => planSurvey({ ...base, ...patch })).toThrow(PlanningInputError);
    });
  }

  it('refuses a plan that would explode in size', () => {
    const huge = [pt(0, 0), pt(100_000, 0), pt(100_000, 100_000), pt(0, 100_000)];
    expect(() => planSurvey({ ...base, polygon: huge, alt_m: 1 })).toThrow(/waypoints exceed/);
  });

  it('accepts a repeated closing vertex', () => {
    expect(planSurvey({ ...base, polygon: [...rectangle, rectangle[0]!] }).lines).toBe(5);
  });
});
