/**
 * Reading XState state values for logs, the bus and the public API.
 */
import type { MissionStatus } from '../../machines/mission.machine.js';

/** Dotted state path of a (possibly parallel) state value, for logs and the bus. */
export function statePath(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => {
        const rest = statePath(v);
        return rest ? `${k}.${rest}` : k;
      })
      .join('|');
  }
  return '';
}

/** The mission machine's top-level state, which is its status. */
export function topStatus(value: unknown): MissionStatus {
  return (typeof value === 'string' ? value : Object.keys(value as object)[0]) as MissionStatus;
}
