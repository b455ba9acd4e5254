/**
 * Random and mutated REST bodies (fast-check): the server answers 4xx for what does not
 * validate, never 5xx, stays up, and rejected requests change no row.
 *
 * @remarks
 * Validity is judged by an independent oracle: hand-written predicates of what the API's
 * README documents as valid, not the production zod schemas (a schema bug would otherwise
 * agree with itself).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './harness.js';

// ---- the oracle: what is valid, written from the documentation ----

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown, lo: number, hi: number, loOpen = false) => typeof v === 'number' && Number.isFinite(v) && (loOpen ? v > lo : v >= lo) && v <= hi;
const onlyKeys = (o: Record<string, unknown>, keys: string[]) => Object.keys(o).every((k) => keys.includes(k));
const opt = (v: unknown, ok: (v: unknown) => boolean) => v === undefined || ok(v);

/** Exactly one of lat/lon or north/east, with both halves, in range. */
function positionOk(o: Record<string, unknown>): boolean {
  const geo = o.lat !== undefined || o.lon !== undefined;
  const ned = o.north !== undefined || o.east !== undefined;
  if (geo === ned) return false;
  if (geo) return num(o.lat, -90, 90) && num(o.lon, -180, 180) && !(o.lat === 0 && o.lon === 0); // 0,0 is an unset position
  return num(o.north, -100_000, 100_000) && num(o.east, -100_000, 100_000);
}

function waypointOk(w: unknown): boolean {
  if (!isObj(w) || !onlyKeys(w, ['lat', 'lon', 'north', 'east', 'alt', 'hold_s', 'speed_mps', 'acceptance_m', 'capture'])) return false;
  return (
    positionOk(w) &&
    num(w.alt, 0, 1000) &&
    opt(w.hold_s, (v) => num(v, 0, 3600)) &&
    opt(w.speed_mps, (v) => num(v, 0, 50, true)) &&
    opt(w.acceptance_m, (v) => num(v, 0, 100, true)) &&
    opt(w.capture, (v) => typeof v === 'boolean')
  );
}

/** Nesting depth: a scalar 0, `{}` 1, `{a: {}}` 2. */
const depth = (v: unknown): number => (v !== null && typeof v === 'object' ? 1 + Math.max(0, ...Object.values(v).map(depth)) : 0);

function parametersOk(p: unknown): boolean {
  if (!isObj(p)) return false;
  return (
    opt(p.takeoff_alt, (v) => num(v, 1, 1000)) &&
    opt(p.speed_mps, (v) => num(v, 0, 50, true)) &&
    opt(p.end, (v) => v === 'rtl' || v === 'land' || v === 'hold') &&
    depth(p) <= 8 &&
    Buffer.byteLength(JSON.stringify(p)) <= 16 * 1024
  );
}

/** The documented mission body (README "Mission body"); `update`: PUT, which has no id. */
function missionOk(b: unknown, update: boolean): boolean {
  if (!isObj(b) || !onlyKeys(b, update ? ['name', 'description', 'waypoints', 'parameters'] : ['id', 'name', 'description', 'waypoints', 'parameters'])) return false;
  return (
    (update || opt(b.id, (v) => typeof v === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(v))) &&
    typeof b.name === 'string' &&
    b.name.length >= 1 &&
    b.name.length <= 256 &&
    opt(b.description, (v) => typeof v === 'string' && v.length <= 4096) &&
    Array.isArray(b.waypoints) &&
    b.waypoints.length >= 1 &&
    b.waypoints.length <= 9_998 &&
    b.waypoints.every(waypointOk) &&
    opt(b.parameters, parametersOk)
  );
}

/** The documented command body: `{command}` plus `alt` for takeoff, a position and `alt` for goto. */
function commandOk(b: unknown): boolean {
  if (!isObj(b)) return false;
  switch (b.command) {
    case 'arm':
    case 'disarm':
    case 'land':
    case 'rtl':
    case 'hold':
      return onlyKeys(b, ['command']);
    case 'takeoff':
      return onlyKeys(b, ['command', 'alt']) && opt(b.alt, (v) => num(v, 1, 1000));
    case 'goto': {
      if (!onlyKeys(b, ['command', 'lat', 'lon', 'north', 'east', 'alt']) || !num(b.alt, 0, 1000)) return false;
      const geo = b.lat !== undefined || b.lon !== undefined;
      const ned = b.north !== undefined || b.east !== undefined;
      if (geo === ned) return false;
      return geo ? num(b.lat, -90, 90) && num(b.lon, -180, 180) : num(b.north, -100_000, 100_000) && num(b.east, -100_000, 100_000);
    }
    default:
      return false;
  }
}

