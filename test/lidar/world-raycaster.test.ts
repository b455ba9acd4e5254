/**
 * Raycasting against the sensor world: terrain (flat, hills) and obstacles (box with yaw,
 * building, cylinder), first hit distances checked against geometry worked out by hand.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createTerrain } from '../../hardware/sim/world/terrain-height.js';
import { HIT_NONE, HIT_OBSTACLE, HIT_TERRAIN, WorldRaycaster } from '../../hardware/sim/world/world-raycaster.js';
import { SensorWorldSchema } from '../../hardware/sim/world/world-spec.js';

const world = (w: unknown) => new WorldRaycaster(SensorWorldSchema.parse(w));

describe('WorldRaycaster', () => {
  it('flat ground: a ray down from 10 m hits at 10 m; a ray up never hits', () => {
    const r = world({});
    expect(r.cast(0, 0, -10, 0, 0, 1, 100)).toBeCloseTo(10, 9);
    expect(r.lastKind).toBe(HIT_TERRAIN);
    const s = Math.SQRT1_2;
    expect(r.cast(0, 0, -10, s, 0, s, 100)).toBeCloseTo(10 * Math.SQRT2, 9);
    expect(r.cast(0, 0, -10, 0, 0, -1, 100)).toBe(Infinity);
    expect(r.lastKind).toBe(HIT_NONE);
    expect(r.cast(0, 0, -10, 1, 0, 0.01, 100)).toBe(Infinity); // hits at 1000 m, beyond range
  });

  it('a box hit on its near face; a yawed box on its rotated face; rays past it hit the ground', () => {
    const r = world({ obstacles: [{ kind: 'building', north: 20, east: 0, size_m: { x: 4, y: 6, z: 15 } }] });
    expect(r.cast(0, 0, -5, 1, 0, 0, 100)).toBeCloseTo(18, 9);
    expect(r.lastKind).toBe(HIT_OBSTACLE);
    expect(r.cast(0, 0, -20, 1, 0, 0, 100)).toBe(Infinity); // above the roof (15 m)
    expect(r.cast(20, 0, -30, 0, 0, 1, 100)).toBeCloseTo(15, 9); // onto the roof
    expect(r.cast(0, 4, -5, 1, 0, 0, 100)).toBe(Infinity); // east of its 3 m half-width
    // Yaw 90°: x extent (4 m) now lies east-west, y (6 m) north-south: near face at 20 − 3.
    const y = world({ obstacles: [{ kind: 'box', north: 20, east: 0, size_m: { x: 4, y: 6, z: 15 }, yaw_deg: 90 }] });
    expect(y.cast(0, 0, -5, 1, 0, 0, 100)).toBeCloseTo(17, 9);
    // Yaw 45°: a 2×2 box's corner points at the origin: hit at 20 − √2.
    const d = world({ obstacles: [{ kind: 'box', north: 20, east: 0, size_m: { x: 2, y: 2, z: 5 }, yaw_deg: 45 }] });
    expect(d.cast(0, 0, -1, 1, 0, 0, 100)).toBeCloseTo(20 - Math.SQRT2, 9);
  });

  it('base_m lifts an obstacle off the ground (a bridge deck): rays pass under it', () => {
    const r = world({ obstacles: [{ kind: 'box', north: 10, east: 0, size_m: { x: 2, y: 2, z: 1 }, base_m: 5 }] });
    expect(r.cast(0, 0, -2, 1, 0, 0, 100)).toBe(Infinity);
    expect(r.cast(0, 0, -5.5, 1, 0, 0, 100)).toBeCloseTo(9, 9);
  });

  it('a cylinder: side and top', () => {
    const r = world({ obstacles: [{ kind: 'cylinder', north: 0, east: 30, radius_m: 2, height_m: 10 }] });
    expect(r.cast(0, 0, -3, 0, 1, 0, 100)).toBeCloseTo(28, 9);
    expect(r.cast(1, 0, -3, 0, 1, 0, 100)).toBeCloseTo(30 - Math.sqrt(3), 9);
    expect(r.cast(0, 30, -50, 0, 0, 1, 100)).toBeCloseTo(40, 9);
    expect(r.lastKind).toBe(HIT_OBSTACLE);
  });

  it('the nearest of several obstacles wins; culling keeps the result', () => {
    const r = world({ obstacles: [
      { kind: 'box', north: 50, east: 0, size_m: { x: 2, y: 2, z: 10 } },
      { kind: 'cylinder', north: 30, east: 0, radius_m: 1, height_m: 10 },
      { kind: 'box', north: 5000, east: 0, size_m: { x: 2, y: 2, z: 10 } },
    ] });
    expect(r.cast(0, 0, -2, 1, 0, 0, 200)).toBeCloseTo(29, 9);
    expect(r.lastObstacle).toBe(1);
    r.cull(0, 0, 200);
    expect(r.cast(0, 0, -2, 1, 0, 0, 200)).toBeCloseTo(29, 9);
  });

  it('hills: seeded, zero at the origin, and every hit lies on the surface (within 1 cm)', () => {
    const spec = { kind: 'hills' as const, amplitude_m: 8, wavelength_m: 60, seed: 42 };
    const t = createTerrain(spec);
    expect(t.at(0, 0)).toBe(0);
    expect(createTerrain(spec).at(123, -45)).toBe(t.at(123, -45));
    expect(createTerrain({ ...spec, seed: 43 }).at(123, -45)).not.toBe(t.at(123, -45));
    const r = world({ terrain: spec });
    fc.assert(fc.property(fc.double({ min: -Math.PI, max: Math.PI, noNaN: true }), fc.double({ min: 0.05, max: 1.2, noNaN: true }), (az, dip) => {
      const dn = Math.cos(az) * Math.cos(dip), de = Math.sin(az) * Math.cos(dip), dd = Math.sin(dip);
      const d = r.cast(0, 0, -20, dn, de, dd, 300);
      if (d === Infinity) return;
      const n = dn * d, e = de * d, down = -20 + dd * d;
      expect(Math.abs(-down - t.at(n, e))).toBeLessThan(0.011);
      // Nothing earlier along the ray is below ground.
      for (let s = 0; s < d - 0.05; s += 0.5) expect(-(-20 + dd * s)).toBeGreaterThanOrEqual(t.at(dn * s, de * s) - 1e-6);
    }), { numRuns: 100 });
  });
});
