/**
 * Loading a mission into a vehicle's mission actor, answered as a result both the REST API and
 * the bridge give the caller: `{ ok: true, status }` once the machine took it, or a coded
 * refusal with the machine's field reasons.
 *
 * @remarks
 * `twin.mission(v).load(...)` is becoming a function that returns this result itself; until
 * then (it returned nothing) the outcome is read from the mission actor right after the event,
 * which XState processes synchronously.
 */
import type { Twin } from '../actors/twin.js';
import type { FieldIssue } from '../core/mission.js';
import type { MissionStatus } from '../machines/mission.machine.js';

export type LoadOutcome =
  | { readonly ok: true; readonly status: MissionStatus }
  | { readonly ok: false; readonly error: { readonly code: string; readonly message: string; readonly fields?: readonly FieldIssue[] } };

const TAKES_LOAD: ReadonlySet<MissionStatus> = new Set(['IDLE', 'COMPLETED', 'ABORTED', 'FAILED']);

function isOutcome(v: unknown): v is LoadOutcome {
  if (v === null || typeof v !== 'object' || typeof (v as { ok?: unknown }).ok !== 'boolean') return false;
  return (v as { ok: boolean }).ok ? typeof (v as { status?: unknown }).status === 'string' : typeof (v as { error?: { code?: unknown } }).error?.code === 'string';
}

/** Loads `mission` on `vehicle` (correlation id `cid`) and says whether the machine took it. */
export function loadMission(twin: Twin, vehicle: string, mission: unknown, cid?: string): LoadOutcome {
  const handle = twin.mission(vehicle);
  const before = handle.status();
  if (!TAKES_LOAD.has(before)) return { ok: false, error: { code: 'MISSION.BUSY', message: `the mission on ${vehicle} is ${before}; a mission loads when idle or finished` } };
  const returned: unknown = handle.load(mission, cid);
  if (isOutcome(returned)) return returned;
  const status = handle.status();
  if (status === 'LOADED') return { ok: true, status };
  const ctx = handle.context() as { reason?: string; issues?: readonly FieldIssue[] };
  return {
    ok: false,
    error: { code: 'MISSION.REJECTED', message: ctx.reason ?? 'the mission machine rejected the mission', ...(ctx.issues?.length ? { fields: ctx.issues } : {}) },
  };
}
