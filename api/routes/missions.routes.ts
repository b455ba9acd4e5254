/**
 * `GET/POST/PUT/DELETE /missions[/{id}]` (the original OverWatch mission model) and
 * `POST /missions/{id}/load` (`{ vehicle }`), which hands the mission to a vehicle's mission actor.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { AnyActorRef } from 'xstate';
import { missionActorId } from '../../machines/fleet.machine.js';
import { requireRole } from '../auth/guard.js';
import { errorDoc, parseOr422, sendError, statusOf } from '../http-errors.js';
import { toTwinMission } from '../mission-convert.js';
import { docSchema, LoadBody, MissionBody, MissionUpdateBody, Paging } from '../schemas.js';
import { bearer, idParam, type RouteDeps } from './deps.js';

export function missionRoutes(app: FastifyInstance, { twin, store, auth }: RouteDeps): void {
  const viewer = requireRole(auth, 'viewer');
  const operator = requireRole(auth, 'operator');
  const tags = ['missions'];
  const errors: Record<number, unknown> = { 401: errorDoc, 403: errorDoc, 404: errorDoc, 409: errorDoc, 422: errorDoc };

  app.get('/missions', { preHandler: viewer, schema: { tags, summary: 'List missions', security: bearer, querystring: docSchema(Paging) } }, async (req, reply) => {
    const page = parseOr422(Paging, req.query, req, reply, 'query');
    if (!page) return reply;
    return store.missions.list(page.limit, page.offset);
  });

  app.get('/missions/:id', { preHandler: viewer, schema: { tags, summary: 'One mission', security: bearer, params: idParam, response: errors } }, async (req, reply) => {
    const r = store.missions.get((req.params as { id: string }).id);
    return r.ok ? r.value : sendError(req, reply, statusOf(r.error.code), r.error.code, r.error.message);
  });

  app.post('/missions', { preHandler: operator, schema: { tags, summary: 'Create a mission', security: bearer, body: docSchema(MissionBody), response: errors } }, async (req, reply) => {
    const body = parseOr422(MissionBody, req.body, req, reply);
    if (!body) return reply;
    const { id = randomUUID(), ...fields } = body;
    const r = store.missions.create(id, fields);
    if (!r.ok) return sendError(req, reply, statusOf(r.error.code), r.error.code, r.error.message);
    req.log.info({ mission: id }, 'mission created');
    return reply.code(201).header('location', `/missions/${encodeURIComponent(id)}`).send(r.value);
  });

  app.put('/missions/:id', { preHandler: operator, schema: { tags, summary: 'Replace a mission', security: bearer, params: idParam, body: docSchema(MissionUpdateBody), response: errors } }, async (req, reply) => {
    const body = parseOr422(MissionUpdateBody, req.body, req, reply);
    if (!body) return reply;
    const r = store.missions.update((req.params as { id: string }).id, body);
    return r.ok ? r.value : sendError(req, reply, statusOf(r.error.code), r.error.code, r.error.message);
  });

  app.delete('/missions/:id', { preHandler: operator, schema: { tags, summary: 'Delete a mission', security: bearer, params: idParam, response: errors } }, async (req, reply) => {
    const r = store.missions.delete((req.params as { id: string }).id);
    return r.ok ? reply.code(204).send() : sendError(req, reply, statusOf(r.error.code), r.error.code, r.error.message);
  });

  app.post('/missions/:id/load', { preHandler: operator, schema: { tags, summary: "Load the mission into a vehicle's mission actor", security: bearer, params: idParam, body: docSchema(LoadBody), response: errors } }, async (req, reply) => {
    const body = parseOr422(LoadBody, req.body, req, reply);
    if (!body) return reply;
    const record = store.missions.get((req.params as { id: string }).id);
    if (!record.ok) return sendError(req, reply, 404, record.error.code, record.error.message);
    if (!twin.vehicleIds.includes(body.vehicle)) return sendError(req, reply, 404, 'VEHICLE.UNKNOWN', `no vehicle '${body.vehicle}'`);
    let converted;
    try {
      converted = toTwinMission(record.value, body.vehicle, () => twin.frame());
    } catch (error) {
      return sendError(req, reply, 409, 'TWIN.NO_FRAME', `local waypoints need the world frame: ${(error as Error).message}`);
    }
    if (!converted.mission) return sendError(req, reply, 422, 'MISSION.INVALID', 'the mission is not flyable', converted.issues);
    const ref = twin.fleet.system.get(missionActorId(body.vehicle)) as AnyActorRef | undefined;
    const event = { type: 'LOAD', mission: converted.mission } as const;
    if (!ref?.getSnapshot().can(event))
      return sendError(req, reply, 409, 'MISSION.BUSY', `mission actor is ${twin.missionStatus(body.vehicle)}; it loads a mission when idle or finished`);
    twin.mission(body.vehicle).load(converted.mission, req.id);
    req.log.info({ mission: record.value.id, vehicle: body.vehicle }, 'mission loaded');
    return reply.code(202).send({ correlation_id: req.id, vehicle: body.vehicle, mission_id: record.value.id, status: twin.missionStatus(body.vehicle) });
  });
}
