/**
 * SLAM odometry throughput: KISS-ICP (slam/) on simulated Ouster OS1-64 1024×10 scans of a flight
 * through obstacles (5 m/s, 8 m up), scans/s beside two baselines measured in the same run: the
 * sensor's own rate (10 scans/s, real time) and the voxel downsampling alone (the floor of any
 * per-scan work). Scans are generated first (raycasting is not measured).
 *
 * Run: `npx tsc -p tsconfig.build.json && node dist/bench/slam.bench.js [seconds=2] (generating the scans by raycasting dominates the run time)`.
 */
import { VirtualClock } from '../core/clock.js';
import { LocalFrame } from '../core/geo.js';
import { Rng } from '../core/rng.js';
import { OusterScanAssembler, type OusterFrame } from '../hardware/real/lidar/ouster/ouster-scan-assembler.js';
import { makeXyzLut } from '../hardware/real/lidar/ouster/ouster-xyz-lut.js';
import type { VehiclePoseSource } from '../hardware/sensor.port.js';
import { OusterSim } from '../hardware/sim/sensors/ouster-sim.js';
import { frameToSlamScan, type SlamScan } from '../hardware/sim/sensors/slam-sim-scan.js';
import { SensorWorldSchema } from '../hardware/sim/world/world-spec.js';
import { KissIcpOdometry } from '../slam/kiss-icp-odometry.js';
import { voxelDownsample } from '../slam/voxel-hash-map.js';

const seconds = Number(process.argv[2]) > 0 ? Number(process.argv[2]) : 2;
const origin = { lat_deg: 47.397742, lon_deg: 8.545594, alt_m: 488 };
const rng = new Rng(99);
const obstacles: unknown[] = [];
for (let n = -20; n < 5 * seconds + 60; n += 10) {
  for (const side of [-1, 1]) {
    obstacles.push({ kind: 'building', north: n, east: side * (12 + rng.next() * 10), size_m: { x: 5 + rng.next() * 8, y: 5 + rng.next() * 8, z: 6 + rng.next() * 25 }, yaw_deg: rng.next() * 90 });
  }
}
const world = SensorWorldSchema.parse({ terrain: { kind: 'hills', amplitude_m: 4, wavelength_m: 60, seed: 5 }, obstacles });
const clock = new VirtualClock();
const frame = new LocalFrame(origin);
const vehicle: VehiclePoseSource = {
  pose: () => ({ position: frame.toGeo({ north_m: 5 * clock.now() / 1000, east_m: 0, down_m: -8 }), attitude_deg: { roll: 0, pitch: 0, yaw: 0 }, t_ms: clock.now() }),
};
const sim = new OusterSim({ model: 'os1-64', lidar_mode: '1024x10', clock, rng: new Rng(1), world, origin, vehicle });
const lut = makeXyzLut(sim.info);
const frames: OusterFrame[] = [];
const asm = new OusterScanAssembler(sim.info, (f) => frames.push(f));
sim.subscribe((p) => asm.push(p));
sim.start();
clock.advanceSync(seconds * 1000);
sim.stop();
asm.flush();
const scans: SlamScan[] = frames.filter((f) => f.missing_columns === 0).map((f) => frameToSlamScan(lut, f));
const pts = scans.reduce((a, s) => a + s.points.length / 3, 0) / scans.length;

let t = performance.now();
for (const s of scans) voxelDownsample(voxelDownsample(s.points, 0.5), 1.5);
const dsRate = scans.length / ((performance.now() - t) / 1000);

const odo = new KissIcpOdometry({ maxRange_m: 100, voxelSize_m: 1 });
t = performance.now();
for (const s of scans) odo.register({ points: s.points, times: s.times });
const odoRate = scans.length / ((performance.now() - t) / 1000);

process.stdout.write(
  `slam bench: ${scans.length} OS1-64 1024x10 scans, ${pts.toFixed(0)} points a scan\n`
  + `  kiss-icp odometry : ${odoRate.toFixed(1)} scans/s (${(odoRate / 10).toFixed(2)}× real time)\n`
  + `  baseline: sensor   : 10.0 scans/s\n`
  + `  baseline: downsample only: ${dsRate.toFixed(1)} scans/s\n`,
);
