/**
 * Point-in-polygon on a plane (even-odd ray casting), with points on an edge counted inside.
 * Works for concave polygons; the polygon is implicitly closed.
 */
export function pointInPolygon(xs: ArrayLike<number>, ys: ArrayLike<number>, x: number, y: number): boolean {
  const n = xs.length;
  if (n < 3) return false;
  let inside = false;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const xi = xs[i]!, yi = ys[i]!, xj = xs[j]!, yj = ys[j]!;
    if (onSegment(xi, yi, xj, yj, x, y)) return true;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function onSegment(ax: number, ay: number, bx: number, by: number, px: number, py: number): boolean {
  const cross = (bx - ax) * (py - ay) - (by - ay) * (px - ax);
  const len = Math.hypot(bx - ax, by - ay);
  if (Math.abs(cross) > 1e-9 * Math.max(1, len)) return false;
  return px >= Math.min(ax, bx) - 1e-12 && px <= Math.max(ax, bx) + 1e-12 && py >= Math.min(ay, by) - 1e-12 && py <= Math.max(ay, by) + 1e-12;
}

/** Lat/lon polygon test; fine for fences of a few kilometres away from the poles and antimeridian. */
export function pointInPolygonLatLon(
  polygon: readonly { lat_deg: number; lon_deg: number }[],
  lat_deg: number,
  lon_deg: number,
): boolean {
  return pointInPolygon(
    polygon.map((p) => p.lon_deg),
    polygon.map((p) => p.lat_deg),
    lon_deg,
    lat_deg,
  );
}
