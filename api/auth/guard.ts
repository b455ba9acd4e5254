/**
 * The route guard: a Fastify `preHandler` that reads `Authorization: Bearer <jwt>`, answers
 * 401 (no, bad or expired token) or 403 (role too low), and puts the principal on the request.
 */
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Role } from '../../storage/users.repository.js';
import { sendError } from '../http-errors.js';
import { hasRole, type Authenticator, type Principal } from './index.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export function requireRole(auth: Authenticator, role: Role): preHandlerAsyncHookHandler {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!m) {
      reply.header('www-authenticate', 'Bearer');
      return sendError(request, reply, 401, 'AUTH.MISSING', 'a bearer token is required (POST /token)');
    }
    const r = await auth.verify(m[1]!);
    if (!r.ok) {
      reply.header('www-authenticate', `Bearer error="invalid_token"`);
      return sendError(request, reply, 401, r.error.code, r.error.message);
    }
    if (!hasRole(r.value.role, role)) return sendError(request, reply, 403, 'AUTH.FORBIDDEN', `requires the ${role} role`);
    request.principal = r.value;
    request.log = request.log.child({ user: r.value.sub });
  };
}
