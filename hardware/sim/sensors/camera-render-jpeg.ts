/**
 * A rendered frame → the files a survey camera leaves: a JPEG with EXIF (make, model, focal
 * length, the profile's image size, GPS latitude/longitude/altitude and image direction,
 * orientation) and XMP attitude tags, plus a JSON sidecar (pose, attitude, time, camera model,
 * footprint polygon).
 *
 * @remarks
 * `sharp` (libvips) encodes on libuv's thread pool, so encoding overlaps the simulation. It is
 * loaded lazily, on the first encode. The EXIF states the camera profile (its native resolution
 * in `ImageDescription` and the focal-plane resolution tags) even though the image is rendered
 * smaller: libvips writes the rendered size in `PixelXDimension`/`PixelYDimension`.
 * XMP carries roll/pitch/yaw under the `Camera:` namespace photogrammetry tools read
 * (`http://pix4d.com/camera/1.0/`).
 */
import type { GeoPoint } from '../../../core/geo.js';
import type { SensorPose } from '../../sensor.port.js';
import type { RenderedFrame } from './camera-render.js';

/** The camera a capture was taken with, as the sidecar and EXIF state it. */
export interface CaptureCameraModel {
  readonly profile: string;
  readonly vendor: string;
  readonly model: string;
  /** The profile's native image size, px. */
  readonly resolution_px: { readonly width: number; readonly height: number };
  readonly sensor_mm: { readonly width: number; readonly height: number };
  readonly focal_length_mm: number;
  /** What the profile's camera writes (`IIQ`, `JPEG`…); the simulator always writes JPEG. */
  readonly file_format: string;
  readonly mount_deg: { readonly roll: number; readonly pitch: number; readonly yaw: number };
}

/** What one capture's files say about it. */
export interface CaptureDescription {
  readonly vehicle: string;
  readonly sensor: string;
  readonly index: number;
  /** Trigger time on the camera's clock, ms. */
  readonly t_ms: number;
  /** UTC time of the trigger (the clock's epoch plus `t_ms`). */
  readonly time_utc: string;
  /** The geotag (what the camera believed), WGS84, altitude AMSL. */
  readonly pose: SensorPose;
  readonly camera: CaptureCameraModel;
  readonly footprint?: readonly GeoPoint[];
  readonly blob_key: string;
  readonly media_type: 'image/jpeg';
}

/** The JSON sidecar written beside each image (`<key>.json`). */
export function captureSidecar(d: CaptureDescription, frame: Pick<RenderedFrame, 'width_px' | 'height_px'>): Uint8Array {
  const body = {
    schema: 'overwatch-twin/capture-sidecar/1',
    ...d,
    rendered_px: { width: frame.width_px, height: frame.height_px },
  };
  return new TextEncoder().encode(`${JSON.stringify(body, null, 2)}\n`);
}

type Sharp = typeof import('sharp').default;
let sharpModule: Promise<Sharp> | undefined;
const loadSharp = (): Promise<Sharp> => (sharpModule ??= import('sharp').then((m) => m.default));

/** Degrees → EXIF `deg/1 min/1 sec×10⁴/10⁴` (rationals). */
function dms(value: number): string {
  const a = Math.abs(value);
  const deg = Math.floor(a);
  const minF = (a - deg) * 60;
  const min = Math.floor(minF);
  const sec = Math.round((minF - min) * 60 * 10_000);
  return `${deg}/1 ${min}/1 ${sec}/10000`;
}

const exifTime = (iso: string): string => iso.slice(0, 19).replace(/-/g, ':').replace('T', ' ');

/** Encodes the frame as JPEG with EXIF GPS and orientation tags and XMP attitude. */
export async function encodeCaptureJpeg(frame: RenderedFrame, d: CaptureDescription, quality = 85): Promise<Uint8Array> {
  const sharp = await loadSharp();
  const { position: p, attitude_deg: a } = d.pose;
  const cam = d.camera;
  const yaw = ((a.yaw % 360) + 360) % 360;
  // Focal-plane resolution of the profile: pixels per mm on the sensor (unit 4 = mm is not in
  // EXIF 2.3; unit 3 = cm is).
  const fpx = (cam.resolution_px.width / cam.sensor_mm.width) * 10;
  const fpy = (cam.resolution_px.height / cam.sensor_mm.height) * 10;
  const xmp =
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
    `<rdf:Description rdf:about="" xmlns:Camera="http://pix4d.com/camera/1.0/" Camera:Roll="${a.roll.toFixed(3)}" Camera:Pitch="${a.pitch.toFixed(3)}" Camera:Yaw="${a.yaw.toFixed(3)}"/>` +
    '</rdf:RDF></x:xmpmeta>';
  const out = await sharp(frame.rgb, { raw: { width: frame.width_px, height: frame.height_px, channels: 3 } })
    .jpeg({ quality })
    .withExif({
      IFD0: {
        Make: cam.vendor,
        Model: cam.model,
        Orientation: '1',
        Software: 'overwatch-twin sim camera',
        DateTime: exifTime(d.time_utc),
        ImageDescription: `${cam.profile} ${cam.resolution_px.width}x${cam.resolution_px.height} (rendered ${frame.width_px}x${frame.height_px}) ${d.vehicle}/${d.sensor} #${d.index}`,
      },
      IFD2: {
        DateTimeOriginal: exifTime(d.time_utc),
        FocalLength: `${Math.round(cam.focal_length_mm * 1000)}/1000`,
        FocalPlaneXResolution: `${Math.round(fpx * 1000)}/1000`,
        FocalPlaneYResolution: `${Math.round(fpy * 1000)}/1000`,
        FocalPlaneResolutionUnit: '3',
        ImageUniqueID: `${d.vehicle}-${d.sensor}-${String(d.index).padStart(6, '0')}`,
      },
      IFD3: {
        GPSLatitudeRef: p.lat_deg >= 0 ? 'N' : 'S',
        GPSLatitude: dms(p.lat_deg),
        GPSLongitudeRef: p.lon_deg >= 0 ? 'E' : 'W',
        GPSLongitude: dms(p.lon_deg),
        GPSAltitudeRef: p.alt_m >= 0 ? '0' : '1',
        GPSAltitude: `${Math.round(Math.abs(p.alt_m) * 1000)}/1000`,
        GPSImgDirectionRef: 'T',
        GPSImgDirection: `${Math.round(yaw * 100)}/100`,
        GPSMapDatum: 'WGS-84',
      },
    })
    .withXmp(xmp)
    .toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