let s: Stack;
beforeAll(async () => {
  s = await startStack({ vehicles: ['d1'] });
  const r = await s.call('POST', '/missions', { as: 'operator', body: { id: 'target', name: 'target', waypoints: [{ lat: 47.4, lon: 8.5, alt: 10 }] } });
  expect(r.status).toBe(201);
});
afterAll(async () => {
  await s?.close();
});

const counts = () => ({
  missions: s.store.missions.count(),
  users: s.store.users.count(),
  events: (s.store.db.prepare('SELECT count(*) AS n FROM event_log').get() as { n: number }).n,
});

const validMission = { name: 'm', description: 'd', waypoints: [{ lat: 47.4, lon: 8.5, alt: 10 }, { north: 5, east: 5, alt: 12 }], parameters: { end: 'land' } };
/** A valid mission with one field replaced by arbitrary JSON: near misses find more than noise. */
const mutatedMission = fc
  .tuple(fc.constantFrom('name', 'description', 'waypoints', 'parameters', 'id', 'extra'), fc.jsonValue(), fc.option(fc.nat(3)))
  .map(([key, value, wp]) => {
    if (key === 'waypoints' && wp !== null) {
      const waypoints = [...validMission.waypoints] as unknown[];
      waypoints[wp % 2] = value;
      return { ...validMission, waypoints };
    }
    return { ...validMission, [key]: value };
  });
const missionBodies = fc.oneof(fc.jsonValue(), mutatedMission, fc.dictionary(fc.string(), fc.jsonValue()));
const commandBodies = fc.oneof(
  fc.jsonValue(),
  fc.record({ command: fc.oneof(fc.constantFrom('arm', 'disarm', 'takeoff', 'land', 'rtl', 'hold', 'goto'), fc.string()), alt: fc.jsonValue(), lat: fc.jsonValue(), north: fc.jsonValue() }, { requiredKeys: ['command'] }),
);

async function send(method: string, path: string, body: unknown) {
  return s.call(method, path, { as: 'operator', raw: JSON.stringify(body) ?? 'null' });
}

