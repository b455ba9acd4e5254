/**
 * The package's main entry point (`import … from 'overwatch-twin'`, package.json "main" and
 * "exports") resolves to the built runtime and is enough to fly a scenario without reaching
 * into the source tree. Runs on dist/ (npm test builds before vitest).
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe("the package entry point 'overwatch-twin'", () => {
  it('exists where package.json says, and flies a scenario through its public API only', async () => {
    expect(existsSync('dist/index.js')).toBe(true);
    // Self-reference by package name goes through package.json "exports", as a dependent's import does.
    const api = (await import('overwatch-twin')) as typeof import('../../index.js');
    for (const name of ['createTwin', 'runScenario', 'parseScenario', 'VirtualClock', 'WallClock', 'SimWorld', 'createSimVehiclePort', 'createMavlinkVehiclePort', 'createSitl', 'parseQgcPlan', 'planSurvey'] as const)
      expect(typeof api[name], name).toBe('function');
    const parsed = api.parseScenario(
      'name: entry\nseed: 7\nduration_s: 300\nvehicles:\n  - id: d1\n    mission: { type: waypoints, end: land, waypoints: [{ north: 30, east: 0, alt: 15 }] }\nexpect:\n  - { kind: mission_completed, vehicle: d1, within_s: 200 }\n',
    );
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const { report } = await api.runScenario(parsed.value);
    expect(report.passed).toBe(true);
    expect(report.vehicles.d1?.mission.status).toBe('COMPLETED');
  });
});
