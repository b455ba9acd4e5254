/**
 * Gazebo transport throughput: ignition.msgs.Pose (≈ 60 bytes) published in a closed loop, counted
 * at the subscriber, in one run:
 *  - ours → ours (publisher here, subscriber in a child process: one core each);
 *  - C++ → C++ (Ignition Transport 11, out/gazebo-cpp/gz-bench, built by bench/gazebo-cpp/build.sh
 *    against Debian's libignition-transport-dev; skipped when absent), and C++ ↔ ours both ways;
 *  - ours → `ign topic -e` (the CLI prints every message: its stdout is the limit);
 *  - `ign topic -p`: one message per process (advertise, sleep 800 ms, publish, exit).
 * The ratio printed is ours → ours over C++ → C++.
 *
 * Run: `npm run build && node dist/bench/gazebo.bench.js [seconds=3]`.
 */
import { fork, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGzNode, type GzNode } from '../hardware/sim/gazebo/gz-node.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = existsSync(join(here, '../package.json')) ? join(here, '..') : join(here, '../..');
const CPP = join(root, 'out/gazebo-cpp/gz-bench');
const CLI_TOPIC = '/usr/libexec/ignition/transport11/ign-transport-topic';
const POSE = { name: 'uav-1', position: { x: 1.5, y: -2, z: 30 }, orientation: { w: 1 } };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function openNode(partition: string): Promise<GzNode> {
  const n = await createGzNode({ partition });
  if (!n.ok) throw new Error(`${n.error.code}: ${n.error.message}`);
  return n.value;
}

/** Child: our subscriber; counts for `seconds` after the first message, reports on IPC. */
async function childSub(partition: string, topic: string, seconds: number): Promise<void> {
  const node = await openNode(partition);
  let count = 0;
  let first = 0;
  node.subscribe(topic, () => {
    if (count++ === 0) first = performance.now();
  }, { type: 'Pose' });
  process.send!({ ready: true });
  const t0 = performance.now();
  while (count === 0 && performance.now() - t0 < 20_000) await sleep(5);
  if (count > 0) await sleep(Math.max(0, first + seconds * 1000 - performance.now()));
  process.send!({ received: count, seconds, dropped: node.stats.dropped });
  await node.close();
  process.exit(0);
}

/** Our closed-loop publisher until `stop()` says so; returns messages handed to ZeroMQ. */
async function ourPublisher(node: GzNode, topic: string, stop: () => boolean): Promise<number> {
  const pub = node.advertise(topic, 'Pose');
  if (!pub.ok) throw new Error(pub.error.message);
  const t0 = performance.now();
  while (!pub.value.hasConnections()) {
    if (performance.now() - t0 > 15_000) throw new Error('no subscriber registered');
    await sleep(10);
  }
  await sleep(300);
  let n = 0;
  while (!stop()) {
    let last: Promise<unknown> = Promise.resolve();
    for (let i = 0; i < 256; i++) {
      last = pub.value.publish({ ...POSE, id: n++ });
    }
    await last;
    await new Promise((r) => setImmediate(r));
  }
  pub.value.unadvertise();
  return n;
}

interface SubResult {
  received: number;
  seconds: number;
}

/** Runs a subscriber (ours in a child, or C++) and a publisher (ours here, or C++); received/s. */
async function measure(sub: 'ours' | 'cpp', pubKind: 'ours' | 'cpp', seconds: number): Promise<number> {
  const partition = `bench_${randomUUID().slice(0, 8)}`;
  const topic = '/bench/pose';
  const env = { ...process.env, IGN_PARTITION: partition };
  let result: Promise<SubResult>;
  let ready: Promise<void>;
  if (sub === 'ours') {
    const child = fork(fileURLToPath(import.meta.url), ['--child-sub', partition, topic, String(seconds)], { env, stdio: 'inherit' });
    let onReady: () => void = () => {};
    ready = new Promise((r) => (onReady = r));
    result = new Promise((resolve, reject) => {
      child.on('message', (m: { ready?: boolean } & Partial<SubResult>) => {
        if (m.ready) onReady();
        else resolve(m as SubResult);
      });
      child.on('exit', (code) => (code ? reject(new Error(`subscriber exited ${code}`)) : undefined));
    });
  } else {
    const child = spawn(CPP, ['sub', topic, String(seconds)], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let onReady: () => void = () => {};
    ready = new Promise((r) => (onReady = r));
    result = new Promise((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('"ready"')) onReady();
        const m = /\{"received".*\}/.exec(out);
        if (m) resolve(JSON.parse(m[0]) as SubResult);
      });
      child.on('exit', () => (/"error"/.test(out) ? reject(new Error(out)) : undefined));
    });
  }
  await ready;
  let done = false;
  void result.then(() => (done = true), () => (done = true));
  if (pubKind === 'ours') {
    const node = await openNode(partition);
    await ourPublisher(node, topic, () => done);
    await node.close();
  } else {
    const pub = spawn(CPP, ['pub', topic, String(seconds + 1)], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    await result.catch(() => undefined);
    pub.kill();
  }
  const r = await result;
  return r.received / r.seconds;
}

