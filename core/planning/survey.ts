/**
 * Lawnmower (boustrophedon) survey of a polygon, sized from the camera footprint.
 *
 * @remarks
 * Works in a rotated frame where u runs along the survey lines and v across them, so every
 * sweep line is `v = const`. The camera is assumed mounted landscape: its sensor width lies
 * across track (it sets line spacing), its height along track (it sets trigger distance).
 */
import { distanceXY, type LocalXY } from '../geo.js';
import { PlanningInputError, requireNumber } from './errors.js';
import { legInside, requirePolygon } from './internal/geometry.js';
import { chords, decomposeCells, mergeRuns, widenToStrip, type Run as Run2 } from './internal/sweep.js';
import { pathLength_m } from './path.js';

/** Pinhole camera intrinsics. */
export interface CameraSpec {
  /** Sensor width (mm), the side mounted across track. */
  readonly sensor_width_mm: number;
  /** Sensor height (mm), the side mounted along track. */
  readonly sensor_height_mm: number;
  /** Focal length (mm). */
  readonly focal_length_mm: number;
  readonly image_width_px: number;
  readonly image_height_px: number;
}

export interface SurveyParams {
  /** Area to cover, local metres, any winding, concave allowed; closing vertex optional. */
  readonly polygon: readonly LocalXY[];
  /** Flight altitude (m above home, taken as height above a flat ground), > 0. */
  readonly alt_m: number;
  readonly camera: CameraSpec;
  /** Fraction of along-track overlap between consecutive images, 0..0.95. */
  readonly front_overlap: number;
  /** Fraction of across-track overlap between neighbouring lines, 0..0.95. */
  readonly side_overlap: number;
  /** Line direction, degrees clockwise from north. @defaultValue along the polygon's longest edge */
  readonly angle_deg?: number;
  /**
   * Distance (m) flown past each end of a line before turning, so the vehicle is straight and
   * at speed when it starts capturing. Turnaround waypoints lie outside the polygon.
   * @defaultValue 0
   */
  readonly turnaround_m?: number;
  /**
   * Where lines end. `'strip'`: far enough that the whole band of width `line_spacing_m` each
   * line is responsible for is flown over, so slanted edges and sharp corners are covered (ends
   * may then lie slightly outside the polygon). `'polygon'`: exactly where the line crosses the
   * boundary (every waypoint inside, corners between lines covered only by the footprint).
   * @defaultValue 'strip'
   */
  readonly line_ends?: 'strip' | 'polygon';
}

export interface SurveyWaypoint extends LocalXY {
  /** Metres above home. */
  readonly alt_m: number;
  /** True where the camera should trigger. */
  readonly capture: boolean;
}

export interface SurveyPlan {
  readonly waypoints: SurveyWaypoint[];
  /** Distance (m) between neighbouring lines. */
  readonly line_spacing_m: number;
  /** Distance (m) between captures along a line. */
  readonly trigger_distance_m: number;
  /** Ground sample distance (cm/px), the coarser of the two image axes. */
  readonly gsd_cm_per_px: number;
  /** Ground footprint (m) of one image: width across track, height along track. */
  readonly footprint: { readonly width_m: number; readonly height_m: number };
  /** Number of straight capture passes flown (a concave polygon may split one sweep line in several). */
  readonly lines: number;
  /** Horizontal length (m) of the whole path, turns and transits included. */
  readonly length_m: number;
  /** Line direction actually used, degrees clockwise from north in [0, 360). */
  readonly angle_deg: number;
}

const MAX_WAYPOINTS = 100_000;
const WHERE = 'planSurvey';

/**
 * Plans a lawnmower survey: parallel lines `line_spacing_m` apart, clipped to the polygon,
 * flown in alternate directions, with capture waypoints every `trigger_distance_m` from each
 * line's entry to its exit (both captured).
 *
 * @remarks A concave area is split into cells (one per lobe) flown one after the other. Hops
 * between lines or cells that would leave the polygon get one dog-leg waypoint (`capture:
 * false`) when one corner suffices; otherwise, and whenever `turnaround_m > 0`, they fly direct.
 *
 * @example
 * const plan = planSurvey({ polygon: field, alt_m: 50, camera, front_overlap: 0.8, side_overlap: 0.7 });
 * plan.waypoints.map((w) => ({ ...frame.toGeo({ ...w, down_m: 0 }), alt_m: w.alt_m, capture: w.capture }));
 *
 * @throws PlanningInputError for a degenerate or self-intersecting polygon, overlaps outside
 * 0..0.95, a non-positive altitude or camera value, or a plan over 100 000 waypoints.
 */
