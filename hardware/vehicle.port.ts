/**
 * The vehicle port: everything the runtime may ask of, or hear from, a flying vehicle.
 *
 * @remarks
 * Implemented by the in-process simulator (`hardware/sim/sim-vehicle.adapter.ts`) and, with the
 * MAVLink issue, by the MAVLink adapter; both pass `test/contract/vehicle.contract.ts`.
 * Units are SI, positions WGS84 with altitudes in metres, local positions NED metres from home,
 * times in milliseconds of the clock the port was given (sim time under the virtual clock).
 * Commands resolve to a {@link Result} with a closed set of codes; they never throw for an
 * expected failure. Streams are `subscribe(fn) → unsubscribe`.
 */
import type { GeoPoint, Ned } from '../core/geo.js';
import type { MissionItem } from '../core/mission.js';
import type { Result } from '../core/result.js';

import type { FlightMode, LandedState } from '../core/flight.js';

export { FLIGHT_MODES, type FlightMode, type LandedState } from '../core/flight.js';

export type VehicleErrorCode =
  | 'VEHICLE.NO_LINK'
  | 'VEHICLE.COMMAND_DENIED'
  | 'VEHICLE.UNSUPPORTED'
  | 'VEHICLE.TIMEOUT'
  | 'VEHICLE.BUSY'
  | 'VEHICLE.NOT_READY'
  | 'VEHICLE.DISPOSED'
  | 'MISSION.INVALID'
  | 'MISSION.UPLOAD_FAILED'
  | 'MISSION.UPLOAD_TIMEOUT'
  | 'MISSION.NONE_LOADED';

export type VehicleResult<T = void> = Result<T, VehicleErrorCode>;

export interface BatteryState {
  readonly voltage_v: number;
  readonly current_a: number;
  /** 0..100 */
  readonly remaining_pct: number;
  readonly consumed_mah: number;
}

export type GpsFix = 'none' | '2d' | '3d';

/** One telemetry sample; the port emits these at its telemetry rate. */
export interface VehicleTelemetry {
  readonly vehicle: string;
  readonly t_ms: number;
  /** Estimated global position; `alt_m` is AMSL. */
  readonly position: GeoPoint;
  /** Altitude above home, metres. */
  readonly alt_rel_m: number;
  /** Estimated local position from home. */
  readonly local: Ned;
  readonly velocity_ned_mps: Ned;
  readonly heading_deg: number;
  readonly battery: BatteryState;
  readonly gps: { readonly fix: GpsFix; readonly satellites: number; readonly hdop: number };
  readonly armed: boolean;
  readonly mode: FlightMode;
  readonly landed: LandedState;
  /**
   * The vehicle's own clock for this sample, ms since its boot (MAVLink `time_boot_ms`), when
   * the port has one: for aligning telemetry with the vehicle's logs, images and point clouds.
   */
  readonly vehicle_time_ms?: number;
}

/** Discrete changes the port reports; each stamped with the port's clock. */
export type VehicleEvent = { readonly vehicle: string; readonly t_ms: number } & (
  | { readonly type: 'link'; readonly up: boolean }
  | { readonly type: 'armed'; readonly armed: boolean }
  | { readonly type: 'mode'; readonly mode: FlightMode }
  | { readonly type: 'landed'; readonly state: LandedState }
  | { readonly type: 'home'; readonly home: GeoPoint }
  | { readonly type: 'mission.current'; readonly seq: number; readonly total: number }
  | { readonly type: 'mission.reached'; readonly seq: number }
  | { readonly type: 'mission.finished' }
  | { readonly type: 'capture'; readonly seq: number; readonly position: GeoPoint }
  | { readonly type: 'statustext'; readonly severity: 'emergency' | 'alert' | 'critical' | 'error' | 'warning' | 'notice' | 'info' | 'debug'; readonly text: string }
  /** The vehicle itself entered a failsafe (its own datalink-loss, battery or fence action). */
  | { readonly type: 'failsafe'; readonly reason: string; readonly action: FlightMode }
  /**
   * An event the vehicle reported through the MAVLink events interface (PX4), rendered with its
   * metadata: `name` as in the metadata (`commander_modeswitch_not_avail`), `id` the event id.
   */
  | { readonly type: 'vehicle.event'; readonly severity: 'emergency' | 'alert' | 'critical' | 'error' | 'warning' | 'notice' | 'info' | 'debug'; readonly text: string; readonly id: number; readonly name: string }
);

export type Unsubscribe = () => void;

/** A point of a fence polygon, WGS84 degrees. */
export interface FencePoint {
  readonly lat_deg: number;
  readonly lon_deg: number;
}

/**
 * A geofence the vehicle itself enforces (PX4: MAV_MISSION_TYPE_FENCE polygons, with the
 * altitude limit and breach action as parameters GF_MAX_VER_DIST and GF_ACTION).
 */
export interface VehicleGeofence {
  /** Inclusion polygon (≥ 3 vertices): the vehicle must stay inside. */
  readonly polygon?: readonly FencePoint[];
  /** Exclusion polygons (no-fly zones), each ≥ 3 vertices. */
  readonly exclusions?: readonly (readonly FencePoint[])[];
  /** Highest altitude above home, metres. */
  readonly max_alt_m?: number;
  /** What the vehicle does on a breach (absent: keep the vehicle's setting). */
  readonly action?: 'none' | 'warn' | 'hold' | 'rtl' | 'land' | 'terminate';
}