/** Ours → `ign topic -e` for `seconds`: messages the CLI printed per second. */
async function cliEcho(seconds: number): Promise<number> {
  const partition = `bench_${randomUUID().slice(0, 8)}`;
  const env = { ...process.env, IGN_PARTITION: partition };
  const echo = spawn(CLI_TOPIC, ['-e', '-t', '/bench/echo', '-d', String(seconds + 2)], { env, stdio: ['ignore', 'pipe', 'ignore'] });
  let printed = 0;
  let first = 0;
  let last = 0;
  let tail = '';
  echo.stdout.on('data', (d: Buffer) => {
    const text = tail + d.toString();
    const lines = text.split('\n');
    tail = lines.pop() ?? '';
    for (const l of lines) {
      if (l.startsWith('name: "uav-1"')) {
        if (printed++ === 0) first = performance.now();
        last = performance.now();
      }
    }
  });
  const node = await openNode(partition);
  const t0 = performance.now();
  await ourPublisher(node, '/bench/echo', () => performance.now() - t0 > (seconds + 1) * 1000);
  await new Promise((r) => echo.once('exit', r));
  await node.close();
  return printed > 1 ? (printed - 1) / ((last - first) / 1000) : 0;
}

/** `ign topic -p`: wall time per one-message process. */
async function cliPub(): Promise<number> {
  const env = { ...process.env, IGN_PARTITION: `bench_${randomUUID().slice(0, 8)}` };
  const t0 = performance.now();
  const runs = 3;
  for (let i = 0; i < runs; i++) {
    await new Promise((r) => spawn(CLI_TOPIC, ['-t', '/bench/p', '-m', 'ignition.msgs.Pose', '-p', 'name: "uav-1"'], { env, stdio: 'ignore' }).once('exit', r));
  }
  return (performance.now() - t0) / runs;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child-sub') return childSub(process.argv[3]!, process.argv[4]!, Number(process.argv[5]));
  const seconds = Number(process.argv[2] ?? 3);
  const fmt = (v: number) => `${Math.round(v).toLocaleString('en-US')} msg/s`;
  const ours = await measure('ours', 'ours', seconds);
  console.log(`ours → ours (Pose, ${seconds} s):        ${fmt(ours)} received`);
  if (existsSync(CPP)) {
    const cpp = await measure('cpp', 'cpp', seconds);
    console.log(`C++ → C++ (transport 11):         ${fmt(cpp)} received`);
    console.log(`C++ → ours:                       ${fmt(await measure('ours', 'cpp', seconds))} received`);
    console.log(`ours → C++:                       ${fmt(await measure('cpp', 'ours', seconds))} received`);
    console.log(`ratio ours→ours / C++→C++:        ${(ours / cpp).toFixed(2)}`);
  } else {
    console.log('C++ → C++: skipped (bench/gazebo-cpp/build.sh needs libignition-transport-dev)');
  }
  if (existsSync(CLI_TOPIC)) {
    console.log(`ours → ign topic -e (printed):    ${fmt(await cliEcho(seconds))}`);
    console.log(`ign topic -p:                     one message per process, ${(await cliPub()).toFixed(0)} ms each`);
  } else {
    console.log('ign topic: skipped (ignition-transport-cli not installed)');
  }
}

await main();
