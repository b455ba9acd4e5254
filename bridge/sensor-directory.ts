/**
 * What the operator services (bridge, REST) need of the twin's sensors and of the blob store,
 * as two small structural interfaces given by injection.
 *
 * @remarks
 * The bridge imports neither storage nor the API (layering): `twin start` passes the store's
 * blob reader. {@link sensorDirectory} adapts the twin's sensor API (`sensors`, `sensorPort`,
 * `capture`, `configure`) and its bus; the bridge and the API build it from the twin when not given
 * one, and tests may give another.
 */
import type { Twin } from '../actors/twin.js';
import type { Result } from '../core/result.js';
import type { CaptureRef, SensorHealth, SensorInfo, SensorKind, SensorSettings } from '../hardware/sensor.port.js';

/** One sensor the twin carries. */
export interface SensorEntry {
  readonly vehicle: string;
  readonly id: string;
  readonly kind: SensorKind;
  /** Profile as the device reports it (undefined before it connected). */
  readonly info?: SensorInfo;
}

/** A sensor's health now, with its machine state. */
export type SensorHealthNow = SensorHealth & { readonly machine_state?: string; readonly model?: string; readonly last_error?: { readonly code: string; readonly message: string } };

/** What a capture request resolves with: at least the image index, the whole reference when known. */
export type CaptureAnswer = { readonly index: number } & Partial<CaptureRef>;

/** The twin's sensors as the operator services see them. */
export interface SensorDirectory {
  /** Every sensor, fixed at startup (the bridge's topic list is built from it). */
  list(): readonly SensorEntry[];
  /** Current health and machine state, when known. */
  health?(vehicle: string, sensor: string): SensorHealthNow | undefined;
  /** Takes one image now; resolves once the camera has it (`SENSOR.*` codes otherwise). */
  capture(vehicle: string, sensor: string, cid?: string): Promise<Result<CaptureAnswer, string>>;
  /** Applies settings; nothing changes when any is refused. */
  configure(vehicle: string, sensor: string, settings: SensorSettings, cid?: string): Promise<Result<void, string>>;
}

/** Reads blobs (images, scans) by key: the store's blob store, filesystem or S3. */
export interface BlobReader {
  get(key: string): Promise<Result<Uint8Array, string>>;
}

/** The twin's sensor API and bus. */
export type TwinSensors = Pick<Twin, 'sensors' | 'sensorPort' | 'capture' | 'configure' | 'bus' | 'clock'>;

/**
 * A {@link SensorDirectory} over the twin's sensors. A capture's full reference (blob key,
 * geotag) is taken from the bus's `/<vehicle>/<sensor>/capture`, where the runtime publishes it
 * before the request resolves; when it is not seen, the answer carries the index only.
 */
export function sensorDirectory(twin: TwinSensors): SensorDirectory {
  const bus = twin.bus;
  const port = (vehicle: string, sensor: string) => {
    try {
      return twin.sensorPort?.(vehicle, sensor);
    } catch {
      return undefined;
    }
  };
  return {
    list: () =>
      twin.sensors().map((s) => {
        const info = port(s.vehicle, s.sensor)?.info();
        return { vehicle: s.vehicle, id: s.sensor, kind: s.kind, ...(info ? { info } : {}) };
      }),
    health: (vehicle, sensor) => {
      const s = twin.sensors(vehicle).find((x) => x.sensor === sensor);
      if (!s) return undefined;
      let fromPort: SensorHealth | undefined;
      try {
        fromPort = port(vehicle, sensor)?.health();
      } catch {
        fromPort = undefined;
      }
      return {
        ...(fromPort ?? {}),
        t_ms: fromPort?.t_ms ?? twin.clock.now(),
        state: s.health,
        count: s.count,
        lost: s.lost,
        machine_state: s.state,
        ...(s.health_message !== undefined ? { message: s.health_message } : {}),
        ...(s.model !== undefined ? { model: s.model } : {}),
        ...(s.last_error ? { last_error: s.last_error } : {}),
      };
    },
    capture: async (vehicle, sensor, cid) => {
      const seen: CaptureRef[] = [];
      const off = bus.subscribe(`/${vehicle}/${sensor}/capture`, (m) => seen.push(m));
      try {
        const r = await twin.capture(vehicle, sensor, cid);
        if (!r.ok) return r;
        const ref = seen.find((c) => c.index === r.value.index);
        return { ok: true, value: ref ?? { index: r.value.index } };
      } finally {
        off();
      }
    },
    configure: (vehicle, sensor, settings, cid) => twin.configure(vehicle, sensor, settings, cid),
  };
}

/** The twin's sensors as a directory, or undefined when it has none (or no sensor API: a replay). */
export function twinSensorDirectory(twin: Partial<TwinSensors>): SensorDirectory | undefined {
  try {
    if (typeof twin.sensors !== 'function' || twin.sensors().length === 0) return undefined;
  } catch {
    return undefined;
  }
  return sensorDirectory(twin as TwinSensors);
}
