/**
 * The sensor part of the bridge: per-camera and per-LiDAR ROS topics and services, in each
 * vehicle's namespace.
 *
 * @remarks
 * Naming follows the vehicle topics (`/<vehicle>/pose`): a sensor's namespace is
 * `/<vehicle>/<sensor>`, so camera `cam` on `drone1` publishes
 * `/drone1/cam/image_raw/compressed`, `/drone1/cam/camera_info`, `/drone1/cam/status` and offers
 * `/drone1/cam/capture`, `/drone1/cam/configure`; LiDAR `ouster` publishes `/drone1/ouster/points`
 * and `/drone1/ouster/status`.
 *
 * Heavy data stays off the bus: the bus carries {@link CaptureRef} / {@link ScanRef}; the bytes
 * are read from the blob store only while someone subscribes, once per capture or scan whatever
 * the number of clients. Point clouds are decimated per client budget (`point_budget` in
 * `subscribe`, rounded down to a power of two so clients share encodings; default
 * {@link DEFAULT_POINT_BUDGET}), and each client's `throttle_rate` / `queue_length` apply as on any
 * topic — a decimation is built only for a message that is actually sent.
 */
import type { SensorHealthMsg } from '../actors/bus.js';
import type { Unsubscribe } from '../actors/bus.js';
import type { CaptureRef, ScanRef, SensorSettings } from '../hardware/sensor.port.js';
import { z } from 'zod';
import { OutgoingMessage, VariantMessage } from './encoding.js';
import type { BlobReader, SensorDirectory, SensorEntry } from './sensor-directory.js';
import { cameraInfo, compressedImage, decimatePoints, pointCloud2, SENSOR_ROS_TYPES, sensorStatus } from './sensor-messages.js';
import type { ServiceDef, ServiceOutcome } from './services.js';
import type { TopicDef } from './topic-catalog.js';

/** Points per message for a client that gave no `point_budget`: what a browser draws smoothly at 10 Hz. */
export const DEFAULT_POINT_BUDGET = 16_384;

/** Largest power of two ≤ `budget` (≥ 1): budgets that round alike share one decimation. */
export const budgetLevel = (budget: number): number => 2 ** Math.floor(Math.log2(Math.max(1, budget)));

interface BusLike {
  subscribe(topic: string, fn: (msg: unknown) => void): Unsubscribe;
}

/** The latest capture and health of every sensor (latched values for new subscribers). */
export class SensorLatest {
  private readonly captures = new Map<string, CaptureRef>();
  private readonly health = new Map<string, SensorHealthMsg>();
  private unsubs: Unsubscribe[] = [];

  constructor(private readonly sensors: readonly SensorEntry[]) {}

  attach(bus: BusLike): void {
    if (this.unsubs.length) return;
    for (const s of this.sensors) {
      const ns = `/${s.vehicle}/${s.id}`;
      if (s.kind === 'camera') this.unsubs.push(bus.subscribe(`${ns}/capture`, (m) => this.captures.set(ns, m as CaptureRef)));
      this.unsubs.push(bus.subscribe(`${ns}/health`, (m) => this.health.set(ns, m as SensorHealthMsg)));
    }
  }

  detach(): void {
    for (const u of this.unsubs) u();
    this.unsubs = [];
  }

  capture(vehicle: string, sensor: string): CaptureRef | undefined {
    return this.captures.get(`/${vehicle}/${sensor}`);
  }

  healthOf(vehicle: string, sensor: string): SensorHealthMsg | undefined {
    return this.health.get(`/${vehicle}/${sensor}`);
  }
}

export interface SensorTopicDeps {
  readonly directory: SensorDirectory;
  readonly blobs?: BlobReader;
  readonly latest: SensorLatest;
  /** The sensor's health from the directory, when no health message has come yet. */
  readonly now: () => number;
}

/** The ROS topics of every sensor in the directory. */
export function sensorTopics(deps: SensorTopicDeps): TopicDef[] {
  const { directory, blobs, latest } = deps;
  const defs: TopicDef[] = [];
  const infoOf = (vehicle: string, id: string) => directory.list().find((e) => e.vehicle === vehicle && e.id === id)?.info;

  const readBlob = async (key: string | undefined): Promise<Uint8Array | undefined> => {
    if (!key || !blobs) return undefined;
    const r = await blobs.get(key);
    return r.ok ? r.value : undefined;
  };

  for (const s of directory.list()) {
    const { vehicle, id } = s;
    const ns = `/${vehicle}/${id}`;
    const statusTopic = `${ns}/status`;
    defs.push({
      name: statusTopic,
      type: SENSOR_ROS_TYPES.status,
      busTopic: `${ns}/health`,
      toRos: sensorStatus as TopicDef['toRos'],
      current: () => {
        const h = latest.healthOf(vehicle, id) ?? fromDirectory(directory, s, deps.now);
        return h ? [sensorStatus(h)] : [];
      },
    });
    if (s.kind === 'camera') {
      const imageTopic = `${ns}/image_raw/compressed`;
      const imageMessage = async (ref: CaptureRef): Promise<OutgoingMessage | undefined> => {
        const bytes = await readBlob(ref.blob_key);
        if (!bytes) return undefined;
        return new OutgoingMessage({ op: 'publish', topic: imageTopic, msg: compressedImage(ref, plain(bytes)) }, true);
      };
      defs.push({
        name: imageTopic,
        type: SENSOR_ROS_TYPES.image,
        busTopic: `${ns}/capture`,
        toRos: ((m: CaptureRef) => m) as TopicDef['toRos'],
        load: imageMessage as TopicDef['load'],
        currentLater: async () => {
          const ref = latest.capture(vehicle, id);
          const m = ref ? await imageMessage(ref) : undefined;
          return m ? [m] : [];
        },
      });
      defs.push({
        name: `${ns}/camera_info`,
        type: SENSOR_ROS_TYPES.cameraInfo,
        busTopic: `${ns}/capture`,
        toRos: ((ref: CaptureRef) => cameraInfo(vehicle, id, infoOf(vehicle, id), ref.t_ms)) as TopicDef['toRos'],
        current: () => (infoOf(vehicle, id) ? [cameraInfo(vehicle, id, infoOf(vehicle, id), latest.capture(vehicle, id)?.t_ms ?? deps.now())] : []),
      });
    } else {
      const pointsTopic = `${ns}/points`;
      defs.push({
        name: pointsTopic,
        type: SENSOR_ROS_TYPES.points,
        busTopic: `${ns}/scan`,
        toRos: ((m: ScanRef) => m) as TopicDef['toRos'],
        load: (async (scan: ScanRef) => {
          const bytes = await readBlob(scan.blob_key);
          if (!bytes) return undefined;
          return new VariantMessage(
            pointsTopic,
            (budget) => {
              const d = decimatePoints(bytes, budget);
              return new OutgoingMessage({ op: 'publish', topic: pointsTopic, msg: pointCloud2(scan, d.data, d.count) }, true);
            },
            budgetLevel,
            DEFAULT_POINT_BUDGET,
          );
        }) as TopicDef['load'],
      });
    }
  }
  return defs;
}

