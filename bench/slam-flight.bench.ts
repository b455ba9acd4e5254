/**
 * SLAM on a longer simulated flight: ATE, RPE per 100 m (evo's definitions) and KISS-ICP scans/s,
 * beside a baseline measured in the same run on the same scans — the local map as it was before
 * (a JS `Map` keyed by packed voxel numbers, every one of the 27 neighbour voxels searched) — which
 * must give the very same trajectory; and the sensor's own rate (10 scans/s, real time).
 *
 * Scans come from the simulated Ouster OS1-32 512×10 flying WEAVE (5 m/s, 8 m up) through a city
 * on hills; generating them (raycasting) is timed apart and not counted.
 *
 * Run: `npx tsc -p tsconfig.build.json && node dist/bench/slam-flight.bench.js [seconds=44] [rounds=2]`.
 */
import { cityWorld, estimateFlight, flightMetrics, flyOuster, WEAVE, type FlightRun } from '../hardware/sim/sensors/slam-sim-flight.js';
import { symmetricEigen3 } from '../slam/linear-algebra.js';
import { voxelKey, type VoxelHashMap, type VoxelHashMapOptions } from '../slam/voxel-hash-map.js';
import type { Pose } from '../slam/rigid-transform.js';
import { KissIcpOdometry } from '../slam/kiss-icp-odometry.js';

const seconds = Number(process.argv[2]) > 0 ? Number(process.argv[2]) : 44;
const rounds = Number(process.argv[3]) > 0 ? Number(process.argv[3]) : 2;

/** The local map before this session's speed-up: Map<packed key, points>, plain 27-voxel search. */
class MapKeyedVoxelMap {
  private readonly voxels = new Map<number, number[]>();
  private readonly inv: number;
  constructor(readonly o: VoxelHashMapOptions) {
    this.inv = 1 / o.voxelSize_m;
  }
  get pointCount(): number {
    let n = 0;
    for (const v of this.voxels.values()) n += v.length / 3;
    return n;
  }
  clear(): void {
    this.voxels.clear();
  }
  add(xyz: ArrayLike<number>): void {
    const cap = this.o.maxPointsPerVoxel * 3, inv = this.inv;
    for (let p = 0; p + 2 < xyz.length; p += 3) {
      const x = xyz[p]!, y = xyz[p + 1]!, z = xyz[p + 2]!;
      const key = voxelKey(Math.floor(x * inv), Math.floor(y * inv), Math.floor(z * inv));
      const v = this.voxels.get(key);
      if (!v) this.voxels.set(key, [x, y, z]);
      else if (v.length < cap) v.push(x, y, z);
    }
  }
  removeFarFrom(x: number, y: number, z: number): void {
    const r2 = this.o.maxRange_m * this.o.maxRange_m;
    for (const [key, v] of this.voxels) {
      const dx = v[0]! - x, dy = v[1]! - y, dz = v[2]! - z;
      if (dx * dx + dy * dy + dz * dz > r2) this.voxels.delete(key);
    }
  }
  nearest(x: number, y: number, z: number, out: Float64Array): number {
    const inv = this.inv;
    const i = Math.floor(x * inv), j = Math.floor(y * inv), k = Math.floor(z * inv);
    let best = Infinity;
    for (let a = i - 1; a <= i + 1; a++) for (let b = j - 1; b <= j + 1; b++) for (let c = k - 1; c <= k + 1; c++) {
      const v = this.voxels.get(voxelKey(a, b, c));
      if (!v) continue;
      for (let p = 0; p < v.length; p += 3) {
        const dx = v[p]! - x, dy = v[p + 1]! - y, dz = v[p + 2]! - z;
        const d2 = dx * dx + dy * dy + dz * dz;
        if (d2 < best) { best = d2; out[0] = v[p]!; out[1] = v[p + 1]!; out[2] = v[p + 2]!; }
      }
    }
    return best;
  }
  localNormal(x: number, y: number, z: number, values: Float64Array, vectors: Float64Array): boolean {
    const inv = this.inv, r2 = this.o.voxelSize_m * this.o.voxelSize_m;
    const i = Math.floor(x * inv), j = Math.floor(y * inv), k = Math.floor(z * inv);
    let n = 0, sx = 0, sy = 0, sz = 0, sxx = 0, sxy = 0, sxz = 0, syy = 0, syz = 0, szz = 0;
    for (let a = i - 1; a <= i + 1; a++) for (let b = j - 1; b <= j + 1; b++) for (let c = k - 1; c <= k + 1; c++) {
      const v = this.voxels.get(voxelKey(a, b, c));
      if (!v) continue;
      for (let p = 0; p < v.length; p += 3) {
        const px = v[p]! - x, py = v[p + 1]! - y, pz = v[p + 2]! - z;
        if (px * px + py * py + pz * pz > r2) continue;
        n++; sx += px; sy += py; sz += pz;
        sxx += px * px; sxy += px * py; sxz += px * pz; syy += py * py; syz += py * pz; szz += pz * pz;
      }
    }
    if (n < 6) return false;
    const mx = sx / n, my = sy / n, mz = sz / n;
    const cov = [sxx / n - mx * mx, sxy / n - mx * my, sxz / n - mx * mz, 0, syy / n - my * my, syz / n - my * mz, 0, 0, szz / n - mz * mz];
    cov[3] = cov[1]!; cov[6] = cov[2]!; cov[7] = cov[5]!;
    symmetricEigen3(cov, values, vectors);
    return values[1]! > 0.05 * values[2]! && values[0]! < 0.3 * values[1]!;
  }
}

