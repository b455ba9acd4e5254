/**
 * The simulated world: every vehicle, the wind, and the one physics timer that steps them.
 *
 * @remarks
 * One clock timer per physics tick for the whole world (not one per vehicle), rescheduled at
 * exact multiples of the period so ticks never drift. Each tick runs, for every vehicle in
 * slot order: fault expiry, the autopilot, the airframe, the battery and (at its own rate) the
 * GPS — over struct-of-arrays storage, without allocating unless a discrete event is emitted.
 * Randomness comes from the injected {@link Rng}: each vehicle gets its own stream
 * (`rng.fork(id)`), so adding a vehicle later does not change the noise of the others.
 */
import type { Clock, TimerHandle } from '../../core/clock.js';
import { LocalFrame, type GeoPoint, type Ned } from '../../core/geo.js';
import { fail, okVoid, type Result } from '../../core/result.js';
import type { Rng } from '../../core/rng.js';
import type { VehicleEvent, VehicleResult, VehicleTelemetry } from '../vehicle.port.js';
import { autopilotStep, LANDED_NAMES, Landed, Mode, MODE_NAMES, type AutopilotHost, type EventBody } from './autopilot.js';
import { batteryCurrent, stepBattery, updateBatteryReadout } from './battery.model.js';
import { armRefusal, executeCommand, type CommandHost, type SimCommand } from './commands.js';
import { applyFault, expireFaults, type FaultHost } from './fault-injection.js';
import { SimFaultSchema } from './faults.js';
import { windVector } from './wind.js';
import { VehicleStore } from './internal/vehicle-store.js';
import type { SimMissionPlan } from './mission-plan.js';
import type { SimFence, SimFenceShape } from './geofence.js';
import { Ctl, stepMultirotor } from './multirotor.model.js';
import { checkSimParam, resolveSimParams, type SimParamName, type SimParams } from './params.js';

/** Ambient wind. */
export interface SimWind {
  /** Mean wind speed, m/s. */
  readonly speed_mps: number;
  /** Direction the wind blows FROM, degrees clockwise from north (meteorological). */
  readonly direction_deg: number;
  /** Standard deviation of the turbulence around the mean, m/s (default 0). */
  readonly gust_sd_mps?: number;
}

export interface SimWorldOptions {
  readonly clock: Clock;
  readonly rng: Rng;
  /** World origin; every vehicle's home altitude is the origin's altitude (flat world). */
  readonly origin: GeoPoint;
  /** Physics rate, Hz (default 50). */
  readonly physicsHz?: number;
  readonly wind?: SimWind;
}

export interface AddVehicleOptions {
  /** Spawn (and home) position, metres from the origin. */
  readonly spawn: { readonly north_m: number; readonly east_m: number };
  readonly params?: Partial<SimParams>;
}

export type SimWorldErrorCode =
  | 'SIM.UNKNOWN_VEHICLE' | 'SIM.DUPLICATE_VEHICLE' | 'SIM.INVALID_FAULT' | 'SIM.INVALID_ARGUMENT'
  | 'SIM.PARAM_UNKNOWN' | 'SIM.PARAM_OUT_OF_RANGE';

/** Turbulence correlation time, s: gusts wander over a few seconds. */
const TURBULENCE_TAU_S = 3;
/** GPS error correlation time, s: GNSS errors drift slowly rather than jump. */
const GPS_ERR_TAU_S = 20;

export class SimWorld implements AutopilotHost, CommandHost, FaultHost {
  readonly clock: Clock;
  readonly frame: LocalFrame;
  readonly physicsHz: number;
  /** Physics step, seconds. */
  readonly dt_s: number;
  readonly s = new VehicleStore();
  readonly params: SimParams[] = [];
  readonly missions: (SimMissionPlan | undefined)[] = [];
  readonly fences: (SimFence | undefined)[] = [];
  readonly rngs: Rng[] = [];
  readonly wind: { n: number; e: number; sd: number };
  private readonly rng: Rng;
  private readonly ids: string[] = [];
  private readonly index = new Map<string, number>();
  private readonly listeners: ((e: VehicleEvent) => void)[][] = [];
  private tickListeners: ((now_ms: number) => void)[] = [];
  private timer: TimerHandle | undefined;
  private nextTickAt = 0;
  private tickCount = 0;
  private readonly turbA: number;
  private readonly turbB: number;

