/**
 * Sensor bus messages → ROS-shaped messages: sensor_msgs/CompressedImage, sensor_msgs/CameraInfo,
 * diagnostic_msgs/DiagnosticStatus and sensor_msgs/PointCloud2, plus the point decimation that
 * keeps a LiDAR stream within what a browser can draw.
 *
 * @remarks
 * Pure. Byte arrays (`data`) are `Uint8Array`s here: the encoder sends them base64 in JSON (as
 * rosbridge does for `uint8[]`) and as CBOR byte strings in binary frames. Stamps are the
 * sensor's clock (sim time under the virtual clock), frames are `<vehicle>/<sensor>`.
 */
import type { SensorHealthMsg } from '../actors/bus.js';
import type { CaptureRef, ScanRef, SensorInfo } from '../hardware/sensor.port.js';
import { rosTime } from './ros-messages.js';
import * as shared from '../hardware/real/ros/messages/twin-to-ros.mapper.js';

/** The ROS frame of a sensor: `<vehicle>/<sensor>`. */
export const sensorFrame = shared.sensorFrame;

/** `image/jpeg` → `jpeg` (sensor_msgs/CompressedImage `format`); unknown types pass as their subtype. */
export const imageFormat = shared.imageFormat;

/** sensor_msgs/CompressedImage of a stored capture (its bytes as read from the blob store), ROS 2 spelling. */
export function compressedImage(ref: CaptureRef, bytes: Uint8Array) {
  return shared.compressedImage(ref, bytes, 'ros2');
}

/**
 * The pinhole intrinsics of a camera profile, pixels: `fx = f_mm · width_px / sensor_width_mm`
 * (likewise `fy`), principal point at the image centre. Undefined without a camera profile.
 */
export function intrinsics(info: SensorInfo | undefined): { fx: number; fy: number; cx: number; cy: number; width: number; height: number } | undefined {
  const c = info?.camera;
  if (!c || c.sensor_mm.width <= 0 || c.sensor_mm.height <= 0) return undefined;
  const { width, height } = c.resolution_px;
  return {
    fx: (c.focal_length_mm * width) / c.sensor_mm.width,
    fy: (c.focal_length_mm * height) / c.sensor_mm.height,
    cx: width / 2,
    cy: height / 2,
    width,
    height,
  };
}

/**
 * sensor_msgs/CameraInfo from the profile: an ideal pinhole (plumb_bob with zero distortion; the
 * profiles carry no calibration), `K` from focal length and sensor size, `P = [K | 0]`, `R = I`.
 */
export function cameraInfo(vehicle: string, sensor: string, info: SensorInfo | undefined, t_ms: number) {
  const k = intrinsics(info);
  const fx = k?.fx ?? 0;
  const fy = k?.fy ?? 0;
  const cx = k?.cx ?? 0;
  const cy = k?.cy ?? 0;
  return {
    header: { stamp: rosTime(t_ms), frame_id: sensorFrame(vehicle, sensor) },
    height: k?.height ?? 0,
    width: k?.width ?? 0,
    distortion_model: 'plumb_bob',
    d: [0, 0, 0, 0, 0],
    k: [fx, 0, cx, 0, fy, cy, 0, 0, 1],
    r: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    p: [fx, 0, cx, 0, 0, fy, cy, 0, 0, 0, 1, 0],
    binning_x: 0,
    binning_y: 0,
    roi: { x_offset: 0, y_offset: 0, height: 0, width: 0, do_rectify: false },
  };
}

// diagnostic_msgs/DiagnosticStatus levels
const LEVEL = { ok: 0, degraded: 1, failed: 2, offline: 3 } as const;

/**
 * diagnostic_msgs/DiagnosticStatus of a sensor's 1 Hz health: level OK / WARN / ERROR / STALE for
 * ok / degraded / failed / offline; counters and the machine state as key/value pairs.
 */
