/**
 * A squad: a supervisor of the actors of up to a few dozen vehicles — vehicle, mission, sensors:
 * any kind in {@link childKinds} (the fleet root spreads vehicles over squads so that no actor
 * has thousands of children — XState copies a parent's children map on every spawn and stop).
 *
 * @remarks
 * Supervision: when a child actor fails (an exception inside it — expected failures are values
 * and never get here), the squad records it and respawns the child with the same id and input
 * after an exponential backoff (`restartBase_ms · 2^n`, capped at `restartMax_ms`), so a failure
 * is reported and recovered, never silently lost. The runtime re-syncs a restarted vehicle actor
 * from its port, restores a restarted mission actor where the failed one was, and reconnects a
 * restarted sensor actor.
 */
import { enqueueActions, setup, type AnyActorRef, type InputFrom } from 'xstate';
import { missionMachine, type MissionInput } from './mission.machine.js';
import { sensorMachine } from './sensor.machine.js';
import { slamMachine } from './slam.machine.js';
import { vehicleMachine, type VehicleInput } from './vehicle.machine.js';

/**
 * The kinds of child a squad spawns and supervises: kind name → machine. Adding a kind (SLAM is
 * next) is one entry here and one binding in the runtime (`actors/child-kinds.ts`); nothing else
 * in the squad or the fleet knows which kinds exist.
 */
export const childKinds = { vehicle: vehicleMachine, mission: missionMachine, sensor: sensorMachine, slam: slamMachine } as const;

export type ChildKind = keyof typeof childKinds;
export type ChildInput<K extends ChildKind = ChildKind> = InputFrom<(typeof childKinds)[K]>;

/** One supervised child: what to spawn again after a failure. */
export type ChildSpec = { [K in ChildKind]: { readonly kind: K; readonly id: string; readonly input: ChildInput<K> } }[ChildKind];

export interface SquadContext {
  children: Record<string, ChildSpec>;
  restarts: Record<string, number>;
  failures: { id: string; error: string; restart: number }[];
  readonly restartBase_ms: number;
  readonly restartMax_ms: number;
}

/** Adds a child of any kind; `group` (e.g. the vehicle's actor id) keeps related children in one squad. */
export type AddChildEvent = { type: 'FLEET.ADD'; group?: string } & ChildSpec;

export type SquadEvent =
  | AddChildEvent
  /** Older spellings of `FLEET.ADD` for the two first kinds. */
  | { type: 'FLEET.ADD_VEHICLE'; id: string; input: VehicleInput; group?: string }
  | { type: 'FLEET.ADD_MISSION'; id: string; input: MissionInput; group?: string }
  | { type: 'FLEET.REMOVE'; id: string }
  | { type: 'FLEET.RESTART'; id: string }
  | { type: `xstate.error.actor.${string}`; error: unknown };

export type SquadEmitted =
  | { type: 'child.failed'; id: string; kind: ChildKind; error: string; restartIn_ms: number }
  | { type: 'child.restarted'; id: string; kind: ChildKind; restart: number }
  | { type: 'child.spawned'; id: string; kind: ChildKind };

export interface SquadInput {
  readonly restartBase_ms?: number;
  readonly restartMax_ms?: number;
}

/** Actor ids of a vehicle's actors in the system (`system.get(id)`). */
export const vehicleActorId = (vehicle: string) => `vehicle:${vehicle}`;
export const missionActorId = (vehicle: string) => `mission:${vehicle}`;
export const sensorActorId = (vehicle: string, sensor: string) => `sensor:${vehicle}/${sensor}`;
export const slamActorId = (vehicle: string) => `slam:${vehicle}`;

/** The child spec an add event describes (any spelling). */
export function specOfAdd(event: AddChildEvent | Extract<SquadEvent, { type: 'FLEET.ADD_VEHICLE' | 'FLEET.ADD_MISSION' }>): ChildSpec {
  if (event.type === 'FLEET.ADD_VEHICLE') return { kind: 'vehicle', id: event.id, input: event.input };
  if (event.type === 'FLEET.ADD_MISSION') return { kind: 'mission', id: event.id, input: event.input };
  return { kind: event.kind, id: event.id, input: event.input } as ChildSpec;
}

/** One generic spawn: the kind names the (provided) actor logic in {@link childKinds}. */
function spawnChildOf(
  enqueue: { spawnChild: unknown; emit: (e: SquadEmitted) => void },
  spec: ChildSpec,
): void {
  (enqueue.spawnChild as (src: ChildKind, o: { id: string; systemId: string; input: unknown }) => void)(spec.kind, {
    id: spec.id,
    systemId: spec.id,
    input: spec.input,
  });
  enqueue.emit({ type: 'child.spawned', id: spec.id, kind: spec.kind });
}

const ERROR_PREFIX = 'xstate.error.actor.';

export const squadMachine = setup({
  types: {
    context: {} as SquadContext,
    events: {} as SquadEvent,
    input: {} as SquadInput,
    emitted: {} as SquadEmitted,
  },
  actors: childKinds,
  actions: {
    spawn: enqueueActions(({ enqueue }, spec: ChildSpec) => spawnChildOf(enqueue, spec)),
    add: enqueueActions(({ context, event, enqueue }) => {
      const spec = specOfAdd(event as AddChildEvent);
      if (context.children[spec.id]) return;
      enqueue.assign({ children: { ...context.children, [spec.id]: spec } });
      spawnChildOf(enqueue, spec);
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
        'FLEET.ADD': { actions: 'add' },
        'FLEET.ADD_VEHICLE': { actions: 'add' },
        'FLEET.ADD_MISSION': { actions: 'add' },
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
            enqueue.emit({ type: 'child.restarted', id: spec.id, kind: spec.kind, restart: context.restarts[spec.id] ?? 0 });
          }),
        },
        '*': {
          guard: ({ event }) => event.type.startsWith(ERROR_PREFIX),
          actions: enqueueActions(({ context, event, enqueue }) => {
            const id = event.type.slice(ERROR_PREFIX.length);
            const spec = context.children[id];
            if (!spec) return;
            const n = (context.restarts[id] ?? 0) + 1;
            const delay = Math.min(context.restartBase_ms * 2 ** (n - 1), context.restartMax_ms);
            const error = describeError((event as { error?: unknown }).error);
            enqueue.assign({
              restarts: { ...context.restarts, [id]: n },
              failures: [...context.failures, { id, error, restart: n }],
            });
            enqueue.emit({ type: 'child.failed', id, kind: spec.kind, error, restartIn_ms: delay });
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
