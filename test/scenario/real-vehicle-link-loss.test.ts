/**
 * `link_loss` on a vehicle outside the process (the built-in SITL in its own process, over a
 * shared `udpin://` link as the runner opens it for real vehicles) is a two-way RF outage, as in
 * the simulator: the vehicle stops hearing the twin (even the link's one GCS heartbeat, since it
 * is the only vehicle there) and runs its own datalink-loss action, and the twin stops hearing the
 * vehicle and records its own link-lost failsafe. Before, only frames addressed to the vehicle
 * were dropped: the broadcast GCS heartbeat went on and the twin kept receiving telemetry, so
 * neither side felt the outage (seen on PX4 v1.15.4: scripts/px4/FINDINGS.md F14).
 */
import { describe, expect, it, afterAll } from 'vitest';
import { parseScenario } from '../../actors/scenario/scenario.loader.js';
import { linkBackend, runScenario } from '../../actors/scenario/scenario.runner.js';
import { startOutOfProcessSitl, type OutOfProcessSitl } from './support/out-of-process-sitl.js';

const SPEED = 5;

describe('link_loss on an out-of-process MAVLink vehicle', () => {
  const sitls: OutOfProcessSitl[] = [];
  afterAll(() => {
    for (const s of sitls) s.stop();
  });

  it('both sides feel it: the twin records link-lost, the vehicle returns by itself', { timeout: 120_000 }, async () => {
    const sitl = await startOutOfProcessSitl(SPEED);
    sitls.push(sitl);
    const loaded = parseScenario(
      [
        'name: field-link-loss',
        'duration_s: 90',
        'world: { origin: home }',
        'vehicles:',
        '  - id: d1',
        '    params: { NAV_DLL_ACT: 2, COM_DL_LOSS_T: 4 }',
        '    failsafe: { link_loss_timeout_s: 3 }',
        '    mission: { type: waypoints, end: land, waypoints: [{ north: 150, east: 0, alt: 20 }, { north: 150, east: 150, alt: 20 }] }',
        'faults:',
        '  - { at_s: 15, vehicle: d1, fault: { kind: link_loss, duration_s: 20 } }',
        'expect:',
        '  - { kind: failsafe, vehicle: d1, failsafe: link_lost, within_s: 40 }',
      ].join('\n'),
      'field-link-loss.yaml',
    );
    if (!loaded.ok) throw new Error(loaded.error.message);
    const { report, log } = await runScenario(loaded.value, {
      backend: linkBackend(sitl.url, SPEED),
      speed: SPEED,
      connectTimeout_s: 60,
    });
    sitl.child.kill('SIGINT');
    const entries = log.entries;
    const fault = entries.find((e) => e.type === 'fault' && e.source === 'scenario');
    expect(fault?.data).toMatchObject({ kind: 'link_loss', result: 'LINK_SILENCED' });
    // The twin stopped hearing the vehicle: its link went down during the outage, and came back.
    const links = entries.filter((e) => e.source === 'd1' && e.type === 'port.link').map((e) => e.data?.up);
    expect(links).toContain(false);
    expect(links.at(-1)).toBe(true);
    // The vehicle stopped hearing us: it ran its own datalink-loss action (NAV_DLL_ACT 2 = return).
    const modes = entries.filter((e) => e.source === 'd1' && e.type === 'port.mode').map((e) => e.data?.mode);
    expect(modes).toContain('rtl');
    expect(report.expectations.find((x) => x.kind === 'failsafe')?.passed).toBe(true);
  });
});
