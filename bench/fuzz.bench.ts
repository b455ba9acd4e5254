/**
 * Property runs per second of `twin fuzz` on a 10-minute single-drone survey with faults, with 1
 * and 2 worker threads, and the time to shrink a failure to its minimal case — printed beside a
 * baseline measured in the same run: plain `runScenario` calls in this thread (no invariants, no
 * workers), the ceiling a sweep could reach per core.
 *
 * Run: `npm run build && node dist/bench/fuzz.bench.js [runs=200]`
 * Targets (QA issue, 2-core machine): ≥ 50 runs/s; shrink ≤ 30 s.
 */
import { cpus } from 'node:os';
import { loadScenarioFile } from '../actors/scenario/scenario.loader.js';
import { runScenario } from '../actors/scenario/scenario.runner.js';
import { ScenarioSchema, type Scenario } from '../actors/scenario/scenario.schema.js';
import { fuzzBoundsOf, FuzzBoundsSchema } from '../testing/fuzz-bounds.schema.js';
import { fuzzScenario } from '../testing/fuzz/fuzz-runner.js';
import { inProcessRunner, workerPool, type CaseRunner } from '../testing/fuzz/case-runner.js';
import { runChecked } from '../testing/run-checked.js';

const runs = Number(process.argv[2] ?? 200);

async function load(file: string): Promise<Scenario> {
  const l = await loadScenarioFile(file);
  if (!l.ok) throw new Error(l.error.message);
  return l.value;
}

/** The survey, flown for exactly 10 sim minutes, with a battery sag and a gust in the base. */
async function benchScenario(): Promise<Scenario> {
  const survey = await load(new URL('../../scenarios/survey.yaml', import.meta.url).pathname);
  return ScenarioSchema.parse({
    ...survey,
    name: 'bench-survey-10min',
    duration_s: 600,
    stop_when_done: false,
    faults: [
      { at_s: 200, vehicle: 'drone1', fault: { kind: 'wind_gust', speed_mps: 8, direction_deg: 90, duration_s: 20 } },
      { at_s: 300, vehicle: 'drone1', fault: { kind: 'battery_drop', pct: 15 } },
    ],
    fuzz: { vary: { missions: false }, expect: 'none', invariants: { skip: ['mission_outcome'] }, // the survey outlasts the 10 min on purpose
      faults: { count: [1, 3], kinds: ['link_loss', 'gps_loss', 'battery_drop', 'wind_gust', 'sensor_failure'] } },
  });
}

const rate = (n: number, ms: number) => `${(n / (ms / 1000)).toFixed(1).padStart(6)} runs/s  (${(ms / n).toFixed(1)} ms/run, ${n} runs)`;

async function baseline(s: Scenario, n: number, checked: boolean): Promise<number> {
  for (let i = 0; i < 5; i++) await (checked ? runChecked : runScenario)(s, { seed: i }); // JIT warm-up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await (checked ? runChecked : runScenario)(s, { seed: 100 + i });
  return performance.now() - t0;
}

async function sweep(s: Scenario, runner: CaseRunner, n: number): Promise<{ ms: number; failed: number; counts: Record<string, number> }> {
  const bounds = FuzzBoundsSchema.parse(s.fuzz);
  // Warm every worker (module load, JIT) before timing, as a long fuzz session would be.
  await fuzzScenario(s, { bounds, runner, runs: runner.parallelism * 4, seed: 99, maxFailures: 0 });
  const t0 = performance.now();
  const r = await fuzzScenario(s, { bounds, runner, runs: n, seed: 1, maxFailures: 0 });
  return { ms: performance.now() - t0, failed: r.failedRuns, counts: { ...r.failureCounts } };
}

async function main(): Promise<void> {
  console.log(`machine: ${cpus()[0]?.model ?? 'unknown cpu'} × ${cpus().length}, node ${process.version}`);
  const s = await benchScenario();
  console.log(`scenario: ${s.name} (600 s sim per run, faults varied: link/GPS loss, battery drops, gusts, sensor failures)\n`);
  const nBase = Math.max(20, Math.round(runs / 4));
  console.log(`baseline  runScenario, this thread        ${rate(nBase, await baseline(s, nBase, false))}`);
  console.log(`          runChecked (+ invariants)       ${rate(nBase, await baseline(s, nBase, true))}`);
  for (const w of [1, 2]) {
    const pool = workerPool(w);
    try {
      const r = await sweep(s, pool, runs);
      console.log(`fuzz      ${w} worker${w > 1 ? 's' : ' '}                       ${rate(runs, r.ms)}  target ≥ 50 runs/s`);
      if (w === 2) console.log(`          (failing runs: ${r.failed}; ${Object.entries(r.counts).map(([k, c]) => `${k} ×${c}`).join(', ') || 'none'})`);
    } finally {
      await pool.close();
    }
  }

  // Shrinking: the shipped datalink-blind scenario's failure, found and shrunk from seed 1.
  const blind = await load(new URL('../../scenarios/datalink-blind.yaml', import.meta.url).pathname);
  const bounds = fuzzBoundsOf(blind);
  if (!bounds.ok) throw new Error(bounds.message);
  for (const [label, runner] of [['this thread', inProcessRunner()], ['1 worker', workerPool(1)]] as const) {
    try {
      const r = await fuzzScenario(blind, { bounds: bounds.value, runner, runs: 100, seed: 1, maxFailures: 1 });
      const f = r.failures[0];
      if (!f) console.log(`shrink    (${label}) no failure found`);
      else
        console.log(
          `shrink    ${label.padEnd(12)} ${(f.shrink_ms / 1000).toFixed(2).padStart(6)} s  ${f.key}: ${f.original.scenario.faults.length} → ${f.minimal.scenario.faults.length} faults, ${f.shrinkSteps} steps, ${f.shrinkRuns} runs (${(f.shrink_ms / f.shrinkRuns).toFixed(1)} ms/run)   target ≤ 30 s`,
        );
    } finally {
      await runner.close();
    }
  }
}

await main();
