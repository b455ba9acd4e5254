/**
 * `GET /jobs` (the HPC jobs the twin submitted, newest first) and `GET /jobs/{id}` (one job, by
 * the twin's key `hpc:<vehicle>:<n>` or the HPC service's job id; 404 `JOB.NOT_FOUND` for
 * neither). Read off the bus's `/hpc/jobs` from the moment the API starts (actors/hpc-job-book.ts).
 */
import { z } from 'zod';
import { HpcJobBook } from '../../actors/hpc-job-book.js';
import { requireRole } from '../auth/guard.js';
import { sendError } from '../http-errors.js';
import { errorResponses } from '../schemas.js';
import { bearer, type RouteDeps, type TypedApp } from './deps.js';

/** A job id as the API accepts it: the twin's key or a UUID. */
export const JobIdParam = z.strictObject({
  id: z
    .string()
    .max(64)
    .regex(/^(hpc:[a-z][a-z0-9_]{0,31}:[1-9][0-9]{0,8}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/, 'a job key hpc:<vehicle>:<n> or the service job id (UUID)'),
});

const JobsQuery = z.object({
  vehicle: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/).optional(),
  state: z.enum(['GATHERING', 'QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const HpcJobSchema = z.object({
  key: z.string(),
  job_id: z.string().nullable(),
  vehicle: z.string(),
  processing_type: z.string(),
  source: z.string(),
  state: z.enum(['GATHERING', 'QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED']),
  progress: z.number().min(0).max(1).describe('0..1, as the HPC worker reports it'),
  t_ms: z.number().describe('clock time of this status, ms (sim time in a simulated run)'),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  result: z
    .object({
      blob_key: z.string(),
      bytes: z.number(),
      sha256: z.string(),
      media_type: z.string(),
      output_points: z.number(),
      world_file_key: z.string().optional(),
    })
    .optional(),
});

export function jobRoutes(app: TypedApp, { twin, auth }: RouteDeps): void {
  const viewer = requireRole(auth, 'viewer');
  const tags = ['jobs'];
  const book = new HpcJobBook(twin.bus);
  app.addHook('onClose', async () => book.close());

  app.get('/jobs', { onRequest: viewer, schema: { tags, summary: 'HPC jobs the twin submitted, newest first', security: bearer, querystring: JobsQuery, response: { 200: z.array(HpcJobSchema), ...errorResponses(401, 403, 422) } } }, async (req) =>
    book
      .list()
      .filter((j) => (!req.query.vehicle || j.vehicle === req.query.vehicle) && (!req.query.state || j.state === req.query.state))
      .slice(0, req.query.limit),
  );

  app.get('/jobs/:id', { onRequest: viewer, schema: { tags, summary: 'One HPC job', security: bearer, params: JobIdParam, response: { 200: HpcJobSchema, ...errorResponses(401, 403, 404, 422) } } }, async (req, reply) => {
    const job = book.get(req.params.id);
    return job ?? sendError(req, reply, 404, 'JOB.NOT_FOUND', `job '${req.params.id}' not found`);
  });
}
