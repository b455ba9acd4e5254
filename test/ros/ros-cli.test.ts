/**
 * `twin run --ros` and `twin start --ros` from the built CLI (dist/), against a real roscore:
 * with ROS_MASTER_URI set the twin joins the graph, in the namespaces its ROS configuration names,
 * answers mission services, and leaves the graph when it stops.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rosToolsAvailable, startRoscore, waitFor, type Roscore } from '../ros1/ros1-harness.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/cli/bin.js');
const tools = rosToolsAvailable();
const why = tools.ok ? '' : ` (skipped: ${tools.reason})`;

function runCli(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, exited, output: () => out };
}

describe('--ros without a ROS graph', () => {
  it('exits 2 and says what to set; a bad --ros-config exits 2 with the field', async () => {
    if (!existsSync(CLI)) throw new Error('run `npm run build` first (npm test does)');
    const env = { ...process.env, ROS_MASTER_URI: '', AMENT_PREFIX_PATH: '' };
    const a = runCli(['run', 'scenarios/survey.yaml', '--ros', '-q'], env);
    expect(await a.exited).toBe(2);
    expect(a.output()).toContain('ROS_MASTER_URI');
    const dir = mkdtempSync(join(tmpdir(), 'ros-cli-'));
    const bad = join(dir, 'ros.yaml');
    writeFileSync(bad, 'rate_hz: -1\nvehicles: { drone1: { namespace: "9bad" } }\n');
    const b = runCli(['run', 'scenarios/survey.yaml', '--ros-config', bad, '-q'], { ...env, ROS_MASTER_URI: 'http://127.0.0.1:9/' });
    expect(await b.exited).toBe(2);
    expect(b.output()).toMatch(/--ros-config: .*ros\.yaml: rate_hz/);
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);
});

describe.skipIf(!tools.ok)(`twin run/start --ros on a real roscore${why}`, () => {
  let core: Roscore;
  let dir: string;

  beforeAll(async () => {
    core = await startRoscore();
    dir = mkdtempSync(join(tmpdir(), 'ros-cli-'));
  }, 30_000);

  afterAll(async () => {
    await core?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('twin run --ros-config publishes in the configured namespace, serves mission services, and leaves the graph on Ctrl-C', async () => {
    const config = join(dir, 'ros.yaml');
    writeFileSync(config, 'node_name: twin_cli\nrate_hz: 5\nvehicles:\n  drone1:\n    namespace: /uav1\n    publish: { fix: gps/fix }\n');
    const twin = runCli(['run', 'scenarios/survey.yaml', '--ros-config', config, '--speed', '1', '-q'], { ...core.env, TWIN_DATA_DIR: dir });
    try {
      await waitFor(async () => (await core.run('rostopic', ['list'], 5_000)).stdout.includes('/uav1/pose'), 30_000, 'the twin on the graph');
      const list = (await core.run('rostopic', ['list'])).stdout;
      expect(list).toContain('/uav1/gps/fix');
      expect(list).toContain('/uav1/mission/status');
      const pose = await core.run('rostopic', ['echo', '-n', '1', '/uav1/pose']);
      expect(pose.stdout).toContain('frame_id: "map"');
      const nodes = await core.run('rosnode', ['list']);
      expect(nodes.stdout).toContain('/twin_cli');
      await waitFor(async () => (await core.run('rostopic', ['echo', '-n', '1', '/uav1/mission/status'], 5_000)).stdout.includes('RUNNING'), 30_000, 'the survey running');
      const abort = await core.run('rosservice', ['call', '/uav1/mission/abort']);
      expect(abort.stdout, abort.stderr).toContain('success: True');
      const status = await core.run('rostopic', ['echo', '-n', '1', '/uav1/mission/status']);
      expect(status.stdout).toContain('ABORTED');
    } finally {
      twin.child.kill('SIGINT');
      await twin.exited;
    }
    const after = await core.run('rostopic', ['list']);
    expect(after.stdout).not.toContain('/uav1/pose');
  }, 90_000);

  it('twin start --ros with the operator services republishes the simulated LiDAR\'s scans from the store as PointCloud2', async () => {
    const env = { ...core.env, TWIN_DATA_DIR: join(dir, 'store'), TWIN_HTTP_PORT: '0', TWIN_BRIDGE_PORT: '0', TWIN_ADMIN_PASSWORD: 'ros-cli-test-password' };
    const twin = runCli(['start', 'scenarios/survey-sensors.yaml', '--ros', '--speed', '2'], env);
    try {
      await waitFor(async () => (await core.run('rostopic', ['list'], 5_000)).stdout.includes('/drone1/ouster/points'), 60_000, 'the LiDAR topic (advertised at its first scan)');
      const points = await core.run('rostopic', ['echo', '-n', '1', '--noarr', '/drone1/ouster/points'], 20_000);
      expect(points.stdout, twin.output()).toContain('frame_id: "drone1/ouster"');
      expect(points.stdout).toContain('point_step: 16');
      expect(points.stdout).toMatch(/width: [1-9]\d*/);
    } finally {
      twin.child.kill('SIGINT');
      await twin.exited;
    }
  }, 120_000);

  it('twin start --ros-config with inputs.slam: a LIO\'s odometry from rostopic pub drives the twin\'s SLAM, republished on the graph', async () => {
    // survey-sensors with a SLAM on its LiDAR; the ROS configuration feeds that SLAM from a LIO topic.
    const scenario = join(dir, 'slam.yaml');
    writeFileSync(scenario, readFileSync(join(ROOT, 'scenarios/survey-sensors.yaml'), 'utf8').replace('    params: { MPC_XY_CRUISE: 8 }\n', '    params: { MPC_XY_CRUISE: 8 }\n    slam: { lidar: ouster }\n'));
    const config = join(dir, 'slam-ros.yaml');
    writeFileSync(config, 'vehicles:\n  drone1:\n    inputs:\n      slam: { odometry: /lio/odom }\n');
    const odom = (x: number) => `{header: {stamp: now, frame_id: camera_init}, child_frame_id: body, pose: {pose: {position: {x: ${x}, y: 2.0, z: 3.0}, orientation: {w: 1.0}}}}`;
    const position = (echo: string) => {
      const m = /position:\s*\n\s*x: (-?[\d.e+-]+)\n\s*y: (-?[\d.e+-]+)/.exec(echo);
      return m ? [Number(m[1]), Number(m[2])] : undefined;
    };
    const stopPub = async (p: ReturnType<Roscore['spawn']>) => {
      try {
        if (p.child.pid) process.kill(-p.child.pid, 'SIGINT');
      } catch {
        /* gone */
      }
      await p.exited;
    };
    // The LIO runs before the twin (as in the field): its odometry is there when SLAM starts.
    let lio = core.spawn('rostopic', ['pub', '-s', '-r', '20', '/lio/odom', 'nav_msgs/Odometry', odom(1)]);
    const twin = runCli(['start', scenario, '--ros-config', config, '--no-services', '--speed', '1'], { ...core.env, TWIN_DATA_DIR: dir });
    try {
      await waitFor(async () => (await core.run('rostopic', ['list'], 5_000)).stdout.includes('/drone1/slam/pose'), 60_000, 'the SLAM pose on the graph');
      const pose = await core.run('rostopic', ['echo', '-n', '1', '/drone1/slam/pose']);
      expect(pose.stdout, twin.output()).toContain('frame_id: "map"');
      const before = position(pose.stdout)!;
      // The LIO jumps 100 m: the twin's SLAM pose follows it (the simulator's own LiDAR odometry never would).
      await stopPub(lio);
      lio = core.spawn('rostopic', ['pub', '-s', '-r', '20', '/lio/odom', 'nav_msgs/Odometry', odom(101)]);
      await waitFor(async () => {
        const p = position((await core.run('rostopic', ['echo', '-n', '1', '/drone1/slam/pose'], 5_000)).stdout);
        return p !== undefined && Math.hypot(p[0]! - before[0]!, p[1]! - before[1]!) > 95;
      }, 30_000, 'the SLAM pose to follow the LIO 100 m');
    } finally {
      twin.child.kill('SIGINT');
      await twin.exited;
      await stopPub(lio);
    }
  }, 120_000);

  it('twin start --ros --no-services joins the graph with every fleet vehicle', async () => {
    const twin = runCli(['start', 'scenarios/fleet.yaml', '--ros', '--no-services', '--speed', '1'], { ...core.env, TWIN_DATA_DIR: dir });
    try {
      await waitFor(async () => (await core.run('rostopic', ['list'], 5_000)).stdout.includes('/echo/pose'), 30_000, 'the fleet on the graph');
      const services = await core.run('rosservice', ['list']);
      for (const v of ['alpha', 'bravo', 'charlie', 'delta', 'echo']) expect(services.stdout).toContain(`/${v}/mission/start`);
      const battery = await core.run('rostopic', ['echo', '-n', '1', '/alpha/battery']);
      expect(battery.stdout).toContain('location: "alpha"');
      expect(twin.output()).toContain('ros: node /overwatch_twin (ROS 1');
    } finally {
      twin.child.kill('SIGINT');
      await twin.exited;
    }
  }, 90_000);
});
