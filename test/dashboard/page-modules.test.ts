/**
 * The page's pure modules (model, auth, config, map geometry) run in Node: they hold the logic
 * that turns bridge messages into what the operator sees, and must never throw on bad input.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LocalFrame } from '../../core/geo.js';
import { DEFAULT_HOME } from '../../actors/scenario/scenario.runner.js';

// The page is plain JavaScript without declarations; load it by URL and type what we use.
const load = async <T>(name: string): Promise<T> => (await import(new URL(`../../dashboard/public/js/${name}`, import.meta.url).href)) as T;

interface Vehicle {
  id: string;
  pose: { x: number; y: number; z: number; heading_deg: number } | null;
  trail: { x: number; y: number }[];
  battery: number | null;
  state: { mode: string; armed: boolean; link: boolean; state: string } | null;
  mission: { status: string; percent: number; current: number; total: number; reason: string | null } | null;
}
interface Origin {
  lat_deg: number;
  lon_deg: number;
  gap: number;
}
interface Model {
  origin: Origin | null;
  vehicles: Map<string, Vehicle>;
  alerts: { vehicle: string; level: string; text: string }[];
}
interface ModelModule {
  createModel(): Model;
  applyMessage(model: Model, topic: unknown, msg: unknown, now_ms?: number): boolean;
  allowedCommands(v: Vehicle | undefined): Record<string, boolean>;
  quaternionToHeading(q: unknown): number | null;
  TRAIL_MAX: number;
}
interface AuthModule {
  jwtPayload(token: unknown): Record<string, unknown> | null;
  roleOf(payload: unknown): string;
  canCommand(role: string): boolean;
  sessionFromToken(token: string, now_ms?: number): { user: string; role: string; exp_ms: number } | null;
}
interface ConfigModule {
  bridgeUrl(c: Record<string, unknown>, loc: { protocol: string; host: string; hostname: string }): string;
  apiBase(c: Record<string, unknown>): string;
}
type Pt = { x: number; y: number };
interface PlansModule {
  toMap(origin: { lat_deg: number; lon_deg: number }, lat: number, lon: number): Pt;
  originFrom(lat: number, lon: number, x: number, y: number): { lat_deg: number; lon_deg: number };
  planFromRecord(record: unknown, origin: { lat_deg: number; lon_deg: number } | null): (Pt | null)[] | null;
  refineOrigin(current: Origin | null, fixes: { lat_deg: number; lon_deg: number; stamp_ms: number }[], poses: (Pt & { stamp_ms: number })[]): Origin | null;
}
interface MapModule {
  gridStep(scale: number, targetPx?: number): number;
  View: new () => { include(x: number, y: number): void; transform(w: number, h: number): { scale: number; toPx(x: number, y: number): [number, number] } };
}

const pose = (x: number, y: number, z = 10, yawRad = Math.PI / 2) => ({
  header: { stamp: { sec: 0, nanosec: 0 }, frame_id: 'map' },
  pose: { position: { x, y, z }, orientation: { x: 0, y: 0, z: Math.sin(yawRad / 2), w: Math.cos(yawRad / 2) } },
});
const state = (over: Record<string, unknown> = {}) => ({ vehicle: 'd1', mode: 'mission', armed: true, link: true, landed: 'in_air', state: 'connected.armed.inAir.mission', ...over });
const status = (s: string, percent = 0, reason?: string) => ({
  data: JSON.stringify({ vehicle: 'd1', mission_id: 'm1', mission_name: 'survey', status: s, progress: { current_waypoint: 2, total_waypoints: 5, percent_complete: percent }, ...(reason ? { reason } : {}) }),
});

describe('dashboard model', () => {
  it('turns ENU poses into a position, a compass heading and a trail that skips hovering', async () => {
    const { createModel, applyMessage } = await load<ModelModule>('model.js');
    const m = createModel();
    expect(applyMessage(m, '/d1/pose', pose(3, 4))).toBe(true);
    applyMessage(m, '/d1/pose', pose(3.1, 4)); // 10 cm: no new trail point
    applyMessage(m, '/d1/pose', pose(10, 4, 12, 0)); // yaw 0 = facing east
    const v = m.vehicles.get('d1')!;
    expect(v.pose).toMatchObject({ x: 10, y: 4, z: 12 });
    expect(v.pose!.heading_deg).toBeCloseTo(90);
    expect(v.trail).toEqual([{ x: 3, y: 4 }, { x: 10, y: 4 }]);
  });

  it('keeps the trail bounded', async () => {
    const { createModel, applyMessage, TRAIL_MAX } = await load<ModelModule>('model.js');
    const m = createModel();
    for (let i = 0; i < TRAIL_MAX + 50; i++) applyMessage(m, '/d1/pose', pose(i, 0));
    const trail = m.vehicles.get('d1')!.trail;
    expect(trail).toHaveLength(TRAIL_MAX);
    expect(trail.at(-1)).toEqual({ x: TRAIL_MAX + 49, y: 0 });
  });

  it('raises link lost / regained, a failsafe-looking RTL, and mission outcomes as alerts', async () => {
    const { createModel, applyMessage } = await load<ModelModule>('model.js');
    const m = createModel();
    applyMessage(m, '/d1/state', state());
    applyMessage(m, '/mission/status', status('RUNNING', 20));
    applyMessage(m, '/d1/state', state({ link: false, state: 'linkLost' }));
    applyMessage(m, '/d1/state', state({ link: false, state: 'linkLost' })); // no second alert
    applyMessage(m, '/d1/state', state());
    applyMessage(m, '/d1/state', state({ mode: 'rtl', state: 'connected.armed.inAir.returning' }));
    applyMessage(m, '/mission/status', status('FAILED', 40, 'battery_low: battery low (19.5 %)'));
    applyMessage(m, '/d1/battery', { percentage: 0.15, voltage: 14.1 });
    applyMessage(m, '/d1/battery', { percentage: 0.14, voltage: 14.0 });
    const texts = m.alerts.map((a) => `${a.level} ${a.text}`).reverse();
    expect(texts).toEqual([
      'error link lost',
      'info link regained',
      'warning mode RTL during the mission (failsafe?)',
      'error failsafe: battery_low: battery low (19.5 %)',
      'warning battery low (15 %)',
    ]);
    expect(m.vehicles.get('d1')!.mission).toMatchObject({ status: 'FAILED', percent: 40, current: 2, total: 5 });
  });

  it('offers the commands that fit the mission state', async () => {
    const { createModel, applyMessage, allowedCommands } = await load<ModelModule>('model.js');
    const m = createModel();
    expect(Object.values(allowedCommands(undefined)).some(Boolean)).toBe(false);
    applyMessage(m, '/mission/status', status('LOADED'));
    applyMessage(m, '/d1/state', state({ armed: false }));
    expect(allowedCommands(m.vehicles.get('d1'))).toEqual({ start: true, pause: false, resume: false, abort: true, rtl: false, land: false });
    applyMessage(m, '/mission/status', status('RUNNING'));
    applyMessage(m, '/d1/state', state());
    expect(allowedCommands(m.vehicles.get('d1'))).toEqual({ start: false, pause: true, resume: false, abort: true, rtl: true, land: true });
  });

  it('never throws on whatever arrives, and ignores what it cannot read', async () => {
    const { createModel, applyMessage } = await load<ModelModule>('model.js');
    const m = createModel();
    const topics = fc.constantFrom('/d1/pose', '/d1/battery', '/d1/state', '/d1/global_position', '/mission/status', '/x/y/z', '', '/__proto__/pose', '/constructor/state');
    fc.assert(
      fc.property(topics, fc.anything({ withNullPrototype: true, withBigInt: true }), (topic, msg) => {
        expect(typeof applyMessage(m, topic, msg)).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
    expect(applyMessage(m, '/mission/status', { data: '{not json' })).toBe(false);
    expect(applyMessage(m, '/d2/pose', { pose: { position: { x: 'a', y: 1 } } })).toBe(false);
    expect(applyMessage(m, null, null)).toBe(false);
  });
});

describe('dashboard auth', () => {
  const jwt = (payload: unknown) => `e30.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.sig`;

  it('reads sub, role and expiry from the token; the role decides the buttons', async () => {
    const { sessionFromToken, canCommand } = await load<AuthModule>('auth.js');
    const s = sessionFromToken(jwt({ sub: 'olga', role: 'operator', exp: 2_000 }), 1_000_000);
    expect(s).toMatchObject({ user: 'olga', role: 'operator', exp_ms: 2_000_000 });
    expect(canCommand('operator') && canCommand('admin')).toBe(true);
    expect(canCommand('viewer')).toBe(false);
    expect(sessionFromToken(jwt({ sub: 'olga', role: 'operator', exp: 999 }), 1_000_000)).toBeNull(); // expired
  });

  it('falls back to viewer for a missing or unknown role, and to null for garbage', async () => {
    const { roleOf, jwtPayload, sessionFromToken } = await load<AuthModule>('auth.js');
    expect(roleOf({ role: 'superuser' })).toBe('viewer');
    expect(roleOf({ roles: ['viewer', 'admin'] })).toBe('admin');
    expect(roleOf({ scope: 'read operator' })).toBe('operator');
    expect(roleOf(null)).toBe('viewer');
    for (const bad of ['', 'a.b.c', 'x.!!!.y', undefined, 42]) expect(jwtPayload(bad)).toBeNull();
    expect(sessionFromToken('not a jwt')).toBeNull();
  });
});

describe('dashboard config', () => {
  const loc = { protocol: 'http:', host: 'ops.local:8080', hostname: 'ops.local' };

  it('resolves the bridge URL: absolute, a path on this host, or this host on the bridge port', async () => {
    const { bridgeUrl, apiBase } = await load<ConfigModule>('config.js');
    expect(bridgeUrl({ bridgeUrl: 'ws://10.0.0.5:9090/' }, loc)).toBe('ws://10.0.0.5:9090/');
    expect(bridgeUrl({ bridgeUrl: '/ws' }, loc)).toBe('ws://ops.local:8080/ws');
    expect(bridgeUrl({ bridgeUrl: '/ws' }, { ...loc, protocol: 'https:' })).toBe('wss://ops.local:8080/ws');
    expect(bridgeUrl({}, loc)).toBe('ws://ops.local:9090/');
    expect(bridgeUrl({ bridgePort: 9191 }, loc)).toBe('ws://ops.local:9191/');
    expect(bridgeUrl({ bridgeUrl: 42 }, { protocol: 'http:', host: '[::1]:8080', hostname: '::1' })).toBe('ws://[::1]:9090/');
    expect(apiBase({ apiBase: 'http://api:8080/' })).toBe('http://api:8080');
    expect(apiBase({})).toBe('');
  });
});

describe('dashboard map geometry', () => {
  it('keeps one scale on both axes, north up, and picks 1-2-5 grid steps', async () => {
    const { View, gridStep } = await load<MapModule>('map.js');
    const view = new View();
    view.include(0, 0);
    view.include(200, 100);
    const { scale, toPx } = view.transform(800, 400);
    const [x0, y0] = toPx(0, 0);
    const [x1, y1] = toPx(100, 100);
    expect(x1 - x0).toBeCloseTo(100 * scale);
    expect(y0 - y1).toBeCloseTo(100 * scale); // north is up: y grows downwards on the canvas
    expect(gridStep(1)).toBe(100);
    expect(gridStep(3)).toBe(50);
    expect(gridStep(30)).toBe(5);
  });
});

describe('dashboard plans', () => {
  const frame = new LocalFrame(DEFAULT_HOME);
  const origin = { lat_deg: DEFAULT_HOME.lat_deg, lon_deg: DEFAULT_HOME.lon_deg };

  it('places WGS84 points in the map frame as the twin does, and recovers the origin from one fix', async () => {
    const { toMap, originFrom } = await load<PlansModule>('plans.js');
    for (const [n, e] of [[0, 0], [350, -120], [-2000, 1500]] as const) {
      const g = frame.toLatLon(n, e);
      const p = toMap(origin, g.lat_deg, g.lon_deg);
      expect(p.x).toBeCloseTo(e, 3);
      expect(p.y).toBeCloseTo(n, 3);
      const o = originFrom(g.lat_deg, g.lon_deg, e, n);
      const back = new LocalFrame({ ...o, alt_m: 0 }).toLocal(origin.lat_deg, origin.lon_deg);
      expect(Math.hypot(back.north_m, back.east_m)).toBeLessThan(0.01);
    }
  });

  it('turns a stored mission into one point per item, local waypoints even without an origin', async () => {
    const { planFromRecord } = await load<PlansModule>('plans.js');
    const g = frame.toLatLon(40, -30);
    const record = { id: 'm', waypoints: [{ north: 10, east: 5, alt: 20 }, { lat: g.lat_deg, lon: g.lon_deg, alt: 20 }] };
    const plan = planFromRecord(record, origin)!;
    expect(plan).toHaveLength(4); // takeoff, two waypoints, the end
    expect(plan[0]).toBeNull();
    expect(plan[1]).toEqual({ x: 5, y: 10 });
    expect(plan[2]!.x).toBeCloseTo(-30, 3);
    expect(plan[2]!.y).toBeCloseTo(40, 3);
    expect(planFromRecord(record, null)).toEqual([null, { x: 5, y: 10 }, null, null]);
    for (const bad of [null, {}, { waypoints: 'x' }, 42]) expect(planFromRecord(bad, origin)).toBeNull();
    expect(planFromRecord({ waypoints: [null, { lat: 'a' }] }, origin)).toEqual([null, null, null, null]);
  });

  it('pairs a fix with the pose at its instant, interpolating, and keeps the best pairing', async () => {
    const { refineOrigin } = await load<PlansModule>('plans.js');
    // A vehicle flying east at 10 m/s along north 20; poses every second, the fix half-way.
    const poses = [0, 1000, 2000].map((t) => ({ x: t / 100, y: 20, stamp_ms: t }));
    const g = frame.toLatLon(20, 5);
    const fix = { ...g, stamp_ms: 500 };
    const o = refineOrigin(null, [fix], poses)!;
    expect(o.gap).toBe(1000);
    const back = new LocalFrame({ ...o, alt_m: 0 }).toLocal(origin.lat_deg, origin.lon_deg);
    expect(Math.hypot(back.north_m, back.east_m)).toBeLessThan(0.01);
    expect(refineOrigin(null, [{ ...fix, stamp_ms: 5000 }], poses)).toBeNull(); // no pose after it yet
    expect(refineOrigin(o, [fix], poses)).toBe(o); // not better: kept
    const exact = refineOrigin(o, [{ ...frame.toLatLon(20, 10), stamp_ms: 1000 }], poses)!;
    expect(exact.gap).toBe(0);
  });

  it('the model works the origin out from its topics', async () => {
    const { createModel, applyMessage } = await load<ModelModule>('model.js');
    const m = createModel();
    const stamp = (ms: number) => ({ stamp: { sec: Math.floor(ms / 1000), nanosec: (ms % 1000) * 1e6 }, frame_id: 'map' });
    const g = frame.toLatLon(30, -10);
    applyMessage(m, '/d1/global_position', { header: stamp(1500), status: { status: 0 }, latitude: g.lat_deg, longitude: g.lon_deg });
    expect(m.origin).toBeNull();
    applyMessage(m, '/d1/pose', { ...pose(-10, 30), header: stamp(1500) });
    expect(m.origin!.lat_deg).toBeCloseTo(origin.lat_deg, 7);
    expect(m.origin!.lon_deg).toBeCloseTo(origin.lon_deg, 7);
    expect(applyMessage(m, '/d1/global_position', { header: stamp(1600), status: { status: -1 }, latitude: 0, longitude: 0 })).toBe(false);
  });
});
