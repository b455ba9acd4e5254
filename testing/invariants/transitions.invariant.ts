/**
 * Only legal state changes: every `state` entry of a vehicle or mission actor in the event log
 * must follow from the previous one by a transition of the machine's own definition
 * (machines/vehicle.machine.ts, machines/mission.machine.ts), per region.
 */
import { missionMachine } from '../../machines/mission.machine.js';
import { vehicleMachine } from '../../machines/vehicle.machine.js';
import { machineGraph, regionLeaves, type MachineGraph } from './machine-graph.js';
import { OK, secs, violated, type Invariant } from './invariant.js';

let graphs: { vehicle: MachineGraph; mission: MachineGraph } | undefined;
/** Derived once per process: the machines do not change at run time. */
export function machineGraphs(): { vehicle: MachineGraph; mission: MachineGraph } {
  graphs ??= { vehicle: machineGraph(vehicleMachine), mission: machineGraph(missionMachine, new Set(['RESTORE'])) };
  return graphs;
}

export const legalTransitionsInvariant: Invariant = {
  name: 'legal_transitions',
  description: 'every logged vehicle and mission state change is a transition of the machine definitions',
  check(f) {
    const g = machineGraphs();
    const last = new Map<string, Map<string, string>>();
    const restarted = new Set<string>();
    for (const e of f.log) {
      // A restarted child starts over from its initial state, or — a mission actor the twin
      // restores — from where the failed one was: its first state is not a transition.
      if (e.source === 'fleet' && e.type === 'child.restarted') {
        last.delete(String(e.data?.id));
        restarted.add(String(e.data?.id));
        continue;
      }
      if (e.type !== 'state') continue;
      const kind = e.source.startsWith('vehicle:') ? 'vehicle' : e.source.startsWith('mission:') ? 'mission' : undefined;
      if (!kind) continue;
      const graph = g[kind];
      const now = regionLeaves(graph, String(e.data?.value ?? ''));
      const before = last.get(e.source);
      if (!before && restarted.delete(e.source)) {
        last.set(e.source, now);
        continue;
      }
      for (const region of graph.regions) {
        const to = now.get(region);
        if (to === undefined || !graph.next.has(to)) return violated(`${e.source}: unknown state '${String(e.data?.value)}' at ${secs(e.t_ms)}`);
        // The first logged state follows the initial one (or is it).
        const from = before?.get(region) ?? graph.initial.get(region)!;
        if (from === to) continue;
        if (!graph.next.get(from)?.has(to))
          return violated(`${e.source}: ${from} → ${to} at ${secs(e.t_ms)} is not a transition of the ${kind} machine`);
      }
      last.set(e.source, now);
    }
    return OK;
  },
};
