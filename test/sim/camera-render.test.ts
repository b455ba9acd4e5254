/**
 * The simulated camera's renderer and encoder: real JPEGs (decoded back with sharp), EXIF GPS
 * and orientation read back with an independent EXIF parser, a sane footprint, obstacles drawn
 * where the pinhole model projects them, and pixels that depend only on world, seed and pose.
 */
import exifReader from 'exif-reader';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { haversine_m, LocalFrame } from '../../core/geo.js';
import { CAMERA_PROFILES } from '../../core/sensors/camera-profiles.js';
import { CameraRenderer } from '../../hardware/sim/sensors/camera-render.js';
import { encodeCaptureJpeg, captureSidecar, type CaptureDescription } from '../../hardware/sim/sensors/camera-render-jpeg.js';
import { SensorWorldSchema } from '../../hardware/sim/world/world-spec.js';

const origin = { lat_deg: 47.397742, lon_deg: 8.545594, alt_m: 488 };
const frame = new LocalFrame(origin);
const world = SensorWorldSchema.parse({
  obstacles: [
    { kind: 'building', north: 0, east: 25, size_m: { x: 20, y: 12, z: 15 }, yaw_deg: 30 },
    { kind: 'cylinder', north: -30, east: -20, radius_m: 5, height_m: 20 },
    { kind: 'box', north: 2000, east: 2000, size_m: { x: 5, y: 5, z: 5 } },
  ],
});
const profile = CAMERA_PROFILES['sony-ilx-lr1'];
const W = 640;
const H = Math.round((W * profile.resolution_px.height) / profile.resolution_px.width);
const camera = { width_px: W, height_px: H, focal_px: (24 / profile.sensor_mm.width) * W, mount_deg: { roll: 0, pitch: -90, yaw: 0 } };
const poseAt = (n: number, e: number, alt: number, yaw = 0) => ({
  position: { ...frame.toLatLon(n, e), alt_m: origin.alt_m + alt },
  attitude_deg: { roll: 0, pitch: 0, yaw },
});
const desc = (pose: ReturnType<typeof poseAt>, footprint?: CaptureDescription['footprint']): CaptureDescription => ({
  vehicle: 'd1',
  sensor: 'cam',
  index: 7,
  t_ms: 12_345,
  time_utc: '2026-01-01T00:00:12.345Z',
  pose,
  camera: { profile: profile.name, vendor: profile.vendor, model: profile.model, resolution_px: profile.resolution_px, sensor_mm: profile.sensor_mm, focal_length_mm: 24, file_format: profile.file_format, mount_deg: camera.mount_deg },
  ...(footprint ? { footprint } : {}),
  blob_key: 'captures/r/d1/cam/000007.jpg',
  media_type: 'image/jpeg',
});

