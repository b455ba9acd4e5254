/**
 * `twin run` against real (out-of-process) vehicles ends with its report and exits promptly,
 * whatever the vehicles did: some never connected, one was lost for good, the run ended before
 * a scheduled fault. The run lives on the wall clock, so a timer it leaves behind (a fault
 * scheduled after the run ended early, a port's retry) would keep the process alive.
 *
 * The vehicles are a scripted UDP peer that HEARTBEATs (as PX4) for some system ids only,
 * towards the `udpin://` port `twin run` listens on.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { common, minimal } from 'node-mavlink';
import { MavlinkEncoder } from '../../hardware/real/mavlink/codec.js';

const CLI = 'dist/cli/bin.js';
const HOME = { lat: 473977420, lon: 85455940, alt: 488000 };

/** A peer that heartbeats (and reports home, position, landed state) for each sysid until its `stopAfter_ms` (wall). */
function startPeer(port: number, vehicles: { sysid: number; stopAfter_ms?: number; inAir?: boolean }[]): { close(): void } {
  const socket = dgram.createSocket('udp4');
  const t0 = Date.now();
  const encoders = new Map(vehicles.map((v) => [v.sysid, new MavlinkEncoder(v.sysid, 1)]));
  const timer = setInterval(() => {
    for (const v of vehicles) {
      if (v.stopAfter_ms !== undefined && Date.now() - t0 > v.stopAfter_ms) continue;
      const e = encoders.get(v.sysid)!;
      const send = (m: Parameters<MavlinkEncoder['encode']>[0]) => socket.send(e.encode(m), port, '127.0.0.1');
      send(Object.assign(new minimal.Heartbeat(), { type: 2, autopilot: 12, baseMode: 1, customMode: (4 << 16) | (3 << 24), systemStatus: 3, mavlinkVersion: 3 }));
      send(Object.assign(new common.HomePosition(), { latitude: HOME.lat, longitude: HOME.lon, altitude: HOME.alt, q: [1, 0, 0, 0] }));
      send(Object.assign(new common.GlobalPositionInt(), { lat: HOME.lat, lon: HOME.lon, alt: HOME.alt, relativeAlt: 0, vx: 0, vy: 0, vz: 0, hdg: 9000 }));
      send(Object.assign(new common.ExtendedSysState(), { vtolState: 0, landedState: v.inAir ? 2 : 1 /* in air : on ground */ }));
    }
  }, 100);
  return {
    close() {
      clearInterval(timer);
      socket.close();
    },
  };
}

async function freePort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Runs the built CLI; resolves with its exit code, output and the wall seconds it lived. */
function runCli(args: string[], killAfter_ms: number): Promise<{ code: number | null; signal: string | null; stderr: string; wall_s: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, TWIN_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const kill = setTimeout(() => child.kill('SIGKILL'), killAfter_ms);
    child.once('exit', (code, signal) => {
      clearTimeout(kill);
      resolve({ code, signal, stderr, wall_s: (performance.now() - t0) / 1000 });
    });
  });
}

describe('the executable ends once its command has', () => {
  it('a handle leaked past the end of the command: logged with what is still active, then exit with the command\'s code', { timeout: 20_000 }, async () => {
    if (!existsSync('dist/cli/exit-backstop.js')) throw new Error('run `npm run build` first (npm test does)');
    const code = [
      "const { exitWhenDrained } = await import('./dist/cli/exit-backstop.js');",
      "const { createLogger } = await import('./dist/core/logger.js');",
      'setInterval(() => {}, 1000);', // the leak
      "exitWhenDrained(3, createLogger('warn'), 300);",
    ].join('\n');
    const t0 = performance.now();
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', (c) => {
        clearTimeout(kill);
        resolve({ code: c, stderr });
      });
    });
    expect(r.code).toBe(3);
    expect(performance.now() - t0).toBeLessThan(5_000);
    const line = JSON.parse(r.stderr.trim().split('\n').at(-1)!) as { level: number; msg: string; activeResources: string[] };
    expect(line.level).toBe(40);
    expect(line.msg).toMatch(/did not exit by itself/);
    expect(line.activeResources).toContain('Timeout');
  });

  it('nothing leaked: the backstop never fires (exit at once, nothing logged)', { timeout: 20_000 }, async () => {
    const code = ["const { exitWhenDrained } = await import('./dist/cli/exit-backstop.js');", "const { createLogger } = await import('./dist/core/logger.js');", "exitWhenDrained(0, createLogger('warn'), 5000);"].join('\n');
    const t0 = performance.now();
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('exit', (c) => resolve({ code: c, stderr }));
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(performance.now() - t0).toBeLessThan(4_000);
  });
});

