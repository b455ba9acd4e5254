/**
 * A ~280-capture survey with the simulated camera, against real time, beside a baseline measured
 * in the same run: the same survey without the camera.
 *
 * Each capture renders the world (procedural ground + obstacles), encodes a geotagged JPEG with
 * sharp and writes it and its sidecar to a real blob store (SQLite + files in a temporary
 * directory), the way a scenario run does. The run ends when the mission has finished and every
 * announced image is stored.
 *
 * Run: `npm run build && node dist/bench/sim-camera.bench.js [render-width-px] [profile]`
 * Target: ≥ 50× real time with the camera.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../core/clock.js';
import type { MissionItem } from '../core/mission.js';
import { planSurvey } from '../core/planning/index.js';
import { Rng } from '../core/rng.js';
import { cameraProfile } from '../core/sensors/camera-profiles.js';
import type { CameraTriggerSource, SensorEvent, VehiclePoseSource } from '../hardware/sensor.port.js';
import { SimWorld } from '../hardware/sim/index.js';
import { CameraRenderer } from '../hardware/sim/sensors/camera-render.js';
import { encodeCaptureJpeg } from '../hardware/sim/sensors/camera-render-jpeg.js';
import { createSimCameraPort } from '../hardware/sim/sensors/sim-camera.adapter.js';
import { SensorWorldSchema } from '../hardware/sim/world/world-spec.js';
import { createBlobSink, openStore } from '../storage/index.js';

const ORIGIN = { lat_deg: 47.397742, lon_deg: 8.545594, alt_m: 488 };
const WORLD = SensorWorldSchema.parse({
  terrain: { kind: 'flat' },
  obstacles: [
    { kind: 'building', north: 120, east: 150, size_m: { x: 30, y: 18, z: 12 }, yaw_deg: 20 },
    { kind: 'building', north: 250, east: 60, size_m: { x: 14, y: 10, z: 8 } },
    { kind: 'cylinder', north: 60, east: 260, radius_m: 6, height_m: 18 },
    { kind: 'box', north: 300, east: 300, size_m: { x: 6, y: 3, z: 2.5 } },
  ],
});

interface RunResult {
  readonly wall_ms: number;
  readonly sim_ms: number;
  readonly captures: number;
  readonly lost: number;
  readonly stored: number;
  readonly bytes: number;
}

async function runSurvey(items: MissionItem[], withCamera: boolean, renderWidth: number, profileName: string): Promise<RunResult> {
  const clock = new VirtualClock();
  const world = new SimWorld({ clock, rng: new Rng(7), origin: ORIGIN, wind: { speed_mps: 3, direction_deg: 250, gust_sd_mps: 0.5 } });
  world.addVehicle('d1', { spawn: { north_m: 0, east_m: 0 } });
  let finished = false;
  const triggers = new Set<(t: { seq: number; t_ms: number }) => void>();
  world.onEvent('d1', (e) => {
    if (e.type === 'mission.finished') finished = true;
    if (e.type === 'capture') for (const fn of triggers) fn({ seq: e.seq, t_ms: e.t_ms });
  });
  const trigger: CameraTriggerSource = {
    subscribe(fn) {
      triggers.add(fn);
      return () => triggers.delete(fn);
    },
  };
  const pose: VehiclePoseSource = {
    pose() {
      const p = world.truePosition('d1');
      return { t_ms: clock.now(), position: world.frame.toGeo(p), attitude_deg: { roll: 0, pitch: 0, yaw: world.s.yaw[world.slot('d1')]! } };
    },
  };
  const dir = mkdtempSync(join(tmpdir(), 'twin-bench-camera-'));
  const store = openStore({ dir, blobs: { driver: 'fs' } });
  const events: SensorEvent[] = [];
  const camera = withCamera
    ? createSimCameraPort({
        id: 'cam',
        vehicle: 'd1',
        model: profileName,
        clock,
        pose,
        trigger,
        blobs: createBlobSink(store.blobs),
        keyPrefix: 'captures/bench/d1/cam',
        seed: 42,
        world: WORLD,
        origin: ORIGIN,
        render_width_px: renderWidth,
      })
    : undefined;
  camera?.subscribeEvents((e) => events.push(e));
  const t0 = performance.now();
  await camera?.connect();
  world.start();
  world.command('d1', { kind: 'upload_mission', items });
  world.command('d1', { kind: 'arm' });
  world.command('d1', { kind: 'start_mission' });
  await clock.run({ until: 3_600_000, stopWhen: () => finished });
  const sim_ms = clock.now();
  // Every announced image stored (dispose waits for pending writes).
  await camera?.dispose();
  const wall_ms = performance.now() - t0;
  world.stop();
  const blobs = store.blobs.list('captures/', { limit: 100_000 });
  const result: RunResult = {
    wall_ms,
    sim_ms,
    captures: events.filter((e) => e.type === 'capture').length,
    lost: events.filter((e) => e.type === 'capture.lost').length,
    stored: blobs.filter((b) => b.key.endsWith('.jpg')).length,
    bytes: blobs.reduce((a, b) => a + b.bytes, 0),
  };
  store.close();
  rmSync(dir, { recursive: true, force: true });
  return result;
}

async function main(): Promise<void> {
  const renderWidth = Number(process.argv[2] ?? 640);
  const profileName = process.argv[3] ?? 'sony-ilx-lr1';
  const profile = cameraProfile(profileName);
  if (!profile) throw new Error(`unknown profile ${profileName}`);
  const plan = planSurvey({
    polygon: [
      { north_m: 20, east_m: 20 },
      { north_m: 360, east_m: 20 },
      { north_m: 360, east_m: 330 },
      { north_m: 20, east_m: 330 },
    ],
    alt_m: 60,
    camera: {
      sensor_width_mm: profile.sensor_mm.width,
      sensor_height_mm: profile.sensor_mm.height,
      focal_length_mm: profile.focal_lengths_mm[0]!,
      image_width_px: profile.resolution_px.width,
      image_height_px: profile.resolution_px.height,
    },
    front_overlap: 0.75,
    side_overlap: 0.7,
  });
  const frame = new SimWorld({ clock: new VirtualClock(), rng: new Rng(1), origin: ORIGIN }).frame;
  const items: MissionItem[] = plan.waypoints.map((w) => ({ kind: 'waypoint', ...frame.toLatLon(w.north_m, w.east_m), alt_m: w.alt_m, hold_s: 0, acceptance_m: 2, capture: w.capture }));
  items.push({ kind: 'rtl' });
  const planned = plan.waypoints.filter((w) => w.capture).length;

  // Warm-up (JIT, sharp's first load) on a short run, then the measured pair.
  await runSurvey(items.slice(0, 6), true, renderWidth, profileName);
  const base = await runSurvey(items, false, renderWidth, profileName);
  const cam = await runSurvey(items, true, renderWidth, profileName);

  const H = Math.round((renderWidth * profile.resolution_px.height) / profile.resolution_px.width);
  console.log(`sim-camera: ${profile.name} survey, ${planned} planned captures, ${(plan.length_m / 1000).toFixed(2)} km, rendered ${renderWidth}x${H} (profile ${profile.resolution_px.width}x${profile.resolution_px.height})`);
  console.log(`  with camera : ${(cam.sim_ms / 1000).toFixed(0)} s simulated in ${(cam.wall_ms / 1000).toFixed(2)} s wall = ${(cam.sim_ms / cam.wall_ms).toFixed(0)}× real time; ${cam.captures} captures (${cam.lost} lost), ${cam.stored} JPEGs stored, ${(cam.bytes / 1e6).toFixed(1)} MB with sidecars, ${(cam.wall_ms / Math.max(1, cam.captures)).toFixed(1)} ms wall per capture`);
  console.log(`  baseline    : ${(base.sim_ms / 1000).toFixed(0)} s simulated in ${(base.wall_ms / 1000).toFixed(2)} s wall = ${(base.sim_ms / base.wall_ms).toFixed(0)}× real time (the same survey without the camera)`);
  console.log(`  camera cost : ${((cam.wall_ms - base.wall_ms) / Math.max(1, cam.captures)).toFixed(1)} ms per capture; target ≥ 50× real time: ${cam.sim_ms / cam.wall_ms >= 50 ? 'met' : 'NOT met'}`);

  // Where a capture's time goes: render (JS, main thread) and encode (sharp), one at a time.
  const renderer = new CameraRenderer(WORLD, ORIGIN, { width_px: renderWidth, height_px: H, focal_px: (profile.focal_lengths_mm[0]! / profile.sensor_mm.width) * renderWidth, mount_deg: { roll: 0, pitch: -90, yaw: 0 } }, 42);
  const poses = plan.waypoints.filter((w) => w.capture).slice(0, 60).map((w) => ({ position: { ...frame.toLatLon(w.north_m, w.east_m), alt_m: ORIGIN.alt_m + w.alt_m }, attitude_deg: { roll: 0, pitch: 0, yaw: 0 } }));
  let renderMs = 0, encodeMs = 0;
  for (const p of poses) {
    const t0 = performance.now();
    const img = renderer.render(p);
    const t1 = performance.now();
    await encodeCaptureJpeg(img, { vehicle: 'd1', sensor: 'cam', index: 0, t_ms: 0, time_utc: new Date(0).toISOString(), pose: p, camera: { profile: profile.name, vendor: profile.vendor, model: profile.model, resolution_px: profile.resolution_px, sensor_mm: profile.sensor_mm, focal_length_mm: profile.focal_lengths_mm[0]!, file_format: profile.file_format, mount_deg: { roll: 0, pitch: -90, yaw: 0 } }, blob_key: 'k', media_type: 'image/jpeg' });
    renderMs += t1 - t0;
    encodeMs += performance.now() - t1;
  }
  console.log(`  per frame   : render ${(renderMs / poses.length).toFixed(1)} ms, JPEG+EXIF encode ${(encodeMs / poses.length).toFixed(1)} ms (one at a time, ${poses.length} frames); the rest is the blob store (fsync of image and sidecar)`);
}

void main();
