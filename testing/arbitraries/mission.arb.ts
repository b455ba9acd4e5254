/**
 * fast-check arbitraries for positions and missions inside a world's bounds. Every value is a
 * scenario mission spec (`MissionSpec` input), so it drops straight into a scenario file.
 *
 * @remarks
 * Coordinates are whole metres and altitudes whole metres: generated files stay readable, and
 * integers shrink towards the origin (the first vehicle's home), so a shrunk mission is short and
 * close to home. Points are drawn in the bounds' box and filtered to the fence (minus exclusions)
 * with a margin, so a vehicle that overshoots a waypoint slightly does not breach the fence.
 */
import fc from 'fast-check';
import type { LocalXY } from '../../core/geo.js';
import type { MissionSpec } from '../../actors/scenario/scenario.schema.js';
import type { WorldBounds } from './world-bounds.js';

/** Distance (m) generated geometry keeps from the fence and from exclusions. */
export const DEFAULT_MARGIN_M = 15;

export interface PointOptions {
  /** Room (m) to keep from the fence edge and exclusions (default {@link DEFAULT_MARGIN_M}). */
  readonly margin_m?: number;
}

/** A local point `{ north, east }` (m) inside the bounds. */
export function localPoint(bounds: WorldBounds, opts: PointOptions = {}): fc.Arbitrary<{ north: number; east: number }> {
  const margin = opts.margin_m ?? DEFAULT_MARGIN_M;
  const { box } = bounds;
  return fc
    .record({ north: fc.integer({ min: box.minN, max: box.maxN }), east: fc.integer({ min: box.minE, max: box.maxE }) })
    .filter((p) => bounds.inside({ north_m: p.north, east_m: p.east }, margin));
}

export interface AltitudeOptions {
  /** `[min, max]` metres above home; default 10 m up to 5 m under the ceiling. */
  readonly alt_m?: readonly [number, number];
}

function altitude(bounds: WorldBounds, opts: AltitudeOptions): fc.Arbitrary<number> {
  const [lo, hi] = opts.alt_m ?? [10, Math.max(10, bounds.maxAlt_m - 5)];
  return fc.integer({ min: Math.ceil(lo), max: Math.max(Math.ceil(lo), Math.floor(Math.min(hi, bounds.maxAlt_m))) });
}

/** One waypoint of a `waypoints` mission. */
export function waypoint(bounds: WorldBounds, opts: PointOptions & AltitudeOptions = {}): fc.Arbitrary<{ north: number; east: number; alt: number }> {
  return fc.tuple(localPoint(bounds, opts), altitude(bounds, opts)).map(([p, alt]) => ({ ...p, alt }));
}

export interface MissionOptions extends PointOptions, AltitudeOptions {
  /** `[min, max]` waypoints of a waypoint mission (default [1, 8]). */
  readonly waypoints?: readonly [number, number];
  /** Largest survey side / orbit radius (m; default 300). */
  readonly max_extent_m?: number;
  readonly end?: 'rtl' | 'land' | 'hold';
}

/** A `waypoints` mission. */
export function waypointMission(bounds: WorldBounds, opts: MissionOptions = {}): fc.Arbitrary<MissionSpec> {
  const [lo, hi] = opts.waypoints ?? [1, 8];
  return fc.array(waypoint(bounds, opts), { minLength: lo, maxLength: hi }).map((waypoints) => ({ type: 'waypoints', waypoints, end: opts.end ?? 'rtl', start_at_s: 0 }) as MissionSpec);
}

/** A `survey` over an axis-aligned rectangle inside the bounds (20 m to `max_extent_m` a side). */
export function surveyMission(bounds: WorldBounds, opts: MissionOptions = {}): fc.Arbitrary<MissionSpec> {
  const margin = opts.margin_m ?? DEFAULT_MARGIN_M;
  const ext = opts.max_extent_m ?? 300;
  return fc
    .record({
      corner: localPoint(bounds, opts),
      size_n: fc.integer({ min: 20, max: Math.max(20, ext) }),
      size_e: fc.integer({ min: 20, max: Math.max(20, ext) }),
      alt: altitude(bounds, { alt_m: opts.alt_m ?? [20, Math.max(20, bounds.maxAlt_m - 5)] }),
      angle_deg: fc.option(fc.integer({ min: 0, max: 179 }), { nil: undefined }),
    })
    .filter(({ corner: c, size_n, size_e }) =>
      corners(c, size_n, size_e).every((p) => bounds.inside({ north_m: p.north, east_m: p.east }, margin)),
    )
    .map(({ corner: c, size_n, size_e, alt, angle_deg }) => {
      const spec: Record<string, unknown> = { type: 'survey', polygon: corners(c, size_n, size_e), alt, end: opts.end ?? 'rtl', start_at_s: 0 };
      if (angle_deg !== undefined) spec.angle_deg = angle_deg;
      return spec as unknown as MissionSpec;
    });
}

function corners(c: { north: number; east: number }, dn: number, de: number) {
  return [
    { north: c.north, east: c.east },
    { north: c.north + dn, east: c.east },
    { north: c.north + dn, east: c.east + de },
    { north: c.north, east: c.east + de },
  ];
}

/** An `orbit` whose whole circle lies inside the bounds. */
export function orbitMission(bounds: WorldBounds, opts: MissionOptions = {}): fc.Arbitrary<MissionSpec> {
  const margin = opts.margin_m ?? DEFAULT_MARGIN_M;
  const maxR = Math.max(10, Math.min(opts.max_extent_m ?? 300, 150));
  return fc
    .record({
      center: localPoint(bounds, opts),
      radius_m: fc.integer({ min: 10, max: maxR }),
      alt: altitude(bounds, opts),
      turns: fc.integer({ min: 1, max: 3 }),
      clockwise: fc.boolean(),
    })
    .filter(({ center, radius_m }) => circleInside(bounds, { north_m: center.north, east_m: center.east }, radius_m, margin))
    .map((o) => ({ type: 'orbit', ...o, end: opts.end ?? 'rtl', start_at_s: 0 }) as MissionSpec);
}

function circleInside(bounds: WorldBounds, c: LocalXY, r: number, margin: number): boolean {
  for (let k = 0; k < 16; k++) {
    const a = (k / 16) * 2 * Math.PI;
    if (!bounds.inside({ north_m: c.north_m + r * Math.cos(a), east_m: c.east_m + r * Math.sin(a) }, margin)) return false;
  }
  return true;
}

/** Any of the mission types (default all three). */
export function mission(bounds: WorldBounds, opts: MissionOptions & { types?: readonly MissionSpec['type'][] } = {}): fc.Arbitrary<MissionSpec> {
  const types = opts.types ?? ['waypoints', 'survey', 'orbit'];
  const arbs = types.map((t) => (t === 'waypoints' ? waypointMission(bounds, opts) : t === 'survey' ? surveyMission(bounds, opts) : orbitMission(bounds, opts)));
  return fc.oneof(...arbs);
}
