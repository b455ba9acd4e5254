/**
 * The twin's view of its child actors: refs by vehicle, supervision bookkeeping (a failed actor
 * is forgotten until its restart, a restarted one is re-synced or restored), and the logging of
 * every state change and emitted event to the event log and the bus.
 *
 * @remarks
 * The squads spawn and supervise every child actor (machines/squad.machine.ts); this only
 * listens. Vehicle and mission actors are watched here; other kinds (sensors) by the watcher
 * registered for their kind ({@link ChildWatch.registerKind}). It never reads wall time: entries are stamped with the injected clock.
 */
import type { Actor, AnyActorRef, Subscription } from 'xstate';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { VehicleTelemetry } from '../../hardware/vehicle.port.js';
import type { FleetEmitted, fleetMachine } from '../../machines/fleet.machine.js';
import { missionStatusMessage, type missionMachine, type MissionContext, type MissionEvent, type MissionStatus } from '../../machines/mission.machine.js';
import type { ChildKind, SquadEmitted, squadMachine } from '../../machines/squad.machine.js';
import type { VehicleEmitted, VehicleMachineEvent, vehicleMachine } from '../../machines/vehicle.machine.js';
import { topics, type Bus } from '../bus.js';
import { statePath, topStatus } from './state-path.js';

export type AppendFn = (source: string, type: string, data?: Record<string, unknown>, cid?: string) => void;
/**
 * What the runtime does about one kind of child besides vehicles and missions (sensors; SLAM
 * next): told when one is spawned (also after a restart) and when one failed.
 */
export interface ChildKindWatcher {
  spawned(childId: string, ref: AnyActorRef): void;
  failed(childId: string): void;
}

export type MissionListener = (vehicle: string, status: MissionStatus, context: MissionContext) => void;

export interface ChildWatchDeps {
  readonly fleet: Actor<typeof fleetMachine>;
  readonly clock: Clock;
  readonly bus: Bus;
  readonly logger: Logger;
  readonly append: AppendFn;
  /** The port's last telemetry sample of a vehicle (to re-sync a restarted vehicle actor). */
  portSnapshot(vehicle: string): VehicleTelemetry | undefined;
  /** Whether the vehicle's link is up, as the port last reported. */
  linkUp(vehicle: string): boolean;
}

export class ChildWatch {
  // Actor refs by vehicle, refreshed whenever the fleet (re)spawns one: these lookups run for
  // every port event and every clock batch, so no per-call `vehicle:<id>` string is built.
  private readonly refs = new Map<string, { vehicle?: Actor<typeof vehicleMachine>; mission?: Actor<typeof missionMachine> }>();
  private readonly childSubs = new Map<string, Subscription[]>();
  private readonly lastMission = new Map<string, { status: MissionStatus; context: MissionContext }>();
  private readonly missionListeners = new Set<MissionListener>();
  private readonly kindWatchers = new Map<ChildKind, ChildKindWatcher>();

  constructor(private readonly deps: ChildWatchDeps) {
    // Squads spawn and supervise the vehicle and mission actors; listen to each one's events.
    deps.fleet.on('*', (ev: FleetEmitted) => {
      if (ev.type === 'squad.spawned') (deps.fleet.system.get(ev.id) as Actor<typeof squadMachine> | undefined)?.on('*', (e) => this.onSquadEvent(e));
      else this.onSquadEvent(ev);
    });
  }

  vehicleRef(id: string): Actor<typeof vehicleMachine> | undefined {
    return this.refs.get(id)?.vehicle;
  }

  missionRef(id: string): Actor<typeof missionMachine> | undefined {
    return this.refs.get(id)?.mission;
  }

  sendVehicle(id: string, event: VehicleMachineEvent): void {
    this.refs.get(id)?.vehicle?.send(event);
  }

  sendMission(id: string, event: MissionEvent): void {
    this.refs.get(id)?.mission?.send(event);
  }

  /** Hands the children of `kind` to `watcher` (the twin registers its sensor runtime here). */
  registerKind(kind: Exclude<ChildKind, 'vehicle' | 'mission'>, watcher: ChildKindWatcher): void {
    this.kindWatchers.set(kind, watcher);
  }

  onMissionChange(fn: MissionListener): () => void {
    this.missionListeners.add(fn);
    return () => this.missionListeners.delete(fn);
  }

  /** Publishes a vehicle's state on `/<vehicle>/state` (only when someone listens). */
  publishState(id: string): void {
    const { bus, clock } = this.deps;
    const topic = topics.state(id);
    if (!bus.hasSubscribers(topic)) return;
    const snap = this.vehicleRef(id)?.getSnapshot();
    if (!snap) return;
    bus.publish(topic, {
      vehicle: id,
      t_ms: clock.now(),
      link: this.deps.linkUp(id),
      armed: snap.context.armed,
      mode: snap.context.mode,
      landed: snap.context.landed,
      state: statePath((snap.value as { flight: unknown }).flight),
    });
  }

  private publishMission(id: string): void {
    const { bus, clock } = this.deps;
    if (!bus.hasSubscribers(topics.missionStatus)) return;
    const snap = this.missionRef(id)?.getSnapshot();
    if (!snap) return;
    bus.publish(topics.missionStatus, { vehicle: id, t_ms: clock.now(), ...missionStatusMessage(topStatus(snap.value), snap.context) });
  }

  stop(): void {
    for (const subs of this.childSubs.values()) for (const s of subs) s.unsubscribe();
    this.childSubs.clear();
  }

