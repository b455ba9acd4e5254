/**
 * A large run leaves no noise on the console: Node's MaxListenersExceededWarning (one abort
 * listener per vehicle on the run's shared signals) was printed for every fleet above ten drones.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../actors/scenario/scenario.runner.js';
import { ScenarioSchema } from '../../actors/scenario/scenario.schema.js';
import { fleetScenario } from '../../bench/internal/fleet-scenario.js';

describe('process warnings', () => {
  it('a 40-drone fleet with faults runs without a single Node process warning', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const input = fleetScenario(40, 20);
      const scenario = ScenarioSchema.parse({
        ...input,
        faults: input.vehicles.map((v, i) => ({ at_s: 5 + (i % 10), vehicle: v.id, fault: { kind: 'wind_gust', speed_mps: 3, direction_deg: 90, duration_s: 2 } })),
      });
      const { report } = await runScenario(scenario);
      expect(report.simulatedSeconds).toBeGreaterThanOrEqual(20);
      await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toEqual([]);
  });
});
