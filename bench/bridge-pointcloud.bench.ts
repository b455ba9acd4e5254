/**
 * Bridge point-cloud fan-out: an Ouster OS1-64 scan (64 beams × 1024 columns, x,y,z,intensity
 * float32 = 1 MiB) at 10 Hz to 10 WebSocket clients subscribed to `/drone1/ouster/points`, beside
 * a bare `ws` broadcast of the same scan bytes to the same clients, in the same run.
 *
 * What the bridge does per scan: one blob read (in-memory reader here: the disk is not measured),
 * one decimation and one encoding per budget level, the same buffer written to every client.
 * Configurations, each in fixed-rate (10 Hz) and maximum (closed-loop) phases:
 *  - bare ws: the full 1 MiB scan with an 8-byte send stamp, `ws.send` to every client;
 *  - bridge, full cloud: CBOR, `point_budget` 65 536 (every point, the same bytes as bare);
 *  - bridge, browser budget: JSON base64, the default budget (16 384 points).
 * Latency is publish → client receipt (wall clock; the scan's stamp is the publish time).
 * Clients run in a child process (server and clients on separate cores).
 *
 * Run: `npm run build && node dist/bench/bridge-pointcloud.bench.js [clients=10] [seconds=4] [rounds=3]`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { decode as cborDecode } from 'cbor-x';
import { WebSocket, WebSocketServer } from 'ws';
import { VirtualClock } from '../core/clock.js';
import { Rng } from '../core/rng.js';
import { ok } from '../core/result.js';
import { createTwin, type Twin } from '../actors/twin.js';
import { DEFAULT_HOME } from '../actors/scenario/scenario.runner.js';
import { SimWorld, createSimVehiclePort } from '../hardware/sim/index.js';
import type { ScanRef } from '../hardware/sensor.port.js';
import { createBridgeServer, type SensorDirectory } from '../bridge/index.js';

const wallNow = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tick = () => new Promise((r) => setImmediate(r));
const BEAMS = 64;
const COLUMNS = 1024;

// ---------------------------------------------------------------- client process

interface Report {
  count: number;
  bytes: number;
  p50: number;
  p99: number;
}

async function clientMain(): Promise<void> {
  const sockets: WebSocket[] = [];
  let count = 0;
  let bytes = 0;
  let latencies: number[] = [];
  const onMessage = (data: Buffer, isBinary: boolean) => {
    const now = wallNow();
    count++;
    bytes += data.byteLength;
    let sent: number | undefined;
    if (isBinary && data.byteLength >= 8 && data[0] === 0xb7) sent = data.readDoubleLE(1); // bare: 0xb7 + float64 stamp
    else if (isBinary) {
      const m = cborDecode(data) as { msg?: { header?: { stamp?: { sec: number; nanosec: number } } } };
      const s = m.msg?.header?.stamp;
      if (s) sent = s.sec * 1000 + s.nanosec / 1e6;
    } else {
      // The header comes first in the JSON: read the stamp without parsing the 300 KB of base64.
      const head = data.subarray(0, 200).toString('latin1');
      const sec = /"sec":(\d+)/.exec(head);
      const ns = /"nanosec":(\d+)/.exec(head);
      if (sec && ns) sent = Number(sec[1]) * 1000 + Number(ns[1]) / 1e6;
    }
    if (sent !== undefined) latencies.push(now - sent);
  };
  process.on('message', async (m: { cmd: string; url?: string; n?: number; subscribe?: object }) => {
    switch (m.cmd) {
      case 'connect':
        await Promise.all(
          Array.from({ length: m.n! }, async () => {
            const ws = new WebSocket(m.url!, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
            ws.on('message', (d, b) => onMessage(d as Buffer, b));
            ws.on('error', (e) => console.error(`client socket: ${e.message}`));
            await new Promise((r) => ws.once('open', r));
            if (m.subscribe) ws.send(JSON.stringify(m.subscribe));
            sockets.push(ws);
          }),
        );
        process.send!({ ok: true });
        break;
      case 'reset':
        count = 0;
        bytes = 0;
        latencies = [];
        process.send!({ ok: true });
        break;
      case 'report': {
        latencies.sort((a, b) => a - b);
        const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
        process.send!({ count, bytes, p50: at(0.5), p99: at(0.99) } satisfies Report);
        break;
      }
      case 'close':
        for (const ws of sockets.splice(0)) ws.terminate();
        process.send!({ ok: true });
        break;
      case 'exit':
        process.exit(0);
    }
  });
  process.send!({ ready: true });
}

// ---------------------------------------------------------------- server process

function ask<T>(child: ChildProcess, msg: object): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (r) => resolve(r as T));
    child.send(msg);
  });
}

/** An OS1-64 frame: every point with a return (the worst case for the decimation). */
function scanBytes(): Uint8Array {
  const f = new Float32Array(BEAMS * COLUMNS * 4);
  for (let c = 0; c < COLUMNS; c++)
    for (let b = 0; b < BEAMS; b++) {
      const i = (c * BEAMS + b) * 4;
      const az = (2 * Math.PI * c) / COLUMNS;
      const el = ((b - BEAMS / 2) * 0.7 * Math.PI) / 180;
      const r = 5 + ((b * 13 + c) % 50);
      f[i] = r * Math.cos(el) * Math.cos(az);
      f[i + 1] = r * Math.cos(el) * Math.sin(az);
      f[i + 2] = r * Math.sin(el);
      f[i + 3] = b;
    }
  return new Uint8Array(f.buffer);
}

