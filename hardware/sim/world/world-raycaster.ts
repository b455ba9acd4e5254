/**
 * Ray → first hit against a {@link SensorWorldSpec}: the terrain and every obstacle (boxes and
 * buildings with yaw, vertical cylinders). Used by the simulated LiDAR (hundreds of thousands of
 * rays a second), so obstacles are kept in flat typed arrays and culled once per sensor position.
 *
 * @remarks
 * Coordinates are local NED metres from the world origin (down relative to the origin's
 * altitude); directions are unit vectors. Obstacle bases sit on the terrain at their centre
 * unless `base_m` gives their height above the origin. Terrain hits use analytic planes when
 * flat and Lipschitz-bounded ray marching over hills (error ≤ 1 cm).
 */
import { createTerrain, type TerrainHeight } from './terrain-height.js';
import type { SensorWorldSpec } from './world-spec.js';

/** What a ray hit. */
export const HIT_NONE = 0;
export const HIT_TERRAIN = 1;
export const HIT_OBSTACLE = 2;

const KIND_BOX = 0;
const KIND_CYL = 1;
const DEG = Math.PI / 180;

export class WorldRaycaster {
  readonly terrain: TerrainHeight;
  /** What the last {@link cast} hit (HIT_*), and the obstacle index when an obstacle. */
  lastKind = HIT_NONE;
  lastObstacle = -1;
  private readonly count: number;
  private readonly kind: Uint8Array;
  /** Per obstacle: centre n, e; cos, sin of yaw; half x, half y (or radius, radius); down of top, down of base. */
  private readonly geo: Float64Array;
  /** Per obstacle: horizontal bounding radius. */
  private readonly bound: Float64Array;
  private active: Int32Array;
  private activeCount: number;

  constructor(spec: SensorWorldSpec) {
    this.terrain = createTerrain(spec.terrain);
    const obs = spec.obstacles;
    this.count = obs.length;
    this.kind = new Uint8Array(obs.length);
    this.geo = new Float64Array(obs.length * 8);
    this.bound = new Float64Array(obs.length);
    obs.forEach((o, i) => {
      const base = o.base_m ?? this.terrain.at(o.north, o.east);
      const g = i * 8;
      this.geo[g] = o.north;
      this.geo[g + 1] = o.east;
      if (o.kind === 'cylinder') {
        this.kind[i] = KIND_CYL;
        this.geo[g + 2] = 1; this.geo[g + 3] = 0;
        this.geo[g + 4] = o.radius_m; this.geo[g + 5] = o.radius_m;
        this.geo[g + 6] = -(base + o.height_m); this.geo[g + 7] = -base;
        this.bound[i] = o.radius_m;
      } else {
        this.kind[i] = KIND_BOX;
        this.geo[g + 2] = Math.cos(o.yaw_deg * DEG); this.geo[g + 3] = Math.sin(o.yaw_deg * DEG);
        this.geo[g + 4] = o.size_m.x / 2; this.geo[g + 5] = o.size_m.y / 2;
        this.geo[g + 6] = -(base + o.size_m.z); this.geo[g + 7] = -base;
        this.bound[i] = Math.hypot(o.size_m.x, o.size_m.y) / 2;
      }
    });
    this.active = new Int32Array(obs.length);
    for (let i = 0; i < obs.length; i++) this.active[i] = i;
    this.activeCount = obs.length;
  }

  /** Restricts later casts to obstacles within `radius_m` (horizontally) of a point. */
  cull(north_m: number, east_m: number, radius_m: number): void {
    let k = 0;
    for (let i = 0; i < this.count; i++) {
      const g = i * 8;
      if (Math.hypot(this.geo[g]! - north_m, this.geo[g + 1]! - east_m) <= radius_m + this.bound[i]!) this.active[k++] = i;
    }
    this.activeCount = k;
  }

