/**
 * A benchmark fleet: N drones on a 60 m grid, each flying a looping 4-waypoint patrol of its own
 * cell, in gusty wind. Shared by the twin and storage benchmarks so they measure the same load.
 */
import type { ScenarioInput } from '../../actors/scenario/scenario.schema.js';

/** N drones on a grid, each flying a looping 4-waypoint patrol of its own cell. */
export function fleetScenario(n: number, duration_s: number): ScenarioInput {
  const side = Math.ceil(Math.sqrt(n));
  return {
    name: `bench-${n}`,
    seed: 1,
    duration_s,
    stop_when_done: false,
    world: { origin: 'home', wind: { speed_mps: 4, direction_deg: 250, gust_sd_mps: 1 } },
    vehicles: Array.from({ length: n }, (_, i) => {
      const n0 = Math.floor(i / side) * 60;
      const e0 = (i % side) * 60;
      return {
        id: `d${i}`,
        spawn: { north: n0, east: e0 },
        mission: {
          type: 'waypoints' as const,
          end: 'hold' as const,
          waypoints: [
            { north: n0 + 40, east: e0, alt: 30 },
            { north: n0 + 40, east: e0 + 40, alt: 30 },
            { north: n0, east: e0 + 40, alt: 30 },
            { north: n0, east: e0, alt: 30 },
          ],
        },
      };
    }),
  };
}
