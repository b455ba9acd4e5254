/**
 * The whole twin under the virtual clock — simulator, vehicle ports, statecharts, monitors, bus
 * and event log — for 1, 10, 100 and 1,000 drones: drone-seconds simulated per wall second and
 * heap per drone, beside a baseline measured in the same run: the same fleet with its 50 Hz
 * physics tick sent through one XState actor per drone (the design the runtime avoids).
 *
 * Run: `npm run build && node --expose-gc dist/bench/twin.bench.js [simSeconds]`
 * Targets (issue 2, 2-core machine): a 20-minute single-drone survey in < 0.5 s wall;
 * 1,000 drones at 50 Hz physics at ≥ 20× real time on one core.
 */
import { assign, createActor, setup } from 'xstate';
import { VirtualClock } from '../core/clock.js';
import { runScenario } from '../actors/scenario/scenario.runner.js';
import { ScenarioSchema } from '../actors/scenario/scenario.schema.js';
import { fleetScenario } from './internal/fleet-scenario.js';

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

/** Baseline: one XState actor per drone receiving every 50 Hz physics tick as an event. */
function xstatePerTick(n: number, duration_s: number) {
  const clock = new VirtualClock();
  const machine = setup({ types: { context: {} as { x: number; v: number }, events: {} as { type: 'TICK'; dt: number } } }).createMachine({
    context: { x: 0, v: 1 },
    on: { TICK: { actions: assign({ x: ({ context, event }) => context.x + context.v * event.dt }) } },
  });
  const actors = Array.from({ length: n }, () => createActor(machine, { clock }).start());
  const tick = () => {
    for (const a of actors) a.send({ type: 'TICK', dt: 0.02 });
    clock.setTimeout(tick, 20);
  };
  clock.setTimeout(tick, 20);
  const t0 = performance.now();
  clock.advanceSync(duration_s * 1000);
  return (performance.now() - t0) / 1000;
}

const fmt = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

async function main(): Promise<void> {
  const simSeconds = Number(process.argv[2] ?? 60);
  console.log(`twin fleet scaling: ${simSeconds} sim s each, 50 Hz physics, 10 Hz telemetry, virtual clock, one core`);
  console.log('drones | run wall s | drone-s per wall s | x real time | setup+teardown s | KiB/drone | events | baseline: XState tick per drone, x real time | ratio');
  for (const n of [1, 10, 100, 1000]) {
    const bytesPerDrone = await heapPerDrone(n); // also warms the JIT up at this size
    const r = await twinRun(n, simSeconds);
    const baseSeconds = Math.max(2, Math.min(simSeconds, Math.round(20_000 / n)));
    const baseWall = xstatePerTick(n, baseSeconds);
    const twinX = r.simulated / r.run;
    const baseX = baseSeconds / baseWall;
    console.log(
      `${String(n).padStart(6)} | ${fmt(r.run, 3).padStart(10)} | ${fmt((n * r.simulated) / r.run).padStart(18)} | ${fmt(twinX, 1).padStart(11)} | ${`${fmt(r.setup, 2)}+${fmt(r.teardown, 2)}`.padStart(16)} | ${fmt(bytesPerDrone / 1024, 1).padStart(9)} | ${String(r.events).padStart(6)} | ${fmt(baseX, 1).padStart(42)} | ${fmt(twinX / baseX, 1)}x`,
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
  const t0 = performance.now();
  const { report } = await runScenario(survey);
  const wall = (performance.now() - t0) / 1000;
  console.log(
    `survey: ${fmt(report.simulatedSeconds / 60, 1)} sim min (mission ${report.vehicles.d1!.mission.status}, ${report.vehicles.d1!.mission.progress.total_waypoints} items) in ${fmt(wall, 3)} s wall = ${fmt(report.simulatedSeconds / wall)}x real time (target: 20 min in < 0.5 s)`,
  );
}

void main();
