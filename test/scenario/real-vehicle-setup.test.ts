/**
 * A scenario against a vehicle outside the process (the built-in SITL in its own process, spoken
 * to over MAVLink as PX4 would be): the runner runs on the wall clock, sets the scenario's
 * parameters and uploads its geofence before the mission, and injects the scenario's faults into
 * the vehicle instead of logging them unsupported, recording the vehicle's answer to each.
 */
import { describe, expect, it, afterAll } from 'vitest';
import { parseScenario } from '../../actors/scenario/scenario.loader.js';
import { linkBackend, runScenario } from '../../actors/scenario/scenario.runner.js';
import { startOutOfProcessSitl, type OutOfProcessSitl } from './support/out-of-process-sitl.js';

const SPEED = 5;

describe('a real (out-of-process MAVLink) vehicle under a scenario', () => {
  const sitls: OutOfProcessSitl[] = [];
  afterAll(() => {
    for (const s of sitls) s.stop();
  });

  it('wall clock; parameters and geofence set before the mission; faults injected with the answer logged', { timeout: 90_000 }, async () => {
    const sitl = await startOutOfProcessSitl(SPEED);
    sitls.push(sitl);
    const loaded = parseScenario(
      [
        'name: field-setup',
        'duration_s: 45',
        'world:',
        '  origin: home',
        '  geofence: { polygon: [{ north: -300, east: -300 }, { north: 300, east: -300 }, { north: 300, east: 300 }, { north: -300, east: 300 }], max_alt: 80 }',
        'vehicles:',
        '  - id: d1',
        '    params: { NAV_DLL_ACT: 0, COM_DL_LOSS_T: 8 }',
        '    failsafe: { link_loss_timeout_s: 30 }',
        '    mission: { type: waypoints, end: land, waypoints: [{ north: 80, east: 0, alt: 20 }, { north: 80, east: 80, alt: 20 }] }',
        'faults:',
        '  - { at_s: 20, vehicle: d1, fault: { kind: link_loss, duration_s: 3 } }',
        '  - { at_s: 26, vehicle: d1, fault: { kind: battery_drop, pct: 10 } }',
        'expect: []',
      ].join('\n'),
      'field-setup.yaml',
    );
    if (!loaded.ok) throw new Error(loaded.error.message);
    let clockKind = '';
    const { report, log } = await runScenario(loaded.value, {
      backend: linkBackend(sitl.url, SPEED),
      speed: SPEED,
      connectTimeout_s: 60,
      onTwin: (twin) => (clockKind = twin.clock.kind),
    });
    sitl.child.kill('SIGINT');
    // Real vehicles live in wall time.
    expect(clockKind).toBe('wall');
    expect(report.errors).toEqual([]);
    const entries = log.entries;
    const params = entries.find((e) => e.type === 'vehicle.params');
    expect(params?.data).toMatchObject({ vehicle: 'd1', ok: true });
    expect((params!.data!.outcomes as { name: string; ok: boolean }[]).map((o) => [o.name, o.ok]).sort()).toEqual([['COM_DL_LOSS_T', true], ['NAV_DLL_ACT', true]]);
    // The vehicle's answer to the fence upload is recorded (the built-in SITL has the fence
    // mission type but not PX4's GF_* parameters: logged, not a failed run).
    const fence = entries.find((e) => e.type === 'vehicle.geofence');
    expect(fence?.data?.vehicle).toBe('d1');
    expect(typeof fence?.data?.ok).toBe('boolean');
    // Set before the mission was loaded.
    const firstLoad = entries.findIndex((e) => e.source === 'mission:d1' && e.type === 'request');
    expect(entries.indexOf(params!)).toBeLessThan(firstLoad);
    expect(entries.indexOf(fence!)).toBeLessThan(firstLoad);
    // Faults go to the vehicle; nothing is logged as unsupported; each answer is in the log.
    expect(entries.filter((e) => e.type === 'fault.unsupported')).toEqual([]);
    const faults = entries.filter((e) => (e.type === 'fault' || e.type === 'fault.refused') && e.source === 'scenario');
    expect(faults.map((e) => e.data?.kind)).toEqual(['link_loss', 'battery_drop']);
    expect(faults[0]).toMatchObject({ type: 'fault', data: { result: 'LINK_SILENCED' } });
    expect(faults[1]!.data!.result ?? faults[1]!.data!.code).toBeTruthy();
  });
});
