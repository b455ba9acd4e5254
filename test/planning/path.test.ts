import { describe, expect, it } from 'vitest';
import { estimateDuration_s, isSimplePolygon, pathLength_m, polygonArea_m2 } from '../../core/planning/index.js';

const pt = (north_m: number, east_m: number, alt_m?: number) => (alt_m === undefined ? { north_m, east_m } : { north_m, east_m, alt_m });

describe('pathLength_m', () => {
  it('sums legs in 3-D, treating a missing altitude as 0', () => {
    expect(pathLength_m([pt(0, 0), pt(3, 4), pt(3, 4, 12)])).toBeCloseTo(5 + 12, 12);
    expect(pathLength_m([pt(0, 0, 10), pt(0, 3, 14)])).toBeCloseTo(5, 12);
    expect(pathLength_m([])).toBe(0);
    expect(pathLength_m([pt(1, 1)])).toBe(0);
  });
});

describe('estimateDuration_s', () => {
  it('takes the slower axis of each leg', () => {
    // 100 m at 10 m/s = 10 s (climb 10 m at 2 m/s = 5 s, flown at the same time), then a 30 m climb = 15 s.
    expect(estimateDuration_s([pt(0, 0, 0), pt(100, 0, 10), pt(100, 0, 40)], 10, 2)).toBeCloseTo(25, 12);
  });
  it('rejects non-positive speeds', () => {
    expect(() => estimateDuration_s([], 0, 1)).toThrow(/cruise_mps must be > 0/);
    expect(() => estimateDuration_s([], 1, -1)).toThrow(/climb_mps must be > 0/);
  });
});

describe('polygonArea_m2 and isSimplePolygon', () => {
  const L = [pt(0, 0), pt(100, 0), pt(100, 50), pt(50, 50), pt(50, 100), pt(0, 100)];
  it('computes area whatever the winding', () => {
    expect(polygonArea_m2(L)).toBeCloseTo(7500, 9);
    expect(polygonArea_m2([...L].reverse())).toBeCloseTo(7500, 9);
    expect(polygonArea_m2([pt(0, 0), pt(1, 1)])).toBe(0);
  });
  it('tells simple polygons from crossing, touching and folded ones', () => {
    expect(isSimplePolygon(L)).toBe(true);
    expect(isSimplePolygon([pt(0, 0), pt(0, 5), pt(0, 10), pt(10, 10), pt(10, 0)])).toBe(true); // collinear vertex ok
    expect(isSimplePolygon([pt(0, 0), pt(10, 10), pt(10, 0), pt(0, 10)])).toBe(false); // bow-tie
    expect(isSimplePolygon([pt(0, 0), pt(10, 0), pt(10, 10), pt(10, 0), pt(0, 10)])).toBe(false); // repeated vertex
    expect(isSimplePolygon([pt(0, 0), pt(10, 0), pt(5, 0), pt(5, 10)])).toBe(false); // folds back on itself
    // A vertex touching a non-adjacent edge.
    expect(isSimplePolygon([pt(0, 0), pt(10, 0), pt(10, 10), pt(5, 0), pt(0, 10)])).toBe(false);
    expect(isSimplePolygon([pt(0, 0), pt(1, 1)])).toBe(false);
  });
});
