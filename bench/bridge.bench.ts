/**
 * The rosbridge bridge under load: 100 WebSocket clients subscribed to `/<vehicle>/telemetry`,
 * beside a bare `ws` broadcast of the same messages to the same number of clients, in the same
 * run (the baseline: `JSON.stringify` once, `ws.send` to every client, nothing else).
 *
 * Two phases for each:
 *  - fixed rate: 100 messages/s published × 100 clients = 10,000 messages/s delivered in total;
 *    delivered rate and latency (publish → client receipt) p50/p99;
 *  - maximum: a closed-loop producer publishes as fast as the server drains (it waits whenever
 *    more than 256 KiB per client is buffered); delivered messages/s across all clients.
 *
 * The clients run in a child process (the machine has two cores: server on one, clients on the
 * other), so the figures are the server's. Messages are real telemetry samples from the
 * simulator, stamped with the wall clock for latency.
 *
 * Run: `npm run build && node dist/bench/bridge.bench.js [clients=100] [seconds=4] [rounds=3]`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WebSocket, WebSocketServer } from 'ws';
import { VirtualClock } from '../core/clock.js';
import { Rng } from '../core/rng.js';
import { createTwin, type Twin } from '../actors/twin.js';
import { DEFAULT_HOME } from '../actors/scenario/scenario.runner.js';
import { SimWorld, createSimVehiclePort } from '../hardware/sim/index.js';
import type { VehicleTelemetry } from '../hardware/vehicle.port.js';
import { createBridgeServer } from '../bridge/index.js';

const wallNow = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tick = () => new Promise((r) => setImmediate(r));

// ---------------------------------------------------------------- client process

interface Report {
  count: number;
  p50: number;
  p99: number;
}

async function clientMain(): Promise<void> {
  const sockets: WebSocket[] = [];
  let count = 0;
  let latencies: number[] = [];
  let sampleEvery = 1;
  const onMessage = (data: Buffer) => {
    count++;
    if (count % sampleEvery !== 0) return;
    // Pull the stamp out without parsing the whole message: the client side must stay cheap.
    const s = data.toString('latin1');
    const i = s.indexOf('"t_ms":');
    if (i >= 0) latencies.push(wallNow() - parseFloat(s.slice(i + 7, i + 32)));
  };
  process.on('message', async (m: { cmd: string; url?: string; n?: number; subscribe?: boolean; sampleEvery?: number }) => {
    switch (m.cmd) {
      case 'connect': {
        await Promise.all(
          Array.from({ length: m.n! }, async () => {
            const ws = new WebSocket(m.url!, { skipUTF8Validation: true, perMessageDeflate: false });
            ws.on('message', onMessage);
            ws.on('error', (e) => console.error(`client socket: ${e.message}`));
            await new Promise((r) => ws.once('open', r));
            if (m.subscribe) ws.send(JSON.stringify({ op: 'subscribe', id: 'bench', topic: '/drone1/telemetry' }));
            sockets.push(ws);
          }),
        );
        process.send!({ ok: true });
        break;
      }
      case 'reset':
        count = 0;
        latencies = [];
        sampleEvery = m.sampleEvery ?? 1;
        process.send!({ ok: true });
        break;
      case 'report': {
        latencies.sort((a, b) => a - b);
        const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
        process.send!({ count, p50: at(0.5), p99: at(0.99) } satisfies Report);
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

interface Target {
  name: string;
  url: string;
  subscribe: boolean;
  publish(sample: VehicleTelemetry): void;
  /** Bytes buffered server-side across all clients. */
  backlog(): number;
  stop(): Promise<void>;
}

async function bareTarget(twinSample: VehicleTelemetry): Promise<Target> {
  void twinSample;
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise((r) => wss.once('listening', r));
  const port = (wss.address() as { port: number }).port;
  return {
    name: 'bare ws broadcast',
    url: `ws://127.0.0.1:${port}`,
    subscribe: false,
    publish(sample) {
      const text = JSON.stringify({ op: 'publish', topic: '/drone1/telemetry', msg: sample });
      for (const c of wss.clients) c.send(text);
    },
    backlog() {
      let n = 0;
      for (const c of wss.clients) n += c.bufferedAmount;
      return n;
    },
    async stop() {
      for (const c of wss.clients) c.terminate();
      await new Promise((r) => wss.close(r));
    },
  };
}

async function bridgeTarget(twin: Twin): Promise<Target> {
  const bridge = createBridgeServer({ twin, port: 0, authenticate: () => ({ ok: true, value: { sub: 'bench', role: 'viewer' } }) });
  const { url } = await bridge.start();
  return {
    name: 'bridge',
    url: `${url}/?token=bench`,
    subscribe: true,
    publish(sample) {
      twin.bus.publish('/drone1/telemetry', sample);
    },
    backlog() {
      return bridge.clients().reduce((n, c) => n + c.bufferedAmount, 0);
    },
    async stop() {
      const s = bridge.stats();
      console.log(`  (bridge round: sent ${s.sent.toLocaleString()}, dropped for slow clients ${s.dropped.toLocaleString()})`);
      await bridge.stop();
    },
  };
}