/** KISS-ICP over the flight with the baseline map swapped in. */
function estimateWithBaselineMap(run: FlightRun): Pose[] {
  const odo = new KissIcpOdometry({ maxRange_m: 100, voxelSize_m: 1 });
  (odo as unknown as { map: VoxelHashMap }).map = new MapKeyedVoxelMap(odo.map.o) as unknown as VoxelHashMap;
  return run.scans.map((s, i) => odo.register({ points: s.points, times: s.times, attitude: run.attitude[i] }).pose);
}

const t0 = performance.now();
const run = flyOuster({ world: cityWorld(5 * seconds + 20), path: WEAVE, duration_s: seconds, seed: 1 });
const flyMs = performance.now() - t0;

let fast = Infinity, base = Infinity;
let est: Pose[] = [];
let baseEst: Pose[] = [];
for (let r = 0; r < rounds; r++) {
  let t = performance.now();
  est = estimateFlight(run).est;
  fast = Math.min(fast, performance.now() - t);
  t = performance.now();
  baseEst = estimateWithBaselineMap(run);
  base = Math.min(base, performance.now() - t);
}
const same = est.every((p, i) => p.every((v, k) => v === baseEst[i]![k]));
const m = flightMetrics(est, run.truth);
const rate = (ms: number) => run.scans.length / (ms / 1000);
process.stdout.write(
  `slam flight bench: ${seconds} s WEAVE through a city, OS1-32 512x10, ${run.scans.length} scans (raycast in ${(flyMs / 1000).toFixed(1)} s), path ${m.path_m.toFixed(0)} m\n`
  + `  ATE rmse ${m.ate.rmse.toFixed(3)} m (max ${m.ate.max.toFixed(3)} m)\n`
  + `  RPE per 100 m: ${m.rpe100.drift_pct.toFixed(2)} % (evo --all_pairs, ${m.rpe100.count} pairs, rmse ${m.rpe100.rmse.toFixed(3)} m); consecutive ${m.rpe100Consecutive.drift_pct.toFixed(2)} % (${m.rpe100Consecutive.count} pairs)\n`
  + `  kiss-icp, hashed map + pruned search : ${rate(fast).toFixed(1)} scans/s (${(rate(fast) / 10).toFixed(2)}x real time)\n`
  + `  baseline: Map-keyed map, 27 voxels  : ${rate(base).toFixed(1)} scans/s (${(fast > 0 ? base / fast : 0).toFixed(2)}x slower); same trajectory: ${same ? 'yes' : 'NO'}\n`
  + `  baseline: sensor                    : 10.0 scans/s\n`,
);
if (!same) process.exitCode = 1;
