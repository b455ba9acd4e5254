/**
 * The operator side of sensors as a user meets it: `twin start scenarios/survey-sensors.yaml` in
 * its own process (simulated Phase One camera rendering real JPEGs, simulated Ouster sending real
 * packets, the store in a temp dir), then over real HTTP and a real WebSocket: the sensors and
 * their health, a capture requested by an operator (202, its row, its JPEG with ETag), the
 * camera's image and the LiDAR's points on the bridge, the counters in /metrics.
 */
import { describe, expect, it, afterAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RawClient } from '../bridge/bridge-harness.js';

const CLI = 'dist/cli/bin.js';

/** `n` distinct free TCP ports (all held until every one is known, so none is handed out twice). */
async function freePorts(n: number): Promise<number[]> {
  const servers = Array.from({ length: n }, () => createServer());
  for (const s of servers) await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  for (const s of servers) await new Promise((r) => s.close(r));
  return ports;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeout_ms: number, log: () => string): Promise<T> {
  const t0 = performance.now();
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (performance.now() - t0 > timeout_ms) throw new Error(`timed out waiting for ${what}\n${log().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('twin start with a camera and a LiDAR', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twin-sensors-start-'));
  let child: ChildProcess | undefined;
  const clients: RawClient[] = [];
  afterAll(() => {
    for (const c of clients) c.close();
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('REST capture → stored JPEG; the bridge streams images and points; counters in /metrics', { timeout: 120_000 }, async () => {
    if (!existsSync(CLI)) throw new Error('run `npm run build` first (npm test does)');
    const [http, ws] = (await freePorts(2)) as [number, number];
    let out = '';
    child = spawn(process.execPath, [CLI, 'start', 'scenarios/survey-sensors.yaml', '--speed', '2'], {
      env: { ...process.env, TWIN_DATA_DIR: dir, TWIN_HTTP_PORT: String(http), TWIN_BRIDGE_PORT: String(ws), TWIN_ADMIN_PASSWORD: 'admin-password-1', TWIN_JWT_SECRET: 'x'.repeat(40) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const base = `http://127.0.0.1:${http}`;
    const token = await until(
      'the API',
      async () => {
        const r = await fetch(`${base}/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'admin-password-1' }) });
        return r.ok ? ((await r.json()) as { access_token: string }).access_token : undefined;
      },
      60_000,
      () => out,
    );
    const auth = { authorization: `Bearer ${token}` };
    const get = async (path: string) => fetch(base + path, { headers: auth });

    // Both sensors, connected, with their profiles and health.
    const sensors = await until(
      'ready sensors',
      async () => {
        const list = (await (await get('/vehicles/drone1/sensors')).json()) as { id: string; machine_state: string; health: { state: string }; model: string; camera: unknown; lidar: unknown }[];
        return list.length === 2 && list.every((s) => s.machine_state === 'ready' || s.machine_state === 'streaming') ? list : undefined;
      },
      60_000,
      () => out,
    );
    expect(sensors.map((s) => [s.id, s.model, s.health.state])).toEqual([
      ['phase_one', 'phase-one-ixm-100', 'ok'],
      ['ouster', 'os1-64', 'ok'],
    ]);

    // The bridge first, so the operator's image arrives on it.
    const c = await RawClient.connect(`ws://127.0.0.1:${ws}/?token=${token}`);
    clients.push(c);
    c.send({ op: 'subscribe', id: 'img', topic: '/drone1/phase_one/image_raw/compressed', compression: 'cbor' });
    c.send({ op: 'subscribe', id: 'pts', topic: '/drone1/ouster/points', point_budget: 2000, throttle_rate: 500, queue_length: 1 });
    c.send({ op: 'subscribe', id: 'st', topic: '/drone1/phase_one/status' });

    const cap = await fetch(`${base}/vehicles/drone1/sensors/phase_one/capture`, { method: 'POST', headers: auth });
    const body = (await cap.json()) as { capture: { index: number; capture_id: number | null; blob_key: string; media_type: string; pose: { position: { lat_deg: number } } } };
    expect(cap.status, JSON.stringify(body)).toBe(202);
    expect(body.capture.media_type).toBe('image/jpeg');
    expect(body.capture.capture_id).toBeGreaterThan(0);
    const img = await get(`/captures/${body.capture.capture_id}/image`);
    expect(img.status).toBe(200);
    expect(img.headers.get('content-type')).toBe('image/jpeg');
    const jpeg = Buffer.from(await img.arrayBuffer());
    expect([jpeg[0], jpeg[1]]).toEqual([0xff, 0xd8]);
    expect(img.headers.get('etag')).toMatch(/^"[0-9a-f]{64}"$/);
    const row = (await (await get(`/captures/${body.capture.capture_id}`)).json()) as { sensor: string; sha256: string };
    expect(row.sensor).toBe('phase_one');
    expect(img.headers.get('etag')).toBe(`"${row.sha256}"`);

    const image = await c.next((m) => m.op === 'publish' && m.topic === '/drone1/phase_one/image_raw/compressed', 20_000);
    const data = Buffer.from((image.msg as { data: Uint8Array }).data);
    expect((image.msg as { format: string }).format).toBe('jpeg');
    expect([data[0], data[1]]).toEqual([0xff, 0xd8]);
    const points = await c.next((m) => m.op === 'publish' && m.topic === '/drone1/ouster/points', 30_000);
    const pc = points.msg as { width: number; point_step: number; data: string };
    expect(pc.width).toBeGreaterThan(0);
    expect(pc.width).toBeLessThanOrEqual(1024);
    expect(Buffer.from(pc.data, 'base64').byteLength).toBe(pc.width * pc.point_step);
    const status = await c.next((m) => m.op === 'publish' && m.topic === '/drone1/phase_one/status', 10_000);
    expect((status.msg as { level: number }).level).toBe(0);

    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/twin_sensor_captures_total\{vehicle="drone1",sensor="phase_one"\} [1-9]/);
    expect(metrics).toMatch(/twin_sensor_scans_total\{vehicle="drone1",sensor="ouster"\} [1-9]/);
    expect(metrics).toMatch(/twin_sensor_points_total\{vehicle="drone1",sensor="ouster"\} [1-9]/);

    child.kill('SIGINT');
    await new Promise((r) => child!.once('exit', r));
  });
});
