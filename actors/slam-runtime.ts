/**
 * The SLAM of a twin: one supervised SLAM actor (machines/slam.machine.ts) per vehicle that has a
 * {@link SlamPort}, the machine's named operations bound to the port, and the port's stream
 * turned into actor events (`SLAM.POSE`) and bus messages.
 *
 * @remarks
 * - Bus: `/<vehicle>/slam/pose` (map frame, and local NED + WGS84 anchored at the vehicle's
 *   reported position and heading at the first pose, assuming a level, forward-facing mount:
 *   sensor x forward, y left, z up), `/<vehicle>/slam/odometry` (pose + twist),
 *   `/<vehicle>/slam/map` (throttled by the port; a reference: point count, blob key if any).
 * - Event log: the actor's `state` changes only (`tracking`, `lost` with its reason, …) and
 *   fault requests; poses are continuous data and stay off the log (small, deterministic).
 * - Supervision is the squad's: a SLAM actor that throws is respawned and started again here.
 *
 * The runtime receives ports; it never constructs adapters (DESIGN: one composition root).
 */
import { fromPromise, type Actor } from 'xstate';
import type { Clock } from '../core/clock.js';
import type { LocalFrame, Ned } from '../core/geo.js';
import type { SlamEvent, SlamPort, SlamResult } from '../hardware/slam.port.js';
import { slamMachine, slamStatus, type SlamLimits, type SlamOpInput } from '../machines/slam.machine.js';
import { slamActorId, vehicleActorId, type ChildSpec } from '../machines/squad.machine.js';
import { topics, type Bus, type PoseMsg } from './bus.js';
import { callPort, ChildKindBinding, type ChildEntry } from './internal/child-kind.js';
import type { AppendFn } from './internal/child-watch.js';

/** The SLAM of one vehicle, as the twin is given it. */
export interface TwinSlamConfig {
  readonly port: SlamPort;
  readonly limits?: Partial<SlamLimits>;
  /** Start estimating as soon as the actor exists (default true). */
  readonly autoStart?: boolean;
}

/** What the runtime needs to anchor a map-frame pose in the world: the vehicle's reported local position and heading, deg. */
export type SlamAnchorSource = (vehicle: string) => { readonly ned: Ned; readonly heading_deg: number; readonly frame: LocalFrame } | undefined;

/** What an operator sees of one vehicle's SLAM. */
export interface SlamStatusView {
  readonly vehicle: string;
  readonly backend: string;
  readonly state: string;
  readonly poses: number;
  readonly losses: number;
  readonly reason?: string;
}

/**
 * The latest local map of one vehicle's SLAM, kept in memory for the operator services (the bus
 * carries only a reference): x, y, z float32 in the estimator's own frame (odom: the first scan's
 * sensor frame, x forward, y left, z up), metres.
 */
export interface SlamMapSnapshot {
  readonly vehicle: string;
  /** Clock time of the scan the map was published at, ms. */
  readonly t_ms: number;
  /** Maps published since the twin started (1, 2, …). */
  readonly seq: number;
  readonly points: Float32Array;
}

/** An error with the port's dotted code: a refused port call reaches the machine's `onError`. */
class SlamCallError extends Error {
  constructor(readonly code: string, message: string) {
    super(code);
    this.name = 'SlamCallError';
    this.detail = message;
  }
  readonly detail: string;
}

interface Entry extends ChildEntry<Actor<typeof slamMachine>> {
  readonly vehicle: string;
  readonly config: TwinSlamConfig;
  anchor?: { readonly ned: Ned; readonly heading_deg: number; readonly frame: LocalFrame };
  lastLinear?: readonly [number, number, number];
  /** Input dropped on purpose (`slam_degraded`) until this clock time, ms. */
  degradedUntil_ms?: number;
  map?: SlamMapSnapshot;
  maps: number;
}

export interface SlamRuntimeDeps {
  readonly clock: Clock;
  readonly bus: Bus;
  readonly append: AppendFn;
  readonly anchor: SlamAnchorSource;
}

export class SlamRuntime {
  private readonly entries: ChildKindBinding<Actor<typeof slamMachine>, Entry>;

