import { describe, expect, it } from 'vitest';
import { LocalFrame } from '../../core/geo.js';
import { checkMissionDistance, DEFAULT_MAX_ITEM_DISTANCE_M, firstItemBeyond } from '../../core/mission-distance.js';

const HOME = { lat_deg: 47.397742, lon_deg: 8.545594, alt_m: 488 };
const f = new LocalFrame(HOME);
const wp = (n: number, e: number) => ({ kind: 'waypoint', ...f.toLatLon(n, e), alt_m: 20 });

describe('checkMissionDistance (a plan made for another place)', () => {
  it('accepts items within the limit, refuses the first beyond it with its index and distance', () => {
    expect(checkMissionDistance([wp(100, 0), wp(9_900, 0)], HOME).ok).toBe(true);
    const r = checkMissionDistance([{ kind: 'takeoff', alt_m: 10 }, wp(100, 0), wp(10_200, 0), wp(50_000, 0)], HOME);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('MISSION.INVALID');
    expect(r.error.context).toMatchObject({ index: 2, limit_m: DEFAULT_MAX_ITEM_DISTANCE_M });
    expect(r.error.context?.['distance_m']).toBeGreaterThan(10_150);
    expect(r.error.message).toMatch(/^items\.2: 10\.2 km from the vehicle's home \(limit 10\.0 km\)/);
  });

  it('a .plan from 6,000 km away, and a land with a position, are seen', () => {
    const far = { kind: 'land', lat_deg: 40.7, lon_deg: -74.0 };
    const r = checkMissionDistance([{ kind: 'takeoff', alt_m: 10 }, far], HOME);
    expect(!r.ok && r.error.message).toMatch(/^items\.1: 6,\d{3} km/);
  });

  it('a limit of 0, an unknown home, items without positions: no check', () => {
    expect(checkMissionDistance([wp(50_000, 0)], HOME, 0).ok).toBe(true);
    expect(checkMissionDistance([wp(50_000, 0)], undefined).ok).toBe(true);
    expect(checkMissionDistance([{ kind: 'rtl' }, null, 'x', { lat_deg: Number.NaN, lon_deg: 1 }], HOME).ok).toBe(true);
    expect(firstItemBeyond([wp(0, 2_000)], HOME, 1_000)?.index).toBe(0);
  });
});
