/**
 * Sensors for bridge and API tests: a real SQLite store with its blob store in a temp dir, and a
 * sensor directory whose camera writes real bytes to that blob store and publishes real
 * CaptureRef / ScanRef / health messages on the twin's bus, as the sensor runtime does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Twin } from '../../actors/twin.js';
import type { SensorHealthMsg } from '../../actors/bus.js';
import { fail, ok } from '../../core/result.js';
import type { CaptureRef, ScanRef, SensorInfo, SensorResult, SensorSettings } from '../../hardware/sensor.port.js';
import type { BlobReader, SensorDirectory, SensorEntry } from '../../bridge/index.js';
import { openStore, type Store } from '../../storage/store.js';

export const CAMERA_INFO: SensorInfo = {
  id: 'cam',
  vehicle: 'drone1',
  kind: 'camera',
  model: 'phase-one-ixm-100',
  vendor: 'Phase One',
  camera: {
    resolution_px: { width: 11664, height: 8750 },
    sensor_mm: { width: 43.9, height: 32.9 },
    focal_length_mm: 35,
    min_interval_s: 0.6,
    media_type: 'image/jpeg',
  },
};

export const LIDAR_INFO: SensorInfo = {
  id: 'ouster',
  vehicle: 'drone1',
  kind: 'lidar',
  model: 'os1-64',
  vendor: 'Ouster',
  lidar: { beams: 64, columns_per_frame: 1024, frame_rate_hz: 10, range_m: { min: 0.3, max: 120 }, profile: 'RNG19_RFL8_SIG16_NIR16' },
};

/** A small JPEG-looking payload (SOI … EOI) that differs per index. */
export function jpegBytes(index: number, size = 2048): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + index * 7) & 0xff;
  b[0] = 0xff;
  b[1] = 0xd8;
  b[size - 2] = 0xff;
  b[size - 1] = 0xd9;
  return b;
}

/** A packed x,y,z,intensity float32 scan of `beams × columns` points; every `holeEvery`-th has no return. */
export function scanBytes(beams: number, columns: number, holeEvery = 0): Uint8Array {
  const n = beams * columns;
  const f = new Float32Array(n * 4);
  for (let c = 0; c < columns; c++)
    for (let b = 0; b < beams; b++) {
      const i = c * beams + b;
      if (holeEvery > 0 && i % holeEvery === 0) continue;
      const az = (2 * Math.PI * c) / columns;
      const el = ((b - beams / 2) * Math.PI) / 180;
      const r = 10 + (b % 7);
      f[i * 4] = r * Math.cos(el) * Math.cos(az);
      f[i * 4 + 1] = r * Math.cos(el) * Math.sin(az);
      f[i * 4 + 2] = r * Math.sin(el);
      f[i * 4 + 3] = b;
    }
  return new Uint8Array(f.buffer);
}

export interface SensorRig {
  readonly store: Store;
  readonly directory: SensorDirectory;
  readonly blobs: BlobReader;
  readonly configured: SensorSettings[];
  /** The next capture requests fail with this code (or hang, `'hang'`), then captures work again. */
  failNext(code: string | 'hang', times?: number): void;
  /** Stores one image and publishes its reference, as a camera's capture does. */
  capture(vehicle?: string, sensor?: string): Promise<CaptureRef>;
  /** Stores one scan and publishes its reference. */
  scan(bytes: Uint8Array, frame_id?: number): Promise<ScanRef>;
  health(h: Partial<SensorHealthMsg> & { sensor: string }): SensorHealthMsg;
  close(): void;
}

/**
 * `shared`: use this store (the caller closes it) instead of a fresh one in a temp dir; `image`:
 * the bytes of image `index` (default {@link jpegBytes}).
 */
