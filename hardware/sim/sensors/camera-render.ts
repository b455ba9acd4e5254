/**
 * The simulated camera's image: a pinhole projection of the scenario world (seeded procedural
 * ground over the world's terrain, and its obstacles as flat-shaded solids) seen from the
 * camera's pose, rendered into an RGB buffer.
 *
 * @remarks
 * Frames (as `hardware/sensor.port.ts` and `core/sensors/sensor-frame.ts`): the vehicle attitude
 * maps body (FRD) to local NED as `Rz(yaw)·Ry(pitch)·Rx(roll)`; the mount maps the camera frame
 * to body the same way. The camera frame has x along the optical axis, y to the image's right,
 * z to the image's bottom, so a nadir camera (mount pitch −90°) looks down with the image's top
 * toward the vehicle's nose. Positions are metres north/east of the world origin, down relative
 * to the origin's altitude; terrain heights and obstacles come from the {@link SensorWorldSpec}.
 *
 * The render resolution is chosen by the caller (the profile's, scaled down: a 100 MP frame
 * would take seconds); the focal length in pixels scales with it, so the field of view is the
 * profile's. Everything is a pure function of (world, seed, pose): the same inputs give the
 * same pixels.
 */
import { LocalFrame, type GeoPoint } from '../../../core/geo.js';
import type { SensorPose } from '../../sensor.port.js';
import { createTerrain, type TerrainHeight } from '../world/terrain-height.js';
import type { ObstacleSpec, SensorWorldSpec } from '../world/world-spec.js';

const DEG = Math.PI / 180;

/** A camera as the renderer sees it: image size and focal length in render pixels. */
export interface RenderCamera {
  readonly width_px: number;
  readonly height_px: number;
  /** Focal length in render pixels (`focal_mm / sensor_width_mm × width_px`). */
  readonly focal_px: number;
  /** Camera → body rotation, degrees (nadir: pitch −90). */
  readonly mount_deg: { readonly roll: number; readonly pitch: number; readonly yaw: number };
}

/** What one render produced. */
export interface RenderedFrame {
  /** Packed RGB, row-major from the top-left, `width_px × height_px × 3` bytes. */
  readonly rgb: Uint8ClampedArray;
  readonly width_px: number;
  readonly height_px: number;
  /** Ground corners of the image (top-left, top-right, bottom-right, bottom-left); absent when a corner sees no ground. */
  readonly footprint?: readonly GeoPoint[];
  /** Indices (in `world.obstacles`) of obstacles with at least one visible pixel, and how many. */
  readonly obstaclePixels: ReadonlyMap<number, number>;
}

/** Row-major 3×3 `Rz(yaw)·Ry(pitch)·Rx(roll)`, degrees. */
function rotation(a: { roll: number; pitch: number; yaw: number }): number[] {
  const cr = Math.cos(a.roll * DEG), sr = Math.sin(a.roll * DEG);
  const cp = Math.cos(a.pitch * DEG), sp = Math.sin(a.pitch * DEG);
  const cy = Math.cos(a.yaw * DEG), sy = Math.sin(a.yaw * DEG);
  return [cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr, sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr, -sp, cp * sr, cp * cr];
}

function mul(a: number[], b: number[]): number[] {
  const r: number[] = [];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) r.push(a[i * 3]! * b[j]! + a[i * 3 + 1]! * b[3 + j]! + a[i * 3 + 2]! * b[6 + j]!);
  return r;
}

