/**
 * `createApiServer(...)`: the REST gateway (Fastify 5) over one twin and one store.
 *
 * @remarks
 * Routes declare zod schemas through fastify-type-provider-zod: the same schema validates the
 * request (422 with field-level reasons), types the handler, filters the response (keys outside
 * the response schema are not sent) and renders the OpenAPI document (`/docs`, `/docs/json`).
 * Authentication runs in `onRequest`, before the body is even parsed: a caller without a valid
 * token learns 401, never whether its body would have validated. `POST /token` is rate-limited
 * per address and per user name (@fastify/rate-limit) and its failures are logged at warn on
 * the security logger. Every request carries a correlation id (`x-correlation-id` if the caller
 * sent a sane one, else a fresh UUID): it is echoed in the response header, bound to the
 * request's pino child logger as `cid`, and passed to the twin so the event-log entries the
 * request causes carry it. A 500 never carries internal text (it is logged instead).
 */
import { randomUUID } from 'node:crypto';
import formbody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import { createJsonSchemaTransform, hasZodFastifySchemaValidationErrors, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Twin } from '../actors/twin.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { Metrics } from '../metrics/registry.js';
import type { Store } from '../storage/store.js';
import type { Auth } from './auth/index.js';
import { optionalPrincipal } from './auth/guard.js';
import { sendError } from './http-errors.js';
import { authRoutes, DEFAULT_LOGIN_LIMITS, type LoginLimits } from './routes/auth.routes.js';
import type { RouteDeps } from './routes/deps.js';
import { healthRoutes } from './routes/health.routes.js';
import { missionRoutes } from './routes/missions.routes.js';
import { runRoutes } from './routes/runs.routes.js';
import { jobRoutes } from './routes/jobs.routes.js';
import { sensorRoutes } from './routes/sensors.routes.js';
import type { CaptureIndexer } from './capture-indexer.js';
import { twinSensorDirectory, type SensorDirectory } from '../bridge/sensor-directory.js';
import { vehicleRoutes } from './routes/vehicles.routes.js';

import { DASHBOARD_HEADERS, dashboardAssets, publicDashboardConfig, type DashboardConfig } from '../dashboard/index.js';

export interface ApiServerOptions {
  readonly twin: Twin;
  readonly store: Store;
  readonly auth: Auth;
  /** Default 127.0.0.1: exposing the API is a deliberate choice (`TWIN_HOST`). */
  readonly host?: string;
  /** Default 8080; 0 picks a free port. */
  readonly port?: number;
  readonly logger?: Logger;
  /**
   * Where security events go (failed logins, rate-limited logins, revocations), at warn.
   * Default: `logger`. `startApiServices` passes a child that logs warn even when the general
   * level is higher (`error`, the CLI's default).
   */
  readonly securityLogger?: Logger;
  readonly metrics?: Metrics;
  /** Largest accepted body, bytes. Default 1 MiB. */
  readonly bodyLimit?: number;
  /** `POST /token` limits per address and per user name. Default {@link DEFAULT_LOGIN_LIMITS}. */
  readonly loginLimits?: LoginLimits;
  /**
   * Serve the operator dashboard at `/` with this `/config.json` (absent: no dashboard). Without a
   * token `/config.json` carries only where the API and the bridge are; vehicles, plans and the
   * geofence need a valid token (any role).
   */
  readonly dashboard?: DashboardConfig | (() => DashboardConfig);
  /** The sensors of `GET /vehicles/{id}/sensors` and `POST …/capture`. Default: the twin's own. */
  readonly sensors?: SensorDirectory;
  /** What indexes live captures (for the capture id in a `POST …/capture` answer). */
  readonly captureIndexer?: CaptureIndexer;
  /** Longest wait for a camera on `POST …/capture`, wall ms. Default 10 000. */
  readonly captureTimeout_ms?: number;
}

export interface ApiServer {
  readonly app: FastifyInstance;
  /** Listens; resolves with the base URL (`http://127.0.0.1:<port>`). */
  start(): Promise<{ url: string }>;
  stop(): Promise<void>;
}

const CID = /^[A-Za-z0-9._:-]{1,128}$/;
const CONTEXT_PREFIX: Record<string, string> = { body: '', querystring: 'query', params: 'params', headers: 'headers' };

