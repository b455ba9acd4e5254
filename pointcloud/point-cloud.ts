/**
 * The point cloud: struct-of-arrays on typed arrays. x/y/z are always Float32Array (PCL's
 * precision); every other field keeps its native scalar type. `origin` (float64, metres) is added
 * to x/y/z to get world coordinates, so georeferenced clouds (UTM eastings ~5e5) keep mm precision
 * in float32 local coordinates.
 */
export type ScalarType = 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64';

export type TypedArray =
  | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;

/** One non-coordinate field: `count` values per point, point-major (`data[i * count + c]`). */
export interface PointField {
  readonly type: ScalarType;
  readonly count: number;
  readonly data: TypedArray;
}

export interface PointCloud {
  /** Number of points. */
  readonly length: number;
  /** Local coordinates, metres. World = origin + local. */
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly z: Float32Array;
  /** Extra fields by name (intensity, rgb, classification, normal_x…). */
  readonly fields: Readonly<Record<string, PointField>>;
  /** World offset of the local frame, metres (float64). */
  readonly origin: readonly [number, number, number];
}

export const SCALAR_SIZE: Readonly<Record<ScalarType, number>> = {
  int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, float32: 4, float64: 8,
};

/** Allocates a typed array of `type` with `n` elements. */
export function allocScalar(type: ScalarType, n: number): TypedArray {
  switch (type) {
    case 'int8': return new Int8Array(n);
    case 'uint8': return new Uint8Array(n);
    case 'int16': return new Int16Array(n);
    case 'uint16': return new Uint16Array(n);
    case 'int32': return new Int32Array(n);
    case 'uint32': return new Uint32Array(n);
    case 'float32': return new Float32Array(n);
    case 'float64': return new Float64Array(n);
  }
}

/** Builds a cloud; x/y/z must have the same length, fields `length * count` values. */
export function makeCloud(
  x: Float32Array, y: Float32Array, z: Float32Array,
  fields: Record<string, PointField> = {}, origin: readonly [number, number, number] = [0, 0, 0],
): PointCloud {
  return { length: x.length, x, y, z, fields, origin };
}

/** A cloud from interleaved [x0,y0,z0,x1,…] numbers (tests, small clouds). */
export function cloudFromXyz(xyz: ArrayLike<number>, fields: Record<string, PointField> = {}): PointCloud {
  const n = Math.floor(xyz.length / 3);
  const x = new Float32Array(n), y = new Float32Array(n), z = new Float32Array(n);
  for (let i = 0; i < n; i++) { x[i] = xyz[3 * i]!; y[i] = xyz[3 * i + 1]!; z[i] = xyz[3 * i + 2]!; }
  return makeCloud(x, y, z, fields);
}

/** The points at `indices`, in that order, every field carried along. */
export function selectPoints(c: PointCloud, indices: ArrayLike<number>): PointCloud {
  const n = indices.length;
  const x = new Float32Array(n), y = new Float32Array(n), z = new Float32Array(n);
  for (let i = 0; i < n; i++) { const j = indices[i]!; x[i] = c.x[j]!; y[i] = c.y[j]!; z[i] = c.z[j]!; }
  const fields: Record<string, PointField> = {};
  for (const [name, f] of Object.entries(c.fields)) {
    const data = allocScalar(f.type, n * f.count);
    for (let i = 0; i < n; i++) {
      const j = indices[i]!;
      for (let k = 0; k < f.count; k++) data[i * f.count + k] = f.data[j * f.count + k]!;
    }
    fields[name] = { type: f.type, count: f.count, data };
  }
  return makeCloud(x, y, z, fields, c.origin);
}

/** Axis-aligned bounds of the finite points (local frame); NaN bounds when there are none. */
export function bounds(c: PointCloud): { min: [number, number, number]; max: [number, number, number] } {
  let x0 = Infinity, y0 = Infinity, z0 = Infinity, x1 = -Infinity, y1 = -Infinity, z1 = -Infinity;
  const { x, y, z } = c;
  for (let i = 0; i < c.length; i++) {
    const a = x[i]!, b = y[i]!, d = z[i]!;
    if (!(Number.isFinite(a) && Number.isFinite(b) && Number.isFinite(d))) continue;
    if (a < x0) x0 = a; if (a > x1) x1 = a;
    if (b < y0) y0 = b; if (b > y1) y1 = b;
    if (d < z0) z0 = d; if (d > z1) z1 = d;
  }
  if (x0 === Infinity) return { min: [NaN, NaN, NaN], max: [NaN, NaN, NaN] };
  return { min: [x0, y0, z0], max: [x1, y1, z1] };
}
