import { describe, expect, it, beforeAll } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadScenarioFile } from '../../actors/scenario/scenario.loader.js';
import { runScenario } from '../../actors/scenario/scenario.runner.js';

const exec = promisify(execFile);
const CLI = 'dist/cli/twin.js';

async function twin(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return twinEnv({}, ...args);
}

async function twinEnv(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec('node', [CLI, ...args], { env: { ...process.env, TWIN_LOG_LEVEL: 'silent', ...env } });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('twin CLI (the built binary, as a user runs it)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twin-cli-'));
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error('run `npm run build` first (npm test does)');
  });

  it('run: exit 0, summary, JSON report and JUnit XML; the hash matches an in-process run', async () => {
    const report = join(dir, 'r.json');
    const junit = join(dir, 'j.xml');
    const events = join(dir, 'e.jsonl');
    const r = await twin('run', 'scenarios/link-loss.yaml', '--report', report, '--junit', junit, '--events', events);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('PASSED  link-loss  seed 11');
    const json = JSON.parse(readFileSync(report, 'utf8'));
    for (const k of ['passed', 'seed', 'simulatedSeconds', 'wallSeconds', 'eventLogSha256', 'vehicles', 'expectations']) expect(json).toHaveProperty(k);
    expect(json.vehicles.drone1.mission.status).toBe('FAILED');
    const loaded = await loadScenarioFile('scenarios/link-loss.yaml');
    if (!loaded.ok) throw new Error('load');
    const inProcess = await runScenario(loaded.value);
    expect(json.eventLogSha256).toBe(inProcess.report.eventLogSha256);
    expect(readFileSync(events, 'utf8')).toBe(inProcess.log.toJsonl());
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toMatch(/<testsuite name="link-loss" tests="4" failures="0" errors="0"/);
    expect(xml.match(/<testcase /g)).toHaveLength(4);
  });

  it('run: --seed changes the log; exit 1 with the reason when an expectation fails', async () => {
    const a = await twin('run', 'scenarios/link-loss.yaml', '--seed', '99', '--report', join(dir, 'a.json'), '-q');
    expect(a.code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'a.json'), 'utf8')).seed).toBe(99);
    const r = await twin('run', 'test/fixtures/unmet.yaml', '--junit', join(dir, 'u.xml'));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL .*battery_reserve/);
    expect(readFileSync(join(dir, 'u.xml'), 'utf8')).toMatch(/<failure message="landed with [\d.]+ %, below 99.9 %"/);
  });

  it('bad input: exit 2 with file:line: path: reason, nothing run', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'name: x\nvehicles:\n  - id: D1\n');
    const r = await twin('run', bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad}:3:9: vehicles.0.id: lower-case letters`);
    expect((await twin('run', join(dir, 'missing.yaml'))).code).toBe(2);
    expect((await twin('run', 'scenarios/survey.yaml', '--speed', '0')).code).toBe(2);
    expect((await twin('validate', bad)).code).toBe(2);
    const ok = await twin('validate', 'scenarios/fleet.yaml');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('ok (5 vehicles');
  });

  it('run against a URL where nothing answers: a failed run with the reason, report and JUnit written, and the process exits', { timeout: 30_000 }, async () => {
    // A port nobody listens on (bound and released), and one we listen on that never answers.
    const silent = createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
    const port = silent.address().port;
    silent.close();
    for (const url of [`udpout://127.0.0.1:${port}`, `udpin://127.0.0.1:${port}`]) {
      const report = join(dir, `nc-${url.slice(0, 5)}.json`);
      const junit = join(dir, `nc-${url.slice(0, 5)}.xml`);
      const t0 = performance.now();
      const r = await twinEnv({}, 'run', 'scenarios/link-loss.yaml', '--vehicle', url, '--connect-timeout', '1.5', '--report', report, '--junit', junit);
      expect(r.code, r.stderr).toBe(1);
      expect(performance.now() - t0).toBeLessThan(15_000);
      expect(r.stdout).toContain('error: vehicles did not connect within 1.5 s');
      const json = JSON.parse(readFileSync(report, 'utf8'));
      expect(json.passed).toBe(false);
      expect(json.errors).toEqual(['vehicles did not connect within 1.5 s']);
      expect(json.vehicles.drone1.state).toBe('disconnected');
      expect(readFileSync(junit, 'utf8')).toMatch(/<error message="vehicles did not connect within 1.5 s"\/>/);
    }
  });

  it('start against a URL where nothing answers: says why and exits 1 instead of waiting forever', { timeout: 30_000 }, async () => {
    const silent = createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
    const port = silent.address().port;
    silent.close();
    const r = await twinEnv({ TWIN_DATA_DIR: join(dir, 'start-nc') }, 'start', 'scenarios/link-loss.yaml', '--vehicle', `udpin://127.0.0.1:${port}`, '--no-services', '--connect-timeout', '1');
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain('error: vehicles did not connect within 1 s');
  });

  it('start --no-services still keeps the mission state for --resume', { timeout: 30_000 }, async () => {
    const data = join(dir, 'start-ns');
    const child = spawn(process.execPath, [CLI, 'start', 'scenarios/link-loss.yaml', '--no-services', '--speed', '20'], {
      env: { ...process.env, TWIN_LOG_LEVEL: 'silent', TWIN_DATA_DIR: data },
      stdio: 'ignore',
    });
    const status = () => {
      if (!existsSync(join(data, 'twin.db'))) return undefined;
      const db = new Database(join(data, 'twin.db'), { readonly: true });
      try {
        const row = db.prepare("SELECT status FROM mission_state WHERE vehicle = 'drone1'").get() as { status: string } | undefined;
        return row?.status;
      } catch {
        return undefined;
      } finally {
        db.close();
      }
    };
    const t0 = performance.now();
    while (status() !== 'RUNNING' && performance.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 200));
    child.kill('SIGINT');
    await new Promise((r) => child.once('exit', r));
    expect(status()).toBe('RUNNING');
  });

  it('schema: prints a JSON Schema that describes the scenario format', async () => {
    const r = await twin('schema');
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout);
    expect(schema.required).toEqual(expect.arrayContaining(['name', 'vehicles']));
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['world', 'vehicles', 'faults', 'expect']));
    // The committed copy for editors is up to date.
    expect(JSON.parse(readFileSync('scenarios/scenario.schema.json', 'utf8'))).toEqual(schema);
  });

  it('run --store: the report and event log land in the store the REST API serves', async () => {
    const data = join(dir, 'data');
    const r = await twinEnv({ TWIN_DATA_DIR: data }, 'run', 'scenarios/link-loss.yaml', '--store', '-q');
    expect(r.code).toBe(0);
    const id = /stored run (\S+) in /.exec(r.stderr)?.[1];
    expect(id).toMatch(/^link-loss-11-/);
    const { openStore } = await import('../../storage/store.js');
    const store = openStore({ dir: data });
    try {
      const runs = store.runs.list();
      expect(runs.map((x) => x.id)).toEqual([id]);
      const loaded = await loadScenarioFile('scenarios/link-loss.yaml');
      if (!loaded.ok) throw new Error('load');
      const inProcess = await runScenario(loaded.value);
      expect(store.events.list(id!, 0, 100_000).length).toBe(inProcess.report.events);
    } finally {
      store.close();
    }
  });

  it('mission show / convert: a QGC plan to WPL and back keeps its items', async () => {
    const wpl = join(dir, 'survey.waypoints');
    const back = join(dir, 'survey.plan');
    const shown = await twin('mission', 'show', 'scenarios/plans/field-survey.plan');
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('items: 13 (1 takeoff, 8 waypoints');
    const toWpl = await twin('mission', 'convert', 'scenarios/plans/field-survey.plan', wpl);
    expect(toWpl.code).toBe(0);
    expect(toWpl.stderr).toContain('QGC WPL has no geofence or rally points');
    expect(readFileSync(wpl, 'utf8').split('\n')[0]).toBe('QGC WPL 110');
    expect((await twin('mission', 'convert', wpl, back)).code).toBe(0);
    const again = await twin('mission', 'show', back);
    expect(again.stdout).toContain('items: 13 (1 takeoff, 8 waypoints');
    const bad = join(dir, 'bad.plan');
    writeFileSync(bad, '{"fileType": "Plan"');
    const r = await twin('mission', 'show', bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.plan: /);
  });

  it('user add / passwd / role manage operators in the store; a generated password verifies', async () => {
    const data = join(dir, 'users');
    const env = { TWIN_DATA_DIR: data };
    const added = await twinEnv(env, 'user', 'add', 'olga', '--role', 'operator');
    expect(added.code).toBe(0);
    const pw = /password (\S+)$/m.exec(added.stdout)?.[1];
    expect(pw).toBeDefined();
    expect((await twinEnv(env, 'user', 'add', 'olga')).code).toBe(2); // taken
    expect((await twinEnv(env, 'user', 'role', 'olga', 'pilot')).code).toBe(2); // no such role
    expect((await twinEnv(env, 'user', 'role', 'olga', 'admin')).code).toBe(0);
    const { openStore } = await import('../../storage/store.js');
    const { verifyPassword } = await import('../../api/auth/password.js');
    const store = openStore({ dir: data });
    try {
      const u = store.users.get('olga');
      if (!u.ok) throw new Error('missing user');
      expect(u.value.role).toBe('admin');
      expect(await verifyPassword(pw!, u.value.password_hash)).toBe(true);
      expect(await verifyPassword('wrong-password', u.value.password_hash)).toBe(false);
    } finally {
      store.close();
    }
  });
});
