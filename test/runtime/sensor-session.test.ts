/**
 * `twin start` with a camera: the session's sensors write into the store the REST API and the
 * bridge serve (a real SQLite store and blob directory), and every capture gets its index row.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseScenario } from '../../actors/scenario/scenario.loader.js';
import { runTwinSession } from '../../cli/compose.js';
import { silentLogger } from '../../core/logger.js';
import { openStore } from '../../storage/store.js';
import type { Twin } from '../../actors/twin.js';

const dir = mkdtempSync(join(tmpdir(), 'twin-sensor-session-'));
const saved = { ...process.env };
afterAll(() => {
  process.env = saved;
  rmSync(dir, { recursive: true, force: true });
});

describe('twin start with sensors', () => {
  it('images go to the session store; each capture is indexed after its blob', { timeout: 120_000 }, async () => {
    Object.assign(process.env, { TWIN_DATA_DIR: dir, TWIN_HTTP_PORT: '0', TWIN_BRIDGE_PORT: '0', TWIN_HOST: '127.0.0.1' });
    const parsed = parseScenario(
      `name: session-camera
vehicles:
  - id: d1
    sensors: [{ id: cam, kind: camera, model: phase-one-ixm-100 }]
    mission:
      type: waypoints
      start_at_s: 20
      waypoints:
        - { north: 0, east: 0, alt: 15, capture: true }
        - { north: 20, east: 0, alt: 15, capture: true }
        - { north: 20, east: 20, alt: 15, capture: true }
`,
      'session.yaml',
    );
    if (!parsed.ok) throw new Error(parsed.error.message);
    const ac = new AbortController();
    let twin: Twin | undefined;
    const done = runTwinSession({ scenario: parsed.value, file: 'session.yaml', speed: 20, logger: silentLogger, signal: ac.signal, onTwin: (t) => (twin = t) });
    // The mission starts 20 sim s in (1 s of wall time): the services are up by then, as in the field.
    // Until the camera has reported three captures and the mission is over.
    for (let i = 0; i < 600; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const status = twin?.missionStatus('d1');
      if ((twin?.sensors('d1')[0]?.count ?? 0) >= 3 && status === 'COMPLETED') break;
    }
    expect(twin!.sensors('d1')[0]!.count).toBeGreaterThanOrEqual(3);
    await new Promise((r) => setTimeout(r, 1_000)); // the last JPEGs are encoded in wall time
    ac.abort();
    await done;
    const store = openStore({ dir });
    try {
      const rows = store.captures.list({ vehicle: 'd1' });
      expect(rows.items.length).toBeGreaterThanOrEqual(3);
      for (const row of rows.items) {
        const blob = await store.blobs.get(row.blob_key!);
        expect(blob.ok).toBe(true);
        if (blob.ok) expect(blob.value.byteLength).toBe(row.bytes);
      }
    } finally {
      store.close();
    }
  });
});
