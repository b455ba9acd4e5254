/**
 * `startApiServices(...)`: the operator-side services over a running twin, composed: the store
 * (`TWIN_DATA_DIR`), the signing key, the first admin, the metrics registry, the persisted
 * event log of this session, and the REST server (`TWIN_HOST`, `TWIN_HTTP_PORT`).
 *
 * @example
 * const twin = createTwin(...); await twin.start();
 * const services = await startApiServices({ twin, logger });
 * // services.url, services.metrics.bridge (for the bridge), services.authenticator (for the bridge)
 * await services.stop(); // stops HTTP, flushes the event log, closes the store
 */
import { randomUUID } from 'node:crypto';
import type { Twin } from '../actors/twin.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { createMetrics, type Metrics } from '../metrics/registry.js';
import { attachEventLogSink, type EventLogSink } from '../storage/event-log.sink.js';
import { persistMissionState } from '../storage/mission-state.sink.js';
import { openStore, dataDir, type Store } from '../storage/store.js';
import { recordTelemetry, type TelemetryRecorder } from '../storage/telemetry.recorder.js';
import { bootstrapAdmin, createAuth, loadOrCreateSecret, type Auth, type Authenticator } from './auth/index.js';
import { createApiServer, type ApiServer } from './server.js';
import { indexCaptures } from './capture-indexer.js';
import { twinSensorDirectory } from '../bridge/sensor-directory.js';
import type { DashboardConfig } from '../dashboard/index.js';

export interface ApiServicesOptions {
  readonly twin: Twin;
  readonly logger?: Logger;
  /** Default `TWIN_DATA_DIR` or `./data`. */
  readonly dir?: string;
  /** Default `TWIN_HOST` or 127.0.0.1. */
  readonly host?: string;
  /** Default `TWIN_HTTP_PORT` or 8080. */
  readonly port?: number;
  /** The id this session's event log is stored under (`GET /runs/{id}/events`). Default `session-<uuid>`. */
  readonly sessionId?: string;
  /** Record telemetry at this rate per vehicle (Hz); 0 (default) records none. */
  readonly telemetryHz?: number;
  /** Reuse a registry (the bridge's gauges live there too). */
  readonly metrics?: Metrics;
  /** Where the first admin's one-time password goes; default: once, to stderr. */
  readonly onOneTimePassword?: (password: string) => void;
  readonly env?: NodeJS.ProcessEnv;
  /** Serve the dashboard at `/` with this `/config.json`. */
  readonly dashboard?: DashboardConfig | (() => DashboardConfig);
}

export interface ApiServices {
  readonly url: string;
  readonly store: Store;
  readonly auth: Auth;
  /** What the bridge takes to check tokens. */
  readonly authenticator: Authenticator;
  readonly metrics: Metrics;
  readonly server: ApiServer;
  readonly sessionId: string;
  readonly eventSink: EventLogSink;
  stop(): Promise<void>;
}

/**
 * The logger for security events: warn and above even when the general level is higher (the
 * CLI's default is `error`), so failed and rate-limited logins are always on record; a silenced
 * logger stays silent.
 */
export function securityLogger(logger: Logger): Logger {
  const level = logger.level;
  if (level === 'silent' || !Number.isFinite(logger.levels.values[level])) return logger.child({ component: 'security' });
  const warn = logger.levels.values.warn!;
  return logger.child({ component: 'security' }, { level: logger.levels.values[level]! > warn ? 'warn' : level });
}

export async function startApiServices(options: ApiServicesOptions): Promise<ApiServices> {
  const env = options.env ?? process.env;
  const logger = options.logger ?? silentLogger;
  const { twin } = options;
  const store = openStore({ dir: options.dir ?? dataDir(env) });
  const cleanups: (() => void)[] = [];
  try {
    if (store.migrated.length) logger.info({ dir: store.dir, migrations: store.migrated }, 'store migrated');
    const secret = loadOrCreateSecret(store.dir, env);
    if (secret.source === 'generated') logger.info({ path: secret.path }, 'generated a JWT signing key');
    const auth = createAuth({ store, secret: secret.key });
    const boot = await bootstrapAdmin(auth, store, env);
    if (boot.oneTimePassword !== undefined) {
      const show = options.onOneTimePassword ?? ((p: string) => process.stderr.write(`twin: first start: user 'admin', one-time password ${p} (set TWIN_ADMIN_PASSWORD to choose it)\n`));
      show(boot.oneTimePassword);
    } else if (boot.created) logger.info('created the admin user from TWIN_ADMIN_PASSWORD');

    const metrics = options.metrics ?? createMetrics();
    cleanups.push(metrics.observeBus(twin.bus), metrics.observeTwin(twin));
    const sessionId = options.sessionId ?? `session-${randomUUID()}`;
    const seen = (id: string) => {
      try {
        store.vehicles.seen(id, twin.port(id).capabilities.autopilot);
      } catch (error) {
        logger.warn({ err: error, vehicle: id }, 'could not record vehicle contact');
      }
    };
    // Entries logged before we attached (the twin usually started first) are stored too.
    const earlier = [...twin.log.entries];
    const eventSink = attachEventLogSink(store, twin.log, {
      runId: sessionId,
      onError: (err) => logger.error({ err }, 'event log write failed; will retry'),
      onBatch: (n, s) => {
        metrics.storage.rows.inc({ table: 'event_log' }, n);
        metrics.storage.batchSeconds.observe(s);
      },
      observe: (e) => {
        metrics.observeEvent(e);
        if (e.type === 'port.link' && e.data?.up === true) seen(e.source);
      },
    });
    cleanups.push(() => eventSink.close());
    cleanups.push(persistMissionState(store, twin, (err) => logger.error({ err }, 'mission state write failed')));
    for (const e of earlier) {
      eventSink.writer.push(e);
      metrics.observeEvent(e);
      if (e.type === 'port.link' && e.data?.up === true) seen(e.source);
    }
    let telemetry: TelemetryRecorder | undefined;
    if ((options.telemetryHz ?? 0) > 0)
      telemetry = recordTelemetry(store, twin.bus, { runId: sessionId, vehicles: twin.vehicleIds, hz: options.telemetryHz, onError: (err) => logger.error({ err }, 'telemetry write failed') });

    // Every capture the cameras publish gets its row (after its blob), under this session.
    const indexer = indexCaptures(store, twin.bus, twin, twinSensorDirectory(twin)?.list() ?? [], {
      run: sessionId,
      logger,
      onIndexed: () => metrics.storage.rows.inc({ table: 'captures' }),
    });
    cleanups.push(() => indexer.stop());
    const port = options.port ?? (env.TWIN_HTTP_PORT ? Number(env.TWIN_HTTP_PORT) : 8080);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`TWIN_HTTP_PORT: not a port: ${env.TWIN_HTTP_PORT}`);
    const server = createApiServer({ twin, store, auth, metrics, logger, securityLogger: securityLogger(logger), host: options.host ?? env.TWIN_HOST ?? '127.0.0.1', port, dashboard: options.dashboard, captureIndexer: indexer });
    const { url } = await server.start();
    logger.info({ url, session: sessionId }, 'REST API listening');
    let stopped = false;
    return {
      url,
      store,
      auth,
      authenticator: auth,
      metrics,
      server,
      sessionId,
      eventSink,
      async stop() {
        if (stopped) return;
        stopped = true;
        await server.stop();
        telemetry?.close();
        for (const c of cleanups) c();
        store.close();
      },
    };
  } catch (error) {
    for (const c of cleanups) c();
    store.close();
    throw error;
  }
}
