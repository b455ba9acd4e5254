/**
 * The {@link VehiclePort} over MAVLink: a PX4 or ArduCopter vehicle (real, PX4 SITL, or our
 * built-in SITL) on UDP, TCP or serial.
 *
 * @remarks
 * A thin face over one plugin per capability (MAVSDK style): `heartbeat.ts` (link up/down),
 * `telemetry-mapper.ts` (telemetry and events), `command-protocol.ts`, `modes.ts`,
 * `mission-protocol.ts` + `mission-items.ts` + `mission-progress.ts`, `param-protocol.ts`,
 * `readiness.ts`. Every timeout and period runs on the injected clock and is divided by
 * `speedFactor` (an autopilot running N× faster than the wall clock, PX4_SIM_SPEED_FACTOR).
 * Semantics:
 * - `connect` opens the link (when given a URL), starts our 1 Hz heartbeat, waits for the
 *   vehicle's, requests telemetry rates (MAV_CMD_SET_MESSAGE_INTERVAL) and HOME_POSITION.
 * - `arm` first waits (up to `readinessTimeoutMs`) until the vehicle can arm — GPS, home and,
 *   on PX4, its own pre-arm bit settled (readiness.ts, scripts/px4/FINDINGS.md F1/F2) — and fails with
 *   VEHICLE.NOT_READY and the reason rather than collect a DENIED; when only the vehicle's own
 *   verdict was missing, one ARM is sent at the end so the error carries its refusal.
 *   A PX4 left disarmed in Mission, Takeoff, RTL or Land mode (as a flight ends) is put in hold
 *   first: armed in Mission mode it would launch at once; in RTL or Land it refuses to arm.
 * - `takeoff` is refused here (COMMAND_DENIED) while disarmed: PX4 would accept NAV_TAKEOFF and
 *   switch mode without flying. PX4 gets param7 as AMSL (home + alt); ArduCopter is switched
 *   to GUIDED and gets the altitude above home, as each expects.
 * - `goto` is DO_REPOSITION as COMMAND_INT in MAV_FRAME_GLOBAL (AMSL), change-mode flag set.
 * - `uploadMission` refuses (MISSION.INVALID, item index and distance) a mission with an item
 *   farther than `maxItemDistanceM` from home, before any traffic (core/mission-distance.ts).
 * - `startMission` = AUTO.MISSION (PX4); AUTO + MAV_CMD_MISSION_START (ArduPilot). After an
 *   upload PX4 refuses Mission mode (TEMPORARILY_REJECTED) until its navigator has checked the
 *   new plan: we first wait (≤ `missionReadyTimeoutMs`) for MISSION_CURRENT to carry the
 *   upload's opaque id with a real seq (mission-status.ts), then retry a TEMPORARILY_REJECTED
 *   with backoff (250 ms doubling, ≤ 5 s; state-wait.ts).
 * - `hold` = AUTO.LOITER (PX4) / LOITER (ArduCopter); also pauses a mission.
 * - A (dis)arm or mode change whose ACK never came (VEHICLE.TIMEOUT) is read back from the next
 *   HEARTBEATs (≤ `readBackTimeoutMs`): if the vehicle is in the requested state, it succeeded.
 * - Mission end: the adapter lets progress see a disarm before it reports `armed: false`, so a
 *   mission ending in RTL or LAND is `mission.finished` when the vehicle lands and disarms on
 *   its final item, as PX4 v1.15 ends it (mission-progress.ts).
 * - `adoptVehiclePlan` downloads the vehicle's plan so progress works for a mission an earlier
 *   process uploaded (resume).
 * - `uploadGeofence`: MAV_MISSION_TYPE_FENCE polygons + GF_MAX_VER_DIST / GF_ACTION (geofence.ts);
 *   `setParameters`: each in the type the vehicle declares, verified by its echo;
 *   `injectFault`: PX4 failure injection or a silenced uplink (px4-fault-injection.ts).
 */
import { z } from 'zod';
import type { Clock } from '../../../core/clock.js';
import type { FlightMode } from '../../../core/flight.js';
import { silentLogger, type Logger } from '../../../core/logger.js';
import type { MissionItem } from '../../../core/mission.js';
import { fail, ok, okVoid } from '../../../core/result.js';
import type {
  FaultReport, ParamOutcome, Unsubscribe, VehicleCapabilities, VehicleErrorCode, VehicleEvent, VehicleFault, VehicleGeofence,
  VehiclePort, VehicleResult, VehicleTelemetry,
} from '../../vehicle.port.js';
import { CommandProtocol, type CommandOptions, type CommandRequest } from './command-protocol.js';
import { createEventsClient, type EventsClient } from './events/events-client.js';
import type { HealthReport } from './events/health-report.js';
import { fencePlan } from './geofence.js';
import { HeartbeatPlugin } from './heartbeat.js';
import { setSilenced, silenceable } from './link-silencer.js';
import { openLink, type Link, type LinkStats } from './link.js';
import { checkMissionDistance, DEFAULT_MAX_ITEM_DISTANCE_M } from '../../../core/mission-distance.js';
import { fromMavItems, MAV_FRAME, toMavPlan, type MavMissionItem, type MissionType } from './mission-items.js';
import { MissionProtocol, type MissionProtocolOptions, type UploadReceipt } from './mission-protocol.js';
import { MissionStatus } from './mission-status.js';
import { setMode } from './modes.js';
import { ParamProtocol, type ParamResult, type ParamValue } from './param-protocol.js';
import { Readiness, type ReadinessReport } from './readiness.js';
import { MavSession } from './session.js';
import { retryTemporarilyRejected, waitUntil, type BackoffOptions } from './state-wait.js';
import { Px4FaultInjector } from './px4-fault-injection.js';
import { MSG_ID, TelemetryMapper, type EventBody } from './telemetry-mapper.js';
import { planFromVehicleRows } from './vehicle-plan.js';

