/**
 * Issue 9 (measured on a running `twin start`), REST side, against the real server on
 * 127.0.0.1 and a real SQLite file: token revocation, login rate limits and their logging,
 * scrypt cost and rehash, bounded mission parameters, missions that must be loadable, load
 * answers that say what the machine did, 404 for unknown event logs, and `/config.json`
 * behind a token.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SCRYPT, hashPassword } from '../../api/auth/index.js';
import { startApiServices } from '../../api/services.js';
import { MAX_WAYPOINTS } from '../../api/schemas.js';
import { dashboardConfig } from '../../dashboard/index.js';
import { PASSWORDS, startStack, TEST_SCRYPT, type Stack } from './harness.js';

const form = (fields: Record<string, string>) => ({ raw: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
const bearerCall = (s: Stack, token: string, path: string) => fetch(s.url + path, { headers: { authorization: `Bearer ${token}` } });
const wp = { lat: 47.4, lon: 8.5, alt: 10 };

describe('token revocation (per-user token version)', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ vehicles: ['d1'] });
  });
  afterAll(() => s?.close());

  const fresh = async (user: string, role: 'viewer' | 'operator' | 'admin') => {
    await s.auth.createUser(user, 'password-1', role);
    const r = await s.auth.login(user, 'password-1');
    if (!r.ok) throw new Error('login');
    return r.value.access_token;
  };

  it('a password change (PATCH /users/{name}) revokes every token issued before; a new login works', async () => {
    const t = await fresh('pat', 'operator');
    expect((await bearerCall(s, t, '/vehicles')).status).toBe(200);
    const r = await s.call('PATCH', '/users/pat', { as: 'admin', body: { password: 'password-2' } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ username: 'pat', role: 'operator', created_at: expect.any(String) });
    const old = await bearerCall(s, t, '/vehicles');
    expect(old.status).toBe(401);
    expect(((await old.json()) as { error: { code: string } }).error.code).toBe('AUTH.REVOKED');
    expect((await s.auth.verify(t)).ok).toBe(false);
    const again = await s.auth.login('pat', 'password-2');
    expect(again.ok && (await bearerCall(s, again.value.access_token, '/vehicles')).status).toBe(200);
  });

  it('the store-level password change (twin user passwd) revokes too', async () => {
    const t = await fresh('cli', 'viewer');
    expect(s.store.users.setPasswordHash('cli', await hashPassword('password-3', TEST_SCRYPT)).ok).toBe(true);
    expect((await bearerCall(s, t, '/vehicles')).status).toBe(401);
  });

  it('a role change, POST /users/{name}/revoke and DELETE /users/{name} each end the old tokens', async () => {
    const a = await fresh('rolf', 'operator');
    expect((await s.call('PATCH', '/users/rolf', { as: 'admin', body: { role: 'viewer' } })).status).toBe(200);
    expect((await bearerCall(s, a, '/vehicles')).status).toBe(401);

    const b = await fresh('rev', 'viewer');
    expect((await s.call('POST', '/users/rev/revoke', { as: 'admin' })).status).toBe(204);
    expect((await bearerCall(s, b, '/vehicles')).status).toBe(401);
    expect((await s.call('POST', '/users/nobody/revoke', { as: 'admin' })).status).toBe(404);
    expect((await s.call('POST', '/users/rev/revoke', { as: 'operator' })).status).toBe(403);

    const c = await fresh('del', 'viewer');
    expect((await s.call('DELETE', '/users/del', { as: 'admin' })).status).toBe(204);
    expect((await bearerCall(s, c, '/vehicles')).status).toBe(401);
    expect(s.store.users.get('del').ok).toBe(false);
    expect((await s.call('DELETE', '/users/admin', { as: 'admin' })).status).toBe(409);
  });

  it('GET /users shows neither hashes nor token versions (response schema filters)', async () => {
    const r = await s.call('GET', '/users', { as: 'admin' });
    expect(r.status).toBe(200);
    for (const u of r.body) expect(Object.keys(u).sort()).toEqual(['created_at', 'role', 'username']);
  });
});

describe('POST /token: rate limits, warn logs, scrypt cost', () => {
  it('per user name and per address (429 AUTH.RATE_LIMITED), logged at warn while the general level is error', async () => {
    const s = await startStack({ vehicles: ['d1'] });
    const dir = mkdtempSync(join(tmpdir(), 'twin-limit-'));
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'error' }, new Writable({ write: (c, _e, cb) => (lines.push(JSON.parse(String(c))), cb()) }));
    const svc = await startApiServices({ twin: s.twin, dir, logger, env: { TWIN_HTTP_PORT: '0', TWIN_ADMIN_PASSWORD: 'admin-password' } });
    try {
      await svc.auth.createUser('victim', 'victim-password', 'operator');
      const post = (username: string, password: string) =>
        fetch(svc.url + '/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ username, password }).toString() });
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) statuses.push((await post('victim', `guess-${i}`)).status);
      expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
      expect(statuses.slice(10)).toEqual([429, 429]);
      const limited = await post('victim', 'victim-password');
      expect(limited.status).toBe(429);
      expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('AUTH.RATE_LIMITED');
      // Another user from the same address still logs in (address window: 30 a minute).
      expect((await post('admin', 'admin-password')).status).toBe(200);
      for (let i = 0; i < 16; i++) await post(`someone-${i}`, 'x');
      expect((await post('admin', 'admin-password')).status).toBe(429);

      const failed = lines.filter((l) => l.msg === 'login failed');
      expect(failed).toHaveLength(26);
      expect(failed[0]).toMatchObject({ level: 40, user: 'victim', component: 'security', remote: '127.0.0.1' });
      // Once per key and window, however many requests were refused.
      expect(lines.filter((l) => l.msg === 'login rate limit reached' && l.limit === 'user')).toHaveLength(1);
      expect(lines.some((l) => l.msg === 'login rate limit reached' && l.limit === 'address')).toBe(true);
    } finally {
      await svc.stop();
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("scrypt's default is OWASP's minimum (N=2^17, r=8, p=1); a login with an older hash stores a stronger one and keeps tokens", async () => {
    expect(DEFAULT_SCRYPT).toEqual({ N: 2 ** 17, r: 8, p: 1 });
    // The auth here is configured stronger (2^12) than the hash the user has (2^10).
    const s = await startStack({ vehicles: ['d1'], scrypt: { N: 2 ** 12, r: 8, p: 1 } });
    try {
      expect(s.store.users.create({ username: 'old', password_hash: await hashPassword('old-password', TEST_SCRYPT), role: 'viewer' }).ok).toBe(true);
      const first = await s.auth.login('old', 'old-password');
      expect(first.ok).toBe(true);
      const stored = s.store.users.get('old');
      expect(stored.ok && stored.value.password_hash.split('$').slice(0, 4)).toEqual(['scrypt', '4096', '8', '1']);
      expect(first.ok && (await s.auth.verify(first.value.access_token)).ok).toBe(true);
      expect((await s.auth.login('old', 'old-password')).ok).toBe(true);
    } finally {
      await s.close();
    }
  });
});

describe('missions: bounded parameters, loadable at creation, load answers with the outcome', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ vehicles: ['d1', 'd2'], missionLimits: { maxAlt_m: 120 } });
  });
  afterAll(() => s?.close());

  it('parameters nested 1,000 deep or too large: 422 with the field, nothing stored', async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 1000; i++) deep = { a: deep };
    const before = s.store.missions.count();
    const r = await s.call('POST', '/missions', { as: 'operator', body: { name: 'deep', waypoints: [wp], parameters: { deep } } });
    expect(r.status).toBe(422);
    expect(r.body.error.issues).toEqual([{ path: 'parameters', message: 'nested deeper than 8 levels' }]);
    const big = await s.call('POST', '/missions', { as: 'operator', body: { name: 'big', waypoints: [wp], parameters: { blob: 'x'.repeat(20_000) } } });
    expect(big.status).toBe(422);
    expect(s.store.missions.count()).toBe(before);
  });

  it('10,000 waypoints: 422 at creation (takeoff and end would push it past the runtime limit); the most that fits loads', async () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => ({ lat: 47.4 + (i % 100) * 1e-4, lon: 8.5 + Math.floor(i / 100) * 1e-4, alt: 20 }));
    const r = await s.call('POST', '/missions', { as: 'operator', body: { id: 'too-many', name: 'many', waypoints: many(10_000) } });
    expect(r.status).toBe(422);
    expect(r.body.error.issues[0].path).toBe('waypoints');
    const fits = await s.call('POST', '/missions', { as: 'operator', body: { id: 'fits', name: 'many', waypoints: many(MAX_WAYPOINTS) } });
    expect(fits.status).toBe(201);
    const load = await s.call('POST', '/missions/fits/load', { as: 'operator', body: { vehicle: 'd1' } });
    expect(load.status).toBe(202);
    expect(load.body.status).toBe('LOADED');
  });

  it('a mission the vehicle\'s mission machine refuses: 422 with its reasons, not 202', async () => {
    expect((await s.call('POST', '/missions', { as: 'operator', body: { id: 'high', name: 'high', waypoints: [{ ...wp, alt: 200 }] } })).status).toBe(201);
    const r = await s.call('POST', '/missions/high/load', { as: 'operator', body: { vehicle: 'd2' } });
    expect(r.status).toBe(422);
    expect(r.body.error.code).toMatch(/^MISSION\./);
    expect(JSON.stringify(r.body.error)).toMatch(/above the limit 120/);
    expect(s.twin.missionStatus('d2')).toBe('IDLE');
  });
});

describe('runs and the dashboard config', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({
      vehicles: ['d1'],
      server: { dashboard: () => dashboardConfig({ bridgePort: 9999, vehicles: ['d1'], plans: { d1: [{ x: 1, y: 2 }] }, geofenceLocal: [{ north_m: 1, east_m: 2 }] }) },
    });
  });
  afterAll(() => s?.close());

  it('GET /runs/{unknown}/events is 404; a session with stored events is 200', async () => {
    const r = await s.call('GET', '/runs/no-such-run/events', { as: 'viewer' });
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('STORE.NOT_FOUND');
    expect((await s.call('POST', '/vehicles/d1/commands', { as: 'operator', body: { command: 'arm' } })).status).toBe(202);
    await s.clock.advance(2000);
    s.sink.flush();
    const ok = await s.call('GET', '/runs/session/events?limit=1', { as: 'viewer' });
    expect(ok.status).toBe(200);
    expect(ok.body).toHaveLength(1);
  });

  it('/config.json without a token tells only where the services are; with one, vehicles, plans and fence', async () => {
    const anon = await s.call('GET', '/config.json');
    expect(anon.status).toBe(200);
    expect(anon.body).toEqual({ bridgePort: 9999 });
    const full = await s.call('GET', '/config.json', { as: 'viewer' });
    expect(full.body).toMatchObject({ bridgePort: 9999, vehicles: ['d1'], plans: { d1: [{ x: 1, y: 2 }] }, geofence: [{ x: 2, y: 1 }] });
    expect((await s.call('GET', '/config.json', { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
  });
});

describe('login latency while wrong passwords run in parallel (production scrypt cost)', () => {
  it('a real login completes while 20 wrong attempts for another user are in flight', async () => {
    const s = await startStack({ vehicles: ['d1'], scrypt: DEFAULT_SCRYPT });
    try {
      await s.auth.createUser('real', 'real-password', 'viewer');
      await s.auth.createUser('target', 'target-password', 'viewer');
      const post = (username: string, password: string) => s.call('POST', '/token', form({ username, password }));
      await post('nobody', 'warm-up'); // computes the unknown-user stand-in hash once
      const t0 = performance.now();
      await post('real', 'real-password');
      const alone = performance.now() - t0;
      const wrong = Array.from({ length: 20 }, (_, i) => post('target', `wrong-${i}`));
      const t1 = performance.now();
      const real = await post('real', 'real-password');
      const busy = performance.now() - t1;
      const statuses = (await Promise.all(wrong)).map((r) => r.status);
      expect(real.status).toBe(200);
      // The per-user window lets 10 wrong attempts reach scrypt; the other 10 are 429 at once.
      expect(statuses.filter((x) => x === 429)).toHaveLength(10);
      console.info(`login alone ${alone.toFixed(0)} ms; with 20 wrong attempts in flight ${busy.toFixed(0)} ms`);
      expect(busy).toBeLessThan(10_000);
    } finally {
      await s.close();
    }
  }, 60_000);
});
