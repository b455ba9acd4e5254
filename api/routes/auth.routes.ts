/**
 * `POST /token` (OAuth2 password grant, form-encoded or JSON, rate-limited) and the admin's
 * user management: `GET/POST /users`, `PATCH /users/{username}` (password and/or role),
 * `POST /users/{username}/revoke` and `DELETE /users/{username}`. A password or role change, a
 * revoke and a delete all invalidate the user's tokens at once (REST and bridge).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { requireRole } from '../auth/guard.js';
import { sendError, sendStoreError } from '../http-errors.js';
import { errorResponses, PublicUserSchema, TokenForm, TokenResponse, UserBody, UsernameParam, UserUpdateBody } from '../schemas.js';
import { bearer, type RouteDeps, type TypedApp } from './deps.js';

/** A window of `max` requests per `timeWindow_ms`. */
export interface Window {
  readonly max: number;
  readonly timeWindow_ms: number;
}

export interface LoginLimits {
  /** Logins per client address (all user names). */
  readonly perAddress: Window;
  /** Logins per user name (all addresses): the cap on guessing one account's password. */
  readonly perUser: Window;
}

/** 30 logins a minute from one address, 10 a minute for one user name. */
export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  perAddress: { max: 30, timeWindow_ms: 60_000 },
  perUser: { max: 10, timeWindow_ms: 60_000 },
};

const userOf = (req: FastifyRequest): string => {
  const u = (req.body as { username?: unknown } | undefined)?.username;
  return typeof u === 'string' ? u.slice(0, 64).toLowerCase() : '';
};

export function authRoutes(app: TypedApp, { store, auth, security }: RouteDeps, limits: LoginLimits): void {
  const admin = requireRole(auth, 'admin');
  const errors = errorResponses(401, 403, 404, 409, 422);
  // One line per key and window, not one per refused request: a flood must not become a log flood.
  const logged = new Map<string, number>();
  const limited = (kind: 'address' | 'user') => (req: FastifyRequest, key: string) => {
    const window = kind === 'address' ? limits.perAddress.timeWindow_ms : limits.perUser.timeWindow_ms;
    const now = Date.now();
    if (now - (logged.get(key) ?? -Infinity) < window) return;
    if (logged.size > 10_000) logged.clear();
    logged.set(key, now);
    security.warn({ cid: req.id, remote: req.ip, user: userOf(req), limit: kind, key }, 'login rate limit reached');
  };
  const builder = (kind: string) => (_req: FastifyRequest, ctx: { after: string; statusCode: number }) => {
    const e = new Error(`too many logins for this ${kind}; retry in ${ctx.after}`) as Error & { statusCode: number };
    e.statusCode = ctx.statusCode;
    return e;
  };
  // The per-address window is counted before the body is read (onRequest), the per-user one
  // after (the name is in the body). The plugin runs one handler per request, so the second
  // window is asked directly.
  const perAddress = app.rateLimit({ max: limits.perAddress.max, timeWindow: limits.perAddress.timeWindow_ms, onExceeded: limited('address'), errorResponseBuilder: builder('address') });
  const userWindow = app.createRateLimit({ max: limits.perUser.max, timeWindow: limits.perUser.timeWindow_ms, keyGenerator: (req) => `token-user:${userOf(req)}` });
  const perUser = async (req: FastifyRequest, reply: FastifyReply) => {
    const r = await userWindow(req);
    if (r.isAllowed || !r.isExceeded) return;
    limited('user')(req, r.key);
    reply.header('retry-after', String(r.ttlInSeconds));
    return sendError(req, reply, 429, 'AUTH.RATE_LIMITED', `too many logins for this user; retry in ${r.ttlInSeconds} s`);
  };

  app.post('/token', {
    onRequest: perAddress,
    preHandler: perUser,
    schema: {
      tags: ['auth'],
      summary: 'OAuth2 password flow: username + password → bearer JWT',
      consumes: ['application/x-www-form-urlencoded', 'application/json'],
      body: TokenForm,
      response: { 200: TokenResponse, ...errorResponses(401, 422, 429) },
    },
  }, async (req, reply) => {
    const form = req.body;
    const r = await auth.login(form.username, form.password);
    if (!r.ok) {
      security.warn({ cid: req.id, user: form.username, remote: req.ip }, 'login failed');
      reply.header('www-authenticate', 'Bearer');
      return sendError(req, reply, 401, r.error.code, r.error.message);
    }
    // RFC 6749 §5.1: token responses are not cached.
    return reply.header('cache-control', 'no-store').send(r.value);
  });

  app.get('/users', { onRequest: admin, schema: { tags: ['users'], summary: 'Users (admin)', security: bearer, response: { 200: z.array(PublicUserSchema), ...errors } } }, async () => store.users.list());

  app.post('/users', { onRequest: admin, schema: { tags: ['users'], summary: 'Create a user (admin)', security: bearer, body: UserBody, response: { 201: PublicUserSchema, ...errors } } }, async (req, reply) => {
    const body = req.body;
    const r = await auth.createUser(body.username, body.password, body.role);
    if (!r.ok) return sendStoreError(req, reply, r.error);
    req.log.info({ created: body.username, role: body.role }, 'user created');
    return reply.code(201).send(r.value);
  });

  app.patch('/users/:username', { onRequest: admin, schema: { tags: ['users'], summary: "Change a user's password and/or role (admin); the user's tokens are revoked", security: bearer, params: UsernameParam, body: UserUpdateBody, response: { 200: PublicUserSchema, ...errors } } }, async (req, reply) => {
    const { username } = req.params;
    const { password, role } = req.body;
    if (role !== undefined) {
      const r = store.users.setRole(username, role);
      if (!r.ok) return sendStoreError(req, reply, r.error);
    }
    if (password !== undefined) {
      const r = await auth.setPassword(username, password);
      if (!r.ok) return sendStoreError(req, reply, r.error);
    }
    security.warn({ cid: req.id, by: req.principal?.sub, user: username, role, password: password !== undefined }, 'user changed; tokens revoked');
    const u = store.users.get(username);
    return u.ok ? { username: u.value.username, role: u.value.role, created_at: u.value.created_at } : sendStoreError(req, reply, u.error);
  });

  app.post('/users/:username/revoke', { onRequest: admin, schema: { tags: ['users'], summary: "Revoke every token issued to the user so far (admin)", security: bearer, params: UsernameParam, response: { 204: z.undefined(), ...errors } } }, async (req, reply) => {
    const r = store.users.revokeTokens(req.params.username);
    if (!r.ok) return sendStoreError(req, reply, r.error);
    security.warn({ cid: req.id, by: req.principal?.sub, user: req.params.username }, 'tokens revoked');
    return reply.code(204).send();
  });

  app.delete('/users/:username', { onRequest: admin, schema: { tags: ['users'], summary: 'Delete a user (admin); its tokens stop working', security: bearer, params: UsernameParam, response: { 204: z.undefined(), ...errors } } }, async (req, reply) => {
    const { username } = req.params;
    if (username === req.principal?.sub) return sendError(req, reply, 409, 'USER.SELF', 'an admin cannot delete itself');
    const r = store.users.delete(username);
    if (!r.ok) return sendStoreError(req, reply, r.error);
    security.warn({ cid: req.id, by: req.principal?.sub, user: username }, 'user deleted');
    return reply.code(204).send();
  });
}
