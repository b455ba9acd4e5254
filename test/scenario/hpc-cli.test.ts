/**
 * `twin run` with `after_mission.hpc` (the built CLI, dist/): without --hpc / TWIN_HPC_URL the
 * composition root starts an embedded HPCService on loopback (local worker_threads engine, no
 * Redis); the LiDAR scans of a short flight become a DSM, the run passes and its event log hash
 * is the same twice; an unreachable --hpc fails the job (HPC.UNAVAILABLE) and the run (exit 1).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const CLI = 'dist/cli/bin.js';
const dir = mkdtempSync(join(tmpdir(), 'twin-hpc-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SCENARIO = `name: hpc-scans
seed: 3
duration_s: 90
world:
  origin: home
  obstacles:
    - { kind: building, north: 10, east: 12, size_m: { x: 8, y: 8, z: 12 } }
    - { kind: building, north: 25, east: -12, size_m: { x: 6, y: 10, z: 20 } }
vehicles:
  - id: d1
    params: { MPC_XY_CRUISE: 5 }
    sensors:
      - { id: os1, kind: lidar, model: os1-32, settings: { lidar_mode: 512x10 } }
    mission:
      type: waypoints
      end: land
      waypoints: [{ north: 0, east: 0, alt: 10 }, { north: 30, east: 0, alt: 10 }]
    after_mission:
      hpc: { processing_type: dsm, parameters: { resolution: 1 }, source: scans }
expect:
  - { kind: hpc_job, vehicle: d1, state: SUCCEEDED, min_output_points: 100 }
`;

function twin(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env };
    delete env.TWIN_HPC_URL;
    const p = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => resolve({ code, stderr }));
  });
}

interface Report { passed: boolean; eventLogSha256: string; expectations: { kind: string; passed: boolean; reason: string }[]; hpc?: { state: string; job_id: string | null; error?: { code: string } }[] }

describe('twin run with after_mission.hpc', () => {
  it('embedded HPC service: the scans become a DSM, same log twice; an unreachable --hpc fails the run', { timeout: 180_000 }, async () => {
    const file = join(dir, 'scans.yaml');
    writeFileSync(file, SCENARIO);
    const reports: Report[] = [];
    for (const i of [1, 2]) {
      const r = await twin(['run', file, '-q', '--report', join(dir, `r${i}.json`)]);
      expect(r.code, r.stderr).toBe(0);
      reports.push(JSON.parse(readFileSync(join(dir, `r${i}.json`), 'utf8')) as Report);
    }
    expect(reports[0]!.expectations[0]).toMatchObject({ kind: 'hpc_job', passed: true, reason: expect.stringMatching(/^dsm of the scans: SUCCEEDED/) });
    expect(reports[0]!.hpc?.[0]?.job_id).not.toBe(reports[1]!.hpc?.[0]?.job_id);
    expect(reports[1]!.eventLogSha256).toBe(reports[0]!.eventLogSha256);

    const bad = await twin(['run', file, '-q', '--hpc', '127.0.0.1:1', '--report', join(dir, 'bad.json')]);
    expect(bad.code).toBe(1);
    const r = JSON.parse(readFileSync(join(dir, 'bad.json'), 'utf8')) as Report;
    expect(r.hpc?.[0]).toMatchObject({ state: 'FAILED', error: { code: 'HPC.UNAVAILABLE' } });
    expect(r.expectations[0]!.passed).toBe(false);
  });
});
