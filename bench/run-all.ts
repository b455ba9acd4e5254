/**
 * `npm run bench`: every benchmark, each in its own process (a clean heap and JIT), in turn.
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const benches: [string, string[]][] = [
  ['twin.bench.js', ['60']],
  ['sim-physics.bench.js', ['1000', '60']],
  ['mavlink-ingest.bench.js', ['600', '7']],
  ['mavlink-adapter.bench.js', ['5']],
  ['sitl.bench.js', []],
  ['storage.bench.js', []],
  ['fuzz.bench.js', ['200']],
  ['bridge.bench.js', ['100', '4', '3']],
  ['bridge-pointcloud.bench.js', ['10', '4', '3']],
  ['ouster.bench.js', ['5']],
  ['sim-camera.bench.js', ['640']],
  ['pointcloud.bench.js', ['1e6,1e7']], // beside PCL 1.13 when bench/pcl/build.sh has built out/pcl/pcl-bench
  ['recording.bench.js', ['3']],
  ['slam-flight.bench.js', ['44', '2']],
  ['hpc.bench.js', []], // needs redis-server, prints 'skipped' otherwise
  ['hpc-scale.bench.js', []], // BullMQ rows need redis-server; local engine rows always
  ['ros1.bench.js', ['2', '3']], // needs roscore + python3-rospy, prints 'skipped' otherwise
  ['gazebo.bench.js', ['3']], // beside the C++ transport when bench/gazebo-cpp/build.sh has built it
  // Against a real PX4 v1.15 SITL: runs when PX4_DIR points at a build, prints 'skipped' otherwise.
  ['px4-upload.bench.js', ['5']],
];

console.log(`machine: ${cpus()[0]?.model ?? 'unknown cpu'} × ${cpus().length}, node ${process.version}`);
let failed = 0;
for (const [file, args] of benches) {
  console.log(`\n== ${file.replace('.js', '')} ==`);
  const r = spawnSync(process.execPath, ['--expose-gc', join(here, file), ...args], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
