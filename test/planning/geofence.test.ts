import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Geofence, PlanningInputError } from '../../core/planning/index.js';
import type { LocalXY } from '../../core/geo.js';

const pt = (north_m: number, east_m: number, alt_m?: number) => (alt_m === undefined ? { north_m, east_m } : { north_m, east_m, alt_m });
/** Concave L: 100 m north × 50 m east arm plus 50 × 100 south arm; notch north 50..100, east 50..100. */
const L: LocalXY[] = [pt(0, 0), pt(100, 0), pt(100, 50), pt(50, 50), pt(50, 100), pt(0, 100)];
/** A 10 m square obstacle in the west arm. */
const mast: LocalXY[] = [pt(70, 10), pt(80, 10), pt(80, 20), pt(70, 20)];

describe('Geofence polygon (concave)', () => {
  const fence = new Geofence({ polygon: L });

  it('contains points in both arms and not in the notch or beyond', () => {
    expect(fence.contains(pt(90, 25))).toBe(true);
    expect(fence.contains(pt(25, 90))).toBe(true);
    expect(fence.contains(pt(75, 75))).toBe(false);
    expect(fence.contains(pt(-1, 10))).toBe(false);
    expect(fence.violation(pt(75, 75))).toBe('outside fence polygon');
  });

  it('treats edges and vertices as inside, including the reflex corner', () => {
    for (const p of [pt(0, 30), pt(100, 25), pt(50, 75), pt(75, 50), pt(50, 50), pt(100, 50), pt(0, 0)]) {
      expect(fence.contains(p)).toBe(true);
      expect(fence.distanceToBoundary_m(p)).toBeCloseTo(0, 9);
    }
    // Level with a vertex (the classic crossing-number trap) but outside.
    expect(fence.contains(pt(50, 120))).toBe(false);
    expect(fence.contains(pt(100, 60))).toBe(false);
  });

  it('signs the distance: positive inside, negative outside, in metres', () => {
    expect(fence.distanceToBoundary_m(pt(25, 25))).toBeCloseTo(25, 9);
    expect(fence.distanceToBoundary_m(pt(60, 60))).toBeCloseTo(-10, 9); // 10 m into the notch
    expect(fence.distanceToBoundary_m(pt(110, 20))).toBeCloseTo(-10, 9);
  });

  it('segmentInside refuses a leg cutting the notch but accepts one along its edge', () => {
    expect(fence.segmentInside(pt(90, 40), pt(40, 90))).toBe(false); // both ends inside, middle in the notch
    expect(fence.segmentInside(pt(50, 50), pt(50, 100))).toBe(true); // on the notch edge
    expect(fence.segmentInside(pt(100, 0), pt(0, 0))).toBe(true); // along the west edge
    expect(fence.segmentInside(pt(10, 10), pt(90, 40))).toBe(true);
    expect(fence.segmentInside(pt(10, 10), pt(110, 10))).toBe(false); // ends outside
  });
});