export interface MavlinkVehiclePortOptions {
  /** The vehicle's id in the twin (e.g. `drone1`). */
  readonly id: string;
  /** A connection URL (`udpin://0.0.0.0:14540`, `udpout://`, `tcp://`, `serial://`); the port owns the link. */
  readonly url?: string;
  /** Or a link shared with other vehicles; the port does not close it. */
  readonly link?: Link;
  /** All timeouts, retries and heartbeats run on this clock. */
  readonly clock: Clock;
  /** The vehicle's MAVLink system id (default: the first autopilot heard). */
  readonly targetSystem?: number;
  /** Our system id (default 245, clear of PX4's 1 and QGroundControl's 255). */
  readonly gcsSysid?: number;
  /** Our component id (default 190, MAV_COMP_ID_MISSIONPLANNER). */
  readonly gcsCompid?: number;
  /** Autopilot time per clock time (PX4_SIM_SPEED_FACTOR); divides every timeout and period. Default 1. */
  readonly speedFactor?: number;
  readonly logger?: Logger;
  /** How long `arm` waits for the vehicle to become ready, ms of autopilot time (default 60 000). */
  readonly readinessTimeoutMs?: number;
  /** How long `connect` waits for the first heartbeat, ms of autopilot time (default 10 000). */
  readonly connectTimeoutMs?: number;
  /** Telemetry (GLOBAL_POSITION_INT) rate requested from the vehicle, Hz (default 10). */
  readonly telemetryHz?: number;
  readonly command?: CommandOptions;
  readonly mission?: MissionProtocolOptions;
  /** Heartbeat period and link-loss timeout, ms of autopilot time (defaults 1000 / 3000). */
  readonly heartbeat?: { readonly periodMs?: number; readonly timeoutMs?: number };
  /** Where a throwing subscriber's error goes (default: logged). */
  readonly onSubscriberError?: (err: unknown) => void;
  /** Refuse a mission with an item farther than this from home, metres (default 10 000; 0 = no limit). */
  readonly maxItemDistanceM?: number;
  /** How long `startMission` waits for the vehicle to have checked a new plan, ms of autopilot time (default 5000). */
  readonly missionReadyTimeoutMs?: number;
  /** Backoff for mode changes refused with TEMPORARILY_REJECTED (default 250 ms doubling, ≤ 5 s of waiting). */
  readonly modeRetry?: BackoffOptions;
  /** Backoff for an ARM refused with TEMPORARILY_REJECTED (default 250 ms doubling, ≤ 5 s of waiting; `{ budgetMs: 0 }` = no retry). */
  readonly armRetry?: BackoffOptions;
  /** After a (dis)arm or mode command timed out, how long to watch HEARTBEATs for its effect, ms of autopilot time (default 3000). */
  readonly readBackTimeoutMs?: number;
}

/** The port plus what MAVLink offers beyond it. */
export interface MavlinkVehiclePort extends VehiclePort {
  /** Parameter protocol (after connect). */
  readonly params: {
    read(name: string, signal?: AbortSignal): Promise<ParamResult<ParamValue>>;
    set(name: string, value: number, signal?: AbortSignal): Promise<ParamResult<ParamValue>>;
    list(signal?: AbortSignal): Promise<ParamResult<Map<string, ParamValue>>>;
  };
  /** Downloads the vehicle's mission as port items. */
  downloadMission(signal?: AbortSignal): Promise<VehicleResult<MissionItem[]>>;
  /**
   * Downloads the vehicle's mission and follows it: progress events (mission.current / reached /
   * finished) then speak in its items, for a mission an earlier process uploaded. Resolves with
   * the item count; MISSION.NONE_LOADED when the vehicle has none (or none the port can follow).
   */
  adoptVehiclePlan(signal?: AbortSignal): Promise<VehicleResult<{ readonly items: number }>>;
  uploadGeofence(fence: VehicleGeofence, signal?: AbortSignal): Promise<VehicleResult>;
  setParameters(values: Readonly<Record<string, number>>, signal?: AbortSignal): Promise<VehicleResult<readonly ParamOutcome[]>>;
  injectFault(fault: VehicleFault, signal?: AbortSignal): Promise<VehicleResult<FaultReport>>;
  /** Uploads raw rows of any mission type (1 = fence, 2 = rally). */
  uploadItems(items: readonly MavMissionItem[], missionType: MissionType, signal?: AbortSignal): Promise<VehicleResult>;
  /** Why the vehicle can or cannot arm now. */
  readiness(): ReadinessReport;
  /** PX4's latest health and arming-check report (events interface): failing checks, modes that can arm/run. */
  healthReport(): HealthReport | undefined;
  /** The MAVLink system id of the vehicle, once known. */
  targetSystem(): number | undefined;
  linkStats(): Readonly<LinkStats> | undefined;
  /** Sends any command (for capabilities the port does not cover). */
  command(req: CommandRequest, signal?: AbortSignal): Promise<VehicleResult>;
}

