/**
 * The fleet statechart: the root actor. It spreads the fleet's vehicle and mission actors over
 * squads of `squadSize` vehicles; each squad spawns and supervises its own (squad.machine.ts).
 *
 * @remarks
 * Why squads: XState copies a parent's children map on every spawn and stop, so one parent of
 * 2,000 actors costs O(N²) to build and to stop (seconds at 1,000 drones). With squads of 32 the
 * cost is linear. Actor ids are unchanged (`vehicle:<id>`, `mission:<id>`, registered in the
 * system), and so is supervision; the runtime listens to each squad's `child.*` events, which
 * the fleet announces with `squad.spawned`.
 */
import { enqueueActions, setup } from 'xstate';
import { squadMachine, type AddChildEvent, type ChildKind, type SquadEmitted, type SquadEvent, type SquadInput } from './squad.machine.js';
import type { MissionInput } from './mission.machine.js';
import type { VehicleInput } from './vehicle.machine.js';

export { vehicleActorId, missionActorId, sensorActorId, childKinds, type ChildKind, type ChildSpec, type ChildInput } from './squad.machine.js';

export interface FleetContext {
  /** Vehicles (and their mission actors) per squad. */
  readonly squadSize: number;
  /** Children added so far. */
  added: number;
  /**
   * Groups seen so far (a group is one vehicle's actors: the vehicle, its mission, its sensors);
   * group g goes to squad ⌊g / squadSize⌋, and a child joins its group's squad.
   */
  groups: number;
  /**
   * Ids added, per squad (index = squad number); duplicates are ignored. Plain values, replaced
   * never mutated (the context stays serialisable): adding copies one squad's entry (≤ 2 ·
   * squadSize keys) and the short outer array, so building a large fleet stays linear.
   */
  readonly known: readonly Readonly<Record<string, true>>[];
  readonly squadInput: SquadInput;
}

export type FleetEvent =
  | AddChildEvent
  | { type: 'FLEET.ADD_VEHICLE'; id: string; input: VehicleInput; group?: string }
  | { type: 'FLEET.ADD_MISSION'; id: string; input: MissionInput; group?: string }
  | { type: 'FLEET.REMOVE'; id: string };

export type FleetEmitted = SquadEmitted | { type: 'squad.spawned'; id: string };

export interface FleetInput extends SquadInput {
  /** Vehicles per squad (default 32). */
  readonly squadSize?: number;
}

export const squadActorId = (n: number) => `squad:${n}`;

export const fleetMachine = setup({
  types: {
    context: {} as FleetContext,
    events: {} as FleetEvent,
    input: {} as FleetInput,
    emitted: {} as FleetEmitted,
  },
  actors: { squad: squadMachine },
  actions: {
    route: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'FLEET.ADD' && event.type !== 'FLEET.ADD_VEHICLE' && event.type !== 'FLEET.ADD_MISSION') return;
      if (context.known.some((ids) => ids[event.id])) return;
      // A child joins the squad of its group's first member; a new group opens the next place.
      // A group is known by its member of the same id (the vehicle) or, when another member came
      // first, by a `group:` mark (no child id starts so).
      const group = event.group ?? event.id;
      const mark = `group:${group}`;
      const existing = context.known.findIndex((ids) => ids[group] || ids[mark]);
      const newGroup = existing < 0;
      const n = newGroup ? Math.floor(context.groups / context.squadSize) : existing;
      const known = [...context.known];
      known[n] = { ...known[n], [event.id]: true, ...(newGroup && group !== event.id ? { [mark]: true as const } : {}) };
      const squadId = squadActorId(n);
      if (newGroup && context.groups % context.squadSize === 0) {
        enqueue.spawnChild('squad', { id: squadId, systemId: squadId, input: context.squadInput });
        enqueue.emit({ type: 'squad.spawned', id: squadId });
      }
      enqueue.assign({ added: context.added + 1, groups: context.groups + (newGroup ? 1 : 0), known });
      enqueue.sendTo(squadId, event as SquadEvent);
    }),
  },
}).createMachine({
  id: 'fleet',
  context: ({ input }) => ({
    squadSize: Math.max(1, Math.floor(input.squadSize ?? 32)),
    added: 0,
    groups: 0,
    known: [],
    squadInput: { restartBase_ms: input.restartBase_ms, restartMax_ms: input.restartMax_ms },
  }),
  initial: 'running',
  states: {
    running: {
      on: {
        'FLEET.ADD': { actions: 'route' },
        'FLEET.ADD_VEHICLE': { actions: 'route' },
        'FLEET.ADD_MISSION': { actions: 'route' },
        // Rare: every squad is asked; the one that has the child removes it.
        'FLEET.REMOVE': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const n = context.known.findIndex((ids) => ids[event.id]);
            if (n >= 0) {
              const { [event.id]: _gone, ...rest } = context.known[n]!;
              enqueue.assign({ known: context.known.map((ids, i) => (i === n ? rest : ids)) });
            }
            const squads = context.known.length;
            for (let n = 0; n < squads; n++) enqueue.sendTo(squadActorId(n), event as SquadEvent);
          }),
        },
      },
    },
  },
});

export type FleetMachine = typeof fleetMachine;
export type { ChildKind as FleetChildKind };
