/**
 * Battery parity (issue 8): the in-process simulator reports the battery as a MAVLink vehicle
 * does (BATTERY_STATUS/SYS_STATUS: whole percent, mV, cA, mAh), so the twin's battery monitor
 * fires at the same sim time on the simulator and on the SITL behind the MAVLink adapter.
 */
import { describe, expect, it } from 'vitest';
import type { VehicleTelemetry } from '../../hardware/vehicle.port.js';
import { loadScenarioFile } from '../../actors/scenario/scenario.loader.js';
import { runScenario, simBackend, sitlBackend, type ScenarioRun } from '../../actors/scenario/scenario.runner.js';
import { makeSim } from '../sim/sim-harness.js';

describe('battery as MAVLink reports it', () => {
  it('the sim port quantises remaining to whole percent, voltage to mV, current to cA, consumed to mAh', async () => {
    const sim = makeSim();
    const seen: VehicleTelemetry[] = [];
    sim.port.subscribeTelemetry((t) => seen.push(t));
    expect((await sim.settle(sim.port.connect())).ok).toBe(true);
    sim.world.injectFault('d1', { kind: 'battery_drop', pct: 33.3 });
    expect((await sim.settle(sim.port.arm())).ok).toBe(true);
    expect((await sim.settle(sim.port.takeoff(10))).ok).toBe(true);
    await sim.clock.advance(5_000);
    expect(seen.length).toBeGreaterThan(10);
    expect(Number.isInteger(sim.world.telemetry('d1').battery.remaining_pct)).toBe(false); // the world keeps the exact value
    const whole = (v: number, scale: number) => Math.abs(v * scale - Math.round(v * scale)) < 1e-9;
    for (const t of [...seen, sim.port.snapshot()!]) {
      const b = t.battery;
      expect([whole(b.remaining_pct, 1), whole(b.voltage_v, 1000), whole(b.current_a, 100), whole(b.consumed_mah, 1)]).toEqual([true, true, true, true]);
    }
    expect(sim.port.snapshot()!.battery.remaining_pct).toBe(Math.round(sim.world.telemetry('d1').battery.remaining_pct));
    await sim.harness.dispose();
  });

  it('battery-drain.yaml: a slow drain past battery-low: the failsafe fires at the same sim time on the simulator and on the SITL (± one telemetry period)', { timeout: 180_000 }, async () => {
    const loaded = await loadScenarioFile('scenarios/battery-drain.yaml');
    if (!loaded.ok) throw new Error(loaded.error.message);
    // The battery drains from arming on; the SITL run arms about a second later (sockets, the
    // mission handshake), so each run is measured from its own arming.
    const at = (r: ScenarioRun) => {
      const armed = r.log.entries.find((e) => e.source === 'drone1' && e.type === 'port.armed' && e.data?.['armed'] === true)?.t_ms;
      const fs = r.log.entries.find((e) => e.source === 'vehicle:drone1' && e.type === 'failsafe' && e.data?.['kind'] === 'battery_low')?.t_ms;
      return armed === undefined || fs === undefined ? undefined : fs - armed;
    };
    const sim = at(await runScenario(loaded.value, { backend: simBackend }));
    const sitl = at(await runScenario(loaded.value, { backend: sitlBackend(40) }));
    expect(sim).toBeDefined();
    expect(sitl).toBeDefined();
    // One SYS_STATUS period on the adapter's onboard link (200 ms) plus one of the sim port's
    // telemetry (100 ms), plus pacing jitter at 40× real time. Before the fix: ~7 s apart.
    expect(Math.abs(sitl! - sim!)).toBeLessThanOrEqual(400);
  });
});
