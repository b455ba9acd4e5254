/**
 * The mission statechart: IDLE → LOADED → RUNNING ⇄ PAUSED → COMPLETED | ABORTED | FAILED.
 *
 * @remarks
 * Pure (STYLE §1). The vehicle side effects — upload, launch (arm + start), pause (hold),
 * resume, abort (RTL) — are named `fromPromise` actors the runtime provides; leaving a state
 * aborts its actor's signal. Progress keeps the original OverWatch status shape
 * `{current_waypoint, total_waypoints, percent_complete}`, and only ever moves forward.
 * Terminal states accept a new LOAD, so one mission actor serves a vehicle's whole sortie list.
 */
import { assign, fromPromise, raise, setup } from 'xstate';
import { checkMission, type FieldIssue, type Mission } from '../core/mission.js';
import { pointInPolygonLatLon } from '../core/polygon.js';

export type MissionStatus = 'IDLE' | 'LOADED' | 'RUNNING' | 'PAUSED' | 'COMPLETED' | 'ABORTED' | 'FAILED';

export interface MissionProgress {
  /** Index (0-based) of the item the vehicle is flying to. */
  current_waypoint: number;
  total_waypoints: number;
  /** Items reached / total, 0..100. */
  percent_complete: number;
}

/** Limits a mission is checked against at LOAD; plain data so snapshots persist. */
export interface MissionLimitsData {
  readonly maxAlt_m?: number;
  readonly minAlt_m?: number;
  /** Inclusion fence as a lat/lon polygon. */
  readonly fence?: readonly { lat_deg: number; lon_deg: number }[];
}

export interface MissionContext {
  readonly vehicleId: string;
  readonly limits: MissionLimitsData;
  mission?: Mission;
  progress: MissionProgress;
  reached: number;
  /** Why the mission was rejected, failed or aborted. */
  reason?: string;
  issues: FieldIssue[];
  startRequested: boolean;
  /** Set by RESTORE until the restored state is left: its entry operation must not re-run. */
  restored?: boolean;
}

/**
 * A mission checked against a vehicle's limits: the one validation of a LOAD, made at the edge
 * ({@link checkMissionLoad}) and carried in `LOAD.CHECKED`, so guards and actions never re-run it.
 */
export type MissionCheck =
  | { readonly ok: true; readonly mission: Mission }
  | { readonly ok: false; readonly issues: readonly FieldIssue[]; readonly reason: string };

/** Validates a mission (shape, then flyability against `limits`): the result LOAD is decided on. */
export function checkMissionLoad(mission: unknown, limits: MissionLimitsData = {}): MissionCheck {
  const { mission: valid, issues } = checkMission(mission, limitsOf(limits));
  if (valid && issues.length === 0) return { ok: true, mission: valid };
  return { ok: false, issues, reason: `mission rejected: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}` };
}

export type MissionEvent =
  /** An unchecked mission: the machine checks it once against its limits (→ `LOAD.CHECKED`). */
  | { type: 'LOAD'; mission: unknown }
  /** A mission already checked with {@link checkMissionLoad} against this actor's limits. */
  | { type: 'LOAD.CHECKED'; check: MissionCheck }
  | { type: 'START' }
  | { type: 'PAUSE' }
  | { type: 'RESUME' }
  | { type: 'ABORT'; reason?: string }
  | { type: 'PORT.MISSION_CURRENT'; seq: number }
  | { type: 'PORT.MISSION_REACHED'; seq: number }
  | { type: 'PORT.MISSION_FINISHED' }
  /** A failsafe (the twin's or the vehicle's own) took the vehicle off the mission. */
  | { type: 'VEHICLE.FAILSAFE'; reason: string }
  /** The vehicle disarmed (landed, crashed) while the mission was not finished. */
  | { type: 'VEHICLE.DISARMED' }
  /**
   * Puts a fresh actor (a supervisor's restart) back where the failed one was, without
   * re-commanding the vehicle. Accepted in IDLE only.
   */
  | { type: 'RESTORE'; status: MissionStatus; mission?: Mission; progress: MissionProgress; reached: number; reason?: string };

export interface MissionInput {
  readonly vehicleId: string;
  readonly limits?: MissionLimitsData;
}

/**
 * Input of every vehicle-side mission operation the runtime provides. `restored`: the state was
 * re-entered to restore a failed actor, the vehicle was already told — do not command it again.
 */
export type MissionOpInput = { vehicleId: string; mission?: Mission; restored?: boolean };
const notProvided = (name: string) =>
  fromPromise<void, MissionOpInput>(async () => {
    throw new Error(`mission.machine: the \`${name}\` actor must be provided by the runtime`);
  });

const errorText = (error: unknown): string =>
  error instanceof Error ? error.message : typeof error === 'string' ? error : JSON.stringify(error);

const emptyProgress = (total = 0): MissionProgress => ({ current_waypoint: 0, total_waypoints: total, percent_complete: 0 });