export function planSurvey(params: SurveyParams): SurveyPlan {
  const polygon = requirePolygon(WHERE, 'polygon', params.polygon);
  const alt = requireNumber(WHERE, 'alt_m', params.alt_m, (v) => v > 0, '> 0');
  const front = requireNumber(WHERE, 'front_overlap', params.front_overlap, (v) => v >= 0 && v <= 0.95, 'within 0..0.95');
  const side = requireNumber(WHERE, 'side_overlap', params.side_overlap, (v) => v >= 0 && v <= 0.95, 'within 0..0.95');
  const turnaround = requireNumber(WHERE, 'turnaround_m', params.turnaround_m ?? 0, (v) => v >= 0, '≥ 0');
  const cam = params.camera;
  if (!cam) throw new PlanningInputError('PLANNING.INVALID_ARGUMENT', `${WHERE}: camera is required`);
  for (const k of ['sensor_width_mm', 'sensor_height_mm', 'focal_length_mm', 'image_width_px', 'image_height_px'] as const) {
    requireNumber(WHERE, `camera.${k}`, cam[k], (v) => v > 0, '> 0');
  }
  const angle = params.angle_deg === undefined
    ? longestEdgeBearing(polygon)
    : requireNumber(WHERE, 'angle_deg', params.angle_deg, () => true, 'finite');

  // Pinhole model: ground size = altitude · sensor size / focal length.
  const width_m = (alt * cam.sensor_width_mm) / cam.focal_length_mm;
  const height_m = (alt * cam.sensor_height_mm) / cam.focal_length_mm;
  const gsd_cm_per_px = 100 * Math.max(width_m / cam.image_width_px, height_m / cam.image_height_px);
  const spacing = width_m * (1 - side);
  const trigger = height_m * (1 - front);

  const rad = (angle * Math.PI) / 180;
  const cos = Math.cos(rad);
  const sin = Math.sin(rad);
  const toUV = (p: LocalXY) => ({ u: p.north_m * cos + p.east_m * sin, v: -p.north_m * sin + p.east_m * cos });
  const uv = polygon.map((p) => toUV(p));
  const toLocal = (u: number, v: number): LocalXY => ({ north_m: u * cos - v * sin, east_m: u * sin + v * cos });

  const vs = uv.map((p) => p.v);
  const us = uv.map((p) => p.u);
  const vMin = Math.min(...vs);
  const vWidth = Math.max(...vs) - vMin;
  // Fewest lines whose bands cover the width, centred so both outer margins are ≤ spacing/2.
  const count = Math.max(1, Math.ceil(vWidth / spacing - 1e-9));
  const estimate = count * ((Math.max(...us) - Math.min(...us) + spacing) / trigger + 4);
  if (estimate > MAX_WAYPOINTS) {
    throw new PlanningInputError(
      'PLANNING.TOO_MANY_WAYPOINTS',
      `${WHERE}: about ${Math.round(estimate)} waypoints exceed ${MAX_WAYPOINTS}; raise alt_m or lower the overlaps`,
      { lines: count, trigger_distance_m: trigger },
    );
  }
  const firstV = vMin + (vWidth - (count - 1) * spacing) / 2;

  // Sweep every line, then group the runs into cells each flown as its own small lawnmower, so
  // a concave area is finished lobe by lobe instead of hopping across a notch on every line.
  const lines: Run2[][] = [];
  for (let i = 0; i < count; i++) {
    const v = firstV + i * spacing;
    const raw = chords(uv, v);
    const runs: [number, number][] =
      params.line_ends === 'polygon'
        ? raw.map((r) => [r[0], r[1]])
        : mergeRuns(raw.map((r) => widenToStrip(uv, r, v, spacing / 2)));
    lines.push(runs.map(([a, b]) => ({ v, a, b })));
  }

  const waypoints: SurveyWaypoint[] = [];
  let passes = 0;
  for (const cell of decomposeCells(lines)) {
    // Enter each cell at the end of its first run nearest to where the previous cell ended.
    const prevEnd = waypoints[waypoints.length - 1];
    const first = cell[0]!;
    let forward = !prevEnd || distanceXY(prevEnd, toLocal(first.a, first.v)) <= distanceXY(prevEnd, toLocal(first.b, first.v));
    for (const { v, a, b } of cell) {
      const [from, to] = forward ? [a, b] : [b, a];
      forward = !forward;
      const dir = Math.sign(to - from) || 1;
      const pass: SurveyWaypoint[] = [];
      if (turnaround > 0) pass.push({ ...toLocal(from - dir * turnaround, v), alt_m: alt, capture: false });
      const len = Math.abs(to - from);
      // Multiply rather than accumulate so round-off does not drift along long lines.
      const shots = Math.floor(len / trigger + 1e-9);
      for (let k = 0; k <= shots; k++) pass.push({ ...toLocal(from + dir * k * trigger, v), alt_m: alt, capture: true });
      // Also capture at the exit, so the far edge is imaged even when len isn't a multiple.
      if (len - shots * trigger > 1e-6) pass.push({ ...toLocal(to, v), alt_m: alt, capture: true });
      if (turnaround > 0) pass.push({ ...toLocal(to + dir * turnaround, v), alt_m: alt, capture: false });
      const prev = waypoints[waypoints.length - 1];
      if (prev && turnaround === 0) {
        const corner = transitCorner(polygon, prev, pass[0]!, toUV, toLocal);
        if (corner) waypoints.push({ ...corner, alt_m: alt, capture: false });
      }
      waypoints.push(...pass);
      passes++;
    }
  }

  return {
    waypoints,
    line_spacing_m: spacing,
    trigger_distance_m: trigger,
    gsd_cm_per_px,
    footprint: { width_m, height_m },
    lines: passes,
    length_m: pathLength_m(waypoints.map((w) => ({ north_m: w.north_m, east_m: w.east_m }))),
    angle_deg: ((angle % 360) + 360) % 360,
  };
}

