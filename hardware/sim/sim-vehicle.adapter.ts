/**
 * The {@link VehiclePort} over a vehicle of a {@link SimWorld}: what the twin sees of a
 * simulated drone through its (simulated) datalink.
 *
 * @remarks
 * - Commands reach the vehicle after `commandLatencyMs` of clock time and resolve with its
 *   answer; the adapter calls `clock.notifyAsync()` after settling each promise so the virtual
 *   clock lets the caller's continuation run before time moves on.
 * - While the link is down (a `link_loss` fault) commands fail VEHICLE.NO_LINK and nothing is
 *   delivered: no telemetry, no events, and nothing is queued. On restore the world emits
 *   `link` up, any failsafe the vehicle took meanwhile, and its armed/mode/landed state.
 * - Events arrive synchronously from inside the physics tick, in a deterministic order.
 * - Telemetry samples are built at `telemetryHz` only while someone subscribes.
 * - The battery is reported as a MAVLink vehicle reports it (SYS_STATUS / BATTERY_STATUS): whole
 *   percent remaining, voltage in mV, current in cA, consumed in mAh. Monitors and expectations
 *   then see the same values here as through the MAVLink adapter (an exact 25.4 % is "25 %" on
 *   both paths), and a battery failsafe fires at the same sim time.
 */
import { fail, okVoid } from '../../core/result.js';
import type {
  BatteryState, ParamOutcome, Unsubscribe, VehicleCapabilities, VehicleEvent, VehiclePort, VehicleResult, VehicleTelemetry,
} from '../vehicle.port.js';
import type { SimCommand } from './commands.js';
import type { SimWorld } from './sim-world.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import { checkMissionDistance } from '../../core/mission-distance.js';
import { GF_ACTION, VehicleGeofenceSchema } from '../real/mavlink/geofence.js';
import type { SimFenceShape } from './geofence.js';

export interface SimVehiclePortOptions {
  /** Telemetry rate, Hz (default 10; at most the physics rate). */
  readonly telemetryHz?: number;
  /** One-way command latency to the vehicle and back, ms of clock time (default 5). */
  readonly commandLatencyMs?: number;
  /** Where a throwing subscriber's error goes; it never reaches the tick. */
  readonly onSubscriberError?: (err: unknown) => void;
  /** Logs a throwing subscriber when no `onSubscriberError` is given (default: silent). */
  readonly logger?: Logger;
}

const CAPABILITIES: VehicleCapabilities = {
  missionTypes: ['mission'],
  commandInt: true,
  pauseMission: true,
  goto: true,
  autopilot: 'sim',
};

/**
 * A battery reading at the resolution MAVLink carries it: SYS_STATUS battery_remaining (PX4
 * rounds to whole percent), voltage_battery (mV), current_battery (cA); BATTERY_STATUS
 * current_consumed (mAh).
 */
export function asMavlinkBattery(b: BatteryState): BatteryState {
  return {
    voltage_v: Math.round(b.voltage_v * 1000) / 1000,
    current_a: Math.round(b.current_a * 100) / 100,
    remaining_pct: Math.round(b.remaining_pct),
    consumed_mah: Math.round(b.consumed_mah),
  };
}

