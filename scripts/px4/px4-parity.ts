#!/usr/bin/env node
/**
 * Sim-to-field parity runner: flies every shipped scenario with `twin run` on `--vehicle sim`,
 * `--vehicle sitl` and a real PX4 SITL (fresh instances for every run) at each speed factor,
 * and prints the comparison table (also written as Markdown and JSON).
 *
 *   PX4_DIR=/path/to/PX4-Autopilot node dist/scripts/px4/px4-parity.js \
 *     [--speeds 1,4] [--scenarios survey,fleet] [--backends sim,sitl,px4] [--instances 0-4] \
 *     [--parallel 3] [--out out/px4-parity.md] [--runs-dir out/px4-parity] [--render-only]
 *
 * Single-vehicle scenarios fly one instance (as MAVLink system 1, so several run side by side on
 * different instances); an N-vehicle scenario flies N instances as systems 1..N, all reached
 * through one udpin link. `PX4_SITL=<url>` instead of PX4_DIR flies an already running PX4 (no
 * restarts between runs, single-vehicle scenarios only, one speed: PX4_SIM_SPEED_FACTOR).
 * Exit code: 0 when every run produced a report, 1 otherwise (verdict differences are findings,
 * listed in the table, not failures of the runner).
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScenarioFile } from '../../actors/scenario/scenario.loader.js';
import { missionTimesFromEvents, parityCompactMarkdown, parityMarkdown, parityRows, paritySummary, type ReportLike, type RunRecord } from './parity-table.js';
import { PARITY_PX4_PARAMS, scenarioHomes, startPx4Fleet } from './px4-fleet.js';
import { resolvePx4Build } from './px4-launcher.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root, from dist/scripts/px4 or scripts/px4. */
export const REPO = resolve(here, here.includes(`${join('dist', 'scripts')}`) ? '../../..' : '../..');

export interface ParityOptions {
  readonly scenarios: readonly string[];
  readonly speeds: readonly number[];
  readonly backends: readonly ('sim' | 'sitl' | 'px4')[];
  readonly instances: readonly number[];
  readonly parallel: number;
  readonly out: string;
  readonly runsDir: string;
  readonly twin: string;
  readonly px4Dir?: string;
  readonly px4Url?: string;
  /** Build the table from the runs already in runsDir (no twin, no PX4). */
  readonly renderOnly?: boolean;
  readonly log: (line: string) => void;
}

interface ScenarioInfo {
  readonly name: string;
  readonly file: string;
  readonly vehicles: number;
  readonly duration_s: number;
  /** Where each vehicle must start on PX4 (SIH home), when not PX4's default home. */
  readonly homes?: { lat_deg: number; lon_deg: number }[];
}

/**
 * Reads a scenario with the project's loader. PX4's vehicles are placed where the simulator's
 * would be: the scenario's origin (explicit, or the .plan's planned home, else PX4's default home)
 * plus each vehicle's spawn offset.
 */
async function scenarioInfo(file: string): Promise<ScenarioInfo> {
  const loaded = await loadScenarioFile(file);
  if (!loaded.ok) throw new Error(loaded.error.message);
  const sc = loaded.value;
  // Always placed: SIH's own default home (SIH_LOC_LAT0/LON0, near Montreal) is not the simulator's.
  return {
    name: basename(file, '.yaml'),
    file,
    vehicles: sc.vehicles.length,
    duration_s: sc.duration_s,
    homes: scenarioHomes(sc),
  };
}

/** Runs `node <twin> run …` and resolves with the exit code (killed after `timeoutMs`). */
function runTwin(twin: string, args: string[], timeoutMs: number, logFile: string): Promise<{ code: number | string; timedOut: boolean }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [twin, 'run', ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TWIN_LOG_LEVEL: process.env.TWIN_LOG_LEVEL ?? 'info' } });
    // streamed, so a long PX4 run can be followed (tail -f) while it flies
    const out = createWriteStream(logFile);
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    let timedOut = false;
    const t = setTimeout(() => {
      timedOut = true;
      child.kill('SIGINT'); // the CLI stops the run and still writes its report
      setTimeout(() => child.kill('SIGKILL'), 30_000).unref();
    }, timeoutMs);
    child.once('close', (code, signal) => {
      clearTimeout(t);
      out.end(() => res({ code: code ?? signal ?? 'unknown', timedOut }));
    });
  });
}