/** 32-bit integer hash of a lattice cell and a seed → [0, 1). */
function hash(i: number, j: number, seed: number): number {
  let h = Math.imul(i | 0, 0x27d4eb2d) ^ Math.imul(j | 0, 0x165667b1) ^ Math.imul(seed | 0, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/** Field colours: grass, wheat, soil, young crop, dry grass, fallow. */
const PALETTE = [
  [86, 130, 62],
  [196, 176, 98],
  [128, 98, 70],
  [110, 150, 70],
  [160, 150, 100],
  [140, 120, 90],
] as const;
const SKY = [150, 190, 235] as const;
const FIELD_M = 40;
const ROAD_EVERY_M = 250;
const ROAD_HALF_M = 3;

/** Sun from the south-east, 50° up: the unit vector toward it in NED. */
const SUN = (() => {
  const az = 135 * DEG, el = 50 * DEG;
  return [Math.cos(el) * Math.cos(az), Math.cos(el) * Math.sin(az), -Math.sin(el)] as const;
})();

interface Solid {
  readonly index: number;
  readonly cyl: boolean;
  readonly n: number;
  readonly e: number;
  readonly c: number;
  readonly s: number;
  readonly hx: number;
  readonly hy: number;
  /** down of the top (negative up), down of the base. */
  readonly top: number;
  readonly base: number;
  readonly wall: readonly [number, number, number];
  readonly roof: readonly [number, number, number];
}

/**
 * Renders camera images of one world. Build once per camera (it indexes the obstacles), then
 * call {@link render} per capture.
 */
export class CameraRenderer {
  private readonly terrain: TerrainHeight;
  private readonly frame: LocalFrame;
  private readonly solids: Solid[];
  private readonly mountRot: number[];
  private readonly depth: Float32Array;

  constructor(
    world: SensorWorldSpec,
    /** World origin (WGS84; NED is relative to it). */
    origin: GeoPoint,
    readonly camera: RenderCamera,
    /** Seeds the ground texture (one world: the same seed for every camera in a run). */
    private readonly seed: number,
  ) {
    this.terrain = createTerrain(world.terrain);
    this.frame = new LocalFrame(origin);
    this.mountRot = rotation(camera.mount_deg);
    this.depth = new Float32Array(camera.width_px * camera.height_px);
    this.solids = world.obstacles.map((o, index) => solid(o, index, this.terrain, seed));
  }

  /** Local NED of a WGS84 point (m, down relative to the origin). */
  toNed(p: GeoPoint): [number, number, number] {
    const ned = this.frame.toNed(p);
    return [ned.north_m, ned.east_m, ned.down_m];
  }

  /** Image pixel (u right, v down; fractional) where a NED point projects, or undefined behind the camera. */
  project(pose: SensorPose, n: number, e: number, d: number): { u: number; v: number } | undefined {
    const C = mul(rotation(pose.attitude_deg), this.mountRot);
    const [pn, pe, pd] = this.toNed(pose.position);
    const rn = n - pn, re = e - pe, rd = d - pd;
    // Camera coordinates: Cᵀ · r.
    const x = C[0]! * rn + C[3]! * re + C[6]! * rd;
    const y = C[1]! * rn + C[4]! * re + C[7]! * rd;
    const z = C[2]! * rn + C[5]! * re + C[8]! * rd;
    if (x <= 1e-6) return undefined;
    const { focal_px: f, width_px: W, height_px: H } = this.camera;
    return { u: (f * y) / x + W / 2, v: (f * z) / x + H / 2 };
  }

  /** Height of the terrain above the origin at a local point, m. */
  terrainAt(north_m: number, east_m: number): number {
    return this.terrain.at(north_m, east_m);
  }

  render(pose: SensorPose): RenderedFrame {
    const { width_px: W, height_px: H, focal_px: f } = this.camera;
    const C = mul(rotation(pose.attitude_deg), this.mountRot);
    const [pn, pe, pd] = this.toNed(pose.position);
    const rgb = new Uint8ClampedArray(W * H * 3);
    const depth = this.depth;
    const ter = this.terrain;
    const ground = new Ground(this.seed);
    // Ray for pixel (u, v) in NED, unnormalised: C·(f, u + ½ − W/2, v + ½ − H/2) = row(v) + u·col.
    const colN = C[1]!, colE = C[4]!, colD = C[7]!;
    const h0 = ter.at(pn, pe);
    for (let v = 0; v < H; v++) {
      const yv = v + 0.5 - H / 2, x0 = 0.5 - W / 2;
      const rowN = C[0]! * f + C[1]! * x0 + C[2]! * yv;
      const rowE = C[3]! * f + C[4]! * x0 + C[5]! * yv;
      const rowD = C[6]! * f + C[7]! * x0 + C[8]! * yv;
      for (let u = 0; u < W; u++) {
        const dn = rowN + colN * u, de = rowE + colE * u, dd = rowD + colD * u;
        const px = v * W + u, o = px * 3;
        if (dd <= 1e-9) {
          depth[px] = Infinity;
          rgb[o] = SKY[0]; rgb[o + 1] = SKY[1]; rgb[o + 2] = SKY[2];
          continue;
        }
        // Ground at height h: down = −h. Flat: one step; hills: a few fixed-point steps.
        let t = (-h0 - pd) / dd;
        if (!ter.flat) for (let k = 0; k < 3; k++) t = (-ter.at(pn + dn * t, pe + de * t) - pd) / dd;
        if (!(t > 0)) {
          depth[px] = Infinity;
          rgb[o] = SKY[0]; rgb[o + 1] = SKY[1]; rgb[o + 2] = SKY[2];
          continue;
        }
        depth[px] = t;
        ground.paint(pn + dn * t, pe + de * t, rgb, o);
      }
    }
    const obstaclePixels = this.drawSolids(C, pn, pe, pd, rgb);
    return { rgb, width_px: W, height_px: H, footprint: this.footprintOf(C, pn, pe, pd), obstaclePixels };
  }

  /** Ground corners of the image at the terrain height under the camera (flat-ground footprint). */
  footprint(pose: SensorPose): readonly GeoPoint[] | undefined {
    const [pn, pe, pd] = this.toNed(pose.position);
    return this.footprintOf(mul(rotation(pose.attitude_deg), this.mountRot), pn, pe, pd);
  }

  private footprintOf(C: number[], pn: number, pe: number, pd: number): readonly GeoPoint[] | undefined {
    const { width_px: W, height_px: H, focal_px: f } = this.camera;
    const h = this.terrain.at(pn, pe);
    const out: GeoPoint[] = [];
    for (const [y, z] of [[-W / 2, -H / 2], [W / 2, -H / 2], [W / 2, H / 2], [-W / 2, H / 2]] as const) {
      const dn = C[0]! * f + C[1]! * y + C[2]! * z, de = C[3]! * f + C[4]! * y + C[5]! * z, dd = C[6]! * f + C[7]! * y + C[8]! * z;
      const t = (-h - pd) / dd;
      if (!(dd > 1e-9) || !(t > 0)) return undefined;
      out.push(this.frame.toGeo({ north_m: pn + dn * t, east_m: pe + de * t, down_m: -h }));
    }
    return out;
  }

  /** Draws every obstacle nearer than what each pixel already shows, in its screen bounding box. */
  private drawSolids(C: number[], pn: number, pe: number, pd: number, rgb: Uint8ClampedArray): Map<number, number> {
    const { width_px: W, height_px: H, focal_px: f } = this.camera;
    const depth = this.depth;
    const seen = new Map<number, number>();
    const colN = C[1]!, colE = C[4]!, colD = C[7]!;
    for (const sd of this.solids) {
      const box = this.screenBox(sd, C, pn, pe, pd);
      if (!box) continue;
      const [u0, u1, v0, v1] = box;
      let count = 0;
      for (let v = v0; v <= v1; v++) {
        const yv = v + 0.5 - H / 2, x0 = 0.5 - W / 2;
        const rowN = C[0]! * f + C[1]! * x0 + C[2]! * yv;
        const rowE = C[3]! * f + C[4]! * x0 + C[5]! * yv;
        const rowD = C[6]! * f + C[7]! * x0 + C[8]! * yv;
        for (let u = u0; u <= u1; u++) {
          const px = v * W + u;
          const dn = rowN + colN * u, de = rowE + colE * u, dd = rowD + colD * u;
          const hit = intersect(sd, pn, pe, pd, dn, de, dd, depth[px]!);
          if (hit === undefined) continue;
          depth[px] = hit.t;
          const lum = 0.35 + 0.65 * Math.max(0, hit.nn * SUN[0] + hit.ne * SUN[1] + hit.nd * SUN[2]);
          const col = hit.nd < -0.5 ? sd.roof : sd.wall;
          const o = px * 3;
          rgb[o] = col[0] * lum; rgb[o + 1] = col[1] * lum; rgb[o + 2] = col[2] * lum;
          count++;
        }
      }
      if (count > 0) seen.set(sd.index, count);
    }
    return seen;
  }

  /** Pixel rectangle [u0, u1, v0, v1] the solid can cover, or undefined when off-image. */
  private screenBox(sd: Solid, C: number[], pn: number, pe: number, pd: number): [number, number, number, number] | undefined {
    const { width_px: W, height_px: H, focal_px: f } = this.camera;
    let umin = Infinity, umax = -Infinity, vmin = Infinity, vmax = -Infinity;
    const corners = sd.cyl ? 12 : 4;
    for (let k = 0; k < corners; k++) {
      let a: number, b: number;
      if (sd.cyl) {
        const ang = (k / corners) * 2 * Math.PI;
        // A circumscribed polygon (radius / cos(π/n)) holds the circle.
        const r = sd.hx / Math.cos(Math.PI / corners);
        a = r * Math.cos(ang); b = r * Math.sin(ang);
      } else {
        a = (k & 1 ? 1 : -1) * sd.hx; b = (k & 2 ? 1 : -1) * sd.hy;
      }
      const n = sd.n + a * sd.c - b * sd.s, e = sd.e + a * sd.s + b * sd.c;
      for (const d of [sd.top, sd.base]) {
        const rn = n - pn, re = e - pe, rd = d - pd;
        const x = C[0]! * rn + C[3]! * re + C[6]! * rd;
        // A corner behind (or beside) the camera: the solid may cover anything.
        if (x <= 1e-3) return [0, W - 1, 0, H - 1];
        const u = (f * (C[1]! * rn + C[4]! * re + C[7]! * rd)) / x + W / 2;
        const v = (f * (C[2]! * rn + C[5]! * re + C[8]! * rd)) / x + H / 2;
        if (u < umin) umin = u;
        if (u > umax) umax = u;
        if (v < vmin) vmin = v;
        if (v > vmax) vmax = v;
      }
    }
    const u0 = Math.max(0, Math.floor(umin)), u1 = Math.min(W - 1, Math.ceil(umax));
    const v0 = Math.max(0, Math.floor(vmin)), v1 = Math.min(H - 1, Math.ceil(vmax));
    return u0 > u1 || v0 > v1 ? undefined : [u0, u1, v0, v1];
  }
}

function solid(o: ObstacleSpec, index: number, terrain: TerrainHeight, seed: number): Solid {
  const base = o.base_m ?? terrain.at(o.north, o.east);
  const tint = 0.85 + 0.3 * hash(index, 7, seed);
  const shade = (c: readonly [number, number, number]): [number, number, number] => [Math.min(255, c[0] * tint), Math.min(255, c[1] * tint), Math.min(255, c[2] * tint)];
  if (o.kind === 'cylinder')
    return { index, cyl: true, n: o.north, e: o.east, c: 1, s: 0, hx: o.radius_m, hy: o.radius_m, top: -(base + o.height_m), base: -base, wall: shade([185, 185, 195]), roof: shade([215, 215, 225]) };
  const building = o.kind === 'building';
  return {
    index,
    cyl: false,
    n: o.north,
    e: o.east,
    c: Math.cos(o.yaw_deg * DEG),
    s: Math.sin(o.yaw_deg * DEG),
    hx: o.size_m.x / 2,
    hy: o.size_m.y / 2,
    top: -(base + o.size_m.z),
    base: -base,
    wall: shade(building ? [205, 195, 180] : [200, 160, 90]),
    roof: shade(building ? [175, 65, 55] : [225, 190, 110]),
  };
}

/** First entry of the ray into the solid before `limit`, with the outward normal there (NED). */
function intersect(sd: Solid, pn: number, pe: number, pd: number, dn: number, de: number, dd: number, limit: number): { t: number; nn: number; ne: number; nd: number } | undefined {
  // Vertical slab.
  let t0: number, t1: number, face = 0; // 0 top/bottom, 1 u, 2 v, 3 cylinder wall
  if (Math.abs(dd) < 1e-12) {
    if (pd < sd.top || pd > sd.base) return undefined;
    t0 = -Infinity; t1 = Infinity;
  } else {
    const s0 = (sd.top - pd) / dd, s1 = (sd.base - pd) / dd;
    t0 = Math.min(s0, s1); t1 = Math.max(s0, s1);
  }
  const rn = pn - sd.n, re = pe - sd.e;
  let su = 0, sv = 0;
  if (!sd.cyl) {
    const u = rn * sd.c + re * sd.s, v = -rn * sd.s + re * sd.c;
    const du = dn * sd.c + de * sd.s, dv = -dn * sd.s + de * sd.c;
    if (Math.abs(du) < 1e-12) {
      if (u < -sd.hx || u > sd.hx) return undefined;
    } else {
      const a = (-sd.hx - u) / du, b = (sd.hx - u) / du;
      const lo = Math.min(a, b);
      if (lo > t0) { t0 = lo; face = 1; su = du > 0 ? -1 : 1; }
      t1 = Math.min(t1, Math.max(a, b));
    }
    if (Math.abs(dv) < 1e-12) {
      if (v < -sd.hy || v > sd.hy) return undefined;
    } else {
      const a = (-sd.hy - v) / dv, b = (sd.hy - v) / dv;
      const lo = Math.min(a, b);
      if (lo > t0) { t0 = lo; face = 2; sv = dv > 0 ? -1 : 1; }
      t1 = Math.min(t1, Math.max(a, b));
    }
  } else {
    const A = dn * dn + de * de;
    const Cq = rn * rn + re * re - sd.hx * sd.hx;
    if (A < 1e-12) {
      if (Cq > 0) return undefined;
    } else {
      const B = rn * dn + re * de;
      const disc = B * B - A * Cq;
      if (disc < 0) return undefined;
      const q = Math.sqrt(disc);
      const lo = (-B - q) / A;
      if (lo > t0) { t0 = lo; face = 3; }
      t1 = Math.min(t1, (-B + q) / A);
    }
  }
  if (t0 > t1 || t0 <= 0 || t0 >= limit) return undefined;
  if (face === 0) return { t: t0, nn: 0, ne: 0, nd: dd > 0 ? -1 : 1 };
  if (face === 1) return { t: t0, nn: su * sd.c, ne: su * sd.s, nd: 0 };
  if (face === 2) return { t: t0, nn: -sv * sd.s, ne: sv * sd.c, nd: 0 };
  const hn = rn + dn * t0, he = re + de * t0, r = Math.hypot(hn, he) || 1;
  return { t: t0, nn: hn / r, ne: he / r, nd: 0 };
}

/**
 * The seeded ground: fields with crop rows, hedges, roads and grain. Keeps the last field's
 * colour and row pattern, since neighbouring pixels almost always fall in the same field.
 */
class Ground {
  private fi = NaN;
  private fj = NaN;
  private r = 0;
  private g = 0;
  private b = 0;
  private alongNorth = true;
  private invPeriod = 1;

  constructor(private readonly seed: number) {}

  /** Writes the colour at local (n, e) into `out[o..o+2]`. */
  paint(n: number, e: number, out: Uint8ClampedArray, o: number): void {
    const seed = this.seed;
    const rn = n - Math.floor(n / ROAD_EVERY_M) * ROAD_EVERY_M, re = e - Math.floor(e / ROAD_EVERY_M) * ROAD_EVERY_M;
    const grain = 0.9 + 0.2 * hash(Math.floor(n * 2), Math.floor(e * 2), seed ^ 0x5bd1e995);
    if (rn < 2 * ROAD_HALF_M || re < 2 * ROAD_HALF_M) {
      // Asphalt with a centre line.
      const centre = Math.abs(rn - ROAD_HALF_M) < 0.15 || Math.abs(re - ROAD_HALF_M) < 0.15;
      const g = centre ? 235 : 95 * grain;
      out[o] = g; out[o + 1] = g; out[o + 2] = centre ? 200 : g + 5;
      return;
    }
    const fi = Math.floor(n / FIELD_M), fj = Math.floor(e / FIELD_M);
    const fn = n - fi * FIELD_M, fe = e - fj * FIELD_M;
    if (fn < 0.8 || fe < 0.8) {
      // Hedge between fields.
      out[o] = 50 * grain; out[o + 1] = 85 * grain; out[o + 2] = 40 * grain;
      return;
    }
    if (fi !== this.fi || fj !== this.fj) {
      const h = hash(fi, fj, seed);
      const c = PALETTE[Math.floor(h * PALETTE.length)]!;
      this.fi = fi; this.fj = fj;
      this.r = c[0]; this.g = c[1]; this.b = c[2];
      // Crop rows along north or east, 1.5–4 m apart, per field.
      this.alongNorth = h * 7 - Math.floor(h * 7) < 0.5;
      this.invPeriod = 1 / (1.5 + 2.5 * (h * 13 - Math.floor(h * 13)));
    }
    const x = (this.alongNorth ? fn : fe) * this.invPeriod;
    // A triangle wave across the rows (cheaper than a cosine, looks the same at this scale).
    const row = 0.82 + 0.24 * Math.abs(2 * (x - Math.floor(x)) - 1);
    const k = grain * row;
    out[o] = this.r * k; out[o + 1] = this.g * k; out[o + 2] = this.b * k;
  }
}
