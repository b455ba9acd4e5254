/**
 * The dashboard's live stack for browser tests: a twin on the simulator under a paced clock, the
 * real REST API (SQLite in a temp dir, one operator and one viewer) serving the page, and the
 * real rosbridge server checking the API's tokens — all on 127.0.0.1, free ports.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalFrame } from '../../core/geo.js';
import { createApiServer, type ApiServer } from '../../api/server.js';
import { createAuth, type Auth } from '../../api/auth/index.js';
import { openStore, type Store } from '../../storage/store.js';
import { createBridgeServer, type BridgeServer } from '../../bridge/index.js';
import type { DashboardConfig } from '../../dashboard/index.js';
import type { Twin } from '../../actors/twin.js';
import type { SensorDirectory } from '../../bridge/index.js';
import type { CaptureIndexer } from '../../api/capture-indexer.js';
import { TEST_SCRYPT } from '../api/harness.js';

/** username → [password, role]. */
export const USERS = {
  olga: ['operator-pass', 'operator'],
  vic: ['viewer-pass', 'viewer'],
} as const;

export interface DashboardStack {
  /** Where the browser goes (the API's base URL). */
  readonly url: string;
  readonly bridgeUrl: string;
  readonly auth: Auth;
  readonly bridge: BridgeServer;
  /** Stops the bridge and starts a new one on the same port (a bridge restart). */
  restartBridge(between?: () => Promise<void> | void): Promise<void>;
  close(): Promise<void>;
}

/** Sensors for the stack, built over its store: the directory the bridge and the API serve, and the capture indexer. */
export type StackSensors = (store: Store) => { readonly directory: SensorDirectory; readonly indexer?: CaptureIndexer };

export async function startDashboardStack(twin: Twin, config: (bridgeUrl: string) => DashboardConfig, withSensors?: StackSensors): Promise<DashboardStack> {
  const dir = mkdtempSync(join(tmpdir(), 'twin-dashboard-'));
  let store: Store | undefined;
  let api: ApiServer | undefined;
  try {
    store = openStore({ dir });
    const auth = createAuth({ store, secret: new Uint8Array(32).fill(3), scrypt: TEST_SCRYPT, ttl_s: 3600 });
    for (const [user, [password, role]] of Object.entries(USERS)) {
      const r = await auth.createUser(user, password, role);
      if (!r.ok) throw new Error(`createUser ${user}: ${r.error.message}`);
    }
    const authenticate = (token: string) => auth.verify(token);
    const sensors = withSensors?.(store);
    const sensorOptions = sensors ? { sensors: sensors.directory, blobs: store.blobs } : {};
    let bridge = createBridgeServer({ twin, port: 0, authenticate, ...sensorOptions });
    const { url: bridgeUrl } = await bridge.start();
    const port = Number(new URL(bridgeUrl).port);
    // The API serves the page and /config.json itself (the details only to a valid token).
    api = createApiServer({
      twin,
      store,
      auth,
      port: 0,
      dashboard: () => config(bridgeUrl),
      ...(sensors ? { sensors: sensors.directory, ...(sensors.indexer ? { captureIndexer: sensors.indexer } : {}) } : {}),
    });
    const { url } = await api.start();
    const s = store;
    const a = api;
    const stack: DashboardStack = {
      url,
      bridgeUrl,
      auth,
      get bridge() {
        return bridge;
      },
      async restartBridge(between) {
        await bridge.stop();
        await between?.();
        bridge = createBridgeServer({ twin, port, authenticate, ...sensorOptions });
        await bridge.start();
      },
      async close() {
        sensors?.indexer?.stop();
        await bridge.stop();
        await a.stop();
        s.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
    return stack;
  } catch (error) {
    await api?.stop();
    store?.close();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** A square mission with its south-west corner at (north0, east0): take off, four corners, RTL. */
export function boxMission(frame: LocalFrame, vehicle: string, north0: number, east0: number, side_m = 30, id = `m-${vehicle}`) {
  const wp = (north_m: number, east_m: number) => {
    const p = frame.toGeo({ north_m: north0 + north_m, east_m: east0 + east_m, down_m: -20 });
    return { kind: 'waypoint' as const, lat_deg: p.lat_deg, lon_deg: p.lon_deg, alt_m: 20 };
  };
  return {
    id,
    name: `box ${vehicle}`,
    vehicle,
    items: [{ kind: 'takeoff' as const, alt_m: 20 }, wp(side_m, 0), wp(side_m, side_m), wp(0, side_m), wp(0, 0), { kind: 'rtl' as const }],
  };
}
