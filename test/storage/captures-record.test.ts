/**
 * Indexing captures announced before their bytes land (the simulated camera announces at
 * trigger time): `store.captures.record` inserts a row only once the image blob is durable,
 * with its size and checksum; a refused or missing blob leaves no row. `blobs.whenStored` is
 * the same wait for readers (the bridge's image topic).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CaptureRef, SensorEvent } from '../../hardware/sensor.port.js';
import { announcedBlobReader } from '../../storage/index.js';
import { cameraRig, type CameraRig } from '../sim/camera-sim-harness.js';

const rigs: CameraRig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.close();
});

describe('recording announced captures', () => {
  it('rows follow their bytes: none at announcement, every one once stored', async () => {
    const rig = await cameraRig({ render_width_px: 160 });
    rigs.push(rig);
    const results: Promise<{ ok: boolean }>[] = [];
    const announced: CaptureRef[] = [];
    rig.camera.subscribeEvents((e: SensorEvent) => {
      if (e.type !== 'capture') return;
      announced.push(e.capture);
      // At announcement the bytes are not there yet.
      expect(rig.store.blobs.meta(e.capture.blob_key!).ok).toBe(false);
      results.push(rig.store.captures.record(e.capture, { run: 'run1', mission: 'm1' }));
    });
    for (let k = 0; k < 5; k++) {
      rig.trigger.fire();
      await rig.clock.advance(1000);
    }
    // The simulated camera holds the virtual clock until its blob is written (a deterministic
    // log), so by now the bytes have landed; the rows follow them.
    const settled = await Promise.all(results);
    expect(settled.every((r) => r.ok)).toBe(true);
    const rows = rig.store.captures.list({ run: 'run1' }).items;
    // Rows come in storage order (images are written concurrently); every index once.
    expect(rows.map((r) => r.index).sort()).toEqual([0, 1, 2, 3, 4]);
    for (const row of rows) {
      const meta = rig.store.blobs.meta(row.blob_key!);
      expect(meta.ok && meta.value.sha256).toBe(row.sha256);
      expect(meta.ok && meta.value.bytes).toBe(row.bytes);
      expect(row).toMatchObject({ mission: 'm1', media_type: 'image/jpeg', pose: announced[row.index]!.pose });
    }
  });

  it('a reader of an announced image waits for its bytes; a plain get would find nothing yet', async () => {
    const rig = await cameraRig({ render_width_px: 160 });
    rigs.push(rig);
    const reader = announcedBlobReader(rig.store.blobs, 5000);
    let plain: Promise<{ ok: boolean; error?: { code: string } }> | undefined;
    let waited: Promise<{ ok: boolean; value?: Uint8Array }> | undefined;
    rig.camera.subscribeEvents((e) => {
      if (e.type !== 'capture') return;
      plain = rig.store.blobs.get(e.capture.blob_key!) as typeof plain;
      waited = reader.get(e.capture.blob_key!) as typeof waited;
    });
    rig.trigger.fire();
    expect((await plain!).error?.code).toBe('STORE.NOT_FOUND');
    const got = await waited!;
    expect(got.ok && got.value!.byteLength).toBeGreaterThan(1000);
    expect((await announcedBlobReader(rig.store.blobs, 50).get('captures/none.jpg')).ok).toBe(false);
  });

  it('a refused blob (store full) gets no row and says why; a blob never written times out', async () => {
    const rig = await cameraRig({ blobs: { driver: 'fs', quota_bytes: 1000 }, render_width_px: 160 });
    rigs.push(rig);
    let pending: Promise<{ ok: boolean; error?: { code: string } }> | undefined;
    rig.camera.subscribeEvents((e) => {
      if (e.type === 'capture') pending = rig.store.captures.record(e.capture, { run: 'r' }) as typeof pending;
    });
    const cap = await rig.camera.capture();
    expect(!cap.ok && cap.error.code).toBe('SENSOR.STORAGE');
    const r = await pending!;
    expect(!r.ok && r.error?.code).toBe('BLOB.FULL');
    const t0 = performance.now();
    const never = await rig.store.captures.record({ vehicle: 'd1', sensor: 'cam', index: 9, t_ms: 0, pose: rig.flight.truth(), blob_key: 'captures/r/d1/cam/000009.jpg' }, {}, 150);
    expect(!never.ok && never.error.code).toBe('STORE.NOT_FOUND');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    expect(rig.store.captures.list().total).toBe(0);
  });
});