  constructor(opts: SimWorldOptions) {
    this.clock = opts.clock;
    this.rng = opts.rng;
    this.frame = new LocalFrame(opts.origin);
    const hz = opts.physicsHz ?? 50;
    if (!Number.isFinite(hz) || hz <= 0 || hz > 1000) throw new RangeError(`physicsHz ${hz} outside (0, 1000]`);
    this.physicsHz = hz;
    this.dt_s = 1 / hz;
    const w = opts.wind ?? { speed_mps: 0, direction_deg: 0 };
    this.wind = { n: 0, e: 0, sd: Math.max(0, w.gust_sd_mps ?? 0) };
    this.setWind(w.speed_mps, w.direction_deg, w.gust_sd_mps ?? 0);
    this.turbA = Math.exp(-this.dt_s / TURBULENCE_TAU_S);
    this.turbB = Math.sqrt(1 - this.turbA * this.turbA);
  }

  /** Sets the ambient wind (speed m/s, FROM direction deg, turbulence sd m/s). */
  setWind(speed_mps: number, direction_deg: number, gust_sd_mps = this.wind.sd): void {
    const [n, e] = windVector(speed_mps, direction_deg);
    this.wind.n = n;
    this.wind.e = e;
    this.wind.sd = Math.max(0, gust_sd_mps);
  }

  get vehicleIds(): readonly string[] {
    return this.ids;
  }

  has(id: string): boolean {
    return this.index.has(id);
  }

  /** Adds a disarmed vehicle on the ground at its spawn point, which is also its home. */
  addVehicle(id: string, opts: AddVehicleOptions): Result<void, SimWorldErrorCode> {
    if (this.index.has(id)) return fail('SIM.DUPLICATE_VEHICLE', `vehicle ${id} already exists`);
    const { north_m, east_m } = opts.spawn;
    if (!Number.isFinite(north_m) || !Number.isFinite(east_m)) return fail('SIM.INVALID_ARGUMENT', 'spawn must be finite metres');
    const params = resolveSimParams(opts.params);
    if (!params.ok) return params;
    const s = this.s;
    const i = s.add();
    const rng = this.rng.fork(id);
    this.ids[i] = id;
    this.index.set(id, i);
    this.params[i] = params.value;
    this.missions[i] = undefined;
    this.fences[i] = undefined;
    this.rngs[i] = rng;
    this.listeners[i] = [];
    s.pN[i] = north_m; s.pE[i] = east_m; s.pD[i] = 0;
    s.homeN[i] = north_m; s.homeE[i] = east_m;
    s.vN[i] = 0; s.vE[i] = 0; s.vD[i] = 0; s.vaN[i] = 0; s.vaE[i] = 0; s.yaw[i] = 0;
    s.wEstN[i] = this.wind.n; s.wEstE[i] = this.wind.e; s.gustN[i] = 0; s.gustE[i] = 0;
    s.injGustN[i] = 0; s.injGustE[i] = 0; s.injGustUntil[i] = -Infinity;
    s.tgtN[i] = north_m; s.tgtE[i] = east_m; s.tgtD[i] = 0; s.tgtSpd[i] = 0; s.tgtVUp[i] = 0; s.tgtVDn[i] = 0;
    s.batUsed[i] = 0; s.batCurrent[i] = 0;
    updateBatteryReadout(s, i, params.value);
    const p = params.value;
    s.gpsErrN[i] = rng.gaussian(0, p.gps_noise_sd_m);
    s.gpsErrE[i] = rng.gaussian(0, p.gps_noise_sd_m);
    s.gpsErrD[i] = rng.gaussian(0, p.gps_noise_alt_sd_m);
    s.gpsN[i] = north_m + s.gpsErrN[i]!; s.gpsE[i] = east_m + s.gpsErrE[i]!; s.gpsD[i] = s.gpsErrD[i]!;
    s.sats[i] = 12 + Math.floor(rng.next() * 6);
    s.hdop[i] = hdopFor(s.sats[i]!);
    s.gpsLossUntil[i] = Infinity; s.linkLossUntil[i] = Infinity; s.linkDownSince[i] = Infinity;
    s.phaseT[i] = 0; s.groundSince[i] = this.clock.now();
    // PX4 v1.15.4 SIH without RC shows AUTO.LOITER from boot.
    s.mode[i] = Mode.Hold; s.phase[i] = 0; s.ctl[i] = Ctl.Off; s.landed[i] = Landed.OnGround; s.armed[i] = 0;
    s.gpsOk[i] = 1; s.linkOk[i] = 1; s.crashed[i] = 0; s.falling[i] = 0; s.missionIdx[i] = 0; s.missionState[i] = 0;
    s.dllAction[i] = 0; s.dllFired[i] = 0; s.flown[i] = 0; s.batLevel[i] = 0; s.gcs[i] = 0; s.dlUp[i] = 0;
    s.afterDisarm[i] = Mode.Hold; s.rtlItem[i] = 0; s.gfBreach[i] = 0; s.gfCheckAt[i] = 0; s.tkoAt[i] = Number.NaN;
    return okVoid;
  }