function fromDirectory(directory: SensorDirectory, s: SensorEntry, now: () => number): SensorHealthMsg | undefined {
  const h = directory.health?.(s.vehicle, s.id);
  if (!h) return undefined;
  return { ...h, t_ms: h.t_ms ?? now(), vehicle: s.vehicle, sensor: s.id, kind: s.kind, machine_state: h.machine_state ?? h.state };
}

/** A Uint8Array view that is not a Buffer (Buffer's toJSON would bypass the base64 replacer). */
function plain(bytes: Uint8Array): Uint8Array {
  return Buffer.isBuffer(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes;
}

const Setting = z.union([z.number().finite(), z.string().max(256), z.boolean()]);
const Settings = z.record(z.string().min(1).max(64), Setting).refine((o) => Object.keys(o).length <= 64, { message: 'at most 64 settings' });
const ConfigureArgs = z.object({ settings: z.union([Settings, z.string().max(16_384)]) });

const trigger = (success: boolean, message: string, extra: Record<string, unknown> = {}): ServiceOutcome => ({ ok: true, values: { success, message, ...extra } });
const failed = (code: string, message: string): ServiceOutcome => ({ ok: false, code, message });

/** Waits for `p` at most `ms` (wall); undefined on timeout. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** `/<vehicle>/<camera>/capture` and `/<vehicle>/<camera>/configure` for every camera (operators). */
export function sensorServices(directory: SensorDirectory): ServiceDef[] {
  const out: ServiceDef[] = [];
  for (const s of directory.list()) {
    if (s.kind !== 'camera') continue;
    const { vehicle, id } = s;
    const ns = `/${vehicle}/${id}`;
    out.push({
      name: `${ns}/capture`,
      type: SENSOR_ROS_TYPES.capture,
      minRole: 'operator',
      call: async ({ cid, timeout_ms }) => {
        const r = await within(directory.capture(vehicle, id, cid), timeout_ms);
        if (r === undefined) return trigger(false, `capture: no answer within ${timeout_ms} ms (the image may still be taken)`);
        if (!r.ok) return trigger(false, `${r.error.code}: ${r.error.message}`);
        const c = r.value;
        return trigger(true, `image ${c.index} from ${vehicle}/${id}`, {
          index: c.index,
          t_ms: c.t_ms ?? null,
          blob_key: c.blob_key ?? '',
          latitude: c.pose?.position.lat_deg ?? null,
          longitude: c.pose?.position.lon_deg ?? null,
          altitude: c.pose?.position.alt_m ?? null,
        });
      },
    });
    out.push({
      name: `${ns}/configure`,
      type: SENSOR_ROS_TYPES.configure,
      minRole: 'operator',
      call: async ({ args, cid, timeout_ms }) => {
        const a = ConfigureArgs.safeParse(args);
        if (!a.success) return failed('BRIDGE.SERVICE_ARGS', `configure: ${a.error.issues[0]?.path.join('.') || 'settings'}: ${a.error.issues[0]?.message}`);
        let settings: SensorSettings;
        if (typeof a.data.settings === 'string') {
          let parsed: unknown;
          try {
            parsed = JSON.parse(a.data.settings);
          } catch (error) {
            return failed('BRIDGE.SERVICE_ARGS', `configure: settings is not JSON: ${(error as Error).message}`);
          }
          const p = Settings.safeParse(parsed);
          if (!p.success) return failed('BRIDGE.SERVICE_ARGS', `configure: settings.${p.error.issues[0]?.path.join('.')}: ${p.error.issues[0]?.message}`);
          settings = p.data;
        } else settings = a.data.settings;
        const r = await within(directory.configure(vehicle, id, settings, cid), timeout_ms);
        if (r === undefined) return trigger(false, `configure: no answer within ${timeout_ms} ms`);
        return r.ok ? trigger(true, `${vehicle}/${id} configured`) : trigger(false, `${r.error.code}: ${r.error.message}`);
      },
    });
  }
  return out;
}
