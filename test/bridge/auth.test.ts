/**
 * Authentication: without a valid token every op is answered with a status error and nothing
 * is delivered; a token in the URL, an `auth` op, or rosauth's `mac` field lets a client in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { liveTwin, makeToken, RawClient, sleep, startBridge, userStore, type LiveTwin } from './bridge-harness.js';
import type { BridgeServer } from '../../bridge/index.js';
import { createBridgeServer } from '../../bridge/index.js';

let live: LiveTwin;
let bridge: BridgeServer;
let url: string;
const clients: RawClient[] = [];
const client = async (u: string) => {
  const c = await RawClient.connect(u);
  clients.push(c);
  return c;
};

beforeAll(async () => {
  live = await liveTwin(['drone1'], 10);
  ({ bridge, url } = await startBridge(live.twin));
});
afterAll(async () => {
  for (const c of clients) c.close();
  await bridge.stop();
  await live.halt();
});

/** Tries everything an unauthenticated client could and checks each is refused and nothing arrives. */
async function expectLockedOut(c: RawClient, reason: RegExp) {
  const ops = [
    { op: 'subscribe', id: 's1', topic: '/drone1/pose' },
    { op: 'subscribe', id: 's2', topic: '/mission/status' },
    { op: 'call_service', id: 'c1', service: '/rosapi/topics', args: {} },
    { op: 'call_service', id: 'c2', service: '/drone1/arm', args: {} },
    { op: 'publish', id: 'p1', topic: '/drone1/cmd', msg: { data: 'arm' } },
    { op: 'set_level', id: 'l1', level: 'none' },
  ];
  for (const op of ops) {
    const s = await c.expectStatus(op);
    expect(s).toMatchObject({ op: 'status', level: 'error', id: op.id });
    expect(String(s.msg)).toMatch(/^BRIDGE\.UNAUTHENTICATED/);
  }
  await sleep(300);
  expect(c.received.filter((m) => m.op !== 'status')).toEqual([]);
  expect(c.received.some((m) => reason.test(String(m.msg)))).toBe(true);
  expect(live.twin.vehicleContext('drone1').armed).toBe(false);
}