export function createApiServer(options: ApiServerOptions): ApiServer {
  const { twin, store, auth, metrics } = options;
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 8080;
  const logger = options.logger ?? silentLogger;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Handlers log what matters with the request's child logger; the id is bound as `cid`.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'cid' }),
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    genReqId: (req) => {
      const h = req.headers['x-correlation-id'];
      return typeof h === 'string' && CID.test(h) ? h : randomUUID();
    },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const linkUp = trackLinks(twin);
  const deps: RouteDeps = { twin, store, auth, linkUp: linkUp.map, security: options.securityLogger ?? logger };

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-correlation-id', req.id);
  });
  if (metrics)
    app.addHook('onResponse', async (req, reply) => {
      metrics.http.duration.observe(
        { method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
    });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const prefix = CONTEXT_PREFIX[err.validationContext ?? 'body'] ?? '';
      const issues = err.validation.map((v) => ({
        path: [prefix, ...v.instancePath.split('/').filter((s) => s !== '')].filter((s) => s !== '').join('.') || '(root)',
        message: v.message ?? 'invalid',
      }));
      return sendError(req, reply, 422, 'REQUEST.INVALID', 'the request did not validate', issues);
    }
    const status = err.statusCode ?? 500;
    // A body that is not JSON at all is an invalid body like any other.
    if (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err instanceof SyntaxError)
      return sendError(req, reply, 422, 'REQUEST.INVALID', 'the body is not valid JSON', [{ path: '(root)', message: err.message }]);
    if (status === 429) return sendError(req, reply, 429, 'AUTH.RATE_LIMITED', err.message);
    if (status >= 400 && status < 500) return sendError(req, reply, status, `HTTP.${err.code ?? status}`, err.message);
    req.log.error({ err }, 'request failed');
    return sendError(req, reply, 500, 'INTERNAL', 'internal error');
  });
  app.setNotFoundHandler((req, reply) => sendError(req, reply, 404, 'REQUEST.NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`));

  app.register(formbody);
  app.register(rateLimit, { global: false });
  app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'OverWatch Twin API', version: '0.1.0', description: 'Missions, vehicles, runs and users of an OverWatch Twin. Get a token at POST /token.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
    transform: createJsonSchemaTransform({ skipList: [] }),
  });
  app.register(swaggerUi, { routePrefix: '/docs' });
  // Routes in a plugin registered after swagger, so its onRoute hook sees every one of them.
  app.register(async (api) => {
    const typed = api.withTypeProvider<ZodTypeProvider>();
    authRoutes(typed, deps, options.loginLimits ?? DEFAULT_LOGIN_LIMITS);
    missionRoutes(typed, deps);
    vehicleRoutes(typed, deps);
    runRoutes(typed, deps);
    jobRoutes(typed, deps);
    // The twin's own sensors unless the caller gives a directory.
    const sensors = options.sensors ?? twinSensorDirectory(twin);
    sensorRoutes(typed, deps, {
      ...(sensors ? { sensors } : {}),
      ...(options.captureIndexer ? { indexer: options.captureIndexer } : {}),
      ...(options.captureTimeout_ms !== undefined ? { captureTimeout_ms: options.captureTimeout_ms } : {}),
    });
    healthRoutes(typed, deps, metrics);
    if (options.dashboard) {
      const config = options.dashboard;
      // Static, in-memory assets: no path from a URL ever reaches the disk.
      for (const a of dashboardAssets())
        typed.get(a.path, { schema: { hide: true } }, (_req, reply) => reply.headers(DASHBOARD_HEADERS).type(a.contentType).send(a.body));
      typed.get('/config.json', { schema: { hide: true }, onRequest: optionalPrincipal(auth) }, (req, reply) => {
        const full = typeof config === 'function' ? config() : config;
        reply.headers({ ...DASHBOARD_HEADERS, 'cache-control': 'no-store', vary: 'authorization' }).type('application/json; charset=utf-8');
        return reply.send(JSON.stringify(req.principal ? full : publicDashboardConfig(full)));
      });
    }
  });

  return {
    app,
    async start() {
      const address = await app.listen({ host, port });
      return { url: address };
    },
    async stop() {
      linkUp.stop();
      await app.close();
    },
  };
}

/** Link state per vehicle from the twin's event log (earlier entries first, then live). */
function trackLinks(twin: Twin): { map: Map<string, boolean>; stop: () => void } {
  const map = new Map<string, boolean>();
  const apply = (e: { type: string; source: string; data?: Readonly<Record<string, unknown>> }) => {
    if (e.type === 'port.link') map.set(e.source, e.data?.up === true);
  };
  for (const e of twin.log.entries) apply(e);
  let remove: (() => unknown) | undefined = twin.log.addSink(apply);
  return {
    map,
    stop: () => {
      remove?.();
      remove = undefined;
    },
  };
}