interface Target {
  name: string;
  url: string;
  subscribe?: object;
  publish(): void;
  backlog(): number;
  stop(): Promise<void>;
}

async function bareTarget(scan: Uint8Array): Promise<Target> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise((r) => wss.once('listening', r));
  const port = (wss.address() as { port: number }).port;
  const frame = Buffer.alloc(9 + scan.byteLength);
  frame[0] = 0xb7;
  Buffer.from(scan.buffer, scan.byteOffset, scan.byteLength).copy(frame, 9);
  return {
    name: 'bare ws broadcast (1 MiB)',
    url: `ws://127.0.0.1:${port}`,
    publish() {
      // A fresh copy per scan, as a producer would hand over new bytes.
      const out = Buffer.from(frame);
      out.writeDoubleLE(wallNow(), 1);
      for (const c of wss.clients) c.send(out, { binary: true });
    },
    backlog: () => [...wss.clients].reduce((n, c) => n + c.bufferedAmount, 0),
    async stop() {
      for (const c of wss.clients) c.terminate();
      await new Promise((r) => wss.close(r));
    },
  };
}

async function bridgeTarget(twin: Twin, scan: Uint8Array, name: string, subscribe: object): Promise<Target> {
  let frame = 0;
  const directory: SensorDirectory = {
    list: () => [{ vehicle: 'drone1', id: 'ouster', kind: 'lidar' }],
    capture: async () => ({ ok: false, error: { code: 'SENSOR.UNSUPPORTED', message: 'a LiDAR' } }),
    configure: async () => ok(undefined),
  };
  const bridge = createBridgeServer({
    twin,
    port: 0,
    authenticate: () => ({ ok: true, value: { sub: 'bench', role: 'viewer' } }),
    sensors: directory,
    // In memory: the bench measures the fan-out, not the disk.
    blobs: { get: async () => ok(scan) },
    highWaterMarkBytes: 8 * 1024 * 1024,
  });
  const { url } = await bridge.start();
  return {
    name,
    url: `${url}/?token=bench`,
    subscribe,
    publish() {
      const ref: ScanRef = { vehicle: 'drone1', sensor: 'ouster', frame_id: frame++ & 0xffff, t_ms: wallNow(), points: BEAMS * COLUMNS, missing_columns: 0, blob_key: 'scan', bytes: scan.byteLength };
      twin.bus.publish('/drone1/ouster/scan', ref);
    },
    backlog: () => bridge.clients().reduce((n, c) => n + c.bufferedAmount, 0),
    async stop() {
      const s = bridge.stats();
      const t = s.topics.find((x) => x.topic === '/drone1/ouster/points');
      console.log(`  (${name}: sent ${s.sent.toLocaleString()}, dropped for slow clients ${s.dropped.toLocaleString()}, scans skipped while loading ${t?.skipped ?? 0})`);
      await bridge.stop();
    },
  };
}

async function measure(child: ChildProcess, target: Target, nClients: number, seconds: number) {
  await ask(child, { cmd: 'connect', url: target.url, n: nClients, subscribe: target.subscribe });
  await sleep(300);

  // Fixed rate: 10 Hz, the sensor's frame rate.
  await ask(child, { cmd: 'reset' });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let published = 0;
  while (performance.now() - t0 < seconds * 1000) {
    const due = Math.floor(((performance.now() - t0) / 1000) * 10) + 1;
    while (published < due) {
      target.publish();
      published++;
    }
    await sleep(2);
  }
  await sleep(300);
  const cpu = process.cpuUsage(cpu0);
  const fixed = await ask<Report>(child, { cmd: 'report' });
  const cpuPerScan_ms = (cpu.user + cpu.system) / 1000 / published;

  // Maximum: closed loop, a new scan whenever the sockets have room.
  const limit = nClients * 4 * 1024 * 1024;
  await ask(child, { cmd: 'reset' });
  const t1 = performance.now();
  while (performance.now() - t1 < seconds * 1000) {
    target.publish();
    if (target.backlog() > limit) await sleep(1);
    else await tick();
    while (target.backlog() > limit && performance.now() - t1 < seconds * 1000) await sleep(1);
  }
  const elapsed = (performance.now() - t1) / 1000;
  const max = await ask<Report>(child, { cmd: 'report' });
  await ask(child, { cmd: 'close' });
  await target.stop();
  await sleep(300);
  return { fixedRate: fixed.count / seconds, fixed, cpuPerScan_ms, maxRate: max.count / elapsed, maxMiBs: max.bytes / elapsed / 2 ** 20, max };
}