  constructor(private readonly deps: SlamRuntimeDeps, vehicles: readonly { readonly id: string; readonly slam?: TwinSlamConfig }[]) {
    this.entries = new ChildKindBinding(deps.append);
    for (const v of vehicles) {
      if (!v.slam) continue;
      this.entries.add(v.id, { vehicle: v.id, actorId: slamActorId(v.id), config: v.slam, subs: [], maps: 0 });
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** The SLAM machine with its operations bound to the ports. */
  logic(machine: typeof slamMachine = slamMachine) {
    const { clock } = this.deps;
    const call = (run: (p: SlamPort, signal: AbortSignal, input: SlamOpInput) => Promise<SlamResult>) =>
      fromPromise<void, SlamOpInput>(({ input, signal }) =>
        callPort(
          clock,
          this.entries.get(input.vehicleId)?.config.port,
          { code: 'SLAM.NOT_STARTED', message: `no SLAM on ${input.vehicleId}` },
          (port) => run(port, signal, input),
          (code, message) => new SlamCallError(code, message),
        ),
      );
    return machine.provide({
      actors: {
        startSlam: call((p, s) => p.start(s)),
        stopSlam: call((p, s) => p.stop(s)),
        // A reset estimator starts a new map frame at the sensor's pose now: anchor it afresh.
        resetSlam: call(async (p, s, i) => {
          const r = await p.reset(s);
          const e = this.entries.get(i.vehicleId);
          if (r.ok && e) {
            e.anchor = undefined;
            e.lastLinear = undefined;
            e.map = undefined;
          }
          return r;
        }),
        relocalizeSlam: call((p, s, i) => p.relocalize(i.hint ?? { position_m: [0, 0, 0] }, s)),
      },
    });
  }

  /** One SLAM actor per vehicle with SLAM, in its vehicle's squad. */
  children(): { spec: ChildSpec; group: string }[] {
    return [...this.entries.values()].map((e) => ({
      group: vehicleActorId(e.vehicle),
      spec: { kind: 'slam' as const, id: e.actorId, input: { vehicleId: e.vehicle, ...(e.config.limits ? { limits: e.config.limits } : {}) } },
    }));
  }

  /** Subscribes to every port's stream. Call once the actors exist. */
  start(): void {
    for (const e of this.entries.values()) e.unsubPort = e.config.port.subscribe((ev) => this.onPortEvent(e, ev));
  }

  /** A SLAM actor was (re)spawned: watch it and start it. */
  spawned(actorId: string, ref: Actor<typeof slamMachine>): void {
    const e = this.entries.bind(actorId, ref, {
      name: (snap) => slamStatus(snap.value),
      data: (state, snap) => {
        const reason = state === 'lost' || state === 'idle' ? snap.context.reason : undefined;
        return { value: state, ...(reason ? { code: reason } : {}), losses: snap.context.losses };
      },
    });
    if (e && (e.config.autoStart ?? true)) ref.send({ type: 'START' });
  }

  failed(actorId: string): void {
    this.entries.unbind(actorId);
  }

  /** The latest local map of `vehicle` (undefined before the first, or after a reset). */
  map(vehicle: string): SlamMapSnapshot | undefined {
    return this.entries.get(vehicle)?.map;
  }

  list(vehicle?: string): SlamStatusView[] {
    const out: SlamStatusView[] = [];
    for (const e of this.entries.values()) {
      if (vehicle !== undefined && e.vehicle !== vehicle) continue;
      const snap = e.ref?.getSnapshot();
      out.push({
        vehicle: e.vehicle,
        backend: e.config.port.capabilities.backend,
        state: snap ? slamStatus(snap.value) : 'restarting',
        poses: snap?.context.poses ?? 0,
        losses: snap?.context.losses ?? 0,
        ...(snap?.context.reason ? { reason: snap.context.reason } : {}),
      });
    }
    return out;
  }

  /**
   * `slam_degraded`: the estimator gets no usable registration for `duration_ms` (its poses reach
   * the machine as failed, `SLAM.DEGRADED_INJECTED`), as a featureless scene or a lost LiDAR
   * input would; the machine goes lost and recovers once good poses return.
   */
  degrade(vehicle: string, duration_ms: number, cid?: string): boolean {
    const e = this.entries.get(vehicle);
    if (!e) return false;
    e.degradedUntil_ms = this.deps.clock.now() + duration_ms;
    this.deps.append(e.actorId, 'fault', { kind: 'slam_degraded', duration_ms }, cid);
    return true;
  }

  stop(): void {
    this.entries.stop();
  }

  async dispose(): Promise<void> {
    await this.entries.dispose((e) => e.config.port);
  }

  /** The map-frame estimate as a world pose, once anchored (the first pose after the vehicle reported a position). */
  private world(e: Entry, p: readonly [number, number, number], q: readonly [number, number, number, number]): Omit<PoseMsg, 'vehicle' | 't_ms'> | undefined {
    if (!e.anchor) {
      const a = this.deps.anchor(e.vehicle);
      if (!a) return undefined;
      e.anchor = { ned: a.ned, heading_deg: a.heading_deg, frame: a.frame };
    }
    const { ned, heading_deg, frame } = e.anchor;
    const psi0 = (heading_deg * Math.PI) / 180;
    const [c0, s0] = [Math.cos(psi0), Math.sin(psi0)];
    // Map frame (first scan's sensor frame, level): x forward, y left, z up.
    const local: Ned = { north_m: ned.north_m + p[0] * c0 + p[1] * s0, east_m: ned.east_m + p[0] * s0 - p[1] * c0, down_m: ned.down_m - p[2] };
    const [w, x, y, z] = q;
    const yawMap = Math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z));
    const psi = psi0 - yawMap;
    const [c, s] = [Math.cos(psi), Math.sin(psi)];
    const v = e.lastLinear ?? [0, 0, 0];
    const position = frame.toGeo(local);
    return {
      local,
      position,
      alt_rel_m: -local.down_m,
      heading_deg: ((((psi * 180) / Math.PI) % 360) + 360) % 360,
      velocity_ned_mps: { north_m: v[0] * c + v[1] * s, east_m: v[0] * s - v[1] * c, down_m: -v[2] },
    };
  }

