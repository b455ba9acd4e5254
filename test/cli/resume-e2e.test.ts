/**
 * Resume, end to end, as an operator meets it: the built-in SITL in its own process (`twin sitl`,
 * two PX4-like vehicles that fly on without a ground station, NAV_DLL_ACT = 0 set by the
 * scenario over MAVLink), and `twin start --vehicle udpin://… --resume` in another, with its store
 * in a temp dir. The twin flies both missions, pauses one (a scenario action), and is killed with
 * SIGKILL. Started again with --resume it restores the paused mission PAUSED with its progress
 * and the running one RUNNING; the vehicle's plan is downloaded, so the running one completes.
 */
import { describe, expect, it, afterAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

const CLI = 'dist/cli/bin.js';
const SPEED = 4;

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  s.close();
  return port;
}

interface Row {
  vehicle: string;
  status: string;
  progress: { current_waypoint: number; total_waypoints: number; percent_complete: number };
  reached: number;
}

function rows(dir: string): Map<string, Row> {
  const file = join(dir, 'twin.db');
  if (!existsSync(file)) return new Map();
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 2000');
    const all = db.prepare('SELECT vehicle, state FROM mission_state').all() as { vehicle: string; state: string }[];
    return new Map(all.map((r) => [r.vehicle, { vehicle: r.vehicle, ...JSON.parse(r.state) }]));
  } catch {
    return new Map(); // not migrated yet
  } finally {
    db.close();
  }
}

async function until<T>(what: string, fn: () => T | undefined, timeout_ms: number, proc: () => string): Promise<T> {
  const t0 = performance.now();
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (performance.now() - t0 > timeout_ms) throw new Error(`timed out waiting for ${what}\n${proc()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('twin start --resume against the built-in SITL in another process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twin-resume-e2e-'));
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('a SIGKILLed twin resumes: the paused mission PAUSED with its progress, the running one completes', { timeout: 180_000 }, async () => {
    if (!existsSync(CLI)) throw new Error('run `npm run build` first (npm test does)');
    const gcsPort = await freeUdpPort();
    const scenario = join(dir, 'resume.yaml');
    const leg = (n: number, e: number) => `        - { north: ${n}, east: ${e}, alt: 20 }`;
    writeFileSync(
      scenario,
      [
        'name: resume-e2e',
        'duration_s: 3600',
        'world: { origin: home }',
        'vehicles:',
        // NAV_DLL_ACT 0: the vehicles fly on while no ground station talks to them.
        '  - id: d1',
        '    params: { NAV_DLL_ACT: 0 }',
        '    mission:',
        '      type: waypoints',
        '      end: land',
        '      waypoints:',
        leg(60, 0), leg(120, 0), leg(180, 0), leg(240, 0), leg(240, 60),
        '  - id: d2',
        '    spawn: { north: 0, east: 5 }',
        '    params: { NAV_DLL_ACT: 0 }',
        '    mission:',
        '      type: waypoints',
        '      end: land',
        '      waypoints:',
        leg(40, 5), leg(80, 5), leg(120, 5), leg(160, 5),
        'actions:',
        '  - { at_s: 30, vehicle: d2, action: pause }',
        'expect: []',
      ].join('\n') + '\n',
    );
    const env = { ...process.env, TWIN_LOG_LEVEL: 'silent', TWIN_DATA_DIR: dir, TWIN_HTTP_PORT: '0', TWIN_BRIDGE_PORT: '0', TWIN_ADMIN_PASSWORD: 'resume-e2e-secret' };
    let sitlOut = '';
    const sitl = spawn(process.execPath, [CLI, 'sitl', '--count', '2', '--speed', String(SPEED), '--api-port', '0', '--api-local-port', '0', '--gcs-port', String(gcsPort), '--gcs-local-port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(sitl);
    sitl.stdout!.on('data', (d) => (sitlOut += String(d)));
    sitl.stderr!.on('data', (d) => (sitlOut += String(d)));

    const startTwin = () => {
      const p = spawn(process.execPath, [CLI, 'start', scenario, '--vehicle', `udpin://127.0.0.1:${gcsPort}`, '--speed', String(SPEED), '--resume'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(p);
      const out = { text: '' };
      p.stdout!.on('data', (d) => (out.text += String(d)));
      p.stderr!.on('data', (d) => (out.text += String(d)));
      return { p, out };
    };

    // First session: d1 flies its mission, d2 is paused by the scenario at 30 s.
    const first = startTwin();
    const log1 = () => `--- twin ---\n${first.out.text}\n--- sitl ---\n${sitlOut}`;
    const before = await until(
      'd1 RUNNING past its first waypoint and d2 PAUSED',
      () => {
        const r = rows(dir);
        const d1 = r.get('d1');
        const d2 = r.get('d2');
        return d1?.status === 'RUNNING' && d1.reached >= 2 && d2?.status === 'PAUSED' ? { d1, d2 } : undefined;
      },
      120_000,
      log1,
    );
    first.p.kill('SIGKILL');
    await new Promise((r) => first.p.once('exit', r));
    // The store still says what the killed twin last knew.
    const killed = rows(dir);
    expect(killed.get('d2')?.status).toBe('PAUSED');
    expect(killed.get('d1')?.status).toBe('RUNNING');
    const pausedProgress = killed.get('d2')!.progress;
    expect(pausedProgress.current_waypoint).toBeGreaterThan(0);
    expect(before.d2.progress.total_waypoints).toBeGreaterThan(0);

    // Second session, --resume: nothing reloaded from waypoint 0, nothing overwritten with IDLE.
    const second = startTwin();
    const log2 = () => `--- twin 2 ---\n${second.out.text}\n--- sitl ---\n${sitlOut}`;
    await until('the missions to be resumed', () => (second.out.text.includes('resumed the missions of d1, d2') ? true : undefined), 60_000, log2);
    const resumed = rows(dir);
    expect(resumed.get('d2')?.status, log2()).toBe('PAUSED');
    expect(resumed.get('d2')?.progress).toEqual(pausedProgress);
    expect(resumed.get('d1')?.status).toBe('RUNNING');
    expect(resumed.get('d1')!.reached).toBeGreaterThanOrEqual(killed.get('d1')!.reached);
    // The restored RUNNING mission follows the vehicle's own plan to the end.
    await until('d1 to complete', () => (rows(dir).get('d1')?.status === 'COMPLETED' ? true : undefined), 120_000, log2);
    const done = rows(dir);
    expect(done.get('d1')?.progress.percent_complete).toBe(100);
    expect(done.get('d2')?.status).toBe('PAUSED');
    expect(second.out.text).not.toContain('not resumed');
    second.p.kill('SIGINT');
    sitl.kill('SIGINT');
    await Promise.all([new Promise((r) => second.p.once('exit', r)), new Promise((r) => sitl.once('exit', r))]);
  });
});
