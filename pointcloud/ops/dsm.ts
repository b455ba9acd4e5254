/**
 * 2.5-D digital surface model: the highest z per square cell of a georeferenced cloud, north-up
 * (row 0 = northernmost), in world coordinates (origin + local, float64). Written as a 16-bit
 * greyscale PNG (0 = no data, else 1 + round((z − zMin) / zStep)) with its ESRI world file
 * (.pgw: cell size, 0, 0, −cell size, centre of the top-left cell), the pair GDAL/QGIS open as a
 * georeferenced raster; zMin/zStep also go into the PNG's tEXt chunk.
 */
import { encode as encodePng } from 'fast-png';
import { fail, ok, type Result } from '../../core/result.js';
import type { PointCloud } from '../point-cloud.js';

export interface DsmOptions {
  /** Cell edge, metres (> 0). */
  readonly cellSize: number;
  /** Refuse rasters above this many cells (default 1e8). */
  readonly maxCells?: number;
}
export interface DsmRaster {
  readonly width: number;
  readonly height: number;
  readonly cellSize: number;
  /** World easting of the raster's west edge, northing of its north edge, metres. */
  readonly west: number;
  readonly north: number;
  /** Row-major max z per cell, world metres; NaN where no point fell. */
  readonly z: Float64Array;
}

export function dsmRaster(c: PointCloud, o: DsmOptions): Result<DsmRaster, 'DSM.BAD_PARAMS' | 'DSM.EMPTY' | 'DSM.TOO_LARGE'> {
  const cell = o.cellSize;
  if (!(Number.isFinite(cell) && cell > 0)) return fail('DSM.BAD_PARAMS', `cellSize must be finite and > 0, got ${cell}`);
  const [ox, oy, oz] = c.origin;
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let i = 0; i < c.length; i++) {
    const x = c.x[i]! + ox, y = c.y[i]! + oy;
    if (!Number.isFinite(x + y + c.z[i]!)) continue;
    if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
  }
  if (x0 === Infinity) return fail('DSM.EMPTY', 'no finite points');
  const west = Math.floor(x0 / cell) * cell, north = (Math.floor(y1 / cell) + 1) * cell;
  const width = Math.floor((x1 - west) / cell) + 1, height = Math.floor((north - y0) / cell) + 1;
  if (width * height > (o.maxCells ?? 1e8)) return fail('DSM.TOO_LARGE', `${width} × ${height} cells at ${cell} m`);
  const z = new Float64Array(width * height).fill(NaN);
  for (let i = 0; i < c.length; i++) {
    const x = c.x[i]! + ox, y = c.y[i]! + oy, h = c.z[i]! + oz;
    if (!Number.isFinite(x + y + h)) continue;
    const col = Math.min(width - 1, Math.floor((x - west) / cell)), row = Math.min(height - 1, Math.floor((north - y) / cell));
    const k = row * width + col;
    if (!(z[k]! >= h)) z[k] = h; // NaN compares false: the first point fills the cell
  }
  return ok({ width, height, cellSize: cell, west, north, z });
}

/** ESRI world file text for the raster (pixel centres, metres). */
export function worldFile(d: DsmRaster): string {
  return [d.cellSize, 0, 0, -d.cellSize, d.west + d.cellSize / 2, d.north - d.cellSize / 2].map((v) => v.toFixed(6)).join('\n') + '\n';
}

export interface DsmPng {
  readonly png: Uint8Array;
  readonly worldFile: string;
  /** z = zMin + (value − 1) × zStep for value ≥ 1; 0 is no data. */
  readonly zMin: number;
  readonly zStep: number;
}

/** Encodes the raster as 16-bit PNG + world file; zStep defaults to the range / 65534 (≥ 1 mm). */
export function dsmToPng(d: DsmRaster, zStep?: number): DsmPng {
  let lo = Infinity, hi = -Infinity;
  for (const v of d.z) if (v === v) { if (v < lo) lo = v; if (v > hi) hi = v; }
  if (lo === Infinity) { lo = 0; hi = 0; }
  const step = zStep ?? Math.max(0.001, (hi - lo) / 65534);
  const data = new Uint16Array(d.width * d.height);
  for (let k = 0; k < data.length; k++) {
    const v = d.z[k]!;
    data[k] = v === v ? Math.min(65535, 1 + Math.round((v - lo) / step)) : 0;
  }
  const png = encodePng({ width: d.width, height: d.height, data, depth: 16, channels: 1, text: { zMin: String(lo), zStep: String(step), nodata: '0' } });
  return { png, worldFile: worldFile(d), zMin: lo, zStep: step };
}
