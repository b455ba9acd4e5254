/**
 * SITL benchmark: server-side time per mission item during 100- and 500-item uploads from the
 * test GCS, and the COMMAND_LONG → COMMAND_ACK round trip, each beside a baseline measured in
 * the same run: a bare UDP echo of the same datagrams between two sockets (what any UDP
 * MAVLink server costs at least). Anchor: PX4 v1.15 SITL ≈ 0.27 ms/item including the client.
 *
 * Run: `npm run build && node dist/bench/sitl.bench.js` (or `npx tsx bench/sitl.bench.ts`).
 * The clock is paced fast (speed 1000) so sim-time retries (250 ms) never fire during the run.
 */
import { createSocket } from 'node:dgram';
import { common } from 'node-mavlink';
import { VirtualClock } from '../core/clock.js';
import { Rng } from '../core/rng.js';
import { SimWorld } from '../hardware/sim/index.js';
import { createSitl } from '../hardware/sim/sitl/index.js';
import { MavlinkEncoder } from '../hardware/real/mavlink/codec.js';
import { pump } from '../test/sitl/support/sitl-harness.js';
import { TestGcs, mk } from '../test/sitl/support/test-gcs.js';
import { uploadMission, type ItemFields } from '../test/sitl/support/mission-client.js';

const ORIGIN = { lat_deg: 47.397742, lon_deg: 8.545594, alt_m: 488 };

async function echoBaseline(frames: Buffer[], rounds: number): Promise<number> {
  const a = createSocket('udp4'), b = createSocket('udp4');
  await Promise.all([new Promise<void>((r) => a.bind(0, '127.0.0.1', () => r())), new Promise<void>((r) => b.bind(0, '127.0.0.1', () => r()))]);
  b.on('message', (m, ri) => b.send(m, ri.port, ri.address));
  const t0 = performance.now();
  for (let k = 0; k < rounds; k++) {
    const f = frames[k % frames.length]!;
    await new Promise<void>((resolve) => { a.once('message', () => resolve()); a.send(f, b.address().port, '127.0.0.1'); });
  }
  const ms = (performance.now() - t0) / rounds;
  a.close(); b.close();
  return ms;
}

async function main(): Promise<void> {
  const clock = new VirtualClock();
  const world = new SimWorld({ clock, rng: new Rng(1), origin: ORIGIN });
  world.addVehicle('d1', { spawn: { north_m: 0, east_m: 0 } });
  const sitl = createSitl({ world, vehicles: [{ id: 'd1' }], apiLocalPortBase: 0, apiRemotePortBase: 0, gcsLocalPortBase: 0, gcsRemotePort: 0, profileNow: () => performance.now() });
  await sitl.start();
  const gcs = await TestGcs.open(clock);
  gcs.connect(sitl.endpoints[0]!.gcsLocalPort);
  // Decode only what the client needs; telemetry is counted and skipped.
  gcs.filter = new Set([40, 47, 51, 77]);
  const ac = new AbortController();
  const running = pump(clock, 1000, ac.signal);
  gcs.heartbeat();
  const enc = new MavlinkEncoder(255, 190);
  console.log('metric                              SITL        baseline (UDP echo)');
  for (const n of [100, 500]) {
    const items: ItemFields[] = Array.from({ length: n }, (_, k) => ({ frame: 3, command: 16, param2: 2, x: 473977420 + k * 100, y: 85455940 + (k % 10) * 100, z: 20 }));
    await uploadMission(gcs, items.slice(0, 2)); // warm-up
    const before = sitl.stats().vehicles[0]!.handlerMs;
    const t0 = performance.now();
    const { ack } = await uploadMission(gcs, items, { timeoutMs: 60_000 });
    const wall = performance.now() - t0;
    if (ack.type !== 0) throw new Error(`upload failed: ${ack.type}`);
    const server = sitl.stats().vehicles[0]!.handlerMs - before;
    const frames = items.map((it, seq) => enc.encode(mk(common.MissionItemInt, { targetSystem: 1, targetComponent: 1, seq, missionType: 0, autocontinue: 1, ...it })));
    const base = await echoBaseline(frames, n);
    console.log(`upload ${String(n).padStart(3)} items: server ms/item   ${(server / n).toFixed(4).padStart(8)}`);
    console.log(`upload ${String(n).padStart(3)} items: total ms/item    ${(wall / n).toFixed(4).padStart(8)}    ${base.toFixed(4).padStart(8)}  (PX4 v1.15 SITL ≈ 0.27)`);
  }
  const rounds = 500;
  const cmdFrame = enc.encode(mk(common.CommandLong, { targetSystem: 1, targetComponent: 1, command: 512, _param1: 242 }));
  await gcs.command(1, 512, [242]);
  const t0 = performance.now();
  for (let k = 0; k < rounds; k++) await gcs.command(1, 512, [242]);
  const rtt = (performance.now() - t0) / rounds;
  const base = await echoBaseline([cmdFrame], rounds);
  console.log(`COMMAND_LONG→ACK round trip ms     ${rtt.toFixed(4).padStart(8)}    ${base.toFixed(4).padStart(8)}`);
  ac.abort();
  await running;
  await sitl.stop();
  await gcs.close();
}

await main();
