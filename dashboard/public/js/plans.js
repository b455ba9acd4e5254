// Planned paths for the map when /config.json has none: the stored mission the API knows under
// the running mission's id, placed in the `map` frame. Waypoints stored as north/east are in that
// frame already; lat/lon ones need the frame's origin, which the page works out from a vehicle's
// GPS fix and its pose at the same instant. Pure functions (unit-tested in Node).

const R = 6_371_000; // the twin's spherical earth (core/geo.ts), so both sides agree
const DEG = Math.PI / 180;
const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** lat/lon → ENU metres from `origin` (azimuthal equidistant, as the twin's LocalFrame). */
export function toMap(origin, lat_deg, lon_deg) {
  const lat0 = origin.lat_deg * DEG;
  const lat = lat_deg * DEG;
  const dLon = (lon_deg - origin.lon_deg) * DEG;
  const arg = Math.min(1, Math.max(-1, Math.sin(lat0) * Math.sin(lat) + Math.cos(lat0) * Math.cos(lat) * Math.cos(dLon)));
  const c = Math.acos(arg);
  const k = c > 0 ? c / Math.sin(c) : 1;
  return {
    x: k * Math.cos(lat) * Math.sin(dLon) * R,
    y: k * (Math.cos(lat0) * Math.sin(lat) - Math.sin(lat0) * Math.cos(lat) * Math.cos(dLon)) * R,
  };
}

/** The origin whose map frame puts (lat, lon) at (x east, y north) metres. */
export function originFrom(lat_deg, lon_deg, x, y) {
  // Step back by (-y north, -x east) from the fix; then correct once with the forward map so the
  // round trip is exact to well under a centimetre over kilometres.
  let o = destination(lat_deg, lon_deg, -y, -x);
  const back = toMap(o, lat_deg, lon_deg);
  o = destination(o.lat_deg, o.lon_deg, -(y - back.y), -(x - back.x));
  return o;
}

function destination(lat_deg, lon_deg, north_m, east_m) {
  const lat0 = lat_deg * DEG;
  const a = north_m / R;
  const b = east_m / R;
  const c = Math.hypot(a, b);
  if (c === 0) return { lat_deg, lon_deg };
  const lat = Math.asin(Math.cos(c) * Math.sin(lat0) + (a * Math.sin(c) * Math.cos(lat0)) / c);
  const lon = lon_deg * DEG + Math.atan2(b * Math.sin(c), c * Math.cos(lat0) * Math.cos(c) - a * Math.sin(lat0) * Math.sin(c));
  return { lat_deg: lat / DEG, lon_deg: lon / DEG };
}

/**
 * A stored mission (`GET /missions/{id}`: `{waypoints: [{lat, lon, alt} | {north, east, alt}]}`)
 * → one map point per mission item as the API converts it: takeoff, the waypoints, the end.
 * Takeoff and the end happen at home, which the page does not know: null. Returns null when the
 * body is not a mission.
 */
export function planFromRecord(record, origin) {
  const wps = record && typeof record === 'object' && Array.isArray(record.waypoints) ? record.waypoints : null;
  if (!wps) return null;
  const points = wps.map((w) => {
    const north = num(w?.north);
    const east = num(w?.east);
    if (north !== null && east !== null) return { x: east, y: north };
    const lat = num(w?.lat);
    const lon = num(w?.lon);
    if (lat !== null && lon !== null && origin) return toMap(origin, lat, lon);
    return null;
  });
  return [null, ...points, null];
}

/** Largest gap (ms) between two poses we interpolate across to meet a fix's instant. */
const MAX_BRACKET_MS = 2_000;

/**
 * The best origin so far from recent GPS fixes and stamped poses (`{x, y, stamp_ms}`, oldest
 * first). A fix is paired with the pose at its own instant, interpolated between the poses around
 * it; the pairing with the smallest gap wins (an exact stamp match is gap 0), and an origin is only
 * replaced by a better one. The bridge throttles the two topics separately, so their stamps rarely
 * coincide.
 */
export function refineOrigin(current, fixes, poses) {
  let best = null;
  for (const fix of fixes) {
    let before = null;
    let after = null;
    for (const p of poses) {
      if (p.stamp_ms <= fix.stamp_ms && (!before || p.stamp_ms > before.stamp_ms)) before = p;
      if (p.stamp_ms >= fix.stamp_ms && (!after || p.stamp_ms < after.stamp_ms)) after = p;
    }
    if (!before || !after) continue;
    const gap = after.stamp_ms - before.stamp_ms;
    if (gap > MAX_BRACKET_MS || (best && gap >= best.gap)) continue;
    const f = gap === 0 ? 0 : (fix.stamp_ms - before.stamp_ms) / gap;
    best = { gap, fix, x: before.x + f * (after.x - before.x), y: before.y + f * (after.y - before.y) };
  }
  if (!best || (current && current.gap <= best.gap)) return current;
  return { ...originFrom(best.fix.lat_deg, best.fix.lon_deg, best.x, best.y), gap: best.gap };
}
