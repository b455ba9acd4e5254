/**
 * `twin start --gz-world w` (the built CLI) on a stand-in Gazebo: our node publishes
 * `/world/w/clock` at a fixed rate (sim time 20× real time), Gazebo's own CLI
 * (`ign-transport-topic -p`) publishes into the same topic independently. The twin's time (its
 * `t=<s>s` status lines under --no-services) follows Gazebo's, stops when Gazebo pauses, and a
 * clock going backwards or a Clock without sim time is reported while the twin keeps running.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createGzNode, type GzNode } from '../../hardware/sim/gazebo/gz-node.js';
import { gzCliAvailable, runCli, uniquePartition, until, zmqAvailable } from './support/gz-cli.js';

const CLI = 'dist/cli/twin.js';

/** Twin times printed so far (`t=<s>s drone1 …`, one line per vehicle every 10 twin seconds). */
const twinTimes = (out: string): number[] => [...out.matchAll(/^t=(\d+)s /gm)].map((m) => Number(m[1]));
const latest = (out: string): number => Math.max(-1, ...twinTimes(out));

interface Started {
  readonly child: ChildProcessWithoutNullStreams;
  out: string;
  err: string;
}

function startTwin(partition: string, args: string[], scenario = 'scenarios/link-loss.yaml', services = false): Started {
  const data = mkdtempSync(join(tmpdir(), 'twin-gzw-'));
  const child = spawn(process.execPath, [CLI, 'start', scenario, ...(services ? [] : ['--no-services']), ...args], {
    env: { ...process.env, TWIN_LOG_LEVEL: 'silent', TWIN_DATA_DIR: data, IGN_PARTITION: partition, TWIN_HTTP_PORT: '0', TWIN_BRIDGE_PORT: '0', TWIN_ADMIN_PASSWORD: 'gz-world-secret' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const s: Started = { child, out: '', err: '' };
  child.stdout.on('data', (d: Buffer) => (s.out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (s.err += d.toString()));
  return s;
}

const children: Started[] = [];
const nodes: GzNode[] = [];
afterEach(async () => {
  for (const s of children.splice(0)) {
    if (s.child.exitCode === null) {
      s.child.kill('SIGINT');
      await new Promise((r) => s.child.once('exit', r));
    }
  }
  await Promise.all(nodes.splice(0).map((n) => n.close()));
});

/** A stand-in Gazebo world's clock: `sim` advances `step_ms` every `period_ms` of wall time while running. */
async function standInWorld(partition: string, topic: string, startSec: number) {
  const n = await createGzNode({ partition });
  if (!n.ok) throw new Error(`${n.error.code}: ${n.error.message}`);
  nodes.push(n.value);
  const pub = n.value.advertise(topic, 'Clock');
  if (!pub.ok) throw new Error(pub.error.message);
  let sim_ms = startSec * 1000;
  let running = true;
  let publishing = true;
  const publish = () => void pub.value.publish({ sim: { sec: Math.floor(sim_ms / 1000), nsec: (sim_ms % 1000) * 1e6 }, real: { sec: 1 } });
  // Gazebo publishes its clock while paused too (same sim time).
  const timer = setInterval(() => {
    if (!publishing) return;
    if (running) sim_ms += 500;
    publish();
  }, 25);
  nodes.push({ close: async () => clearInterval(timer) } as unknown as GzNode);
  return {
    pause: () => (running = false),
    resume: () => (running = true),
    /** Bytes on the clock topic that are no Clock. */
    raw: (bytes: Uint8Array) => pub.value.publishRaw(bytes),
    /** Gazebo gone quiet (e.g. while the world is reset): nothing published. */
    silence: () => (publishing = false),
    /** World reset to `sec`, running again. */
    resetTo: (sec: number) => {
      sim_ms = sec * 1000;
      running = true;
      publishing = true;
    },
    get sim_ms() {
      return sim_ms;
    },
    set sim_ms(v: number) {
      sim_ms = v;
    },
  };
}

describe.skipIf(!gzCliAvailable() || !zmqAvailable)('twin start --gz-world', () => {
  it('runs on the world clock: follows it, holds while paused, reports a backwards clock and a Clock without sim time and runs on', { timeout: 90_000 }, async () => {
    if (!existsSync(CLI)) throw new Error('run `npm run build` first (npm test does)');
    const partition = uniquePartition('world');
    const twin = startTwin(partition, ['--gz-world', 'w', '--gz-clock-timeout', '20']);
    children.push(twin);
    await until(() => twin.out.includes('gazebo clock: waiting for /world/w/clock'), 15_000, 'the clock banner');
    const world = await standInWorld(partition, '/world/w/clock', 100);
    await until(() => /gazebo clock: \/world\/w\/clock at sim 1\d\d\.\d{3} s = twin t 0 s/.test(twin.out), 15_000, 'the first Clock');
    // 20× real time: 30 twin seconds in about 1.5 s of wall time (plus the view's 1 s polling).
    await until(() => latest(twin.out) >= 30, 20_000, 'twin time 30 s');
    const sim0 = Number(/at sim (\d+\.\d+) s/.exec(twin.out)![1]) * 1000;

    // Paused world: Gazebo's clock holds, so does the twin's (no later status line).
    world.pause();
    const pausedAt_s = (world.sim_ms - sim0) / 1000;
    // On a loaded machine the twin may still be working through Clocks sent before the pause:
    // wait until its status stops moving (3 s unchanged, 10 s at most), then it must stay there.
    let seen = latest(twin.out);
    for (let stable = 0, k = 0; stable < 6 && k < 20; k++) {
      await new Promise((r) => setTimeout(r, 500));
      stable = latest(twin.out) === seen ? stable + 1 : 0;
      seen = latest(twin.out);
    }
    const heldLatest = latest(twin.out);
    expect(heldLatest).toBeLessThanOrEqual(pausedAt_s + 0.5); // the view prints whole seconds (rounded)
    await new Promise((r) => setTimeout(r, 2500));
    expect(latest(twin.out)).toBe(heldLatest);

    // World reset: our world goes quiet, Gazebo's own CLI publishes the earlier time into the
    // same topic: reported, the twin's time holds.
    world.silence();
    expect(twin.err).not.toContain('GZ.CLOCK_BACKWARDS');
    for (let i = 0; i < 6 && !twin.err.includes('GZ.CLOCK_BACKWARDS'); i++) {
      await runCli('topic', ['-t', '/world/w/clock', '-m', 'ignition.msgs.Clock', '-p', 'sim {sec: 100}'], partition).done;
      await until(() => twin.err.includes('GZ.CLOCK_BACKWARDS'), 500, 'backwards report').catch(() => undefined);
    }
    expect(twin.err).toMatch(/twin: gazebo clock: GZ\.CLOCK_BACKWARDS: \/world\/w\/clock went back from \d+\.\d{3} s to 100\.000 s/);
    // A Clock without sim time (only `real`) from the CLI: rejected with its code.
    for (let i = 0; i < 6 && !twin.err.includes('GZ.CLOCK_NO_TIME'); i++) {
      await runCli('topic', ['-t', '/world/w/clock', '-m', 'ignition.msgs.Clock', '-p', 'real {sec: 5}'], partition).done;
      await until(() => twin.err.includes('GZ.CLOCK_NO_TIME'), 500, 'no-time report').catch(() => undefined);
    }
    expect(twin.err).toContain('twin: gazebo clock: GZ.CLOCK_NO_TIME: Clock message without sim time');
    // Bytes that do not decode as a Clock: reported with the decoder's code.
    await world.raw(Uint8Array.from([0x0a, 0xff, 0xff, 0xff]));
    await until(() => twin.err.includes('twin: gazebo clock: GZ.DECODE_FAILED'), 5000, 'decode failure report');
    expect(twin.child.exitCode).toBeNull();

    // The world runs again from 100 s: the twin's time goes on from where it held (never backwards).
    const before = latest(twin.out);
    world.resetTo(100);
    await until(() => latest(twin.out) >= before + 20, 20_000, 'twin time advancing again');
    const times = twinTimes(twin.out);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    twin.child.kill('SIGINT');
    await new Promise((r) => twin.child.once('exit', r));
    expect(twin.err).not.toMatch(/Error:|threw/);
  });

  it('--gz-clock-topic /clock follows the CLI as the only publisher (`ign-transport-topic -p`)', { timeout: 60_000 }, async () => {
    if (!existsSync(CLI)) throw new Error('run `npm run build` first (npm test does)');
    const partition = uniquePartition('clock');
    const twin = startTwin(partition, ['--gz-clock-topic', '/clock', '--gz-clock-timeout', '30']);
    children.push(twin);
    await until(() => twin.out.includes('gazebo clock: waiting for /clock'), 15_000, 'the clock banner');
    for (let i = 0; i < 8 && !twin.out.includes('= twin t 0 s'); i++) {
      await runCli('topic', ['-t', '/clock', '-m', 'ignition.msgs.Clock', '-p', 'sim {sec: 100}'], partition).done;
      await until(() => twin.out.includes('= twin t 0 s'), 500, 'first clock').catch(() => undefined);
    }
    expect(twin.out).toContain('gazebo clock: /clock at sim 100.000 s = twin t 0 s');
    // One message per CLI process: 100 s → 125 s moves the twin to 25 s (status line t=25s).
    for (let i = 0; i < 8 && latest(twin.out) < 20; i++) {
      await runCli('topic', ['-t', '/clock', '-m', 'ignition.msgs.Clock', '-p', 'sim {sec: 125}'], partition).done;
      await until(() => latest(twin.out) >= 20, 1500, 'twin t 20').catch(() => undefined);
    }
    expect(latest(twin.out)).toBe(25);
    expect(twin.child.exitCode).toBeNull();
  });

  it('no Clock before --gz-clock-timeout: exit 1 with GZ.CLOCK_TIMEOUT', { timeout: 30_000 }, async () => {
    if (!existsSync(CLI)) throw new Error('run `npm run build` first (npm test does)');
    const twin = startTwin(uniquePartition('none'), ['--gz-world', 'nowhere', '--gz-clock-timeout', '1']);
    children.push(twin);
    const code = await new Promise((r) => twin.child.once('exit', r));
    expect(code).toBe(1);
    expect(twin.err).toContain('twin: --gz-world: GZ.CLOCK_TIMEOUT: no Clock message on /world/nowhere/clock');
  });

  it('--gz-sensors: the declared LiDAR and camera are fed by Gazebo topics, on Gazebo time (scans counted at /metrics); a bad file exits 2', { timeout: 90_000 }, async () => {
    if (!existsSync(CLI)) throw new Error('run `npm run build` first (npm test does)');
    const partition = uniquePartition('sensors');
    const dir = mkdtempSync(join(tmpdir(), 'twin-gzs-'));
    const lidarTopic = '/world/w/model/x500/link/lidar/sensor/gpu_lidar/scan/points';
    const cameraTopic = '/world/w/model/x500/link/camera/sensor/camera/image';
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'vehicles:\n  drone1:\n    lidar: "not a topic with spaces"\n');
    const refused = startTwin(partition, ['--gz-sensors', bad]);
    children.push(refused);
    expect(await new Promise((r) => refused.child.once('exit', r))).toBe(2);
    expect(refused.err).toMatch(/twin: --gz-sensors: .*bad\.yaml: vehicles\.drone1\.lidar/);

    const file = join(dir, 'gz-sensors.yaml');
    writeFileSync(file, `vehicles:\n  drone1:\n    camera: ${cameraTopic}\n    lidar:\n      ouster: ${lidarTopic}\n`);
    const twin = startTwin(partition, ['--gz-world', 'w', '--gz-sensors', file], 'scenarios/survey-sensors.yaml', true);
    children.push(twin);
    await until(() => twin.out.includes('gazebo clock: waiting for /world/w/clock'), 15_000, 'the clock banner');
    await standInWorld(partition, '/world/w/clock', 100);
    await until(() => /dashboard (http:\/\/[^/\s]+)\//.test(twin.out), 30_000, 'the services banner');
    const api = /dashboard (http:\/\/[^/\s]+)\//.exec(twin.out)![1]!;
    const scanCount = async () => {
      const text = await (await fetch(`${api}/metrics`)).text();
      return { text, scans: Number(/twin_sensor_scans_total\{vehicle="drone1",sensor="ouster"\} (\d+)/.exec(text)?.[1] ?? 0) };
    };
    // Gazebo time runs (20×), but no cloud yet on the topic: no scans (a simulated Ouster would have made them).
    await new Promise((r) => setTimeout(r, 2000));
    expect((await scanCount()).scans).toBe(0);
    // The stand-in gpu_lidar and camera: 10 Hz wall.
    const n = await createGzNode({ partition });
    if (!n.ok) throw new Error(n.error.message);
    nodes.push(n.value);
    const lidar = n.value.advertise(lidarTopic, 'PointCloudPacked');
    const camera = n.value.advertise(cameraTopic, 'Image');
    if (!lidar.ok || !camera.ok) throw new Error('advertise');
    const cloud = Buffer.alloc(16 * 8);
    for (let i = 0; i < 8; i++) [10 * Math.cos(i), 10 * Math.sin(i), -40, 1].forEach((v, k) => cloud.writeFloatLE(v, i * 16 + k * 4));
    const field = ['x', 'y', 'z', 'intensity'].map((name, k) => ({ name, offset: k * 4, datatype: 'FLOAT32', count: 1 }));
    const pixels = new Uint8Array(4 * 2 * 3).fill(128);
    const sensors = setInterval(() => {
      void lidar.value.publish({ field, height: 1, width: 8, point_step: 16, row_step: 128, is_dense: true, data: cloud });
      void camera.value.publish({ width: 4, height: 2, step: 12, pixel_format_type: 'RGB_INT8', data: pixels });
    }, 100);
    nodes.push({ close: async () => clearInterval(sensors) } as unknown as GzNode);
    let scans = 0;
    let text = '';
    const t0 = performance.now();
    while (scans < 5 && performance.now() - t0 < 30_000) {
      ({ text, scans } = await scanCount());
      if (scans < 5) await new Promise((r) => setTimeout(r, 300));
    }
    expect(scans, text.split('\n').filter((l) => l.includes('sensor')).join('\n') + twin.err).toBeGreaterThanOrEqual(5);
    const health = (await (await fetch(`${api}/healthz`)).json()) as { status: string };
    expect(health.status).toBe('ok');
    expect(twin.child.exitCode).toBeNull();
  });

  it('`twin run --gz-world w`: the scenario runs on Gazebo time, waits while the world is paused, ends at duration_s of it', { timeout: 60_000 }, async () => {
    if (!existsSync(CLI)) throw new Error('run `npm run build` first (npm test does)');
    const partition = uniquePartition('run');
    const dir = mkdtempSync(join(tmpdir(), 'twin-gzr-'));
    const scenario = join(dir, 'short.yaml');
    writeFileSync(
      scenario,
      ['name: gz-short', 'seed: 3', 'duration_s: 40', 'stop_when_done: false', 'world: { origin: home }', 'vehicles:', '  - id: drone1', '    mission:', '      type: waypoints', '      waypoints:', '        - { north: 50, east: 0, alt: 20 }', ''].join('\n'),
    );
    const report = join(dir, 'report.json');
    const child = spawn(process.execPath, [CLI, 'run', scenario, '--gz-world', 'w', '--report', report, '-q'], {
      env: { ...process.env, TWIN_LOG_LEVEL: 'silent', TWIN_DATA_DIR: dir, IGN_PARTITION: partition },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    await until(() => err.includes('gazebo clock: waiting for /world/w/clock'), 15_000, 'the clock banner');
    const t0 = performance.now();
    const world = await standInWorld(partition, '/world/w/clock', 500);
    await until(() => err.includes('= gz-short t 0 s'), 15_000, 'the first Clock');
    // 20 twin seconds (1 s of wall time at 20×), then paused for 2 s: the run must still be going.
    await until(() => world.sim_ms >= 520_000, 10_000, 'sim 520 s');
    world.pause();
    await new Promise((r) => setTimeout(r, 2000));
    expect(child.exitCode).toBeNull();
    world.resume();
    expect(await exited).toBe(0);
    const wall_s = (performance.now() - t0) / 1000;
    expect(wall_s).toBeGreaterThan(3.5); // 2 s of the 40 at 20× + 2 s paused
    const r = JSON.parse(readFileSync(report, 'utf8')) as { simulatedSeconds: number; name?: string };
    expect(r.simulatedSeconds).toBeGreaterThanOrEqual(40);
    expect(r.simulatedSeconds).toBeLessThan(41);
  });
});

