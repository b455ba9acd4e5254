/**
 * The whole twin under the virtual clock — simulator, vehicle ports, statecharts, monitors, bus
 * and event log — for 1, 10, 100 and 1,000 drones: drone-seconds simulated per wall second and
 * heap per drone, beside two baselines measured in the same run on the same fleet (same spawn
 * points, missions, wind and seed), both with the same 50 Hz physics:
 * - `physics only`: the simulator flying the missions with no runtime above it (the floor);
 * - `naive actors`: the simulator plus one XState actor per drone that receives every physics
 *   tick's state as an event (the design the runtime avoids: it samples telemetry at 10 Hz and
 *   raises discrete events instead).
 * Every figure is the median of `rounds` runs.
 *
 * Run: `npm run build && node --expose-gc dist/bench/twin.bench.js [simSeconds] [rounds]`
 * Targets (issue 2, 2-core machine): a 20-minute single-drone survey in < 0.5 s wall;
 * 1,000 drones at 50 Hz physics at ≥ 20× real time on one core.
 */
import { assign, createActor, setup } from 'xstate';
import { VirtualClock } from '../core/clock.js';
import { LocalFrame } from '../core/geo.js';
import { Rng } from '../core/rng.js';
import { buildMission } from '../actors/scenario/mission-builder.js';
import { runScenario } from '../actors/scenario/scenario.runner.js';
import { ScenarioSchema, type Scenario } from '../actors/scenario/scenario.schema.js';
import { SimWorld } from '../hardware/sim/index.js';
import type { VehicleTelemetry } from '../hardware/vehicle.port.js';
import { fleetScenario } from './internal/fleet-scenario.js';

const ORIGIN = { lat_deg: 47.397742, lon_deg: 8.545594, alt_m: 488 };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const gc = (globalThis as { gc?: () => void }).gc;
const heap = () => {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
};

async function twinRun(n: number, duration_s: number) {
  const scenario = ScenarioSchema.parse(fleetScenario(n, duration_s));
  const marks: Record<string, number> = {};
  const t0 = performance.now();
  const { report } = await runScenario(scenario, { onPhase: (phase) => (marks[phase] = performance.now()) });
  return {
    run: (marks.ran! - marks.connected!) / 1000,
    setup: (marks.connected! - t0) / 1000,
    teardown: (marks.stopped! - marks.ran!) / 1000,
    simulated: report.simulatedSeconds,
    events: report.events,
  };
}

/** Heap held per drone once the fleet is up (actors, ports, simulator state, buffers). */
async function heapPerDrone(n: number): Promise<number> {
  const scenario = ScenarioSchema.parse(fleetScenario(n, 5));
  const before = heap();
  let up = 0;
  await runScenario(scenario, { onPhase: (phase) => void (phase === 'connected' && (up = heap())) });
  return (up - before) / n;
}

/** The benchmark fleet in a bare simulator: same spawns, missions, wind and seed, armed and flying. */
function bareFleet(scenario: Scenario): { clock: VirtualClock; world: SimWorld } {
  const clock = new VirtualClock();
  const world = new SimWorld({ clock, rng: new Rng(scenario.seed).fork('world'), origin: ORIGIN, wind: scenario.world.wind });
  const frame = new LocalFrame(ORIGIN);
  scenario.vehicles.forEach((v, i) => {
    world.addVehicle(v.id, { spawn: { north_m: v.spawn.north, east_m: v.spawn.east } });
    const built = buildMission(frame, v.id, v.mission!, `vehicles.${i}.mission`);
    if (!built.ok) throw new Error(built.error.message);
    world.command(v.id, { kind: 'upload_mission', items: built.value.mission.items });
    world.command(v.id, { kind: 'arm' });
    world.command(v.id, { kind: 'start_mission' });
  });
  world.start();
  return { clock, world };
}

/** Baseline 1: the physics alone. Wall seconds for `duration_s` of flight. */
function physicsOnly(scenario: Scenario, duration_s: number): number {
  const { clock, world } = bareFleet(scenario);
  const t0 = performance.now();
  clock.advanceSync(duration_s * 1000);
  const wall = (performance.now() - t0) / 1000;
  world.stop();
  return wall;
}