export function sensorRig(twin: Twin, vehicle = 'drone1', shared?: Store, image: (index: number) => Uint8Array = jpegBytes): SensorRig {
  const dir = shared ? undefined : mkdtempSync(join(tmpdir(), 'twin-sensors-'));
  const store = shared ?? openStore({ dir: dir! });
  let failing: { code: string; times: number } | undefined;
  let index = 0;
  let frame = 0;
  const configured: SensorSettings[] = [];
  const entries: SensorEntry[] = [
    { vehicle, id: 'cam', kind: 'camera', info: { ...CAMERA_INFO, vehicle } },
    { vehicle, id: 'ouster', kind: 'lidar', info: { ...LIDAR_INFO, vehicle } },
  ];
  const pose = () => {
    const t = twin.latest(vehicle).telemetry;
    return {
      position: t?.position ?? { lat_deg: 47.397742, lon_deg: 8.545594, alt_m: 488 },
      attitude_deg: { roll: 0, pitch: -90, yaw: t?.heading_deg ?? 0 },
    };
  };
  const capture = async (v = vehicle, sensor = 'cam'): Promise<CaptureRef> => {
    const i = index++;
    const key = `captures/test/${v}/${sensor}/${String(i).padStart(6, '0')}.jpg`;
    const put = await store.blobs.put(key, image(i), 'image/jpeg');
    if (!put.ok) throw new Error(put.error.message);
    const ref: CaptureRef = { vehicle: v, sensor, index: i, t_ms: twin.clock.now(), pose: pose(), blob_key: key, bytes: put.value.bytes, sha256: put.value.sha256, media_type: 'image/jpeg' };
    twin.bus.publish(`/${v}/${sensor}/capture`, ref);
    return ref;
  };
  const directory: SensorDirectory = {
    list: () => entries,
    health: (v, s) => ({ t_ms: twin.clock.now(), state: 'ok', count: index, lost: 0, machine_state: s === 'cam' && v === vehicle ? 'ready' : 'streaming' }),
    capture: async (v, s): Promise<SensorResult<CaptureRef>> => {
      if (s !== 'cam') return fail('SENSOR.UNSUPPORTED', `${s} is not a camera`);
      if (failing && failing.times > 0) {
        const code = failing.code;
        if (--failing.times === 0) failing = undefined;
        if (code === 'hang') return new Promise<never>(() => {});
        return fail(code as 'SENSOR.BUSY', `${code} (injected by the test)`);
      }
      return ok(await capture(v, s));
    },
    configure: async (_v, _s, settings): Promise<SensorResult> => {
      if ('iso' in settings && typeof settings.iso === 'number' && settings.iso > 6400) return fail('SENSOR.INVALID', `iso ${settings.iso} above the profile's 6400`);
      configured.push(settings);
      return ok(undefined);
    },
  };
  return {
    store,
    directory,
    blobs: { get: (key) => store.blobs.get(key) },
    configured,
    failNext(code, times = 1) {
      failing = { code, times };
    },
    capture,
    async scan(bytes, frame_id = frame++) {
      const key = `scans/test/${vehicle}/ouster/${String(frame_id).padStart(6, '0')}.bin`;
      const put = await store.blobs.put(key, bytes, 'application/octet-stream');
      if (!put.ok) throw new Error(put.error.message);
      const ref: ScanRef = { vehicle, sensor: 'ouster', frame_id, t_ms: twin.clock.now(), points: bytes.byteLength / 16, missing_columns: 0, blob_key: key, bytes: bytes.byteLength };
      twin.bus.publish(`/${vehicle}/ouster/scan`, ref);
      return ref;
    },
    health(h) {
      const msg: SensorHealthMsg = { vehicle, kind: h.sensor === 'ouster' ? 'lidar' : 'camera', t_ms: twin.clock.now(), state: 'ok', count: 0, lost: 0, machine_state: 'ready', ...h };
      twin.bus.publish(`/${vehicle}/${h.sensor}/health`, msg);
      return msg;
    },
    close() {
      if (shared) return;
      store.close();
      rmSync(dir!, { recursive: true, force: true });
    },
  };
}
