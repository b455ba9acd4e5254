/**
 * What the operator services (bridge, REST) need of the twin's sensors and of the blob store,
 * as two small structural interfaces given by injection.
 *
 * @remarks
 * The bridge imports neither storage nor the API (layering): `twin start` passes the store's
 * blob reader and the twin's sensors. The shapes are those of `hardware/sensor.port.ts`, so a
 * directory over the twin is a few lines.
 */
import type { Result } from '../core/result.js';
import type { CaptureRef, SensorHealth, SensorInfo, SensorKind, SensorResult, SensorSettings } from '../hardware/sensor.port.js';

/** One sensor the twin carries. */
export interface SensorEntry {
  readonly vehicle: string;
  readonly id: string;
  readonly kind: SensorKind;
  /** Profile as the device reports it (undefined before it connected). */
  readonly info?: SensorInfo;
}

/** The twin's sensors as the operator services see them. */
export interface SensorDirectory {
  /** Every sensor, fixed at startup (the bridge's topic list is built from it). */
  list(): readonly SensorEntry[];
  /** Current health and machine state, when known. */
  health?(vehicle: string, sensor: string): (SensorHealth & { readonly machine_state?: string }) | undefined;
  /** Takes one image now; resolves with its reference once stored. */
  capture(vehicle: string, sensor: string, cid?: string): Promise<SensorResult<CaptureRef>>;
  /** Applies settings; nothing changes when any is refused. */
  configure(vehicle: string, sensor: string, settings: SensorSettings, cid?: string): Promise<SensorResult>;
}

/** Reads blobs (images, scans) by key: the store's blob store, filesystem or S3. */
export interface BlobReader {
  get(key: string): Promise<Result<Uint8Array, string>>;
}
