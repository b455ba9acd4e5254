/**
 * Captures and sensors: `GET /captures` (filtered, paged by cursor), `GET /captures/{id}`,
 * `GET /captures/{id}/image` (the stored bytes with their media type, `ETag` = SHA-256, 304 on
 * `If-None-Match`), `GET /vehicles/{id}/sensors` (sensors and their health) and
 * `POST /vehicles/{id}/sensors/{sensor}/capture` (202 with the capture reference).
 *
 * @remarks
 * A capture request waits for the camera (at most `captureTimeout_ms`, wall) and answers with the
 * sensor's dotted code on failure: 404 `SENSOR.UNKNOWN`, 409 `SENSOR.BUSY` / `SENSOR.DENIED` /
 * `SENSOR.UNSUPPORTED`, 422 `SENSOR.INVALID`, 503 `SENSOR.NO_LINK` / `SENSOR.UNAVAILABLE` /
 * `SENSOR.DISPOSED` / `SENSOR.FAILED`, 504 `SENSOR.TIMEOUT`, 507 `SENSOR.STORAGE`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CaptureRecord } from '../../storage/captures.repository.js';
import type { SensorDirectory } from '../../bridge/sensor-directory.js';
import { requireRole } from '../auth/guard.js';
import { sendError, sendStoreError } from '../http-errors.js';
import { errorResponses } from '../schemas.js';
import { CaptureAccepted, CaptureIdParam, CaptureListQuery, CapturePage, CaptureSchema, decodeCursor, encodeCursor, SensorParams, SensorViewSchema } from '../sensor-schemas.js';
import type { CaptureIndexer } from '../capture-indexer.js';
import { bearer, type RouteDeps, type TypedApp } from './deps.js';
import { z } from 'zod';

export interface SensorRouteDeps {
  readonly sensors?: SensorDirectory;
  readonly indexer?: CaptureIndexer;
  /** Longest wait for a camera to take an image, wall ms. Default 10 000. */
  readonly captureTimeout_ms?: number;
}

const STATUS: Record<string, number> = {
  'SENSOR.UNKNOWN': 404,
  'SENSOR.BUSY': 409,
  'SENSOR.DENIED': 409,
  'SENSOR.UNSUPPORTED': 409,
  'SENSOR.INVALID': 422,
  'SENSOR.NO_LINK': 503,
  'SENSOR.UNAVAILABLE': 503,
  'SENSOR.DISPOSED': 503,
  'SENSOR.FAILED': 503,
  'SENSOR.TIMEOUT': 504,
  'SENSOR.STORAGE': 507,
};

/** How long a capture answer waits for the capture's row (its image being stored), wall ms. */
const INDEX_WAIT_MS = 2000;

const view = (c: CaptureRecord) => ({ ...c, footprint: c.footprint ? [...c.footprint] : null, image_url: c.blob_key ? `/captures/${c.id}/image` : null });

