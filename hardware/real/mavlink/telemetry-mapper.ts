/**
 * Decoded MAVLink → port telemetry and events (STYLE §8: nothing MAVLink leaks upward).
 *
 * @remarks
 * Sources: HEARTBEAT (armed = MAV_MODE_FLAG_SAFETY_ARMED, mode via px4-modes / ardupilot-modes),
 * GLOBAL_POSITION_INT (position AMSL, altitude above home, velocity, heading), LOCAL_POSITION_NED
 * (only until home is known: PX4's local frame is the EKF origin, not home), ATTITUDE (heading
 * when GLOBAL_POSITION_INT has none), SYS_STATUS + BATTERY_STATUS, GPS_RAW_INT,
 * EXTENDED_SYS_STATE (landed state), HOME_POSITION, MISSION_CURRENT / MISSION_ITEM_REACHED (via
 * {@link MissionProgress}), STATUSTEXT (chunks joined by id), CAMERA_TRIGGER and
 * CAMERA_IMAGE_CAPTURED (capture events, once per image sequence number).
 * A telemetry sample goes out with every GLOBAL_POSITION_INT, once SYS_STATUS and GPS_RAW_INT
 * have been heard (or 3 s after the first position), so the first sample is complete.
 * Every sample carries the vehicle's own time (`vehicle_time_ms`, GLOBAL_POSITION_INT.time_boot_ms)
 * for alignment with its logs, images and point clouds.
 *
 * STATUSTEXT chunks (MAVLink 2 `id`/`chunk_seq`) are joined; an id whose last chunk never comes
 * is dropped after {@link TEXT_CHUNK_TTL_MS} of autopilot time, and at most
 * {@link MAX_PENDING_TEXTS} ids wait at once (the oldest goes first).
 *
 * Vehicle failsafes — MAVLink has no failsafe message — come from structured state, one
 * `failsafe` event per episode:
 * - HEARTBEAT.system_status CRITICAL / EMERGENCY / FLIGHT_TERMINATION while armed (PX4's HEARTBEAT
 *   stream: `armed ? (failsafe ? CRITICAL : ACTIVE)`, EMERGENCY for AUTO.LANDENGFAIL, TERMINATION;
 *   ArduPilot: CRITICAL while any failsafe is triggered);
 * - or, armed, a switch to RTL or LAND that we did not command (the GCS's last commanded mode is
 *   noted from what the session sends — COMMAND_LONG/INT NAV_RETURN_TO_LAUNCH, NAV_LAND,
 *   DO_SET_MODE … — or told through {@link TelemetryMapper.noteCommandedMode}), except the
 *   mission's own final RTL item (MISSION_CURRENT on the last item; a mission → RTL switch is
 *   judged 2 s of autopilot time later, so that MISSION_CURRENT may follow the HEARTBEAT).
 * The episode ends when the status is back to ACTIVE/STANDBY and the vehicle is out of RTL/LAND
 * (or disarmed). Its `reason` comes from state too: BATTERY_STATUS charge_state / fault bits and
 * SYS_STATUS battery health → `battery`; SYS_STATUS geofence health → `geofence`; a gap in the
 * vehicle's heartbeat just before (our link broke: its GCS link did too) → `link_loss`; GPS health
 * or fix → `position_loss`; RC receiver health → `rc_loss`. Text is only a hint, used when state
 * names no cause: a recent PX4 event ({@link TelemetryMapper.noteVehicleEvent}) or STATUSTEXT
 * read by {@link failsafeHint}; else `other`.
 */
import type { common, MavLinkData } from 'node-mavlink';
import type { FlightMode, LandedState } from '../../../core/flight.js';
import { LocalFrame, type GeoPoint, type Ned } from '../../../core/geo.js';
import type { BatteryState, GpsFix, VehicleEvent, VehicleTelemetry } from '../../vehicle.port.js';
import type { VehicleHeartbeat } from './heartbeat.js';
import { copterModeToFlightMode } from './ardupilot-modes.js';
import { MissionProgress } from './mission-progress.js';
import { flightModeOf, MAV_CMD_DO_SET_MODE } from './modes.js';
import { px4ModeToFlightMode } from './px4-modes.js';
import type { MavSession } from './session.js';

