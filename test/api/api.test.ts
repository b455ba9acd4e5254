import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './harness.js';

let s: Stack;
beforeAll(async () => {
  s = await startStack();
});
afterAll(async () => {
  await s?.close();
});

const mission = {
  name: 'field A',
  description: 'two legs',
  waypoints: [
    { lat: 47.3980, lon: 8.5456, alt: 20 },
    { north: 40, east: 30, alt: 25, hold_s: 1 },
  ],
  parameters: { speed_mps: 6, end: 'rtl', operator_note: 'kept as given' },
};

describe('missions', () => {
  it('CRUD: create 201, read, list, replace, delete 204, then 404', async () => {
    const c = await s.call('POST', '/missions', { as: 'operator', body: mission });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({ name: 'field A', description: 'two legs', waypoints: mission.waypoints, parameters: mission.parameters });
    expect(c.body.created_at).toBe(c.body.updated_at);
    const id = c.body.id as string;
    expect(c.headers.get('location')).toBe(`/missions/${id}`);
    expect((await s.call('GET', `/missions/${id}`, { as: 'viewer' })).body).toEqual(c.body);
    expect((await s.call('GET', '/missions', { as: 'viewer' })).body.map((m: { id: string }) => m.id)).toContain(id);
    const u = await s.call('PUT', `/missions/${id}`, { as: 'operator', body: { ...mission, name: 'field B' } });
    expect(u.status).toBe(200);
    expect(u.body.name).toBe('field B');
    expect(u.body.created_at).toBe(c.body.created_at);
    expect((await s.call('DELETE', `/missions/${id}`, { as: 'operator' })).status).toBe(204);
    const gone = await s.call('GET', `/missions/${id}`, { as: 'viewer' });
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe('STORE.NOT_FOUND');
    expect((await s.call('PUT', `/missions/${id}`, { as: 'operator', body: mission })).status).toBe(404);
    expect((await s.call('DELETE', `/missions/${id}`, { as: 'operator' })).status).toBe(404);
  });

  it('invalid bodies get 422 with field-level reasons and write nothing', async () => {
    const before = s.store.missions.count();
    const r = await s.call('POST', '/missions', {
      as: 'operator',
      body: { name: '', waypoints: [{ lat: 91, lon: 8, alt: 10 }, { north: 1, alt: 5 }, { lat: 1, lon: 2, north: 3, east: 4, alt: 1 }], parameters: { end: 'fly-away' }, extra: 1 },
    });
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('REQUEST.INVALID');
    const paths = r.body.error.issues.map((i: { path: string }) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['name', 'waypoints.0.lat', 'waypoints.1.east', 'waypoints.2.north', 'parameters.end', '(root)']));
    expect((await s.call('POST', '/missions', { as: 'operator', raw: '{"name": ' })).status).toBe(422);
    expect((await s.call('POST', '/missions', { as: 'operator', body: [] })).status).toBe(422);
    expect(s.store.missions.count()).toBe(before);
  });

  it('a duplicate client id is a 409 and leaves the first mission intact', async () => {
    expect((await s.call('POST', '/missions', { as: 'operator', body: { ...mission, id: 'dup' } })).status).toBe(201);
    const again = await s.call('POST', '/missions', { as: 'operator', body: { ...mission, id: 'dup', name: 'other' } });
    expect(again.status).toBe(409);
    expect((await s.call('GET', '/missions/dup', { as: 'viewer' })).body.name).toBe('field A');
  });
});

describe('auth', () => {
  it('no token → 401, viewer cannot command (403), admin manages users', async () => {
    expect((await s.call('GET', '/vehicles')).status).toBe(401);
    const forbidden = await s.call('POST', '/vehicles/d1/commands', { as: 'viewer', body: { command: 'arm' } });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe('AUTH.FORBIDDEN');
    expect((await s.call('POST', '/missions', { as: 'viewer', body: mission })).status).toBe(403);
    expect((await s.call('GET', '/users', { as: 'operator' })).status).toBe(403);
    const created = await s.call('POST', '/users', { as: 'admin', body: { username: 'ops2', password: 'long-enough', role: 'operator' } });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ username: 'ops2', role: 'operator', created_at: expect.any(String) });
    expect((await s.call('POST', '/users', { as: 'admin', body: { username: 'ops2', password: 'long-enough', role: 'operator' } })).status).toBe(409);
    const list = await s.call('GET', '/users', { as: 'admin' });
    expect(JSON.stringify(list.body)).not.toContain('scrypt');
    expect((await s.call('POST', '/users', { as: 'admin', body: { username: 'X', password: 'short', role: 'root' } })).body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(['password', 'role', 'username']);
  });
});

