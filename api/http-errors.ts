/**
 * One error shape for every non-2xx answer:
 * `{ error: { code, message, issues? }, correlation_id }`, where `issues` lists field-level
 * reasons (`{ path: 'waypoints.0.lat', message }`) for 422. A 500 says `INTERNAL` and nothing
 * more: what went wrong is logged with the correlation id, never sent.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Failure } from '../core/result.js';
import type { FieldIssue } from '../core/mission.js';

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly issues?: readonly FieldIssue[] };
  readonly correlation_id: string;
}

/**
 * Sends the error answer. Typed `never` so a typed route handler can `return sendError(...)`
 * whatever its success schema is (the reply is sent; Fastify ignores what the handler returns).
 */
export function sendError(request: FastifyRequest, reply: FastifyReply, status: number, code: string, message: string, issues?: readonly FieldIssue[]): never {
  const body: ErrorBody = { error: { code, message, ...(issues ? { issues } : {}) }, correlation_id: request.id };
  return reply.code(status).send(body as never) as never;
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

/** Answers a storage failure: its code and message for 4xx, a bare `INTERNAL` (and a log line) for the rest. */
export function sendStoreError(request: FastifyRequest, reply: FastifyReply, error: Failure<string>): never {
  const status = statusOf(error.code);
  if (status < 500) return sendError(request, reply, status, error.code, status === 422 ? 'the store refused the record' : error.message);
  request.log.error({ err: error.cause ?? error, code: error.code }, error.message);
  return sendError(request, reply, 500, 'INTERNAL', 'internal error');
}
