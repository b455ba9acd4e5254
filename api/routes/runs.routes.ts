/**
 * `GET /runs` (summaries, newest first), `GET /runs/{id}` (the JSON report) and
 * `GET /runs/{id}/events` (the stored event log, paged by sequence number; 404 for an id that
 * is neither a stored run nor a session with stored events).
 */
import { z } from 'zod';
import { requireRole } from '../auth/guard.js';
import { sendError, sendStoreError } from '../http-errors.js';
import { errorResponses, IdParam, Paging, RunRecordSchema, RunSummarySchema, StoredEntrySchema } from '../schemas.js';
import { bearer, type RouteDeps, type TypedApp } from './deps.js';

const EventsQuery = z.object({
  from_seq: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
});

export function runRoutes(app: TypedApp, { store, auth }: RouteDeps): void {
  const viewer = requireRole(auth, 'viewer');
  const tags = ['runs'];
  const errors = errorResponses(401, 403, 404, 422);

  app.get('/runs', { onRequest: viewer, schema: { tags, summary: 'Scenario runs, newest first', security: bearer, querystring: Paging, response: { 200: z.array(RunSummarySchema), ...errors } } }, async (req) =>
    store.runs.list(req.query.limit, req.query.offset),
  );

  app.get('/runs/:id', { onRequest: viewer, schema: { tags, summary: 'A run with its report', security: bearer, params: IdParam, response: { 200: RunRecordSchema, ...errors } } }, async (req, reply) => {
    const r = store.runs.get(req.params.id);
    // The report is the scenario runner's JSON, sent as stored.
    return r.ok ? { ...r.value, report: r.value.report as unknown as Record<string, unknown> } : sendStoreError(req, reply, r.error);
  });

  app.get('/runs/:id/events', { onRequest: viewer, schema: { tags, summary: "A run's (or session's) stored event log", security: bearer, params: IdParam, querystring: EventsQuery, response: { 200: z.array(StoredEntrySchema), ...errors } } }, async (req, reply) => {
    const { id } = req.params;
    const page = store.events.list(id, req.query.from_seq, req.query.limit);
    if (page.length === 0 && !store.runs.get(id).ok && store.events.count(id) === 0)
      return sendError(req, reply, 404, 'STORE.NOT_FOUND', `run or session '${id}' not found`);
    return page;
  });
}
