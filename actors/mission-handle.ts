/**
 * The operator's handle on one vehicle's mission actor: load, start, pause, resume, abort — each
 * answered at once with a result value that REST and the bridge both pass on.
 *
 * @remarks
 * The mission is validated once, here at the edge ({@link checkMissionLoad} against the
 * actor's own limits), and the machine receives the validated result (`LOAD.CHECKED`), so the
 * answer the caller gets is the decision the machine makes. Whether the current state accepts
 * a request is asked of the machine itself (`snapshot.can(event)`), never restated here.
 * XState processes an event sent to an idle actor synchronously, so the returned status is the
 * status after the request.
 *
 * @example
 * const r = twin.mission('drone1').load(body, req.id);
 * if (!r.ok) reply.code(r.error.code === 'MISSION.INVALID' ? 422 : 409).send(r.error);
 */
import type { FieldIssue, Mission } from '../core/mission.js';
import { checkMissionLoad, type MissionContext, type MissionEvent, type MissionStatus } from '../machines/mission.machine.js';
import { missionActorId } from '../machines/fleet.machine.js';
import type { AppendFn, ChildWatch } from './internal/child-watch.js';
import { topStatus } from './internal/state-path.js';

export type MissionRequestErrorCode =
  /** The mission failed validation (shape, unset positions, altitude limits, fence): see `fields`. */
  | 'MISSION.INVALID'
  /** LOAD while a mission is LOADED, RUNNING or PAUSED: abort it (or let it finish) first. */
  | 'MISSION.BUSY'
  /** START/PAUSE/RESUME/ABORT that the current state does not accept (e.g. PAUSE while IDLE). */
  | 'MISSION.NOT_ALLOWED'
  /** The mission actor is being restarted by its supervisor; try again shortly. */
  | 'MISSION.UNAVAILABLE';

/**
 * The answer to a mission request. `status` is the mission status after the request (on a
 * refusal: unchanged).
 */
export type MissionRequestResult =
  | { readonly ok: true; readonly status: MissionStatus }
  | {
      readonly ok: false;
      readonly status: MissionStatus;
      readonly error: { readonly code: MissionRequestErrorCode; readonly message: string; readonly fields?: readonly FieldIssue[] };
    };

export interface MissionHandle {
  /** Validates and loads a mission (accepted in IDLE, COMPLETED, ABORTED, FAILED). */
  load(mission: Mission | unknown, cid?: string): MissionRequestResult;
  /** Starts the loaded mission (also while it is still uploading: it starts once uploaded). */
  start(cid?: string): MissionRequestResult;
  pause(cid?: string): MissionRequestResult;
  resume(cid?: string): MissionRequestResult;
  abort(reason?: string, cid?: string): MissionRequestResult;
  status(): MissionStatus;
  context(): MissionContext;
}

/** Builds the handle of `vehicle`'s mission actor; requests are logged with their cid. */
export function createMissionHandle(vehicle: string, children: ChildWatch, append: AppendFn): MissionHandle {
  const source = missionActorId(vehicle);
  const status = (): MissionStatus => {
    const snap = children.missionRef(vehicle)?.getSnapshot();
    return snap ? topStatus(snap.value) : 'IDLE';
  };
  const refuse = (code: MissionRequestErrorCode, message: string, cid?: string, fields?: readonly FieldIssue[]): MissionRequestResult => {
    append(source, 'request.refused', { code }, cid);
    return { ok: false, status: status(), error: { code, message, ...(fields ? { fields } : {}) } };
  };

  /** Logs the request, asks the machine whether it takes it, and sends it if so. */
  const request = (type: string, event: MissionEvent, cid?: string): MissionRequestResult | undefined => {
    append(source, 'request', { type }, cid);
    const ref = children.missionRef(vehicle);
    if (!ref) return refuse('MISSION.UNAVAILABLE', `the mission actor of ${vehicle} is restarting`, cid);
    const snap = ref.getSnapshot();
    if (!snap.can(event)) return undefined;
    ref.send(event);
    return { ok: true, status: status() };
  };

  const simple = (type: 'START' | 'PAUSE' | 'RESUME' | 'ABORT', event: MissionEvent, cid?: string): MissionRequestResult =>
    request(type, event, cid) ?? refuse('MISSION.NOT_ALLOWED', `${type} is not accepted while the mission is ${status()}`, cid);

  return {
    load(mission, cid) {
      const ref = children.missionRef(vehicle);
      const check = checkMissionLoad(mission, ref?.getSnapshot().context.limits ?? {});
      const sent = request('LOAD', { type: 'LOAD.CHECKED', check }, cid);
      // Invalid is the answer whether or not the state would take a mission (the machine, when
      // it took the event, recorded the same issues as its reason).
      if (!check.ok && (sent?.ok || (!sent && ref))) return refuse('MISSION.INVALID', check.reason, cid, check.issues);
      if (sent) return sent;
      return refuse('MISSION.BUSY', `the mission on ${vehicle} is ${status()}; a mission loads when IDLE, COMPLETED, ABORTED or FAILED`, cid);
    },
    start: (cid) => simple('START', { type: 'START' }, cid),
    pause: (cid) => simple('PAUSE', { type: 'PAUSE' }, cid),
    resume: (cid) => simple('RESUME', { type: 'RESUME' }, cid),
    abort: (reason, cid) => simple('ABORT', { type: 'ABORT', reason }, cid),
    status,
    context: () => children.missionRef(vehicle)!.getSnapshot().context,
  };
}
