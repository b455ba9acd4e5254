/**
 * The vehicle statechart: what the twin believes about one vehicle, and what it does about it.
 *
 * @remarks
 * Pure (STYLE §1): no port, socket, file or timer; the only time is XState's `after`, which runs
 * on the clock given to `createActor`. The vehicle is the source of truth for its flight state:
 * `PORT.*` events (mapped by the twin from the vehicle port) move the flight region; the twin's
 * own decisions (failsafes, operator commands) go out through the `command` actor, which the
 * runtime provides with `machine.provide({ actors: { command } })`.
 *
 * Failsafes decided here (the twin's, on top of the vehicle's own):
 * - battery low → RTL; battery critical → land;
 * - geofence breach → the configured action (rtl | land | hold | none);
 * - link lost longer than `linkLossTimeout_ms` → marked; when the link returns and the vehicle is
 *   still flying and not already returning or landing, RTL is commanded. (While the link is down
 *   only the vehicle's own datalink-loss action can act; the twin cannot reach it.)
 *
 * Command arbitration (the `commands` region): one command in flight at a time; operator
 * commands wait in a bounded queue (`commandQueueMax`, default 16: beyond it `VEHICLE.BUSY`),
 * an identical queued one is coalesced (both requests get its result). A failsafe outranks the
 * operator: its command replaces the queue and pre-empts the command in flight — `sending` is
 * left, which stops the `command` actor and aborts its signal (the MAVLink command protocol
 * stops retrying) — and every cancelled command is reported `VEHICLE.PREEMPTED` in its
 * `command.result`. The runtime's pipeline (actors/command-pipeline.ts) then orders these
 * commands with the mission's own port operations.
 */
import { assign, emit, enqueueActions, fromPromise, setup } from 'xstate';
import type { FlightMode, LandedState } from '../core/flight.js';

export type VehicleCommand =
  | { readonly kind: 'arm' }
  | { readonly kind: 'disarm' }
  | { readonly kind: 'takeoff'; readonly alt_m?: number }
  | { readonly kind: 'land' }
  | { readonly kind: 'rtl' }
  | { readonly kind: 'hold' }
  | { readonly kind: 'goto'; readonly lat_deg: number; readonly lon_deg: number; readonly alt_m: number };

export type FailsafeKind = 'battery_low' | 'battery_critical' | 'geofence' | 'link_lost' | 'vehicle';
export type FailsafeAction = 'rtl' | 'land' | 'hold' | 'none';

export interface FailsafeConfig {
  /** How long the link may be down before the twin treats it as a failsafe (ms). */
  readonly linkLossTimeout_ms: number;
  readonly geofenceAction: FailsafeAction;
  /** What to do when the link returns after a link-loss failsafe. */
  readonly linkRegainedAction: FailsafeAction;
  /** After the link returns, how long to let the vehicle re-report its state before acting (ms). */
  readonly linkSettle_ms: number;
}

export const DEFAULT_FAILSAFE: FailsafeConfig = {
  linkLossTimeout_ms: 5_000,
  geofenceAction: 'rtl',
  linkRegainedAction: 'rtl',
  linkSettle_ms: 1_500,
};

export interface FailsafeRecord {
  readonly kind: FailsafeKind;
  readonly reason: string;
  readonly action: FailsafeAction | FlightMode;
}

export interface CommandResult {
  readonly ok: boolean;
  readonly code?: string;
  readonly message?: string;
}

export interface VehicleContext {
  readonly vehicleId: string;
  readonly failsafeConfig: FailsafeConfig;
  armed: boolean;
  mode: FlightMode;
  landed: LandedState;
  /** Failsafes raised in this flight, in order. */
  failsafes: FailsafeRecord[];
  /** Set while the link is down past the timeout; cleared when acted upon. */
  linkFailsafePending: boolean;
  /** The command in flight (no `result` yet) or the last one sent, with its result. */
  lastCommand?: QueuedCommand & { result?: CommandResult };
  /**
   * Commands waiting while one is in flight: at most `commandQueueMax`; a failsafe replaces the
   * queue (the latest failsafe wins) and pre-empts the command in flight.
   */
  pending: QueuedCommand[];
  /** Bound of `pending`: a CMD beyond it is refused with `VEHICLE.BUSY`. */
  readonly commandQueueMax: number;
}

/**
 * Who asked: a `failsafe` (the twin's own safety decision) outranks an `operator` command
 * (REST, bridge, scenario).
 */
