/**
 * The route guards: Fastify `onRequest` hooks (they run before the body is parsed or
 * validated) that read `Authorization: Bearer <jwt>`, answer 401 (no, bad, expired or revoked
 * token) or 403 (role too low), and put the principal on the request.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Role } from '../../storage/users.repository.js';
import { sendError } from '../http-errors.js';
import { hasRole, type Authenticator, type Principal } from './index.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export type Guard = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

const BEARER = /^Bearer\s+(\S+)$/i;

/** Answers 401/403 unless the caller's token is valid now and its user has at least `role`. */
export function requireRole(auth: Authenticator, role: Role): Guard {
  return async (request, reply) => {
    const header = request.headers.authorization;
    const m = typeof header === 'string' ? BEARER.exec(header) : null;
    if (!m) {
      reply.header('www-authenticate', 'Bearer');
      return sendError(request, reply, 401, 'AUTH.MISSING', 'a bearer token is required (POST /token)');
    }
    return check(auth, m[1]!, role, request, reply);
  };
}

/** No `Authorization` header: the request goes on without a principal; a bad one is a 401. */
export function optionalPrincipal(auth: Authenticator): Guard {
  return async (request, reply) => {
    const header = request.headers.authorization;
    if (header === undefined) return;
    const m = typeof header === 'string' ? BEARER.exec(header) : null;
    if (!m) {
      reply.header('www-authenticate', 'Bearer');
      return sendError(request, reply, 401, 'AUTH.INVALID', 'Authorization must be "Bearer <token>"');
    }
    return check(auth, m[1]!, 'viewer', request, reply);
  };
}

async function check(auth: Authenticator, token: string, role: Role, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const r = await auth.verify(token);
  if (!r.ok) {
    reply.header('www-authenticate', `Bearer error="invalid_token"`);
    return sendError(request, reply, 401, r.error.code, r.error.message);
  }
  if (!hasRole(r.value.role, role)) return sendError(request, reply, 403, 'AUTH.FORBIDDEN', `requires the ${role} role`);
  request.principal = r.value;
  request.log = request.log.child({ user: r.value.sub });
  return undefined;
}
