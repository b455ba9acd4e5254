/**
 * Seeded synthetic survey clouds (tests and benchmarks): an airborne LiDAR strip pattern over
 * rolling terrain with flat-roofed buildings and tree canopies, 2 cm range noise and 0.5 % gross
 * outliers (birds, multipath), points in acquisition order (scan line by scan line), as a real
 * sensor delivers them. Local coordinates (metres) with a UTM-like origin.
 */
import { Rng } from '../core/rng.js';
import { makeCloud, type PointCloud } from './point-cloud.js';

export interface SyntheticSurveyOptions {
  /** Number of points. */
  readonly points: number;
  readonly seed: number;
  /** Ground density, points/m² (default 20, a typical UAV LiDAR survey). */
  readonly density?: number;
  /** World origin of the local frame (default a UTM zone 32N-like easting/northing). */
  readonly origin?: readonly [number, number, number];
}

export function syntheticSurvey(o: SyntheticSurveyOptions): PointCloud {
  const rng = new Rng(o.seed);
  const n = o.points;
  const side = Math.sqrt(n / (o.density ?? 20));
  const perLine = Math.max(1, Math.round(Math.sqrt(n)));
  const x = new Float32Array(n), y = new Float32Array(n), z = new Float32Array(n);
  // Buildings (axis-aligned roofs) and trees (round canopies) on a coarse lookup grid.
  const cell = 20;
  const gw = Math.ceil(side / cell) + 1;
  const feature = new Float32Array(gw * gw * 4); // kind, cx, cy, height
  for (let g = 0; g < gw * gw; g++) {
    const r = rng.next();
    feature[4 * g] = r < 0.15 ? 1 : r < 0.45 ? 2 : 0;
    feature[4 * g + 1] = ((g % gw) + 0.2 + 0.6 * rng.next()) * cell;
    feature[4 * g + 2] = (Math.floor(g / gw) + 0.2 + 0.6 * rng.next()) * cell;
    feature[4 * g + 3] = 4 + rng.next() * 14;
  }
  for (let i = 0; i < n; i++) {
    const line = Math.floor(i / perLine), k = i - line * perLine;
    const px = ((k + rng.next() * 0.5) / perLine) * side;
    const py = ((line + rng.next() * 0.5) / perLine) * side;
    let h = 8 * Math.sin(px / 57) * Math.cos(py / 73) + 0.03 * px;
    const g = Math.floor(px / cell) + Math.floor(py / cell) * gw;
    const kind = feature[4 * g]!;
    if (kind !== 0) {
      const dx = px - feature[4 * g + 1]!, dy = py - feature[4 * g + 2]!, ht = feature[4 * g + 3]!;
      if (kind === 1 && Math.abs(dx) < 6 && Math.abs(dy) < 4) h += ht;
      else if (kind === 2) { const r2 = dx * dx + dy * dy; if (r2 < 9 && rng.next() < 0.7) h += ht * 0.6 * (1 - r2 / 18) + rng.next() * 1.5; }
    }
    h += rng.gaussian() * 0.02;
    if (rng.next() < 0.005) h += -3 + rng.next() * 40; // gross outlier
    x[i] = px; y[i] = py; z[i] = h;
  }
  return makeCloud(x, y, z, {}, o.origin ?? [500_000, 4_500_000, 0]);
}
