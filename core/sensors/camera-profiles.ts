/**
 * Camera profiles: what a camera model is (sensor, image size, lenses, how fast it can shoot,
 * what it writes), as data validated by zod. The MAVLink camera adapter, the SITL's camera
 * component and the simulated camera all read their camera from here.
 *
 * @remarks
 * Figures are the vendors' published specifications (cited per profile: the product pages and
 * data sheets as published by Phase One and Sony). Where a vendor gives a range, the profile
 * keeps the documented limit (the shortest interval, the native resolution). A value the vendor
 * does not state is marked "assumed" with the reason.
 */
import { z } from 'zod';

export const CameraProfileSchema = z.object({
  /** Profile name, kebab-case (`phase-one-ixm-100`). */
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/),
  vendor: z.string().min(1).max(32),
  /** The model as the camera names itself (MAVLink CAMERA_INFORMATION.model_name, ≤ 32 bytes). */
  model: z.string().min(1).max(32),
  /** Active sensor area, mm. */
  sensor_mm: z.object({ width: z.number().positive().max(100), height: z.number().positive().max(100) }),
  /** Native image size, pixels. */
  resolution_px: z.object({ width: z.number().int().positive().max(65_535), height: z.number().int().positive().max(65_535) }),
  /** Focal lengths of the lenses offered for it, mm; the first is the default. */
  focal_lengths_mm: z.array(z.number().positive().max(2000)).min(1),
  /** Shortest time between two captures, s (the inverse of the maximum capture rate). */
  min_interval_s: z.number().positive().max(3600),
  /** What a capture writes, e.g. `IIQ`, `JPEG`, `ARW`. */
  file_format: z.string().min(1).max(16),
  media_type: z.string().regex(/^[a-z]+\/[a-z0-9.+-]+$/),
  /** Device storage the camera ships with (or a typical card), MiB; for STORAGE_INFORMATION. */
  storage_mib: z.number().positive(),
  /** Typical size of one capture, MiB (storage accounting). */
  capture_mib: z.number().positive(),
});

export type CameraProfile = z.infer<typeof CameraProfileSchema>;

const RAW_PROFILES = {
  /**
   * Phase One iXM-100 (Phase One Geospatial, iXM-100 data sheet): 100 MP BSI CMOS,
   * 11 664 × 8 750 px, 3.76 µm pixels → 43.9 × 32.9 mm; up to 3 captures/s; RSM lenses 35, 80,
   * 150 mm; IIQ raw files (≈ 100 MB at IIQ L). Native MAVLink support (Phase One's MAVLink
   * interface); the full settings set needs the Phase One iX Capture SDK.
   */
  'phase-one-ixm-100': {
    name: 'phase-one-ixm-100', vendor: 'Phase One', model: 'iXM-100',
    sensor_mm: { width: 43.9, height: 32.9 }, resolution_px: { width: 11_664, height: 8_750 },
    focal_lengths_mm: [35, 80, 150], min_interval_s: 1 / 3,
    file_format: 'IIQ', media_type: 'image/x-phaseone-iiq', storage_mib: 512 * 1024, capture_mib: 100,
  },
  /**
   * Phase One iXM-50 (iXM-50 data sheet): 50 MP CMOS, 8 280 × 6 208 px, 5.3 µm pixels →
   * 43.9 × 32.9 mm; up to 2 captures/s; RSM lenses 35, 80, 150 mm; IIQ raw (≈ 50 MB at IIQ L).
   */
  'phase-one-ixm-50': {
    name: 'phase-one-ixm-50', vendor: 'Phase One', model: 'iXM-50',
    sensor_mm: { width: 43.9, height: 32.9 }, resolution_px: { width: 8_280, height: 6_208 },
    focal_lengths_mm: [35, 80, 150], min_interval_s: 0.5,
    file_format: 'IIQ', media_type: 'image/x-phaseone-iiq', storage_mib: 512 * 1024, capture_mib: 50,
  },
  /**
   * Sony ILX-LR1 (Sony product page and help guide): 61 MP 35 mm full-frame Exmor R CMOS,
   * 35.7 × 23.8 mm, 9 504 × 6 336 px; E-mount (no lens of its own: 24 and 35 mm primes are the
   * usual survey fit, assumed); JPEG/ARW on an SD card (128 GiB card assumed). Interval
   * shooting is controlled over Sony's Camera Remote SDK; its fastest documented interval
   * shooting is 1 s (used as the minimum).
   */
  'sony-ilx-lr1': {
    name: 'sony-ilx-lr1', vendor: 'Sony', model: 'ILX-LR1',
    sensor_mm: { width: 35.7, height: 23.8 }, resolution_px: { width: 9_504, height: 6_336 },
    focal_lengths_mm: [24, 35], min_interval_s: 1,
    file_format: 'JPEG', media_type: 'image/jpeg', storage_mib: 128 * 1024, capture_mib: 25,
  },
  /**
   * A generic 20 MP 1" survey camera (assumed figures, 13.2 × 8.8 mm, 5472 × 3648 px, 8.8 mm,
   * 2 s): for cameras with no profile of their own.
   */
  'generic-mavlink-camera': {
    name: 'generic-mavlink-camera', vendor: 'Generic', model: 'MAVLink camera',
    sensor_mm: { width: 13.2, height: 8.8 }, resolution_px: { width: 5_472, height: 3_648 },
    focal_lengths_mm: [8.8], min_interval_s: 2,
    file_format: 'JPEG', media_type: 'image/jpeg', storage_mib: 64 * 1024, capture_mib: 8,
  },
} as const satisfies Record<string, CameraProfile>;

export type CameraProfileName = keyof typeof RAW_PROFILES;

/** Every profile, validated once at load (a bad table is a bug: throws). */
export const CAMERA_PROFILES: Readonly<Record<CameraProfileName, CameraProfile>> = Object.fromEntries(
  Object.entries(RAW_PROFILES).map(([k, v]) => [k, CameraProfileSchema.parse(v)]),
) as Record<CameraProfileName, CameraProfile>;

export const DEFAULT_CAMERA_PROFILE: CameraProfileName = 'generic-mavlink-camera';

/** The profile of that name, or undefined. */
export function cameraProfile(name: string): CameraProfile | undefined {
  return Object.hasOwn(CAMERA_PROFILES, name) ? CAMERA_PROFILES[name as CameraProfileName] : undefined;
}

/**
 * The profile a camera's own CAMERA_INFORMATION describes (vendor and model names), or
 * undefined when none matches.
 */
export function profileForModel(vendor: string, model: string): CameraProfile | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');
  return Object.values(CAMERA_PROFILES).find((p) => norm(p.vendor) === norm(vendor) && norm(p.model) === norm(model));
}

/** Ground sample distance at `height_m` above ground for a nadir image, m per pixel. */
export function groundSampleDistance_m(p: CameraProfile, height_m: number, focal_mm = p.focal_lengths_mm[0]!): number {
  return (p.sensor_mm.width / p.resolution_px.width) * height_m / focal_mm;
}