  /**
   * Distance (m) along the unit ray from (n, e, d) to the first surface, or `Infinity` when
   * nothing lies within `maxRange_m`. Sets {@link lastKind}.
   */
  cast(n: number, e: number, d: number, dn: number, de: number, dd: number, maxRange_m: number): number {
    let best = maxRange_m;
    let kind = HIT_NONE;
    let which = -1;
    const geo = this.geo;
    for (let a = 0; a < this.activeCount; a++) {
      const i = this.active[a]!;
      const g = i * 8;
      const rn = n - geo[g]!, re = e - geo[g + 1]!;
      let t0 = -Infinity, t1 = Infinity;
      // Vertical slab (down of top … down of base).
      if (Math.abs(dd) < 1e-12) {
        if (d < geo[g + 6]! || d > geo[g + 7]!) continue;
      } else {
        let s0 = (geo[g + 6]! - d) / dd, s1 = (geo[g + 7]! - d) / dd;
        if (s0 > s1) { const s = s0; s0 = s1; s1 = s; }
        t0 = s0; t1 = s1;
      }
      if (this.kind[i] === KIND_BOX) {
        const c = geo[g + 2]!, s = geo[g + 3]!;
        const u = rn * c + re * s, v = -rn * s + re * c;
        const du = dn * c + de * s, dv = -dn * s + de * c;
        const hu = geo[g + 4]!, hv = geo[g + 5]!;
        // Slabs along the box's own x and y (inlined: this is the hot loop).
        if (Math.abs(du) < 1e-12) {
          if (u < -hu || u > hu) continue;
        } else {
          let s0 = (-hu - u) / du, s1 = (hu - u) / du;
          if (s0 > s1) { const x = s0; s0 = s1; s1 = x; }
          if (s0 > t0) t0 = s0;
          if (s1 < t1) t1 = s1;
        }
        if (Math.abs(dv) < 1e-12) {
          if (v < -hv || v > hv) continue;
        } else {
          let s0 = (-hv - v) / dv, s1 = (hv - v) / dv;
          if (s0 > s1) { const x = s0; s0 = s1; s1 = x; }
          if (s0 > t0) t0 = s0;
          if (s1 < t1) t1 = s1;
        }
      } else {
        const r = geo[g + 4]!;
        const A = dn * dn + de * de;
        const C = rn * rn + re * re - r * r;
        if (A < 1e-12) {
          if (C > 0) continue;
        } else {
          const B = rn * dn + re * de;
          const disc = B * B - A * C;
          if (disc < 0) continue;
          const q = Math.sqrt(disc);
          const s0 = (-B - q) / A, s1 = (-B + q) / A;
          if (s0 > t0) t0 = s0;
          if (s1 < t1) t1 = s1;
        }
      }
      if (t0 > t1 || t1 < 0) continue;
      const t = t0 > 0 ? t0 : 0;
      if (t < best) { best = t; kind = HIT_OBSTACLE; which = i; }
    }
    const tt = this.castTerrain(n, e, d, dn, de, dd, best);
    if (tt < best) { best = tt; kind = HIT_TERRAIN; which = -1; }
    this.lastKind = kind;
    this.lastObstacle = which;
    return kind === HIT_NONE ? Infinity : best;
  }

  /** Distance to the terrain along the ray, or Infinity within `limit`. */
  castTerrain(n: number, e: number, d: number, dn: number, de: number, dd: number, limit: number): number {
    const ter = this.terrain;
    if (ter.flat) {
      // Ground is the plane down = 0.
      if (d >= 0) return 0;
      if (dd <= 0) return Infinity;
      const t = -d / dd;
      return t <= limit ? t : Infinity;
    }
    // Gap (height above terrain) shrinks at most at `rate` per metre of ray.
    const horiz = Math.hypot(dn, de);
    const rate = ter.maxSlope * horiz + Math.max(0, dd);
    let t = 0;
    for (let it = 0; it < 200; it++) {
      const pn = n + dn * t, pe = e + de * t, pd = d + dd * t;
      const gap = -pd - ter.at(pn, pe);
      if (gap <= 0.01) return t;
      if (rate <= 1e-9) return Infinity;
      t += Math.max(gap / rate, 0.005);
      if (t > limit) return Infinity;
    }
    return Infinity;
  }
}
