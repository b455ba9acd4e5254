/**
 * SLAM in scenarios, end to end on the simulator: a vehicle with a simulated Ouster and
 * `slam: { lidar }` gets a supervised SLAM actor fed by the composition root's SLAM port
 * (KISS-ICP on the Ouster's packets); `slam_drift` judges it against the simulator's truth
 * (and can fail); `slam_degraded` makes it go lost and recover, in the event log; bad `slam:`
 * references are file:line:col errors; same seed, same log hash with SLAM on.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { parseScenario } from '../../actors/scenario/scenario.loader.js';
import { runScenario } from '../../actors/scenario/scenario.runner.js';
import type { Twin } from '../../actors/twin.js';
import type { SlamMapRefMsg, SlamOdometryMsg, SlamPoseMsg } from '../../actors/bus.js';
import { sensorPortFactory, slamPortFactory } from '../../cli/compose.js';

/**
 * A street of buildings and poles on hills (what LiDAR odometry needs: vertical structure on both
 * sides; a flat, empty field is degenerate).
 */
function street(): string {
  const out: string[] = [];
  let i = 0;
  for (let n = -20; n < 60; n += 10)
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

/** A short flight (20 m north at 5 m, then land) down the street; `slam`, `expect`, `faults` are YAML. */
function text(o: { slam?: string; expect?: string; faults?: string } = {}) {
  return `name: small-slam
seed: 5
duration_s: 90
world:
  origin: home
  terrain: { kind: hills, amplitude_m: 4, wavelength_m: 60, seed: 5 }
  obstacles:
${street()}
vehicles:
  - id: d1
    params: { MPC_XY_CRUISE: 5 }
    sensors:
      - { id: cam, kind: camera, model: phase-one-ixm-100 }
      - { id: os1, kind: lidar, model: os1-32, settings: { lidar_mode: 512x10 } }
${o.slam ?? '    slam: { lidar: os1 }'}
    mission:
      type: waypoints
      end: land
      waypoints: [{ north: 0, east: 0, alt: 5 }, { north: 20, east: 0, alt: 5 }]
expect:
${o.expect ?? `  - { kind: slam_drift, vehicle: d1, max_rpe_pct: 5, max_ate_m: 1.5 }
  - { kind: slam_drift, vehicle: d1, max_rpe_pct: 0.0001, expected_to_fail: true }`}
${o.faults ?? ''}`;
}

function load(t: string) {
  const r = parseScenario(t, 'slam.yaml');
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

const run = (t: string, onTwin?: (twin: Twin) => void) =>
  runScenario(load(t), { sensorFactory: sensorPortFactory, slamFactory: slamPortFactory, ...(onTwin ? { onTwin } : {}) });

describe('SLAM in scenarios (simulator)', () => {
  it('a SLAM actor tracks on the simulated Ouster; slam_drift holds against truth, and can fail', { timeout: 60_000 }, async () => {
    const poses: SlamPoseMsg[] = [], odo: SlamOdometryMsg[] = [], maps: SlamMapRefMsg[] = [];
    const a = await run(text(), (twin) => {
      twin.bus.subscribe('/d1/slam/pose', (m) => poses.push(m));
      twin.bus.subscribe('/d1/slam/odometry', (m) => odo.push(m));
      twin.bus.subscribe('/d1/slam/map', (m) => maps.push(m));
    });
    expect(a.report.errors).toEqual([]);
    // Bus: poses in the world frame (NED and WGS84) near where the vehicle flew, twist, throttled map references.
    expect(poses.length).toBeGreaterThan(100);
    const top = poses.reduce((b, p) => (p.local.north_m > b.local.north_m ? p : b));
    expect(top.local.north_m).toBeGreaterThan(15);
    expect(top.local.north_m).toBeLessThan(25);
    expect(Math.abs(top.position.lat_deg - 47.3977)).toBeLessThan(0.01);
    expect(odo.length).toBe(poses.length);
    expect(Math.max(...odo.map((o) => o.linear_mps[0]))).toBeGreaterThan(3);
    expect(maps.length).toBeGreaterThan(0);
    expect(maps.length).toBeLessThan(poses.length / 5);
    expect(maps[0]!.points).toBeGreaterThan(100);
    const [drift, strict] = a.report.expectations;
    expect(drift!.held, drift!.reason).toBe(true);
    expect(drift!.reason).toMatch(/RPE [\d.]+ % over \d+ segments of \d+ m/);
    expect(strict!.held).toBe(false);
    expect(strict!.passed).toBe(true);
    expect(strict!.reason).toMatch(/over RPE limit/);
    const states = a.log.entries.filter((e) => e.source === 'slam:d1' && e.type === 'state').map((e) => e.data?.['value']);
    expect(states.slice(0, 2)).toEqual(['initializing', 'tracking']);
    // Poses are continuous data: the log holds state changes only.
    expect(a.log.entries.filter((e) => e.source === 'slam:d1').length).toBeLessThan(12);
  });

  it('slam_degraded: the machine goes lost and recovers, in the log; same seed ⇒ same log hash', { timeout: 90_000 }, async () => {
    const t = text({ expect: '  - { kind: mission_completed, vehicle: d1 }', faults: 'faults:\n  - { at_s: 10, vehicle: d1, fault: { kind: slam_degraded, duration_s: 2 } }' });
    const r = await run(t);
    expect(r.report.errors).toEqual([]);
    const slamLog = r.log.entries.filter((e) => e.source === 'slam:d1');
    const fault = slamLog.find((e) => e.type === 'fault' && e.data?.['kind'] === 'slam_degraded')!;
    expect(fault.t_ms - 10_000).toBeLessThan(100); // the first clock step at or after 10 s
    const lost = slamLog.find((e) => e.type === 'state' && e.data?.['value'] === 'lost' && e.t_ms >= fault.t_ms)!;
    expect(lost.data?.['code']).toBe('SLAM.DEGRADED_INJECTED');
    expect(lost.t_ms - fault.t_ms).toBeLessThan(1_000);
    const recovered = slamLog.find((e) => e.type === 'state' && e.data?.['value'] === 'tracking' && e.t_ms > lost.t_ms)!;
    expect(recovered.t_ms).toBeGreaterThanOrEqual(fault.t_ms + 2_000); // not before the 2 s are over
    const again = await run(t);
    expect(again.report.eventLogSha256).toBe(r.report.eventLogSha256);
  });

  it('other backends: the factory says there is no SLAM port, and the run goes on without SLAM', () => {
    const r = slamPortFactory({ backend: 'link', vehicle: 'd1', lidarId: 'os1', lidar: {} as never, logger: silentLogger });
    expect(!r.ok && r.error.message).toBe('no SLAM port for this backend (link)');
  });

  it('bad slam: references are file:line:col errors', () => {
    const unknown = parseScenario(text({ slam: '    slam: { lidar: nope }' }), 'slam.yaml');
    expect(!unknown.ok && unknown.error.message).toMatch(/slam\.yaml:\d+:\d+.*unknown sensor 'nope' on d1 \(LiDARs: os1\)/s);
    const camera = parseScenario(text({ slam: '    slam: { lidar: cam }' }), 'slam.yaml');
    expect(!camera.ok && camera.error.message).toMatch(/slam\.yaml:\d+:\d+.*'cam' is a camera, not a LiDAR of d1/s);
    const noSlam = parseScenario(text({ slam: '' }), 'slam.yaml');
    expect(!noSlam.ok && noSlam.error.message).toMatch(/slam\.yaml:\d+:\d+.*slam_drift needs SLAM on 'd1'/s);
  });
});
