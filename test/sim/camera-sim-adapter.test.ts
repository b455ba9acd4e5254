/**
 * The simulated camera port on a virtual clock with a real SQLite + filesystem blob store:
 * autopilot triggers, geotags, stored JPEG + sidecar, minimum interval, trigger distance,
 * sensor_failure, a full blob store, and an event sequence independent of encoding time.
 */
import exifReader from 'exif-reader';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { haversine_m } from '../../core/geo.js';
import { ok } from '../../core/result.js';
import type { BlobSink, CaptureRef, SensorEvent } from '../../hardware/sensor.port.js';
import { cameraRig, FRAME, type CameraRig } from './camera-sim-harness.js';

const rigs: CameraRig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.close();
});
async function rig(o: Parameters<typeof cameraRig>[0] = {}): Promise<CameraRig & { events: SensorEvent[] }> {
  const r = await cameraRig(o);
  rigs.push(r);
  const events: SensorEvent[] = [];
  r.camera.subscribeEvents((e) => events.push(e));
  return Object.assign(r, { events });
}
const captures = (ev: SensorEvent[]) => ev.flatMap((e) => (e.type === 'capture' ? [e.capture] : []));
const lost = (ev: SensorEvent[]) => ev.flatMap((e) => (e.type === 'capture.lost' ? [e] : []));

