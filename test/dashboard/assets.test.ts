/** What the host serves: the page's files, `/config.json`, and the map plan of a mission. */
import { request, type Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_HEADERS, dashboardAssets, dashboardConfig, planFromMission, serveDashboard } from '../../dashboard/index.js';
import { LocalFrame } from '../../core/geo.js';
import { DEFAULT_HOME } from '../../actors/scenario/scenario.runner.js';
import { boxMission } from './dashboard-harness.js';

describe('dashboardAssets', () => {
  const assets = dashboardAssets();
  const byPath = new Map(assets.map((a) => [a.path, a]));

  it('has the page at / and /index.html, its script and style, with types', () => {
    expect(byPath.get('/')?.body.equals(byPath.get('/index.html')!.body)).toBe(true);
    expect(byPath.get('/')?.contentType).toBe('text/html; charset=utf-8');
    expect(byPath.get('/js/app.js')?.contentType).toBe('text/javascript; charset=utf-8');
    expect(byPath.get('/style.css')?.contentType).toBe('text/css; charset=utf-8');
  });

  it('every file the page references is served (nothing from the internet)', () => {
    const html = byPath.get('/index.html')!.body.toString();
    for (const [, ref] of html.matchAll(/(?:src|href)="([^"]+)"/g)) {
      if (ref!.startsWith('data:')) continue;
      expect(ref).not.toMatch(/^(https?:)?\/\//);
      expect(byPath.has(`/${ref}`), ref).toBe(true);
    }
    for (const a of assets.filter((x) => x.path.endsWith('.js'))) {
      const text = a.body.toString();
      expect(text).not.toMatch(/https?:\/\/(?!host)/);
      for (const [, spec] of text.matchAll(/from '([^']+)'/g)) {
        expect(spec!.startsWith('./'), `${a.path} imports ${spec}`).toBe(true);
        expect(byPath.has(new URL(spec!, `http://x${a.path}`).pathname), `${a.path} imports ${spec}`).toBe(true);
      }
    }
  });
});

describe('serveDashboard', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    const dashboard = serveDashboard({ config: () => dashboardConfig({ bridgeUrl: 'ws://127.0.0.1:9090/', apiBase: undefined, vehicles: ['d1'], geofenceLocal: [{ north_m: 1, east_m: 2 }] }) });
    server = createServer((req, res) => {
      if (!dashboard(req, res)) res.writeHead(404).end('api');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const get = (path: string, method = 'GET') =>
    new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
      const req = request(`${base}${path}`, { method }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    });

  it('serves the page with a strict content security policy', async () => {
    const r = await get('/?x=1');
    expect(r.status).toBe(200);
    expect(r.body).toContain('<canvas id="map"');
    expect(r.headers['content-security-policy']).toBe(DASHBOARD_HEADERS['Content-Security-Policy']);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
  });

  it('serves /config.json, dropping unset fields, and only where the services are (it checks no tokens)', async () => {
    const r = await get('/config.json');
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(r.body)).toEqual({ bridgeUrl: 'ws://127.0.0.1:9090/' });
  });

  it('answers HEAD without a body and leaves everything else to the host', async () => {
    const head = await get('/js/app.js', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    for (const path of ['/token', '/../package.json', '/js/../../package.json', '/%2e%2e/package.json', '/dashboard/index.ts'])
      expect((await get(path)).body, path).toBe('api');
    expect((await get('/', 'POST')).body).toBe('api');
  });
});

describe('planFromMission', () => {
  it('gives one map point (ENU) per item, home for takeoff/RTL when known', () => {
    const frame = new LocalFrame(DEFAULT_HOME);
    const mission = boxMission(frame, 'd1', 10, -40);
    const plan = planFromMission(mission, frame, { north_m: 0, east_m: 5 });
    expect(plan).toHaveLength(mission.items.length);
    expect(plan[0]).toEqual({ x: 5, y: 0 });
    expect(plan[1]!.x).toBeCloseTo(-40, 1);
    expect(plan[1]!.y).toBeCloseTo(40, 1);
    expect(plan.at(-1)).toEqual({ x: 5, y: 0 });
    expect(planFromMission(mission, frame)[0]).toBeNull();
    expect(dashboardConfig({ geofenceLocal: [{ north_m: 1, east_m: 2 }] })).toEqual({ geofence: [{ x: 2, y: 1 }] });
  });
});
