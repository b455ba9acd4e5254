/**
 * Every shipped scenario gives the same verdict on the in-process simulator and on the built-in
 * MAVLink SITL driven through the real MAVLink adapter over loopback UDP (issue 5). The SITL run
 * is paced (sockets live in wall time) at 40× real time.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { loadScenarioFile } from '../../actors/scenario/scenario.loader.js';
import { runScenario, simBackend, sitlBackend } from '../../actors/scenario/scenario.runner.js';
import { sensorPortFactory } from '../../cli/compose.js';

const files = readdirSync('scenarios').filter((f) => f.endsWith('.yaml')).sort();

describe('sim ⇔ sitl verdict parity', () => {
  it.concurrent.each(files)('%s: same verdict, expectation by expectation', { timeout: 180_000 }, async (f) => {
    const loaded = await loadScenarioFile(`scenarios/${f}`);
    if (!loaded.ok) throw new Error(loaded.error.message);
    // Sensors as the CLI builds them (sim: rendering camera + simulated Ouster; SITL: its MAVLink
    // camera on the vehicle's link), so sensor expectations are compared, not two missing factories.
    const sim = await runScenario(loaded.value, { backend: simBackend, sensorFactory: sensorPortFactory });
    const sitl = await runScenario(loaded.value, { backend: sitlBackend(40), sensorFactory: sensorPortFactory });
    expect(sim.report.passed, `${f} passes on the simulator`).toBe(true);
    const verdicts = (r: typeof sim) => r.report.expectations.map((e) => `${e.kind} ${e.vehicle ?? '*'}: ${e.passed ? 'PASS' : `FAIL (${e.reason})`}`);
    expect(verdicts(sitl)).toEqual(verdicts(sim));
    expect(sitl.report.passed).toBe(sim.report.passed);
    // Same mission outcome per vehicle, too.
    for (const [id, v] of Object.entries(sim.report.vehicles)) expect(sitl.report.vehicles[id]!.mission.status, id).toBe(v.mission.status);
  });
});
