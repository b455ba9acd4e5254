/**
 * Shared set-up for the simulated camera's tests and its contract run: a virtual clock, a
 * vehicle flying a straight line (the pose source), an autopilot trigger the test fires, a real
 * SQLite + filesystem blob store in a temporary directory, and the camera on top.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../../core/clock.js';
import { LocalFrame } from '../../core/geo.js';
import type { BlobSink, CameraPort, CameraTriggerSource, SensorPose, VehiclePoseSource } from '../../hardware/sensor.port.js';
import { createSimCameraPort, type SimCameraOptions } from '../../hardware/sim/sensors/sim-camera.adapter.js';
import { SensorWorldSchema, type SensorWorldSpec } from '../../hardware/sim/world/world-spec.js';
import { createBlobSink, openStore, type BlobConfig, type Store } from '../../storage/index.js';

export const ORIGIN = { lat_deg: 47.397742, lon_deg: 8.545594, alt_m: 488 };
export const FRAME = new LocalFrame(ORIGIN);

/** A vehicle at `alt_m` flying north at `speed_mps` from (n0, e0), level, nose north. */
export function straightFlight(clock: VirtualClock, o: { n0?: number; e0?: number; alt_m?: number; speed_mps?: number; yaw_deg?: number } = {}): VehiclePoseSource & { truth(): SensorPose } {
  const truth = (): SensorPose => {
    const n = (o.n0 ?? 0) + ((o.speed_mps ?? 5) * clock.now()) / 1000;
    return { position: { ...FRAME.toLatLon(n, o.e0 ?? 0), alt_m: ORIGIN.alt_m + (o.alt_m ?? 60) }, attitude_deg: { roll: 0, pitch: 0, yaw: o.yaw_deg ?? 0 } };
  };
  return { truth, pose: () => ({ ...truth(), t_ms: clock.now() }) };
}

/** An autopilot trigger the test fires by hand. */
export function manualTrigger(clock: VirtualClock): CameraTriggerSource & { fire(): void } {
  const fns = new Set<(t: { seq: number; t_ms: number }) => void>();
  let seq = 0;
  return {
    subscribe(fn) {
      fns.add(fn);
      return () => fns.delete(fn);
    },
    fire() {
      const t = { seq: seq++, t_ms: clock.now() };
      for (const fn of fns) fn(t);
    },
  };
}

export interface CameraRig {
  readonly clock: VirtualClock;
  readonly store: Store;
  readonly sink: BlobSink;
  readonly flight: ReturnType<typeof straightFlight>;
  readonly trigger: ReturnType<typeof manualTrigger>;
  readonly camera: CameraPort;
  /** Lets real time pass for pending encodes and writes while sim time stays put. */
  flush(pred: () => boolean, wallMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

export const TEST_WORLD: SensorWorldSpec = SensorWorldSchema.parse({
  obstacles: [{ kind: 'building', north: 40, east: 15, size_m: { x: 20, y: 12, z: 15 } }],
});

export async function cameraRig(
  o: Partial<Omit<SimCameraOptions, 'clock' | 'pose' | 'blobs' | 'trigger'>> & { blobs?: BlobConfig; sink?: (s: BlobSink) => BlobSink; speed_mps?: number } = {},
): Promise<CameraRig> {
  const clock = new VirtualClock();
  const dir = mkdtempSync(join(tmpdir(), 'twin-simcam-'));
  const store = openStore({ dir, blobs: o.blobs ?? { driver: 'fs' } });
  const base = createBlobSink(store.blobs);
  const sink = o.sink ? o.sink(base) : base;
  const flight = straightFlight(clock, { speed_mps: o.speed_mps });
  const trigger = manualTrigger(clock);
  const camera = createSimCameraPort({
    id: 'cam',
    vehicle: 'd1',
    model: 'sony-ilx-lr1',
    keyPrefix: 'captures/run1/d1/cam',
    seed: 42,
    world: TEST_WORLD,
    origin: ORIGIN,
    render_width_px: 320,
    ...o,
    clock,
    pose: flight,
    trigger,
    blobs: sink,
  });
  const r = await camera.connect();
  if (!r.ok) throw new Error(r.error.message);
  return {
    clock,
    store,
    sink,
    flight,
    trigger,
    camera,
    async flush(pred, wallMs = 5000) {
      const end = performance.now() + wallMs;
      while (performance.now() < end) {
        if (pred()) return true;
        await new Promise((res) => setTimeout(res, 5));
      }
      return pred();
    },
    async close() {
      await camera.dispose();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