function readRun(scenario: string, backend: string, dir: string, extra: Partial<RunRecord>): RunRecord {
  const reportFile = join(dir, 'report.json');
  const eventsFile = join(dir, 'events.jsonl');
  const report = existsSync(reportFile) ? (JSON.parse(readFileSync(reportFile, 'utf8')) as ReportLike) : undefined;
  const missionTimes = existsSync(eventsFile) ? missionTimesFromEvents(readFileSync(eventsFile, 'utf8')) : undefined;
  return {
    scenario,
    backend,
    ...(report ? { report } : {}),
    ...(missionTimes ? { missionTimes } : {}),
    ...extra,
    ...(report && report.errors?.length && !extra.error ? { error: report.errors.join('; ') } : {}),
  };
}

/** A simple pool of PX4 instance numbers: a job takes k of them, in order, and gives them back. */
class InstancePool {
  private free: number[];
  private waiters: (() => void)[] = [];
  constructor(instances: readonly number[]) {
    this.free = [...instances];
  }
  async take(k: number): Promise<number[]> {
    while (this.free.length < k) await new Promise<void>((r) => this.waiters.push(r));
    return this.free.splice(0, k);
  }
  give(xs: number[]): void {
    this.free.push(...xs);
    this.free.sort((a, b) => a - b);
    this.waiters.splice(0).forEach((w) => w());
  }
}

