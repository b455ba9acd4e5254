/**
 * Shared test fixtures for the Ouster tests: a memory blob sink, a fixed pose source, worlds.
 */
import { createHash } from 'node:crypto';
import type { GeoPoint } from '../../core/geo.js';
import type { Result } from '../../core/result.js';
import type { BlobSink, SensorPose, VehiclePoseSource } from '../../hardware/sensor.port.js';

export const ORIGIN: GeoPoint = { lat_deg: 47.397742, lon_deg: 8.545594, alt_m: 488 };

export class MemoryBlobSink implements BlobSink {
  readonly blobs = new Map<string, { data: Uint8Array; mediaType: string }>();
  failing = false;
  async put(key: string, data: Uint8Array, mediaType: string): Promise<Result<{ key: string; bytes: number; sha256: string }, string>> {
    if (this.failing) return { ok: false, error: { code: 'BLOB.FULL', message: 'store full' } };
    const copy = new Uint8Array(data);
    this.blobs.set(key, { data: copy, mediaType });
    return { ok: true, value: { key, bytes: copy.byteLength, sha256: createHash('sha256').update(copy).digest('hex') } };
  }
  points(key: string): Float32Array {
    const b = this.blobs.get(key)!.data;
    return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  }
}

/** A vehicle hovering at `alt_m` above the origin (north, east offsets in metres are applied as degrees 0). */
export function hoverPose(alt_m: number, attitude_deg = { roll: 0, pitch: 0, yaw: 0 }, t_ms = 0): VehiclePoseSource & { set(p: Partial<SensorPose>): void } {
  let pose: SensorPose = { position: { ...ORIGIN, alt_m: ORIGIN.alt_m + alt_m }, attitude_deg };
  return {
    pose: () => ({ ...pose, t_ms }),
    set(p) { pose = { ...pose, ...p }; },
  };
}