export type CommandPriority = 'failsafe' | 'operator';

export interface QueuedCommand {
  command: VehicleCommand;
  correlationId?: string;
  priority: CommandPriority;
  /** When the request was issued (clock ms, stamped by the runtime): its time to live runs from here. */
  issued_ms?: number;
  /** Identical requests merged into this one while it waited; each gets its result too. */
  coalesced?: { correlationId?: string }[];
}

/** Input of the `command` actor: one command to send to the vehicle port. */
export interface CommandActorInput {
  vehicleId: string;
  command: VehicleCommand;
  correlationId?: string;
  priority: CommandPriority;
  issued_ms?: number;
}

/** A stable key of a command and its parameters (`rtl`, `takeoff:15`, `goto:47.39,8.54,20`). */
export function commandKey(c: VehicleCommand): string {
  switch (c.kind) {
    case 'takeoff':
      return c.alt_m === undefined ? 'takeoff' : `takeoff:${c.alt_m}`;
    case 'goto':
      return `goto:${c.lat_deg},${c.lon_deg},${c.alt_m}`;
    default:
      return c.kind;
  }
}

/** Same command, same parameters: the same port call. */
export const sameCommand = (a: VehicleCommand, b: VehicleCommand): boolean => commandKey(a) === commandKey(b);

const PREEMPTED = 'VEHICLE.PREEMPTED';

export type VehicleMachineEvent =
  | { type: 'LINK.UP' }
  | { type: 'LINK.DOWN' }
  | { type: 'PORT.ARMED'; armed: boolean }
  | { type: 'PORT.MODE'; mode: FlightMode }
  | { type: 'PORT.LANDED'; state: LandedState }
  /** The vehicle entered a failsafe of its own. */
  | { type: 'PORT.FAILSAFE'; reason: string; action: FlightMode }
  | { type: 'MONITOR.BATTERY_LOW'; remaining_pct: number }
  | { type: 'MONITOR.BATTERY_CRITICAL'; remaining_pct: number }
  | { type: 'MONITOR.GEOFENCE_BREACH'; reason: string }
  /** An operator command; `issued_ms` (clock ms) starts its time to live. */
  | { type: 'CMD'; command: VehicleCommand; correlationId?: string; issued_ms?: number };

export type VehicleEmitted =
  | { type: 'failsafe'; failsafe: FailsafeRecord }
  | { type: 'command.started'; command: VehicleCommand; correlationId?: string }
  | { type: 'command.result'; command: VehicleCommand; correlationId?: string; result: CommandResult }
  /** An identical command was already queued (or in flight): this one shares its result. */
  | { type: 'command.coalesced'; command: VehicleCommand; correlationId?: string; into?: string };

export interface VehicleInput {
  readonly vehicleId: string;
  readonly failsafe?: Partial<FailsafeConfig>;
  /** Most commands that may wait behind the one in flight. Default 16. */
  readonly commandQueueMax?: number;
}

export const DEFAULT_COMMAND_QUEUE_MAX = 16;

const actionToCommand = (action: FailsafeAction): VehicleCommand | undefined =>
  action === 'none' ? undefined : { kind: action };

/** One `command.result` for a command and one for each request merged into it. */
function resultsOf(c: QueuedCommand, result: CommandResult): Extract<VehicleEmitted, { type: 'command.result' }>[] {
  return [c, ...(c.coalesced ?? [])].map((r) => ({ type: 'command.result' as const, command: c.command, correlationId: r.correlationId, result }));
}

/**
 * A failsafe's command supersedes whatever waits (each dropped command is reported
 * `VEHICLE.PREEMPTED`) and pre-empts the command in flight (the `failsafeWaiting` guard in
 * `commands.sending`) — unless that is the very same command, which it then joins.
 */
function commandFailsafe(
  context: VehicleContext,
  enqueue: { assign(a: Partial<VehicleContext>): void; emit(e: VehicleEmitted): void },
  params: { command: VehicleCommand; correlationId: string },
): void {
  for (const dropped of context.pending)
    for (const r of resultsOf(dropped, { ok: false, code: PREEMPTED, message: `superseded by ${params.correlationId}` })) enqueue.emit(r);
  const flying = context.lastCommand;
  if (flying && !flying.result && sameCommand(flying.command, params.command)) {
    enqueue.assign({
      pending: [],
      lastCommand: { ...flying, coalesced: [...(flying.coalesced ?? []), { correlationId: params.correlationId }] },
    });
    enqueue.emit({ type: 'command.coalesced', command: params.command, correlationId: params.correlationId, into: flying.correlationId });
    return;
  }
  enqueue.assign({ pending: [{ command: params.command, correlationId: params.correlationId, priority: 'failsafe' }] });
}

