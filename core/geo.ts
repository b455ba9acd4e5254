/**
 * Geodesy: WGS84 points and a local NED tangent plane.
 *
 * @remarks
 * The projection is the azimuthal equidistant one PX4 uses (`map_projection` in
 * `lib/geo`), with the same Earth radius, so local metres computed here match what PX4 reports
 * in LOCAL_POSITION_NED for the same home to well under a centimetre over a few kilometres.
 */
export const EARTH_RADIUS_M = 6_371_000;
const DEG = Math.PI / 180;

/** A WGS84 position. `alt_m` is metres above mean sea level unless a field says otherwise. */
export interface GeoPoint {
  readonly lat_deg: number;
  readonly lon_deg: number;
  readonly alt_m: number;
}

/** Local North-East-Down metres from a reference (home / world origin). */
export interface Ned {
  readonly north_m: number;
  readonly east_m: number;
  readonly down_m: number;
}

/** A horizontal local position (metres north and east of the reference). */
export interface LocalXY {
  readonly north_m: number;
  readonly east_m: number;
}

export class LocalFrame {
  readonly origin: GeoPoint;
  private readonly refLat: number;
  private readonly refLon: number;
  private readonly sinLat: number;
  private readonly cosLat: number;

  constructor(origin: GeoPoint) {
    this.origin = origin;
    this.refLat = origin.lat_deg * DEG;
    this.refLon = origin.lon_deg * DEG;
    this.sinLat = Math.sin(this.refLat);
    this.cosLat = Math.cos(this.refLat);
  }

  /** WGS84 → local NED (down is relative to the origin's altitude). */
  toNed(p: GeoPoint): Ned {
    const { north_m, east_m } = this.toLocal(p.lat_deg, p.lon_deg);
    return { north_m, east_m, down_m: this.origin.alt_m - p.alt_m };
  }

  toLocal(lat_deg: number, lon_deg: number): LocalXY {
    const lat = lat_deg * DEG;
    const lon = lon_deg * DEG;
    const sinLat = Math.sin(lat);
    const cosLat = Math.cos(lat);
    const cosDLon = Math.cos(lon - this.refLon);
    const arg = Math.min(1, Math.max(-1, this.sinLat * sinLat + this.cosLat * cosLat * cosDLon));
    const c = Math.acos(arg);
    const k = Math.abs(c) > 0 ? c / Math.sin(c) : 1;
    return {
      north_m: k * (this.cosLat * sinLat - this.sinLat * cosLat * cosDLon) * EARTH_RADIUS_M,
      east_m: k * cosLat * Math.sin(lon - this.refLon) * EARTH_RADIUS_M,
    };
  }

  /** Local NED → WGS84. */
  toGeo(n: Ned): GeoPoint {
    const { lat_deg, lon_deg } = this.toLatLon(n.north_m, n.east_m);
    return { lat_deg, lon_deg, alt_m: this.origin.alt_m - n.down_m };
  }

  toLatLon(north_m: number, east_m: number): { lat_deg: number; lon_deg: number } {
    const x = north_m / EARTH_RADIUS_M;
    const y = east_m / EARTH_RADIUS_M;
    const c = Math.sqrt(x * x + y * y);
    if (c === 0) return { lat_deg: this.origin.lat_deg, lon_deg: this.origin.lon_deg };
    const sinC = Math.sin(c);
    const cosC = Math.cos(c);
    const lat = Math.asin(cosC * this.sinLat + (x * sinC * this.cosLat) / c);
    const lon = this.refLon + Math.atan2(y * sinC, c * this.cosLat * cosC - x * this.sinLat * sinC);
    return { lat_deg: lat / DEG, lon_deg: lon / DEG };
  }
}

/** Horizontal distance in metres between two local points. */
export function distanceXY(a: LocalXY, b: LocalXY): number {
  return Math.hypot(a.north_m - b.north_m, a.east_m - b.east_m);
}

/** Great-circle distance (haversine) in metres. */
export function haversine_m(a: { lat_deg: number; lon_deg: number }, b: { lat_deg: number; lon_deg: number }): number {
  const dLat = (b.lat_deg - a.lat_deg) * DEG;
  const dLon = (b.lon_deg - a.lon_deg) * DEG;
  const s =
    Math.sin(dLat / 2) ** 2 + Math.cos(a.lat_deg * DEG) * Math.cos(b.lat_deg * DEG) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(s)));
}
