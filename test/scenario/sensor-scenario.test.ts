/**
 * Scenarios with sensors, end to end on the simulator: the composition root's sensor ports (the
 * rendering camera, the simulated Ouster), the expectations that judge them (each shown able to
 * fail), sensor faults and capture actions, determinism, and clear errors for a bad sensors section.
 */
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../actors/scenario/scenario.loader.js';
import { runScenario, sitlBackend } from '../../actors/scenario/scenario.runner.js';
import type { SensorPortFactory } from '../../actors/scenario/sensor-wiring.js';
import { sensorPortFactory } from '../../cli/compose.js';

/** A short survey (40 m × 40 m at 30 m) with a camera and a LiDAR; `extra` is appended YAML. */
function scenario(extra = '', opts: { sensors?: string; expect?: string } = {}) {
  const text = `
name: small-sensors
seed: 11
duration_s: 400
world:
  origin: home
  obstacles:
    - { kind: box, north: 30, east: 30, size_m: { x: 6, y: 6, z: 5 } }
vehicles:
  - id: d1
    params: { MPC_XY_CRUISE: 8 }
    sensors:
${opts.sensors ?? `      - { id: cam, kind: camera, model: phase-one-ixm-100 }
      - { id: os1, kind: lidar, model: os1-64, settings: { lidar_mode: 512x10 } }`}
    mission:
      type: survey
      alt: 30
      polygon: [{ north: 10, east: 10 }, { north: 50, east: 10 }, { north: 50, east: 50 }, { north: 10, east: 50 }]
expect:
${opts.expect ?? `  - { kind: mission_completed, vehicle: d1 }
  - { kind: captures, vehicle: d1 }
  - { kind: capture_geotag, vehicle: d1, max_error_m: 3 }
  - { kind: lidar_coverage, vehicle: d1, min_pct: 90 }`}
${extra}`;
  const r = parseScenario(text, 'small.yaml');
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

const verdicts = (r: Awaited<ReturnType<typeof runScenario>>) => r.report.expectations.map((e) => `${e.kind}:${e.held ? 'held' : 'failed'}`);

describe('scenarios with sensors (simulator)', () => {
  it('camera and LiDAR: every planned image taken, geotagged within 3 m of truth, the field covered; same seed, same log', { timeout: 120_000 }, async () => {
    const s = scenario();
    const a = await runScenario(s, { sensorFactory: sensorPortFactory });
    expect(a.report.errors).toEqual([]);
    expect(verdicts(a)).toEqual(['mission_completed:held', 'captures:held', 'capture_geotag:held', 'lidar_coverage:held']);
    const taken = a.log.entries.filter((e) => e.source === 'd1/cam' && e.type === 'port.capture');
    expect(taken.length).toBeGreaterThan(3);
    expect(taken.every((e) => typeof e.data?.['blob_key'] === 'string')).toBe(true);
    // The sensors' actors are in the log: connected, streaming; no scan in it (continuous data).
    expect(a.log.entries.some((e) => e.source === 'sensor:d1/os1' && e.type === 'state' && e.data?.value === 'streaming')).toBe(true);
    expect(a.log.entries.some((e) => e.type.includes('scan'))).toBe(false);
    const b = await runScenario(s, { sensorFactory: sensorPortFactory });
    expect(b.report.eventLogSha256).toBe(a.report.eventLogSha256);
  });

  it('the sensor expectations fail when they should: a camera geotagging 10 m off, a LiDAR that fails for the whole flight', { timeout: 120_000 }, async () => {
    // The same ports, but the camera hears a pose 10 m north of the truth.
    const skewed: SensorPortFactory = (req) =>
      sensorPortFactory(
        req.spec.kind === 'camera'
          ? {
              ...req,
              pose: {
                pose: () => {
                  const p = req.pose.pose();
                  return p && { ...p, position: { ...p.position, lat_deg: p.position.lat_deg + 10 / 111_320 } };
                },
              },
            }
          : req,
      );
    const s = scenario(`faults:
  - { at_s: 0, vehicle: d1, fault: { kind: sensor_failure, sensor: os1 } }`);
    const r = await runScenario(s, { sensorFactory: skewed });
    const byKind = new Map(r.report.expectations.map((e) => [e.kind, e]));
    expect(byKind.get('captures')!.held).toBe(true);
    expect(byKind.get('capture_geotag')!.held).toBe(false);
    expect(byKind.get('capture_geotag')!.reason).toMatch(/cam: image \d+ geotagged 1\d\.\d\d m from the true position/);
    expect(byKind.get('lidar_coverage')!.held).toBe(false);
    expect(byKind.get('lidar_coverage')!.reason).toMatch(/^os1: 0\.0 % of \d+ cells/);
    expect(r.log.entries.some((e) => e.source === 'scenario' && e.type === 'fault' && e.data?.['sensor'] === 'os1')).toBe(true);
    expect(r.twin.sensors('d1').find((x) => x.sensor === 'os1')?.state).toBe('error');
  });

  it('a camera failing mid-survey misses images (captures fails, the losses named) and recovers; a capture action takes one', { timeout: 120_000 }, async () => {
    const s = scenario(
      `faults:
  - { at_s: 40, vehicle: d1, fault: { kind: sensor_failure, sensor: cam, duration_s: 20 } }
actions:
  - { at_s: 90, vehicle: d1, action: capture, sensor: cam }`,
      { sensors: '      - { id: cam, kind: camera, model: phase-one-ixm-100 }', expect: '  - { kind: captures, vehicle: d1, sensor: cam }' },
    );
    const r = await runScenario(s, { sensorFactory: sensorPortFactory });
    const [captures] = r.report.expectations;
    expect(captures!.held).toBe(false);
    expect(captures!.reason).toMatch(/^cam: \d+ taken, \d+ lost, planned \d+$/);
    const cam = r.log.entries.filter((e) => e.source === 'sensor:d1/cam' && e.type === 'state').map((e) => e.data?.value);
    expect(cam).toContain('error');
    expect(cam.at(-1)).toBe('ready');
    const action = r.log.entries.find((e) => e.type === 'request.result' && e.cid === 'scenario:action:0');
    expect(action?.data).toMatchObject({ type: 'capture', ok: true });
  });

  it('on the built-in SITL the camera is a MAVLink camera component on the vehicle link: every image, geotag within 1 m', { timeout: 120_000 }, async () => {
    const s = scenario('', {
      sensors: '      - { id: cam, kind: camera, model: phase-one-ixm-100 }',
      expect: `  - { kind: mission_completed, vehicle: d1 }
  - { kind: captures, vehicle: d1, sensor: cam }
  - { kind: capture_geotag, vehicle: d1, sensor: cam, max_error_m: 1 }`,
    });
    const r = await runScenario(s, { backend: sitlBackend(20), sensorFactory: sensorPortFactory });
    expect(r.report.errors).toEqual([]);
    expect(r.report.expectations.map((e) => `${e.kind}:${e.held ? 'held' : e.reason}`)).toEqual(['mission_completed:held', 'captures:held', 'capture_geotag:held']);
  });

  it('declared settings are applied once the sensor is ready; a refused one is a run error naming the field', { timeout: 60_000 }, async () => {
    const good = scenario('', { sensors: '      - { id: cam, kind: camera, model: phase-one-ixm-100, settings: { jpeg_quality: 60 } }', expect: '  - { kind: captures, vehicle: d1 }' });
    const a = await runScenario(good, { sensorFactory: sensorPortFactory });
    expect(a.report.errors).toEqual([]);
    expect(a.log.entries.find((e) => e.cid === 'scenario:settings:d1/cam' && e.type === 'request.result')?.data).toEqual({ type: 'configure', ok: true });
    const bad = scenario('', { sensors: '      - { id: cam, kind: camera, model: phase-one-ixm-100, settings: { jpeg_quality: 500 } }', expect: '  - { kind: captures, vehicle: d1 }' });
    const b = await runScenario(bad, { sensorFactory: sensorPortFactory });
    expect(b.report.passed).toBe(false);
    expect(b.report.errors).toHaveLength(1);
    expect(b.report.errors[0]).toMatch(/^vehicles\.0\.sensors\.0\.settings: SENSOR\.INVALID: .*jpeg_quality/);
  });

  it('a run whose scenario declares sensors but is given no sensor factory says so and fails', async () => {
    const r = await runScenario(scenario('', { expect: '  - { kind: captures, vehicle: d1 }' }), { seed: 1 });
    expect(r.report.passed).toBe(false);
    expect(r.report.errors).toEqual([
      'vehicles.0.sensors.0: no sensor port factory for the sim backend (camera phase-one-ixm-100)',
      'vehicles.0.sensors.1: no sensor port factory for the sim backend (lidar os1-64)',
    ]);
  });
});

describe('bad sensors sections: file:line:col errors, nothing else', () => {
  const base = (sensors: string, rest = '') => `name: bad
vehicles:
  - id: d1
    sensors:
${sensors}
    mission: { type: waypoints, waypoints: [{ north: 10, east: 0, alt: 10 }] }
${rest}`;
  const issues = (text: string) => {
    const r = parseScenario(text, 'bad.yaml');
    expect(r.ok).toBe(false);
    return r.ok ? [] : r.error.message.split('\n');
  };

  it('an unknown kind, a duplicate id, a bad id, an unknown key', () => {
    const lines = issues(base(`      - { id: cam, kind: radar, model: x }
      - { id: cam, kind: camera, model: phase-one-ixm-100 }
      - { id: Bad-Id, kind: camera, model: y }
      - { id: l1, kind: lidar, model: os1-64, rate: 5 }`));
    expect(lines.some((l) => /^bad\.yaml:5:\d+: vehicles\.0\.sensors\.0\.kind: /.test(l))).toBe(true);
    expect(lines.some((l) => /^bad\.yaml:7:\d+: vehicles\.0\.sensors\.2\.id: lower-case/.test(l))).toBe(true);
    expect(lines.some((l) => /^bad\.yaml:8:\d+: vehicles\.0\.sensors\.3: Unrecognized key: "rate"/.test(l))).toBe(true);
  });

  it('references: a capture action on a LiDAR, an expectation naming no such camera, a fault on an undeclared sensor, coverage without a survey', () => {
    const lines = issues(
      base(
        `      - { id: cam, kind: camera, model: phase-one-ixm-100 }
      - { id: os1, kind: lidar, model: os1-64 }
      - { id: cam, kind: camera, model: phase-one-ixm-100 }`,
        `actions:
  - { at_s: 1, vehicle: d1, action: capture, sensor: os1 }
faults:
  - { at_s: 1, vehicle: d1, fault: { kind: sensor_restore, sensor: nope } }
expect:
  - { kind: capture_geotag, vehicle: d1, sensor: os1, max_error_m: 2 }
  - { kind: lidar_coverage, vehicle: d1, min_pct: 50 }`,
      ),
    );
    expect(lines, lines.join("\n")).toContain("bad.yaml:7:15: vehicles.0.sensors.2.id: duplicate sensor id 'cam' on d1");
    expect(lines).toContain("bad.yaml:10:54: actions.0.sensor: 'os1' is not a camera of d1 (cameras: cam)");
    expect(lines.some((l) => /^bad\.yaml:12:\d+: faults\.0\.fault\.sensor: unknown sensor 'nope' on d1 \(declared: cam, os1\)$/.test(l))).toBe(true);
    expect(lines.some((l) => /^bad\.yaml:14:\d+: expect\.0\.sensor: 'os1' is not a camera of d1/.test(l))).toBe(true);
    expect(lines.some((l) => /^bad\.yaml:15:\d+: expect\.1: lidar_coverage is judged over a survey polygon; d1 flies a waypoints mission$/.test(l))).toBe(true);
  });

  it('world obstacles and terrain are validated with the world spec', () => {
    const lines = issues(`name: bad
world:
  terrain: { kind: mountains }
  obstacles:
    - { kind: cylinder, north: 0, east: 0, radius_m: -1, height_m: 5 }
vehicles:
  - id: d1
`);
    expect(lines.some((l) => /^bad\.yaml:3:\d+: world\.terrain\.kind: /.test(l))).toBe(true);
    expect(lines.some((l) => /^bad\.yaml:5:\d+: world\.obstacles\.0\.radius_m: /.test(l))).toBe(true);
  });
});
