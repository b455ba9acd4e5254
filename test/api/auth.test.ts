import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator, hashPassword, verifyPassword } from '../../api/auth/index.js';
import { startApiServices } from '../../api/services.js';
import { PASSWORDS, startStack, TEST_SCRYPT, type Stack } from './harness.js';

let s: Stack;
let clockOffset = 0;
beforeAll(async () => {
  s = await startStack({ vehicles: ['d1'], now_s: () => Math.floor(Date.now() / 1000) + clockOffset });
});
afterAll(async () => {
  await s?.close();
});

const form = (fields: Record<string, string>) => ({ raw: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });

describe('POST /token (OAuth2 password flow)', () => {
  it('a form-encoded login returns a bearer JWT that the API accepts', async () => {
    const r = await s.call('POST', '/token', form({ grant_type: 'password', username: 'operator', password: PASSWORDS.operator }));
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/), token_type: 'bearer', expires_in: 3600 });
    expect(r.headers.get('cache-control')).toBe('no-store');
    const v = await fetch(s.url + '/vehicles', { headers: { authorization: `Bearer ${r.body.access_token}` } });
    expect(v.status).toBe(200);
    const claims = JSON.parse(Buffer.from(r.body.access_token.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ sub: 'operator', role: 'operator', iss: 'overwatch-twin' });
    expect(claims.exp - claims.iat).toBe(3600);
  });

  it('wrong password and unknown user → 401 with the same answer; missing fields → 422', async () => {
    const wrong = await s.call('POST', '/token', form({ username: 'operator', password: 'nope' }));
    const unknown = await s.call('POST', '/token', form({ username: 'ghost', password: 'nope' }));
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.error).toEqual(unknown.body.error);
    expect(wrong.body.error.code).toBe('AUTH.BAD_CREDENTIALS');
    const missing = await s.call('POST', '/token', form({ username: 'operator' }));
    expect(missing.status).toBe(422);
    expect(missing.body.error.issues[0].path).toBe('password');
  });

  it('expired and tampered tokens → 401 with their codes', async () => {
    clockOffset = -7200; // minted two hours ago with a one-hour lifetime
    const old = await s.auth.login('viewer', PASSWORDS.viewer);
    clockOffset = 0;
    if (!old.ok) throw new Error('login');
    const expired = await fetch(s.url + '/vehicles', { headers: { authorization: `Bearer ${old.value.access_token}` } });
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as { error: { code: string } }).error.code).toBe('AUTH.EXPIRED');

    // Raise the role in the payload, keep the signature: must not verify.
    const [h, p, sig] = s.tokens.viewer.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url')}.${sig}`;
    const tampered = await fetch(s.url + '/users', { headers: { authorization: `Bearer ${forged}` } });
    expect(tampered.status).toBe(401);
    expect(((await tampered.json()) as { error: { code: string } }).error.code).toBe('AUTH.INVALID');
    // alg=none is refused.
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url')}.`;
    expect((await fetch(s.url + '/users', { headers: { authorization: `Bearer ${none}` } })).status).toBe(401);
    // Signed with another key.
    const other = createAuthenticator({ store: s.store, secret: new Uint8Array(32).fill(9) });
    expect(await other.verify(s.tokens.viewer)).toMatchObject({ ok: false, error: { code: 'AUTH.INVALID' } });
    expect((await fetch(s.url + '/vehicles', { headers: { authorization: 'Bearer garbage' } })).status).toBe(401);
  });

  it('the authenticator the bridge takes resolves sub and role', async () => {
    const a = createAuthenticator({ store: s.store, secret: new Uint8Array(32).fill(7) });
    expect(await a.verify(s.tokens.operator)).toEqual({ ok: true, value: { sub: 'operator', role: 'operator', exp: expect.any(Number) } });
  });

  it('passwords: scrypt with a per-user salt; a malformed stored hash verifies nothing', async () => {
    const a = await hashPassword('secret-1', TEST_SCRYPT);
    const b = await hashPassword('secret-1', TEST_SCRYPT);
    expect(a).not.toBe(b);
    expect(await verifyPassword('secret-1', a)).toBe(true);
    expect(await verifyPassword('secret-2', a)).toBe(false);
    expect(await verifyPassword('secret-1', 'plain')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$99999999999$8$1$AA$AA')).toBe(false);
  });
});

