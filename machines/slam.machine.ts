/**
 * The SLAM statechart, one per vehicle: idle → initializing → tracking ⇄ lost → stopped, with
 * relocalization from lost and reset from anywhere running.
 *
 * @remarks
 * Pure (STYLE §1). Starting, stopping, resetting and relocalizing the estimator are named
 * `fromPromise` actors the runtime provides over the SLAM port (hardware/slam.port.ts); leaving a
 * state aborts its actor's signal. The estimator's pose stream arrives as `SLAM.POSE` events
 * carrying its own verdict on the registration (`ok`); the machine decides tracking ⇄ lost with
 * hysteresis (`lostAfter` bad poses in a row, `recoverAfter` good ones), so one noisy scan does
 * not flap the state. Context holds plain values only (serialisable snapshots).
 */
import { assign, fromPromise, setup } from 'xstate';

export type SlamStatus = 'idle' | 'initializing' | 'tracking' | 'lost' | 'relocalizing' | 'stopped';

/** A pose as the machine keeps it: map frame (ENU-free: the estimator's own map frame), SI. */
export interface SlamPoseSample {
  /** Sim/clock time of the scan, ms. */
  readonly t_ms: number;
  /** Position in the map frame, m. */
  readonly position_m: readonly [number, number, number];
  /** Orientation in the map frame, unit quaternion w,x,y,z. */
  readonly orientation: readonly [number, number, number, number];
}

export interface SlamLimits {
  /** Bad registrations in a row before tracking is declared lost (default 3). */
  readonly lostAfter: number;
  /** Good registrations in a row before lost recovers by itself (default 3). */
  readonly recoverAfter: number;
  /** How long initializing may wait for the first good pose, ms (default 5000). */
  readonly initTimeout_ms: number;
}

export interface SlamContext {
  readonly vehicleId: string;
  readonly limits: SlamLimits;
  lastPose?: SlamPoseSample;
  /** Good poses since start/reset. */
  poses: number;
  badInARow: number;
  goodInARow: number;
  /** Times tracking was lost since start. */
  losses: number;
  /** Why the last start, reset or relocalization failed, or why tracking was lost (dotted code). */
  reason?: string;
}

/** A relocalization hint: where the vehicle probably is in the map frame. */
export interface SlamRelocalizeHint {
  readonly position_m: readonly [number, number, number];
  readonly yaw_rad?: number;
}

export type SlamEvent =
  | { type: 'START' }
  | { type: 'STOP' }
  | { type: 'RESET' }
  | { type: 'RELOCALIZE'; hint?: SlamRelocalizeHint }
  /** One registered scan from the estimator; `ok` = the registration converged and is trusted. */
  | { type: 'SLAM.POSE'; pose: SlamPoseSample; ok: boolean; reason?: string };

export interface SlamOpInput {
  readonly vehicleId: string;
  readonly hint?: SlamRelocalizeHint;
}

/** Placeholder: the runtime provides the real operation (`machine.provide({ actors })`). */
const notProvided = (op: string) => fromPromise<void, SlamOpInput>(async () => {
  throw new Error(`SLAM.${op.toUpperCase()}_NOT_PROVIDED`);
});

const errorCode = (e: unknown, fallback: string): string => (e instanceof Error && /^[A-Z_]+\.[A-Z_.]+$/.test(e.message) ? e.message : fallback);

export const DEFAULT_SLAM_LIMITS: SlamLimits = { lostAfter: 3, recoverAfter: 3, initTimeout_ms: 5000 };