export const vehicleMachine = setup({
  types: {
    context: {} as VehicleContext,
    events: {} as VehicleMachineEvent,
    input: {} as VehicleInput,
    emitted: {} as VehicleEmitted,
  },
  actors: {
    /** Sends one command to the vehicle port; provided by the runtime. */
    command: fromPromise<CommandResult, CommandActorInput>(
      async () => {
        throw new Error('vehicle.machine: the `command` actor must be provided by the runtime');
      },
    ),
  },
  delays: {
    linkLossTimeout: ({ context }) => context.failsafeConfig.linkLossTimeout_ms,
    linkSettle: ({ context }) => context.failsafeConfig.linkSettle_ms,
  },
  guards: {
    armedNow: ({ context }) => context.armed,
    inAirNow: ({ context }) => context.landed === 'in_air' || context.landed === 'landing',
    takingOffNow: ({ context }) => context.landed === 'taking_off',
    modeIs: ({ context }, mode: FlightMode) => context.mode === mode,
    hasPending: ({ context }) => context.pending.length > 0,
    /** A failsafe queued while another command is in flight: it goes first. */
    failsafeWaiting: ({ context }) => context.pending[0]?.priority === 'failsafe',
    linkFailsafeToAct: ({ context }) =>
      context.linkFailsafePending &&
      context.armed &&
      (context.landed === 'in_air' || context.landed === 'taking_off') &&
      context.mode !== 'rtl' &&
      context.mode !== 'land',
  },
  actions: {
    sync: assign(({ context, event }) => {
      switch (event.type) {
        case 'PORT.ARMED':
          return { armed: event.armed };
        case 'PORT.MODE':
          return { mode: event.mode };
        case 'PORT.LANDED':
          return { landed: event.state };
        default:
          return context;
      }
    }),
    /** Queue an operator command (coalesced with an identical queued one; refused when full). */
    enqueueCommand: enqueueActions(({ context, enqueue }, params: { command: VehicleCommand; correlationId?: string; issued_ms?: number }) => {
      const twin = context.pending.findIndex((p) => p.priority === 'operator' && sameCommand(p.command, params.command));
      if (twin >= 0) {
        const into = context.pending[twin]!;
        const merged: QueuedCommand = { ...into, coalesced: [...(into.coalesced ?? []), { correlationId: params.correlationId }] };
        enqueue.assign({ pending: context.pending.map((p, i) => (i === twin ? merged : p)) });
        enqueue.emit({ type: 'command.coalesced', command: params.command, correlationId: params.correlationId, into: into.correlationId });
        return;
      }
      if (context.pending.length >= context.commandQueueMax) {
        enqueue.emit({
          type: 'command.result',
          command: params.command,
          correlationId: params.correlationId,
          result: { ok: false, code: 'VEHICLE.BUSY', message: `command queue full (${context.commandQueueMax})` },
        });
        return;
      }
      enqueue.assign({ pending: [...context.pending, { ...params, priority: 'operator' }] });
    }),
    /** Raise a failsafe: record it, tell listeners, and command its action. */
    failsafe: enqueueActions(({ context, enqueue }, params: { kind: FailsafeKind; reason: string; action: FailsafeAction }) => {
      const record: FailsafeRecord = { kind: params.kind, reason: params.reason, action: params.action };
      enqueue.assign({ failsafes: [...context.failsafes, record] });
      enqueue.emit({ type: 'failsafe', failsafe: record });
      const command = actionToCommand(params.action);
      if (command) commandFailsafe(context, enqueue, { command, correlationId: `failsafe:${params.kind}` });
    }),
    /** The command in flight is cancelled (leaving `sending` aborts its actor's signal). */
    reportPreempted: enqueueActions(({ context, enqueue }) => {
      const flying = context.lastCommand;
      if (!flying || flying.result) return;
      const result: CommandResult = { ok: false, code: PREEMPTED, message: `cancelled by ${context.pending[0]?.correlationId ?? 'a failsafe'}` };
      enqueue.assign({ lastCommand: { ...flying, result } });
      for (const r of resultsOf(flying, result)) enqueue.emit(r);
    }),
  },
}).createMachine({
  id: 'vehicle',
  type: 'parallel',
  context: ({ input }) => ({
    vehicleId: input.vehicleId,
    failsafeConfig: { ...DEFAULT_FAILSAFE, ...input.failsafe },
    armed: false,
    mode: 'unknown',
    landed: 'unknown',
    failsafes: [],
    linkFailsafePending: false,
    pending: [],
    commandQueueMax: Math.max(1, Math.floor(input.commandQueueMax ?? DEFAULT_COMMAND_QUEUE_MAX)),
  }),
  on: {
    // Keep the mirror of the port current even where a state does not react to the event.
    'PORT.ARMED': { actions: 'sync' },
    'PORT.MODE': { actions: 'sync' },
    'PORT.LANDED': { actions: 'sync' },
    'PORT.FAILSAFE': {
      actions: [
        assign({
          failsafes: ({ context, event }) => [
            ...context.failsafes,
            { kind: 'vehicle' as const, reason: event.reason, action: event.action },
          ],
        }),
        emit(({ event }) => ({
          type: 'failsafe' as const,
          failsafe: { kind: 'vehicle' as const, reason: event.reason, action: event.action },
        })),
      ],
    },
    CMD: {
      actions: {
        type: 'enqueueCommand',
        params: ({ event }) => ({ command: event.command, correlationId: event.correlationId, issued_ms: event.issued_ms }),
      },
    },
  },
  states: {
    flight: {
      initial: 'disconnected',
      states: {
        disconnected: {
          on: { 'LINK.UP': 'connected' },
        },
        connected: {
          initial: 'routing',
          on: { 'LINK.DOWN': 'linkLost' },
          states: {
            // Entered on (re)connection: place the vehicle where its reported state says.
            routing: {
              always: [
                { guard: { type: 'armedNow' }, target: 'armed' },
                { target: 'standby' },
              ],
            },
            standby: {
              on: { 'PORT.ARMED': { guard: ({ event }) => event.armed, target: 'armed', actions: 'sync' } },
            },
            armed: {
              initial: 'routing',
              on: { 'PORT.ARMED': { guard: ({ event }) => !event.armed, target: 'standby', actions: 'sync' } },
              states: {
                routing: {
                  always: [
                    { guard: 'inAirNow', target: 'inAir' },
                    { guard: 'takingOffNow', target: 'takingOff' },
                    { target: 'onGround' },
                  ],
                },
                onGround: {
                  on: {
                    'PORT.LANDED': [
                      { guard: ({ event }) => event.state === 'taking_off', target: 'takingOff', actions: 'sync' },
                      { guard: ({ event }) => event.state === 'in_air', target: 'inAir', actions: 'sync' },
                      { actions: 'sync' },
                    ],
                  },
                },
                takingOff: {
                  on: {
                    'PORT.LANDED': [
                      { guard: ({ event }) => event.state === 'in_air', target: 'inAir', actions: 'sync' },
                      { guard: ({ event }) => event.state === 'on_ground', target: 'onGround', actions: 'sync' },
                      { actions: 'sync' },
                    ],
                  },
                },
                inAir: {
                  initial: 'routing',
                  on: {
                    'PORT.LANDED': [
                      { guard: ({ event }) => event.state === 'on_ground', target: 'onGround', actions: 'sync' },
                      { guard: ({ event }) => event.state === 'landing', target: '.landing', actions: 'sync' },
                      { actions: 'sync' },
                    ],
                    'PORT.MODE': { target: '.routing', actions: 'sync' },
                    'MONITOR.BATTERY_CRITICAL': {
                      guard: ({ context }) => context.mode !== 'land',
                      actions: {
                        type: 'failsafe',
                        params: ({ event }) => ({
                          kind: 'battery_critical',
                          reason: `battery critical (${event.remaining_pct.toFixed(1)} %)`,
                          action: 'land',
                        }),
                      },
                    },
                  },
                  states: {
                    routing: {
                      always: [
                        { guard: { type: 'modeIs', params: 'mission' }, target: 'mission' },
                        { guard: { type: 'modeIs', params: 'rtl' }, target: 'returning' },
                        { guard: { type: 'modeIs', params: 'land' }, target: 'landing' },
                        { target: 'hold' },
                      ],
                    },
                    hold: {},
                    mission: {},
                    returning: {},
                    landing: {
                      // Landing already: a low battery or a fence breach changes nothing.
                      on: { 'MONITOR.BATTERY_CRITICAL': {} },
                    },
                  },
                },
              },
            },
          },
        },
        linkLost: {
          entry: assign({ linkFailsafePending: false }),
          after: {
            linkLossTimeout: {
              actions: [
                assign({ linkFailsafePending: true }),
                enqueueActions(({ context, enqueue }) => {
                  const record: FailsafeRecord = {
                    kind: 'link_lost',
                    reason: `link lost for more than ${context.failsafeConfig.linkLossTimeout_ms} ms`,
                    action: context.failsafeConfig.linkRegainedAction,
                  };
                  enqueue.assign({ failsafes: [...context.failsafes, record] });
                  enqueue.emit({ type: 'failsafe', failsafe: record });
                }),
              ],
            },
          },
          on: { 'LINK.UP': 'connected' },
        },
      },
    },
    failsafes: {
      initial: 'watching',
      // In every sub-state: a low battery during the link-regained window must not be lost.
      on: {
        'MONITOR.BATTERY_LOW': {
          guard: ({ context }) =>
            context.armed &&
            (context.landed === 'in_air' || context.landed === 'taking_off') &&
            context.mode !== 'rtl' &&
            context.mode !== 'land',
          actions: {
            type: 'failsafe',
            params: ({ event }) => ({
              kind: 'battery_low',
              reason: `battery low (${event.remaining_pct.toFixed(1)} %)`,
              action: 'rtl',
            }),
          },
        },
        'MONITOR.GEOFENCE_BREACH': {
          guard: ({ context }) =>
            context.armed &&
            context.landed !== 'on_ground' &&
            context.mode !== 'land' &&
            !(context.failsafeConfig.geofenceAction === 'rtl' && context.mode === 'rtl'),
          actions: {
            type: 'failsafe',
            params: ({ context, event }) => ({
              kind: 'geofence',
              reason: event.reason,
              action: context.failsafeConfig.geofenceAction,
            }),
          },
        },
      },
      states: {
        watching: {
          on: {
            // The vehicle re-reports its state over the next heartbeats; decide once it has.
            'LINK.UP': { guard: ({ context }) => context.linkFailsafePending, target: 'linkRegained' },
          },
        },
        linkRegained: {
          on: { 'LINK.DOWN': 'watching' },
          after: {
            linkSettle: [
              {
                guard: 'linkFailsafeToAct',
                target: 'watching',
                actions: enqueueActions(({ context, enqueue }) => {
                  enqueue.assign({ linkFailsafePending: false });
                  const command = actionToCommand(context.failsafeConfig.linkRegainedAction);
                  if (command) commandFailsafe(context, enqueue, { command, correlationId: 'failsafe:link_lost' });
                }),
              },
              { target: 'watching', actions: assign({ linkFailsafePending: false }) },
            ],
          },
        },
      },
    },
    commands: {
      initial: 'idle',
      states: {
        idle: {
          always: { guard: 'hasPending', target: 'sending' },
        },
        sending: {
          entry: [
            assign(({ context }) => ({
              lastCommand: context.pending[0],
              pending: context.pending.slice(1),
            })),
            emit(({ context }) => ({
              type: 'command.started' as const,
              command: context.lastCommand!.command,
              correlationId: context.lastCommand!.correlationId,
            })),
          ],
          // Pre-emption: leaving this state stops the `command` actor, whose AbortSignal cancels
          // the port call (MAVLink retries included); the failsafe is sent next.
          always: { guard: 'failsafeWaiting', target: 'idle', actions: 'reportPreempted' },
          invoke: {
            src: 'command',
            input: ({ context }) => ({
              vehicleId: context.vehicleId,
              command: context.lastCommand!.command,
              correlationId: context.lastCommand!.correlationId,
              priority: context.lastCommand!.priority,
              issued_ms: context.lastCommand!.issued_ms,
            }),
            onDone: {
              target: 'idle',
              actions: enqueueActions(({ context, event, enqueue }) => {
                enqueue.assign({ lastCommand: { ...context.lastCommand!, result: event.output } });
                for (const r of resultsOf(context.lastCommand!, event.output)) enqueue.emit(r);
              }),
            },
            onError: {
              target: 'idle',
              actions: enqueueActions(({ context, event, enqueue }) => {
                const result: CommandResult = { ok: false, code: 'VEHICLE.INTERNAL', message: String(event.error) };
                enqueue.assign({ lastCommand: { ...context.lastCommand!, result } });
                for (const r of resultsOf(context.lastCommand!, result)) enqueue.emit(r);
              }),
            },
          },
        },
      },
    },
  },
});

export type VehicleMachine = typeof vehicleMachine;