describe('first start (startApiServices)', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('generates a 0600 signing key and a one-time admin password once; the next start reuses both', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'twin-first-'));
    dirs.push(dir);
    const shown: string[] = [];
    const env = { TWIN_HTTP_PORT: '0' };
    const a = await startApiServices({ twin: s.twin, dir, env, onOneTimePassword: (p) => shown.push(p) });
    try {
      expect(a.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(shown).toHaveLength(1);
      expect(statSync(join(dir, 'jwt-secret')).mode & 0o777).toBe(0o600);
      const login = await fetch(a.url + '/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `username=admin&password=${encodeURIComponent(shown[0]!)}` });
      expect(login.status).toBe(200);
    } finally {
      await a.stop();
    }
    const key = readFileSync(join(dir, 'jwt-secret'), 'utf8');
    const b = await startApiServices({ twin: s.twin, dir, env, onOneTimePassword: (p) => shown.push(p) });
    await b.stop();
    expect(shown).toHaveLength(1);
    expect(readFileSync(join(dir, 'jwt-secret'), 'utf8')).toBe(key);
  });

  it('takes TWIN_ADMIN_PASSWORD and TWIN_JWT_SECRET from the environment; refuses a short secret', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'twin-env-'));
    dirs.push(dir);
    const shown: string[] = [];
    const env = { TWIN_HTTP_PORT: '0', TWIN_ADMIN_PASSWORD: 'chosen-password', TWIN_JWT_SECRET: 'x'.repeat(40) };
    const a = await startApiServices({ twin: s.twin, dir, env, onOneTimePassword: (p) => shown.push(p) });
    try {
      expect(shown).toEqual([]);
      const r = await a.auth.login('admin', 'chosen-password');
      expect(r.ok).toBe(true);
      expect(() => statSync(join(dir, 'jwt-secret'))).toThrow();
    } finally {
      await a.stop();
    }
    await expect(startApiServices({ twin: s.twin, dir, env: { ...env, TWIN_JWT_SECRET: 'short' } })).rejects.toThrow('AUTH.WEAK_SECRET');
  });

  it('persists the session event log and puts the correlation id in the pino logs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'twin-logs-'));
    dirs.push(dir);
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _e, cb) => (lines.push(String(chunk)), cb()) }));
    const svc = await startApiServices({ twin: s.twin, dir, logger, sessionId: 'sess-1', env: { TWIN_HTTP_PORT: '0', TWIN_ADMIN_PASSWORD: 'admin-password' } });
    try {
      const tok = await svc.auth.login('admin', 'admin-password');
      if (!tok.ok) throw new Error('login');
      const r = await fetch(svc.url + '/vehicles/d1/commands', {
        method: 'POST',
        headers: { authorization: `Bearer ${tok.value.access_token}`, 'content-type': 'application/json', 'x-correlation-id': 'trace-42' },
        body: JSON.stringify({ command: 'arm' }),
      });
      expect(r.status).toBe(202);
      await s.clock.advance(3000);
      svc.eventSink.flush();
      expect(svc.store.events.byCorrelationId('trace-42').map((e) => e.type)).toEqual(expect.arrayContaining(['command', 'command.result']));
      // Entries from before the services attached were stored too.
      expect(svc.store.events.list('sess-1', 0, 1)[0]).toMatchObject({ seq: 0, type: 'started' });
      expect(svc.store.vehicles.list().map((v) => [v.id, v.autopilot])).toEqual([['d1', 'sim']]);
      const logged = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'command accepted');
      expect(logged).toMatchObject({ cid: 'trace-42', user: 'admin', vehicle: 'd1' });
    } finally {
      await svc.stop();
    }
  });
});
