/**
 * Outbound telemetry: the messages PX4 streams, their default rates per link mode, and the
 * builders that turn a {@link SimWorld} vehicle into them.
 *
 * @remarks
 * Rates are PX4's `configure_streams_to_default` for MAVLINK_MODE_NORMAL (the GCS link, like
 * PX4 SITL's 18570 instance) and MAVLINK_MODE_ONBOARD (the API link, 14580 → 14540). Streams are
 * checked on every physics tick of the world (`world.onTick`), so they run on the world's clock
 * and never fire between ticks: a period is rounded up to whole ticks (20 ms at 50 Hz), and no
 * stream runs faster than the physics (PX4's 100 Hz onboard ATTITUDE becomes 50 Hz; GPS_RAW_INT,
 * "unlimited" in PX4, follows the simulated GPS rate). A client changes a rate per link with
 * MAV_CMD_SET_MESSAGE_INTERVAL, as in PX4.
 */
import { common, minimal, standard, type MavLinkData } from 'node-mavlink';
import type { SimWorld } from '../sim-world.js';
import type { VehicleTelemetry } from '../../vehicle.port.js';
import { PX4_MODE_FOR, packPx4Mode } from '../../real/mavlink/px4-modes.js';
import { AUTOPILOT_PX4, MavState, MavType, ModeFlag, MsgId, msg } from './internal/mav.js';

export type LinkMode = 'normal' | 'onboard';

/** What a builder may read about one vehicle at the current instant. */
export interface StreamSource {
  readonly world: SimWorld;
  readonly id: string;
  readonly sysid: number;
  /** The telemetry sample of this instant (built once, shared by every stream and link). */
  sample(): VehicleTelemetry;
  /** ms since the SITL started: MAVLink `time_boot_ms`. */
  timeBootMs(): number;
  /** True while a failsafe the vehicle took is in force: HEARTBEAT system_status CRITICAL. */
  readonly failsafe: boolean;
  /** Attitude estimate (rad, rad/s) derived from the velocity history. */
  attitude(): { roll: number; pitch: number; yaw: number; rollspeed: number; pitchspeed: number; yawspeed: number };
}

interface StreamDef {
  readonly id: number;
  /** Default rate per link mode, Hz (0 = off). */
  readonly normalHz: number;
  readonly onboardHz: number;
  build(src: StreamSource): MavLinkData;
}

const DEG = Math.PI / 180;
const clampI16 = (v: number) => Math.max(-32768, Math.min(32767, Math.round(v)));
const e7 = (deg: number) => Math.round(deg * 1e7);
const usec = (ms: number) => BigInt(Math.max(0, Math.round(ms * 1000)));

/** The PX4 custom mode and base-mode flags of a telemetry sample. */
export function px4ModeWords(t: VehicleTelemetry): { baseMode: number; customMode: number } {
  const mode = t.mode === 'unknown' ? 'manual' : t.mode;
  const customMode = packPx4Mode(PX4_MODE_FOR[mode]);
  // As PX4's get_mavlink_navigation_mode: auto modes add AUTO|GUIDED|STABILIZE, position mode
  // MANUAL_INPUT|GUIDED|STABILIZE, and SAFETY_ARMED while armed.
  let baseMode = ModeFlag.CUSTOM_MODE_ENABLED | ModeFlag.STABILIZE_ENABLED | ModeFlag.GUIDED_ENABLED;
  baseMode |= mode === 'manual' ? ModeFlag.MANUAL_INPUT_ENABLED : ModeFlag.AUTO_ENABLED;
  if (t.armed) baseMode |= ModeFlag.SAFETY_ARMED;
  return { baseMode, customMode };
}

const LANDED = { unknown: 0, on_ground: 1, in_air: 2, taking_off: 3, landing: 4 } as const;

/** SYS_STATUS sensor bits this vehicle has: IMU, mag, baro, GPS, controllers, motors, battery, AHRS. */
const SENSORS_PRESENT = 1 | 2 | 4 | 8 | 32 | 1024 | 2048 | 4096 | 8192 | 16384 | 32768 | 2097152 | 33554432;
const SENSOR_GPS = 32;
const SENSOR_BATTERY = 33554432;
/** MAV_SYS_STATUS_PREARM_CHECK. */
const SENSOR_PREARM_CHECK = 268435456;

function heartbeat(src: StreamSource): MavLinkData {
  const t = src.sample();
  const { baseMode, customMode } = px4ModeWords(t);
  const status = src.failsafe ? MavState.CRITICAL : t.armed ? MavState.ACTIVE : MavState.STANDBY;
  return msg(minimal.Heartbeat, {
    type: MavType.QUADROTOR, autopilot: AUTOPILOT_PX4, baseMode, customMode, systemStatus: status, mavlinkVersion: 3,
  });
}

function batteryLevel(src: StreamSource, pct: number): number {
  const p = src.world.getParams(src.id);
  const f = pct / 100;
  return f <= p.BAT_EMERGEN_THR ? 4 : f <= p.BAT_CRIT_THR ? 3 : f <= p.BAT_LOW_THR ? 2 : 1;
}