  private onPortEvent(e: Entry, ev: SlamEvent): void {
    const { bus, clock } = this.deps;
    const degraded = e.degradedUntil_ms !== undefined && clock.now() < e.degradedUntil_ms;
    switch (ev.type) {
      case 'pose': {
        const world = this.world(e, ev.position_m, ev.orientation); // anchored at the first pose, listened to or not
        const ok = ev.ok && !degraded;
        const reason = degraded ? 'SLAM.DEGRADED_INJECTED' : ev.reason;
        e.ref?.send({ type: 'SLAM.POSE', pose: { t_ms: ev.t_ms, position_m: ev.position_m, orientation: ev.orientation }, ok, ...(reason ? { reason } : {}) });
        const topic = topics.slamPose(e.vehicle);
        if (!world || !bus.hasSubscribers(topic)) return;
        const snap = e.ref?.getSnapshot();
        bus.publish(topic, {
          vehicle: e.vehicle,
          t_ms: ev.t_ms,
          ...world,
          map_position_m: ev.position_m,
          map_orientation: ev.orientation,
          ok,
          state: snap ? slamStatus(snap.value) : 'restarting',
        });
        return;
      }
      case 'odometry': {
        e.lastLinear = ev.linear_mps;
        const topic = topics.slamOdometry(e.vehicle);
        if (degraded || !bus.hasSubscribers(topic)) return;
        const world = this.world(e, ev.position_m, ev.orientation);
        if (!world) return;
        bus.publish(topic, {
          vehicle: e.vehicle,
          t_ms: ev.t_ms,
          ...world,
          map_position_m: ev.position_m,
          map_orientation: ev.orientation,
          linear_mps: ev.linear_mps,
          angular_radps: ev.angular_radps,
          sigma_m: ev.sigma_m,
        });
        return;
      }
      case 'map': {
        e.map = { vehicle: e.vehicle, t_ms: ev.t_ms, seq: ++e.maps, points: ev.points };
        const topic = topics.slamMap(e.vehicle);
        if (bus.hasSubscribers(topic)) bus.publish(topic, { vehicle: e.vehicle, t_ms: ev.t_ms, points: ev.points.length / 3 });
        return;
      }
    }
  }
}