describe('twin run against real vehicles ends with its report and exits', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twin-run-exit-'));
  const peers: { close(): void }[] = [];
  afterEach(() => {
    for (const p of peers.splice(0)) p.close();
  });

  it('one of two vehicles never connects, a fault was scheduled after the run ended: report, exit 1, promptly', { timeout: 60_000 }, async () => {
    if (!existsSync(CLI)) throw new Error('run `npm run build` first (npm test does)');
    const port = await freePort();
    const file = join(dir, 'partial.yaml');
    writeFileSync(
      file,
      [
        'name: partial-fleet',
        'duration_s: 600',
        'world: { origin: home }',
        'vehicles:',
        '  - id: d1',
        '  - id: d2',
        '    spawn: { north: 10, east: 0 }',
        // Due long after the run ends (nothing to fly: it ends once d2 gave up connecting).
        'faults:',
        '  - { at_s: 120, vehicle: d1, fault: { kind: link_loss, duration_s: 5 } }',
        'expect: []',
      ].join('\n'),
    );
    peers.push(startPeer(port, [{ sysid: 1 }]));
    const report = join(dir, 'partial.json');
    // --speed 4: the wall clock runs 4× (d2's 10 s connect timeout is 2.5 s of wall time; the fault 30 s).
    const r = await runCli(['run', file, '--vehicle', `udpin://127.0.0.1:${port}`, '--speed', '4', '-q', '--report', report], 50_000);
    expect(r.signal, r.stderr).toBeNull();
    expect(r.stderr).not.toMatch(/append after sha256/);
    // Drained by itself: neither the runner's clock guard nor the executable's backstop had work.
    expect(r.stderr).not.toMatch(/timers left after the vehicles stopped|did not exit by itself/);
    expect(existsSync(report)).toBe(true);
    const rep = JSON.parse(readFileSync(report, 'utf8')) as { passed: boolean; simulatedSeconds: number; errors: string[]; vehicles: Record<string, { state: string }> };
    // A vehicle that never connected fails the run, and says so.
    expect(rep.errors.some((e) => /d2.*did not connect/.test(e)), JSON.stringify(rep.errors)).toBe(true);
    expect(rep.passed).toBe(false);
    expect(r.code).toBe(1);
    expect(rep.vehicles.d1!.state).toMatch(/^connected/);
    // Ended at d2's connect timeout (10 s of run time), not at the fault (120 s) or later.
    expect(rep.simulatedSeconds).toBeLessThan(30);
    expect(r.wall_s).toBeLessThan(15);
  });

  it('a vehicle that connects then is lost for good: the run ends at duration_s and exits', { timeout: 60_000 }, async () => {
    if (!existsSync(CLI)) throw new Error('run `npm run build` first (npm test does)');
    const port = await freePort();
    const file = join(dir, 'lost.yaml');
    writeFileSync(
      file,
      [
        'name: lost-for-good',
        'duration_s: 40',
        'world: { origin: home }',
        'vehicles:',
        '  - id: d1',
        '    mission: { type: waypoints, start_at_s: 4, waypoints: [{ north: 50, east: 0, alt: 20 }] }',
        'expect: []',
      ].join('\n'),
    );
    // Airborne, heartbeats for 2 s of wall time (8 s of run time), then silence for good: the
    // run cannot know it landed, so it lasts its duration.
    peers.push(startPeer(port, [{ sysid: 1, stopAfter_ms: 2000, inAir: true }]));
    const report = join(dir, 'lost.json');
    const r = await runCli(['run', file, '--vehicle', `udpin://127.0.0.1:${port}`, '--speed', '4', '-q', '--report', report], 50_000);
    expect(r.signal, r.stderr).toBeNull();
    expect(existsSync(report)).toBe(true);
    const rep = JSON.parse(readFileSync(report, 'utf8')) as { simulatedSeconds: number; vehicles: Record<string, { state: string }> };
    expect(rep.simulatedSeconds).toBeGreaterThanOrEqual(40);
    expect(rep.simulatedSeconds).toBeLessThan(45);
    expect(rep.vehicles.d1!.state).not.toMatch(/^connected/);
    expect(r.stderr).not.toMatch(/timers left after the vehicles stopped|did not exit by itself/);
    // 40 s of run time at 4× is 10 s of wall time; the process must not outlive its report.
    expect(r.wall_s).toBeLessThan(20);
  });
});
