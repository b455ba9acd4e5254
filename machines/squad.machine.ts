/**
 * A squad: a supervisor of up to a few dozen vehicle and mission actors (the fleet root spreads
 * vehicles over squads so that no actor has thousands of children — XState copies a parent's
 * children map on every spawn and stop).
 *
 * @remarks
 * Supervision: when a child actor fails (an exception inside it — expected failures are values
 * and never get here), the squad records it and respawns the child with the same id and input
 * after an exponential backoff (`restartBase_ms · 2^n`, capped at `restartMax_ms`), so a failure
 * is reported and recovered, never silently lost. The runtime re-syncs a restarted vehicle actor
 * from its port and restores a restarted mission actor where the failed one was.
 */
import { assign, emit, enqueueActions, setup, type AnyActorRef } from 'xstate';
import { missionMachine, type MissionInput } from './mission.machine.js';
import { vehicleMachine, type VehicleInput } from './vehicle.machine.js';

export type ChildKind = 'vehicle' | 'mission';

export interface ChildSpec {
  readonly kind: ChildKind;
  readonly id: string;
  readonly input: VehicleInput | MissionInput;
}

export interface SquadContext {
  children: Record<string, ChildSpec>;
  restarts: Record<string, number>;
  failures: { id: string; error: string; restart: number }[];
  readonly restartBase_ms: number;
  readonly restartMax_ms: number;
}

export type SquadEvent =
  | { type: 'FLEET.ADD_VEHICLE'; id: string; input: VehicleInput }
  | { type: 'FLEET.ADD_MISSION'; id: string; input: MissionInput }
  | { type: 'FLEET.REMOVE'; id: string }
  | { type: 'FLEET.RESTART'; id: string }
  | { type: `xstate.error.actor.${string}`; error: unknown };

export type SquadEmitted =
  | { type: 'child.failed'; id: string; error: string; restartIn_ms: number }
  | { type: 'child.restarted'; id: string; restart: number }
  | { type: 'child.spawned'; id: string; kind: ChildKind };

export interface SquadInput {
  readonly restartBase_ms?: number;
  readonly restartMax_ms?: number;
}

/** Actor ids of a vehicle's actors in the system (`system.get(id)`). */
export const vehicleActorId = (vehicle: string) => `vehicle:${vehicle}`;
export const missionActorId = (vehicle: string) => `mission:${vehicle}`;

const ERROR_PREFIX = 'xstate.error.actor.';

export const squadMachine = setup({
  types: {
    context: {} as SquadContext,
    events: {} as SquadEvent,
    input: {} as SquadInput,
    emitted: {} as SquadEmitted,
  },
  actors: { vehicle: vehicleMachine, mission: missionMachine },
  actions: {
    spawn: enqueueActions(({ enqueue }, spec: ChildSpec) => {
      if (spec.kind === 'vehicle')
        enqueue.spawnChild('vehicle', { id: spec.id, systemId: spec.id, input: spec.input as VehicleInput });
      else enqueue.spawnChild('mission', { id: spec.id, systemId: spec.id, input: spec.input as MissionInput });
      enqueue.emit({ type: 'child.spawned', id: spec.id, kind: spec.kind });
    }),
  },
}).createMachine({
  id: 'squad',
  context: ({ input }) => ({
    children: {},
    restarts: {},
    failures: [],
    restartBase_ms: input.restartBase_ms ?? 500,
    restartMax_ms: input.restartMax_ms ?? 30_000,
  }),
  initial: 'running',
  states: {
    running: {
      on: {
        'FLEET.ADD_VEHICLE': {
          guard: ({ context, event }) => !context.children[event.id],
          actions: [
            assign({
              children: ({ context, event }) => ({ ...context.children, [event.id]: { kind: 'vehicle', id: event.id, input: event.input } }),
            }),
            { type: 'spawn', params: ({ event }) => ({ kind: 'vehicle' as const, id: event.id, input: event.input }) },
          ],
        },
        'FLEET.ADD_MISSION': {
          guard: ({ context, event }) => !context.children[event.id],
          actions: [
            assign({
              children: ({ context, event }) => ({ ...context.children, [event.id]: { kind: 'mission', id: event.id, input: event.input } }),
            }),
            { type: 'spawn', params: ({ event }) => ({ kind: 'mission' as const, id: event.id, input: event.input }) },
          ],
        },
        'FLEET.REMOVE': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            enqueue.stopChild(event.id);
            const { [event.id]: _gone, ...children } = context.children;
            enqueue.assign({ children });
          }),
        },
        'FLEET.RESTART': {
          guard: ({ context, event }) => Boolean(context.children[event.id]),
          actions: enqueueActions(({ context, event, enqueue }) => {
            const spec = context.children[event.id]!;
            enqueue.stopChild(spec.id);
            enqueue({ type: 'spawn', params: spec });
            enqueue.emit({ type: 'child.restarted', id: spec.id, restart: context.restarts[spec.id] ?? 0 });
          }),
        },
        '*': {
          guard: ({ event }) => event.type.startsWith(ERROR_PREFIX),
          actions: enqueueActions(({ context, event, enqueue }) => {
            const id = event.type.slice(ERROR_PREFIX.length);
            if (!context.children[id]) return;
            const n = (context.restarts[id] ?? 0) + 1;
            const delay = Math.min(context.restartBase_ms * 2 ** (n - 1), context.restartMax_ms);
            const error = describeError((event as { error?: unknown }).error);
            enqueue.assign({
              restarts: { ...context.restarts, [id]: n },
              failures: [...context.failures, { id, error, restart: n }],
            });
            enqueue.emit({ type: 'child.failed', id, error, restartIn_ms: delay });
            enqueue.raise({ type: 'FLEET.RESTART', id }, { delay, id: `restart:${id}` });
          }),
        },
      },
    },
  },
});

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return typeof error === 'string' ? error : JSON.stringify(error) ?? String(error);
}

export type SquadMachine = typeof squadMachine;
export type { AnyActorRef };
