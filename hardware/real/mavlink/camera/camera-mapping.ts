/**
 * From MAVLink answers to port values: a command's result as a `SENSOR.*` failure, and the
 * camera's CAMERA_INFORMATION over its profile as {@link SensorInfo}. Pure.
 */
import { fail } from '../../../../core/result.js';
import type { CameraProfile } from '../../../../core/sensors/camera-profiles.js';
import type { SensorErrorCode, SensorInfo, SensorResult } from '../../../sensor.port.js';
import type { VehicleResult } from '../../../vehicle.port.js';
import type { CameraInformation } from './camera-messages.js';

/**
 * The command protocol's result in sensor codes: TEMPORARILY_REJECTED → BUSY, FAILED → FAILED,
 * other refusals → DENIED (FAILED when the camera reports itself failed), UNSUPPORTED →
 * UNSUPPORTED, no link → NO_LINK, disposed → DISPOSED, anything else (no ACK, aborted) → TIMEOUT.
 */
export function sensorResultOf<T>(r: VehicleResult<T>, what: string, cameraFailed: boolean): SensorResult<T> {
  if (r.ok) return r;
  const e = r.error;
  const mav = String(e.context?.['result'] ?? '');
  let code: SensorErrorCode;
  switch (e.code) {
    case 'VEHICLE.NO_LINK': code = 'SENSOR.NO_LINK'; break;
    case 'VEHICLE.DISPOSED': code = 'SENSOR.DISPOSED'; break;
    case 'VEHICLE.UNSUPPORTED': code = 'SENSOR.UNSUPPORTED'; break;
    case 'VEHICLE.COMMAND_DENIED':
      code = mav === 'TEMPORARILY_REJECTED' ? 'SENSOR.BUSY' : mav === 'FAILED' || cameraFailed ? 'SENSOR.FAILED' : 'SENSOR.DENIED';
      break;
    default: code = 'SENSOR.TIMEOUT';
  }
  return fail(code, `${what}: ${e.message}`, { cause: e, context: { ...e.context } });
}

/**
 * What the port says the camera is: the profile's figures, overridden by the camera's own
 * (sensor size, resolution, focal length) where it reports usable ones; `focalMm` is a lens
 * chosen with `configure`. Firmware as MAVLink packs it (major | minor << 8 | patch << 16).
 */
export function sensorInfoOf(ids: { id: string; vehicle: string }, profile: CameraProfile, ci: CameraInformation | undefined, focalMm?: number): SensorInfo {
  const pos = (v: number | undefined, d: number) => (v !== undefined && Number.isFinite(v) && v > 0 ? v : d);
  const fw = ci?.firmwareVersion;
  return {
    id: ids.id, vehicle: ids.vehicle, kind: 'camera', model: profile.name, vendor: ci?.vendorName || profile.vendor,
    ...(fw ? { firmware: `${fw & 0xff}.${(fw >>> 8) & 0xff}.${(fw >>> 16) & 0xff}` } : {}),
    camera: {
      resolution_px: { width: pos(ci?.resolutionH, profile.resolution_px.width), height: pos(ci?.resolutionV, profile.resolution_px.height) },
      sensor_mm: { width: pos(ci?.sensorSizeH, profile.sensor_mm.width), height: pos(ci?.sensorSizeV, profile.sensor_mm.height) },
      focal_length_mm: focalMm ?? pos(ci?.focalLength, profile.focal_lengths_mm[0]!),
      min_interval_s: profile.min_interval_s,
      media_type: profile.media_type,
    },
  };
}