describe('vehicles and commands', () => {
  it('GET /vehicles shows state, mode, armed, battery, position, link and mission status', async () => {
    await s.clock.advance(500);
    const r = await s.call('GET', '/vehicles', { as: 'viewer' });
    expect(r.status).toBe(200);
    expect(r.body.map((v: { id: string }) => v.id)).toEqual(['d1', 'd2']);
    expect(r.body[0]).toMatchObject({
      id: 'd1',
      state: 'connected.standby',
      armed: false,
      link: true,
      battery: { remaining_pct: expect.any(Number) },
      position: { lat: expect.any(Number), lon: expect.any(Number), alt_rel: expect.any(Number) },
      mission: { status: 'IDLE', progress: { current_waypoint: 0, total_waypoints: 0, percent_complete: 0 } },
    });
    expect((await s.call('GET', '/vehicles/nope', { as: 'viewer' })).status).toBe(404);
  });

  it('operator commands reach the twin under the request correlation id', async () => {
    const arm = await s.call('POST', '/vehicles/d1/commands', { as: 'operator', body: { command: 'arm' }, headers: { 'x-correlation-id': 'req-arm-1' } });
    expect(arm.status).toBe(202);
    expect(arm.body).toEqual({ correlation_id: 'req-arm-1', vehicle: 'd1', command: { kind: 'arm' } });
    expect(arm.headers.get('x-correlation-id')).toBe('req-arm-1');
    const takeoff = await s.call('POST', '/vehicles/d1/commands', { as: 'operator', body: { command: 'takeoff', alt: 12 } });
    expect(takeoff.status).toBe(202);
    const cid = takeoff.body.correlation_id as string;
    expect(cid).toMatch(/^[0-9a-f-]{36}$/);
    expect(takeoff.headers.get('x-correlation-id')).toBe(cid);
    await s.clock.advance(15_000);
    const results = s.twin.log.entries.filter((e) => e.type === 'command.result');
    expect(results.find((e) => e.cid === 'req-arm-1')?.data).toMatchObject({ kind: 'arm', ok: true });
    expect(results.find((e) => e.cid === cid)?.data).toMatchObject({ kind: 'takeoff', ok: true });
    // … and in the persisted event log.
    s.sink.flush();
    expect(s.store.events.byCorrelationId('req-arm-1').map((e) => e.type)).toEqual(expect.arrayContaining(['command', 'command.result']));
    expect(s.twin.vehicleState('d1')).toBe('connected.armed.inAir.hold');
    // A garbage correlation id is replaced, not logged.
    const bad = await s.call('POST', '/vehicles/d1/commands', { as: 'operator', body: { command: 'hold' }, headers: { 'x-correlation-id': 'a b{}' } });
    expect(bad.body.correlation_id).not.toBe('a b{}');
    expect((await s.call('POST', '/vehicles/d1/commands', { as: 'operator', body: { command: 'goto', north: 10, alt: 10 } })).body.error.issues).toEqual([
      { path: 'east', message: 'east is required with north' },
    ]);
    expect((await s.call('POST', '/vehicles/zz/commands', { as: 'operator', body: { command: 'arm' } })).status).toBe(404);
  });

  it('loads a stored mission into a vehicle and drives it: start, pause, resume, abort', async () => {
    const c = await s.call('POST', '/missions', { as: 'operator', body: { ...mission, id: 'fly-d2' } });
    expect(c.status).toBe(201);
    const load = await s.call('POST', '/missions/fly-d2/load', { as: 'operator', body: { vehicle: 'd2' }, headers: { 'x-correlation-id': 'load-1' } });
    expect(load.status).toBe(202);
    expect(load.body).toMatchObject({ correlation_id: 'load-1', vehicle: 'd2', mission_id: 'fly-d2' });
    await s.clock.advance(2_000);
    expect(s.twin.missionStatus('d2')).toBe('LOADED');
    expect(s.twin.log.entries.some((e) => e.cid === 'load-1' && e.source === 'mission:d2')).toBe(true);
    expect((await s.call('POST', '/vehicles/d2/mission/resume', { as: 'operator' })).status).toBe(409);
    expect((await s.call('POST', '/vehicles/d2/mission/start', { as: 'operator' })).status).toBe(202);
    await s.clock.advance(10_000);
    expect(s.twin.missionStatus('d2')).toBe('RUNNING');
    expect((await s.call('POST', '/vehicles/d2/mission/pause', { as: 'operator' })).status).toBe(202);
    await s.clock.advance(2_000);
    expect(s.twin.missionStatus('d2')).toBe('PAUSED');
    expect((await s.call('POST', '/vehicles/d2/mission/resume', { as: 'operator' })).status).toBe(202);
    await s.clock.advance(2_000);
    const abort = await s.call('POST', '/vehicles/d2/mission/abort', { as: 'operator', body: { reason: 'test' } });
    expect(abort.status).toBe(202);
    await s.clock.advance(2_000);
    expect(s.twin.missionStatus('d2')).toBe('ABORTED');
    expect((await s.call('POST', '/vehicles/d2/mission/explode', { as: 'operator' })).status).toBe(404);
    expect((await s.call('POST', '/missions/nope/load', { as: 'operator', body: { vehicle: 'd2' } })).status).toBe(404);
    expect((await s.call('POST', '/missions/fly-d2/load', { as: 'operator', body: { vehicle: 'zz' } })).status).toBe(404);
    const v = (await s.call('GET', '/vehicles/d2', { as: 'viewer' })).body;
    expect(v.mission).toMatchObject({ mission_id: 'fly-d2', status: 'ABORTED' });
  });
});

