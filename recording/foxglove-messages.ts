/**
 * Bus message → Foxglove message, pure functions (no I/O): what the recorder writes beside each
 * raw bus message so Foxglove's panels show it.
 *
 * @remarks
 * Frames: poses are in `map`, ENU (x east, y north, z up, REP 103) from the twin's world origin,
 * as the bridge publishes them; LocationFix is WGS84 with altitude AMSL. Times are the twin's
 * clock (sim time under the virtual clock) as `{sec, nsec}`.
 */
import type { BatteryMsg, PoseMsg } from '../actors/bus.js';
import type { CaptureRef, ScanRef } from '../hardware/sensor.port.js';
import type { LogEntry } from '../actors/event-log.js';

export interface FoxgloveTime {
  readonly sec: number;
  readonly nsec: number;
}

/** Clock ms → Foxglove time. Negative times clamp to 0 (Foxglove times are unsigned). */
export function foxgloveTime(t_ms: number): FoxgloveTime {
  const ms = Math.max(0, t_ms);
  const sec = Math.floor(ms / 1000);
  return { sec, nsec: Math.round((ms - sec * 1000) * 1e6) };
}

/** Clock ms → MCAP log time (ns, unsigned 64-bit). */
export function logTimeNs(t_ms: number): bigint {
  return BigInt(Math.max(0, Math.round(t_ms * 1000))) * 1000n;
}

/** Yaw about up (ENU) from a compass heading (degrees clockwise from north), as a quaternion. */
export function headingToQuaternion(heading_deg: number) {
  const yaw = ((90 - heading_deg) * Math.PI) / 180;
  return { x: 0, y: 0, z: Math.sin(yaw / 2), w: Math.cos(yaw / 2) };
}

export function locationFix(p: PoseMsg) {
  return {
    timestamp: foxgloveTime(p.t_ms),
    frame_id: p.vehicle,
    latitude: p.position.lat_deg,
    longitude: p.position.lon_deg,
    altitude: p.position.alt_m,
    position_covariance: [0, 0, 0, 0, 0, 0, 0, 0, 0],
    // UNKNOWN: the twin has no covariance on the pose (the telemetry carries HDOP).
    position_covariance_type: 0,
  };
}

export function poseInFrame(p: PoseMsg) {
  return {
    timestamp: foxgloveTime(p.t_ms),
    frame_id: 'map',
    pose: {
      position: { x: p.local.east_m, y: p.local.north_m, z: -p.local.down_m },
      orientation: headingToQuaternion(p.heading_deg),
    },
  };
}

/**
 * `map` → `<vehicle>`: the vehicle's body frame (x forward, y left, z up; yaw from the heading,
 * roll and pitch not on the pose), so Foxglove's 3D panel places what is in the vehicle's frames.
 */
export function vehicleTransform(p: PoseMsg) {
  return {
    timestamp: foxgloveTime(p.t_ms),
    parent_frame_id: 'map',
    child_frame_id: p.vehicle,
    translation: { x: p.local.east_m, y: p.local.north_m, z: -p.local.down_m },
    rotation: headingToQuaternion(p.heading_deg),
  };
}

/**
 * `<vehicle>` → `<vehicle>/<sensor>`: a LiDAR's frame (Ouster: x forward, y left, z up) on the
 * body frame, level (the mount rotation is not on the bus; LiDARs default to level).
 */
export function sensorTransform(vehicle: string, sensor: string, t_ms: number) {
  return {
    timestamp: foxgloveTime(t_ms),
    parent_frame_id: vehicle,
    child_frame_id: `${vehicle}/${sensor}`,
    translation: { x: 0, y: 0, z: 0 },
    rotation: { x: 0, y: 0, z: 0, w: 1 },
  };
}

/** sensor_msgs/BatteryState's fields (percentage 0..1, current negative while discharging). */
export function batteryState(b: BatteryMsg) {
  return {
    header: { stamp: foxgloveTime(b.t_ms), frame_id: `${b.vehicle}/battery` },
    voltage: b.voltage_v,
    current: -b.current_a,
    percentage: Math.min(1, Math.max(0, b.remaining_pct / 100)),
    // POWER_SUPPLY_STATUS_DISCHARGING
    power_supply_status: 2,
    present: true,
    location: b.vehicle,
  };
}

/** foxglove.CompressedImage `format` from a media type (`image/jpeg` → `jpeg`). */
export function imageFormat(mediaType: string | undefined): string {
  const sub = (mediaType ?? 'image/jpeg').split('/')[1] ?? 'jpeg';
  return sub === 'jpg' ? 'jpeg' : sub;
}

export function compressedImage(c: CaptureRef, data: Uint8Array) {
  return {
    timestamp: foxgloveTime(c.t_ms),
    frame_id: `${c.vehicle}/${c.sensor}`,
    data: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64'),
    format: imageFormat(c.media_type),
  };
}

/** foxglove NumericType FLOAT32. */
const FLOAT32 = 7;
/** Bytes per point in a scan blob: x, y, z, intensity, float32 little-endian. */
export const POINT_STRIDE = 16;

/** foxglove.PointCloud in the sensor's own frame (`<vehicle>/<sensor>`, Ouster: x fwd, y left, z up). */
export function pointCloud(s: ScanRef, data: Uint8Array) {
  return {
    timestamp: foxgloveTime(s.t_ms),
    frame_id: `${s.vehicle}/${s.sensor}`,
    pose: { position: { x: 0, y: 0, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } },
    point_stride: POINT_STRIDE,
    fields: [
      { name: 'x', offset: 0, type: FLOAT32 },
      { name: 'y', offset: 4, type: FLOAT32 },
      { name: 'z', offset: 8, type: FLOAT32 },
      { name: 'intensity', offset: 12, type: FLOAT32 },
    ],
    data: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64'),
  };
}

/** foxglove.Log levels: 1 DEBUG, 2 INFO, 3 WARNING, 4 ERROR. */
function logLevel(type: string): number {
  if (/fail|error|lost|critical|denied/i.test(type)) return 4;
  if (/failsafe|warn|low|breach|abort/i.test(type)) return 3;
  return 2;
}

/** An event log entry as a foxglove.Log line (Foxglove's Log panel); the full entry is on `/events`. */
export function logLine(e: LogEntry) {
  return {
    timestamp: foxgloveTime(e.t_ms),
    level: logLevel(e.type),
    message: e.data ? `${e.type} ${JSON.stringify(e.data)}` : e.type,
    name: e.source,
    file: '',
    line: 0,
  };
}
