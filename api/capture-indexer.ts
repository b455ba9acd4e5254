/**
 * Indexes every capture the twin's cameras publish (`/<vehicle>/<sensor>/capture`) into the
 * store's `captures` table, with the vehicle's current mission, so `GET /captures` lists what the
 * operator has seen on the bridge.
 *
 * @remarks
 * The bus carries the reference only after the camera's blob is durable (sensor port contract),
 * so the row always follows its bytes; a row the store refuses (a blob it does not hold, a
 * duplicate index in the session) is logged and counted, never thrown into the bus.
 */
import type { Bus } from '../actors/bus.js';
import type { Twin } from '../actors/twin.js';
import type { Logger } from '../core/logger.js';
import type { CaptureRef } from '../hardware/sensor.port.js';
import type { SensorEntry } from '../bridge/sensor-directory.js';
import type { Store } from '../storage/store.js';

export interface CaptureIndexer {
  /** The stored row of a capture indexed by this indexer, by its reference's identity. */
  idOf(vehicle: string, sensor: string, index: number): number | undefined;
  /**
   * The row id once the capture is indexed (its blob may land after its reference), or undefined
   * when it was refused or not indexed within `timeout_ms` (wall).
   */
  whenIndexed(vehicle: string, sensor: string, index: number, timeout_ms: number): Promise<number | undefined>;
  /** Rows inserted, and references the store refused. */
  readonly stats: { indexed: number; refused: number };
  stop(): void;
}

/** Recent captures remembered for `idOf` (per indexer). */
const REMEMBER = 4096;

export function indexCaptures(
  store: Store,
  bus: Bus,
  twin: Pick<Twin, 'mission'>,
  sensors: readonly Pick<SensorEntry, 'vehicle' | 'id' | 'kind'>[],
  options: { readonly run?: string; readonly logger?: Logger; readonly onIndexed?: (ref: CaptureRef, id: number) => void } = {},
): CaptureIndexer {
  const ids = new Map<string, number>();
  /** Indexing in flight, by key: resolves with the row id or undefined. */
  const pending = new Map<string, Promise<number | undefined>>();
  const stats = { indexed: 0, refused: 0 };
  const key = (v: string, s: string, i: number) => `${v}/${s}#${i}`;
  const missionOf = (vehicle: string): string | undefined => {
    try {
      return twin.mission(vehicle).context().mission?.id ?? undefined;
    } catch {
      return undefined;
    }
  };
  const unsubs = sensors
    .filter((s) => s.kind === 'camera')
    .map((s) =>
      bus.subscribe(`/${s.vehicle}/${s.id}/capture`, (ref: CaptureRef) => {
        if (ref.blob_key === undefined && ref.file_url === undefined) return;
        const mission = missionOf(ref.vehicle);
        // A camera may announce before its bytes land (the sim camera, at trigger time): record() waits for the blob.
        const k = key(ref.vehicle, ref.sensor, ref.index);
        const done = store.captures.record(ref, { ...(options.run !== undefined ? { run: options.run } : {}), ...(mission !== undefined ? { mission } : {}) }).then((r) => {
          pending.delete(k);
          if (!r.ok) {
            stats.refused++;
            options.logger?.warn({ code: r.error.code, vehicle: ref.vehicle, sensor: ref.sensor, index: ref.index }, `capture not indexed: ${r.error.message}`);
            return undefined;
          }
          stats.indexed++;
          ids.set(k, r.value.id);
          if (ids.size > REMEMBER) ids.delete(ids.keys().next().value!);
          options.onIndexed?.(ref, r.value.id);
          return r.value.id;
        });
        pending.set(k, done);
      }),
    );
  return {
    idOf: (v, s, i) => ids.get(key(v, s, i)),
    async whenIndexed(v, s, i, timeout_ms) {
      const k = key(v, s, i);
      const now = ids.get(k);
      if (now !== undefined) return now;
      const p = pending.get(k);
      if (!p) return undefined;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const expired = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), timeout_ms);
      });
      return Promise.race([p, expired]).finally(() => clearTimeout(timer));
    },
    stats,
    stop() {
      for (const u of unsubs) u();
      unsubs.length = 0;
    },
  };
}
