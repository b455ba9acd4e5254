/**
 * Simulator throughput: vehicle-steps per second of wall time, autopilot included, beside a
 * baseline (an empty loop reading the same struct-of-arrays columns) measured in the same run.
 *
 * Run: `npm run build && node dist/bench/sim-physics.bench.js [vehicles] [sim-seconds]`
 * Target: 1,000 vehicles at 50 Hz at ≥ 20× real time = ≥ 1,000,000 vehicle-steps/s on one core,
 * and a 20-minute single-drone survey in well under 0.5 s of wall time.
 */
import { VirtualClock } from '../core/clock.js';
import type { MissionItem } from '../core/mission.js';
import { Rng } from '../core/rng.js';
import { SimWorld, createSimVehiclePort } from '../hardware/sim/index.js';

const ORIGIN = { lat_deg: 47.397742, lon_deg: 8.545594, alt_m: 488 };

/** A lawnmower survey of `legs` legs, `len` m long, `gap` m apart, starting at (n0, e0). */
function survey(world: SimWorld, n0: number, e0: number, legs: number, len: number, gap: number): MissionItem[] {
  const items: MissionItem[] = [];
  for (let k = 0; k < legs; k++) {
    for (const n of k % 2 === 0 ? [0, len] : [len, 0]) {
      const { lat_deg, lon_deg } = world.frame.toLatLon(n0 + n, e0 + k * gap + 1);
      items.push({ kind: 'waypoint', lat_deg, lon_deg, alt_m: 40, hold_s: 0, acceptance_m: 2, capture: true });
    }
  }
  items.push({ kind: 'rtl' });
  return items;
}

function fleet(vehicles: number): { clock: VirtualClock; world: SimWorld } {
  const clock = new VirtualClock();
  const world = new SimWorld({ clock, rng: new Rng(1), origin: ORIGIN, wind: { speed_mps: 5, direction_deg: 250, gust_sd_mps: 1 } });
  const side = Math.ceil(Math.sqrt(vehicles));
  for (let v = 0; v < vehicles; v++) {
    const id = `d${v}`;
    const n0 = (v % side) * 200, e0 = Math.floor(v / side) * 200;
    world.addVehicle(id, { spawn: { north_m: n0, east_m: e0 } });
    world.command(id, { kind: 'upload_mission', items: survey(world, n0, e0, 6, 150, 25) });
    world.command(id, { kind: 'arm' });
    world.command(id, { kind: 'start_mission' });
  }
  return { clock, world };
}

/** The same loop shape over the same columns, doing no work: the memory-traffic floor. */
function baseline(world: SimWorld, ticks: number): number {
  const s = world.s;
  let acc = 0;
  for (let t = 0; t < ticks; t++) {
    for (let i = 0; i < s.count; i++) acc += s.pN[i]! + s.vN[i]! + s.batUsed[i]! + s.mode[i]!;
  }
  return acc;
}

async function main(): Promise<void> {
  const vehicles = Number(process.argv[2] ?? 1000);
  const simSeconds = Number(process.argv[3] ?? 60);
  const { clock, world } = fleet(vehicles);
  world.start();
  clock.advanceSync(2000); // warm-up (JIT)
  const ticks = simSeconds * world.physicsHz;

  let t0 = performance.now();
  clock.advanceSync(simSeconds * 1000);
  const simWall = (performance.now() - t0) / 1000;

  t0 = performance.now();
  const sink = baseline(world, ticks);
  const baseWall = (performance.now() - t0) / 1000;

  const steps = vehicles * ticks;
  const inAir = Array.from({ length: vehicles }, (_, v) => world.telemetry(`d${v}`)).filter((t) => t.landed !== 'on_ground').length;
  console.log(`sim-physics: ${vehicles} vehicles × ${simSeconds} s at ${world.physicsHz} Hz (${inAir} in the air at the end)`);
  console.log(`  simulator : ${(steps / simWall / 1e6).toFixed(2)} M vehicle-steps/s  (${(simSeconds / simWall).toFixed(1)}× real time)`);
  console.log(`  baseline  : ${(steps / baseWall / 1e6).toFixed(2)} M vehicle-steps/s  (empty loop reading the same columns; checksum ${sink.toExponential(2)})`);

  // A 20-minute single-drone survey through the port, on the async virtual clock like a scenario.
  const one = new VirtualClock();
  const w1 = new SimWorld({ clock: one, rng: new Rng(2), origin: ORIGIN, wind: { speed_mps: 4, direction_deg: 200, gust_sd_mps: 1 } });
  w1.addVehicle('d1', { spawn: { north_m: 0, east_m: 0 } });
  const port = createSimVehiclePort(w1, 'd1');
  let samples = 0;
  port.subscribeTelemetry(() => samples++);
  w1.start();
  t0 = performance.now();
  void port.connect();
  await one.advance(10);
  void port.uploadMission(survey(w1, 0, 0, 16, 400, 20));
  void port.arm();
  await one.advance(10);
  void port.startMission();
  await one.advance(20 * 60_000);
  const surveyWall = performance.now() - t0;
  console.log(`  20-min single-drone survey: ${surveyWall.toFixed(0)} ms wall, ${samples} telemetry samples, final mode ${port.snapshot()?.mode}`);
}

void main();