export function sensorStatus(h: SensorHealthMsg) {
  const values: { key: string; value: string }[] = [
    { key: 'state', value: h.state },
    { key: 'machine_state', value: h.machine_state },
    { key: 'kind', value: h.kind },
    { key: 'count', value: String(h.count) },
    { key: 'lost', value: String(h.lost) },
    { key: 't_ms', value: String(h.t_ms) },
  ];
  if (h.temperature_c !== undefined) values.push({ key: 'temperature_c', value: String(h.temperature_c) });
  if (h.storage_free_mib !== undefined) values.push({ key: 'storage_free_mib', value: String(h.storage_free_mib) });
  return {
    level: LEVEL[h.state] ?? 3,
    name: sensorFrame(h.vehicle, h.sensor),
    message: h.message ?? h.state,
    hardware_id: h.sensor,
    values,
  };
}

/** Bytes per point in the scan blob and in PointCloud2: x, y, z, intensity as float32 LE. */
export const POINT_STEP = 16;

/**
 * Every `stride`-th point of a packed x,y,z,intensity float32 buffer, skipping points without a
 * return (all-zero or non-finite position), so at most `budget` points remain.
 *
 * @remarks
 * A stride over the scan order (columns of beams) thins the cloud evenly in azimuth and
 * elevation, costs one pass and no allocation beyond the output, and is deterministic: the same
 * scan and budget always give the same points.
 */
export function decimatePoints(points: Uint8Array, budget: number): { data: Uint8Array; count: number } {
  const n = Math.floor(points.byteLength / POINT_STEP);
  const limit = Math.max(0, Math.floor(budget));
  // Float32 views need 4-byte alignment and a little-endian host (the blob is LE); else DataView.
  const f = LITTLE_ENDIAN && points.byteOffset % 4 === 0 ? new Float32Array(points.buffer, points.byteOffset, n * 4) : undefined;
  const dv = f ? undefined : new DataView(points.buffer, points.byteOffset, n * POINT_STEP);
  const hit = f
    ? (i: number) => returned(f[i * 4]!, f[i * 4 + 1]!, f[i * 4 + 2]!)
    : (i: number) => returned(dv!.getFloat32(i * POINT_STEP, true), dv!.getFloat32(i * POINT_STEP + 4, true), dv!.getFloat32(i * POINT_STEP + 8, true));
  // Count returns first so the stride spreads the budget over real points only.
  let valid = 0;
  for (let i = 0; i < n; i++) if (hit(i)) valid++;
  // Every point is a return and within the budget: the scan as it is, no copy.
  if (valid === n && n <= limit) return { data: points.subarray(0, n * POINT_STEP), count: n };
  const stride = valid <= limit ? 1 : Math.ceil(valid / Math.max(1, limit));
  const count = limit === 0 ? 0 : Math.ceil(valid / stride);
  const out = new Uint8Array(count * POINT_STEP);
  let k = 0;
  let seen = 0;
  for (let i = 0; i < n && k < count; i++) {
    if (!hit(i)) continue;
    if (seen++ % stride !== 0) continue;
    const off = i * POINT_STEP;
    out.set(points.subarray(off, off + POINT_STEP), k * POINT_STEP);
    k++;
  }
  return { data: k === count ? out : out.subarray(0, k * POINT_STEP), count: k };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function returned(x: number, y: number, z: number): boolean {
  if (!Number.isFinite(x) || !Number.isFinite(y) || !Number.isFinite(z)) return false;
  return x !== 0 || y !== 0 || z !== 0;
}

/** sensor_msgs/PointCloud2 (unorganised: height 1) of packed x,y,z,intensity float32 LE points, ROS 2 spelling. */
export function pointCloud2(scan: Pick<ScanRef, 'vehicle' | 'sensor' | 't_ms'>, data: Uint8Array, count: number) {
  return shared.pointCloud2(scan, data, count, 'ros2');
}

/** ROS message types of the sensor topics. */
export const SENSOR_ROS_TYPES = {
  image: 'sensor_msgs/CompressedImage',
  cameraInfo: 'sensor_msgs/CameraInfo',
  status: 'diagnostic_msgs/DiagnosticStatus',
  points: 'sensor_msgs/PointCloud2',
  capture: 'overwatch_msgs/Capture',
  configure: 'overwatch_msgs/ConfigureSensor',
} as const;