const STREAMS: readonly StreamDef[] = [
  { id: MsgId.HEARTBEAT, normalHz: 1, onboardHz: 1, build: heartbeat },
  {
    id: MsgId.SYS_STATUS, normalHz: 1, onboardHz: 5,
    build(src) {
      const t = src.sample();
      let health = SENSORS_PRESENT;
      if (t.gps.fix !== '3d') health &= ~SENSOR_GPS;
      if (batteryLevel(src, t.battery.remaining_pct) >= 3) health &= ~SENSOR_BATTERY;
      // PX4 (SYS_STATUS.hpp): PREARM_CHECK in health only (never present/enabled), set when the
      // vehicle can arm in its current mode.
      if (src.world.armRefusal(src.id) === undefined) health |= SENSOR_PREARM_CHECK;
      return msg(common.SysStatus, {
        onboardControlSensorsPresent: SENSORS_PRESENT, onboardControlSensorsEnabled: SENSORS_PRESENT,
        onboardControlSensorsHealth: health >>> 0, load: 250,
        voltageBattery: Math.round(t.battery.voltage_v * 1000), currentBattery: clampI16(t.battery.current_a * 100),
        batteryRemaining: Math.round(t.battery.remaining_pct),
      });
    },
  },
  {
    id: MsgId.GPS_RAW_INT, normalHz: 5, onboardHz: 10,
    build(src) {
      const t = src.sample(), v = t.velocity_ned_mps;
      const fix = t.gps.fix === '3d';
      const gs = Math.hypot(v.north_m, v.east_m);
      const cog = gs > 0.1 ? ((Math.atan2(v.east_m, v.north_m) / DEG + 360) % 360) * 100 : 65535;
      return msg(common.GpsRawInt, {
        timeUsec: usec(src.timeBootMs()), fixType: fix ? 3 : 1, lat: e7(t.position.lat_deg), lon: e7(t.position.lon_deg),
        alt: Math.round(t.position.alt_m * 1000), eph: Math.round(t.gps.hdop * 100), epv: Math.round(t.gps.hdop * 150),
        vel: Math.round(gs * 100), cog: Math.round(cog) % 65536, satellitesVisible: fix ? t.gps.satellites : 0,
      });
    },
  },
  {
    id: MsgId.ATTITUDE, normalHz: 15, onboardHz: 100,
    build(src) {
      return msg(common.Attitude, { timeBootMs: src.timeBootMs() >>> 0, ...src.attitude() });
    },
  },
  {
    id: MsgId.LOCAL_POSITION_NED, normalHz: 1, onboardHz: 30,
    build(src) {
      const t = src.sample(), l = t.local, v = t.velocity_ned_mps;
      return msg(common.LocalPositionNed, {
        timeBootMs: src.timeBootMs() >>> 0, x: l.north_m, y: l.east_m, z: l.down_m, vx: v.north_m, vy: v.east_m, vz: v.down_m,
      });
    },
  },
  {
    id: MsgId.GLOBAL_POSITION_INT, normalHz: 5, onboardHz: 50,
    build(src) {
      const t = src.sample(), v = t.velocity_ned_mps;
      return msg(common.GlobalPositionInt, {
        timeBootMs: src.timeBootMs() >>> 0, lat: e7(t.position.lat_deg), lon: e7(t.position.lon_deg),
        alt: Math.round(t.position.alt_m * 1000), relativeAlt: Math.round(t.alt_rel_m * 1000),
        vx: clampI16(v.north_m * 100), vy: clampI16(v.east_m * 100), vz: clampI16(v.down_m * 100),
        hdg: Math.round((((t.heading_deg % 360) + 360) % 360) * 100) % 36000,
      });
    },
  },
  {
    id: MsgId.VFR_HUD, normalHz: 4, onboardHz: 10,
    build(src) {
      const t = src.sample(), v = t.velocity_ned_mps;
      const gs = Math.hypot(v.north_m, v.east_m);
      return msg(common.VfrHud, {
        airspeed: gs, groundspeed: gs, heading: Math.round((((t.heading_deg % 360) + 360) % 360)) % 360,
        throttle: t.armed && t.landed !== 'on_ground' ? 50 : 0, alt: t.position.alt_m, climb: -v.down_m,
      });
    },
  },
  {
    id: MsgId.BATTERY_STATUS, normalHz: 0.5, onboardHz: 0.5,
    build(src) {
      const t = src.sample();
      const cells = Math.max(1, Math.min(10, Math.round(src.world.getParams(src.id).BAT_N_CELLS)));
      const cellMv = Math.round((t.battery.voltage_v * 1000) / cells);
      const voltages = Array.from({ length: 10 }, (_, k) => (k < cells ? cellMv : 65535));
      return msg(common.BatteryStatus, {
        id: 0, batteryFunction: 1, type: 1, temperature: 32767, voltages, currentBattery: clampI16(t.battery.current_a * 100),
        currentConsumed: Math.round(t.battery.consumed_mah), energyConsumed: -1,
        batteryRemaining: Math.round(t.battery.remaining_pct), timeRemaining: 0,
        chargeState: batteryLevel(src, t.battery.remaining_pct), voltagesExt: [0, 0, 0, 0], mode: 0, faultBitmask: 0,
      });
    },
  },
  {
    id: MsgId.HOME_POSITION, normalHz: 0.5, onboardHz: 0.5,
    build(src) {
      const h = src.world.home(src.id);
      // Local coordinates are relative to home here (PX4: to the EKF origin, which is home in SITL).
      return msg(common.HomePosition, {
        latitude: e7(h.lat_deg), longitude: e7(h.lon_deg), altitude: Math.round(h.alt_m * 1000), x: 0, y: 0, z: 0,
        q: [1, 0, 0, 0], approachX: 0, approachY: 0, approachZ: 0, timeUsec: usec(src.timeBootMs()),
      });
    },
  },
  {
    id: MsgId.EXTENDED_SYS_STATE, normalHz: 1, onboardHz: 5,
    build(src) {
      return msg(common.ExtendedSysState, { vtolState: 0, landedState: LANDED[src.sample().landed] });
    },
  },
];

