/**
 * `fuzzScenario` and `twin fuzz`: the shipped datalink-blind scenario passes as written, fuzzing
 * finds its failure class (a datalink outage hiding a low battery), shrinks it, and the minimal
 * case file replays with `twin run` to the same event log hash and the same failing invariant.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadScenarioFile, parseScenario } from '../../actors/scenario/scenario.loader.js';
import type { Scenario } from '../../actors/scenario/scenario.schema.js';
import { caseFileText, fuzzBoundsOf, fuzzScenario, inProcessRunner, runChecked, workerPool } from '../../testing/index.js';

const exec = promisify(execFile);
const CLI = 'dist/cli/twin.js';

async function twin(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec('node', [CLI, ...args], { env: { ...process.env, TWIN_LOG_LEVEL: 'silent' } });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

async function load(file: string): Promise<Scenario> {
  const l = await loadScenarioFile(file);
  if (!l.ok) throw new Error(l.error.message);
  return l.value;
}

describe('fuzzScenario (library, in this thread)', () => {
  it('finds the datalink-blind failure class and shrinks it to one outage and one battery drop', { timeout: 120_000 }, async () => {
    const base = await load('scenarios/datalink-blind.yaml');
    expect((await runChecked(base)).report.passed).toBe(true);
    const bounds = fuzzBoundsOf(base);
    if (!bounds.ok) throw new Error(bounds.message);
    const result = await fuzzScenario(base, { bounds: bounds.value, runner: inProcessRunner(), runs: 60, seed: 1, maxFailures: 1 });
    expect(result.failedRuns).toBeGreaterThan(0);
    const f = result.failures[0]!;
    expect(f.key).toBe('invariant:battery_failsafe');
    expect(f.minimal.reason).toMatch(/datalink down since .* the twin cannot see the battery/);
    expect(f.shrinkSteps).toBeGreaterThan(0);
    // Minimal: the base's own 3 s dropout plus one battery drop and one long outage.
    const added = f.minimal.scenario.faults.filter((x) => !(x.at_s === 60 && x.fault.kind === 'link_loss'));
    expect(added.map((x) => x.fault.kind).sort()).toEqual(['battery_drop', 'link_loss']);
    expect(f.minimal.scenario.faults.length).toBeLessThan(f.original.scenario.faults.length + 1);
    // Unvaried where it does not matter: the base mission and wind.
    expect(f.minimal.scenario.vehicles[0]!.mission).toEqual(base.vehicles[0]!.mission);
    expect(f.minimal.scenario.world.wind).toEqual(base.world.wind);

    // The case file replays exactly: same hash, same failing invariant.
    const text = caseFileText(f.minimal.scenario, { base: base.name, failure: { key: f.key, reason: f.minimal.reason }, fuzzSeed: 1, eventLogSha256: f.minimal.verdict.eventLogSha256 });
    const parsed = parseScenario(text);
    if (!parsed.ok) throw new Error(parsed.error.message);
    const replay = await runChecked(parsed.value);
    expect(replay.report.eventLogSha256).toBe(f.minimal.verdict.eventLogSha256);
    expect(replay.failures.map((x) => x.key)).toContain('invariant:battery_failsafe');
  });
});

describe('twin fuzz (the built CLI, worker threads)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twin-fuzz-'));
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error('run `npm run build` first (npm test does)');
  });

  it('finds, shrinks and writes the minimal case; twin run replays it to the same failure and hash', { timeout: 120_000 }, async () => {
    const out = join(dir, 'failures');
    const r = await twin('fuzz', 'scenarios/datalink-blind.yaml', '--runs', '60', '--seed', '1', '--workers', '2', '--out', out, '--max-failures', '1');
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/60 runs in .* 2 workers\), seed 1/);
    expect(r.stdout).toContain('FAIL invariant:battery_failsafe');
    const files = readdirSync(out);
    expect(files).toEqual(['datalink-blind-battery-failsafe-seed1.yaml']);
    const file = join(out, files[0]!);
    const sha = /event log sha256 ([0-9a-f]{64})/.exec(readFileSync(file, 'utf8'))![1];

    const report = join(dir, 'replay.json');
    const run = await twin('run', file, '--report', report, '-q');
    expect(run.code).toBe(1);
    const json = JSON.parse(readFileSync(report, 'utf8'));
    expect(json.eventLogSha256).toBe(sha);
    const failing = json.expectations.filter((e: { passed: boolean }) => !e.passed).map((e: { kind: string }) => e.kind);
    expect(failing).toEqual(['invariant:battery_failsafe']);
  });

  it('the base scenario passes twin run (invariants included); bad fuzz bounds are exit 2', async () => {
    const ok = await twin('run', 'scenarios/datalink-blind.yaml', '-q');
    expect(ok.code).toBe(0);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, readFileSync('scenarios/datalink-blind.yaml', 'utf8').replace('MPC_XY_CRUISE: [4, 10]', 'MPC_XY_CRUISE: [4, 99]'));
    const r = await twin('fuzz', bad, '--runs', '5');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/fuzz\.params\.MPC_XY_CRUISE: outside MPC_XY_CRUISE's bounds/);
  });

  it('a worker pool gives the same verdicts as this thread', { timeout: 60_000 }, async () => {
    const base = await load('scenarios/link-loss.yaml');
    const bounds = fuzzBoundsOf(base);
    if (!bounds.ok) throw new Error(bounds.message);
    const pool = workerPool(2);
    try {
      const a = await fuzzScenario(base, { bounds: bounds.value, runner: pool, runs: 8, seed: 4, maxFailures: 0 });
      const b = await fuzzScenario(base, { bounds: bounds.value, runner: inProcessRunner(), runs: 8, seed: 4, maxFailures: 0 });
      expect(a.failureCounts).toEqual(b.failureCounts);
      expect(a.failedRuns).toBe(b.failedRuns);
    } finally {
      await pool.close();
    }
  });
});