export const slamMachine = setup({
  types: {
    context: {} as SlamContext,
    events: {} as SlamEvent,
    input: {} as { vehicleId: string; limits?: Partial<SlamLimits> },
  },
  actors: {
    startSlam: notProvided('start'),
    stopSlam: notProvided('stop'),
    resetSlam: notProvided('reset'),
    relocalizeSlam: notProvided('relocalize'),
  },
  delays: {
    initTimeout: ({ context }) => context.limits.initTimeout_ms,
  },
  guards: {
    poseOk: ({ event }) => event.type === 'SLAM.POSE' && event.ok,
    recovered: ({ context, event }) => event.type === 'SLAM.POSE' && event.ok && context.goodInARow + 1 >= context.limits.recoverAfter,
    lostNow: ({ context, event }) => event.type === 'SLAM.POSE' && !event.ok && context.badInARow + 1 >= context.limits.lostAfter,
  },
  actions: {
    clearCounters: assign({ badInARow: 0, goodInARow: 0 }),
    freshRun: assign({ poses: 0, badInARow: 0, goodInARow: 0, lastPose: undefined, reason: undefined }),
    countGood: assign(({ context, event }) => {
      if (event.type !== 'SLAM.POSE') return {};
      return { lastPose: event.pose, poses: context.poses + 1, goodInARow: context.goodInARow + 1, badInARow: 0 };
    }),
    countBad: assign(({ context, event }) => {
      if (event.type !== 'SLAM.POSE') return {};
      return { badInARow: context.badInARow + 1, goodInARow: 0, reason: event.reason ?? 'SLAM.REGISTRATION_FAILED' };
    }),
    countLoss: assign(({ context }) => ({ losses: context.losses + 1 })),
  },
}).createMachine({
  id: 'slam',
  context: ({ input }) => ({
    vehicleId: input.vehicleId,
    limits: { ...DEFAULT_SLAM_LIMITS, ...input.limits },
    poses: 0,
    badInARow: 0,
    goodInARow: 0,
    losses: 0,
  }),
  initial: 'idle',
  states: {
    idle: {
      on: { START: 'initializing' },
    },
    initializing: {
      entry: 'freshRun',
      invoke: {
        src: 'startSlam',
        input: ({ context }) => ({ vehicleId: context.vehicleId }),
        onError: {
          target: 'idle',
          actions: assign({ reason: ({ event }) => errorCode(event.error, 'SLAM.START_FAILED') }),
        },
      },
      after: { initTimeout: { target: 'idle', actions: assign({ reason: 'SLAM.INIT_TIMEOUT' }) } },
      on: {
        'SLAM.POSE': [
          { guard: 'poseOk', target: 'tracking', actions: 'countGood' },
          { actions: 'countBad' },
        ],
        STOP: 'stopped',
      },
    },
    tracking: {
      entry: 'clearCounters',
      on: {
        'SLAM.POSE': [
          { guard: 'lostNow', target: 'lost', actions: ['countBad', 'countLoss'] },
          { guard: 'poseOk', actions: 'countGood' },
          { actions: 'countBad' },
        ],
        STOP: 'stopped',
        RESET: 'resetting',
      },
    },
    lost: {
      entry: 'clearCounters',
      on: {
        'SLAM.POSE': [
          { guard: 'recovered', target: 'tracking', actions: 'countGood' },
          { guard: 'poseOk', actions: 'countGood' },
          { actions: 'countBad' },
        ],
        RELOCALIZE: 'relocalizing',
        STOP: 'stopped',
        RESET: 'resetting',
      },
    },
    relocalizing: {
      invoke: {
        src: 'relocalizeSlam',
        input: ({ context, event }) => ({ vehicleId: context.vehicleId, ...(event.type === 'RELOCALIZE' && event.hint ? { hint: event.hint } : {}) }),
        onDone: { target: 'tracking', actions: assign({ reason: undefined }) },
        onError: { target: 'lost', actions: assign({ reason: ({ event }) => errorCode(event.error, 'SLAM.RELOCALIZE_FAILED') }) },
      },
      on: { STOP: 'stopped', RESET: 'resetting' },
    },
    resetting: {
      invoke: {
        src: 'resetSlam',
        input: ({ context }) => ({ vehicleId: context.vehicleId }),
        // A reset estimator starts from an empty map: initialize again (its start is idempotent).
        onDone: 'initializing',
        onError: { target: 'lost', actions: assign({ reason: ({ event }) => errorCode(event.error, 'SLAM.RESET_FAILED') }) },
      },
      on: { STOP: 'stopped' },
    },
    stopped: {
      invoke: {
        src: 'stopSlam',
        input: ({ context }) => ({ vehicleId: context.vehicleId }),
        onError: { actions: assign({ reason: ({ event }) => errorCode(event.error, 'SLAM.STOP_FAILED') }) },
      },
      on: { START: 'initializing' },
    },
  },
});

/** The machine's state as the public status string. */
export function slamStatus(value: unknown): SlamStatus {
  return (value === 'resetting' ? 'initializing' : value) as SlamStatus;
}