/** Baseline 2: the physics plus one XState actor per drone fed every tick's state as an event. */
function naiveActors(scenario: Scenario, duration_s: number): number {
  const { clock, world } = bareFleet(scenario);
  const machine = setup({
    types: { context: {} as { last?: VehicleTelemetry; ticks: number }, events: {} as { type: 'TICK'; t: VehicleTelemetry } },
  }).createMachine({
    context: { ticks: 0 },
    on: { TICK: { actions: assign({ last: ({ event }) => event.t, ticks: ({ context }) => context.ticks + 1 }) } },
  });
  const ids = scenario.vehicles.map((v) => v.id);
  const actors = ids.map(() => createActor(machine, { clock }).start());
  const period = 1000 / world.physicsHz;
  const tick = () => {
    for (let i = 0; i < ids.length; i++) actors[i]!.send({ type: 'TICK', t: world.telemetry(ids[i]!) });
    clock.setTimeout(tick, period);
  };
  clock.setTimeout(tick, period);
  const t0 = performance.now();
  clock.advanceSync(duration_s * 1000);
  const wall = (performance.now() - t0) / 1000;
  world.stop();
  for (const a of actors) a.stop();
  return wall;
}

const fmt = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

async function main(): Promise<void> {
  const simSeconds = Number(process.argv[2] ?? 60);
  const rounds = Number(process.argv[3] ?? 3);
  console.log(`twin fleet scaling: ${simSeconds} sim s each, 50 Hz physics, 10 Hz telemetry, virtual clock, one core, medians of ${rounds} rounds`);
  console.log('drones | twin: wall s | drone-s per wall s | x real time | setup+teardown s | KiB/drone | events | physics only: x real time | naive actors: x real time | twin / naive | twin / physics');
  for (const n of [1, 10, 100, 1000]) {
    const bytesPerDrone = await heapPerDrone(n); // also warms the JIT up at this size
    const scenario = ScenarioSchema.parse(fleetScenario(n, simSeconds));
    const runs: Awaited<ReturnType<typeof twinRun>>[] = [];
    const phys: number[] = [];
    const naive: number[] = [];
    for (let r = 0; r < rounds; r++) {
      // Interleaved, so a slow spell of the machine hits all three alike.
      runs.push(await twinRun(n, simSeconds));
      phys.push(physicsOnly(scenario, simSeconds));
      naive.push(naiveActors(scenario, simSeconds));
    }
    const run = median(runs.map((r) => r.run));
    const r = runs[0]!;
    const twinX = r.simulated / run;
    const physX = simSeconds / median(phys);
    const naiveX = simSeconds / median(naive);
    console.log(
      `${String(n).padStart(6)} | ${fmt(run, 3).padStart(12)} | ${fmt((n * r.simulated) / run).padStart(18)} | ${fmt(twinX, 1).padStart(11)} | ${`${fmt(median(runs.map((x) => x.setup)), 2)}+${fmt(median(runs.map((x) => x.teardown)), 2)}`.padStart(16)} | ${fmt(bytesPerDrone / 1024, 1).padStart(9)} | ${String(r.events).padStart(6)} | ${fmt(physX, 1).padStart(25)} | ${fmt(naiveX, 1).padStart(25)} | ${fmt(twinX / naiveX, 2).padStart(12)}x | ${fmt(twinX / physX, 2)}x`,
    );
  }

  // The 20-minute single-drone survey, end to end through the scenario runner.
  const survey = ScenarioSchema.parse({
    name: 'bench-survey-20min',
    seed: 42,
    duration_s: 3600,
    world: { origin: 'home', wind: { speed_mps: 3, direction_deg: 250, gust_sd_mps: 0.5 } },
    vehicles: [
      {
        id: 'd1',
        mission: {
          type: 'survey',
          alt: 50,
          polygon: [
            { north: 20, east: 20 },
            { north: 350, east: 20 },
            { north: 350, east: 440 },
            { north: 20, east: 440 },
          ],
        },
      },
    ],
  });
  await runScenario(survey); // warm-up
  const walls: number[] = [];
  let report!: Awaited<ReturnType<typeof runScenario>>['report'];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    report = (await runScenario(survey)).report;
    walls.push((performance.now() - t0) / 1000);
  }
  const wall = median(walls);
  console.log(
    `survey: ${fmt(report.simulatedSeconds / 60, 1)} sim min (mission ${report.vehicles.d1!.mission.status}, ${report.vehicles.d1!.mission.progress.total_waypoints} items) in ${fmt(wall, 3)} s wall (median of 5) = ${fmt(report.simulatedSeconds / wall)}x real time (target: 20 min in < 0.5 s)`,
  );
}

void main();
