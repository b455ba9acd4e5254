/**
 * The operator side over a running twin, composed: storage + REST API + dashboard (one HTTP
 * server, `TWIN_HTTP_PORT`, default 8080) and the rosbridge WebSocket bridge (`TWIN_BRIDGE_PORT`,
 * default 9090), bound to `TWIN_HOST` (default 127.0.0.1). The bridge checks tokens with the
 * API's authenticator and reports into the same metrics registry.
 */
import type { Twin } from '../actors/twin.js';
import type { Scenario } from '../actors/scenario/scenario.schema.js';
import { toLocal } from '../actors/scenario/mission-builder.js';
import type { Logger } from '../core/logger.js';
import { startApiServices } from '../api/services.js';
import { bridgeMetricsFrom, createBridgeServer } from '../bridge/index.js';
import { dashboardConfig, planFromMission, type DashboardConfig } from '../dashboard/index.js';
import { announcedBlobReader, type AnnouncedBlobReader } from '../storage/blob-reader.js';
import { createBlobSink } from '../storage/blob.sink.js';
import type { BlobSink } from '../hardware/sensor.port.js';

export interface OperatorServices {
  readonly apiUrl: string;
  readonly bridgeUrl: string;
  /** The store's blob store, for the sensors of the session (images and point clouds the API and bridge serve). */
  readonly blobs: BlobSink;
  /** Reads the store's blobs, waiting for ones announced before their bytes (the `--ros` face republishes images and scans). */
  readonly blobReader: AnnouncedBlobReader;
  stop(): Promise<void>;
}

function envPort(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name}: not a port: ${raw}`);
  return n;
}

export async function startOperatorServices(options: {
  twin: Twin;
  scenario?: Scenario;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  onOneTimePassword?: (password: string) => void;
}): Promise<OperatorServices> {
  const { twin, scenario, logger } = options;
  const env = options.env ?? process.env;
  const host = env.TWIN_HOST ?? '127.0.0.1';
  const bridgePort = envPort(env, 'TWIN_BRIDGE_PORT', 9090);
  const httpPort = envPort(env, 'TWIN_HTTP_PORT', 8080);
  let boundBridgePort = bridgePort;

  // Evaluated per request: the frame (origin 'home') and the missions are known only later.
  const config = (): DashboardConfig => {
    let frame;
    try {
      frame = twin.frame();
    } catch {
      return dashboardConfig({ bridgePort: boundBridgePort, vehicles: twin.vehicleIds });
    }
    const plans: Record<string, ReturnType<typeof planFromMission>> = {};
    for (const id of twin.vehicleIds) {
      const mission = twin.mission(id).context().mission;
      const home = twin.port(id).home();
      if (mission) plans[id] = planFromMission(mission, frame, home ? frame.toLocal(home.lat_deg, home.lon_deg) : undefined);
    }
    const fence = scenario?.world.geofence?.polygon?.map((p) => toLocal(frame, p));
    return dashboardConfig({ bridgePort: boundBridgePort, vehicles: twin.vehicleIds, plans, ...(fence ? { geofenceLocal: fence } : {}) });
  };

  const api = await startApiServices({ twin, logger, env, host, port: httpPort, dashboard: config, onOneTimePassword: options.onOneTimePassword });
  try {
    const bridge = createBridgeServer({
      twin,
      host,
      port: bridgePort,
      authenticate: (token) => api.authenticator.verify(token),
      logger,
      metrics: bridgeMetricsFrom(api.metrics.bridge),
      // Images announced before their bytes land (the sim camera) are read once stored.
      blobs: announcedBlobReader(api.store.blobs),
    });
    const { url: bridgeUrl } = await bridge.start();
    boundBridgePort = Number(new URL(bridgeUrl).port);
    return {
      apiUrl: api.url,
      bridgeUrl,
      blobs: createBlobSink(api.store.blobs),
      blobReader: announcedBlobReader(api.store.blobs),
      async stop() {
        await bridge.stop();
        await api.stop();
      },
    };
  } catch (error) {
    await api.stop();
    throw error;
  }
}