async function measure(child: ChildProcess, target: Target, nClients: number, seconds: number, sample: VehicleTelemetry) {
  await ask(child, { cmd: 'connect', url: target.url, n: nClients, subscribe: target.subscribe });
  await sleep(300);
  const stamp = () => ({ ...sample, t_ms: wallNow() });

  // Fixed rate: 10,000 deliveries/s in total, published at a steady 1 ms-granular schedule.
  const rate = 10_000 / nClients;
  await ask(child, { cmd: 'reset', sampleEvery: 1 });
  const t0 = performance.now();
  let published = 0;
  while (performance.now() - t0 < seconds * 1000) {
    const due = Math.floor(((performance.now() - t0) / 1000) * rate);
    while (published < due) {
      target.publish(stamp());
      published++;
    }
    await sleep(1);
  }
  await sleep(200);
  const fixed = await ask<Report>(child, { cmd: 'report' });
  const fixedRate = fixed.count / seconds;

  // Maximum: closed loop, as fast as the server drains.
  const limit = nClients * 256 * 1024;
  await ask(child, { cmd: 'reset', sampleEvery: 50 });
  const t1 = performance.now();
  let stopAt = t1 + seconds * 1000;
  let reportP: Promise<Report> | undefined;
  while (performance.now() < stopAt + 1) {
    for (let i = 0; i < 10; i++) target.publish(stamp());
    if (target.backlog() > limit) await sleep(1);
    else await tick();
    if (!reportP && performance.now() >= stopAt) {
      reportP = ask<Report>(child, { cmd: 'report' });
      stopAt = performance.now();
    }
  }
  const elapsed = (performance.now() - t1) / 1000;
  const max = await reportP!;
  await ask(child, { cmd: 'close' });
  await target.stop();
  await sleep(300);
  return { fixedRate, fixed, maxRate: max.count / elapsed, max };
}

async function serverMain(): Promise<void> {
  const nClients = Number(process.argv[2] ?? 100);
  const seconds = Number(process.argv[3] ?? 4);
  const rounds = Number(process.argv[4] ?? 3);
  // A real twin on the simulator; its bus carries the injected samples.
  const clock = new VirtualClock();
  const world = new SimWorld({ clock, rng: new Rng(1), origin: DEFAULT_HOME });
  world.addVehicle('drone1', { spawn: { north_m: 0, east_m: 0 } });
  const port = createSimVehiclePort(world, 'drone1');
  const twin = createTwin({ clock, origin: DEFAULT_HOME, vehicles: [{ id: 'drone1', port }] });
  world.start();
  let up = false;
  const p = twin.start().then(() => (up = true));
  await clock.run({ stopWhen: () => up, until: 10_000 });
  await p;
  await clock.advance(1000);
  const sample = port.snapshot()!;
  console.log(`${nClients} clients, ${seconds} s per phase; message ${JSON.stringify({ op: 'publish', topic: '/drone1/telemetry', msg: sample }).length} bytes`);

  const child = fork(fileURLToPath(import.meta.url), ['--clients'], { stdio: ['inherit', 'inherit', 'inherit', 'ipc'] });
  await new Promise((r) => child.once('message', r));
  child.on('exit', (code, signal) => {
    if (code !== 0) console.error(`client process exited: ${code ?? signal}`);
  });

  type Run = Awaited<ReturnType<typeof measure>>;
  const runs: Record<'bare' | 'bridge', Run[]> = { bare: [], bridge: [] };
  // Interleaved rounds (bare, bridge, bare, bridge…): a burst of load from elsewhere on the
  // machine hits both, and the medians below shrug off one bad round.
  for (let round = 0; round < rounds; round++) {
    runs.bare.push(await measure(child, await bareTarget(sample), nClients, seconds, sample));
    runs.bridge.push(await measure(child, await bridgeTarget(twin), nClients, seconds, sample));
  }
  child.send({ cmd: 'exit' });
  await twin.stop();

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const f = (x: number) => Math.round(x).toLocaleString().padStart(9);
  const g = (x: number) => x.toFixed(2).padStart(6);
  console.log('\n                     | fixed 10,000/s total: delivered/s  p50 ms  p99 ms | max: delivered/s  p50 ms  p99 ms');
  for (const name of ['bare', 'bridge'] as const)
    runs[name].forEach((r, i) =>
      console.log(
        `${`${name === 'bare' ? 'bare ws broadcast' : 'bridge'} #${i + 1}`.padEnd(21)}| ${f(r.fixedRate)}              ${g(r.fixed.p50)}  ${g(r.fixed.p99)} | ${f(r.maxRate)}       ${g(r.max.p50)}  ${g(r.max.p99)}`,
      ),
    );
  const m = (name: 'bare' | 'bridge', pick: (r: Run) => number) => median(runs[name].map(pick));
  const bareMax = m('bare', (r) => r.maxRate);
  const bridgeMax = m('bridge', (r) => r.maxRate);
  console.log(`\nmedians over ${rounds} rounds:`);
  console.log(`  max throughput: bridge ${f(bridgeMax)} /s, bare ws ${f(bareMax)} /s → ${(bridgeMax / bareMax).toFixed(2)}× (target ≥ 0.7×)`);
  console.log(
    `  at 10,000 messages/s: bridge p50 ${m('bridge', (r) => r.fixed.p50).toFixed(2)} ms, p99 ${m('bridge', (r) => r.fixed.p99).toFixed(2)} ms (target < 20 ms); ` +
      `bare ws p50 ${m('bare', (r) => r.fixed.p50).toFixed(2)} ms, p99 ${m('bare', (r) => r.fixed.p99).toFixed(2)} ms`,
  );
}

if (process.argv.includes('--clients')) void clientMain();
else void serverMain();