const BY_ID = new Map(STREAMS.map((s) => [s.id, s]));

/** PX4's AUTOPILOT_VERSION for a v1.15.0 release build. */
export function autopilotVersion(sysid: number): MavLinkData {
  // MISSION_FLOAT | MISSION_INT | COMMAND_INT | PARAM_ENCODE_BYTEWISE | MAVLINK2 | MISSION_FENCE | MISSION_RALLY
  const capabilities = 1 | 4 | 8 | 16 | 8192 | 16384 | 32768;
  return msg(standard.AutopilotVersion, {
    capabilities: BigInt(capabilities), flightSwVersion: 0x010f00ff, middlewareSwVersion: 0, osSwVersion: 0,
    boardVersion: 0, flightCustomVersion: [0, 0, 0, 0, 0, 0, 0, 0], middlewareCustomVersion: [0, 0, 0, 0, 0, 0, 0, 0],
    osCustomVersion: [0, 0, 0, 0, 0, 0, 0, 0], vendorId: 0, productId: 0, uid: BigInt(0x7717_0000 + sysid),
    uid2: new Array(18).fill(0),
  });
}

/**
 * The stream schedule of one link: which messages, how often, and when each is next due.
 * Times are sim ms of the world's clock.
 */
export class LinkStreams {
  private readonly period = new Map<number, number>();
  private readonly nextAt = new Map<number, number>();

  constructor(readonly mode: LinkMode, private readonly tickMs: number) {
    for (const s of STREAMS) this.setDefault(s.id);
  }

  /**
   * MAV_CMD_SET_MESSAGE_INTERVAL: `intervalUs` −1 disables, 0 restores the default, > 0 sets the
   * period (µs). Returns false for a message this SITL cannot stream (PX4 answers FAILED).
   */
  setInterval(id: number, intervalUs: number): boolean {
    if (!BY_ID.has(id) || !Number.isFinite(intervalUs)) return false;
    if (intervalUs === 0) this.setDefault(id);
    else if (intervalUs < 0) this.period.delete(id);
    else this.period.set(id, Math.max(this.tickMs, intervalUs / 1000));
    // Send at the next tick and keep the new period's phase from there.
    this.nextAt.set(id, Number.NaN);
    return true;
  }

  /** The current interval in µs (−1 = off), or undefined for an unknown message (MESSAGE_INTERVAL). */
  interval(id: number): number | undefined {
    if (!BY_ID.has(id)) return undefined;
    const p = this.period.get(id);
    return p === undefined ? -1 : Math.round(p * 1000);
  }

  /** Builds every message due at `now` and hands it to `send`, in a fixed order. */
  run(now: number, src: StreamSource, send: (m: MavLinkData) => void): void {
    for (const s of STREAMS) {
      const p = this.period.get(s.id);
      if (p === undefined) continue;
      const due = this.nextAt.get(s.id) ?? Number.NaN;
      if (now + 1e-6 < due) continue;
      // Keep the phase (no drift) but never try to catch up on missed periods.
      this.nextAt.set(s.id, Number.isNaN(due) ? now + p : Math.max(due + p, now + p * 0.5));
      send(s.build(src));
    }
  }

  private setDefault(id: number): void {
    const s = BY_ID.get(id)!;
    const hz = this.mode === 'normal' ? s.normalHz : s.onboardHz;
    if (hz > 0) this.period.set(id, Math.max(this.tickMs, 1000 / hz));
    else this.period.delete(id);
  }
}

/** Builds one message on request (MAV_CMD_REQUEST_MESSAGE), or undefined if it is not a stream. */
export function buildStreamMessage(id: number, src: StreamSource): MavLinkData | undefined {
  return BY_ID.get(id)?.build(src);
}
