/**
 * Captures and sensors over real HTTP: a capture request reaches the camera, its bytes land in the
 * real SQLite-indexed blob store, the indexer stores the row from the real bus message, and the
 * REST routes list, page, describe and serve it (media type, ETag = SHA-256, 304). Bad params and
 * queries (fast-check) are refused with REQUEST.INVALID and change nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { startStack, type Stack } from './harness.js';
import { createApiServer, type ApiServer } from '../../api/server.js';
import { indexCaptures, type CaptureIndexer } from '../../api/capture-indexer.js';
import { jpegBytes, sensorRig, type SensorRig } from '../bridge/sensor-harness.js';
import { LocalFrame } from '../../core/geo.js';
import { DEFAULT_HOME } from '../../actors/scenario/scenario.runner.js';

let s: Stack;
let rig: SensorRig;
let server: ApiServer;
let indexer: CaptureIndexer;
let url: string;

async function call(method: string, path: string, as?: 'viewer' | 'operator' | 'admin', headers: Record<string, string> = {}) {
  const res = await fetch(url + path, { method, headers: { ...headers, ...(as ? { authorization: `Bearer ${s.tokens[as]}` } : {}) } });
  const buf = Buffer.from(await res.arrayBuffer());
  let body: any = buf;
  if (buf.length && (res.headers.get('content-type') ?? '').includes('json')) body = JSON.parse(buf.toString('utf8'));
  return { status: res.status, body, headers: res.headers };
}

beforeAll(async () => {
  s = await startStack({ vehicles: ['d1', 'd2'] });
  rig = sensorRig(s.twin, 'd1', s.store);
  indexer = indexCaptures(s.store, s.twin.bus, s.twin, rig.directory.list(), { run: 'session-test' });
  server = createApiServer({ twin: s.twin, store: s.store, auth: s.auth, port: 0, sensors: rig.directory, captureIndexer: indexer, captureTimeout_ms: 300 });
  ({ url } = await server.start());
});
afterAll(async () => {
  indexer?.stop();
  await server?.stop();
  await s?.close();
});

describe('POST /vehicles/{id}/sensors/{sensor}/capture', () => {
  it('202 with the stored reference; the row, the image and its ETag follow', async () => {
    const r = await call('POST', '/vehicles/d1/sensors/cam/capture', 'operator', { 'x-correlation-id': 'cap-1' });
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ correlation_id: 'cap-1', vehicle: 'd1', sensor: 'cam', capture: { media_type: 'image/jpeg', blob_key: expect.stringMatching(/^captures\//) } });
    const id = r.body.capture.capture_id as number;
    expect(id).toBeGreaterThan(0);

    const row = await call('GET', `/captures/${id}`, 'viewer');
    expect(row.status).toBe(200);
    expect(row.body).toMatchObject({ id, vehicle: 'd1', sensor: 'cam', index: r.body.capture.index, run: 'session-test', image_url: `/captures/${id}/image` });
    expect(row.body.pose.position.lat_deg).toBeCloseTo(r.body.capture.pose.position.lat_deg, 9);

    const img = await call('GET', `/captures/${id}/image`, 'viewer');
    expect(img.status).toBe(200);
    expect(img.headers.get('content-type')).toBe('image/jpeg');
    const expected = Buffer.from(jpegBytes(r.body.capture.index));
    expect((img.body as Buffer).equals(expected)).toBe(true);
    const sha = createHash('sha256').update(expected).digest('hex');
    expect(img.headers.get('etag')).toBe(`"${sha}"`);
    const again = await call('GET', `/captures/${id}/image`, 'viewer', { 'if-none-match': `"${sha}"` });
    expect(again.status).toBe(304);
    expect((await call('GET', `/captures/${id}/image`)).status).toBe(401);
  });

  it('clear 4xx/5xx with the dotted code; nothing stored', async () => {
    const before = s.store.captures.list().total;
    const viewer = await call('POST', '/vehicles/d1/sensors/cam/capture', 'viewer');
    expect([viewer.status, viewer.body.error.code]).toEqual([403, 'AUTH.FORBIDDEN']);
    const noVehicle = await call('POST', '/vehicles/zz/sensors/cam/capture', 'operator');
    expect([noVehicle.status, noVehicle.body.error.code]).toEqual([404, 'VEHICLE.UNKNOWN']);
    const noSensor = await call('POST', '/vehicles/d2/sensors/cam/capture', 'operator');
    expect([noSensor.status, noSensor.body.error.code]).toEqual([404, 'SENSOR.UNKNOWN']);
    const lidar = await call('POST', '/vehicles/d1/sensors/ouster/capture', 'operator');
    expect([lidar.status, lidar.body.error.code]).toEqual([409, 'SENSOR.UNSUPPORTED']);
    rig.failNext('SENSOR.BUSY');
    const busy = await call('POST', '/vehicles/d1/sensors/cam/capture', 'operator');
    expect([busy.status, busy.body.error.code]).toEqual([409, 'SENSOR.BUSY']);
    rig.failNext('SENSOR.STORAGE');
    const full = await call('POST', '/vehicles/d1/sensors/cam/capture', 'operator');
    expect([full.status, full.body.error.code]).toEqual([507, 'SENSOR.STORAGE']);
    rig.failNext('SENSOR.NO_LINK');
    expect((await call('POST', '/vehicles/d1/sensors/cam/capture', 'operator')).status).toBe(503);
    rig.failNext('hang');
    const slow = await call('POST', '/vehicles/d1/sensors/cam/capture', 'operator');
    expect([slow.status, slow.body.error.code]).toEqual([504, 'SENSOR.TIMEOUT']);
    const badName = await call('POST', '/vehicles/d1/sensors/c%20am/capture', 'operator');
    expect([badName.status, badName.body.error.code]).toEqual([422, 'REQUEST.INVALID']);
    expect(s.store.captures.list().total).toBe(before);
  });
});

describe('GET /captures', () => {
  it('filters by vehicle, sensor, mission and run; pages by cursor without gaps or repeats', async () => {
    const frame = new LocalFrame(DEFAULT_HOME);
    const p = frame.toGeo({ north_m: 20, east_m: 0, down_m: -20 });
    const load = s.twin.mission('d1').load({ id: 'survey-7', name: 'survey', vehicle: 'd1', items: [{ kind: 'takeoff', alt_m: 20 }, { kind: 'waypoint', lat_deg: p.lat_deg, lon_deg: p.lon_deg, alt_m: 20 }, { kind: 'rtl' }] });
    expect(load.ok).toBe(true);
    for (let i = 0; i < 5; i++) await rig.capture('d1', 'cam');
    const mission = await call('GET', '/captures?mission=survey-7&limit=1000', 'viewer');
    expect(mission.body.total).toBe(5);
    expect(mission.body.items.every((c: { mission: string }) => c.mission === 'survey-7')).toBe(true);

    const all = (await call('GET', '/captures?vehicle=d1&sensor=cam&run=session-test&limit=1000', 'viewer')).body;
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { status: number; body: { items: { id: number }[]; next_cursor: string | null; total: number } } = await call('GET', `/captures?vehicle=d1&limit=2${cursor ? `&cursor=${cursor}` : ''}`, 'viewer');
      expect(page.status).toBe(200);
      expect(page.body.total).toBe(all.total);
      seen.push(...page.body.items.map((c) => c.id));
      cursor = page.body.next_cursor;
      pages++;
    } while (cursor && pages < 100);
    expect(seen).toEqual(all.items.map((c: { id: number }) => c.id));
    expect(new Set(seen).size).toBe(seen.length);
    expect((await call('GET', '/captures?vehicle=d2', 'viewer')).body).toMatchObject({ items: [], total: 0, next_cursor: null });
    // end_cursor: poll with it for what comes later.
    const last = (await call('GET', '/captures?vehicle=d1&sensor=cam&limit=1000', 'viewer')).body;
    expect(last.next_cursor).toBeNull();
    expect((await call('GET', `/captures?vehicle=d1&sensor=cam&cursor=${last.end_cursor}`, 'viewer')).body.items).toEqual([]);
    const added = await rig.capture('d1', 'cam');
    const later = (await call('GET', `/captures?vehicle=d1&sensor=cam&cursor=${last.end_cursor}`, 'viewer')).body;
    expect(later.items.map((c: { index: number }) => c.index)).toEqual([added.index]);
    expect((await call('GET', '/captures/999999', 'viewer')).status).toBe(404);
  });

  it('fast-check: any query is 200 or 422 REQUEST.INVALID, never 5xx, and changes nothing', async () => {
    const before = s.store.captures.list().total;
    const key = fc.constantFrom('vehicle', 'mission', 'sensor', 'run', 'limit', 'cursor', 'offset', 'x', 'limit[]');
    const value = fc.oneof(fc.string({ maxLength: 40 }), fc.integer({ min: -5, max: 5000 }).map(String), fc.constantFrom('', '0', '1e3', 'NaN', '../..', 'd1', 'bzoxMA', 'bzo5OTk5OTk5OTk5'));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(key, value), { maxLength: 5 }), async (pairs) => {
        const q = new URLSearchParams(pairs).toString();
        const r = await call('GET', `/captures?${q}`, 'viewer');
        expect([200, 422]).toContain(r.status);
        if (r.status === 422) {
          expect(r.body.error.code).toBe('REQUEST.INVALID');
          expect(r.body.error.issues.length).toBeGreaterThan(0);
        } else expect(Array.isArray(r.body.items)).toBe(true);
      }),
      { numRuns: 150, seed: 10 },
    );
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 30 }), fc.string({ minLength: 1, maxLength: 30 }), async (v, sensor) => {
        const r = await call('POST', `/vehicles/${encodeURIComponent(v)}/sensors/${encodeURIComponent(sensor)}/capture`, 'operator');
        expect([404, 409, 422]).toContain(r.status);
        expect(r.body.error.code).toMatch(/^(REQUEST\.INVALID|REQUEST\.NOT_FOUND|VEHICLE\.UNKNOWN|SENSOR\.UNKNOWN)$/);
      }),
      { numRuns: 100, seed: 11 },
    );
    expect(s.store.captures.list().total).toBe(before);
  });
});

describe('GET /vehicles/{id}/sensors', () => {
  it('sensors with profile and health; a vehicle without sensors has none; unknown vehicle 404', async () => {
    const r = await call('GET', '/vehicles/d1/sensors', 'viewer');
    expect(r.status).toBe(200);
    const cam = r.body.find((x: { id: string }) => x.id === 'cam');
    const lidar = r.body.find((x: { id: string }) => x.id === 'ouster');
    expect(cam).toMatchObject({ kind: 'camera', model: 'phase-one-ixm-100', machine_state: 'ready', health: { state: 'ok' }, camera: { focal_length_mm: 35 }, lidar: null });
    expect(cam.latest_capture).toMatchObject({ capture_id: expect.any(Number) });
    expect(lidar).toMatchObject({ kind: 'lidar', model: 'os1-64', lidar: { beams: 64 }, latest_capture: null });
    expect((await call('GET', '/vehicles/d2/sensors', 'viewer')).body).toEqual([]);
    expect((await call('GET', '/vehicles/nope/sensors', 'viewer')).status).toBe(404);
    const doc = await call('GET', '/docs/json');
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/captures', '/captures/{id}', '/captures/{id}/image', '/vehicles/{id}/sensors', '/vehicles/{id}/sensors/{sensor}/capture']));
  });
});
