/**
 * Terrain height from a {@link TerrainSpec}: flat, or smooth seeded hills (value noise on a
 * lattice of `wavelength_m`, smoothstep-interpolated, scaled by `amplitude_m`, shifted so the
 * world origin sits at height 0). Heights are metres up from the origin's altitude; positions
 * metres north/east of the origin.
 */
import type { TerrainSpec } from './world-spec.js';

export interface TerrainHeight {
  /** Height above the origin, m. */
  at(north_m: number, east_m: number): number;
  /** An upper bound on the slope |∇h| (m per m), for safe ray marching. */
  readonly maxSlope: number;
  readonly flat: boolean;
}

/** A deterministic hash of a lattice point and seed → [0, 1). */
function lattice(i: number, j: number, seed: number): number {
  let h = Math.imul(i | 0, 0x27d4eb2d) ^ Math.imul(j | 0, 0x165667b1) ^ Math.imul(seed | 0, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

const smooth = (t: number): number => t * t * (3 - 2 * t);

export function createTerrain(spec: TerrainSpec): TerrainHeight {
  if (spec.kind === 'flat') return { at: () => 0, maxSlope: 0, flat: true };
  const amp = spec.amplitude_m;
  const lam = spec.wavelength_m;
  const seed = spec.seed ?? 1;
  const noise = (n: number, e: number): number => {
    const x = n / lam, y = e / lam;
    const i = Math.floor(x), j = Math.floor(y);
    const u = smooth(x - i), v = smooth(y - j);
    const a = lattice(i, j, seed), b = lattice(i + 1, j, seed), c = lattice(i, j + 1, seed), d = lattice(i + 1, j + 1, seed);
    return a + (b - a) * u + (c - a) * v + (a - b - c + d) * u * v;
  };
  const zero = noise(0, 0);
  // Each axis: |∂h/∂x| ≤ amp · 1.5 / λ (smoothstep slope 1.5, lattice values in [0,1)).
  return { at: (n, e) => amp * (noise(n, e) - zero), maxSlope: (amp * 1.5 * Math.SQRT2) / lam, flat: false };
}
