import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readdirSync } from 'node:fs';
import { loadScenarioFile, parseScenario } from '../../actors/scenario/scenario.loader.js';

const minimal = `
name: t
vehicles:
  - id: d1
    mission:
      type: waypoints
      waypoints: [{ north: 10, east: 0, alt: 20 }]
`;

describe('scenario loader', () => {
  it('accepts every shipped scenario', async () => {
    const files = readdirSync('scenarios').filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const f of files) {
      const r = await loadScenarioFile(`scenarios/${f}`);
      expect(r.ok, `${f}: ${r.ok ? '' : r.error.message}`).toBe(true);
    }
  });

  it('fills defaults', () => {
    const r = parseScenario(minimal);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.seed).toBe(1);
    expect(r.value.world.origin).toBe('home');
    expect(r.value.vehicles[0]!.failsafe).toEqual({
      battery_low_pct: 20,
      battery_critical_pct: 10,
      link_loss_timeout_s: 5,
      geofence_action: 'rtl',
      link_regained_action: 'rtl',
    });
  });

  it('reports file, line, path and reason', () => {
    const text = minimal.replace('alt: 20', 'alt: -5').replace('name: t', 'name: t\nbogus: 1');
    const r = parseScenario(text, 'bad.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('SCENARIO.INVALID');
    const lines = r.error.message.split('\n');
    expect(lines).toContain('bad.yaml:2:1: (root): Unrecognized key: "bogus"');
    expect(lines.some((l) => /^bad\.yaml:8:\d+: vehicles\.0\.mission\.waypoints\.0\.alt: /.test(l))).toBe(true);
  });

  it('checks references across fields', () => {
    const text = `${minimal}
  - id: d1
faults:
  - { at_s: 5, vehicle: ghost, fault: { kind: motor_failure } }
expect:
  - { kind: inside_geofence }
`;
    const r = parseScenario(text, 'x.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues!.map((i) => `${i.path}: ${i.message}`)).toEqual([
      "vehicles.1.id: duplicate vehicle id 'd1'",
      "faults.0.vehicle: unknown vehicle 'ghost'",
      'world.geofence: inside_geofence is expected but the world has no geofence',
    ]);
  });

  it('reports YAML syntax errors with a position', () => {
    const r = parseScenario('name: [unclosed\nvehicles: 3', 'y.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('SCENARIO.YAML');
    expect(r.error.message).toMatch(/^y\.yaml:\d+:\d+: \(yaml\): /);
  });

  it('rejects unresolvable YAML aliases and alias bombs instead of throwing (found by fast-check)', () => {
    const alias = parseScenario('*!', 'a.yaml');
    expect(alias.ok).toBe(false);
    if (!alias.ok) expect(alias.error.code).toBe('SCENARIO.YAML');
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...'bcdefgh'.split('').map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcdefgh'[i]}`).join(', ')}]`)].join('\n');
    const r = parseScenario(bomb, 'bomb.yaml');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/alias/i);
  });

  it('never throws on arbitrary input, and rejects it with at least one issue', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: fc.constantFrom('*', '&', '!', ':', '-', ' ', '\n', '[', ']', '{', '}', '#', '|', '>', 'a') }), fc.json()), (text) => {
        const r = parseScenario(text);
        if (!r.ok) expect(r.issues!.length).toBeGreaterThan(0);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('QGroundControl plans in scenarios', () => {
  it('resolves a .plan relative to the scenario file into flyable items and its planned home', async () => {
    const r = await loadScenarioFile('scenarios/qgc-plan.yaml');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const m = r.value.vehicles[0]!.mission!;
    expect(m.type).toBe('items');
    if (m.type !== 'items') return;
    expect(m.items[0]!.kind).toBe('takeoff');
    expect(m.items.at(-1)!.kind).toBe('rtl');
    expect(m.items.filter((i) => i.kind === 'waypoint' && i.capture).length).toBeGreaterThan(0);
    expect(m.home).toEqual({ lat: 47.3977419, lon: 8.545594, alt: 487.989 });
  });

  it('reports a missing or unreadable plan file with the field path', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'plan-'));
    const scenario = join(dir, 's.yaml');
    writeFileSync(scenario, 'name: p\nvehicles:\n  - id: d1\n    mission: { type: plan, file: nope.plan }\n');
    const missing = await loadScenarioFile(scenario);
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.error.message).toContain('vehicles.0.mission.file: cannot read');
    writeFileSync(join(dir, 'nope.plan'), '{"fileType": "Plan", "version": 1, "mission": 3}');
    const bad = await loadScenarioFile(scenario);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.message).toMatch(/vehicles\.0\.mission\.file: nope\.plan: .*mission/);
  });

  it('says why a plan item the twin reads cannot be flown (an altitude out of range), not only that it is unknown', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'plan-'));
    const scenario = join(dir, 's.yaml');
    writeFileSync(scenario, 'name: p\nvehicles:\n  - id: d1\n    mission: { type: plan, file: high.plan }\n');
    const item = (seq: number, command: number, alt: number) => ({
      type: 'SimpleItem', doJumpId: seq + 1, autoContinue: true, command, frame: 3, params: [0, 0, 0, null, 47.398, 8.546, alt], AMSLAltAboveTerrain: null, Altitude: alt, AltitudeMode: 1,
    });
    const plan = {
      fileType: 'Plan', version: 1, groundStation: 'QGroundControl',
      mission: { version: 2, firmwareType: 12, vehicleType: 2, cruiseSpeed: 15, hoverSpeed: 5, plannedHomePosition: [47.3977, 8.5456, 488], items: [item(0, 22, 30), item(1, 16, 5000)] },
      geoFence: { version: 2, polygons: [], circles: [] }, rallyPoints: { version: 2, points: [] },
    };
    writeFileSync(join(dir, 'high.plan'), JSON.stringify(plan));
    const r = await loadScenarioFile(scenario);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/item 1 \(MAV_CMD 16\) cannot be flown: .*alt/);
  });
});
