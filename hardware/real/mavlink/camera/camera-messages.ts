/**
 * The camera protocol's inbound messages, validated (zod) and mapped to domain values: decoded
 * MAVLink never leaves the adapter (STYLE §8).
 *
 * @remarks
 * Units on the wire (https://mavlink.io/en/messages/common.html): CAMERA_IMAGE_CAPTURED lat/lon
 * degE7, alt / relative_alt mm, q = camera attitude quaternion (w, x, y, z), image_index from 0,
 * capture_result 1 success / 0 failure / -1 unknown; CAMERA_INFORMATION sensor size mm, focal
 * length mm; STORAGE_INFORMATION / CAMERA_CAPTURE_STATUS capacities MiB.
 * A message failing validation is refused whole with the reason (the adapter counts it).
 */
import { z } from 'zod';
import type { SensorPose } from '../../../sensor.port.js';

export const CAMERA_MSG = {
  HEARTBEAT: 0, COMMAND_ACK: 77, CAMERA_INFORMATION: 259, CAMERA_SETTINGS: 260, STORAGE_INFORMATION: 261,
  CAMERA_CAPTURE_STATUS: 262, CAMERA_IMAGE_CAPTURED: 263,
} as const;

export const CAMERA_CMD = {
  DO_SET_CAM_TRIGG_DIST: 206, REQUEST_MESSAGE: 512, REQUEST_CAMERA_INFORMATION: 521, SET_CAMERA_MODE: 530,
  IMAGE_START_CAPTURE: 2000, IMAGE_STOP_CAPTURE: 2001,
} as const;

/** MAV_TYPE_CAMERA. */
export const MAV_TYPE_CAMERA = 30;
/** MAV_COMP_ID_CAMERA … MAV_COMP_ID_CAMERA6. */
export const CAMERA_COMPIDS = [100, 101, 102, 103, 104, 105] as const;
/** MAV_STATE values from which a component is not working: CRITICAL, EMERGENCY, POWEROFF, FLIGHT_TERMINATION. */
export const FAILED_STATES: ReadonlySet<number> = new Set([5, 6, 7, 8]);

const int = (min: number, max: number) => z.number().int().min(min).max(max);
/** NaN allowed where MAVLink says "NaN if unknown". */
const floatOrNaN = z.number().refine((v) => Number.isFinite(v) || Number.isNaN(v), 'infinite');

export const ImageCapturedSchema = z.object({
  timeBootMs: int(0, 0xffffffff),
  lat: int(-900_000_000, 900_000_000),
  lon: int(-1_800_000_000, 1_800_000_000),
  /** mm AMSL: -1 km … 50 km. */
  alt: int(-1_000_000, 50_000_000),
  relativeAlt: int(-50_000_000, 50_000_000),
  q: z.array(floatOrNaN).length(4),
  imageIndex: int(0, 0x7fffffff),
  captureResult: int(-1, 1),
  fileUrl: z.string().max(205),
});
export type ImageCaptured = z.infer<typeof ImageCapturedSchema>;

export const CameraInformationSchema = z.object({
  vendorName: z.string().max(32),
  modelName: z.string().max(32),
  firmwareVersion: int(0, 0xffffffff),
  focalLength: floatOrNaN,
  sensorSizeH: floatOrNaN,
  sensorSizeV: floatOrNaN,
  resolutionH: int(0, 0xffff),
  resolutionV: int(0, 0xffff),
  flags: int(0, 0xffffffff),
});
export type CameraInformation = z.infer<typeof CameraInformationSchema>;

export const CaptureStatusSchema = z.object({
  imageStatus: int(0, 3),
  imageInterval: floatOrNaN,
  availableCapacity: floatOrNaN,
  imageCount: int(-1, 0x7fffffff),
});
export type CaptureStatus = z.infer<typeof CaptureStatusSchema>;

export const StorageInformationSchema = z.object({
  storageId: int(0, 255),
  storageCount: int(0, 255),
  status: int(0, 255),
  availableCapacity: floatOrNaN,
  totalCapacity: floatOrNaN,
});
export type StorageInformation = z.infer<typeof StorageInformationSchema>;

/** Reads the named fields off a decoded message (node-mavlink classes carry bigint for uint64). */
export function fieldsOf(m: unknown, names: readonly string[]): Record<string, unknown> {
  const src = m as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const n of names) {
    const v = src[n];
    out[n] = n === 'vendorName' || n === 'modelName' ? bytesToString(v) : v;
  }
  return out;
}

/** MAVLink uint8_t[32] name fields → string (up to the first NUL). */
function bytesToString(v: unknown): unknown {
  if (typeof v === 'string') return v.replace(/\0.*$/s, '');
  if (!Array.isArray(v)) return v;
  const bytes = v.filter((b): b is number => typeof b === 'number');
  const end = bytes.indexOf(0);
  return Buffer.from(end < 0 ? bytes : bytes.slice(0, end)).toString('utf8');
}

/** Validates one message: the value or the reason it was refused. */
export function validate<T>(schema: z.ZodType<T>, m: unknown, names: readonly string[]): { ok: true; value: T } | { ok: false; reason: string } {
  const r = schema.safeParse(fieldsOf(m, names));
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, reason: r.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
}

export const IMAGE_FIELDS = Object.keys(ImageCapturedSchema.shape);
export const INFO_FIELDS = Object.keys(CameraInformationSchema.shape);
export const STATUS_FIELDS = Object.keys(CaptureStatusSchema.shape);
export const STORAGE_FIELDS = Object.keys(StorageInformationSchema.shape);

/** Quaternion (w, x, y, z) → roll, pitch, yaw in degrees (yaw 0–360 from north, clockwise). Zeros when unknown. */
export function quaternionToAttitude(q: readonly number[]): SensorPose['attitude_deg'] {
  const [w, x, y, zz] = q as [number, number, number, number];
  const n = Math.hypot(w, x, y, zz);
  if (!Number.isFinite(n) || n < 1e-6) return { roll: 0, pitch: 0, yaw: 0 };
  const [a, b, c, d] = [w / n, x / n, y / n, zz / n];
  const DEG = 180 / Math.PI;
  const roll = Math.atan2(2 * (a * b + c * d), 1 - 2 * (b * b + c * c)) * DEG;
  const pitch = Math.asin(Math.max(-1, Math.min(1, 2 * (a * c - d * b)))) * DEG;
  let yaw = Math.atan2(2 * (a * d + b * c), 1 - 2 * (c * c + d * d)) * DEG;
  if (yaw < 0) yaw += 360;
  return { roll, pitch, yaw: yaw >= 360 ? 0 : yaw };
}

/** The geotag of an image: WGS84 from degE7 / mm, attitude from the quaternion. */
export function geotagOf(img: ImageCaptured): SensorPose {
  return {
    position: { lat_deg: img.lat / 1e7, lon_deg: img.lon / 1e7, alt_m: img.alt / 1000 },
    attitude_deg: quaternionToAttitude(img.q),
  };
}
