/**
 * `GET /vehicles[/{id}]`, `POST /vehicles/{id}/commands` (202 + correlation id; the result
 * lands in the event log under that id) and `POST /vehicles/{id}/mission/{action}`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { VehicleCommand } from '../../machines/vehicle.machine.js';
import { requireRole } from '../auth/guard.js';
import { sendError } from '../http-errors.js';
import { CommandBody, errorResponses, IdParam, MissionActionBody, VehicleViewSchema } from '../schemas.js';
import { vehicleView } from '../vehicle-view.js';
import { bearer, type RouteDeps, type TypedApp } from './deps.js';

const Accepted = z.object({ correlation_id: z.string(), vehicle: z.string(), command: z.record(z.string(), z.unknown()) });
const ActionAccepted = z.object({ correlation_id: z.string(), vehicle: z.string(), action: z.string(), status: z.string() });
const ACTIONS = ['start', 'pause', 'resume', 'abort'] as const;
type Action = (typeof ACTIONS)[number];

export function vehicleRoutes(app: TypedApp, { twin, auth, linkUp }: RouteDeps): void {
  const viewer = requireRole(auth, 'viewer');
  const operator = requireRole(auth, 'operator');
  const tags = ['vehicles'];
  const errors = errorResponses(401, 403, 404, 409, 422, 503);
  const known = (req: FastifyRequest, reply: FastifyReply): string | undefined => {
    const id = (req.params as { id: string }).id;
    if (twin.vehicleIds.includes(id)) return id;
    sendError(req, reply, 404, 'VEHICLE.UNKNOWN', `no vehicle '${id}'`);
    return undefined;
  };

  app.get('/vehicles', { onRequest: viewer, schema: { tags, summary: 'Every vehicle: state, mode, armed, battery, position, link, mission', security: bearer, response: { 200: z.array(VehicleViewSchema), ...errors } } }, async () =>
    twin.vehicleIds.map((id) => vehicleView(twin, id, linkUp.get(id) ?? false)),
  );

  app.get('/vehicles/:id', { onRequest: viewer, schema: { tags, summary: 'One vehicle', security: bearer, params: IdParam, response: { 200: VehicleViewSchema, ...errors } } }, async (req, reply) => {
    const id = known(req, reply);
    return id === undefined ? reply : vehicleView(twin, id, linkUp.get(id) ?? false);
  });

  app.post('/vehicles/:id/commands', { onRequest: operator, schema: { tags, summary: 'Send a command; 202 with the correlation id its result is logged under', security: bearer, params: IdParam, body: CommandBody, response: { 202: Accepted, ...errors } } }, async (req, reply) => {
    const id = known(req, reply);
    if (id === undefined) return reply;
    const body = req.body;
    let command: VehicleCommand;
    try {
      command = toCommand(body, () => twin.frame());
    } catch (error) {
      return sendError(req, reply, 409, 'TWIN.NO_FRAME', (error as Error).message);
    }
    twin.command(id, command, req.id);
    req.log.info({ vehicle: id, command }, 'command accepted');
    return reply.code(202).send({ correlation_id: req.id, vehicle: id, command });
  });

  app.post('/vehicles/:id/mission/:action', {
    onRequest: operator,
    schema: {
      tags,
      summary: "Drive the vehicle's mission: start, pause, resume or abort",
      security: bearer,
      params: z.strictObject({ id: z.string().min(1).max(256), action: z.string().max(64) }),
      body: MissionActionBody.nullish().transform((b) => b ?? {}),
      response: { 202: ActionAccepted, ...errors },
    },
  }, async (req, reply) => {
    const action = (req.params as { action: string }).action as Action;
    if (!ACTIONS.includes(action)) return sendError(req, reply, 404, 'REQUEST.NOT_FOUND', `no mission action '${action}'`);
    const id = known(req, reply);
    if (id === undefined) return reply;
    const body = req.body;
    // The mission actor answers for itself: 409 when its state does not take the request.
    const m = twin.mission(id);
    const r = action === 'abort' ? m.abort(body.reason ?? 'operator abort', req.id) : m[action](req.id);
    if (!r.ok) return sendError(req, reply, r.error.code === 'MISSION.UNAVAILABLE' ? 503 : 409, r.error.code, r.error.message);
    req.log.info({ vehicle: id, action }, 'mission action');
    return reply.code(202).send({ correlation_id: req.id, vehicle: id, action, status: r.status });
  });
}

function toCommand(body: CommandBody, frame: () => { toLatLon(n: number, e: number): { lat_deg: number; lon_deg: number } }): VehicleCommand {
  switch (body.command) {
    case 'takeoff':
      return body.alt === undefined ? { kind: 'takeoff' } : { kind: 'takeoff', alt_m: body.alt };
    case 'goto': {
      const p = body.lat !== undefined && body.lon !== undefined ? { lat_deg: body.lat, lon_deg: body.lon } : frame().toLatLon(body.north!, body.east!);
      return { kind: 'goto', ...p, alt_m: body.alt };
    }
    default:
      return { kind: body.command };
  }
}
