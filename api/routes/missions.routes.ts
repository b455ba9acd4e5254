/**
 * `GET/POST/PUT/DELETE /missions[/{id}]` (the original OverWatch mission model) and
 * `POST /missions/{id}/load` (`{ vehicle }`), which hands the mission to a vehicle's mission actor.
 *
 * @remarks
 * A mission is stored only if it can be loaded: creation and replacement convert it to the
 * runtime's items (takeoff, waypoints, end) and check those, so a stored mission never fails
 * for its size or shape later. Loading answers 202 only when the mission machine took it
 * (`status: LOADED`); a refusal is 422 (with the machine's field reasons) or 409 (busy).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { LocalFrame } from '../../core/geo.js';
import { requireRole } from '../auth/guard.js';
import { sendError, sendStoreError } from '../http-errors.js';
import { toTwinMission } from '../mission-convert.js';
import { errorResponses, IdParam, LoadBody, MissionBody, MissionRecordSchema, MissionUpdateBody, Paging, type MissionBody as MissionFields } from '../schemas.js';
import { bearer, type RouteDeps, type TypedApp } from './deps.js';

/** Where local waypoints are placed for the creation check when the twin has no frame yet. */
const CHECK_FRAME = new LocalFrame({ lat_deg: 45, lon_deg: 7, alt_m: 0 });

export function missionRoutes(app: TypedApp, { twin, store, auth }: RouteDeps): void {
  const viewer = requireRole(auth, 'viewer');
  const operator = requireRole(auth, 'operator');
  const tags = ['missions'];
  const errors = errorResponses(401, 403, 404, 409, 422, 503);

  /** The runtime's check of what loading this mission would produce; issues name stored fields. */
  const loadable = (id: string, fields: Omit<MissionFields, 'id'>) => {
    const frame = (): LocalFrame => {
      try {
        return twin.frame();
      } catch {
        return CHECK_FRAME;
      }
    };
    const t = new Date(0).toISOString();
    return toTwinMission({ id, ...fields, created_at: t, updated_at: t }, 'check', frame).issues;
  };

  app.get('/missions', { onRequest: viewer, schema: { tags, summary: 'List missions', security: bearer, querystring: Paging, response: { 200: z.array(MissionRecordSchema), ...errors } } }, async (req) =>
    store.missions.list(req.query.limit, req.query.offset),
  );

  app.get('/missions/:id', { onRequest: viewer, schema: { tags, summary: 'One mission', security: bearer, params: IdParam, response: { 200: MissionRecordSchema, ...errors } } }, async (req, reply) => {
    const r = store.missions.get(req.params.id);
    return r.ok ? r.value : sendStoreError(req, reply, r.error);
  });

  app.post('/missions', { onRequest: operator, schema: { tags, summary: 'Create a mission (checked as it would load)', security: bearer, body: MissionBody, response: { 201: MissionRecordSchema, ...errors } } }, async (req, reply) => {
    const { id = randomUUID(), ...fields } = req.body;
    const issues = loadable(id, fields);
    if (issues.length) return sendError(req, reply, 422, 'MISSION.INVALID', 'the mission would not load', issues);
    const r = store.missions.create(id, fields);
    if (!r.ok) return sendStoreError(req, reply, r.error);
    req.log.info({ mission: id }, 'mission created');
    return reply.code(201).header('location', `/missions/${encodeURIComponent(id)}`).send(r.value);
  });

  app.put('/missions/:id', { onRequest: operator, schema: { tags, summary: 'Replace a mission (checked as it would load)', security: bearer, params: IdParam, body: MissionUpdateBody, response: { 200: MissionRecordSchema, ...errors } } }, async (req, reply) => {
    const issues = loadable(req.params.id, req.body);
    if (issues.length) return sendError(req, reply, 422, 'MISSION.INVALID', 'the mission would not load', issues);
    const r = store.missions.update(req.params.id, req.body);
    return r.ok ? r.value : sendStoreError(req, reply, r.error);
  });

  app.delete('/missions/:id', { onRequest: operator, schema: { tags, summary: 'Delete a mission', security: bearer, params: IdParam, response: { 204: z.undefined(), ...errors } } }, async (req, reply) => {
    const r = store.missions.delete(req.params.id);
    return r.ok ? reply.code(204).send() : sendStoreError(req, reply, r.error);
  });

  const Loaded = z.object({ correlation_id: z.string(), vehicle: z.string(), mission_id: z.string(), status: z.string() });
  app.post('/missions/:id/load', { onRequest: operator, schema: { tags, summary: "Load the mission into a vehicle's mission actor: 202 once it is LOADED", security: bearer, params: IdParam, body: LoadBody, response: { 202: Loaded, ...errors } } }, async (req, reply) => {
    const { vehicle } = req.body;
    const record = store.missions.get(req.params.id);
    if (!record.ok) return sendStoreError(req, reply, record.error);
    if (!twin.vehicleIds.includes(vehicle)) return sendError(req, reply, 404, 'VEHICLE.UNKNOWN', `no vehicle '${vehicle}'`);
    let converted;
    try {
      converted = toTwinMission(record.value, vehicle, () => twin.frame());
    } catch (error) {
      return sendError(req, reply, 409, 'TWIN.NO_FRAME', `local waypoints need the world frame: ${(error as Error).message}`);
    }
    if (!converted.mission) return sendError(req, reply, 422, 'MISSION.INVALID', 'the mission is not flyable', converted.issues);
    // The mission actor's own answer: what the machine did with it, not a guess before it.
    const r = twin.mission(vehicle).load(converted.mission, req.id);
    if (!r.ok) {
      const status = r.error.code === 'MISSION.BUSY' ? 409 : r.error.code === 'MISSION.UNAVAILABLE' ? 503 : 422;
      req.log.info({ mission: record.value.id, vehicle, code: r.error.code }, 'mission load refused');
      return sendError(req, reply, status, r.error.code, r.error.message, r.error.fields);
    }
    req.log.info({ mission: record.value.id, vehicle }, 'mission loaded');
    return reply.code(202).send({ correlation_id: req.id, vehicle, mission_id: record.value.id, status: r.status });
  });
}