export async function runParity(opts: ParityOptions): Promise<{ runs: RunRecord[]; markdown: string; ok: boolean }> {
  const infos = await Promise.all(opts.scenarios.map(scenarioInfo));
  const runs: RunRecord[] = [];
  const helpText = await new Promise<string>((res) => {
    const c = spawn(process.execPath, [opts.twin, 'run', '--help'], { cwd: REPO });
    let s = '';
    c.stdout.on('data', (d: Buffer) => (s += d.toString()));
    c.once('exit', () => res(s));
  });
  const connectFlag = helpText.includes('--connect-timeout') ? ['--connect-timeout', '180'] : [];
  const dirFor = (scenario: string, backend: string) => {
    const d = join(opts.runsDir, `${scenario}.${backend.replace('@', '-x')}`);
    mkdirSync(d, { recursive: true });
    return d;
  };
  const common = (dir: string) => ['--report', join(dir, 'report.json'), '--events', join(dir, 'events.jsonl'), '-q'];

  if (opts.renderOnly) {
    const names = opts.backends.flatMap((b) => (b === 'px4' ? opts.speeds.map((sp) => `px4@${sp}`) : [b]));
    for (const s of infos)
      for (const b of names) {
        const d = join(opts.runsDir, `${s.name}.${b.replace('@', '-x')}`);
        if (!existsSync(d)) continue;
        const err = existsSync(join(d, 'error.txt')) ? readFileSync(join(d, 'error.txt'), 'utf8').split('\n')[0]! : undefined;
        runs.push(readRun(s.name, b, d, err ? { error: err } : {}));
      }
  }
  // 1. sim and the built-in SITL, one after the other (cheap).
  for (const s of opts.renderOnly ? [] : infos) {
    for (const b of opts.backends.filter((x) => x !== 'px4')) {
      const dir = dirFor(s.name, b);
      const t0 = performance.now();
      const r = await runTwin(opts.twin, [s.file, '--vehicle', b, ...common(dir)], b === 'sim' ? 300_000 : (s.duration_s / 20) * 1000 * 2 + 120_000, join(dir, 'twin.log'));
      const rec = readRun(s.name, b, dir, { wallSeconds: (performance.now() - t0) / 1000, ...(r.timedOut ? { error: 'timed out' } : {}) });
      runs.push(rec);
      opts.log(`${s.name} ${b}: ${rec.report ? (rec.report.passed ? 'PASS' : 'FAIL') : `no report (exit ${r.code})`} in ${rec.wallSeconds!.toFixed(1)} s`);
    }
  }

  // 2. PX4: a fresh set of instances for every run; the widest scenarios first (they need the whole pool).
  if (opts.backends.includes('px4') && !opts.renderOnly) {
    const pool = new InstancePool(opts.instances);
    const jobs = opts.speeds
      .flatMap((speed) => infos.map((s) => ({ s, speed })))
      .filter((j) => j.s.vehicles <= opts.instances.length || opts.px4Url)
      .sort((a, b) => b.s.vehicles - a.s.vehicles || b.s.duration_s / b.speed - a.s.duration_s / a.speed);
    for (const j of opts.speeds.flatMap((speed) => infos.filter((s) => s.vehicles > opts.instances.length).map((s) => ({ s, speed })))) {
      runs.push({ scenario: j.s.name, backend: `px4@${j.speed}`, error: `needs ${j.s.vehicles} PX4 instances, have ${opts.instances.length}` });
    }
    let slots = opts.parallel;
    const slotWaiters: (() => void)[] = [];
    const runJob = async ({ s, speed }: (typeof jobs)[number]) => {
      const backend = `px4@${speed}`;
      const dir = dirFor(s.name, backend);
      const t0 = performance.now();
      if (opts.px4Url) {
        if (s.vehicles > 1) {
          runs.push({ scenario: s.name, backend, error: 'PX4_SITL flies one running PX4: multi-vehicle scenarios need PX4_DIR' });
          return;
        }
        const r = await runTwin(opts.twin, [s.file, '--vehicle', opts.px4Url, '--speed', String(speed), ...connectFlag, ...common(dir)], (s.duration_s / speed) * 1000 * 1.5 + 300_000, join(dir, 'twin.log'));
        runs.push(readRun(s.name, backend, dir, { wallSeconds: (performance.now() - t0) / 1000, ...(r.timedOut ? { error: 'timed out' } : {}) }));
        return;
      }
      const taken = await pool.take(s.vehicles);
      const tStart = performance.now(); // wall time of this run only (not the wait for instances)
      let rec: RunRecord;
      try {
        const fleet = await startPx4Fleet({ px4: opts.px4Dir!, instances: taken, speed, params: PARITY_PX4_PARAMS, ...(s.homes ? { homes: s.homes } : {}) });
        const bootS = fleet.ready.elapsed_ms / 1000;
        try {
          const r = await runTwin(
            opts.twin,
            [s.file, '--vehicle', fleet.url, '--speed', String(speed), ...connectFlag, ...common(dir)],
            (s.duration_s / speed) * 1000 * 1.5 + 300_000,
            join(dir, 'twin.log'),
          );
          rec = readRun(s.name, backend, dir, { wallSeconds: (performance.now() - tStart) / 1000, ...(r.timedOut ? { error: `timed out (PX4 ready after ${bootS.toFixed(0)} s)` } : {}) });
        } finally {
          await fleet.stop(dir);
        }
        opts.log(`${s.name} ${backend} on px4 -i ${taken.join(',')}: ready after ${bootS.toFixed(1)} s, ${rec.report ? (rec.report.passed ? 'PASS' : 'FAIL') : `no report: ${rec.error ?? ''}`} in ${rec.wallSeconds!.toFixed(0)} s wall (boot included)`);
      } catch (error) {
        rec = { scenario: s.name, backend, error: String((error as Error).message ?? error).split('\n')[0]!, wallSeconds: (performance.now() - tStart) / 1000 };
        writeFileSync(join(dir, 'error.txt'), String((error as Error).message ?? error));
        opts.log(`${s.name} ${backend}: ${rec.error}`);
      } finally {
        pool.give(taken);
      }
      runs.push(rec);
    };
    // An already running PX4 takes one run at a time.
    if (opts.px4Url) slots = 1;
    await Promise.all(
      jobs.map(async (j) => {
        while (slots === 0) await new Promise<void>((r) => slotWaiters.push(r));
        slots--;
        try {
          await runJob(j);
        } finally {
          slots++;
          slotWaiters.shift()?.();
        }
      }),
    );
  }

  const backends = [...opts.backends.filter((b) => b !== 'px4'), ...(opts.backends.includes('px4') ? opts.speeds.map((s) => `px4@${s}`) : [])];
  const rows = parityRows(infos.map((s) => s.name), backends, runs);
  const sum = paritySummary(rows);
  const header = [
    `# Sim-to-field parity: sim · built-in SITL · PX4 SITL`,
    '',
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; PX4 ${opts.px4Url ? `at ${opts.px4Url}` : opts.px4Dir ? `from ${opts.px4Dir}` : '(runs read back from ' + opts.runsDir + ')'}, speed factors ${opts.speeds.join(', ')}; ` +
      `${sum.agree}/${sum.expectations} expectation rows give the same verdict on every backend; mission times within 15 % of sim in ${sum.timesWithin}/${sum.timed} scenarios.`,
    '',
    'Cells: `pass`/`FAIL` = the expectation\'s verdict (`not held` = the condition did not hold, which an `xfail` expectation wants). ' +
      'Mission time: LOAD → terminal state, largest over the vehicles, in the run\'s clock (sim seconds; PX4 runs: wall × speed factor). ' +
      `PX4: a fresh SIH quadcopter per run (airframe 10040), each vehicle at the scenario origin + its spawn, booted with ${Object.entries(PARITY_PX4_PARAMS).map(([k, v]) => `${k} ${v}`).join(', ')} ` +
      '(a MAVLink camera and the simulator\'s ~1800 s pack, reported without SIH\'s spurious load-drop compensation: see scripts/px4/FINDINGS.md F3, F9). Several PX4 instances at 4× on a small machine run below 4× (EKF and link timeouts, F6): read multi-vehicle PX4@4 results with that in mind.',
    '',
    '',
  ].join('\n');
  const markdown = header + parityCompactMarkdown(rows, backends) + '\nExpectation by expectation:\n\n' + parityMarkdown(rows, backends);
  mkdirSync(dirname(resolve(opts.out)), { recursive: true });
  writeFileSync(opts.out, markdown);
  writeFileSync(opts.out.replace(/\.md$/, '') + '.json', JSON.stringify({ backends, runs, rows }, null, 2) + '\n');
  return { runs, markdown, ok: runs.every((r) => r.report !== undefined) };
}

function parseList(v: string): string[] {
  return v.split(',').map((s) => s.trim()).filter(Boolean);
}
function parseInstances(v: string): number[] {
  const m = /^(\d)-(\d)$/.exec(v);
  if (m) return Array.from({ length: Number(m[2]) - Number(m[1]) + 1 }, (_, i) => Number(m[1]) + i);
  return parseList(v).map(Number);
}

export function parseParityArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ParityOptions | string {
  const renderOnly = argv.includes('--render-only');
  argv = argv.filter((a) => a !== '--render-only');
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) return `unexpected argument ${a}`;
    const [k, v] = a.includes('=') ? [a.slice(2, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a.slice(2), argv[++i]];
    if (v === undefined) return `--${k} needs a value`;
    flags.set(k, v);
  }
  const known = new Set(['speeds', 'scenarios', 'backends', 'instances', 'parallel', 'out', 'runs-dir', 'twin']);
  for (const k of flags.keys()) if (!known.has(k)) return `unknown flag --${k}`;
  const px4Dir = env.PX4_DIR;
  const px4Url = px4Dir ? undefined : env.PX4_SITL;
  const backends = parseList(flags.get('backends') ?? 'sim,sitl,px4');
  if (!backends.every((b) => b === 'sim' || b === 'sitl' || b === 'px4')) return '--backends: sim, sitl, px4';
  if (backends.includes('px4') && !px4Dir && !px4Url && !renderOnly) return 'PX4_DIR (a PX4-Autopilot v1.15 checkout with build/px4_sitl_default) or PX4_SITL (the URL of a running PX4) is needed for the px4 backend';
  if (px4Dir) {
    const b = resolvePx4Build(px4Dir);
    if (typeof b === 'string') return b;
  }
  const speeds = px4Url ? [Number(env.PX4_SIM_SPEED_FACTOR ?? 1)] : parseList(flags.get('speeds') ?? '1,4').map(Number);
  if (!speeds.every((s) => Number.isFinite(s) && s > 0)) return '--speeds: positive factors, e.g. 1,4';
  const dir = join(REPO, 'scenarios');
  const all = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
  const wanted = flags.has('scenarios') ? parseList(flags.get('scenarios')!) : all.map((f) => basename(f, '.yaml'));
  const scenarios: string[] = [];
  for (const w of wanted) {
    const f = existsSync(w) ? resolve(w) : join(dir, w.endsWith('.yaml') ? w : `${w}.yaml`);
    if (!existsSync(f)) return `no scenario ${w}`;
    scenarios.push(f);
  }
  const instances = parseInstances(flags.get('instances') ?? '0-4');
  if (!instances.length || !instances.every((i) => Number.isInteger(i) && i >= 0 && i <= 9)) return '--instances: e.g. 0-4 or 0,1,2';
  const parallel = Number(flags.get('parallel') ?? 3);
  if (!Number.isInteger(parallel) || parallel < 1) return '--parallel: a positive integer';
  return {
    scenarios,
    speeds,
    backends: backends as ParityOptions['backends'],
    instances,
    parallel,
    out: resolve(flags.get('out') ?? join(REPO, 'out', 'px4-parity.md')),
    runsDir: resolve(flags.get('runs-dir') ?? join(REPO, 'out', 'px4-parity')),
    twin: resolve(flags.get('twin') ?? join(REPO, 'dist', 'cli', 'twin.js')),
    ...(px4Dir ? { px4Dir } : {}),
    ...(px4Url ? { px4Url } : {}),
    ...(renderOnly ? { renderOnly } : {}),
    log: (line) => process.stderr.write(`${line}\n`),
  };
}

async function main(): Promise<number> {
  const opts = parseParityArgs(process.argv.slice(2));
  if (typeof opts === 'string') {
    process.stderr.write(`px4-parity: ${opts}\n`);
    return 2;
  }
  const { markdown, ok } = await runParity(opts);
  process.stdout.write(`${markdown}\n(written to ${opts.out})\n`);
  return ok ? 0 : 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`px4-parity: ${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