/** The answer for one parameter of {@link VehiclePort.setParameters}. */
export interface ParamOutcome {
  readonly name: string;
  readonly ok: boolean;
  /** The value the vehicle now holds (when set). */
  readonly value?: number;
  /** Why not (when not set): an error code and message. */
  readonly error?: string;
}

/**
 * A fault to inject into the vehicle (the same kinds as the simulator's `SimFault`, which
 * scenario files use): the simulator applies them to its physics, a real PX4 gets
 * MAV_CMD_INJECT_FAILURE where it has it.
 */
export type VehicleFault =
  | { readonly kind: 'link_loss'; readonly duration_s?: number }
  | { readonly kind: 'link_restore' }
  | { readonly kind: 'gps_loss'; readonly duration_s?: number }
  | { readonly kind: 'gps_restore' }
  | { readonly kind: 'battery_drop'; readonly pct: number }
  | { readonly kind: 'motor_failure' }
  | { readonly kind: 'wind_gust'; readonly speed_mps: number; readonly direction_deg: number; readonly duration_s: number }
  | { readonly kind: 'sensor_failure'; readonly sensor: string };

/** How the vehicle took an injected fault. */
export interface FaultReport {
  readonly kind: VehicleFault['kind'];
  /** The vehicle's answer: `ACCEPTED`, or what was done instead (`LINK_SILENCED`). */
  readonly result: string;
  /** How this differs from the simulator's fault, if it does (e.g. PX4 empties the battery). */
  readonly note?: string;
}

export interface VehicleCapabilities {
  readonly missionTypes: readonly ('mission' | 'fence' | 'rally')[];
  readonly commandInt: boolean;
  readonly pauseMission: boolean;
  readonly goto: boolean;
  readonly autopilot: 'px4' | 'ardupilot' | 'sim' | 'unknown';
}

export interface VehiclePort {
  /** The vehicle's id in the twin (a scenario name, e.g. `drone1`). */
  readonly id: string;
  readonly capabilities: VehicleCapabilities;

  /** Opens the link and waits for the first heartbeat / readiness. */
  connect(signal?: AbortSignal): Promise<VehicleResult>;
  /** Closes the link and stops all streams; later commands fail with VEHICLE.DISPOSED. */
  dispose(): Promise<void>;

  /** The last telemetry sample, if any. */
  snapshot(): VehicleTelemetry | undefined;
  /** Home (takeoff) position once known. */
  home(): GeoPoint | undefined;

  subscribeTelemetry(fn: (t: VehicleTelemetry) => void): Unsubscribe;
  subscribeEvents(fn: (e: VehicleEvent) => void): Unsubscribe;

  arm(signal?: AbortSignal): Promise<VehicleResult>;
  disarm(signal?: AbortSignal): Promise<VehicleResult>;
  /** Take off to `alt_m` above home (the vehicle's default when absent). */
  takeoff(alt_m?: number, signal?: AbortSignal): Promise<VehicleResult>;
  land(signal?: AbortSignal): Promise<VehicleResult>;
  returnToLaunch(signal?: AbortSignal): Promise<VehicleResult>;
  /** Hold position (PX4 AUTO.LOITER). Also pauses a running mission. */
  hold(signal?: AbortSignal): Promise<VehicleResult>;
  /** Fly to a position (altitude relative to home). */
  goto(target: { lat_deg: number; lon_deg: number; alt_m: number }, signal?: AbortSignal): Promise<VehicleResult>;

  /** Replaces the vehicle's mission. A failed upload leaves the previous one intact. */
  uploadMission(items: readonly MissionItem[], signal?: AbortSignal): Promise<VehicleResult>;
  /** Starts (or resumes from the current item) the uploaded mission; the vehicle must be armed. */
  startMission(signal?: AbortSignal): Promise<VehicleResult>;
  clearMission(signal?: AbortSignal): Promise<VehicleResult>;

  // Optional capabilities (absent = the port cannot do it).

  /**
   * Follows the mission already on the vehicle (uploaded by an earlier process): progress
   * events then speak in its items. Resolves with its item count; MISSION.NONE_LOADED if none.
   */
  adoptVehiclePlan?(signal?: AbortSignal): Promise<VehicleResult<{ readonly items: number }>>;
  /**
   * Uploads a geofence for the vehicle to enforce itself. Replaces the previous one; an empty
   * fence (no polygon, no exclusions) clears it. MISSION.INVALID for a malformed fence.
   */
  uploadGeofence?(fence: VehicleGeofence, signal?: AbortSignal): Promise<VehicleResult>;
  /**
   * Sets vehicle parameters, each in the type the vehicle declares (PX4's COM_DL_LOSS_T is an
   * INT32), verified by the vehicle's echo. Fails if any one was not set (context.outcomes).
   */
  setParameters?(values: Readonly<Record<string, number>>, signal?: AbortSignal): Promise<VehicleResult<readonly ParamOutcome[]>>;
  /** Injects a fault; the result says how the vehicle took it, or the vehicle's refusal. */
  injectFault?(fault: VehicleFault, signal?: AbortSignal): Promise<VehicleResult<FaultReport>>;
}