describe('REST fuzz', () => {
  it('POST /missions: 4xx unless the body validates; rejected bodies write nothing', async () => {
    await fc.assert(
      fc.asyncProperty(missionBodies, async (body) => {
        const before = counts();
        const r = await send('POST', '/missions', body);
        const valid = missionOk(body, false);
        if (valid && (body as { id?: unknown }).id === 'target') expect(r.status).toBe(409);
        else if (valid) {
          expect(r.status, JSON.stringify(r.body)).toBe(201);
          expect(counts().missions).toBe(before.missions + 1);
          await s.call('DELETE', `/missions/${encodeURIComponent(r.body.id)}`, { as: 'operator' });
        }
        if (!valid || r.status !== 201) {
          expect(r.status).toBeGreaterThanOrEqual(400);
          expect(r.status).toBeLessThan(500);
          expect(r.body.error.code).toMatch(/^[A-Z]+\.[A-Z_0-9.]+$/);
          expect(counts()).toEqual(before);
        }
      }),
      { numRuns: 300, seed: 20261127 },
    );
  });

  it('PUT /missions/{id}: rejected bodies leave the mission as it was', async () => {
    const original = (await s.call('GET', '/missions/target', { as: 'viewer' })).body;
    await fc.assert(
      fc.asyncProperty(missionBodies, async (body) => {
        const r = await send('PUT', '/missions/target', body);
        if (missionOk(body, true)) {
          expect(r.status, JSON.stringify(r.body)).toBe(200);
          await send('PUT', '/missions/target', { name: original.name, description: original.description, waypoints: original.waypoints, parameters: original.parameters });
        } else {
          expect(r.status).toBe(422);
          const now = (await s.call('GET', '/missions/target', { as: 'viewer' })).body;
          expect({ ...now, updated_at: undefined }).toEqual({ ...original, updated_at: undefined });
        }
      }),
      { numRuns: 200, seed: 7 },
    );
  });

  it('POST /vehicles/{id}/commands: 4xx unless valid; a rejected command never reaches the twin', async () => {
    await fc.assert(
      fc.asyncProperty(commandBodies, async (body) => {
        const logged = s.twin.log.count;
        const r = await send('POST', '/vehicles/d1/commands', body);
        if (commandOk(body)) expect(r.status, JSON.stringify(r.body)).toBe(202);
        else {
          expect(r.status).toBe(422);
          expect(s.twin.log.count).toBe(logged);
        }
      }),
      { numRuns: 300, seed: 42 },
    );
  });

  it('non-JSON bodies, wrong content types and huge bodies are 4xx; the server stays up', async () => {
    const raws = ['', '{', 'null', '"x"', '[1,2', '\u0000', '{"name":"a","waypoints":[{"lat":1e400}]}'];
    for (const raw of raws) {
      const r = await s.call('POST', '/missions', { as: 'operator', raw });
      expect(r.status, raw).toBeGreaterThanOrEqual(400);
      expect(r.status, raw).toBeLessThan(500);
    }
    expect((await s.call('POST', '/missions', { as: 'operator', raw: '<m/>', headers: { 'content-type': 'application/xml' } })).status).toBe(415);
    const huge = JSON.stringify({ ...validMission, description: 'x'.repeat(2 * 1024 * 1024) });
    expect((await s.call('POST', '/missions', { as: 'operator', raw: huge })).status).toBe(413);
    expect((await s.call('GET', '/healthz')).status).toBe(200);
  });

  it('users, tokens, loads: arbitrary bodies are 4xx (never 5xx) and change no user, hash, token version or mission', async () => {
    const snapshot = () => ({
      users: s.store.db.prepare('SELECT username, password_hash, role, token_version FROM users ORDER BY username').all(),
      missions: s.store.db.prepare('SELECT id, updated_at FROM missions ORDER BY id').all(),
      status: s.twin.missionStatus('d1'),
    });
    const userLike = fc.record({ username: fc.oneof(fc.constantFrom('viewer', 'admin', 'x'), fc.string()), password: fc.oneof(fc.string(), fc.jsonValue()), role: fc.oneof(fc.constantFrom('viewer', 'root'), fc.jsonValue()) }, { requiredKeys: [] });
    const bodies = fc.oneof(fc.jsonValue(), userLike, fc.dictionary(fc.string(), fc.jsonValue()));
    const routes: [string, string, 'admin' | 'operator' | undefined][] = [
      ['POST', '/users', 'admin'],
      ['PATCH', '/users/viewer', 'admin'],
      ['POST', '/missions/target/load', 'operator'],
      ['POST', '/token', undefined],
    ];
    /** Bodies that would be accepted (and change something) are not what this property is about. */
    const wouldApply = (method: string, path: string, b: unknown) => {
      if (!isObj(b)) return false;
      if (path === '/users') return typeof b.username === 'string' && /^[a-z][a-z0-9_.-]{0,63}$/.test(b.username) && typeof b.password === 'string' && b.password.length >= 8 && b.password.length <= 256 && ['viewer', 'operator', 'admin'].includes(b.role as string) && Object.keys(b).length === 3;
      if (method === 'PATCH') return onlyKeys(b, ['password', 'role']) && (b.password !== undefined || b.role !== undefined) && opt(b.password, (v) => typeof v === 'string' && v.length >= 8 && v.length <= 256) && opt(b.role, (v) => ['viewer', 'operator', 'admin'].includes(v as string));
      if (path.endsWith('/load')) return onlyKeys(b, ['vehicle']) && b.vehicle === 'd1';
      return false;
    };
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), bodies, async ([method, path, as], body) => {
        if (wouldApply(method, path, body)) return;
        const before = snapshot();
        const r = await s.call(method, path, { ...(as ? { as } : {}), raw: JSON.stringify(body) ?? 'null' });
        expect(r.status, `${method} ${path} ${JSON.stringify(body)}`).toBeGreaterThanOrEqual(400);
        expect(r.status).toBeLessThan(500);
        expect(r.body.error.code).toMatch(/^[A-Z]+\.[A-Z_0-9.]+$/);
        expect(snapshot()).toEqual(before);
      }),
      // /token answers 401 or 422 here; its rate limits (429) are 4xx too.
      { numRuns: 200, seed: 99 },
    );
    expect((await s.call('GET', '/healthz')).status).toBe(200);
  });
});
