/**
 * The {@link CameraPort} over the MAVLink camera protocol (https://mavlink.io/en/services/camera.html),
 * as QGroundControl and MAVSDK speak it, against a camera component (MAV_COMP_ID_CAMERA 100+,
 * HEARTBEAT type MAV_TYPE_CAMERA) of the vehicle's system.
 *
 * @remarks
 * - Link: shares the vehicle's link (`link`: attached, never closed, our GCS identity and its one
 *   heartbeat shared with the vehicle port) or opens its own (`url`).
 * - `connect`: waits for the camera's heartbeat (the first camera component of `targetSystem`
 *   unless `cameraComponent` is given), then CAMERA_INFORMATION by MAV_CMD_REQUEST_MESSAGE (the
 *   legacy MAV_CMD_REQUEST_CAMERA_INFORMATION when that is UNSUPPORTED), then CAMERA_SETTINGS,
 *   STORAGE_INFORMATION and CAMERA_CAPTURE_STATUS (best effort). The profile is `profile`, else
 *   the one matching the camera's vendor and model, else the generic one; the camera's own
 *   figures (sensor, resolution, focal length) win over the profile's when it reports them.
 * - Commands go through the command protocol addressed to the camera component (an ACK is taken
 *   from it or the autopilot, for our outstanding request only). MAV_RESULT → SENSOR codes:
 *   TEMPORARILY_REJECTED → BUSY, FAILED → FAILED, DENIED → DENIED (FAILED while the camera's
 *   heartbeat says it has failed), UNSUPPORTED → UNSUPPORTED.
 * - `capture`: IMAGE_START_CAPTURE (count 1, an increasing sequence number so a resent command is
 *   not a second image) and resolves with the first new CAMERA_IMAGE_CAPTURED (≤ `captureTimeoutMs`).
 * - Every CAMERA_IMAGE_CAPTURED becomes a `capture` event (once per index); capture_result 0 is a
 *   `capture.lost`. A gap in the indices (or an image count ahead of what we heard) is asked for
 *   again with MAV_CMD_REQUEST_MESSAGE(CAMERA_IMAGE_CAPTURED, index), up to 3 times, then
 *   reported as `capture.lost`.
 * - CAMERA_CAPTURE_STATUS is polled every 5 s (free storage, and images the camera counted that
 *   we never heard of).
 * - Health at 1 Hz: `offline` once the camera's heartbeat has been missing `heartbeatTimeoutMs`
 *   (link event, commands NO_LINK; the vehicle and the rest of the link are untouched), `failed`
 *   while its heartbeat reports MAV_STATE_CRITICAL or worse, `degraded` after a refused
 *   (malformed) message in the last 5 s, a failed capture, or storage for fewer than 10 images.
 * - Inbound messages are validated (camera-messages.ts); a bad one is dropped and counted.
 * - `injectFault` is UNSUPPORTED: a real camera cannot be made to fail from here.
 * Time: every timeout on the injected clock, divided by `speedFactor` (camera time per clock time).
 */
import { z } from 'zod';
import type { Clock } from '../../../../core/clock.js';
import { silentLogger, type Logger } from '../../../../core/logger.js';
import { fail, ok, okVoid } from '../../../../core/result.js';
import { cameraProfile, DEFAULT_CAMERA_PROFILE, profileForModel, type CameraProfile } from '../../../../core/sensors/camera-profiles.js';
import type {
  CameraPort, CaptureRef, SensorEvent, SensorFault, SensorHealth, SensorInfo, SensorResult, SensorSettings,
  Unsubscribe, VehiclePoseSource,
} from '../../../sensor.port.js';
import type { VehicleResult } from '../../../vehicle.port.js';
import { CommandProtocol, type CommandOptions } from '../command-protocol.js';
import { openLink, type Link } from '../link.js';
import { MavSession } from '../session.js';
import { sensorInfoOf, sensorResultOf } from './camera-mapping.js';
import { ImageLedger } from './image-ledger.js';
import {
  CAMERA_CMD, CAMERA_COMPIDS, CAMERA_MSG, CameraInformationSchema, CaptureStatusSchema, FAILED_STATES, geotagOf, IMAGE_FIELDS,
  ImageCapturedSchema, INFO_FIELDS, MAV_TYPE_CAMERA, STATUS_FIELDS, STORAGE_FIELDS, StorageInformationSchema, validate,
  type CameraInformation, type ImageCaptured,
} from './camera-messages.js';