async function serverMain(): Promise<void> {
  const nClients = Number(process.argv[2] ?? 10);
  const seconds = Number(process.argv[3] ?? 4);
  const rounds = Number(process.argv[4] ?? 3);
  const clock = new VirtualClock();
  const world = new SimWorld({ clock, rng: new Rng(1), origin: DEFAULT_HOME });
  world.addVehicle('drone1', { spawn: { north_m: 0, east_m: 0 } });
  const twin = createTwin({ clock, origin: DEFAULT_HOME, vehicles: [{ id: 'drone1', port: createSimVehiclePort(world, 'drone1') }] });
  world.start();
  let up = false;
  const p = twin.start().then(() => (up = true));
  await clock.run({ stopWhen: () => up, until: 10_000 });
  await p;
  const scan = scanBytes();
  console.log(`${nClients} clients, ${seconds} s per phase; scan ${BEAMS} × ${COLUMNS} = ${(scan.byteLength / 2 ** 20).toFixed(2)} MiB`);

  const child = fork(fileURLToPath(import.meta.url), ['--clients'], { stdio: ['inherit', 'inherit', 'inherit', 'ipc'] });
  await new Promise((r) => child.once('message', r));

  type Run = Awaited<ReturnType<typeof measure>>;
  const names = ['bare', 'full', 'browser'] as const;
  const runs: Record<(typeof names)[number], Run[]> = { bare: [], full: [], browser: [] };
  const sub = (extra: object) => ({ op: 'subscribe', id: 'bench', topic: '/drone1/ouster/points', queue_length: 2, ...extra });
  for (let round = 0; round < rounds; round++) {
    runs.bare.push(await measure(child, await bareTarget(scan), nClients, seconds));
    runs.full.push(await measure(child, await bridgeTarget(twin, scan, 'bridge CBOR, 65 536 pts', sub({ compression: 'cbor', point_budget: 65_536 })), nClients, seconds));
    runs.browser.push(await measure(child, await bridgeTarget(twin, scan, 'bridge JSON, 16 384 pts', sub({})), nClients, seconds));
  }
  child.send({ cmd: 'exit' });
  await twin.stop();

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const label = { bare: 'bare ws broadcast, 1 MiB', full: 'bridge CBOR, all 65,536', browser: 'bridge JSON, 16,384 (dflt)' };
  const f = (x: number) => x.toFixed(1).padStart(7);
  console.log(`\n                           | 10 Hz: msgs/s  p50 ms  p99 ms  server CPU ms/scan | max: msgs/s   MiB/s  p50 ms  p99 ms`);
  for (const n of names)
    runs[n].forEach((r, i) =>
      console.log(`${`${label[n]} #${i + 1}`.padEnd(27)}| ${f(r.fixedRate)} ${f(r.fixed.p50)} ${f(r.fixed.p99)}  ${f(r.cpuPerScan_ms)}            | ${f(r.maxRate)} ${f(r.maxMiBs)} ${f(r.max.p50)} ${f(r.max.p99)}`),
    );
  console.log(`\nmedians over ${rounds} rounds (${nClients} clients; 10 Hz × ${nClients} = ${10 * nClients} messages/s expected):`);
  for (const n of names) {
    const m = (pick: (r: Run) => number) => median(runs[n].map(pick));
    console.log(`  ${label[n].padEnd(27)} 10 Hz: ${m((r) => r.fixedRate).toFixed(1)} msgs/s, p50 ${m((r) => r.fixed.p50).toFixed(1)} ms, p99 ${m((r) => r.fixed.p99).toFixed(1)} ms, ${m((r) => r.cpuPerScan_ms).toFixed(2)} ms CPU/scan; max ${m((r) => r.maxRate).toFixed(1)} msgs/s (${m((r) => r.maxMiBs).toFixed(0)} MiB/s)`);
  }
}

if (process.argv.includes('--clients')) void clientMain();
else void serverMain();
