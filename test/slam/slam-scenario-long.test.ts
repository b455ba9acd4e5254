/**
 * `slam_drift` per 100 m in a scenario: a 320 m flight down a street of buildings and masts on
 * hills (the simulator vehicle at 8 m/s, 8 m up, the simulated Ouster OS1-32 512×10, KISS-ICP on
 * its packets through the composition root’s SLAM port), judged against the simulator’s truth on
 * RPE segments of 100 m of path — the figure the issue asks for, as evo computes it — and ATE.
 *
 * Measured (04:49 UTC, loaded machine): RPE 0.08 % over 2 segments of 100 m (path 335 m, 604
 * poses), ATE RMSE 0.30 m; 63 s wall.
 */
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../actors/scenario/scenario.loader.js';
import { runScenario } from '../../actors/scenario/scenario.runner.js';
import { sensorPortFactory, slamPortFactory } from '../../cli/compose.js';

/** Buildings and masts on both sides of the track from 20 m south to `length_m` north (deterministic). */
function street(length_m: number): string {
  const out: string[] = [];
  let i = 0;
  for (let n = -20; n < length_m + 40; n += 10)
    for (const side of [-1, 1]) {
      i++;
      const east = side * (12 + ((i * 37) % 10));
      out.push(
        i % 3
          ? `    - { kind: building, north: ${n + ((i * 13) % 6)}, east: ${east}, size_m: { x: ${5 + ((i * 7) % 8)}, y: ${5 + ((i * 5) % 8)}, z: ${6 + ((i * 11) % 25)} }, yaw_deg: ${(i * 29) % 90} }`
          : `    - { kind: cylinder, north: ${n}, east: ${east}, radius_m: ${(0.5 + (i % 3) * 0.7).toFixed(1)}, height_m: ${10 + ((i * 7) % 20)} }`,
      );
    }
  return out.join('\n');
}

const text = `name: long-slam
seed: 5
duration_s: 150
world:
  origin: home
  terrain: { kind: hills, amplitude_m: 4, wavelength_m: 60, seed: 5 }
  obstacles:
${street(320)}
vehicles:
  - id: d1
    params: { MPC_XY_CRUISE: 8 }
    sensors:
      - { id: os1, kind: lidar, model: os1-32, settings: { lidar_mode: 512x10 } }
    slam: { lidar: os1 }
    mission:
      type: waypoints
      end: land
      waypoints: [{ north: 0, east: 0, alt: 8 }, { north: 320, east: 0, alt: 8 }]
expect:
  - { kind: mission_completed, vehicle: d1 }
  - { kind: slam_drift, vehicle: d1, max_rpe_pct: 1, max_ate_m: 1.5 }
`;

describe('slam_drift on a longer flight (scenario)', () => {
  it('320 m down a street: RPE judged on 100 m segments stays under 1 %, ATE under 1.5 m', { timeout: 900_000 }, async () => {
    const parsed = parseScenario(text, 'long-slam.yaml');
    if (!parsed.ok) throw new Error(parsed.error.message);
    const t0 = performance.now();
    const r = await runScenario(parsed.value, { sensorFactory: sensorPortFactory, slamFactory: slamPortFactory });
    const [done, drift] = r.report.expectations;
    process.stdout.write(`slam scenario long: ${drift!.reason} (${((performance.now() - t0) / 1000).toFixed(1)} s wall)\n`);
    expect(r.report.errors).toEqual([]);
    expect(done!.held, done!.reason).toBe(true);
    expect(drift!.reason).toMatch(/over \d+ segments of 100 m/);
    expect(drift!.held, drift!.reason).toBe(true);
  });
});
