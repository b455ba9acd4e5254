/**
 * One error shape for every non-2xx answer:
 * `{ error: { code, message, issues? }, correlation_id }`, where `issues` lists field-level
 * reasons (`{ path: 'waypoints.0.lat', message }`) for 422.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { zodIssues, type FieldIssue } from '../core/mission.js';

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly issues?: readonly FieldIssue[] };
  readonly correlation_id: string;
}

export function sendError(request: FastifyRequest, reply: FastifyReply, status: number, code: string, message: string, issues?: readonly FieldIssue[]): FastifyReply {
  const body: ErrorBody = { error: { code, message, ...(issues ? { issues } : {}) }, correlation_id: request.id };
  return reply.code(status).send(body);
}

/** Parses `data` or answers 422 with the field reasons; returns undefined when it answered. */
export function parseOr422<S extends z.ZodType>(schema: S, data: unknown, request: FastifyRequest, reply: FastifyReply, prefix = ''): z.output<S> | undefined {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  sendError(request, reply, 422, 'REQUEST.INVALID', 'the request did not validate', zodIssues(r.error, prefix));
  return undefined;
}

/** Maps a storage failure code to an HTTP status. */
export function statusOf(code: string): number {
  switch (code) {
    case 'STORE.NOT_FOUND':
      return 404;
    case 'STORE.CONFLICT':
      return 409;
    case 'STORE.CONSTRAINT':
      return 422;
    default:
      return 500;
  }
}

/** Shared OpenAPI fragment for the error answers. */
export const errorDoc = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        issues: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
      },
    },
    correlation_id: { type: 'string' },
  },
} as const;
