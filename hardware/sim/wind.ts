/**
 * Wind conventions. Directions are meteorological: where the wind blows FROM, degrees clockwise
 * from north; the returned vector is where the air moves, in NED m/s.
 */

/** Wind vector `[north, east]` (m/s, where the air moves) for a speed and a FROM direction. */
export function windVector(speed_mps: number, from_deg: number): [number, number] {
  const r = (from_deg * Math.PI) / 180;
  return [-speed_mps * Math.cos(r), -speed_mps * Math.sin(r)];
}
