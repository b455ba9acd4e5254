/**
 * Crop, rigid transform and merge. Rigid transforms are row-major 4×4 matrices (metres) acting on
 * local coordinates: p' = R p + t, computed in float64 and stored as float32 (pcl::transformPointCloud).
 */
import { allocScalar, makeCloud, selectPoints, type PointCloud, type PointField } from '../point-cloud.js';

/** Row-major 4×4 homogeneous transform. */
export type Mat4 = readonly number[];

export const IDENTITY: Mat4 = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];

/** R = Rz(yaw) · Ry(pitch) · Rx(roll) (radians), then translation (metres). */
export function rigid(roll: number, pitch: number, yaw: number, tx: number, ty: number, tz: number): Mat4 {
  const [cr, sr, cp, sp, cy, sy] = [Math.cos(roll), Math.sin(roll), Math.cos(pitch), Math.sin(pitch), Math.cos(yaw), Math.sin(yaw)];
  return [
    cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr, tx,
    sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr, ty,
    -sp, cp * sr, cp * cr, tz,
    0, 0, 0, 1,
  ];
}

/** a · b for row-major 4×4. */
export function compose(a: Mat4, b: Mat4): Mat4 {
  const o = new Array<number>(16).fill(0);
  for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) for (let k = 0; k < 4; k++) o[4 * r + c] = o[4 * r + c]! + a[4 * r + k]! * b[4 * k + c]!;
  return o;
}

/** Inverse of a rigid transform (Rᵀ, −Rᵀt). */
export function invertRigid(m: Mat4): Mat4 {
  const t = [m[3]!, m[7]!, m[11]!];
  const o = [m[0]!, m[4]!, m[8]!, 0, m[1]!, m[5]!, m[9]!, 0, m[2]!, m[6]!, m[10]!, 0, 0, 0, 0, 1];
  for (let r = 0; r < 3; r++) o[4 * r + 3] = -(o[4 * r]! * t[0]! + o[4 * r + 1]! * t[1]! + o[4 * r + 2]! * t[2]!);
  return o;
}

/** The cloud moved by `m`; normals (normal_x/y/z fields, if any) are rotated too. */
export function transformCloud(c: PointCloud, m: Mat4): PointCloud {
  const n = c.length;
  const x = new Float32Array(n), y = new Float32Array(n), z = new Float32Array(n);
  const [a, b, d, tx, e, f, g, ty, h, i, j, tz] = m as number[];
  for (let k = 0; k < n; k++) {
    const px = c.x[k]!, py = c.y[k]!, pz = c.z[k]!;
    x[k] = a! * px + b! * py + d! * pz + tx!;
    y[k] = e! * px + f! * py + g! * pz + ty!;
    z[k] = h! * px + i! * py + j! * pz + tz!;
  }
  const fields: Record<string, PointField> = { ...c.fields };
  const nx = c.fields.normal_x, ny = c.fields.normal_y, nz = c.fields.normal_z;
  if (nx && ny && nz) {
    const ox = new Float32Array(n), oy = new Float32Array(n), oz = new Float32Array(n);
    for (let k = 0; k < n; k++) {
      const u = nx.data[k]!, v = ny.data[k]!, w = nz.data[k]!;
      ox[k] = a! * u + b! * v + d! * w; oy[k] = e! * u + f! * v + g! * w; oz[k] = h! * u + i! * v + j! * w;
    }
    fields.normal_x = { type: 'float32', count: 1, data: ox };
    fields.normal_y = { type: 'float32', count: 1, data: oy };
    fields.normal_z = { type: 'float32', count: 1, data: oz };
  }
  return makeCloud(x, y, z, fields, c.origin);
}

export interface CropBoxOptions {
  /** Inclusive bounds, metres, local frame. */
  readonly min: readonly [number, number, number];
  readonly max: readonly [number, number, number];
  /** Keep the points outside instead (pcl::CropBox setNegative). */
  readonly negative?: boolean;
}

/** Axis-aligned crop (pcl::CropBox without a box transform): min ≤ p ≤ max on every axis. */
export function cropBox(c: PointCloud, o: CropBoxOptions): PointCloud {
  const keep = new Uint32Array(c.length);
  let m = 0;
  const [x0, y0, z0] = o.min, [x1, y1, z1] = o.max;
  for (let i = 0; i < c.length; i++) {
    const x = c.x[i]!, y = c.y[i]!, z = c.z[i]!;
    const inside = x >= x0 && x <= x1 && y >= y0 && y <= y1 && z >= z0 && z <= z1;
    if (inside !== !!o.negative) keep[m++] = i;
  }
  return selectPoints(c, keep.subarray(0, m));
}

/**
 * Concatenates clouds into the first one's frame (origins reconciled in float64). Fields present in
 * every cloud with the same type and count are kept; others are dropped (pcl::concatenate requires
 * identical fields).
 */
export function mergeClouds(clouds: readonly PointCloud[]): PointCloud {
  const first = clouds[0];
  if (!first) return makeCloud(new Float32Array(0), new Float32Array(0), new Float32Array(0));
  const n = clouds.reduce((a, c) => a + c.length, 0);
  const x = new Float32Array(n), y = new Float32Array(n), z = new Float32Array(n);
  const common = Object.entries(first.fields).filter(([k, f]) => clouds.every((c) => c.fields[k]?.type === f.type && c.fields[k]?.count === f.count));
  const fields: Record<string, PointField> = {};
  for (const [k, f] of common) fields[k] = { type: f.type, count: f.count, data: allocScalar(f.type, n * f.count) };
  let o = 0;
  for (const c of clouds) {
    const dx = c.origin[0] - first.origin[0], dy = c.origin[1] - first.origin[1], dz = c.origin[2] - first.origin[2];
    for (let i = 0; i < c.length; i++) { x[o + i] = c.x[i]! + dx; y[o + i] = c.y[i]! + dy; z[o + i] = c.z[i]! + dz; }
    for (const [k, f] of common) fields[k]!.data.set(c.fields[k]!.data as never, o * f.count);
    o += c.length;
  }
  return makeCloud(x, y, z, fields, first.origin);
}