/** An event body; the adapter stamps `vehicle` and `t_ms`. */
export type EventBody = VehicleEvent extends infer E ? (E extends unknown ? Omit<E, 'vehicle' | 't_ms'> : never) : never;

export const MSG_ID = {
  HEARTBEAT: 0, SYS_STATUS: 1, GPS_RAW_INT: 24, ATTITUDE: 30, LOCAL_POSITION_NED: 32, GLOBAL_POSITION_INT: 33,
  MISSION_CURRENT: 42, MISSION_ITEM_REACHED: 46, CAMERA_TRIGGER: 112, BATTERY_STATUS: 147, EXTENDED_SYS_STATE: 245,
  HOME_POSITION: 242, STATUSTEXT: 253, CAMERA_IMAGE_CAPTURED: 263,
} as const;

const SEVERITY = ['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'info', 'debug'] as const;
const LANDED: Record<number, LandedState> = { 0: 'unknown', 1: 'on_ground', 2: 'in_air', 3: 'taking_off', 4: 'landing' };
const MAV_MODE_FLAG_SAFETY_ARMED = 128;
const UINT16_MAX = 0xffff;
/** MAV_STATE values that mean a failsafe (or worse) is in force. */
const MAV_STATE_FAILSAFE = new Set([5 /* CRITICAL */, 6 /* EMERGENCY */, 7 /* FLIGHT_TERMINATION */]);
/** MAV_SYS_STATUS_SENSOR bits. */
const SENSOR = { GPS: 0x20, RC_RECEIVER: 0x10000, GEOFENCE: 0x100000, BATTERY: 0x2000000 } as const;
/** MAV_BATTERY_CHARGE_STATE: LOW 2, CRITICAL 3, EMERGENCY 4, FAILED 5, UNHEALTHY 6. */
const CHARGE = { LOW: 2, CRITICAL: 3, UNHEALTHY: 6 } as const;
/** Commands whose acceptance puts the vehicle in a mode (the rest: DO_SET_MODE, decoded). */
const MODE_OF_COMMAND: Record<number, FlightMode> = { 20: 'rtl', 21: 'land', 22: 'takeoff', 192: 'hold', 300: 'mission' };
/** How long a commanded mode explains the vehicle entering it, ms of autopilot time. */
const COMMANDED_WINDOW_MS = 10_000;
/** A vehicle heartbeat gap this long (autopilot ms) means our link — and its GCS link — broke. */
const LINK_GAP_MS = 2_500;
/** How long a mission → RTL switch waits for MISSION_CURRENT to show the final RTL item, autopilot ms. */
const RTL_ITEM_GRACE_MS = 2_000;
/** How recent a link gap or a STATUSTEXT must be to explain a failsafe, autopilot ms. */
const CAUSE_WINDOW_MS = 15_000;

/** A STATUSTEXT id whose last chunk has not come is forgotten after this, ms of autopilot time. */
export const TEXT_CHUNK_TTL_MS = 5_000;
/** Most STATUSTEXT ids waiting for chunks at once. */
export const MAX_PENDING_TEXTS = 16;

export interface StatusLine {
  readonly t_ms: number;
  readonly severity: (typeof SEVERITY)[number];
  readonly text: string;
}

export class TelemetryMapper {
  armed: boolean | undefined;
  mode: FlightMode | undefined;
  landed: LandedState | undefined;
  home: GeoPoint | undefined;
  position: GeoPoint | undefined;
  gps: { fix: GpsFix; satellites: number; hdop: number } | undefined;
  /** MAV_SYS_STATUS_SENSOR bits (present, enabled, health), once SYS_STATUS arrived. */
  sensors: { present: number; enabled: number; health: number } | undefined;
  /** Recent STATUSTEXT lines (last 20), newest last. */
  readonly recentText: StatusLine[] = [];
  readonly progress: MissionProgress;
  last: VehicleTelemetry | undefined;

  private battery: BatteryState = { voltage_v: 0, current_a: 0, remaining_pct: 0, consumed_mah: 0 };
  private alt_rel_m = 0;
  private velocity: Ned = { north_m: 0, east_m: 0, down_m: 0 };
  private heading_deg = 0;
  private headingFromAttitude: number | undefined;
  private localFromEkf: Ned | undefined;
  private frame: LocalFrame | undefined;
  private firstPositionAt: number | undefined;
  private vehicleTimeMs: number | undefined;
  private readonly captured = new Set<number>();
  private readonly chunks = new Map<number, { parts: string[]; at: number }>();
  private readonly offs: (() => void)[] = [];
  /** The mode we last commanded, and when (clock ms). */
  private commanded: { mode: FlightMode; at: number } | undefined;
  private systemStatus: number | undefined;
  private inFailsafe = false;
  private lastHeartbeatAt: number | undefined;
  private lastLinkGapAt: number | undefined;
  private chargeState = 0;
  private batteryFaults = 0;
  private missionSeq = -1;
  private missionTotal = 0;
  /** Cancels a deferred mission → RTL judgement. */
  private cancelPendingJudgement: () => void = () => {};
  /** Recent vehicle events (PX4 events protocol) as hint text, newest last. */
  private readonly eventHints: { t_ms: number; text: string }[] = [];

  constructor(
    private readonly session: MavSession,
    private readonly vehicle: string,
    private readonly emitEvent: (e: EventBody) => void,
    private readonly emitTelemetry: (t: VehicleTelemetry) => void,
  ) {
    this.progress = new MissionProgress((e) => emitEvent(e));
    const on = (id: number, fn: (m: MavLinkData) => void, anyComponent = false) => this.offs.push(session.on(id, (m) => fn(m), { anyComponent }));
    on(MSG_ID.SYS_STATUS, (m) => this.onSysStatus(m as common.SysStatus));
    on(MSG_ID.BATTERY_STATUS, (m) => this.onBatteryStatus(m as common.BatteryStatus));
    this.offs.push(session.onSend((m) => this.onSent(m)));
    on(MSG_ID.GPS_RAW_INT, (m) => this.onGps(m as common.GpsRawInt));
    on(MSG_ID.ATTITUDE, (m) => {
      this.headingFromAttitude = (((m as common.Attitude).yaw * 180) / Math.PI + 360) % 360;
    });
    on(MSG_ID.LOCAL_POSITION_NED, (m) => {
      const l = m as common.LocalPositionNed;
      this.localFromEkf = { north_m: l.x, east_m: l.y, down_m: l.z };
    });
    on(MSG_ID.GLOBAL_POSITION_INT, (m) => this.onGlobalPosition(m as common.GlobalPositionInt));
    on(MSG_ID.EXTENDED_SYS_STATE, (m) => this.setLanded(LANDED[(m as common.ExtendedSysState).landedState] ?? 'unknown'));
    on(MSG_ID.HOME_POSITION, (m) => this.onHome(m as common.HomePosition));
    on(MSG_ID.MISSION_CURRENT, (m) => {
      const c = m as common.MissionCurrent;
      this.missionSeq = c.seq;
      this.missionTotal = c.total ?? 0;
      this.progress.onCurrent(c.seq, c.missionState, this.mode ?? 'unknown');
    });
    on(MSG_ID.MISSION_ITEM_REACHED, (m) => this.progress.onReached((m as common.MissionItemReached).seq));
    on(MSG_ID.STATUSTEXT, (m) => this.onStatusText(m as common.StatusText), true);
    on(MSG_ID.CAMERA_TRIGGER, (m) => this.onCapture((m as common.CameraTrigger).seq, undefined), true);
    on(MSG_ID.CAMERA_IMAGE_CAPTURED, (m) => {
      const c = m as common.CameraImageCaptured;
      const at = c.lat === 0 && c.lon === 0 ? undefined : { lat_deg: c.lat / 1e7, lon_deg: c.lon / 1e7, alt_m: c.alt / 1000 };
      this.onCapture(c.imageIndex, at);
    }, true);
  }

  /** The last sample with the discrete state (armed, mode, landed) as of now. */
  current(): VehicleTelemetry | undefined {
    const l = this.last;
    if (!l) return undefined;
    const armed = this.armed ?? false;
    const mode = this.mode ?? 'unknown';
    const landed = this.landed ?? 'unknown';
    if (l.armed === armed && l.mode === mode && l.landed === landed) return l;
    return (this.last = { ...l, armed, mode, landed });
  }

  /**
   * The GCS (the twin) commanded `mode` now: the vehicle entering it in the next seconds is not
   * a failsafe. Commands sent through the session are noted automatically; call this for a mode
   * asked for another way.
   */
  noteCommandedMode(mode: FlightMode): void {
    this.commanded = { mode, at: this.session.clock.now() };
  }

  /**
   * A vehicle event rendered elsewhere (PX4's events protocol: `name` such as
   * `commander_failsafe_enter_…`, and its text): kept as a hint for a failsafe's reason, like a
   * STATUSTEXT line. Never a failsafe by itself.
   */
  noteVehicleEvent(e: { readonly name?: string; readonly text: string }): void {
    this.eventHints.push({ t_ms: this.session.clock.now(), text: `${e.name ?? ''} ${e.text}`.replace(/_/g, ' ').trim() });
    if (this.eventHints.length > 20) this.eventHints.shift();
  }

  /** Is a vehicle failsafe episode in force (see the class remarks)? */
  get failsafeActive(): boolean {
    return this.inFailsafe;
  }

  /** STATUSTEXT ids waiting for their last chunk. */
  get pendingTexts(): number {
    return this.chunks.size;
  }

  /** Called by the heartbeat plugin for every vehicle heartbeat. */
  onHeartbeat(hb: VehicleHeartbeat): void {
    const now = this.session.clock.now();
    if (this.lastHeartbeatAt !== undefined && now - this.lastHeartbeatAt >= this.session.ms(LINK_GAP_MS)) this.lastLinkGapAt = now;
    this.lastHeartbeatAt = now;
    const armed = (hb.baseMode & MAV_MODE_FLAG_SAFETY_ARMED) !== 0;
    if (armed !== this.armed) {
      this.armed = armed;
      this.emitEvent({ type: 'armed', armed });
    }
    const mode = flightModeOf(this.session.autopilot, hb.baseMode, hb.customMode);
    const previous = this.mode;
    if (mode !== this.mode) {
      this.mode = mode;
      this.emitEvent({ type: 'mode', mode });
    }
    this.systemStatus = hb.systemStatus;
    this.judgeFailsafe(armed, previous, mode, hb.systemStatus, now);
    this.progress.onVehicleState(armed, this.landed ?? 'unknown', mode);
  }

  dispose(): void {
    for (const off of this.offs) off();
    this.cancelPendingJudgement();
  }

  /** Opens or closes a failsafe episode from this heartbeat's state. */
  private judgeFailsafe(armed: boolean, previous: FlightMode | undefined, mode: FlightMode, status: number, now: number): void {
    const critical = MAV_STATE_FAILSAFE.has(status);
    const returning = mode === 'rtl' || mode === 'land';
    if (this.inFailsafe) {
      if (!armed || (!critical && !returning)) this.inFailsafe = false;
      return;
    }
    if (!armed) return;
    let uncommanded = false;
    if (returning && previous !== undefined && previous !== mode) {
      const c = this.commanded;
      const asked = c !== undefined && c.mode === mode && now - c.at <= this.session.ms(COMMANDED_WINDOW_MS);
      uncommanded = !asked && !this.missionsOwnRtl(previous, mode);
    }
    if (critical) return this.openFailsafe(mode, now);
    if (!uncommanded) return;
    if (previous === 'mission' && mode === 'rtl') {
      // PX4 hands a mission's final RTL item over to its RTL mode; the MISSION_CURRENT naming
      // that item may come after the HEARTBEAT showing RTL. Judge once it had time to arrive.
      this.cancelPendingJudgement();
      this.cancelPendingJudgement = this.session.after(this.session.ms(RTL_ITEM_GRACE_MS), () => {
        this.cancelPendingJudgement = () => {};
        if (!this.inFailsafe && this.armed && this.mode === 'rtl' && !this.missionsOwnRtl('mission', 'rtl')) this.openFailsafe('rtl', this.session.clock.now());
      });
      return;
    }
    this.openFailsafe(mode, now);
  }

  /** A switch from the mission to RTL while its last item (an RTL item) is current. */
  private missionsOwnRtl(previous: FlightMode, mode: FlightMode): boolean {
    return previous === 'mission' && mode === 'rtl' && this.missionTotal > 0 && this.missionTotal !== UINT16_MAX && this.missionSeq === this.missionTotal - 1;
  }

  private openFailsafe(action: FlightMode, now: number): void {
    this.cancelPendingJudgement();
    this.cancelPendingJudgement = () => {};
    this.inFailsafe = true;
    this.emitEvent({ type: 'failsafe', reason: this.failsafeReason(now), action });
  }

  /** The cause of a failsafe, from structured state first, recent text as a hint. */
  private failsafeReason(now: number): string {
    const sensors = this.sensors;
    const unhealthy = (bit: number) => sensors !== undefined && (sensors.present & bit) !== 0 && (sensors.enabled & bit) !== 0 && (sensors.health & bit) === 0;
    const recent = (t: number | undefined) => t !== undefined && now - t <= this.session.ms(CAUSE_WINDOW_MS);
    if ((this.chargeState >= CHARGE.CRITICAL && this.chargeState <= CHARGE.UNHEALTHY) || this.batteryFaults !== 0 || unhealthy(SENSOR.BATTERY)) return 'battery';
    if (unhealthy(SENSOR.GEOFENCE)) return 'geofence';
    if (recent(this.lastLinkGapAt)) return 'link_loss';
    if (unhealthy(SENSOR.GPS) || (this.gps !== undefined && this.gps.fix !== '3d')) return 'position_loss';
    if (unhealthy(SENSOR.RC_RECEIVER)) return 'rc_loss';
    // Hints, newest first: PX4 events, then STATUSTEXT.
    for (const lines of [this.eventHints, this.recentText]) {
      for (let i = lines.length - 1; i >= 0; i--) {
        const line = lines[i]!;
        if (!recent(line.t_ms)) break;
        const hint = failsafeHint(line.text);
        if (hint) return hint;
      }
    }
    if (this.chargeState === CHARGE.LOW) return 'battery';
    return 'other';
  }

  /** Notes the mode a command we send asks for. */
  private onSent(m: MavLinkData): void {
    const c = m as Partial<common.CommandLong>;
    if (typeof c.command !== 'number' || !('targetSystem' in m) || !('_param1' in m)) return;
    const p = m as unknown as { _param1: number; _param2: number; _param3: number };
    let mode: FlightMode | undefined = MODE_OF_COMMAND[c.command];
    if (c.command === MAV_CMD_DO_SET_MODE) {
      const custom = this.session.autopilot === 'ardupilot' ? p._param2 : ((p._param2 & 0xff) << 16) | ((p._param3 & 0xff) << 24);
      mode = this.session.autopilot === 'ardupilot' ? copterModeToFlightMode(custom) : px4ModeToFlightMode(custom >>> 0);
    }
    if (mode !== undefined && mode !== 'unknown') this.noteCommandedMode(mode);
  }

  private setLanded(state: LandedState): void {
    if (state === this.landed) return;
    this.landed = state;
    this.emitEvent({ type: 'landed', state });
    this.progress.onVehicleState(this.armed ?? false, state, this.mode ?? 'unknown');
  }

  private onSysStatus(m: common.SysStatus): void {
    this.sensors = { present: m.onboardControlSensorsPresent, enabled: m.onboardControlSensorsEnabled, health: m.onboardControlSensorsHealth };
    this.battery = {
      voltage_v: m.voltageBattery === UINT16_MAX ? this.battery.voltage_v : m.voltageBattery / 1000,
      current_a: m.currentBattery === -1 ? this.battery.current_a : m.currentBattery / 100,
      remaining_pct: m.batteryRemaining === -1 ? this.battery.remaining_pct : m.batteryRemaining,
      consumed_mah: this.battery.consumed_mah,
    };
  }

  private onBatteryStatus(m: common.BatteryStatus): void {
    if (m.id !== 0) return; // the first battery is the one SYS_STATUS summarises
    this.chargeState = m.chargeState ?? 0;
    this.batteryFaults = m.faultBitmask ?? 0;
    this.battery = { ...this.battery, consumed_mah: m.currentConsumed === -1 ? this.battery.consumed_mah : m.currentConsumed };
  }

  private onGps(m: common.GpsRawInt): void {
    const fix: GpsFix = m.fixType >= 3 ? '3d' : m.fixType === 2 ? '2d' : 'none';
    this.gps = { fix, satellites: m.satellitesVisible === 255 ? 0 : m.satellitesVisible, hdop: m.eph === UINT16_MAX ? 99.99 : m.eph / 100 };
  }

  private onHome(m: common.HomePosition): void {
    const home = { lat_deg: m.latitude / 1e7, lon_deg: m.longitude / 1e7, alt_m: m.altitude / 1000 };
    const h = this.home;
    if (h && Math.abs(h.lat_deg - home.lat_deg) < 1e-7 && Math.abs(h.lon_deg - home.lon_deg) < 1e-7 && Math.abs(h.alt_m - home.alt_m) < 0.05) return;
    this.home = home;
    this.frame = new LocalFrame(home);
    this.emitEvent({ type: 'home', home });
  }

  private onGlobalPosition(m: common.GlobalPositionInt): void {
    const now = this.session.clock.now();
    this.vehicleTimeMs = m.timeBootMs;
    this.position = { lat_deg: m.lat / 1e7, lon_deg: m.lon / 1e7, alt_m: m.alt / 1000 };
    this.alt_rel_m = m.relativeAlt / 1000;
    this.velocity = { north_m: m.vx / 100, east_m: m.vy / 100, down_m: m.vz / 100 };
    this.heading_deg = m.hdg !== UINT16_MAX ? m.hdg / 100 : (this.headingFromAttitude ?? this.heading_deg);
    this.firstPositionAt ??= now;
    const complete = (this.sensors !== undefined && this.gps !== undefined) || now - this.firstPositionAt >= this.session.ms(3000);
    if (!complete) return;
    const local = this.frame ? this.frame.toNed(this.position) : (this.localFromEkf ?? { north_m: 0, east_m: 0, down_m: -this.alt_rel_m });
    this.last = {
      vehicle: this.vehicle,
      t_ms: now,
      position: this.position,
      alt_rel_m: this.alt_rel_m,
      local,
      velocity_ned_mps: this.velocity,
      heading_deg: this.heading_deg,
      battery: this.battery,
      gps: this.gps ?? { fix: 'none', satellites: 0, hdop: 99.99 },
      armed: this.armed ?? false,
      mode: this.mode ?? 'unknown',
      landed: this.landed ?? 'unknown',
      ...(this.vehicleTimeMs !== undefined ? { vehicle_time_ms: this.vehicleTimeMs } : {}),
    };
    this.emitTelemetry(this.last);
  }

  private onStatusText(m: common.StatusText): void {
    const severity = SEVERITY[m.severity] ?? 'info';
    const piece = String(m.text ?? '').replace(/\0.*$/s, '');
    let text = piece;
    if (m.id) {
      // Long texts come in 50-character chunks sharing an id; the last one is shorter.
      const now = this.session.clock.now();
      this.expireChunks(now);
      let entry = this.chunks.get(m.id);
      if (!entry) {
        entry = { parts: [], at: now };
        this.chunks.set(m.id, entry);
        while (this.chunks.size > MAX_PENDING_TEXTS) this.chunks.delete(this.chunks.keys().next().value as number);
      }
      if (m.chunkSeq >= 0 && m.chunkSeq < 256) entry.parts[m.chunkSeq] = piece;
      if (piece.length >= 50) return;
      this.chunks.delete(m.id);
      text = entry.parts.filter((x) => x !== undefined).join('');
    }
    text = text.replace(/^\[[a-z_ ]+\]\s*/i, '').trim();
    if (!text) return;
    this.recentText.push({ t_ms: this.session.clock.now(), severity, text });
    if (this.recentText.length > 20) this.recentText.shift();
    this.emitEvent({ type: 'statustext', severity, text });
  }

  /** Drops chunked texts whose last chunk is overdue. */
  private expireChunks(now: number): void {
    const ttl = this.session.ms(TEXT_CHUNK_TTL_MS);
    for (const [id, e] of this.chunks) {
      if (now - e.at < ttl) break; // insertion order = age order
      this.chunks.delete(id);
    }
  }

  private onCapture(seq: number, at: GeoPoint | undefined): void {
    if (this.captured.has(seq)) return;
    this.captured.add(seq);
    const position = at ?? this.position;
    if (!position) return;
    this.emitEvent({ type: 'capture', seq, position });
  }
}

const NEGATED = /\b(disabled|deactivated|cleared|resolved|restored|regained|recovered|off|ok)\b/i;

/**
 * What a STATUSTEXT line says a failsafe is about (PX4 / ArduPilot wordings), or undefined. Only
 * a hint for the reason of a failsafe that structured state shows; never a failsafe by itself.
 *
 * @example
 * failsafeHint('Critical battery level! Landing advised') // 'battery'
 * failsafeHint('Geofence breach disabled')                 // undefined (a setting, not a breach)
 */
export function failsafeHint(text: string): string | undefined {
  if (NEGATED.test(text)) return undefined;
  if (/battery/i.test(text) && /\b(low|critical|emergency|dangerous(ly)?|empty|failsafe)\b/i.test(text)) return 'battery';
  if (/\b(data ?link|datalink|link|gcs|ground station|telemetry)\b.*\b(lost|loss)\b|\bno (data ?link|gcs|rc)\b/i.test(text)) return /\brc\b/i.test(text) ? 'rc_loss' : 'link_loss';
  if (/\b(rc|radio|manual control)\b.*\b(lost|loss)\b/i.test(text)) return 'rc_loss';
  if (/(geo)?fence\b.*\b(breach|violat)/i.test(text)) return 'geofence';
  if (/\b(gps|position|navigation|ekf)\b.*\b(lost|loss|invalid|fail)/i.test(text)) return 'position_loss';
  if (/failsafe/i.test(text)) return 'other';
  return undefined;
}

/**
 * A failsafe hint with the mode a line names ("…return", "…landing").
 *
 * @deprecated Text is no longer a failsafe signal; kept for callers of the earlier API. Use
 * {@link failsafeHint}.
 */
export function failsafeOf(text: string, mode: FlightMode): { reason: string; action: FlightMode } | undefined {
  const reason = failsafeHint(text);
  if (!reason) return undefined;
  const action: FlightMode = /return|rtl/i.test(text) ? 'rtl' : /land/i.test(text) ? 'land' : /hold|loiter/i.test(text) ? 'hold' : mode;
  return { reason, action };
}
