/**
 * Orbit (point of interest) planning: waypoints on a horizontal circle.
 */
import type { LocalXY } from '../geo.js';
import { PlanningInputError, requireNumber } from './errors.js';

export interface OrbitParams {
  /** Centre of the circle, local metres. */
  readonly center: LocalXY;
  /** Radius (m), > 0. */
  readonly radius_m: number;
  /** Altitude (m above home) of every waypoint, > 0. */
  readonly alt_m: number;
  /** Number of revolutions, > 0; fractional values end part-way round. @defaultValue 1 */
  readonly turns?: number;
  /**
   * Waypoints per full revolution, ≥ 3.
   * @defaultValue enough that the chord between neighbours is ≤ 10 m, and at least 8
   */
  readonly points_per_turn?: number;
  /** Direction seen from above (north up, east right). @defaultValue true */
  readonly clockwise?: boolean;
  /** Bearing (degrees clockwise from north) of the first waypoint from the centre. @defaultValue 0 */
  readonly start_angle_deg?: number;
}

export interface OrbitWaypoint extends LocalXY {
  /** Metres above home. */
  readonly alt_m: number;
  /** Always false: an orbit is flown for video or inspection, not triggered stills. */
  readonly capture: boolean;
}

/** Longest chord (m) the default spacing allows: short enough that straight legs hug the circle. */
const MAX_DEFAULT_CHORD_M = 10;
const MIN_DEFAULT_POINTS = 8;
const MAX_POINTS = 100_000;

/**
 * Waypoints evenly spaced around the circle, starting at `start_angle_deg` and ending at the
 * start angle + `turns` · 360°. For whole turns the last waypoint repeats the first position,
 * so the vehicle closes the circle rather than stopping one chord short.
 *
 * @throws PlanningInputError on a non-positive radius, altitude, turn count or point count.
 */
export function planOrbit(params: OrbitParams): OrbitWaypoint[] {
  const where = 'planOrbit';
  const { center, clockwise = true } = params;
  if (!center || !Number.isFinite(center.north_m) || !Number.isFinite(center.east_m)) {
    throw new PlanningInputError('PLANNING.INVALID_ARGUMENT', `${where}: center must be a finite {north_m, east_m}`);
  }
  const radius = requireNumber(where, 'radius_m', params.radius_m, (v) => v > 0, '> 0');
  const alt = requireNumber(where, 'alt_m', params.alt_m, (v) => v > 0, '> 0');
  const turns = requireNumber(where, 'turns', params.turns ?? 1, (v) => v > 0, '> 0');
  const start = requireNumber(where, 'start_angle_deg', params.start_angle_deg ?? 0, () => true, 'finite');
  // chord = 2r·sin(π/n) ≤ 10 m  ⇔  n ≥ π / asin(5/r); small circles fall back to the minimum.
  const byChord = radius <= MAX_DEFAULT_CHORD_M / 2 ? 0 : Math.ceil(Math.PI / Math.asin(MAX_DEFAULT_CHORD_M / 2 / radius));
  const perTurn = requireNumber(
    where,
    'points_per_turn',
    params.points_per_turn ?? Math.max(MIN_DEFAULT_POINTS, byChord),
    (v) => Number.isInteger(v) && v >= 3,
    'an integer ≥ 3',
  );
  // Round the leg count up so no leg is longer than a full-turn leg, then spread them evenly.
  const legs = Math.ceil(turns * perTurn - 1e-9);
  if (legs + 1 > MAX_POINTS) {
    throw new PlanningInputError('PLANNING.TOO_MANY_WAYPOINTS', `${where}: ${legs + 1} waypoints exceed ${MAX_POINTS}`);
  }
  const step = ((turns * 2 * Math.PI) / legs) * (clockwise ? 1 : -1);
  const start_rad = (start * Math.PI) / 180;
  const out: OrbitWaypoint[] = [];
  for (let i = 0; i <= legs; i++) {
    const a = start_rad + i * step;
    out.push({
      north_m: center.north_m + radius * Math.cos(a),
      east_m: center.east_m + radius * Math.sin(a),
      alt_m: alt,
      capture: false,
    });
  }
  return out;
}
