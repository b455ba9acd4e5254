/**
 * Random and mutated REST bodies (fast-check): the server answers 4xx for what does not
 * validate, never 5xx, stays up, and rejected requests change no row.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandBody, MissionBody, MissionUpdateBody } from '../../api/schemas.js';
import { startStack, type Stack } from './harness.js';

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
        const valid = MissionBody.safeParse(body).success;
        if (valid && r.status === 201) {
          expect(counts().missions).toBe(before.missions + 1);
          await s.call('DELETE', `/missions/${encodeURIComponent(r.body.id)}`, { as: 'operator' });
        } else {
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
        if (MissionUpdateBody.safeParse(body).success) {
          expect(r.status).toBe(200);
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
        if (CommandBody.safeParse(body).success) expect(r.status).toBe(202);
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
});
