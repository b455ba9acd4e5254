/**
 * `POST /token` (OAuth2 password grant, form-encoded or JSON) and the admin's `GET/POST /users`.
 */
import type { FastifyInstance } from 'fastify';
import { requireRole } from '../auth/guard.js';
import { errorDoc, parseOr422, sendError, statusOf } from '../http-errors.js';
import { docSchema, TokenForm, UserBody } from '../schemas.js';
import { bearer, type RouteDeps } from './deps.js';

export function authRoutes(app: FastifyInstance, { store, auth }: RouteDeps): void {
  const admin = requireRole(auth, 'admin');
  const tokenDoc = {
    type: 'object',
    properties: { access_token: { type: 'string' }, token_type: { type: 'string', enum: ['bearer'] }, expires_in: { type: 'integer' } },
  };

  app.post('/token', {
    schema: {
      tags: ['auth'],
      summary: 'OAuth2 password flow: username + password → bearer JWT',
      consumes: ['application/x-www-form-urlencoded', 'application/json'],
      body: docSchema(TokenForm),
      response: { 200: tokenDoc, 401: errorDoc, 422: errorDoc } as Record<number, unknown>,
    },
  }, async (req, reply) => {
    const form = parseOr422(TokenForm, req.body ?? {}, req, reply);
    if (!form) return reply;
    const r = await auth.login(form.username, form.password);
    if (!r.ok) {
      req.log.warn({ user: form.username }, 'login failed');
      reply.header('www-authenticate', 'Bearer');
      return sendError(req, reply, 401, r.error.code, r.error.message);
    }
    // RFC 6749 §5.1: token responses are not cached.
    return reply.header('cache-control', 'no-store').send(r.value);
  });

  app.get('/users', { preHandler: admin, schema: { tags: ['users'], summary: 'Users (admin)', security: bearer } }, async () => store.users.list());

  app.post('/users', { preHandler: admin, schema: { tags: ['users'], summary: 'Create a user (admin)', security: bearer, body: docSchema(UserBody), response: { 401: errorDoc, 403: errorDoc, 409: errorDoc, 422: errorDoc } as Record<number, unknown> } }, async (req, reply) => {
    const body = parseOr422(UserBody, req.body, req, reply);
    if (!body) return reply;
    const r = await auth.createUser(body.username, body.password, body.role);
    if (!r.ok) return sendError(req, reply, statusOf(r.error.code), r.error.code, r.error.message);
    req.log.info({ created: body.username, role: body.role }, 'user created');
    return reply.code(201).send(r.value);
  });
}
