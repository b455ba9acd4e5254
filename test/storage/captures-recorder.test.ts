/**
 * The capture recorder between the simulated camera and the capture index: rows only after
 * their image blob is durable (the camera announces captures before it writes them), with the
 * blob's size and checksum; lost captures leave no row.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CaptureRef, SensorEvent } from '../../hardware/sensor.port.js';
import { createSimCameraPort } from '../../hardware/sim/sensors/sim-camera.adapter.js';
import { createCaptureRecorder, type CaptureRecorder } from '../../storage/index.js';
import { cameraRig, ORIGIN, TEST_WORLD, type CameraRig } from '../sim/camera-sim-harness.js';

const rigs: CameraRig[] = [];
const recorders: CaptureRecorder[] = [];
afterEach(async () => {
  for (const r of recorders.splice(0)) r.close();
  for (const r of rigs.splice(0)) await r.close();
});

describe('capture recorder', () => {
  it('records every announced capture once its bytes are stored, never before', async () => {
    const rig = await cameraRig();
    rigs.push(rig);
    const rec = createCaptureRecorder(rig.store, { run: 'run1', mission: 'm1' });
    recorders.push(rec);
    // A second camera on the same store, writing through the recorder's sink.
    const camera = createSimCameraPort({ id: 'cam2', vehicle: 'd1', model: 'sony-ilx-lr1', clock: rig.clock, pose: rig.flight, trigger: rig.trigger, blobs: rec.sink, keyPrefix: 'captures/run1/d1/cam2', seed: 1, world: TEST_WORLD, origin: ORIGIN, render_width_px: 160 });
    await camera.connect();
    const results: Promise<unknown>[] = [];
    const announced: CaptureRef[] = [];
    camera.subscribeEvents((e: SensorEvent) => {
      if (e.type !== 'capture') return;
      announced.push(e.capture);
      // At announcement the bytes are not there yet: nothing may be inserted now.
      expect(rig.store.blobs.meta(e.capture.blob_key!).ok).toBe(false);
      results.push(rec.record(e.capture));
    });
    for (let k = 0; k < 5; k++) {
      rig.trigger.fire();
      await rig.clock.advance(1000);
    }
    expect(rig.store.captures.list({ run: 'run1' }).total).toBe(0);
    const settled = (await Promise.all(results)) as { ok: boolean }[];
    expect(settled.every((r) => r.ok)).toBe(true);
    const rows = rig.store.captures.list({ run: 'run1', sensor: 'cam2' }).items;
    // Rows come in storage order (images are written concurrently); every index once.
    expect(rows.map((r) => r.index).sort()).toEqual([0, 1, 2, 3, 4]);
    for (const row of rows) {
      const meta = rig.store.blobs.meta(row.blob_key!);
      expect(meta.ok && meta.value.sha256).toBe(row.sha256);
      expect(row).toMatchObject({ mission: 'm1', media_type: 'image/jpeg', pose: announced[row.index]!.pose });
    }
    expect(rec.pending).toBe(0);
    await camera.dispose();
  });

  it('a capture whose blob is refused (store full) gets no row; one never written times out', async () => {
    const rig = await cameraRig({ blobs: { driver: 'fs', quota_bytes: 1000 } });
    rigs.push(rig);
    const rec = createCaptureRecorder(rig.store, { run: 'r', waitMs: 200 });
    recorders.push(rec);
    const camera = createSimCameraPort({ id: 'cam3', vehicle: 'd1', model: 'sony-ilx-lr1', clock: rig.clock, pose: rig.flight, blobs: rec.sink, keyPrefix: 'captures/r/d1/cam3', seed: 1, world: TEST_WORLD, origin: ORIGIN, render_width_px: 160 });
    await camera.connect();
    let pending: Promise<{ ok: boolean; error?: { code: string } }> | undefined;
    camera.subscribeEvents((e) => {
      if (e.type === 'capture') pending = rec.record(e.capture) as typeof pending;
    });
    const cap = await camera.capture();
    expect(!cap.ok && cap.error.code).toBe('SENSOR.STORAGE');
    const r = await pending!;
    expect(!r.ok && r.error?.code).toBe('BLOB.FULL');
    const never = await rec.record({ vehicle: 'd1', sensor: 'cam3', index: 9, t_ms: 0, pose: rig.flight.truth(), blob_key: 'captures/r/d1/cam3/000009.jpg' });
    expect(!never.ok && never.error.code).toBe('STORE.NOT_FOUND');
    expect(rig.store.captures.list().total).toBe(0);
    await camera.dispose();
  });
});