export interface MavlinkCameraPortOptions {
  /** The sensor's id in the twin (e.g. `phase_one`). */
  readonly id: string;
  /** The carrying vehicle's id in the twin. */
  readonly vehicle: string;
  /** The vehicle's link, shared: the port attaches to it and never closes it. */
  readonly link?: Link;
  /** Or a connection URL of its own (the port owns that link). */
  readonly url?: string;
  readonly clock: Clock;
  /** The vehicle's MAVLink system id (default: the first camera heard). */
  readonly targetSystem?: number;
  /** The camera's component id (default: the first of 100–105 heard with a MAV_TYPE_CAMERA heartbeat). */
  readonly cameraComponent?: number;
  /** Camera profile name (default: matched from CAMERA_INFORMATION, else the generic one). */
  readonly profile?: string;
  readonly gcsSysid?: number;
  readonly gcsCompid?: number;
  readonly speedFactor?: number;
  /** How long `connect` waits for the camera's heartbeat, ms of camera time (default 10 000). */
  readonly connectTimeoutMs?: number;
  /** Heartbeat silence after which the camera is offline, ms of camera time (default 3000). */
  readonly heartbeatTimeoutMs?: number;
  /** How long `capture` waits for its CAMERA_IMAGE_CAPTURED, ms of camera time (default 5000). */
  readonly captureTimeoutMs?: number;
  /** Where the vehicle is, for images the camera sent without a geotag (lat = lon = 0). */
  readonly pose?: VehiclePoseSource;
  readonly command?: CommandOptions;
  readonly logger?: Logger;
}

/** The port plus counters for diagnostics. */
export interface MavlinkCameraPort extends CameraPort {
  /** Inbound camera messages refused by validation, images recovered, requests for missing images. */
  stats(): Readonly<{ malformed: number; recovered: number; recoveryRequests: number; lost: number }>;
  /** The camera's MAVLink address, once found. */
  address(): { readonly sysid: number; readonly compid: number } | undefined;
}

const Options = z.object({
  id: z.string().min(1).max(128),
  vehicle: z.string().min(1).max(128),
  url: z.string().optional(),
  targetSystem: z.number().int().min(1).max(255).optional(),
  cameraComponent: z.number().int().min(1).max(255).optional(),
  profile: z.string().optional(),
  gcsSysid: z.number().int().min(1).max(255).default(245),
  gcsCompid: z.number().int().min(1).max(255).default(190),
  speedFactor: z.number().positive().max(1000).default(1),
  connectTimeoutMs: z.number().positive().default(10_000),
  heartbeatTimeoutMs: z.number().positive().default(3000),
  captureTimeoutMs: z.number().positive().default(5000),
});

/** A {@link SensorEvent} without its stamp (distributed over the union). */
type EventBody = SensorEvent extends infer E ? (E extends SensorEvent ? Omit<E, 'sensor' | 't_ms'> & { t_ms?: number } : never) : never;

const DEGRADED_AFTER_MALFORMED_MS = 5000;
/** Storage and image count are refreshed from CAMERA_CAPTURE_STATUS every this many 1 Hz ticks. */
const STATUS_POLL_TICKS = 5;

