import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { loadScenarioFile } from '../../actors/scenario/scenario.loader.js';
import { runScenario } from '../../actors/scenario/scenario.runner.js';
import { sensorPortFactory } from '../../cli/compose.js';

const files = readdirSync('scenarios').filter((f) => f.endsWith('.yaml')).sort();

async function run(file: string, seed?: number) {
  const loaded = await loadScenarioFile(file);
  if (!loaded.ok) throw new Error(loaded.error.message);
  // Sensor ports come from the composition root, as in `twin run`.
  return runScenario(loaded.value, { seed, file, sensorFactory: sensorPortFactory });
}

describe('shipped scenarios', () => {
  // survey-sensors.yaml raycasts a simulated Ouster (~2 000 scans): allow it the time.
  it.each(files)('%s passes with its documented verdicts', { timeout: 120_000 }, async (f) => {
    const { report } = await run(`scenarios/${f}`);
    const failed = report.expectations.filter((e) => !e.passed).map((e) => `${e.kind} ${e.vehicle ?? ''}: ${e.reason}`);
    expect(failed).toEqual([]);
    expect(report.errors).toEqual([]);
    expect(report.passed).toBe(true);
  });

  it('expected-to-fail expectations really did fail (the failure path is exercised)', async () => {
    const { report } = await run('scenarios/geofence-breach.yaml');
    const marked = report.expectations.filter((e) => e.expected_to_fail);
    expect(marked.length).toBeGreaterThan(0);
    for (const e of marked) expect(e.held).toBe(false);
  });

  it('an unmet expectation fails the run with its reason', async () => {
    const { report } = await run('test/fixtures/unmet.yaml');
    expect(report.passed).toBe(false);
    expect(report.expectations[0]).toMatchObject({ kind: 'battery_reserve', held: false, passed: false });
    expect(report.expectations[0]!.reason).toMatch(/^landed with \d+\.\d %, below 99.9 %$/);
  });
});

describe('determinism', () => {
  it('same scenario and seed give the same event log, byte for byte', async () => {
    const a = await run('scenarios/fleet.yaml');
    const b = await run('scenarios/fleet.yaml');
    expect(a.report.eventLogSha256).toBe(b.report.eventLogSha256);
    expect(a.log.toJsonl()).toBe(b.log.toJsonl());
    expect(a.report.events).toBeGreaterThan(100);
  });

  it('another seed gives another log', async () => {
    const a = await run('scenarios/survey.yaml', 1);
    const b = await run('scenarios/survey.yaml', 2);
    expect(a.report.eventLogSha256).not.toBe(b.report.eventLogSha256);
  });

  it('the event log records port events, state changes, commands and progress with sim times', async () => {
    const { log } = await run('scenarios/battery-failsafe.yaml');
    const types = new Set(log.entries.map((e) => `${e.source.split(':')[0]}/${e.type}`));
    for (const t of ['drone1/port.armed', 'drone1/port.mode', 'vehicle/state', 'mission/state', 'mission/progress', 'vehicle/failsafe', 'vehicle/command', 'vehicle/command.result', 'scenario/fault'])
      expect(types, t).toContain(t);
    const times = log.entries.map((e) => e.t_ms);
    expect(times).toEqual([...times].sort((x, y) => x - y));
  });
});

describe('failsafes found by twin fuzz', () => {
  it('a battery drop during the takeoff climb still brings the vehicle home', async () => {
    const { parseScenario } = await import('../../actors/scenario/scenario.loader.js');
    const parsed = parseScenario(`
name: drop-on-climb
seed: 4
duration_s: 900
vehicles:
  - id: d1
    failsafe: { battery_low_pct: 25, battery_critical_pct: 5 }
    mission:
      type: waypoints
      waypoints: [{ north: 300, east: 0, alt: 40 }, { north: 300, east: 300, alt: 40 }]
faults:
  - { at_s: 4, vehicle: d1, fault: { kind: battery_drop, pct: 76 } }
expect:
  - { kind: failsafe, vehicle: d1, failsafe: battery_low, within_s: 20 }
  - { kind: landed, vehicle: d1, within_m_of_home: 5 }
`);
    if (!parsed.ok) throw new Error(parsed.error.message);
    const { report } = await runScenario(parsed.value);
    expect(report.expectations.filter((e) => !e.passed).map((e) => e.reason)).toEqual([]);
  });
});