/** LOAD from IDLE, or from a terminal state for the next sortie. */
const LOAD_AGAIN = {
  LOAD: { actions: 'checkLoad' as const },
  'LOAD.CHECKED': [
    { guard: 'missionValid' as const, target: 'LOADED' as const, actions: 'acceptMission' as const },
    { actions: 'rejectMission' as const },
  ],
};

export const missionMachine = setup({
  types: {
    context: {} as MissionContext,
    events: {} as MissionEvent,
    input: {} as MissionInput,
  },
  actors: {
    upload: notProvided('upload'),
    launch: notProvided('launch'),
    pause: notProvided('pause'),
    resume: notProvided('resume'),
    abort: notProvided('abort'),
  },
  guards: {
    missionValid: ({ event }) => event.type === 'LOAD.CHECKED' && event.check.ok,
    forThisMission: ({ context, event }) =>
      event.type === 'PORT.MISSION_REACHED' || event.type === 'PORT.MISSION_CURRENT'
        ? event.seq >= 0 && event.seq < (context.mission?.items.length ?? 0)
        : true,
  },
  actions: {
    /** The one validation of an unchecked LOAD. */
    checkLoad: raise(({ context, event }) =>
      event.type === 'LOAD'
        ? { type: 'LOAD.CHECKED' as const, check: checkMissionLoad(event.mission, context.limits) }
        : { type: 'LOAD.CHECKED' as const, check: { ok: false as const, issues: [], reason: 'not a LOAD' } },
    ),
    acceptMission: assign(({ event }) => {
      if (event.type !== 'LOAD.CHECKED' || !event.check.ok) return {};
      const { mission } = event.check;
      return {
        mission,
        progress: emptyProgress(mission.items.length),
        reached: 0,
        reason: undefined,
        issues: [],
        startRequested: false,
      };
    }),
    rejectMission: assign(({ event }) => {
      if (event.type !== 'LOAD.CHECKED' || event.check.ok) return {};
      return { issues: [...event.check.issues], reason: event.check.reason };
    }),
    onCurrent: assign(({ context, event }) => {
      if (event.type !== 'PORT.MISSION_CURRENT') return {};
      // Monotonic: a repeated or stale MISSION_CURRENT never moves progress backwards.
      const current = Math.max(context.progress.current_waypoint, event.seq);
      return { progress: { ...context.progress, current_waypoint: current } };
    }),
    onReached: assign(({ context, event }) => {
      if (event.type !== 'PORT.MISSION_REACHED') return {};
      const reached = Math.max(context.reached, event.seq + 1);
      const total = context.progress.total_waypoints;
      return {
        reached,
        progress: {
          current_waypoint: Math.max(context.progress.current_waypoint, Math.min(reached, total - 1)),
          total_waypoints: total,
          percent_complete: total > 0 ? Math.round((reached / total) * 1000) / 10 : 0,
        },
      };
    }),
    complete: assign(({ context }) => ({
      reached: context.progress.total_waypoints,
      progress: {
        current_waypoint: Math.max(0, context.progress.total_waypoints - 1),
        total_waypoints: context.progress.total_waypoints,
        percent_complete: 100,
      },
    })),
    failWith: assign((_, params: { reason: string }) => ({ reason: params.reason })),
    restore: assign(({ event }) => {
      if (event.type !== 'RESTORE') return {};
      return {
        mission: event.mission,
        progress: { ...event.progress },
        reached: event.reached,
        reason: event.reason,
        issues: [],
        startRequested: false,
        restored: true,
      };
    }),
  },
}).createMachine({
  id: 'mission',
  initial: 'IDLE',
  context: ({ input }) => ({
    vehicleId: input.vehicleId,
    limits: input.limits ?? {},
    progress: emptyProgress(),
    reached: 0,
    issues: [],
    startRequested: false,
  }),
  states: {
    IDLE: {
      on: {
        ...LOAD_AGAIN,
        RESTORE: [
          { guard: ({ event }) => event.status === 'LOADED' && !!event.mission, target: 'LOADED.ready', actions: 'restore' },
          { guard: ({ event }) => event.status === 'RUNNING' && !!event.mission, target: 'RUNNING.active', actions: 'restore' },
          { guard: ({ event }) => event.status === 'PAUSED' && !!event.mission, target: 'PAUSED', actions: 'restore' },
          { guard: ({ event }) => event.status === 'COMPLETED', target: 'COMPLETED', actions: 'restore' },
          { guard: ({ event }) => event.status === 'ABORTED', target: 'ABORTED', actions: 'restore' },
          { guard: ({ event }) => event.status === 'FAILED', target: 'FAILED', actions: 'restore' },
        ],
      },
    },
    LOADED: {
      initial: 'uploading',
      on: { ABORT: { target: 'ABORTED', actions: { type: 'failWith', params: ({ event }) => ({ reason: event.reason ?? 'aborted before start' }) } } },
      states: {
        uploading: {
          on: { START: { actions: assign({ startRequested: true }) } },
          invoke: {
            src: 'upload',
            input: ({ context }) => ({ vehicleId: context.vehicleId, mission: context.mission }),
            onDone: [
              { guard: ({ context }) => context.startRequested, target: '#mission.RUNNING' },
              { target: 'ready' },
            ],
            onError: {
              target: '#mission.FAILED',
              actions: { type: 'failWith', params: ({ event }) => ({ reason: `upload failed: ${errorText(event.error)}` }) },
            },
          },
        },
        ready: {
          on: { START: '#mission.RUNNING' },
        },
      },
    },
    RUNNING: {
      initial: 'launching',
      exit: assign({ restored: false }),
      on: {
        'PORT.MISSION_CURRENT': { guard: 'forThisMission', actions: 'onCurrent' },
        'PORT.MISSION_REACHED': { guard: 'forThisMission', actions: 'onReached' },
        'PORT.MISSION_FINISHED': { target: 'COMPLETED', actions: 'complete' },
        PAUSE: 'PAUSED',
        ABORT: { target: 'ABORTED', actions: { type: 'failWith', params: ({ event }) => ({ reason: event.reason ?? 'aborted by operator' }) } },
        'VEHICLE.FAILSAFE': { target: 'FAILED', actions: { type: 'failWith', params: ({ event }) => ({ reason: `failsafe: ${event.reason}` }) } },
        'VEHICLE.DISARMED': { target: 'FAILED', actions: { type: 'failWith', params: () => ({ reason: 'vehicle disarmed before the mission finished' }) } },
      },
      states: {
        launching: {
          invoke: {
            src: 'launch',
            input: ({ context }) => ({ vehicleId: context.vehicleId, mission: context.mission }),
            onDone: 'active',
            onError: {
              target: '#mission.FAILED',
              actions: { type: 'failWith', params: ({ event }) => ({ reason: `launch failed: ${errorText(event.error)}` }) },
            },
          },
          // Disarm events during launch are the vehicle's pre-arm state, not a failure.
          on: { 'VEHICLE.DISARMED': {} },
        },
        resuming: {
          invoke: {
            src: 'resume',
            input: ({ context }) => ({ vehicleId: context.vehicleId, mission: context.mission }),
            onDone: 'active',
            onError: {
              target: '#mission.FAILED',
              actions: { type: 'failWith', params: ({ event }) => ({ reason: `resume failed: ${errorText(event.error)}` }) },
            },
          },
        },
        active: {},
      },
    },
    PAUSED: {
      exit: assign({ restored: false }),
      invoke: {
        src: 'pause',
        input: ({ context }) => ({ vehicleId: context.vehicleId, mission: context.mission, restored: context.restored }),
        onError: {
          target: 'FAILED',
          actions: { type: 'failWith', params: ({ event }) => ({ reason: `pause failed: ${errorText(event.error)}` }) },
        },
      },
      on: {
        RESUME: 'RUNNING.resuming',
        'PORT.MISSION_REACHED': { guard: 'forThisMission', actions: 'onReached' },
        'PORT.MISSION_FINISHED': { target: 'COMPLETED', actions: 'complete' },
        ABORT: { target: 'ABORTED', actions: { type: 'failWith', params: ({ event }) => ({ reason: event.reason ?? 'aborted by operator' }) } },
        'VEHICLE.FAILSAFE': { target: 'FAILED', actions: { type: 'failWith', params: ({ event }) => ({ reason: `failsafe: ${event.reason}` }) } },
        'VEHICLE.DISARMED': { target: 'FAILED', actions: { type: 'failWith', params: () => ({ reason: 'vehicle disarmed while the mission was paused' }) } },
      },
    },
    ABORTED: {
      on: LOAD_AGAIN,
      exit: assign({ restored: false }),
      invoke: {
        src: 'abort',
        input: ({ context }) => ({ vehicleId: context.vehicleId, mission: context.mission, restored: context.restored }),
        // The mission is aborted whatever the vehicle answers; the failure is kept as the reason.
        onError: { actions: assign({ reason: ({ context, event }) => `${context.reason}; abort command failed: ${errorText(event.error)}` }) },
      },
    },
    COMPLETED: {
      on: LOAD_AGAIN,
    },
    FAILED: {
      on: LOAD_AGAIN,
    },
  },
});

function limitsOf(limits: MissionLimitsData) {
  const fence = limits.fence;
  return {
    maxAlt_m: limits.maxAlt_m,
    minAlt_m: limits.minAlt_m,
    inside: fence && fence.length >= 3 ? (lat: number, lon: number) => pointInPolygonLatLon(fence, lat, lon) : undefined,
  };
}

export type MissionMachine = typeof missionMachine;

/** The status message the bridge publishes on `/mission/status` (the original's shape). */
export function missionStatusMessage(status: MissionStatus, context: MissionContext) {
  return {
    mission_id: context.mission?.id ?? null,
    mission_name: context.mission?.name ?? null,
    status,
    progress: { ...context.progress },
    ...(context.reason ? { reason: context.reason } : {}),
  };
}