  /** Starts the physics timer (idempotent). */
  start(): void {
    if (this.timer !== undefined) return;
    this.nextTickAt = this.clock.now() + 1000 / this.physicsHz;
    this.timer = this.clock.setTimeout(this.tick, 1000 / this.physicsHz);
  }

  /** Stops the physics timer; vehicles freeze in place. */
  stop(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  /** Injects a fault (validated with {@link SimFaultSchema}) into vehicle `id`. */
  injectFault(id: string, fault: unknown): Result<void, SimWorldErrorCode> {
    const i = this.index.get(id);
    if (i === undefined) return fail('SIM.UNKNOWN_VEHICLE', `no vehicle ${id}`);
    const parsed = SimFaultSchema.safeParse(fault);
    if (!parsed.success) return fail('SIM.INVALID_FAULT', `invalid fault: ${parsed.error.issues[0]?.message ?? 'invalid'}`, { cause: parsed.error });
    applyFault(this, i, parsed.data, this.clock.now());
    return okVoid;
  }

  /** Executes a command as the vehicle receives it (no latency here; the adapter adds it). */
  command(id: string, cmd: SimCommand): VehicleResult {
    const i = this.index.get(id);
    if (i === undefined) return fail('VEHICLE.NO_LINK', `no vehicle ${id}`);
    return executeCommand(this, i, cmd, this.clock.now());
  }

  /** Why vehicle `id` cannot arm now, or undefined when it can (PX4's pre-arm check state). */
  armRefusal(id: string): string | undefined {
    return armRefusal(this, this.slot(id));
  }

  setMission(i: number, plan: SimMissionPlan | undefined): void {
    this.missions[i] = plan;
  }

  /**
   * Replaces vehicle `id`'s own geofence (PX4: the MAV_MISSION_TYPE_FENCE plan); no shapes
   * clears it. Enforced with the GF_* parameters (geofence.ts). SIM.INVALID_ARGUMENT for a
   * polygon under 3 vertices, a non-positive radius or a non-finite coordinate.
   */
  setGeofence(id: string, shapes: readonly SimFenceShape[]): Result<void, SimWorldErrorCode> {
    const i = this.index.get(id);
    if (i === undefined) return fail('SIM.UNKNOWN_VEHICLE', `no vehicle ${id}`);
    const polygons: { inclusion: boolean; ne: Float64Array }[] = [];
    const circles: { inclusion: boolean; n: number; e: number; radius_m: number }[] = [];
    const finite = (lat: number, lon: number) => Number.isFinite(lat) && Number.isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180;
    for (const [k, sh] of shapes.entries()) {
      if (sh.kind === 'polygon') {
        if (sh.vertices.length < 3) return fail('SIM.INVALID_ARGUMENT', `fence shape ${k}: a polygon needs at least 3 vertices`);
        const ne = new Float64Array(sh.vertices.length * 2);
        for (const [j, v] of sh.vertices.entries()) {
          if (!finite(v.lat_deg, v.lon_deg)) return fail('SIM.INVALID_ARGUMENT', `fence shape ${k}: vertex ${j} is not a position`);
          const l = this.frame.toLocal(v.lat_deg, v.lon_deg);
          ne[2 * j] = l.north_m;
          ne[2 * j + 1] = l.east_m;
        }
        polygons.push({ inclusion: sh.inclusion, ne });
      } else {
        if (!finite(sh.lat_deg, sh.lon_deg) || !(sh.radius_m > 0)) return fail('SIM.INVALID_ARGUMENT', `fence shape ${k}: invalid circle`);
        const l = this.frame.toLocal(sh.lat_deg, sh.lon_deg);
        circles.push({ inclusion: sh.inclusion, n: l.north_m, e: l.east_m, radius_m: sh.radius_m });
      }
    }
    this.fences[i] = polygons.length || circles.length ? { polygons, circles } : undefined;
    this.s.gfCheckAt[i] = this.clock.now(); // checked on the next tick
    return okVoid;
  }

  /** Subscribes to vehicle `id`'s events, delivered synchronously from inside the tick. */
  onEvent(id: string, fn: (e: VehicleEvent) => void): () => void {
    const list = this.listeners[this.slot(id)]!;
    list.push(fn);
    return () => {
      const k = list.indexOf(fn);
      if (k >= 0) list.splice(k, 1);
    };
  }

  /** Called after every physics tick with the sim time (ms). */
  onTick(fn: (now_ms: number) => void): () => void {
    this.tickListeners = [...this.tickListeners, fn];
    return () => {
      this.tickListeners = this.tickListeners.filter((f) => f !== fn);
    };
  }

  emit(i: number, body: EventBody): void {
    const list = this.listeners[i]!;
    if (list.length === 0) return;
    const e = { vehicle: this.ids[i]!, t_ms: this.clock.now(), ...body } as VehicleEvent;
    for (const fn of list) fn(e);
  }

  emitCapture(i: number, seq: number): void {
    const s = this.s;
    this.emit(i, { type: 'capture', seq, position: this.frame.toGeo({ north_m: s.pN[i]!, east_m: s.pE[i]!, down_m: s.pD[i]! }) });
  }

  /** Emits the vehicle's current armed, mode and landed state (used on link restore). */
  emitState(i: number): void {
    const s = this.s;
    this.emit(i, { type: 'armed', armed: s.armed[i] === 1 });
    this.emit(i, { type: 'mode', mode: MODE_NAMES[s.mode[i]!]! });
    this.emit(i, { type: 'landed', state: LANDED_NAMES[s.landed[i]!]! });
  }

  /** Whether the datalink between vehicle `id` and the ground is up (false for link faults). */
  isLinkUp(id: string): boolean {
    return this.s.linkOk[this.slot(id)] === 1;
  }

  /** A ground station attached to (`+1`) or left (`-1`) vehicle `id`; no GCS counts as link loss. */
  attachGcs(id: string, delta: 1 | -1): void {
    const i = this.slot(id);
    this.s.gcs[i] = Math.max(0, this.s.gcs[i]! + delta);
    this.updateDatalink(i);
  }

  /** Recomputes the vehicle-side datalink state (fault-free link and at least one GCS). */
  updateDatalink(i: number): void {
    const s = this.s;
    const up = s.linkOk[i] === 1 && s.gcs[i]! > 0;
    if (up && s.dlUp[i] === 0) {
      s.dlUp[i] = 1;
      s.linkDownSince[i] = Infinity;
      s.dllFired[i] = 0;
    } else if (!up && s.dlUp[i] === 1) {
      // PX4 only counts datalink loss after it has seen a GCS.
      s.dlUp[i] = 0;
      s.linkDownSince[i] = this.clock.now();
    }
  }

  /** Altitude of the flat ground (the origin's) above mean sea level, m. */
  get groundAlt_m(): number {
    return this.frame.origin.alt_m;
  }

  home(id: string): GeoPoint {
    const i = this.slot(id);
    return this.frame.toGeo({ north_m: this.s.homeN[i]!, east_m: this.s.homeE[i]!, down_m: 0 });
  }

  /** The true (noise-free) position, NED metres from the world origin. For tests and scoring. */
  truePosition(id: string): Ned {
    const i = this.slot(id), s = this.s;
    return { north_m: s.pN[i]!, east_m: s.pE[i]!, down_m: s.pD[i]! };
  }

  /** A copy of vehicle `id`'s parameters. */
  getParams(id: string): SimParams {
    return { ...this.params[this.slot(id)]! };
  }

  /** Sets one parameter (PARAM_SET); takes effect on the next tick. */
  setParam(id: string, name: string, value: number): Result<void, SimWorldErrorCode> {
    const i = this.index.get(id);
    if (i === undefined) return fail('SIM.UNKNOWN_VEHICLE', `no vehicle ${id}`);
    const check = checkSimParam(name, value);
    if (!check.ok) return check;
    this.params[i]![name as SimParamName] = value;
    return okVoid;
  }

  /** Builds a telemetry sample from the reported (noisy) sensors. Allocates; call at telemetry rate. */
  telemetry(id: string): VehicleTelemetry {
    const i = this.slot(id), s = this.s;
    const gpsOk = s.gpsOk[i] === 1;
    return {
      vehicle: id,
      t_ms: this.clock.now(),
      position: this.frame.toGeo({ north_m: s.gpsN[i]!, east_m: s.gpsE[i]!, down_m: s.gpsD[i]! }),
      alt_rel_m: -s.gpsD[i]!,
      local: { north_m: s.gpsN[i]! - s.homeN[i]!, east_m: s.gpsE[i]! - s.homeE[i]!, down_m: s.gpsD[i]! },
      velocity_ned_mps: { north_m: s.vN[i]!, east_m: s.vE[i]!, down_m: s.vD[i]! },
      heading_deg: s.yaw[i]!,
      battery: {
        voltage_v: s.batVoltage[i]!,
        current_a: s.batCurrent[i]!,
        remaining_pct: s.batPct[i]!,
        consumed_mah: s.batUsed[i]!,
      },
      gps: { fix: gpsOk ? '3d' : 'none', satellites: s.sats[i]!, hdop: s.hdop[i]! },
      armed: s.armed[i] === 1,
      mode: MODE_NAMES[s.mode[i]!]!,
      landed: LANDED_NAMES[s.landed[i]!]!,
    };
  }

  slot(id: string): number {
    const i = this.index.get(id);
    if (i === undefined) throw new Error(`SIM.UNKNOWN_VEHICLE: ${id}`);
    return i;
  }

  private readonly tick = (): void => {
    const now = this.clock.now();
    this.nextTickAt += 1000 / this.physicsHz;
    this.timer = this.clock.setTimeout(this.tick, this.nextTickAt - now);
    this.stepAll(now);
    for (const fn of this.tickListeners) fn(now);
  };

  /** One physics step of every vehicle at sim time `now` (ms). Public for the benchmark. */
  stepAll(now: number): void {
    const s = this.s, n = s.count, dt = this.dt_s;
    const tickNo = ++this.tickCount;
    const windN = this.wind.n, windE = this.wind.e, sd = this.wind.sd;
    const ta = this.turbA, tb = this.turbB * sd;
    for (let i = 0; i < n; i++) {
      const p = this.params[i]!;
      expireFaults(this, i, now);
      autopilotStep(this, i, now);
      let wN = windN, wE = windE;
      if (sd > 0) {
        const rng = this.rngs[i]!;
        const gN = s.gustN[i]! * ta + tb * rng.gaussian();
        const gE = s.gustE[i]! * ta + tb * rng.gaussian();
        s.gustN[i] = gN; s.gustE[i] = gE;
        wN += gN; wE += gE;
      }
      if (s.injGustUntil[i]! > now) { wN += s.injGustN[i]!; wE += s.injGustE[i]!; }
      stepMultirotor(s, i, p, dt, wN, wE);
      const vaN = s.vaN[i]!, vaE = s.vaE[i]!;
      const current = batteryCurrent(p, s.armed[i] === 1 && s.falling[i] === 0, s.ctl[i] !== Ctl.Off, Math.sqrt(vaN * vaN + vaE * vaE), -s.vD[i]!);
      stepBattery(s, i, p, dt, current);
      const every = Math.max(1, Math.round(this.physicsHz / p.gps_rate_hz));
      if (tickNo % every === 0 && s.gpsOk[i] === 1) this.stepGps(i, p, every * dt);
    }
  }

  private stepGps(i: number, p: SimParams, dt: number): void {
    const s = this.s, rng = this.rngs[i]!;
    const a = Math.exp(-dt / GPS_ERR_TAU_S), b = Math.sqrt(1 - a * a);
    s.gpsErrN[i] = s.gpsErrN[i]! * a + b * rng.gaussian(0, p.gps_noise_sd_m);
    s.gpsErrE[i] = s.gpsErrE[i]! * a + b * rng.gaussian(0, p.gps_noise_sd_m);
    s.gpsErrD[i] = s.gpsErrD[i]! * a + b * rng.gaussian(0, p.gps_noise_alt_sd_m);
    s.gpsN[i] = s.pN[i]! + s.gpsErrN[i]!;
    s.gpsE[i] = s.pE[i]! + s.gpsErrE[i]!;
    s.gpsD[i] = s.pD[i]! + s.gpsErrD[i]!;
    // Satellites come and go slowly; hdop follows.
    if (rng.next() < 0.005) {
      s.sats[i] = Math.min(20, Math.max(9, s.sats[i]! + (rng.next() < 0.5 ? -1 : 1)));
      s.hdop[i] = hdopFor(s.sats[i]!);
    }
  }
}

function hdopFor(sats: number): number {
  return Math.round((0.4 + 5 / sats) * 100) / 100;
}