describe('runs, health, metrics, docs', () => {
  it('GET /runs lists stored reports; /runs/{id} returns one; unknown 404', async () => {
    const report = { scenario: 'survey', passed: true, seed: 1, simulatedSeconds: 10, eventLogSha256: 'ab', events: 3, vehicles: {}, expectations: [], minSeparation_m: null, errors: [] };
    expect(s.store.runs.insert('run-1', report).ok).toBe(true);
    const list = await s.call('GET', '/runs', { as: 'viewer' });
    expect(list.body[0]).toMatchObject({ id: 'run-1', scenario: 'survey', passed: true });
    expect((await s.call('GET', '/runs/run-1', { as: 'viewer' })).body.report).toEqual(report);
    expect((await s.call('GET', '/runs/none', { as: 'viewer' })).status).toBe(404);
    s.sink.flush();
    const events = await s.call('GET', '/runs/session/events?limit=5', { as: 'viewer' });
    expect(events.body).toHaveLength(5);
    expect((await s.call('GET', '/runs?limit=0', { as: 'viewer' })).status).toBe(422);
  });

  it('/healthz, /metrics (Prometheus) and /docs (OpenAPI)', async () => {
    const h = await s.call('GET', '/healthz');
    expect(h).toMatchObject({ status: 200, body: { status: 'ok', store: 'ok', vehicles: 2 } });
    const m = await s.call('GET', '/metrics');
    expect(m.status).toBe(200);
    expect(m.headers.get('content-type')).toContain('text/plain');
    for (const name of [
      'twin_bus_messages_published_total',
      'twin_actor_events_total{source="vehicle",type="command"}',
      'twin_vehicles_in_state{state="connected.armed.inAir.hold"}',
      'twin_vehicle_link_up{vehicle="d1"} 1',
      'twin_vehicle_telemetry_age_seconds{vehicle="d1"}',
      'twin_http_request_duration_seconds_bucket',
      'twin_bridge_clients 0',
    ])
      expect(m.body).toContain(name);
    const docs = await s.call('GET', '/docs/json');
    expect(docs.status).toBe(200);
    expect(docs.body.openapi).toMatch(/^3\./);
    expect(Object.keys(docs.body.paths)).toEqual(expect.arrayContaining(['/token', '/missions', '/missions/{id}', '/missions/{id}/load', '/vehicles', '/vehicles/{id}/commands', '/vehicles/{id}/mission/{action}', '/runs', '/users', '/healthz', '/metrics']));
    expect(docs.body.paths['/missions'].post.requestBody.content['application/json'].schema.required).toEqual(expect.arrayContaining(['name', 'waypoints']));
    expect((await fetch(s.url + '/docs/')).status).toBe(200);
    expect((await s.call('GET', '/nowhere')).status).toBe(404);
  });
});