const Options = z.object({
  id: z.string().min(1).max(128),
  url: z.string().optional(),
  targetSystem: z.number().int().min(1).max(255).optional(),
  gcsSysid: z.number().int().min(1).max(255).default(245),
  gcsCompid: z.number().int().min(1).max(255).default(190),
  speedFactor: z.number().positive().max(1000).default(1),
  readinessTimeoutMs: z.number().nonnegative().default(60_000),
  connectTimeoutMs: z.number().positive().default(10_000),
  telemetryHz: z.number().positive().max(100).default(10),
  maxItemDistanceM: z.number().nonnegative().default(DEFAULT_MAX_ITEM_DISTANCE_M),
  missionReadyTimeoutMs: z.number().nonnegative().default(5000),
  readBackTimeoutMs: z.number().nonnegative().default(3000),
});

/** PX4/ArduPilot parameter names (≤ 16 characters) → finite values. */
const ParamValues = z.record(z.string().regex(/^[A-Za-z0-9_]{1,16}$/, 'parameter names are ≤ 16 letters, digits or _'), z.number().finite());

/** The port's fault kinds (the same as the simulator's), validated at this edge. */
const VehicleFaultSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('link_loss'), duration_s: z.number().positive().max(86_400).optional() }),
  z.object({ kind: z.literal('link_restore') }),
  z.object({ kind: z.literal('gps_loss'), duration_s: z.number().positive().max(86_400).optional() }),
  z.object({ kind: z.literal('gps_restore') }),
  z.object({ kind: z.literal('battery_drop'), pct: z.number().positive().max(100) }),
  z.object({ kind: z.literal('motor_failure') }),
  z.object({ kind: z.literal('wind_gust'), speed_mps: z.number().min(0).max(60), direction_deg: z.number(), duration_s: z.number().positive() }),
  z.object({ kind: z.literal('sensor_failure'), sensor: z.string().min(1).max(64) }),
]);

const CMD = {
  NAV_RETURN_TO_LAUNCH: 20, NAV_LAND: 21, NAV_TAKEOFF: 22, DO_REPOSITION: 192, MISSION_START: 300,
  COMPONENT_ARM_DISARM: 400, SET_MESSAGE_INTERVAL: 511, REQUEST_MESSAGE: 512,
} as const;
const MAV_DO_REPOSITION_FLAGS_CHANGE_MODE = 1;
const NaN_ = Number.NaN;

