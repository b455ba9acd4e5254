/**
 * `GET /healthz` (the store answers a query and the twin is up) and `GET /metrics`
 * (Prometheus exposition). Both unauthenticated: the server binds 127.0.0.1 by default, and
 * a scraper rarely carries a JWT.
 */
import type { Metrics } from '../../metrics/registry.js';
import type { RouteDeps, TypedApp } from './deps.js';

export function healthRoutes(app: TypedApp, { store, twin }: RouteDeps, metrics?: Metrics): void {
  app.get('/healthz', { schema: { tags: ['ops'], summary: 'Liveness and readiness' } }, async (_req, reply) => {
    let db = true;
    try {
      store.db.prepare('SELECT 1').get();
    } catch {
      db = false;
    }
    return reply.code(db ? 200 : 503).send({ status: db ? 'ok' : 'degraded', store: db ? 'ok' : 'error', vehicles: twin.vehicleIds.length, clock: twin.clock.kind });
  });

  if (metrics)
    app.get('/metrics', { schema: { tags: ['ops'], summary: 'Prometheus metrics' } }, async (_req, reply) =>
      reply.type(metrics.contentType).send(await metrics.text()),
    );
}
