/**
 * What a run's sensors leave for the expectations, gathered while the run streams (nothing kept
 * per image or per point): geotag errors of every capture against where the vehicle truly was
 * at its trigger time, and the survey-polygon cells LiDAR returns hit.
 *
 * @remarks
 * - Truth: in simulation the physics' true position (sampled on the world's ticks); for a real
 *   vehicle its own telemetry position — then `capture_geotag` measures how well the camera's
 *   geotag agrees with the autopilot, not ground truth (a real run has none). Samples are kept
 *   at ≥ 10 Hz for the last 60 s and interpolated linearly at the trigger time.
 * - Coverage: point blobs (x, y, z, intensity float32 in the sensor frame) are read from the
 *   blob sink as the port writes them (a tap keeps each until its ScanRef arrives, at most 64),
 *   turned into the world frame with the scan's pose and the sensor mount
 *   (`core/sensors/sensor-frame.ts`), and marked on a grid of `cell_m` cells over the polygon.
 */
import type { LocalFrame, LocalXY } from '../../core/geo.js';
import { pointInPolygon } from '../../core/polygon.js';
import { SensorFrameTransform } from '../../core/sensors/sensor-frame.js';
import type { BlobSink, CaptureRef, ScanRef } from '../../hardware/sensor.port.js';

const SAMPLE_EVERY_MS = 100;
const KEEP_MS = 60_000;
const MAX_TAPPED = 64;

interface Sample {
  t: number;
  n: number;
  e: number;
  d: number;
}

/** Geotag errors of one camera. */
export interface GeotagStats {
  captures: number;
  /** Captures whose trigger time had no truth sample around it (not judged). */
  unjudged: number;
  max_m: number;
  worst?: { index: number; error_m: number; t_ms: number };
}

/** LiDAR coverage of one sensor over its vehicle's survey polygon. */
export interface CoverageStats {
  readonly cell_m: number;
  readonly cells: number;
  hit: number;
  scans: number;
  points: number;
  /** Scans that could not be placed (no pose, blob not seen). */
  skipped: number;
}

interface Grid {
  readonly stats: CoverageStats;
  readonly n0: number;
  readonly e0: number;
  readonly cols: number;
  readonly rows: number;
  /** 1 = inside the polygon, 2 = inside and hit. */
  readonly cells: Uint8Array;
}

export interface SensorJudgeOptions {
  /** The world frame (known once the twin started). */
  frame(): LocalFrame | undefined;
  /** Sensor mount (roll, pitch, yaw deg) of `vehicle/sensor`, for placing its points. */
  mount(vehicle: string, sensor: string): { roll: number; pitch: number; yaw: number } | undefined;
}

export class SensorJudge {
  private readonly truth = new Map<string, Sample[]>();
  private readonly geotags = new Map<string, GeotagStats>();
  private readonly grids = new Map<string, Grid[]>();
  private readonly tapped = new Map<string, Uint8Array>();
  /** Whether truth comes from the simulator (else from telemetry). */
  truthSource: 'simulator' | 'telemetry' = 'telemetry';

  constructor(private readonly o: SensorJudgeOptions) {}

  /** One truth sample of a vehicle: NED metres from the world origin at clock time `t_ms`. */
  sample(vehicle: string, t_ms: number, north_m: number, east_m: number, down_m: number): void {
    let ring = this.truth.get(vehicle);
    if (!ring) this.truth.set(vehicle, (ring = []));
    const last = ring[ring.length - 1];
    if (last && t_ms - last.t < SAMPLE_EVERY_MS) return;
    ring.push({ t: t_ms, n: north_m, e: east_m, d: down_m });
    if (ring.length > 2 * (KEEP_MS / SAMPLE_EVERY_MS)) ring.splice(0, ring.length - KEEP_MS / SAMPLE_EVERY_MS);
  }

  /** Where the vehicle was at `t_ms` (interpolated), or undefined outside the samples kept. */
  truthAt(vehicle: string, t_ms: number): { n: number; e: number; d: number } | undefined {
    const ring = this.truth.get(vehicle);
    if (!ring?.length) return undefined;
    let hi = ring.findIndex((s) => s.t >= t_ms);
    if (hi < 0) {
      const last = ring[ring.length - 1]!;
      // The latest sample stands for "now" if it is fresh (the capture arrived at its trigger instant).
      return t_ms - last.t <= SAMPLE_EVERY_MS ? last : undefined;
    }
    const b = ring[hi]!;
    if (b.t === t_ms || hi === 0) return b.t - t_ms <= SAMPLE_EVERY_MS ? b : undefined;
    const a = ring[hi - 1]!;
    const k = (t_ms - a.t) / (b.t - a.t);
    return { n: a.n + k * (b.n - a.n), e: a.e + k * (b.e - a.e), d: a.d + k * (b.d - a.d) };
  }