/** Creates the port; nothing is opened until `connect`. Throws RangeError for bad options (a bug). */
export function createMavlinkVehiclePort(options: MavlinkVehiclePortOptions): MavlinkVehiclePort {
  const parsed = Options.safeParse(options);
  if (!parsed.success) throw new RangeError(`MAVLINK.BAD_OPTIONS: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  if (!options.url === !options.link) throw new RangeError('MAVLINK.BAD_OPTIONS: give exactly one of url or link');
  const o = parsed.data;
  const { clock } = options;
  const logger = options.logger ?? silentLogger;
  const onError = options.onSubscriberError ?? ((err: unknown) => logger.error({ err, vehicle: o.id }, 'mavlink-vehicle: subscriber threw'));
  const telemetrySubs = new Set<(t: VehicleTelemetry) => void>();
  const eventSubs = new Set<(e: VehicleEvent) => void>();

  let disposed = false;
  let connected = false;
  let link: Link | undefined = options.link;
  let ownsLink = false;
  let parts: {
    session: MavSession; heartbeat: HeartbeatPlugin; telemetry: TelemetryMapper; commands: CommandProtocol;
    missions: MissionProtocol; params: ParamProtocol; readiness: Readiness; status: MissionStatus; faults: Px4FaultInjector;
    events: EventsClient;
  } | undefined;
  /** What an injected link loss silenced on the link (undone on restore and teardown). */
  let silenced: (number | 'all')[] = [];
  /** Bumped whenever the plan changes (upload, clear, adoption): a slow adoption must not undo a newer upload. */
  let planGeneration = 0;
  /** The opaque id the vehicle gave our last upload, until startMission has seen it checked. */
  let uploadedMissionId: number | undefined;
  /** A plan we uploaded has not been started yet: its first start begins at item 0. */
  let freshPlan = false;

  function emit(body: EventBody): void {
    if (disposed) return;
    const e = { vehicle: o.id, t_ms: clock.now(), ...body } as VehicleEvent;
    for (const fn of eventSubs) {
      try { fn(e); } catch (err) { onError(err); }
    }
  }
  function emitTelemetry(t: VehicleTelemetry): void {
    if (disposed) return;
    for (const fn of telemetrySubs) {
      try { fn(t); } catch (err) { onError(err); }
    }
  }

  const disposedResult = () => fail('VEHICLE.DISPOSED', 'port disposed');
  /** The plugins, or why a command cannot run now. */
  function ready(): VehicleResult<NonNullable<typeof parts>> {
    if (disposed) return disposedResult();
    if (!connected || !parts) return fail('VEHICLE.NO_LINK', 'not connected');
    if (!parts.session.linkUp) return fail('VEHICLE.NO_LINK', 'no heartbeat from the vehicle (link lost)');
    return ok(parts);
  }
  const voidOf = (r: VehicleResult<unknown>): VehicleResult => (r.ok ? okVoid : r);

  async function requestStreams(p: NonNullable<typeof parts>): Promise<void> {
    const rates: [number, number][] = [
      [MSG_ID.GLOBAL_POSITION_INT, o.telemetryHz], [MSG_ID.ATTITUDE, 5], [MSG_ID.LOCAL_POSITION_NED, 5],
      [MSG_ID.SYS_STATUS, 2], [MSG_ID.BATTERY_STATUS, 1], [MSG_ID.GPS_RAW_INT, 2], [MSG_ID.EXTENDED_SYS_STATE, 2],
      [MSG_ID.MISSION_CURRENT, 2], [MSG_ID.HOME_POSITION, 0.5],
    ];
    const home = await p.commands.send({ command: CMD.REQUEST_MESSAGE, params: [MSG_ID.HOME_POSITION, 0, 0, 0, 0, 0, 0] });
    if (!home.ok) logger.debug({ vehicle: o.id, error: home.error }, 'mavlink-vehicle: HOME_POSITION request');
    for (const [msgid, hz] of rates) {
      if (disposed || !p.session.linkUp) return;
      // Interval in µs of autopilot time: the autopilot's clock, not ours.
      const r = await p.commands.send({ command: CMD.SET_MESSAGE_INTERVAL, params: [msgid, Math.round(1e6 / hz), 0, 0, 0, 0, 0] });
      if (!r.ok) logger.debug({ vehicle: o.id, msgid, error: r.error }, 'mavlink-vehicle: SET_MESSAGE_INTERVAL');
    }
  }

  function teardown(): void {
    if (!parts) return;
    parts.heartbeat.stop();
    parts.telemetry.dispose();
    parts.commands.dispose();
    parts.missions.dispose();
    parts.params.dispose();
    parts.status.dispose();
    parts.faults.dispose();
    parts.events.dispose();
    parts.readiness.dispose();
    silence(false);
    parts.session.close();
    parts = undefined;
  }

  /** Silences (or restores) what we send to the vehicle: an uplink outage, for link_loss. */
  function silence(on: boolean): void {
    if (!link) return;
    if (!on) {
      for (const k of silenced) setSilenced(link, k, false);
      silenced = [];
      return;
    }
    if (silenced.length > 0) return;
    const sysid = parts?.session.sysid;
    // Our broadcasts (the link's one GCS heartbeat) stop too when this vehicle is the only far
    // end of the link; on a link shared with other vehicles they go on for the others.
    const alone = link.peers().length <= 1;
    silenced = [...(sysid !== undefined ? [sysid] : []), ...(ownsLink || alone || sysid === undefined ? ['all' as const] : [])];
    for (const k of silenced) setSilenced(link, k, true);
  }

  /**
   * After an accepted (dis)arm, waits (≤ 2 s autopilot time) for the heartbeat that shows it, so
   * the next command sees the vehicle as it is: the ACK comes before the 1 Hz heartbeat.
   */
  function armedState(p: NonNullable<typeof parts>, armed: boolean): Promise<VehicleResult> {
    const { session, telemetry } = p;
    if (telemetry.armed === armed) return Promise.resolve(okVoid);
    return new Promise((resolve) => {
      const deadline = clock.now() + session.ms(2000);
      const poll = () => {
        if (telemetry.armed === armed || disposed || clock.now() >= deadline) return resolve(okVoid);
        session.after(session.ms(20), poll);
      };
      poll();
    });
  }

  /**
   * A command timed out (no ACK after every retry): the ACK may be what was lost. Watches the
   * HEARTBEATs for `reached()`; ok if the vehicle got there, the timeout otherwise.
   */
  async function readBack(p: NonNullable<typeof parts>, r: VehicleResult<unknown>, reached: () => boolean, what: string, signal?: AbortSignal): Promise<VehicleResult> {
    if (r.ok) return okVoid;
    if (r.error.code !== 'VEHICLE.TIMEOUT' || r.error.context?.['aborted'] || disposed) return r;
    if (await waitUntil(p.session, reached, p.session.ms(o.readBackTimeoutMs), signal)) {
      logger.info({ vehicle: o.id, what }, 'mavlink-vehicle: no ACK, but the vehicle did it (read back from HEARTBEAT)');
      return okVoid;
    }
    return r;
  }

  /** Tells the telemetry mapper a mode change is ours (not a vehicle failsafe), where it listens. */
  function noteCommandedMode(p: NonNullable<typeof parts>, m: FlightMode): void {
    const t = p.telemetry as unknown as { noteCommandedMode?: (mode: FlightMode) => void };
    if (typeof t.noteCommandedMode === 'function') t.noteCommandedMode(m);
  }

  async function mode(m: FlightMode, signal?: AbortSignal): Promise<VehicleResult> {
    const p = ready();
    if (!p.ok) return p;
    noteCommandedMode(p.value, m);
    const r = await setMode(p.value.commands, p.value.session.autopilot, m, signal);
    return readBack(p.value, r, () => p.value.telemetry.mode === m, `mode ${m}`, signal);
  }

  /** Makes item 0 current (MISSION_SET_CURRENT) unless MISSION_CURRENT already says so; ≤ 3 tries. */
  async function rewindToStart(p: NonNullable<typeof parts>, signal?: AbortSignal): Promise<void> {
    for (let i = 0; i < 3 && p.status.last?.seq !== 0 && !signal?.aborted && !disposed; i++) {
      p.missions.setCurrent(0);
      await waitUntil(p.session, () => p.status.last?.seq === 0, p.session.ms(1000), signal);
    }
    if (p.status.last?.seq !== 0) logger.warn({ vehicle: o.id, last: p.status.last }, 'mavlink-vehicle: the vehicle did not confirm item 0 as current');
  }

  /** Downloads the vehicle's plan and follows it (unless a newer upload or clear came meanwhile). */
  async function adopt(p: NonNullable<typeof parts>, signal?: AbortSignal): Promise<VehicleResult<{ readonly items: number }>> {
    const generation = planGeneration;
    const dl = await p.missions.download(0, signal);
    if (!dl.ok) return dl;
    const home = p.telemetry.home;
    const plan = planFromVehicleRows(dl.value, { autopilot: p.session.autopilot, ...(home ? { home } : {}) });
    if (!plan.ok) return plan;
    if (parts !== p) return fail('VEHICLE.NO_LINK', 'adopting the vehicle plan: disconnected meanwhile');
    if (generation === planGeneration) {
      planGeneration++;
      uploadedMissionId = undefined;
      freshPlan = false;
      p.telemetry.progress.setPlan(plan.value);
      // A vehicle flying it (a twin resumed mid-flight): the run is under way.
      if (p.telemetry.armed) p.telemetry.progress.resumeRun();
    }
    return ok({ items: plan.value.source.length });
  }

  /** Sets each parameter in the vehicle's declared type; fails naming the ones that were not set. */
  async function setParams(p: NonNullable<typeof parts>, values: Readonly<Record<string, number>>, signal?: AbortSignal): Promise<VehicleResult<readonly ParamOutcome[]>> {
    const parsed = ParamValues.safeParse(values);
    if (!parsed.success) return fail('VEHICLE.COMMAND_DENIED', `invalid parameters: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
    const outcomes: ParamOutcome[] = [];
    for (const [name, value] of Object.entries(parsed.data)) {
      const r = await p.params.set(name, value, undefined, signal);
      // PX4 re-runs its arming checks with the new value (NAV_DLL_ACT > 0 makes a GCS not yet
      // seen an arming failure): readiness judged before this no longer counts.
      if (r.ok) p.readiness.mark();
      outcomes.push(r.ok ? { name, ok: true, value: r.value.value } : { name, ok: false, error: `${r.error.code}: ${r.error.message}` });
      if (!r.ok && (r.error.code === 'VEHICLE.NO_LINK' || r.error.code === 'VEHICLE.DISPOSED' || signal?.aborted)) break;
    }
    const failed = outcomes.filter((x) => !x.ok);
    if (failed.length === 0) return ok(outcomes);
    const code = failed.some((x) => x.error!.startsWith('PARAM.NOT_FOUND')) ? 'VEHICLE.UNSUPPORTED'
      : failed.some((x) => x.error!.startsWith('PARAM.NOT_SET')) ? 'VEHICLE.COMMAND_DENIED'
        : (failed[0]!.error!.split(':')[0] as VehicleErrorCode);
    return fail(code, `parameters not set: ${failed.map((x) => `${x.name} (${x.error})`).join('; ')}`, { context: { outcomes } });
  }

  async function cmd(req: CommandRequest, signal?: AbortSignal): Promise<VehicleResult> {
    const p = ready();
    if (!p.ok) return p;
    const since = p.value.events.cursor();
    return explain(p.value, since, voidOf(await p.value.commands.send(req, signal)));
  }

  /** Appends the vehicle's own words (PX4 events since `since`) to a refusal. */
  async function explain<T>(p: NonNullable<typeof parts>, since: number, r: VehicleResult<T>): Promise<VehicleResult<T>> {
    if (r.ok || r.error.code !== 'VEHICLE.COMMAND_DENIED' || !p.events.canExplain()) return r;
    const why = await p.events.refusalReason(since, p.session.ms(1000));
    return why ? fail(r.error.code, `${r.error.message}; vehicle says: "${why}"`, { context: { ...r.error.context, vehicleSays: why } }) : r;
  }

  const port: MavlinkVehiclePort = {
    id: o.id,
    get capabilities(): VehicleCapabilities {
      const ap = parts?.session.autopilot ?? 'unknown';
      return { missionTypes: ['mission', 'fence', 'rally'], commandInt: true, pauseMission: true, goto: true, autopilot: ap };
    },

    async connect(signal) {
      if (disposed) return disposedResult();
      if (connected) return okVoid;
      if (!link) {
        const opened = await openLink(o.url!, { logger, clock });
        if (disposed) {
          if (opened.ok) await opened.value.close();
          return disposedResult();
        }
        if (!opened.ok) return fail('VEHICLE.NO_LINK', opened.error.message, { cause: opened.error });
        link = opened.value;
        ownsLink = true;
      }
      const session = new MavSession({
        link: silenceable(link), clock, logger, gcsSysid: o.gcsSysid, gcsCompid: o.gcsCompid, targetSystem: o.targetSystem, speedFactor: o.speedFactor,
      });
      let seenUp = false;
      const telemetry: TelemetryMapper = new TelemetryMapper(session, o.id, (body) => {
        // Progress first: a landing disarm on the final RTL/LAND item ends the mission, and the
        // twin must hear that before the disarm (which in flight means failure).
        if (body.type === 'armed' && !body.armed) telemetry.progress.onDisarm(telemetry.landed ?? 'unknown');
        emit(body);
      }, (t) => emitTelemetry(t));
      const heartbeat = new HeartbeatPlugin(session, {
        ...options.heartbeat,
        onLink: (up) => {
          if (!connected) return;
          emit({ type: 'link', up });
          if (up && seenUp && parts) void requestStreams(parts); // the vehicle may have rebooted
          seenUp ||= up;
        },
        onHeartbeat: (hb) => telemetry.onHeartbeat(hb),
      });
      const commands = new CommandProtocol(session, options.command);
      const params = new ParamProtocol(session);
      const events = createEventsClient({ session, logger, commands });
      const readiness = new Readiness(session, telemetry, {
        healthReport: () => events.healthReport(),
        modeGroupOf: (customMode) => events.metadata?.modeGroupOf(customMode),
      });
      parts = {
        session, heartbeat, telemetry, commands, params, readiness, events,
        missions: new MissionProtocol(session, options.mission),
        status: new MissionStatus(session),
        faults: new Px4FaultInjector({ session, commands, params, silence, battery: () => telemetry.current()?.battery.remaining_pct, armed: () => telemetry.armed, logger }),
      };
      parts.events.subscribe((e) => emit({ type: 'vehicle.event', severity: e.severity, text: e.text, id: e.id, name: e.name }));
      connected = true;
      heartbeat.start();
      const heard = await heartbeat.waitFirst(session.ms(o.connectTimeoutMs), signal);
      if (disposed) return disposedResult();
      if (!heard) {
        connected = false;
        teardown();
        if (ownsLink && link) {
          await link.close();
          link = undefined;
          ownsLink = false;
        }
        if (signal?.aborted) return fail('VEHICLE.TIMEOUT', 'connect: aborted by caller', { context: { aborted: true } });
        return fail('VEHICLE.NO_LINK', `no vehicle heartbeat within ${o.connectTimeoutMs} ms${o.targetSystem ? ` from system ${o.targetSystem}` : ''}`);
      }
      // The first heartbeat already reported link up, armed and mode.
      void requestStreams(parts);
      if (session.autopilot === 'px4') void parts.events.loadMetadata();
      return okVoid;
    },

    async dispose() {
      if (disposed) return;
      disposed = true;
      connected = false;
      teardown();
      telemetrySubs.clear();
      eventSubs.clear();
      if (ownsLink && link) await link.close();
      link = undefined;
    },

    snapshot: () => (disposed ? undefined : parts?.telemetry.current()),
    home: () => (connected && !disposed ? parts?.telemetry.home : undefined),

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

    async arm(signal) {
      const p = ready();
      if (!p.ok) return p;
      const { readiness, commands, session, telemetry } = p.value;
      if (session.autopilot === 'px4' && telemetry.armed === false
        && (telemetry.mode === 'mission' || telemetry.mode === 'takeoff' || telemetry.mode === 'rtl' || telemetry.mode === 'land' || readiness.holdWouldArm())) {
        // PX4 flies off as soon as it is armed in Mission (or Takeoff) mode, and refuses to arm
        // in RTL or Land ("Resolve system health failures first"); after a mission or a landing
        // it sits disarmed in one of them. Arm means arm: hold first — before judging readiness,
        // as PX4's pre-arm bit speaks of the current mode (disarmed, PX4 takes any mode).
        const h = await mode('hold', signal);
        if (!h.ok) logger.warn({ vehicle: o.id, error: h.error }, 'mavlink-vehicle: could not switch to hold before arming');
        readiness.mark();
      }
      const wait = await readiness.wait(session.ms(o.readinessTimeoutMs), signal);
      if (!wait.ok && wait.error.context?.['onlyPrearm'] === true) {
        // Waited the whole timeout for the vehicle's own pre-arm verdict: let it answer one ARM,
        // so the error is its refusal in its words (it will not arm while its checks fail).
        const since = p.value.events.cursor();
        const once = await commands.send({ command: CMD.COMPONENT_ARM_DISARM, params: [1, 0, 0, 0, 0, 0, 0] }, signal);
        if (once.ok) return armedState(p.value, true);
        const missing = (wait.error.context?.['missing'] as string[] | undefined) ?? [];
        const message = `${once.error.message} (after waiting ${o.readinessTimeoutMs / 1000} s: ${missing.join(', ')})`;
        const context = { ...once.error.context, readiness: wait.error.context };
        const waited: VehicleResult = fail(once.error.code, message, { context });
        const explained = await explain(p.value, since, waited);
        if (explained !== waited) return explained;
        const says = readiness.check().vehicleSays;
        return says ? fail(once.error.code, `${message}; vehicle says: "${says}"`, { context }) : waited;
      }
      if (!wait.ok) return wait;
      const since = p.value.events.cursor();
      // PX4 refuses with TEMPORARILY_REJECTED while a check is transiently failing (EKF settling).
      const r = await retryTemporarilyRejected(session, () => commands.send({ command: CMD.COMPONENT_ARM_DISARM, params: [1, 0, 0, 0, 0, 0, 0] }, signal), options.armRetry ?? {}, signal);
      if (r.ok) return armedState(p.value, true);
      if (r.error.code === 'VEHICLE.TIMEOUT') return readBack(p.value, r, () => p.value.telemetry.armed === true, 'arm', signal);
      if (r.error.code !== 'VEHICLE.COMMAND_DENIED') return r;
      const explained = await explain(p.value, since, r);
      if (explained !== r) return voidOf(explained);
      const says = readiness.check().vehicleSays;
      return says ? fail(r.error.code, `${r.error.message}; vehicle says: "${says}"`, { context: r.error.context }) : r;
    },

    async disarm(signal) {
      const p = ready();
      if (!p.ok) return p;
      const r = await p.value.commands.send({ command: CMD.COMPONENT_ARM_DISARM, params: [0, 0, 0, 0, 0, 0, 0] }, signal);
      if (r.ok) return armedState(p.value, false);
      return readBack(p.value, r, () => p.value.telemetry.armed === false, 'disarm', signal);
    },

    async takeoff(alt_m, signal) {
      const p = ready();
      if (!p.ok) return p;
      const { telemetry, session } = p.value;
      if (!telemetry.armed) return fail('VEHICLE.COMMAND_DENIED', 'takeoff denied: vehicle is disarmed');
      if (alt_m !== undefined && !(Number.isFinite(alt_m) && alt_m > 0)) return fail('VEHICLE.COMMAND_DENIED', `takeoff denied: altitude ${alt_m} m`);
      if (session.autopilot === 'ardupilot') {
        const g = await mode('takeoff', signal);
        if (!g.ok) return g;
        return cmd({ command: CMD.NAV_TAKEOFF, params: [0, 0, 0, NaN_, 0, 0, alt_m ?? 10] }, signal);
      }
      const home = telemetry.home;
      if (alt_m !== undefined && !home) return fail('VEHICLE.NOT_READY', 'takeoff: home position unknown (PX4 takes an AMSL altitude)');
      return cmd({ command: CMD.NAV_TAKEOFF, params: [NaN_, 0, 0, NaN_, NaN_, NaN_, alt_m === undefined ? NaN_ : home!.alt_m + alt_m] }, signal);
    },

    land: (signal) => cmd({ command: CMD.NAV_LAND, params: [0, 0, 0, NaN_, NaN_, NaN_, NaN_] }, signal),
    returnToLaunch: (signal) => cmd({ command: CMD.NAV_RETURN_TO_LAUNCH, params: [0, 0, 0, 0, 0, 0, 0] }, signal),
    async hold(signal) {
      const p = ready();
      if (!p.ok) return p;
      const since = p.value.events.cursor();
      return explain(p.value, since, await mode('hold', signal));
    },

    async goto(target, signal) {
      const p = ready();
      if (!p.ok) return p;
      const t = target as Partial<typeof target> | undefined;
      if (!t || ![t.lat_deg, t.lon_deg, t.alt_m].every((v) => typeof v === 'number' && Number.isFinite(v)) || Math.abs(t.lat_deg!) > 90 || Math.abs(t.lon_deg!) > 180 || (t.lat_deg === 0 && t.lon_deg === 0))
        return fail('VEHICLE.COMMAND_DENIED', `goto denied: invalid target ${JSON.stringify(target)}`);
      const home = p.value.telemetry.home;
      if (!home) return fail('VEHICLE.NOT_READY', 'goto: home position unknown');
      return cmd({
        command: CMD.DO_REPOSITION,
        params: [-1, MAV_DO_REPOSITION_FLAGS_CHANGE_MODE, 0, NaN_],
        int: { frame: MAV_FRAME.GLOBAL, x: t.lat_deg! * 1e7, y: t.lon_deg! * 1e7, z: home.alt_m + t.alt_m! },
      }, signal);
    },

    async uploadMission(items, signal) {
      if (disposed) return disposedResult();
      // Copy now: the caller may mutate its array while the upload runs.
      const copy = Array.isArray(items) ? items.map((it) => ({ ...it })) : [];
      const p0 = parts;
      const home = p0?.telemetry.home;
      const plan = toMavPlan(copy, { autopilot: p0?.session.autopilot ?? 'unknown', ...(home ? { home } : {}) });
      if (!plan.ok) return plan;
      const far = checkMissionDistance(plan.value.source, home, o.maxItemDistanceM);
      if (!far.ok) return far;
      const p = ready();
      if (!p.ok) return p;
      const r = await p.value.missions.upload(plan.value.items, 0, signal);
      if (!r.ok) return r;
      if (parts === p.value) {
        planGeneration++;
        uploadedMissionId = r.value.opaqueId || undefined;
        freshPlan = true;
        p.value.telemetry.progress.setPlan(plan.value);
      }
      return okVoid;
    },

    async startMission(signal) {
      const p = ready();
      if (!p.ok) return p;
      const { telemetry, session, status } = p.value;
      if (!telemetry.progress.hasPlan) {
        // A mission put there by someone else: learn it, so progress speaks in its items.
        const adopted = await adopt(p.value, signal);
        if (!adopted.ok) return adopted;
      }
      if (!telemetry.armed) return fail('VEHICLE.COMMAND_DENIED', 'mission start denied: vehicle is disarmed');
      if (uploadedMissionId !== undefined) {
        // PX4 refuses Mission mode until its navigator has checked the new plan.
        const id = uploadedMissionId;
        const w = await status.waitReady(id, session.ms(o.missionReadyTimeoutMs), signal);
        if (signal?.aborted) return fail('VEHICLE.TIMEOUT', 'mission start: aborted by caller', { context: { aborted: true } });
        if (w === 'ready' && uploadedMissionId === id) uploadedMissionId = undefined;
        else if (w === 'timeout') logger.warn({ vehicle: o.id, missionId: id, last: status.last }, 'mavlink-vehicle: the vehicle has not reported the new plan checked; trying Mission mode anyway');
      }
      if (freshPlan && session.autopilot !== 'ardupilot') {
        // PX4 v1.15 carries the previous plan's current index over to a new plan uploaded with no
        // `current` row (MissionBase::updateMavlinkMission): a new plan would start mid-way.
        // Marking row 0 current in the upload would make MISSION_CURRENT look checked before it is.
        await rewindToStart(p.value, signal);
        if (signal?.aborted) return fail('VEHICLE.TIMEOUT', 'mission start: aborted by caller', { context: { aborted: true } });
      }
      const since = p.value.events.cursor();
      const r = await retryTemporarilyRejected(session, () => mode('mission', signal), options.modeRetry ?? {}, signal);
      if (!r.ok) return explain(p.value, since, r);
      if (session.autopilot === 'ardupilot') {
        const s = await cmd({ command: CMD.MISSION_START, params: [0, 0, 0, 0, 0, 0, 0] }, signal);
        if (!s.ok) return s;
      }
      freshPlan = false;
      telemetry.progress.started();
      return okVoid;
    },

    async clearMission(signal) {
      const p = ready();
      if (!p.ok) return p;
      const r = await p.value.missions.clear(0, signal);
      if (r.ok) {
        planGeneration++;
        uploadedMissionId = undefined;
        p.value.telemetry.progress.setPlan(undefined);
      }
      return r;
    },

    async adoptVehiclePlan(signal) {
      const p = ready();
      if (!p.ok) return p;
      return adopt(p.value, signal);
    },

    async uploadGeofence(fence, signal) {
      if (disposed) return disposedResult();
      const plan = fencePlan(fence);
      if (!plan.ok) return plan;
      const p = ready();
      if (!p.ok) return p;
      const FENCE = 1;
      const r = plan.value.items.length === 0 ? await p.value.missions.clear(FENCE, signal) : await p.value.missions.upload(plan.value.items, FENCE, signal);
      if (!r.ok) return r;
      if (Object.keys(plan.value.params).length === 0) return okVoid;
      const set = await setParams(p.value, plan.value.params, signal);
      if (set.ok) return okVoid;
      return fail(set.error.code, `fence polygons uploaded (${plan.value.items.length} vertices), but ${set.error.message}`, { context: { ...set.error.context, fenceUploaded: true } });
    },

    async setParameters(values, signal) {
      if (disposed) return disposedResult();
      const p = ready();
      if (!p.ok) return p;
      return setParams(p.value, values, signal);
    },

    async injectFault(fault, signal) {
      if (disposed) return disposedResult();
      const parsed = VehicleFaultSchema.safeParse(fault);
      if (!parsed.success) return fail('VEHICLE.COMMAND_DENIED', `invalid fault: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
      // Lifting a silence needs no link check: the link is what is silenced.
      if (!connected || !parts) return fail('VEHICLE.NO_LINK', 'not connected');
      if (parsed.data.kind !== 'link_restore' && !parts.session.linkUp) return fail('VEHICLE.NO_LINK', 'no heartbeat from the vehicle (link lost)');
      if (parts.session.autopilot === 'ardupilot' && parsed.data.kind !== 'link_loss' && parsed.data.kind !== 'link_restore')
        return fail('VEHICLE.UNSUPPORTED', `${parsed.data.kind}: failure injection is implemented for PX4 only`);
      return parts.faults.inject(parsed.data as VehicleFault, signal);
    },

    params: {
      read: async (name, signal) => {
        const p = ready();
        return p.ok ? p.value.params.read(name, signal) : p;
      },
      set: async (name, value, signal) => {
        const p = ready();
        if (!p.ok) return p;
        const r = await p.value.params.set(name, value, undefined, signal);
        if (r.ok) p.value.readiness.mark();
        return r;
      },
      list: async (signal) => {
        const p = ready();
        return p.ok ? p.value.params.list(signal) : p;
      },
    },

    async downloadMission(signal) {
      const p = ready();
      if (!p.ok) return p;
      const dl = await p.value.missions.download(0, signal);
      if (!dl.ok) return dl;
      const home = p.value.telemetry.home;
      return fromMavItems(dl.value, { autopilot: p.value.session.autopilot, ...(home ? { home } : {}) });
    },

    async uploadItems(items, missionType, signal) {
      const p = ready();
      if (!p.ok) return p;
      const r = await p.value.missions.upload(items, missionType, signal);
      if (r.ok && missionType === 0 && parts === p.value) {
        // Raw rows: progress cannot map them to port items.
        planGeneration++;
        uploadedMissionId = r.value.opaqueId || undefined;
        p.value.telemetry.progress.setPlan(undefined);
      }
      return voidOf(r);
    },

    readiness: () => parts?.readiness.check() ?? { ready: false, missing: ['not connected'] },
    healthReport: () => parts?.events.healthReport(),
    targetSystem: () => parts?.session.sysid,
    linkStats: () => link?.stats,
    command: (req, signal) => cmd(req, signal),
  };
  return port;
}

