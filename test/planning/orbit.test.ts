import { describe, expect, it } from 'vitest';
import { PlanningInputError, planOrbit } from '../../core/planning/index.js';
import { distanceXY } from '../../core/geo.js';

const center = { north_m: 100, east_m: -50 };

describe('planOrbit', () => {
  it('puts every waypoint on the circle at the requested altitude, evenly spaced', () => {
    const wps = planOrbit({ center, radius_m: 80, alt_m: 40 });
    for (const w of wps) {
      expect(Math.abs(distanceXY(w, center) - 80)).toBeLessThan(1e-9);
      expect(w.alt_m).toBe(40);
      expect(w.capture).toBe(false);
    }
    const chords = wps.slice(1).map((w, i) => distanceXY(w, wps[i]!));
    for (const c of chords) expect(c).toBeCloseTo(chords[0]!, 9);
  });

  it('defaults to chords of at most 10 m, and never fewer than 8 points a turn', () => {
    const big = planOrbit({ center, radius_m: 80, alt_m: 40 });
    // n ≥ π / asin(5/80) → 51 legs, closing point included.
    expect(big).toHaveLength(51 + 1);
    expect(distanceXY(big[0]!, big[1]!)).toBeLessThanOrEqual(10);
    expect(planOrbit({ center, radius_m: 3, alt_m: 40 })).toHaveLength(8 + 1);
  });

  it('closes the circle: the last waypoint repeats the first for whole turns', () => {
    const wps = planOrbit({ center, radius_m: 30, alt_m: 20, turns: 2, points_per_turn: 12 });
    expect(wps).toHaveLength(2 * 12 + 1);
    expect(distanceXY(wps[0]!, wps[24]!)).toBeLessThan(1e-9);
    expect(distanceXY(wps[0]!, wps[12]!)).toBeLessThan(1e-9);
  });

  it('starts at start_angle_deg (bearing from the centre) and goes clockwise by default', () => {
    const cw = planOrbit({ center, radius_m: 10, alt_m: 20, points_per_turn: 4 });
    // Start due north, then clockwise seen from above: east, south, west.
    expect(cw[0]!.north_m - center.north_m).toBeCloseTo(10, 9);
    expect(cw[1]!.east_m - center.east_m).toBeCloseTo(10, 9);
    const ccw = planOrbit({ center, radius_m: 10, alt_m: 20, points_per_turn: 4, clockwise: false, start_angle_deg: 90 });
    expect(ccw[0]!.east_m - center.east_m).toBeCloseTo(10, 9);
    expect(ccw[1]!.north_m - center.north_m).toBeCloseTo(10, 9);
  });

  it('ends part-way round for fractional turns, still evenly spaced', () => {
    const wps = planOrbit({ center, radius_m: 10, alt_m: 20, turns: 0.5, points_per_turn: 8 });
    expect(wps).toHaveLength(5);
    expect(wps[4]!.north_m - center.north_m).toBeCloseTo(-10, 9); // half a turn from north is south
  });

  it.each([
    [{ radius_m: 0 }, /radius_m must be > 0/],
    [{ alt_m: -5 }, /alt_m must be > 0/],
    [{ turns: 0 }, /turns must be > 0/],
    [{ points_per_turn: 2 }, /points_per_turn must be an integer ≥ 3/],
    [{ points_per_turn: 7.5 }, /points_per_turn must be an integer ≥ 3/],
    [{ center: { north_m: NaN, east_m: 0 } }, /center must be a finite/],
  ])('rejects %o', (patch, message) => {
    const call = () => planOrbit({ center, radius_m: 10, alt_m: 20, ...patch });
    expect(call).toThrow(message);
    expect(call).toThrow(PlanningInputError);
  });
});