  /** A stored capture: its geotag against the truth at its trigger time. */
  onCapture(c: CaptureRef): void {
    const key = `${c.vehicle}/${c.sensor}`;
    let g = this.geotags.get(key);
    if (!g) this.geotags.set(key, (g = { captures: 0, unjudged: 0, max_m: 0 }));
    g.captures++;
    const frame = this.o.frame();
    const truth = this.truthAt(c.vehicle, c.t_ms);
    if (!frame || !truth) {
      g.unjudged++;
      return;
    }
    const p = frame.toNed(c.pose.position);
    const err = Math.hypot(p.north_m - truth.n, p.east_m - truth.e, p.down_m - truth.d);
    if (err >= g.max_m) {
      g.max_m = err;
      g.worst = { index: c.index, error_m: err, t_ms: c.t_ms };
    }
  }

  geotag(vehicle: string, sensor: string): GeotagStats {
    return this.geotags.get(`${vehicle}/${sensor}`) ?? { captures: 0, unjudged: 0, max_m: 0 };
  }

  /** Asks for coverage of `vehicle/sensor` over `polygon` (world frame) on cells of `cell_m`. */
  watchCoverage(vehicle: string, sensor: string, polygon: readonly LocalXY[], cell_m: number): void {
    const key = `${vehicle}/${sensor}`;
    const list = this.grids.get(key) ?? [];
    if (list.some((g) => g.stats.cell_m === cell_m)) return;
    const ns = polygon.map((p) => p.north_m);
    const es = polygon.map((p) => p.east_m);
    const n0 = Math.min(...ns), e0 = Math.min(...es);
    const rows = Math.max(1, Math.ceil((Math.max(...ns) - n0) / cell_m));
    const cols = Math.max(1, Math.ceil((Math.max(...es) - e0) / cell_m));
    const cells = new Uint8Array(rows * cols);
    let inside = 0;
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < cols; c++)
        if (pointInPolygon(ns, es, n0 + (r + 0.5) * cell_m, e0 + (c + 0.5) * cell_m)) {
          cells[r * cols + c] = 1;
          inside++;
        }
    list.push({ stats: { cell_m, cells: inside, hit: 0, scans: 0, points: 0, skipped: 0 }, n0, e0, cols, rows, cells });
    this.grids.set(key, list);
  }

  coverage(vehicle: string, sensor: string, cell_m: number): CoverageStats | undefined {
    return this.grids.get(`${vehicle}/${sensor}`)?.find((g) => g.stats.cell_m === cell_m)?.stats;
  }

  get wantsPoints(): boolean {
    return this.grids.size > 0;
  }

  /** Wraps the run's blob sink: point blobs of watched LiDARs are kept until their ScanRef arrives. */
  tap(inner: BlobSink): BlobSink {
    return {
      put: async (key, data, mediaType) => {
        const r = await inner.put(key, data, mediaType);
        if (r.ok && this.wantsPoints && !mediaType.startsWith('image/')) {
          this.tapped.set(r.value.key, data);
          if (this.tapped.size > MAX_TAPPED) this.tapped.delete(this.tapped.keys().next().value!);
        }
        return r;
      },
    };
  }

  /** A completed LiDAR frame: its returns, placed in the world, mark the cells they fall in. */
  onScan(s: ScanRef): void {
    const grids = this.grids.get(`${s.vehicle}/${s.sensor}`);
    if (!grids) return;
    const bytes = s.blob_key !== undefined ? this.tapped.get(s.blob_key) : undefined;
    if (s.blob_key !== undefined) this.tapped.delete(s.blob_key);
    const frame = this.o.frame();
    if (!bytes || !s.pose || !frame) {
      for (const g of grids) g.stats.skipped++;
      return;
    }
    // Float32 needs 4-byte alignment; a view into a larger buffer may not have it.
    const floats = bytes.byteOffset % 4 === 0
      ? new Float32Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.byteLength / 4))
      : new Float32Array(bytes.slice().buffer);
    const ned = new SensorFrameTransform(s.pose, this.o.mount(s.vehicle, s.sensor), frame).pointsToNed(floats, 4);
    for (const g of grids) {
      g.stats.scans++;
      g.stats.points += ned.length / 3;
      for (let k = 0; k < ned.length; k += 3) {
        const r = Math.floor((ned[k]! - g.n0) / g.stats.cell_m);
        const c = Math.floor((ned[k + 1]! - g.e0) / g.stats.cell_m);
        if (r < 0 || c < 0 || r >= g.rows || c >= g.cols) continue;
        const i = r * g.cols + c;
        if (g.cells[i] === 1) {
          g.cells[i] = 2;
          g.stats.hit++;
        }
      }
    }
  }
}