/** Creates the port for `vehicleId`, which must already exist in `world`. */
export function createSimVehiclePort(world: SimWorld, vehicleId: string, opts: SimVehiclePortOptions = {}): VehiclePort {
  if (!world.has(vehicleId)) throw new RangeError(`SIM.UNKNOWN_VEHICLE: ${vehicleId} is not in the world`);
  const clock = world.clock;
  const hz = Math.min(world.physicsHz, opts.telemetryHz ?? 10);
  if (!(hz > 0)) throw new RangeError(`telemetryHz must be positive, got ${opts.telemetryHz}`);
  const period = 1000 / hz;
  const latency = Math.max(0, opts.commandLatencyMs ?? 5);
  const logger = opts.logger ?? silentLogger;
  const onError = opts.onSubscriberError ?? ((err: unknown) => logger.error({ err, vehicle: vehicleId }, 'sim-vehicle: subscriber threw'));

  const telemetrySubs = new Set<(t: VehicleTelemetry) => void>();
  const eventSubs = new Set<(e: VehicleEvent) => void>();
  let connected = false;
  let disposed = false;
  let last: VehicleTelemetry | undefined;
  let nextTelemetryAt = 0;
  let unsubWorld: (() => void)[] = [];

  const linkUp = () => connected && !disposed && world.isLinkUp(vehicleId);

  function deliver(e: VehicleEvent): void {
    if (!connected || disposed) return;
    // The link-down event itself is what the twin notices; anything else needs the link.
    if (e.type !== 'link' && !world.isLinkUp(vehicleId)) return;
    for (const fn of eventSubs) {
      try { fn(e); } catch (err) { onError(err); }
    }
  }

  function onTick(now: number): void {
    if (telemetrySubs.size === 0 || !linkUp() || now + 1e-6 < nextTelemetryAt) return;
    nextTelemetryAt = Math.max(nextTelemetryAt + period, now + period * 0.5);
    last = sample();
    for (const fn of telemetrySubs) {
      try { fn(last); } catch (err) { onError(err); }
    }
  }

  function settleLater(run: () => VehicleResult, signal?: AbortSignal): Promise<VehicleResult> {
    if (disposed) return Promise.resolve(fail('VEHICLE.DISPOSED', 'port disposed'));
    if (!connected) return Promise.resolve(fail('VEHICLE.NO_LINK', 'not connected'));
    if (!world.isLinkUp(vehicleId)) return Promise.resolve(fail('VEHICLE.NO_LINK', 'datalink down'));
    if (signal?.aborted) return Promise.resolve(fail('VEHICLE.TIMEOUT', 'aborted by caller', { context: { aborted: true } }));
    return new Promise((resolve) => {
      const onAbort = () => {
        clock.clearTimeout(handle);
        resolve(fail('VEHICLE.TIMEOUT', 'aborted by caller', { context: { aborted: true } }));
        clock.notifyAsync();
      };
      const handle = clock.setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        let r: VehicleResult;
        if (disposed) r = fail('VEHICLE.DISPOSED', 'port disposed');
        // Lost in transit: PX4 would never ACK; we answer at once rather than make callers wait.
        else if (!world.isLinkUp(vehicleId)) r = fail('VEHICLE.NO_LINK', 'datalink lost before the command arrived');
        else r = run();
        resolve(r);
        clock.notifyAsync();
      }, latency);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** The world's telemetry with the battery at MAVLink's resolution. */
  function sample(): VehicleTelemetry {
    const t = world.telemetry(vehicleId);
    return { ...t, battery: asMavlinkBattery(t.battery) };
  }

  const command = (cmd: SimCommand, signal?: AbortSignal) => settleLater(() => world.command(vehicleId, cmd), signal);

  function emitLocal(body: Record<string, unknown>): void {
    deliver({ vehicle: vehicleId, t_ms: clock.now(), ...body } as VehicleEvent);
  }

  return {
    id: vehicleId,
    capabilities: CAPABILITIES,

    async connect(signal) {
      if (disposed) return fail('VEHICLE.DISPOSED', 'port disposed');
      if (connected) return okVoid;
      connected = true; // provisionally, so settleLater accepts the handshake
      const r = await settleLater(() => okVoid, signal);
      if (!r.ok || disposed) {
        connected = false;
        return disposed ? fail('VEHICLE.DISPOSED', 'port disposed') : r;
      }
      world.attachGcs(vehicleId, 1);
      unsubWorld = [world.onEvent(vehicleId, deliver), world.onTick(onTick)];
      nextTelemetryAt = clock.now();
      last = sample();
      emitLocal({ type: 'link', up: true });
      emitLocal({ type: 'home', home: world.home(vehicleId) });
      emitLocal({ type: 'armed', armed: last.armed });
      emitLocal({ type: 'mode', mode: last.mode });
      emitLocal({ type: 'landed', state: last.landed });
      return okVoid;
    },

    async dispose() {
      if (disposed) return;
      disposed = true;
      for (const u of unsubWorld) u();
      unsubWorld = [];
      // The vehicle sees its ground station leave: to it, that is datalink loss.
      if (connected) world.attachGcs(vehicleId, -1);
      connected = false;
      telemetrySubs.clear();
      eventSubs.clear();
    },

    snapshot() {
      if (linkUp() && (!last || last.t_ms !== clock.now())) last = sample();
      return last;
    },

    home() {
      return connected && !disposed ? world.home(vehicleId) : undefined;
    },

    subscribeTelemetry(fn): Unsubscribe {
      if (disposed) return () => {};
      telemetrySubs.add(fn);
      return () => telemetrySubs.delete(fn);
    },

    subscribeEvents(fn): Unsubscribe {
      if (disposed) return () => {};
      eventSubs.add(fn);
      return () => eventSubs.delete(fn);
    },

    // As the MAVLink adapter does on PX4: a vehicle left disarmed in Mission/Takeoff/RTL/Land
    // (where a mission ends) is switched to Hold first, so arming does not launch the old mission.
    arm: (signal) => settleLater(() => {
      const t = world.telemetry(vehicleId);
      if (!t.armed && (t.mode === 'mission' || t.mode === 'takeoff' || t.mode === 'rtl' || t.mode === 'land')) {
        const held = world.command(vehicleId, { kind: 'hold' });
        if (!held.ok) return held;
      }
      return world.command(vehicleId, { kind: 'arm' });
    }, signal),
    disarm: (signal) => command({ kind: 'disarm' }, signal),
    takeoff: (alt_m, signal) => command({ kind: 'takeoff', alt_m }, signal),
    land: (signal) => command({ kind: 'land' }, signal),
    returnToLaunch: (signal) => command({ kind: 'rtl' }, signal),
    hold: (signal) => command({ kind: 'hold' }, signal),
    goto: (target, signal) =>
      command({ kind: 'goto', lat_deg: target?.lat_deg, lon_deg: target?.lon_deg, alt_m: target?.alt_m }, signal),
    // Copy now: the caller may mutate its array before the upload reaches the vehicle.
    uploadMission: (items, signal) => {
      const copy = Array.isArray(items) ? items.map((it) => ({ ...it })) : [];
      // Refused like the MAVLink adapter refuses it: a plan made for another place (core/mission-distance.ts).
      return settleLater(() => {
        const far = checkMissionDistance(copy, world.home(vehicleId));
        return far.ok ? world.command(vehicleId, { kind: 'upload_mission', items: copy }) : far;
      }, signal);
    },
    startMission: (signal) => command({ kind: 'start_mission' }, signal),
    clearMission: (signal) => command({ kind: 'clear_mission' }, signal),
    // Parameters travel over the (simulated) link like any command; each is checked by the world.
    async setParameters(values, signal) {
      const outcomes: ParamOutcome[] = [];
      const r = await settleLater(() => {
        for (const [name, value] of Object.entries(values ?? {})) {
          const set = world.setParam(vehicleId, name, value);
          outcomes.push(set.ok ? { name, ok: true, value } : { name, ok: false, error: `${set.error.code}: ${set.error.message}` });
        }
        const bad = outcomes.filter((o) => !o.ok);
        return bad.length === 0 ? okVoid : fail(bad.some((o) => o.error!.startsWith('SIM.PARAM_UNKNOWN')) ? 'VEHICLE.UNSUPPORTED' : 'VEHICLE.COMMAND_DENIED',
          `parameters not set: ${bad.map((o) => `${o.name} (${o.error})`).join('; ')}`, { context: { outcomes } });
      }, signal);
      return r.ok ? { ok: true, value: outcomes } : r;
    },
    // As the MAVLink adapter uploads it to PX4: polygons as the vehicle's fence, GF_MAX_VER_DIST
    // and GF_ACTION as parameters; the simulated autopilot enforces them (geofence.ts).
    async uploadGeofence(fence, signal) {
      if (disposed) return fail('VEHICLE.DISPOSED', 'port disposed');
      const parsed = VehicleGeofenceSchema.safeParse(fence);
      if (!parsed.success) {
        const i = parsed.error.issues[0]!;
        return fail('MISSION.INVALID', `fence.${i.path.join('.') || '(root)'}: ${i.message}`);
      }
      const f = parsed.data;
      const shapes: SimFenceShape[] = [
        ...(f.polygon ? [{ kind: 'polygon' as const, inclusion: true, vertices: f.polygon }] : []),
        ...(f.exclusions ?? []).map((vertices) => ({ kind: 'polygon' as const, inclusion: false, vertices })),
      ];
      return settleLater(() => {
        const r = world.setGeofence(vehicleId, shapes);
        if (!r.ok) return fail('MISSION.INVALID', r.error.message);
        const params: [string, number][] = [];
        if (f.max_alt_m !== undefined) params.push(['GF_MAX_VER_DIST', f.max_alt_m]);
        if (f.action !== undefined) params.push(['GF_ACTION', GF_ACTION[f.action]]);
        for (const [name, value] of params) {
          const set = world.setParam(vehicleId, name, value);
          if (!set.ok) return fail('VEHICLE.COMMAND_DENIED', `fence uploaded, but ${name}: ${set.error.message}`);
        }
        return okVoid;
      }, signal);
    },
    // A fault happens to the vehicle, not over the link: applied at once, even while the link is down.
    async injectFault(fault) {
      if (disposed) return fail('VEHICLE.DISPOSED', 'port disposed');
      const r = world.injectFault(vehicleId, fault);
      return r.ok ? { ok: true, value: { kind: fault.kind, result: 'ACCEPTED' } } : fail('VEHICLE.COMMAND_DENIED', r.error.message, { context: { code: r.error.code } });
    },
  };
}