/** Bearing (deg) of the polygon's longest edge: lines along it need the fewest turns for a typical field. */
function longestEdgeBearing(poly: readonly LocalXY[]): number {
  let best = -1;
  let bearing = 0;
  poly.forEach((a, i) => {
    const b = poly[(i + 1) % poly.length]!;
    const len = Math.hypot(b.north_m - a.north_m, b.east_m - a.east_m);
    if (len > best + 1e-9) {
      best = len;
      bearing = (Math.atan2(b.east_m - a.east_m, b.north_m - a.north_m) * 180) / Math.PI;
    }
  });
  return bearing;
}

/**
 * When the straight hop from one line's exit to the next line's entry would leave the polygon
 * (around the inner corner of an L, say), returns a dog-leg corner that keeps both legs inside:
 * first along the old line then across, or across then along the new line, or else via one
 * polygon vertex.
 */
function transitCorner(
  poly: readonly LocalXY[],
  from: LocalXY,
  to: LocalXY,
  toUV: (p: LocalXY) => { u: number; v: number },
  toLocal: (u: number, v: number) => LocalXY,
): LocalXY | undefined {
  if (legInside(poly, from, to)) return undefined;
  const a = toUV(from);
  const b = toUV(to);
  for (const c of [toLocal(b.u, a.v), toLocal(a.u, b.v)]) {
    if (legInside(poly, from, c) && legInside(poly, c, to)) return c;
  }
  // Between cells, go round a polygon vertex (the inner corner of the notch), shortest first.
  const byDetour = [...poly].sort((p, q) => detour(from, p, to) - detour(from, q, to));
  for (const c of byDetour) {
    if (legInside(poly, from, c) && legInside(poly, c, to)) return c;
  }
  return undefined; // Needs more than one corner: fly direct (a known gap for deeply concave areas).
}

const detour = (a: LocalXY, c: LocalXY, b: LocalXY): number => distanceXY(a, c) + distanceXY(c, b);
