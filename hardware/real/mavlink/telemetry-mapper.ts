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
 * Vehicle failsafes are recognised from PX4/ArduPilot STATUSTEXT wording ("Failsafe", "link
 * lost", "battery") — MAVLink has no failsafe message — and carry the mode they lead to.
 */
import type { common, MavLinkData } from 'node-mavlink';
import type { FlightMode, LandedState } from '../../../core/flight.js';
import { LocalFrame, type GeoPoint, type Ned } from '../../../core/geo.js';
import type { BatteryState, GpsFix, VehicleEvent, VehicleTelemetry } from '../../vehicle.port.js';
import type { VehicleHeartbeat } from './heartbeat.js';
import { MissionProgress } from './mission-progress.js';
import { flightModeOf } from './modes.js';
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
  private readonly captured = new Set<number>();
  private readonly chunks = new Map<number, string[]>();
  private readonly offs: (() => void)[] = [];

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

  /** Called by the heartbeat plugin for every vehicle heartbeat. */
  onHeartbeat(hb: VehicleHeartbeat): void {
    const armed = (hb.baseMode & MAV_MODE_FLAG_SAFETY_ARMED) !== 0;
    if (armed !== this.armed) {
      this.armed = armed;
      this.emitEvent({ type: 'armed', armed });
    }
    const mode = flightModeOf(this.session.autopilot, hb.baseMode, hb.customMode);
    if (mode !== this.mode) {
      this.mode = mode;
      this.emitEvent({ type: 'mode', mode });
    }
    this.progress.onVehicleState(armed, this.landed ?? 'unknown', mode);
  }

  dispose(): void {
    for (const off of this.offs) off();
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
    };
    this.emitTelemetry(this.last);
  }

  private onStatusText(m: common.StatusText): void {
    const severity = SEVERITY[m.severity] ?? 'info';
    const piece = String(m.text ?? '').replace(/\0.*$/s, '');
    let text = piece;
    if (m.id) {
      // Long texts come in 50-character chunks sharing an id; the last one is shorter.
      const parts = this.chunks.get(m.id) ?? [];
      parts[m.chunkSeq] = piece;
      this.chunks.set(m.id, parts);
      if (piece.length >= 50) return;
      this.chunks.delete(m.id);
      text = parts.join('');
    }
    text = text.replace(/^\[[a-z_ ]+\]\s*/i, '').trim();
    if (!text) return;
    this.recentText.push({ t_ms: this.session.clock.now(), severity, text });
    if (this.recentText.length > 20) this.recentText.shift();
    this.emitEvent({ type: 'statustext', severity, text });
    const fs = failsafeOf(text, this.mode ?? 'unknown');
    if (fs) this.emitEvent({ type: 'failsafe', ...fs });
  }

  private onCapture(seq: number, at: GeoPoint | undefined): void {
    if (this.captured.has(seq)) return;
    this.captured.add(seq);
    const position = at ?? this.position;
    if (!position) return;
    this.emitEvent({ type: 'capture', seq, position });
  }
}

/** Recognises a vehicle failsafe in a STATUSTEXT line (PX4 and ArduPilot wordings). */
export function failsafeOf(text: string, mode: FlightMode): { reason: string; action: FlightMode } | undefined {
  if (!/failsafe|link lost|connection to .* lost|battery (level )?(low|critical|emergency)|geofence (breach|violated)/i.test(text)) return undefined;
  if (/(activated|deactivated|off)\b.*$/i.test(text) && /deactivated|failsafe off/i.test(text)) return undefined;
  const reason = /battery/i.test(text) ? 'battery' : /link|gcs|connection|telemetry/i.test(text) ? 'link_loss' : /fence/i.test(text) ? 'geofence' : /gps|position/i.test(text) ? 'position_loss' : 'other';
  const action: FlightMode = /return|rtl/i.test(text) ? 'rtl' : /land/i.test(text) ? 'land' : /hold|loiter/i.test(text) ? 'hold' : mode;
  return { reason, action };
}