export function sensorRoutes(app: TypedApp, { twin, store, auth }: RouteDeps, deps: SensorRouteDeps): void {
  const viewer = requireRole(auth, 'viewer');
  const operator = requireRole(auth, 'operator');
  const errors = errorResponses(401, 403, 404, 409, 422, 503, 504, 507);
  const timeout_ms = deps.captureTimeout_ms ?? 10_000;

  app.get('/captures', {
    onRequest: viewer,
    schema: { tags: ['captures'], summary: 'Stored captures, oldest first, filtered by vehicle, mission, sensor, run', security: bearer, querystring: CaptureListQuery, response: { 200: CapturePage, ...errors } },
  }, async (req) => {
    const { cursor, limit, ...filters } = req.query;
    const offset = cursor === undefined ? 0 : decodeCursor(cursor)!;
    const page = store.captures.list({ ...filters, limit, offset });
    const next = offset + page.items.length;
    return { items: page.items.map(view), total: page.total, next_cursor: next < page.total && page.items.length > 0 ? encodeCursor(next) : null, end_cursor: encodeCursor(next) };
  });

  app.get('/captures/:id', {
    onRequest: viewer,
    schema: { tags: ['captures'], summary: 'One capture: geotag, attitude, footprint, blob', security: bearer, params: CaptureIdParam, response: { 200: CaptureSchema, ...errors } },
  }, async (req, reply) => {
    const r = store.captures.get(req.params.id);
    return r.ok ? view(r.value) : sendStoreError(req, reply, r.error);
  });

  app.get('/captures/:id/image', {
    onRequest: viewer,
    schema: {
      tags: ['captures'],
      summary: "The capture's image bytes, with its media type; ETag is the SHA-256",
      security: bearer,
      params: CaptureIdParam,
      response: { 200: z.any().meta({ description: 'The image (image/jpeg…)' }), 304: z.null().meta({ description: 'Not modified' }), ...errors },
    },
  }, async (req, reply) => {
    const r = store.captures.get(req.params.id);
    if (!r.ok) return sendStoreError(req, reply, r.error);
    const c = r.value;
    if (!c.blob_key) return sendError(req, reply, 404, 'CAPTURE.NO_IMAGE', `capture ${c.id} is kept by the device${c.file_url ? ` at ${c.file_url}` : ''}, not in this store`);
    const meta = store.blobs.meta(c.blob_key);
    const etag = `"${meta.ok ? meta.value.sha256 : (c.sha256 ?? '')}"`;
    reply.header('etag', etag).header('cache-control', 'private, max-age=31536000, immutable');
    if (matches(req.headers['if-none-match'], etag)) return reply.code(304).send(null);
    const bytes = await store.blobs.get(c.blob_key);
    if (!bytes.ok) return sendStoreError(req, reply, bytes.error);
    const type = (meta.ok ? meta.value.media_type : null) ?? c.media_type ?? 'application/octet-stream';
    return reply.type(type).header('content-length', bytes.value.byteLength).send(Buffer.from(bytes.value.buffer, bytes.value.byteOffset, bytes.value.byteLength));
  });

  const knownVehicle = (req: FastifyRequest, reply: FastifyReply, id: string): boolean => {
    if (twin.vehicleIds.includes(id)) return true;
    sendError(req, reply, 404, 'VEHICLE.UNKNOWN', `no vehicle '${id}'`);
    return false;
  };

  app.get('/vehicles/:id/sensors', {
    onRequest: viewer,
    schema: { tags: ['vehicles', 'sensors'], summary: "The vehicle's sensors, their profiles and health", security: bearer, params: z.strictObject({ id: z.string().min(1).max(256) }), response: { 200: z.array(SensorViewSchema), ...errors } },
  }, async (req, reply) => {
    const { id } = req.params;
    if (!knownVehicle(req, reply, id)) return reply;
    const entries = (deps.sensors?.list() ?? []).filter((s) => s.vehicle === id);
    return entries.map((s) => {
      const h = deps.sensors?.health?.(s.vehicle, s.id);
      const latest = latestCapture(store, s.vehicle, s.id);
      return {
        id: s.id,
        vehicle: s.vehicle,
        kind: s.kind,
        model: s.info?.model ?? h?.model ?? null,
        machine_state: h?.machine_state ?? null,
        health: {
          state: h?.state ?? 'offline',
          message: h?.message ?? null,
          t_ms: h?.t_ms ?? null,
          count: h?.count ?? 0,
          lost: h?.lost ?? 0,
          temperature_c: h?.temperature_c ?? null,
          storage_free_mib: h?.storage_free_mib ?? null,
        },
        last_error: h?.last_error ?? null,
        camera: s.info?.camera ?? null,
        lidar: s.info?.lidar ?? null,
        latest_capture: latest ? { index: latest.index, t_ms: latest.t_ms, blob_key: latest.blob_key, capture_id: latest.id } : null,
      };
    });
  });

  app.post('/vehicles/:id/sensors/:sensor/capture', {
    onRequest: operator,
    schema: { tags: ['vehicles', 'sensors'], summary: 'Take one image now; 202 with the capture reference once the camera has it', security: bearer, params: SensorParams, response: { 202: CaptureAccepted, ...errors } },
  }, async (req, reply) => {
    const { id, sensor } = req.params;
    if (!knownVehicle(req, reply, id)) return reply;
    const entry = deps.sensors?.list().find((s) => s.vehicle === id && s.id === sensor);
    if (!deps.sensors || !entry) return sendError(req, reply, 404, 'SENSOR.UNKNOWN', `vehicle '${id}' has no sensor '${sensor}'`);
    if (entry.kind !== 'camera') return sendError(req, reply, 409, 'SENSOR.UNSUPPORTED', `'${sensor}' is a ${entry.kind}, not a camera`);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeout_ms);
    });
    const r = await Promise.race([deps.sensors.capture(id, sensor, req.id), expired]).finally(() => clearTimeout(timer));
    if (r === undefined) return sendError(req, reply, 504, 'SENSOR.TIMEOUT', `the camera did not answer within ${timeout_ms} ms (the image may still be taken)`);
    if (!r.ok) return sendError(req, reply, STATUS[r.error.code] ?? 503, r.error.code.startsWith('SENSOR.') ? r.error.code : 'SENSOR.FAILED', r.error.message);
    const c = r.value;
    req.log.info({ vehicle: id, sensor, index: c.index }, 'capture taken');
    // The row follows the reference once the image is stored: wait a little for its id.
    const captureId = (await deps.indexer?.whenIndexed(id, sensor, c.index, INDEX_WAIT_MS)) ?? null;
    return reply.code(202).send({
      correlation_id: req.id,
      vehicle: id,
      sensor,
      capture: {
        index: c.index,
        t_ms: c.t_ms ?? null,
        pose: c.pose ?? null,
        blob_key: c.blob_key ?? null,
        sha256: c.sha256 ?? null,
        media_type: c.media_type ?? null,
        bytes: c.bytes ?? null,
        capture_id: captureId,
      },
    });
  });
}

function latestCapture(store: RouteDeps['store'], vehicle: string, sensor: string): CaptureRecord | undefined {
  const total = store.captures.list({ vehicle, sensor, limit: 1 }).total;
  if (total === 0) return undefined;
  return store.captures.list({ vehicle, sensor, limit: 1, offset: total - 1 }).items[0];
}

/** `If-None-Match` against one strong ETag (a list, `*`, or weak forms count). */
function matches(header: string | string[] | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const list = (Array.isArray(header) ? header.join(',') : header).split(',').map((s) => s.trim().replace(/^W\//, ''));
  return list.includes('*') || list.includes(etag);
}