describe('Geofence exclusions, altitude and circle', () => {
  const fence = new Geofence({ polygon: L, exclusions: [mast], max_alt_m: 120, min_alt_m: 10 });

  it('names the failing rule', () => {
    expect(fence.violation(pt(75, 15, 50))).toBe('inside exclusion zone 0');
    expect(fence.violation(pt(70, 15, 50))).toBe('inside exclusion zone 0'); // on the obstacle's edge
    expect(fence.violation(pt(25, 25, 130))).toBe('above max altitude 120 m');
    expect(fence.violation(pt(25, 25, 5))).toBe('below min altitude 10 m');
    expect(fence.violation(pt(25, 25, 60))).toBeUndefined();
    expect(fence.violation(pt(25, 25))).toBeUndefined(); // no altitude: limits not checked
  });

  it('measures distance to the nearest limit, exclusions and altitude included', () => {
    expect(fence.distanceToBoundary_m(pt(75, 15, 50))).toBeCloseTo(-5, 9);
    expect(fence.distanceToBoundary_m(pt(75, 30, 50))).toBeCloseTo(10, 9); // 10 m east of the mast
    expect(fence.distanceToBoundary_m(pt(25, 25, 115))).toBeCloseTo(5, 9);
    expect(fence.distanceToBoundary_m(pt(25, 25, 130))).toBeCloseTo(-10, 9);
  });

  it('segmentInside refuses legs through or grazing an obstacle, or climbing above the ceiling', () => {
    expect(fence.segmentInside(pt(60, 15, 50), pt(90, 15, 50))).toBe(false);
    expect(fence.segmentInside(pt(60, 5, 50), pt(90, 5, 50))).toBe(true);
    expect(fence.segmentInside(pt(60, 0, 50), pt(80, 20, 50))).toBe(false); // touches the corner (70, 10)
    expect(fence.segmentInside(pt(10, 10, 50), pt(30, 30, 119))).toBe(true);
    expect(fence.segmentInside(pt(10, 10, 50), pt(30, 30, 121))).toBe(false);
  });

  it('combines a circle with the polygon: inside both', () => {
    const both = new Geofence({ polygon: L, circle: { center: pt(0, 0), radius_m: 60 } });
    expect(both.contains(pt(30, 30))).toBe(true);
    expect(both.violation(pt(90, 10))).toBe('outside fence circle');
    expect(both.distanceToBoundary_m(pt(0, 30))).toBeCloseTo(0, 9);
    expect(both.segmentInside(pt(59, 0), pt(0, 59))).toBe(true); // a chord stays inside the circle and the L
    expect(both.segmentInside(pt(30, 10), pt(90, 10))).toBe(false); // leaves the circle, not the L
  });

  it('keeps a chord of the circle inside and a leg leaving it outside', () => {
    const round = new Geofence({ circle: { center: pt(0, 0), radius_m: 50 } });
    expect(round.segmentInside(pt(50, 0), pt(0, 50))).toBe(true);
    expect(round.segmentInside(pt(40, 0), pt(40, 40))).toBe(false);
    expect(round.distanceToBoundary_m(pt(0, 0))).toBeCloseTo(50, 9);
  });

  it('has unbounded distance with no limits at all', () => {
    expect(new Geofence({}).distanceToBoundary_m(pt(1, 2))).toBe(Infinity);
  });
});

describe('Geofence distance sign (property)', () => {
  const fence = new Geofence({
    polygon: L,
    exclusions: [mast],
    circle: { center: pt(40, 40), radius_m: 70 },
    max_alt_m: 120,
    min_alt_m: 10,
  });
  const coord = fc.double({ min: -40, max: 140, noNaN: true });
  const arb = fc.record({
    north_m: coord,
    east_m: coord,
    alt_m: fc.double({ min: 0, max: 140, noNaN: true }),
    bearing: fc.double({ min: 0, max: 2 * Math.PI, noNaN: true }),
    frac: fc.double({ min: 0, max: 0.99, noNaN: true }),
  });

  it('contains ⇔ distance ≥ 0, and moving less than |distance| never changes the answer', () => {
    fc.assert(
      fc.property(arb, ({ bearing, frac, ...p }) => {
        const d = fence.distanceToBoundary_m(p);
        if (Math.abs(d) < 1e-9) return; // on a boundary: either answer is consistent
        expect(fence.contains(p)).toBe(d > 0);
        // |d| bounds the distance to the boundary that decides, so a shorter move keeps the side.
        const q = { ...p, north_m: p.north_m + frac * Math.abs(d) * Math.cos(bearing), east_m: p.east_m + frac * Math.abs(d) * Math.sin(bearing) };
        expect(fence.contains(q)).toBe(d > 0);
      }),
      { numRuns: 2000, seed: 42 },
    );
  });
});

describe('Geofence rejects bad specs', () => {
  it.each([
    [{ polygon: [pt(0, 0), pt(1, 1)] }, /Geofence: polygon needs at least 3 vertices/],
    [{ polygon: [pt(0, 0), pt(10, 10), pt(10, 0), pt(0, 10)] }, /polygon is self-intersecting/],
    [{ exclusions: [[pt(0, 0), pt(5, 0), pt(10, 0)]] }, /exclusions\[0\] has zero area/],
    [{ circle: { center: pt(0, 0), radius_m: 0 } }, /circle\.radius_m must be > 0/],
    [{ min_alt_m: 50, max_alt_m: 40 }, /min_alt_m 50 is above max_alt_m 40/],
  ])('throws on %o', (spec, message) => {
    expect(() => new Geofence(spec)).toThrow(message);
    expect(() => new Geofence(spec)).toThrow(PlanningInputError);
  });
});