describe('camera renderer', () => {
  it('encodes a real JPEG whose EXIF states the geotag, orientation and the profile', async () => {
    const r = new CameraRenderer(world, origin, camera, 42);
    const pose = { ...poseAt(10, -5, 80, 45), attitude_deg: { roll: 1.5, pitch: -2, yaw: 45 } };
    const img = r.render(pose);
    const jpeg = await encodeCaptureJpeg(img, desc(pose, img.footprint));
    const meta = await sharp(jpeg).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: W, height: H, orientation: 1, channels: 3 });
    const exif = exifReader(meta.exif!);
    expect(exif.Image).toMatchObject({ Make: 'Sony', Model: 'ILX-LR1', Orientation: 1 });
    expect(exif.Image?.ImageDescription).toContain('sony-ilx-lr1 9504x6336');
    expect(exif.Photo?.FocalLength).toBe(24);
    // FocalPlaneXResolution (px/cm) × sensor width = the profile's width.
    expect(((exif.Photo?.FocalPlaneXResolution as number) * profile.sensor_mm.width) / 10).toBeCloseTo(9504, 0);
    const gps = exif.GPSInfo!;
    const deg = (v: number[], ref: string) => (ref === 'S' || ref === 'W' ? -1 : 1) * (v[0]! + v[1]! / 60 + v[2]! / 3600);
    const lat = deg(gps.GPSLatitude as number[], gps.GPSLatitudeRef as string);
    const lon = deg(gps.GPSLongitude as number[], gps.GPSLongitudeRef as string);
    expect(haversine_m({ lat_deg: lat, lon_deg: lon }, pose.position)).toBeLessThan(0.01);
    expect(gps.GPSAltitude).toBeCloseTo(pose.position.alt_m, 3);
    expect(gps.GPSImgDirection).toBeCloseTo(45, 2);
    expect(meta.xmp?.toString()).toContain('Camera:Roll="1.500"');
    // Decodes to pixels (not a blank frame).
    const { data } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
    const mean = data.reduce((a, b) => a + b, 0) / data.length;
    expect(mean).toBeGreaterThan(40);
    expect(mean).toBeLessThan(220);
    const sidecar = JSON.parse(new TextDecoder().decode(captureSidecar(desc(pose, img.footprint), img)));
    expect(sidecar).toMatchObject({ index: 7, t_ms: 12_345, pose, rendered_px: { width: W, height: H }, camera: { profile: 'sony-ilx-lr1', resolution_px: { width: 9504 } } });
    expect(sidecar.footprint).toHaveLength(4);
  });

  it('the nadir footprint is the pinhole ground rectangle around the vehicle', () => {
    const r = new CameraRenderer(world, origin, camera, 42);
    const alt = 100;
    const fp = r.footprint(poseAt(0, 0, alt))!;
    expect(fp).toHaveLength(4);
    const local = fp.map((p) => frame.toNed(p));
    // Width across track (east) = alt × sensor width / focal; image top toward the nose (north).
    const halfW = (alt * profile.sensor_mm.width) / 24 / 2, halfH = (alt * profile.sensor_mm.height) / 24 / 2;
    const expected = [[halfH, -halfW], [halfH, halfW], [-halfH, halfW], [-halfH, -halfW]];
    local.forEach((p, k) => {
      expect(p.north_m).toBeCloseTo(expected[k]![0]!, 1);
      expect(p.east_m).toBeCloseTo(expected[k]![1]!, 1);
      expect(p.down_m).toBeCloseTo(0, 3);
    });
    // Yawed 90° (nose east): the long side turns with it.
    const yawed = r.footprint(poseAt(0, 0, alt, 90))!.map((p) => frame.toNed(p));
    expect(yawed[0]!.east_m).toBeCloseTo(halfH, 1);
    expect(yawed[0]!.north_m).toBeCloseTo(halfW, 1);
    // Looking at the horizon there is no footprint.
    expect(r.footprint({ ...poseAt(0, 0, alt), attitude_deg: { roll: 0, pitch: 90, yaw: 0 } })).toBeUndefined();
  });

  it('draws obstacles where the pinhole model projects them, and only those in view', async () => {
    const r = new CameraRenderer(world, origin, camera, 42);
    const pose = poseAt(0, 0, 90);
    const img = r.render(pose);
    expect([...img.obstaclePixels.keys()].sort()).toEqual([0, 1]);
    // The roof centre of the building (red roof) and the top of the cylinder (light grey).
    const roof = r.project(pose, 0, 25, -15)!;
    const tank = r.project(pose, -30, -20, -20)!;
    const ground = r.project(pose, 20, -40, 0)!;
    expect(roof.u).toBeGreaterThan(W / 2);
    expect(tank.v).toBeGreaterThan(H / 2);
    const jpeg = await encodeCaptureJpeg(img, desc(pose), 95);
    const { data } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
    const at = (p: { u: number; v: number }) => {
      const o = (Math.round(p.v) * W + Math.round(p.u)) * 3;
      return [data[o]!, data[o + 1]!, data[o + 2]!] as const;
    };
    const [rr, rg, rb] = at(roof);
    expect(rr).toBeGreaterThan(rg + 50);
    expect(rr).toBeGreaterThan(rb + 50);
    const [tr, tg, tb] = at(tank);
    expect(Math.min(tr, tg, tb)).toBeGreaterThan(150);
    expect(Math.max(tr, tg, tb) - Math.min(tr, tg, tb)).toBeLessThan(30);
    // A field pixel is not roof-red nor tank-grey.
    const [gr, gg] = at(ground);
    expect(gr < rr - 30 || gg > rg + 30).toBe(true);
    // Without obstacles the same pixel is ground.
    const bare = new CameraRenderer(SensorWorldSchema.parse({}), origin, camera, 42).render(pose);
    expect(bare.obstaclePixels.size).toBe(0);
    const o = (Math.round(roof.v) * W + Math.round(roof.u)) * 3;
    expect([bare.rgb[o], bare.rgb[o + 1], bare.rgb[o + 2]]).not.toEqual([img.rgb[o], img.rgb[o + 1], img.rgb[o + 2]]);
  });

  it('pixels depend on world, seed and pose only; the ground is fixed in the world', () => {
    const a = new CameraRenderer(world, origin, camera, 42).render(poseAt(5, 5, 70));
    const b = new CameraRenderer(world, origin, camera, 42).render(poseAt(5, 5, 70));
    const c = new CameraRenderer(world, origin, camera, 43).render(poseAt(5, 5, 70));
    expect(Buffer.from(a.rgb).equals(Buffer.from(b.rgb))).toBe(true);
    expect(Buffer.from(a.rgb).equals(Buffer.from(c.rgb))).toBe(false);
    // Moving 10 m north shifts the ground image down by 10 m worth of pixels (top = north).
    const r = new CameraRenderer(SensorWorldSchema.parse({}), origin, camera, 42);
    const alt = 70;
    const gsd = alt / camera.focal_px; // m per px at nadir
    const shift = Math.round(10 / gsd);
    const p0 = r.render(poseAt(0, 0, alt)).rgb.slice();
    const p1 = r.render(poseAt(10 * (Math.round(10 / gsd) * gsd) / 10, 0, alt)).rgb;
    let same = 0, total = 0;
    for (let v = 100; v < 200; v++)
      for (let u = 100; u < 500; u += 7) {
        total++;
        const o0 = (v * W + u) * 3, o1 = ((v + shift) * W + u) * 3;
        if (Math.abs(p0[o0]! - p1[o1]!) <= 2 && Math.abs(p0[o0 + 1]! - p1[o1 + 1]!) <= 2) same++;
      }
    expect(same / total).toBeGreaterThan(0.9);
  });

  it('a forward-looking mount (pitch 0) sees the horizon across the middle: sky above, ground below', () => {
    const r = new CameraRenderer(SensorWorldSchema.parse({}), origin, { ...camera, mount_deg: { roll: 0, pitch: 0, yaw: 0 } }, 42);
    const img = r.render(poseAt(0, 0, 50));
    const px = (u: number, v: number) => [...img.rgb.slice((v * W + u) * 3, (v * W + u) * 3 + 3)];
    expect(px(W / 2, 5)).toEqual([150, 190, 235]);
    expect(px(W / 2, H - 5)).not.toEqual([150, 190, 235]);
    expect(img.footprint).toBeUndefined();
    // Tilted down 20° by the mount: the horizon moves up by f·tan(20°) pixels.
    const down = new CameraRenderer(SensorWorldSchema.parse({}), origin, { ...camera, mount_deg: { roll: 0, pitch: -20, yaw: 0 } }, 42).render(poseAt(0, 0, 50));
    const horizonRow = (rgb: Uint8ClampedArray) => {
      for (let v = 0; v < H; v++) if (rgb[(v * W + W / 2) * 3] !== 150) return v;
      return H;
    };
    expect(horizonRow(img.rgb)).toBeCloseTo(H / 2, -1);
    expect(H / 2 - horizonRow(down.rgb)).toBeCloseTo(camera.focal_px * Math.tan((20 * Math.PI) / 180), -1);
  });

  it('renders hills: the ground is nearer where the terrain is higher', () => {
    const hills = SensorWorldSchema.parse({ terrain: { kind: 'hills', amplitude_m: 30, wavelength_m: 200, seed: 3 } });
    const r = new CameraRenderer(hills, origin, camera, 1);
    const img = r.render(poseAt(100, 100, 120));
    expect(img.footprint).toHaveLength(4);
    const h = r.terrainAt(100, 100);
    // The flat-ground footprint lies at the terrain height under the vehicle.
    for (const p of img.footprint!) expect(p.alt_m).toBeCloseTo(origin.alt_m + h, 3);
  });
});