describe('bridge authentication', () => {
  it('no token: refused', async () => {
    const c = await client(url);
    await expectLockedOut(c, /authenticate first/);
  });

  it('expired token: refused with the reason', async () => {
    const c = await client(`${url}/?token=${await makeToken('old', 'admin', '-1h')}`);
    await c.next((m) => m.op === 'status');
    await expectLockedOut(c, /token rejected: .*exp/);
  });

  it('tampered token (payload edited, or signed with another key): refused', async () => {
    const good = await makeToken('mallory', 'viewer');
    const [h, p, s] = good.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...payload, role: 'admin' })).toString('base64url')}.${s}`;
    const c1 = await client(`${url}/?token=${forged}`);
    await c1.next((m) => m.op === 'status');
    await expectLockedOut(c1, /token rejected/);
    const other = await makeToken('mallory', 'admin', '1h', new TextEncoder().encode('another-secret-another-secret-xx'));
    const c2 = await client(`${url}/?token=${other}`);
    await expectLockedOut(c2, /token rejected/);
    const c3 = await client(`${url}/?token=not.a.jwt`);
    await expectLockedOut(c3, /token rejected/);
  });

  it('an auth op (ours, or rosauth `mac`) lets the client in; a bad one does not', async () => {
    const c = await client(url);
    const bad = await c.expectStatus({ op: 'auth', token: 'garbage' });
    expect(bad.msg).toMatch(/^BRIDGE\.UNAUTHENTICATED: token rejected/);
    c.send({ op: 'auth', token: await makeToken('ann', 'viewer') });
    c.send({ op: 'subscribe', id: 's', topic: '/drone1/pose' });
    await c.next((m) => m.op === 'publish' && m.topic === '/drone1/pose');

    const r = await client(url);
    r.send({ op: 'auth', mac: await makeToken('rob', 'viewer'), client: '127.0.0.1', dest: url, rand: 'x', t: 0, level: 'user', end: 0 });
    r.send({ op: 'subscribe', topic: '/drone1/battery' });
    await r.next((m) => m.op === 'publish' && m.topic === '/drone1/battery');
  });

  it('a token without a known role is refused', async () => {
    const t = await new SignJWT({ role: 'root' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('overwatch-twin')
      .setSubject('x')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('bridge-test-secret-0123456789abcdef'));
    const c = await client(`${url}/?token=${t}`);
    await expectLockedOut(c, /token rejected: token lacks a subject or role/);
  });

  it('a synchronous authenticate function works too, and one that throws refuses', async () => {
    const sync = createBridgeServer({
      twin: live.twin,
      port: 0,
      authenticate: (token) => {
        if (token === 'boom') throw new Error('bug');
        return token === 'ok' ? { ok: true, value: { sub: 's', role: 'viewer' } } : { ok: false, error: { code: 'X', message: 'no' } };
      },
    });
    const { url: u } = await sync.start();
    try {
      const c = await client(`${u}/?token=ok`);
      c.send({ op: 'subscribe', topic: '/drone1/state' });
      // /<vehicle>/state is latched: the current state arrives at once.
      const st = await c.next((m) => m.op === 'publish');
      expect(st.msg).toMatchObject({ vehicle: 'drone1', armed: false, link: true });
      const b = await client(`${u}/?token=boom`);
      await expectLockedOut(b, /authentication failed/);
    } finally {
      await sync.stop();
    }
  });

  it('tokens are verified again on live connections: a deleted user loses its streams, a demoted one its rights', async () => {
    const { bridge: server, url: u } = await startBridge(live.twin, { reauthInterval_ms: 50 });
    try {
      const viewer = await client(`${u}/?token=${await makeToken('t-view', 'viewer')}`);
      viewer.send({ op: 'subscribe', topic: '/drone1/pose' });
      await viewer.next((m) => m.op === 'publish');
      expect(userStore.users.delete('t-view').ok).toBe(true);
      const revoked = await viewer.next((m) => m.op === 'status', 2000);
      expect(revoked.msg).toBe('BRIDGE.UNAUTHENTICATED: token no longer valid (unknown user); authenticate again');
      await sleep(100);
      const n = viewer.ofTopic('/drone1/pose').length;
      await sleep(300);
      expect(viewer.ofTopic('/drone1/pose').length).toBe(n);
      expect((await viewer.expectStatus({ op: 'subscribe', id: 'again', topic: '/drone1/pose' })).msg).toMatch(/^BRIDGE\.UNAUTHENTICATED: authenticate first/);

      const op = await client(`${u}/?token=${await makeToken('t-op', 'operator')}`);
      // Demoted in the store (the role is read from it at every check).
      userStore.db.prepare("UPDATE users SET role = 'viewer' WHERE username = 't-op'").run();
      await sleep(200);
      const denied = await op.expectStatus({ op: 'call_service', id: 'arm', service: '/drone1/arm', args: {} });
      expect(denied.msg).toMatch(/^BRIDGE\.FORBIDDEN: \/drone1\/arm needs role operator; t-op is viewer/);
    } finally {
      await server.stop();
    }
  });

  it('a connection that never authenticates is closed after authTimeout_ms (1008); an authenticated one is not', async () => {
    const { bridge: b, url: u } = await startBridge(live.twin, { authTimeout_ms: 200 });
    try {
      const anon = await client(u);
      const ok = await client(`${u}/?token=${await makeToken('z', 'viewer')}`);
      const closed = new Promise<[number, string]>((r) => anon.ws.once('close', (code, reason) => r([code, reason.toString()])));
      let okClosed = false;
      ok.ws.once('close', () => (okClosed = true));
      expect(await closed).toEqual([1008, 'authentication required']);
      await sleep(200);
      expect(okClosed).toBe(false);
      expect(b.stats().clients).toBe(1);
    } finally {
      await b.stop();
    }
  });
});