/** Creates the port; nothing is sent until `connect`. Throws RangeError for bad options (a bug). */
export function createMavlinkCameraPort(options: MavlinkCameraPortOptions): MavlinkCameraPort {
  const parsed = Options.safeParse(options);
  if (!parsed.success) throw new RangeError(`MAVLINK.BAD_OPTIONS: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  if (!options.url === !options.link) throw new RangeError('MAVLINK.BAD_OPTIONS: give exactly one of url or link');
  if (options.profile !== undefined && !cameraProfile(options.profile)) throw new RangeError(`MAVLINK.BAD_OPTIONS: unknown camera profile ${options.profile}`);
  const o = parsed.data;
  const { clock } = options;
  const logger = (options.logger ?? silentLogger).child({ sensor: o.id, vehicle: o.vehicle });
  const subs = new Set<(e: SensorEvent) => void>();

  let disposed = false;
  let link: Link | undefined = options.link;
  let ownsLink = false;
  let session: MavSession | undefined;
  let commands: CommandProtocol | undefined;
  let offs: (() => void)[] = [];
  let compid = o.cameraComponent;
  let info: SensorInfo | undefined;
  let profile: CameraProfile = cameraProfile(o.profile ?? DEFAULT_CAMERA_PROFILE)!;
  let focalMm: number | undefined;
  // Link and health state.
  let lastBeatAt = Number.NEGATIVE_INFINITY;
  let up = false;
  let cameraFailed = false;
  let lastMalformedAt = Number.NEGATIVE_INFINITY;
  let lastCaptureFailed = false;
  let storageFreeMib: number | undefined;
  let stopTick = () => {};
  const counters = { malformed: 0, recoveryRequests: 0, lost: 0, count: 0 };
  // Images.
  const ledger = new ImageLedger();
  let bootOffsetMs: number | undefined;
  let singleSeq = 0;
  const imageWaiters = new Set<(c: CaptureRef) => void>();
  const messageWaiters = new Set<{ msgid: number; fn: (m: unknown) => boolean }>();
  /** Wakes every wait in progress (their timers die with the session on dispose). */
  const pendingWakes = new Set<() => void>();
  /** Waits ≤ `clockMs` on the session's clock, or until `wake` / abort / dispose. */
  function pause(clockMs: number, signal?: AbortSignal): { done: Promise<void>; wake: () => void } {
    let wake = () => {};
    const done = new Promise<void>((resolve) => {
      if (!session || disposed || signal?.aborted) return resolve();
      const cancel = session.after(clockMs, () => wake());
      wake = () => { cancel(); pendingWakes.delete(wake); signal?.removeEventListener('abort', wake); resolve(); };
      pendingWakes.add(wake);
      signal?.addEventListener('abort', wake, { once: true });
    });
    return { done, wake: () => wake() };
  }

  const ms = (cameraMs: number) => cameraMs / o.speedFactor;

  function emit(body: EventBody): void {
    if (disposed) return;
    const e = { sensor: o.id, t_ms: clock.now(), ...body } as SensorEvent;
    for (const fn of subs) {
      try { fn(e); } catch (err) { logger.error({ err }, 'mavlink-camera: subscriber threw'); }
    }
  }

  function health(): SensorHealth {
    const now = clock.now();
    const base = { t_ms: now, count: counters.count, lost: counters.lost, ...(storageFreeMib !== undefined ? { storage_free_mib: storageFreeMib } : {}) };
    if (!session || !up) return { ...base, state: 'offline', message: session ? 'no heartbeat from the camera' : 'not connected' };
    if (cameraFailed) return { ...base, state: 'failed', message: 'the camera reports a critical state' };
    if (now - lastMalformedAt < ms(DEGRADED_AFTER_MALFORMED_MS)) return { ...base, state: 'degraded', message: `malformed camera messages ignored (${counters.malformed})` };
    if (lastCaptureFailed) return { ...base, state: 'degraded', message: 'the last capture failed' };
    if (storageFreeMib !== undefined && storageFreeMib < 10 * profile.capture_mib) return { ...base, state: 'degraded', message: 'storage almost full' };
    return { ...base, state: 'ok' };
  }

  /** Reports health at once when its state changed (besides the 1 Hz report). */
  let reportedState: SensorHealth['state'] | undefined;
  function healthChanged(): void {
    if (!session || reportedState === undefined) return;
    const h = health();
    if (h.state !== reportedState) {
      reportedState = h.state;
      emit({ type: 'health', health: h });
    }
  }

  function malformed(what: string, reason: string): void {
    counters.malformed++;
    lastMalformedAt = clock.now();
    logger.debug({ what, reason }, 'mavlink-camera: malformed message ignored');
    healthChanged();
  }

  function setUp(v: boolean): void {
    if (up === v) return;
    up = v;
    if (session) session.linkUp = v;
    emit({ type: 'link', up: v });
    healthChanged();
  }

  function onHeartbeat(m: unknown, sysid: number, from: number): void {
    const hb = m as { type?: unknown; systemStatus?: unknown };
    if (hb.type !== MAV_TYPE_CAMERA) return;
    if (compid === undefined) {
      if (!(CAMERA_COMPIDS as readonly number[]).includes(from)) return;
      compid = from;
    }
    if (from !== compid) return;
    if (session && session.sysid === undefined) session.sysid = sysid;
    lastBeatAt = clock.now();
    cameraFailed = typeof hb.systemStatus === 'number' && FAILED_STATES.has(hb.systemStatus);
    setUp(true);
    healthChanged();
  }

  function toTime(bootMs: number): number {
    const now = clock.now();
    const est = now - ms(bootMs);
    // Locked at the first image; re-locked when the camera's clock jumps (a reboot).
    if (bootOffsetMs === undefined || Math.abs(est - bootOffsetMs) > ms(2000)) bootOffsetMs = est;
    return Math.min(now, bootOffsetMs + ms(bootMs));
  }

  function onImage(img: ImageCaptured): void {
    const idx = img.imageIndex;
    if (!ledger.arrive(idx)) return;
    const t_ms = toTime(img.timeBootMs);
    if (img.captureResult === 0) {
      counters.lost++;
      lastCaptureFailed = true;
      healthChanged();
      emit({ type: 'capture.lost', index: idx, reason: 'the camera reported a failed capture', t_ms });
      return;
    }
    lastCaptureFailed = false;
    let pose = geotagOf(img);
    if (img.lat === 0 && img.lon === 0) {
      const p = options.pose?.pose();
      if (p) pose = { position: p.position, attitude_deg: p.attitude_deg };
    }
    counters.count++;
    const ref: CaptureRef = {
      vehicle: o.vehicle, sensor: o.id, index: idx, t_ms, pose, media_type: profile.media_type,
      ...(img.fileUrl ? { file_url: img.fileUrl } : {}),
    };
    emit({ type: 'capture', capture: ref, t_ms });
    for (const w of [...imageWaiters]) w(ref);
    void recoverMissing();
  }

  let recovering = false;
  async function recoverMissing(): Promise<void> {
    if (recovering || !commands || disposed) return;
    recovering = true;
    try {
      for (let step = ledger.next(); step && !disposed && up; step = ledger.next()) {
        const idx = step.index;
        if (step.kind === 'lost') {
          counters.lost++;
          emit({ type: 'capture.lost', index: idx, reason: `CAMERA_IMAGE_CAPTURED ${idx} never arrived, not even on request` });
          continue;
        }
        counters.recoveryRequests++;
        await requestMessage(CAMERA_MSG.CAMERA_IMAGE_CAPTURED, idx, (m) => (m as { imageIndex?: unknown }).imageIndex === idx);
      }
    } finally {
      recovering = false;
    }
  }

  function onCameraMessage(msgid: number, m: unknown): void {
    for (const w of [...messageWaiters]) if (w.msgid === msgid && w.fn(m)) messageWaiters.delete(w);
    switch (msgid) {
      case CAMERA_MSG.CAMERA_IMAGE_CAPTURED: {
        const v = validate(ImageCapturedSchema, m, IMAGE_FIELDS);
        return v.ok ? onImage(v.value) : malformed('CAMERA_IMAGE_CAPTURED', v.reason);
      }
      case CAMERA_MSG.CAMERA_CAPTURE_STATUS: {
        const v = validate(CaptureStatusSchema, m, STATUS_FIELDS);
        if (!v.ok) return malformed('CAMERA_CAPTURE_STATUS', v.reason);
        if (Number.isFinite(v.value.availableCapacity) && v.value.availableCapacity >= 0) storageFreeMib = v.value.availableCapacity;
        // The camera counted more images than we heard: ask for the tail.
        ledger.counted(v.value.imageCount);
        if (ledger.missingCount > 0) void recoverMissing();
        return;
      }
      case CAMERA_MSG.STORAGE_INFORMATION: {
        const v = validate(StorageInformationSchema, m, STORAGE_FIELDS);
        if (!v.ok) return malformed('STORAGE_INFORMATION', v.reason);
        if (Number.isFinite(v.value.availableCapacity) && v.value.availableCapacity >= 0) storageFreeMib = v.value.availableCapacity;
        return;
      }
      case CAMERA_MSG.CAMERA_INFORMATION: {
        const v = validate(CameraInformationSchema, m, INFO_FIELDS);
        if (!v.ok) return malformed('CAMERA_INFORMATION', v.reason);
        return;
      }
      default:
        return;
    }
  }

  const sensorResult = <T,>(r: VehicleResult<T>, what: string): SensorResult<T> => sensorResultOf(r, what, cameraFailed);

  function ready(): SensorResult<CommandProtocol> {
    if (disposed) return fail('SENSOR.DISPOSED', 'port disposed');
    if (!commands || !session) return fail('SENSOR.NO_LINK', 'not connected');
    if (!up) return fail('SENSOR.NO_LINK', 'no heartbeat from the camera');
    return ok(commands);
  }

  async function command(what: string, cmd: number, params: number[], signal?: AbortSignal): Promise<SensorResult> {
    const c = ready();
    if (!c.ok) return c;
    const r = await c.value.send({ command: cmd, params, targetComponent: compid }, signal);
    return r.ok ? okVoid : sensorResult(r, what);
  }

  /** MAV_CMD_REQUEST_MESSAGE, then waits for the message itself (≤ 1.5 s after the ACK). */
  async function requestMessage(msgid: number, param2 = 0, match: (m: unknown) => boolean = () => true, signal?: AbortSignal): Promise<SensorResult<unknown>> {
    const c = ready();
    if (!c.ok) return c;
    let got: unknown;
    let wake = () => {};
    const waiter = { msgid, fn: (m: unknown) => (match(m) ? ((got = m), wake(), true) : false) };
    messageWaiters.add(waiter);
    try {
      const r = await c.value.send({ command: CAMERA_CMD.REQUEST_MESSAGE, params: [msgid, param2, 0, 0, 0, 0, 0], targetComponent: compid }, signal);
      if (!r.ok) return sensorResult(r, `REQUEST_MESSAGE ${msgid}`);
      if (got === undefined) {
        const p = pause(ms(1500), signal);
        wake = p.wake;
        await p.done;
      }
      return got === undefined ? fail('SENSOR.TIMEOUT', `message ${msgid} did not follow its ACK`) : ok(got);
    } finally {
      messageWaiters.delete(waiter);
    }
  }

  function buildInfo(ci: CameraInformation | undefined): SensorInfo {
    if (!o.profile && ci) profile = profileForModel(ci.vendorName, ci.modelName) ?? profile;
    return sensorInfoOf(o, profile, ci, focalMm);
  }

  /** Ticks since connect: CAMERA_CAPTURE_STATUS is polled every {@link STATUS_POLL_TICKS}. */
  let ticks = 0;
  let polling = false;
  async function pollStatus(): Promise<void> {
    if (polling) return;
    polling = true;
    try {
      await requestMessage(CAMERA_MSG.CAMERA_CAPTURE_STATUS);
    } finally {
      polling = false;
    }
  }

  function tick(): void {
    if (disposed || !session) return;
    if (up && ++ticks % STATUS_POLL_TICKS === 0) void pollStatus();
    if (up && clock.now() - lastBeatAt >= ms(o.heartbeatTimeoutMs)) setUp(false);
    const h = health();
    reportedState = h.state;
    emit({ type: 'health', health: h });
    stopTick = session.after(ms(1000), tick);
  }

  function teardown(): void {
    stopTick();
    for (const off of offs) off();
    offs = [];
    commands?.dispose();
    session?.close();
    commands = undefined;
    session = undefined;
    up = false;
  }

  const Settings = z.strictObject({
    mode: z.literal('image').optional(),
    focal_length_mm: z.number().refine((f) => profile.focal_lengths_mm.includes(f), 'not a lens of this camera').optional(),
  });

  const port: MavlinkCameraPort = {
    id: o.id,
    vehicle: o.vehicle,
    kind: 'camera',

    async connect(signal) {
      if (disposed) return fail('SENSOR.DISPOSED', 'port disposed');
      if (session) return info ? ok(info) : fail('SENSOR.BUSY', 'connect in progress');
      if (!link) {
        const opened = await openLink(o.url!, { logger, clock, signal });
        if (!opened.ok) return fail('SENSOR.NO_LINK', opened.error.message, { cause: opened.error });
        link = opened.value;
        ownsLink = true;
      }
      const s = new MavSession({ link, clock, logger, gcsSysid: o.gcsSysid, gcsCompid: o.gcsCompid, targetSystem: o.targetSystem, speedFactor: o.speedFactor });
      session = s;
      commands = new CommandProtocol(s, options.command);
      offs.push(s.on(CAMERA_MSG.HEARTBEAT, (m, f) => onHeartbeat(m, f.sysid, f.compid), { anyComponent: true }));
      for (const id of [CAMERA_MSG.CAMERA_INFORMATION, CAMERA_MSG.CAMERA_SETTINGS, CAMERA_MSG.STORAGE_INFORMATION, CAMERA_MSG.CAMERA_CAPTURE_STATUS, CAMERA_MSG.CAMERA_IMAGE_CAPTURED]) {
        offs.push(s.on(id, (m, f) => {
          if (compid !== undefined && f.compid === compid) onCameraMessage(id, m);
        }, { anyComponent: true }));
      }
      // Our GCS heartbeat on the link (joined, not duplicated, when the vehicle port runs it).
      s.startGcsHeartbeat(ms(1000));
      const t0 = clock.now();
      while (!up && !disposed && !signal?.aborted && clock.now() - t0 < ms(o.connectTimeoutMs)) await pause(ms(50), signal).done;
      const heard = up && !disposed;
      if (!heard) {
        teardown();
        return fail(disposed ? 'SENSOR.DISPOSED' : 'SENSOR.NO_LINK', `no camera heartbeat from system ${o.targetSystem ?? 'any'} within ${o.connectTimeoutMs} ms`);
      }
      let ci: CameraInformation | undefined;
      let r = await requestMessage(CAMERA_MSG.CAMERA_INFORMATION, 0, undefined, signal);
      if (!r.ok && r.error.code === 'SENSOR.UNSUPPORTED') {
        // Cameras of the older protocol answer only the dedicated request.
        const c = ready();
        if (c.ok) {
          let got: unknown;
          const w = { msgid: CAMERA_MSG.CAMERA_INFORMATION, fn: (m: unknown) => ((got = m), true) };
          messageWaiters.add(w);
          const legacy = await c.value.send({ command: CAMERA_CMD.REQUEST_CAMERA_INFORMATION, params: [1, 0, 0, 0, 0, 0, 0], targetComponent: compid }, signal);
          if (legacy.ok && got === undefined) await pause(ms(1500), signal).done;
          messageWaiters.delete(w);
          r = got !== undefined ? ok(got) : r;
        }
      }
      if (r.ok) {
        const v = validate(CameraInformationSchema, r.value, INFO_FIELDS);
        if (v.ok) ci = v.value;
      } else logger.info({ error: r.error }, 'mavlink-camera: no CAMERA_INFORMATION; using the profile');
      if (disposed) return fail('SENSOR.DISPOSED', 'port disposed');
      info = buildInfo(ci);
      for (const id of [CAMERA_MSG.CAMERA_SETTINGS, CAMERA_MSG.STORAGE_INFORMATION, CAMERA_MSG.CAMERA_CAPTURE_STATUS]) {
        const x = await requestMessage(id, 0, undefined, signal);
        if (!x.ok) logger.debug({ msgid: id, error: x.error }, 'mavlink-camera: request');
      }
      if (disposed) return fail('SENSOR.DISPOSED', 'port disposed');
      stopTick = s.after(ms(1000), tick);
      const h = health();
      reportedState = h.state;
      emit({ type: 'health', health: h });
      return ok(info);
    },

    info: () => info,
    health,

    async configure(settings: SensorSettings, signal) {
      const v = Settings.safeParse(settings);
      if (!v.success) return fail('SENSOR.INVALID', v.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      if (v.data.mode) {
        const r = await command('SET_CAMERA_MODE', CAMERA_CMD.SET_CAMERA_MODE, [0, 0], signal);
        if (!r.ok) return r;
      } else {
        const c = ready();
        if (!c.ok) return c;
      }
      if (v.data.focal_length_mm !== undefined) {
        focalMm = v.data.focal_length_mm;
        if (info?.camera) info = { ...info, camera: { ...info.camera, focal_length_mm: focalMm } };
      }
      return okVoid;
    },

    subscribeEvents(fn): Unsubscribe {
      subs.add(fn);
      return () => subs.delete(fn);
    },

    async injectFault(_fault: SensorFault) {
      return fail('SENSOR.UNSUPPORTED', 'a real MAVLink camera cannot be made to fail from the twin');
    },

    async capture(signal) {
      const c = ready();
      if (!c.ok) return c;
      let got: CaptureRef | undefined;
      let wake = () => {};
      const waiter = (ref: CaptureRef) => { if (!got) { got = ref; wake(); } };
      imageWaiters.add(waiter);
      try {
        singleSeq = (singleSeq % 0xffffff) + 1;
        const r = await c.value.send({ command: CAMERA_CMD.IMAGE_START_CAPTURE, params: [0, 0, 1, singleSeq, 0, 0, 0], targetComponent: compid }, signal);
        if (!r.ok) return sensorResult(r, 'IMAGE_START_CAPTURE');
        if (!got) {
          const p = pause(ms(o.captureTimeoutMs), signal);
          wake = p.wake;
          await p.done;
        }
        if (disposed) return fail('SENSOR.DISPOSED', 'port disposed');
        return got ? ok(got) : fail('SENSOR.TIMEOUT', `no CAMERA_IMAGE_CAPTURED within ${o.captureTimeoutMs} ms of an accepted capture`);
      } finally {
        imageWaiters.delete(waiter);
      }
    },

    async startInterval(interval_s, count = 0, signal) {
      const min = info?.camera?.min_interval_s ?? profile.min_interval_s;
      if (!Number.isFinite(interval_s) || interval_s <= 0 || interval_s > 3600) return fail('SENSOR.INVALID', `interval ${interval_s} s is not in (0, 3600]`);
      if (interval_s < min - 1e-9) return fail('SENSOR.INVALID', `interval ${interval_s} s is below this camera's minimum ${min} s`);
      if (!Number.isInteger(count) || count < 0 || count > 1_000_000) return fail('SENSOR.INVALID', `count ${count} is not an integer in [0, 1e6]`);
      return command('IMAGE_START_CAPTURE', CAMERA_CMD.IMAGE_START_CAPTURE, [0, interval_s, count, 0, 0, 0, 0], signal);
    },

    async setTriggerDistance(distance_m, signal) {
      if (!Number.isFinite(distance_m) || distance_m < 0 || distance_m > 10_000) return fail('SENSOR.INVALID', `trigger distance ${distance_m} m is not in [0, 10 000]`);
      return command('DO_SET_CAM_TRIGG_DIST', CAMERA_CMD.DO_SET_CAM_TRIGG_DIST, [distance_m, 0, 0, 0, 0, 0, 0], signal);
    },

    async stopCapture(signal) {
      return command('IMAGE_STOP_CAPTURE', CAMERA_CMD.IMAGE_STOP_CAPTURE, [0, 0, 0, 0, 0, 0, 0], signal);
    },

    async dispose() {
      if (disposed) return;
      disposed = true;
      subs.clear();
      imageWaiters.clear();
      messageWaiters.clear();
      for (const w of [...pendingWakes]) w();
      teardown();
      if (ownsLink) await link?.close();
    },

    stats: () => ({ malformed: counters.malformed, recovered: ledger.recovered, recoveryRequests: counters.recoveryRequests, lost: counters.lost }),
    address: () => (session?.sysid !== undefined && compid !== undefined ? { sysid: session.sysid, compid } : undefined),
  };
  return port;
}