describe('simulated camera', () => {
  it('an autopilot trigger announces the capture at once, then stores a geotagged JPEG and its sidecar', async () => {
    const r = await rig();
    await r.clock.advance(2000);
    const truth = r.flight.truth();
    r.trigger.fire();
    // Announced synchronously, at the trigger's instant, with the key decided then.
    const [ref] = captures(r.events);
    expect(ref).toMatchObject({ vehicle: 'd1', sensor: 'cam', index: 0, t_ms: 2000, blob_key: 'captures/run1/d1/cam/000000.jpg', media_type: 'image/jpeg' });
    expect(haversine_m(ref!.pose.position, truth.position)).toBeLessThan(2);
    expect(ref!.footprint).toHaveLength(4);
    expect(await r.flush(() => r.store.blobs.meta('captures/run1/d1/cam/000000.jpg.json').ok)).toBe(true);
    const jpeg = await r.store.blobs.get(ref!.blob_key!);
    if (!jpeg.ok) throw new Error(jpeg.error.message);
    const meta = await sharp(jpeg.value).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 320, height: 213 });
    const gps = exifReader(meta.exif!).GPSInfo!;
    const lat = (gps.GPSLatitude as number[]).reduce((a, v, k) => a + v / 60 ** k, 0);
    const lon = (gps.GPSLongitude as number[]).reduce((a, v, k) => a + v / 60 ** k, 0);
    // The EXIF states the geotag of the event (not the truth).
    expect(haversine_m({ lat_deg: lat, lon_deg: lon }, ref!.pose.position)).toBeLessThan(0.01);
    expect(gps.GPSAltitude).toBeCloseTo(ref!.pose.position.alt_m, 2);
    const side = await r.store.blobs.get(`${ref!.blob_key}.json`);
    const sidecar = side.ok && JSON.parse(new TextDecoder().decode(side.value));
    expect(sidecar).toMatchObject({ index: 0, t_ms: 2000, pose: ref!.pose, camera: { profile: 'sony-ilx-lr1', resolution_px: { width: 9504, height: 6336 } }, time_utc: '2026-01-01T00:00:02.000Z' });
    // The reference is what the capture index takes: the row goes in after the blob.
    const row = r.store.captures.insert({ ...ref!, bytes: jpeg.value.byteLength, sha256: r.store.blobs.meta(ref!.blob_key!).ok ? (r.store.blobs.meta(ref!.blob_key!) as { value: { sha256: string } }).value.sha256 : '' }, { run: 'run1' });
    expect(row.ok).toBe(true);
  });

  it('capture() resolves once stored, with size and checksum; the minimum interval is kept', async () => {
    const r = await rig();
    const first = await r.camera.capture();
    expect(first.ok && first.value).toMatchObject({ index: 0, t_ms: 0 });
    const meta = r.store.blobs.meta('captures/run1/d1/cam/000000.jpg');
    expect(first.ok && meta.ok && first.value.sha256).toBe(meta.ok && meta.value.sha256);
    expect(first.ok && first.value.bytes).toBeGreaterThan(1000);
    // Sony ILX-LR1: 1 s minimum.
    await r.clock.advance(500);
    const busy = await r.camera.capture();
    expect(!busy.ok && busy.error.code).toBe('SENSOR.BUSY');
    // An autopilot trigger that early is a lost capture: its index is used, the reason given.
    r.trigger.fire();
    expect(lost(r.events)).toEqual([expect.objectContaining({ index: 1, reason: expect.stringMatching(/^SENSOR\.BUSY: autopilot trigger refused/) })]);
    await r.clock.advance(500);
    const next = await r.camera.capture();
    expect(next.ok && next.value.index).toBe(2);
    expect(r.camera.health()).toMatchObject({ state: 'ok', count: 2, lost: 1 });
  });

  it('trigger distance: one capture per distance flown, geotags along the track', async () => {
    const r = await rig({ speed_mps: 8 });
    expect((await r.camera.setTriggerDistance(20)).ok).toBe(true);
    await r.clock.advance(20_000); // 160 m
    expect((await r.camera.setTriggerDistance(0)).ok).toBe(true);
    await r.clock.advance(5_000);
    const got = captures(r.events);
    expect(got.length).toBeGreaterThanOrEqual(8);
    expect(got.length).toBeLessThanOrEqual(9);
    for (let k = 1; k < got.length; k++) {
      const a = FRAME.toLocal(got[k - 1]!.pose.position.lat_deg, got[k - 1]!.pose.position.lon_deg);
      const b = FRAME.toLocal(got[k]!.pose.position.lat_deg, got[k]!.pose.position.lon_deg);
      expect(b.north_m - a.north_m).toBeGreaterThan(18);
      expect(b.north_m - a.north_m).toBeLessThan(22);
    }
    expect(await r.flush(() => r.store.blobs.list('captures/').length === got.length * 2)).toBe(true);
    expect((await r.camera.setTriggerDistance(-1)).ok).toBe(false);
  });

  it('sensor_failure: captures refused and triggers lost while failed, health says so, then it recovers', async () => {
    const r = await rig();
    expect((await r.camera.injectFault({ kind: 'sensor_failure', duration_s: 3 })).ok).toBe(true);
    expect(r.camera.health().state).toBe('failed');
    const refused = await r.camera.capture();
    expect(!refused.ok && refused.error.code).toBe('SENSOR.FAILED');
    r.trigger.fire();
    expect(lost(r.events)[0]?.reason).toMatch(/^SENSOR\.FAILED/);
    await r.clock.advance(3500);
    expect(r.events.some((e) => e.type === 'health' && e.health.state === 'failed')).toBe(true);
    expect(r.camera.health().state).toBe('ok');
    const after = await r.camera.capture();
    expect(after.ok && after.value.index).toBe(1);
  });

  it('a full blob store: the capture is reported lost with SENSOR.STORAGE, health degraded, nothing else disturbed', async () => {
    const r = await rig({ blobs: { driver: 'fs', quota_bytes: 1_000_000 } });
    const a = await r.camera.capture();
    expect(a.ok).toBe(true);
    // Something else fills the store to within 100 bytes of its quota.
    const filler = await r.store.blobs.put('other/filler.bin', new Uint8Array(1_000_000 - 100 - r.store.blobs.usage().used_bytes));
    expect(filler.ok).toBe(true);
    await r.clock.advance(1000);
    const b = await r.camera.capture();
    expect(!b.ok && b.error.code).toBe('SENSOR.STORAGE');
    expect(!b.ok && b.error.message).toMatch(/BLOB\.FULL/);
    expect(lost(r.events)).toEqual([expect.objectContaining({ index: 1, reason: expect.stringMatching(/^SENSOR\.STORAGE: BLOB\.FULL: blob store full/) })]);
    expect(r.camera.health()).toMatchObject({ state: 'degraded', lost: 1 });
    // The stored image is intact, the store answers, the camera goes on (its next index follows).
    expect((await r.store.blobs.get('captures/run1/d1/cam/000000.jpg')).ok).toBe(true);
    expect((await r.store.blobs.get('other/filler.bin')).ok).toBe(true);
    await r.store.blobs.delete('other/filler.bin');
    await r.clock.advance(1000);
    const c = await r.camera.capture();
    expect(c.ok && c.value.index).toBe(2);
    expect(r.camera.health().state).toBe('ok');
  });

  it('the event sequence depends on the seed only, not on how long encoding and storing take', async () => {
    const run = async (seed: number, slow: boolean) => {
      // A sink that takes a random wall time per put (real timers: wall time, not sim time).
      const delayed = (s: BlobSink): BlobSink => ({
        async put(key, data, mt) {
          if (slow) await new Promise((res) => setTimeout(res, Math.random() * 30));
          return s.put(key, data, mt);
        },
      });
      const r = await rig({ seed, sink: delayed, maxInFlight: slow ? 1 : 4 });
      await r.camera.startInterval(1, 0);
      for (let k = 0; k < 8; k++) {
        await r.clock.advance(700);
        r.trigger.fire();
      }
      await r.camera.stopCapture();
      await r.flush(() => r.store.blobs.list('captures/').length >= 2 * captures(r.events).length);
      return JSON.stringify(r.events.filter((e) => e.type === 'capture' || e.type === 'capture.lost'));
    };
    const fast = await run(7, false);
    const slow = await run(7, true);
    expect(slow).toBe(fast);
    expect(await run(8, false)).not.toBe(fast);
    const parsed = JSON.parse(fast) as { type: string; capture?: CaptureRef }[];
    expect(parsed.filter((e) => e.type === 'capture').length).toBeGreaterThan(4);
  });

  it('configure accepts a lens of the profile and refuses the rest, changing nothing', async () => {
    const r = await rig();
    expect((await r.camera.configure({ focal_length_mm: 35 })).ok).toBe(true);
    expect(r.camera.info()?.camera?.focal_length_mm).toBe(35);
    const bad = await r.camera.configure({ focal_length_mm: 50, jpeg_quality: 90 });
    expect(!bad.ok && bad.error.code).toBe('SENSOR.INVALID');
    expect(r.camera.info()?.camera?.focal_length_mm).toBe(35);
    void ok;
  });
});
