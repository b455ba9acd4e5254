/**
 * `twin fuzz <scenario> [--runs N] [--seed S] [--workers W] [--out dir]`: property-based testing
 * of one scenario. Generates variations of its missions, faults, wind and parameters within the
 * bounds of its `fuzz:` block (defaults where it has none), runs them on W worker threads, checks
 * the scenario's expectations (per `fuzz.expect`) and the invariants, shrinks the first case of
 * each distinct failure, and writes each minimal case as a scenario file `twin run` replays.
 *
 * Exit codes: 0 every case passed; 1 a case failed (minimal cases written); 2 bad input.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { InvalidArgumentError, type Command } from 'commander';
import cliProgress from 'cli-progress';
import { loadScenarioFile } from '../actors/scenario/scenario.loader.js';
import { fuzzBoundsOf } from '../testing/fuzz-bounds.schema.js';
import type { FuzzResult } from '../testing/fuzz/fuzz-runner.js';
import { inProcessRunner, workerPool, type CaseRunner } from '../testing/fuzz/case-runner.js';
import { caseFileText, failureSlug } from '../testing/fuzz/case-file.js';

interface FuzzFlags {
  runs?: number;
  seed?: number;
  workers?: number;
  out: string;
  maxFailures: number;
  shrinkSeconds: number;
  quiet?: boolean;
}

const intIn = (lo: number, hi: number) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < lo || n > hi) throw new InvalidArgumentError(`expected an integer ${lo}..${hi}`);
  return n;
};

/** Adds `twin fuzz` to the program. */
export function registerFuzzCommand(program: Command): Command {
  program
    .command('fuzz')
    .description('generate variations of a scenario (missions, faults, wind, params), check expectations and invariants, shrink failures to minimal scenario files')
    .argument('<scenario>', 'scenario YAML file (bounds from its fuzz: block, else defaults)')
    .option('--runs <n>', 'cases to generate (default fuzz.runs, else 100)', intIn(1, 10_000_000))
    .option('--seed <s>', 'fast-check seed (default fuzz.seed, else random; printed)', intIn(0, 2 ** 31 - 1))
    .option('--workers <w>', 'worker threads (0 = in this thread; default min(2, CPUs))', intIn(0, 256))
    .option('--out <dir>', 'where minimal failing cases are written', 'failures')
    .option('--max-failures <k>', 'distinct failures to shrink', intIn(1, 100), 3)
    .option('--shrink-seconds <s>', 'wall-time budget per shrink', intIn(1, 86_400), 60)
    .option('-q, --quiet', 'no progress bar')
    .action(async (file: string, flags: FuzzFlags) => {
      process.exitCode = await fuzzCommand(file, flags);
    });
  return program;
}

async function fuzzCommand(file: string, flags: FuzzFlags): Promise<number> {
  const loaded = await loadScenarioFile(file);
  if (!loaded.ok) {
    process.stderr.write(`${loaded.error.message}\n`);
    return 2;
  }
  const base = loaded.value;
  const bounds = fuzzBoundsOf(base);
  if (!bounds.ok) {
    process.stderr.write(`${file}: ${bounds.message}\n`);
    return 2;
  }
  const runs = flags.runs ?? bounds.value.runs;
  const seed = flags.seed ?? bounds.value.seed ?? randomInt(2 ** 31 - 1);
  const workers = flags.workers ?? Math.min(2, availableParallelism());
  const tty = process.stderr.isTTY && !flags.quiet;

  let runner: CaseRunner;
  try {
    runner = workers === 0 ? inProcessRunner() : workerPool(workers);
  } catch (error) {
    process.stderr.write(`twin fuzz: ${(error as Error).message}\n`);
    return 2;
  }
  const bar = tty
    ? new cliProgress.SingleBar(
        { format: `fuzz ${base.name} [{bar}] {value}/{total} runs  {failed} failed  {rate} runs/s`, hideCursor: true, clearOnComplete: true, stream: process.stderr },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  bar?.start(runs, 0, { failed: 0, rate: '-' });
  const t0 = performance.now();
  let result: FuzzResult;
  try {
    // fast-check loads only when fuzzing: `twin run` must work where dev dependencies are absent.
    const { fuzzScenario } = await import('../testing/fuzz/fuzz-runner.js');
    result = await fuzzScenario(base, {
      bounds: bounds.value,
      runner,
      runs,
      seed,
      maxFailures: flags.maxFailures,
      shrinkBudget: { ms: flags.shrinkSeconds * 1000 },
      onCase: (done, _total, failed) => bar?.update(done, { failed, rate: (done / ((performance.now() - t0) / 1000)).toFixed(0) }),
      onShrink: tty
        ? (key, tried) => {
            if (tried === 1) bar?.stop();
            if (tried % 10 === 0) process.stderr.write(`\rshrinking ${key}: ${tried} runs`);
          }
        : undefined,
    });
  } finally {
    bar?.stop();
    await runner.close();
  }
  if (tty && result.failures.length) process.stderr.write('\r\x1b[K');

  const out: string[] = [];
  const rate = result.runs / (result.sweep_ms / 1000);
  out.push(`twin fuzz ${base.name}: ${result.runs} runs in ${(result.sweep_ms / 1000).toFixed(2)} s (${rate.toFixed(1)} runs/s, ${workers || 'no'} worker${workers === 1 ? '' : 's'}), seed ${seed}`);
  out.push(`  passed ${result.runs - result.failedRuns}, failed ${result.failedRuns}`);
  for (const [key, n] of Object.entries(result.failureCounts).sort((a, b) => b[1] - a[1])) out.push(`  ${key.padEnd(40)} ${n} run${n === 1 ? '' : 's'}`);
  if (result.failures.length) await mkdir(flags.out, { recursive: true });
  for (const f of result.failures) {
    const path = join(flags.out, `${base.name}-${failureSlug(f.key)}-seed${seed}.yaml`);
    const text = caseFileText(f.minimal.scenario, {
      base: base.name,
      failure: { key: f.key, reason: f.minimal.reason },
      fuzzSeed: seed,
      eventLogSha256: f.minimal.verdict.eventLogSha256,
      shrink: { runs: f.shrinkRuns, steps: f.shrinkSteps },
    });
    await writeFile(path, text);
    out.push('');
    out.push(`FAIL ${f.key}  (first at case ${f.index})`);
    out.push(`  ${f.minimal.reason}`);
    out.push(`  minimal case: ${path}  (${f.shrinkSteps} shrink steps, ${f.shrinkRuns} runs, ${(f.shrink_ms / 1000).toFixed(1)} s${f.budgetExhausted ? ', budget exhausted' : ''})`);
    out.push(`  replay: twin run ${path}   sha256 ${f.minimal.verdict.eventLogSha256.slice(0, 16)}`);
  }
  out.push('');
  out.push(result.failedRuns === 0 ? `PASSED  no failure in ${result.runs} runs` : `FAILED  ${result.failures.length} minimal case${result.failures.length === 1 ? '' : 's'} written to ${flags.out}/`);
  process.stdout.write(`${out.join('\n')}\n`);
  return result.failedRuns === 0 ? 0 : 1;
}
