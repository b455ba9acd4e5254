/**
 * End to end: a scenario on the built-in SITL through the MAVLink adapter (loopback UDP), where
 * the vehicle refuses to arm. The mission's failure reason and the twin's event log carry the
 * vehicle's own words from the events interface (metadata over FTP), not only the ACK code.
 */
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../actors/scenario/scenario.loader.js';
import { runScenario, sitlBackend } from '../../actors/scenario/scenario.runner.js';

const SCENARIO = `
name: refused-arm
seed: 1
duration_s: 90
world:
  origin: home
vehicles:
  - id: drone1
    mission:
      type: waypoints
      waypoints:
        - { north: 50, east: 0, alt: 20 }
faults:
  - { at_s: 0, vehicle: drone1, fault: { kind: battery_drop, pct: 95 } }
expect:
  - { kind: mission_status, vehicle: drone1, status: FAILED }
`;

describe("twin on the SITL: a refusal in the vehicle's words", () => {
  it('the failed mission says why the vehicle refused, and the event log has the vehicle events', { timeout: 120_000 }, async () => {
    const s = parseScenario(SCENARIO);
    if (!s.ok) throw new Error(s.error.message);
    const run = await runScenario(s.value, { backend: sitlBackend(40) });
    const mission = run.report.vehicles['drone1']!.mission;
    expect(mission.status).toBe('FAILED');
    expect(mission.reason).toMatch(/^launch failed: VEHICLE\.COMMAND_DENIED: MAV_CMD_COMPONENT_ARM_DISARM: TEMPORARILY_REJECTED.*; vehicle says: "Arming denied: battery too low"$/);
    const events = run.log.entries.filter((e) => e.type === 'port.vehicle.event');
    expect(events.length).toBeGreaterThan(0);
    expect(events[0]!.data).toMatchObject({ name: 'sitl_command_denied', severity: 'critical', text: 'Arming denied: battery too low' });
  });
});
