/**
 * `GET /runs` (summaries, newest first), `GET /runs/{id}` (the JSON report) and
 * `GET /runs/{id}/events` (the stored event log, paged by sequence number).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { requireRole } from '../auth/guard.js';
import { errorDoc, parseOr422, sendError } from '../http-errors.js';
import { docSchema, Paging } from '../schemas.js';
import { bearer, idParam, type RouteDeps } from './deps.js';

const EventsQuery = z.object({
  from_seq: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
});

export function runRoutes(app: FastifyInstance, { store, auth }: RouteDeps): void {
  const viewer = requireRole(auth, 'viewer');
  const tags = ['runs'];
  const errors: Record<number, unknown> = { 401: errorDoc, 403: errorDoc, 404: errorDoc, 422: errorDoc };

  app.get('/runs', { preHandler: viewer, schema: { tags, summary: 'Scenario runs, newest first', security: bearer, querystring: docSchema(Paging) } }, async (req, reply) => {
    const page = parseOr422(Paging, req.query, req, reply, 'query');
    return page ? store.runs.list(page.limit, page.offset) : reply;
  });

  app.get('/runs/:id', { preHandler: viewer, schema: { tags, summary: "A run with its report", security: bearer, params: idParam, response: errors } }, async (req, reply) => {
    const r = store.runs.get((req.params as { id: string }).id);
    return r.ok ? r.value : sendError(req, reply, 404, r.error.code, r.error.message);
  });

  app.get('/runs/:id/events', { preHandler: viewer, schema: { tags, summary: "A run's (or session's) stored event log", security: bearer, params: idParam, querystring: docSchema(EventsQuery), response: errors } }, async (req, reply) => {
    const q = parseOr422(EventsQuery, req.query, req, reply, 'query');
    return q ? store.events.list((req.params as { id: string }).id, q.from_seq, q.limit) : reply;
  });
}
