/**
 * Test helpers for the dashboard: a stand-in for the API gateway's part in serving the page
 * (`POST /token` with fixed users, the dashboard's files and `/config.json`), and missions laid
 * out so two drones do not share a path.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalFrame } from '../../core/geo.js';
import { serveDashboard, type DashboardConfig } from '../../dashboard/index.js';
import { makeToken } from '../bridge/bridge-harness.js';

/** username → [password, role]; tokens are signed with the bridge harness's test secret. */
export const USERS: Record<string, [string, string]> = {
  olga: ['operator-pass', 'operator'],
  vic: ['viewer-pass', 'viewer'],
};

export interface PageHost {
  readonly url: string;
  close(): Promise<void>;
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Serves the dashboard and `POST /token` (OAuth2 password form) on 127.0.0.1, a free port. */
export async function startPageHost(config: () => DashboardConfig): Promise<PageHost> {
  const dashboard = serveDashboard({ config });
  const server: Server = createServer((req, res) => {
    if (dashboard(req, res)) return;
    if (req.method === 'POST' && req.url === '/token') {
      void body(req).then(async (text) => {
        const form = new URLSearchParams(text);
        const user = USERS[form.get('username') ?? ''];
        if (form.get('grant_type') !== 'password' || !user || user[0] !== form.get('password')) {
          res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'AUTH.INVALID', message: 'wrong user or password' } }));
          return;
        }
        const token = await makeToken(form.get('username')!, user[1]);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: token, token_type: 'bearer', expires_in: 3600 }));
      });
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
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
