/**
 * MAVLink adapter against the built-in SITL over loopback UDP: mission upload time for 10, 100
 * and 500 items and the command round trip (COMMAND_LONG → COMMAND_ACK), each beside a
 * baseline measured in the same run: a bare UDP ping-pong over the same loopback (one request,
 * one answer), i.e. what the protocol's request/answer exchanges cost with no MAVLink at all.
 * The clock is a VirtualClock paced at real time (speed 1), shared by world, SITL and adapter.
 *
 * Run: `npm run build && node dist/bench/mavlink-adapter.bench.js [repeats]`.
 */
import dgram from 'node:dgram';
import { VirtualClock } from '../core/clock.js';
import { Rng } from '../core/rng.js';
import type { MissionItem } from '../core/mission.js';
import { createMavlinkVehiclePort } from '../hardware/real/mavlink/mavlink-vehicle.adapter.js';
import { SimWorld } from '../hardware/sim/index.js';
import { createSitl } from '../hardware/sim/sitl/index.js';

const ORIGIN = { lat_deg: 47.397742, lon_deg: 8.545594, alt_m: 488 };
const repeats = Number(process.argv[2] ?? 5);

async function udpPingPong(n: number): Promise<number> {
  const a = dgram.createSocket('udp4');
  const b = dgram.createSocket('udp4');
  await Promise.all([new Promise<void>((r) => a.bind(0, '127.0.0.1', r)), new Promise<void>((r) => b.bind(0, '127.0.0.1', r))]);
  b.on('message', (m, ri) => b.send(m, ri.port, ri.address));
  const payload = Buffer.alloc(40);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    await new Promise<void>((r) => {
      a.once('message', () => r());
      a.send(payload, b.address().port, '127.0.0.1');
    });
  }
  const dt = performance.now() - t0;
  a.close();
  b.close();
  return dt / n;
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const clock = new VirtualClock();
  const world = new SimWorld({ clock, rng: new Rng(1), origin: ORIGIN });
  world.addVehicle('d1', { spawn: { north_m: 0, east_m: 0 } });
  const sitl = createSitl({ world, vehicles: [{ id: 'd1' }], host: '127.0.0.1', apiRemotePortBase: 0, apiLocalPortBase: 0, gcsRemotePort: 0, gcsLocalPortBase: 0 });
  await sitl.start();
  const port = createMavlinkVehiclePort({ id: 'd1', url: `udpout://127.0.0.1:${sitl.endpoints[0]!.apiLocalPort}`, clock });
  let stop = false;
  const running = clock.run({ speed: 1, stopWhen: () => stop });
  const timed = async <T>(p: () => Promise<T>): Promise<[number, T]> => {
    const t0 = performance.now();
    const v = await p();
    return [performance.now() - t0, v];
  };
  const c = await port.connect();
  if (!c.ok) throw new Error(c.error.message);
  await new Promise((r) => setTimeout(r, 1500)); // streams requested, home known
  const rtt = await udpPingPong(200);
  console.log(`loopback UDP ping-pong (baseline): ${(rtt * 1000).toFixed(0)} µs per exchange`);

  const cmd: number[] = [];
  for (let i = 0; i < 50; i++) {
    const [dt, r] = await timed(() => port.command({ command: 512, params: [242, 0, 0, 0, 0, 0, 0] }));
    if (!r.ok) throw new Error(r.error.message);
    cmd.push(dt);
  }
  console.log(`command round trip (REQUEST_MESSAGE → ACK): median ${median(cmd).toFixed(2)} ms over 50  (baseline 1 exchange: ${rtt.toFixed(2)} ms)`);

  const home = port.home()!;
  for (const n of [10, 100, 500]) {
    const items: MissionItem[] = Array.from({ length: n }, (_, i) => ({
      kind: 'waypoint', lat_deg: home.lat_deg + (i + 1) * 1e-5, lon_deg: home.lon_deg, alt_m: 20, hold_s: 0, acceptance_m: 2, capture: false,
    }));
    const times: number[] = [];
    for (let k = 0; k < repeats; k++) {
      const [dt, r] = await timed(() => port.uploadMission(items));
      if (!r.ok) throw new Error(`${n}: ${r.error.code} ${r.error.message}`);
      times.push(dt);
    }
    const base = (n + 1) * rtt; // COUNT→request, n × (item→request|ACK)
    console.log(`mission upload ${String(n).padStart(3)} items: median ${median(times).toFixed(1)} ms (${(median(times) / n).toFixed(2)} ms/item) over ${repeats}  (baseline ${n + 1} bare exchanges: ${base.toFixed(1)} ms)`);
  }
  await port.dispose();
  stop = true;
  await running;
  await sitl.stop();
  world.stop();
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
