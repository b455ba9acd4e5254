/**
 * Invariants on the missions as the event log records them: progress only moves forward, and
 * every mission ends — COMPLETED, or ABORTED / FAILED with its reason recorded.
 */
import { everyVehicle, OK, secs, violated, type Invariant } from './invariant.js';

export const missionProgressInvariant: Invariant = {
  name: 'mission_progress',
  description: "a mission's progress (current waypoint, percent complete) never moves backwards",
  check(f) {
    return everyVehicle(f, (id) => {
      const source = `mission:${id}`;
      let pct = -Infinity;
      let current = -Infinity;
      for (const e of f.log) {
        if (e.source !== source) continue;
        // A new LOAD starts a new mission: progress starts over.
        if (e.type === 'state' && String(e.data?.value ?? '').startsWith('LOADED')) {
          pct = -Infinity;
          current = -Infinity;
        } else if (e.type === 'progress') {
          const p = Number(e.data?.percent_complete);
          const c = Number(e.data?.current_waypoint);
          if (p < pct) return violated(`${id}: progress fell from ${pct} % to ${p} % at ${secs(e.t_ms)}`);
          if (c < current) return violated(`${id}: current waypoint went back from ${current} to ${c} at ${secs(e.t_ms)}`);
          pct = p;
          current = c;
        }
      }
      return OK;
    });
  },
};

export const missionOutcomeInvariant: Invariant = {
  name: 'mission_outcome',
  description: 'every mission ends COMPLETED, or ABORTED / FAILED with a recorded reason',
  check(f) {
    return everyVehicle(f, (id) => {
      if (!f.scenario.vehicles.find((v) => v.id === id)?.mission) return OK;
      let last: (typeof f.log)[number] | undefined;
      for (const e of f.log) if (e.source === `mission:${id}` && e.type === 'state') last = e;
      const value = String(last?.data?.value ?? 'IDLE');
      if (value === 'COMPLETED') return OK;
      if (value === 'ABORTED' || value === 'FAILED') {
        const reason = last?.data?.reason;
        return typeof reason === 'string' && reason.trim() !== '' ? OK : violated(`${id}: mission ${value} at ${secs(last!.t_ms)} without a recorded reason`);
      }
      return violated(`${id}: mission still ${value} when the run ended at ${secs(f.end_ms)}`);
    });
  },
};
