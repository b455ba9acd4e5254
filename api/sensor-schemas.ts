/**
 * Request and response schemas of the capture and sensor routes (zod, through
 * fastify-type-provider-zod: validation, types, response filtering and OpenAPI from one schema).
 *
 * @remarks
 * Paging is by an opaque `cursor` (`next_cursor` of the previous page), so a client never builds
 * offsets; the cursor is the offset in base64url today and may become a keyset later without a
 * change to clients.
 */
import { z } from 'zod';

const Name = z.string().min(1).max(128).regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits and _ . : - only');

/** `cursor` ⇄ offset. */
export const encodeCursor = (offset: number): string => Buffer.from(`o:${offset}`, 'utf8').toString('base64url');
export function decodeCursor(cursor: string): number | undefined {
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(cursor)) return undefined;
  const m = /^o:(\d{1,10})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return m ? Number(m[1]) : undefined;
}

export const CaptureListQuery = z
  .strictObject({
    vehicle: Name.optional(),
    mission: Name.optional(),
    sensor: Name.optional(),
    run: Name.optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100).meta({ description: 'Captures per page (1–1000, default 100)' }),
    cursor: z.string().max(64).optional().meta({ description: '`next_cursor` of the previous page' }),
  })
  .superRefine((q, ctx) => {
    if (q.cursor !== undefined && decodeCursor(q.cursor) === undefined) ctx.addIssue({ code: 'custom', path: ['cursor'], message: 'not a cursor from this API' });
  });

export const CaptureIdParam = z.strictObject({ id: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER) });

export const SensorParams = z.strictObject({ id: Name, sensor: Name });

const GeoPoint = z.object({ lat_deg: z.number(), lon_deg: z.number(), alt_m: z.number() });
const Pose = z.object({ position: GeoPoint, attitude_deg: z.object({ roll: z.number(), pitch: z.number(), yaw: z.number() }) });

export const CaptureSchema = z.object({
  id: z.number().int(),
  run: z.string().nullable(),
  mission: z.string().nullable(),
  vehicle: z.string(),
  sensor: z.string(),
  index: z.number().int(),
  t_ms: z.number().meta({ description: 'Trigger time, ms on the run clock (sim time under the virtual clock)' }),
  pose: Pose.meta({ description: 'The geotag: WGS84 (altitude AMSL, m) and attitude (deg)' }),
  blob_key: z.string().nullable(),
  file_url: z.string().nullable(),
  media_type: z.string().nullable(),
  bytes: z.number().int().nullable(),
  sha256: z.string().nullable(),
  footprint: z.array(GeoPoint).nullable(),
  created_at: z.string(),
  image_url: z.string().nullable().meta({ description: '`/captures/{id}/image` when the bytes are stored here' }),
});

export const CapturePage = z.object({
  items: z.array(CaptureSchema),
  total: z.number().int(),
  next_cursor: z.string().nullable().meta({ description: 'The next page; null on the last one' }),
  end_cursor: z.string().meta({ description: 'After the last item of this page: poll with it for captures added later' }),
});

export const SensorViewSchema = z.object({
  id: z.string(),
  vehicle: z.string(),
  kind: z.enum(['camera', 'lidar']),
  model: z.string().nullable(),
  machine_state: z.string().nullable(),
  health: z.object({
    state: z.enum(['ok', 'degraded', 'failed', 'offline']),
    message: z.string().nullable(),
    t_ms: z.number().nullable(),
    count: z.number(),
    lost: z.number(),
    temperature_c: z.number().nullable(),
    storage_free_mib: z.number().nullable(),
  }),
  last_error: z.object({ code: z.string(), message: z.string() }).nullable(),
  camera: z
    .object({
      resolution_px: z.object({ width: z.number(), height: z.number() }),
      sensor_mm: z.object({ width: z.number(), height: z.number() }),
      focal_length_mm: z.number(),
      min_interval_s: z.number(),
      media_type: z.string(),
    })
    .nullable(),
  lidar: z
    .object({
      beams: z.number(),
      columns_per_frame: z.number(),
      frame_rate_hz: z.number(),
      range_m: z.object({ min: z.number(), max: z.number() }),
      profile: z.string(),
    })
    .nullable(),
  latest_capture: z.object({ index: z.number(), t_ms: z.number(), blob_key: z.string().nullable(), capture_id: z.number().nullable() }).nullable(),
});

export const CaptureAccepted = z.object({
  correlation_id: z.string(),
  vehicle: z.string(),
  sensor: z.string(),
  capture: z.object({
    index: z.number().int(),
    t_ms: z.number().nullable(),
    pose: Pose.nullable(),
    blob_key: z.string().nullable(),
    sha256: z.string().nullable(),
    media_type: z.string().nullable(),
    bytes: z.number().nullable(),
    capture_id: z.number().int().nullable().meta({ description: 'The stored capture row, once indexed' }),
  }),
});