  /** Log state changes and emitted events of one child; re-run when the fleet respawns it. */
  private watch(childId: string): void {
    const { append, logger } = this.deps;
    for (const s of this.childSubs.get(childId) ?? []) s.unsubscribe();
    const ref = this.deps.fleet.system.get(childId) as AnyActorRef | undefined;
    if (!ref) return;
    const [kind, vehicle] = childId.split(':') as ['vehicle' | 'mission', string];
    const entry = this.refs.get(vehicle) ?? {};
    if (kind === 'vehicle') entry.vehicle = ref as Actor<typeof vehicleMachine>;
    else entry.mission = ref as Actor<typeof missionMachine>;
    this.refs.set(vehicle, entry);
    let last = '';
    let lastProgress = -1;
    const subs: Subscription[] = [];
    subs.push(
      ref.subscribe({
        next: (snap: { value: unknown; context: unknown }) => {
          const path = statePath(snap.value);
          if (kind === 'mission') {
            const ctx = snap.context as MissionContext;
            const status = topStatus(snap.value);
            const prev = this.lastMission.get(vehicle);
            this.lastMission.set(vehicle, { status, context: ctx });
            if (prev?.status !== status || prev.context.progress !== ctx.progress)
              for (const fn of this.missionListeners) fn(vehicle, status, ctx);
            if (path !== last) {
              append(childId, 'state', { value: path, ...(ctx.reason ? { reason: ctx.reason } : {}) });
              last = path;
              this.publishMission(vehicle);
            }
            if (ctx.progress.percent_complete !== lastProgress) {
              lastProgress = ctx.progress.percent_complete;
              append(childId, 'progress', { ...ctx.progress });
              this.publishMission(vehicle);
            }
          } else if (path !== last) {
            append(childId, 'state', { value: path });
            last = path;
            this.publishState(vehicle);
          }
        },
        error: (err: unknown) => append(childId, 'actor.error', { error: String(err) }),
      }),
    );
    if (kind === 'vehicle') {
      subs.push(
        (ref as Actor<typeof vehicleMachine>).on('*', (ev: VehicleEmitted) => {
          switch (ev.type) {
            case 'failsafe':
              append(childId, 'failsafe', { ...ev.failsafe });
              logger.warn({ vehicle, failsafe: ev.failsafe }, 'failsafe');
              this.sendMission(vehicle, { type: 'VEHICLE.FAILSAFE', reason: `${ev.failsafe.kind}: ${ev.failsafe.reason}` });
              break;
            case 'command.started':
              append(childId, 'command', { ...ev.command }, ev.correlationId);
              break;
            case 'command.coalesced':
              append(childId, 'command.coalesced', { ...ev.command, ...(ev.into ? { into: ev.into } : {}) }, ev.correlationId);
              break;
            case 'command.result':
              append(childId, 'command.result', { kind: ev.command.kind, ...ev.result }, ev.correlationId);
              if (!ev.result.ok) logger.warn({ vehicle, cid: ev.correlationId, result: ev.result }, 'command failed');
              break;
          }
        }),
      );
    }
    this.childSubs.set(childId, subs);
  }

  /** A respawned vehicle actor learns the vehicle's state from the port; a mission actor is restored. */
  private resync(childId: string): void {
    const [kind, vehicle] = childId.split(':') as ['vehicle' | 'mission', string];
    if (kind === 'mission') {
      // Put the mission back where it was; the vehicle still holds the plan and its progress.
      const last = this.lastMission.get(vehicle);
      if (last && last.status !== 'IDLE') {
        const c = last.context;
        this.sendMission(vehicle, { type: 'RESTORE', status: last.status, mission: c.mission, progress: c.progress, reached: c.reached, reason: c.reason });
        this.deps.append(childId, 'restored', { status: last.status });
      }
      return;
    }
    const t = this.deps.portSnapshot(vehicle);
    if (t) {
      this.sendVehicle(vehicle, { type: 'PORT.ARMED', armed: t.armed });
      this.sendVehicle(vehicle, { type: 'PORT.MODE', mode: t.mode });
      this.sendVehicle(vehicle, { type: 'PORT.LANDED', state: t.landed });
    }
    if (this.deps.linkUp(vehicle)) this.sendVehicle(vehicle, { type: 'LINK.UP' });
  }

  private onSquadEvent(ev: SquadEmitted): void {
    const { append, logger } = this.deps;
    const other = ev.kind === 'vehicle' || ev.kind === 'mission' ? undefined : this.kindWatchers.get(ev.kind);
    switch (ev.type) {
      case 'child.spawned':
        if (other) {
          const ref = this.deps.fleet.system.get(ev.id) as AnyActorRef | undefined;
          if (ref) other.spawned(ev.id, ref);
        } else this.watch(ev.id);
        break;
      case 'child.failed': {
        if (other) {
          other.failed(ev.id);
          append('fleet', 'child.failed', { id: ev.id, error: ev.error, restartIn_ms: ev.restartIn_ms });
          logger.error({ child: ev.id, error: ev.error }, 'actor failed; restarting');
          break;
        }
        // Until the restart, events for this actor go nowhere (as they would to a dead actor).
        const [kind, vehicle] = ev.id.split(':') as ['vehicle' | 'mission', string];
        const entry = this.refs.get(vehicle);
        if (entry) delete entry[kind];
        append('fleet', 'child.failed', { id: ev.id, error: ev.error, restartIn_ms: ev.restartIn_ms });
        logger.error({ child: ev.id, error: ev.error }, 'actor failed; restarting');
        break;
      }
      case 'child.restarted':
        append('fleet', 'child.restarted', { id: ev.id, restart: ev.restart });
        // Other kinds re-sync when spawned again (a sensor reconnects by itself).
        if (!other) this.resync(ev.id);
        break;
    }
  }
}
