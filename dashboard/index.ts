/**
 * The live web dashboard: static files (no build step, nothing from the internet) plus the small
 * `/config.json` the page reads, for whichever HTTP server hosts it.
 *
 * @remarks
 * The page (`dashboard/public/`) is hand-written ES modules. It logs in with `POST /token` on its
 * own origin, reads `/config.json` (without a token: where the API and bridge are; with its
 * token after login: the vehicles, plans and geofence too), then talks to the rosbridge server directly over WebSocket
 * (auth message first, then subscribe / call_service), so the host only has to serve files.
 *
 * `/config.json` ({@link DashboardConfig}), every field optional:
 * - `bridgeUrl`: `ws://host:9090/` (absolute), or a path such as `/ws` (same host and port, behind
 *   a proxy). Absent: the page's own host name on `bridgePort` (default 9090).
 * - `apiBase`: where `/token` and `/vehicles` are, when not on the page's origin.
 * - `vehicles`: ids to show before the bridge lists them (it does, via `/rosapi/topics`).
 * - `geofence`, `plans`: drawn on the map, in the bridge's `map` frame (ENU metres: x east,
 *   y north); a plan is indexed like its mission items so `current_waypoint` picks its point.
 *
 * @example
 * // node:http
 * const dashboard = serveDashboard({ config: () => ({ bridgeUrl: 'ws://10.0.0.5:9090/' }) });
 * http.createServer((req, res) => { if (!dashboard(req, res)) api(req, res); });
 * @example
 * // fastify
 * for (const a of dashboardAssets()) app.get(a.path, (_req, reply) => reply.type(a.contentType).send(a.body));
 * app.get('/config.json', () => dashboardConfig({ bridgePort: 9090 }));
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LocalFrame, LocalXY } from '../core/geo.js';
import type { MissionItemInput } from '../core/mission.js';

export interface DashboardAsset {
  /** URL path, e.g. `/js/app.js`; the page itself is both `/` and `/index.html`. */
  readonly path: string;
  readonly contentType: string;
  readonly body: Buffer;
}

/** A point of the `map` frame: ENU metres from the twin's origin (x east, y north). */
export interface MapPoint {
  readonly x: number;
  readonly y: number;
}

/** What `/config.json` carries (see the module comment). */
export interface DashboardConfig {
  readonly bridgeUrl?: string;
  readonly bridgePort?: number;
  readonly apiBase?: string;
  readonly vehicles?: readonly string[];
  readonly geofence?: readonly MapPoint[];
  readonly plans?: Readonly<Record<string, readonly (MapPoint | null)[]>>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/**
 * Sent with every dashboard response by {@link serveDashboard}; a host mounting
 * {@link dashboardAssets} itself should send them too. The page only ever talks to its own
 * origin and to a WebSocket, so the policy can be this strict.
 */
export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-cache',
};

/** `dashboard/public` from the source tree (tsx, vitest) or from `dist/dashboard/` after a build. */
function publicDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const candidates = [join(here, 'public'), join(here, '..', '..', 'dashboard', 'public')];
  const found = candidates.find((d) => existsSync(join(d, 'index.html')));
  if (!found) throw new Error(`dashboard: no public/index.html in ${candidates.join(' or ')}`);
  return found;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? walk(full) : [full];
  });
}

let cache: DashboardAsset[] | undefined;

/**
 * Every file of the page, read once and kept (a few tens of kB). Only files with a known type
 * are served, and the list is fixed at first call: a URL never reaches the file system.
 */
export function dashboardAssets(): DashboardAsset[] {
  if (cache) return cache;
  const root = publicDir();
  const assets: DashboardAsset[] = [];
  for (const file of walk(root).sort()) {
    const contentType = CONTENT_TYPES[extname(file)];
    if (!contentType) continue;
    const path = `/${relative(root, file).split(sep).join('/')}`;
    const body = readFileSync(file);
    assets.push({ path, contentType, body });
    if (path === '/index.html') assets.push({ path: '/', contentType, body });
  }
  cache = assets;
  return assets;
}

/** A twin-frame point (north/east metres) → the page's map frame (ENU). */
export const toMapPoint = (p: LocalXY): MapPoint => ({ x: round2(p.east_m), y: round2(p.north_m) });

/**
 * A mission's path for the map: one entry per mission item (so `current_waypoint` indexes it),
 * `null` for items without a position of their own. Takeoff and RTL happen at the vehicle's
 * home, drawn only when `home` (world frame) is given: a vehicle's home need not be the origin.
 */
export function planFromMission(mission: { readonly items: readonly MissionItemInput[] }, frame: LocalFrame, home?: LocalXY): (MapPoint | null)[] {
  return mission.items.map((item) => {
    if (item.kind === 'waypoint') return toMapPoint(frame.toLocal(item.lat_deg, item.lon_deg));
    if (item.kind === 'land' && item.lat_deg !== undefined && item.lon_deg !== undefined) return toMapPoint(frame.toLocal(item.lat_deg, item.lon_deg));
    if ((item.kind === 'takeoff' || item.kind === 'rtl' || item.kind === 'land') && home) return toMapPoint(home);
    return null;
  });
}

/** Builds a `/config.json` body, dropping what is not set. */
export function dashboardConfig(options: DashboardConfig & { geofenceLocal?: readonly LocalXY[] }): DashboardConfig {
  const { geofenceLocal, ...rest } = options;
  const config: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rest)) if (v !== undefined) config[k] = v;
  if (geofenceLocal) config.geofence = geofenceLocal.map(toMapPoint);
  return config as DashboardConfig;
}

/**
 * What `/config.json` tells a caller without a token: where the API and the bridge are, never
 * the vehicles, plans or geofence (the page asks again with its token after login).
 */
export function publicDashboardConfig(config: DashboardConfig): DashboardConfig {
  const { bridgeUrl, bridgePort, apiBase } = config;
  return dashboardConfig({ bridgeUrl, bridgePort, apiBase });
}

export interface ServeDashboardOptions {
  /** `/config.json`'s content, or a function evaluated per request (config that changes). */
  readonly config?: DashboardConfig | (() => DashboardConfig);
}

/**
 * A node:http handler for the page and `/config.json`. Returns false (and writes nothing) for
 * any other request, so it composes with the API's own routing. It checks no tokens, so its
 * `/config.json` is the {@link publicDashboardConfig} part only; the REST API's own
 * `/config.json` (`createApiServer({ dashboard })`) gives the whole of it to a valid token.
 */
export function serveDashboard(options: ServeDashboardOptions = {}): (req: IncomingMessage, res: ServerResponse) => boolean {
  const byPath = new Map(dashboardAssets().map((a) => [a.path, a]));
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    let path: string;
    try {
      path = new URL(req.url ?? '/', 'http://localhost').pathname;
    } catch {
      return false;
    }
    let asset = byPath.get(path);
    if (path === '/config.json') {
      const c = publicDashboardConfig(typeof options.config === 'function' ? options.config() : (options.config ?? {}));
      asset = { path, contentType: CONTENT_TYPES['.json']!, body: Buffer.from(JSON.stringify(c)) };
    }
    if (!asset) return false;
    res.writeHead(200, { ...DASHBOARD_HEADERS, 'Content-Type': asset.contentType, 'Content-Length': asset.body.length });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
    return true;
  };
}

const round2 = (v: number) => Math.round(v * 100) / 100;
