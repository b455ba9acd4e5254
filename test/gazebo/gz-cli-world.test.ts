/**
 * `twin start --gz-world w` (the built CLI) on a stand-in Gazebo: our node publishes
 * `/world/w/clock` at a fixed rate (sim time 20× real time), Gazebo's own CLI
 * (`ign-transport-topic -p`) publishes into the same topic independently. The twin's time (its
 * `t=<s>s` status lines under --no-services) follows Gazebo's, stops when Gazebo pauses, and a
 * clock going backwards or a Clock without sim time is reported while the twin keeps running.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
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

function startTwin(partition: string, args: string[]): Started {
  const data = mkdtempSync(join(tmpdir(), 'twin-gzw-'));
  const child = spawn(process.execPath, [CLI, 'start', 'scenarios/link-loss.yaml', '--no-services', ...args], {
    env: { ...process.env, TWIN_LOG_LEVEL: 'silent', TWIN_DATA_DIR: data, IGN_PARTITION: partition },
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
    await new Promise((r) => setTimeout(r, 300));
    const pausedAt_s = (world.sim_ms - sim0) / 1000;
    await new Promise((r) => setTimeout(r, 3000));
    const heldLatest = latest(twin.out);
    expect(heldLatest).toBeLessThanOrEqual(pausedAt_s);
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
});
