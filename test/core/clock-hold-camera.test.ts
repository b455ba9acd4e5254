/**
 * The simulated camera holds the virtual clock across its blob write: when the blob store refuses
 * (a real filesystem store over its quota, BLOB.FULL), `capture.lost` and the `degraded` health
 * land at the trigger's sim time, however long the write takes in wall time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { BlobSink, SensorEvent } from '../../hardware/sensor.port.js';
import { cameraRig, type CameraRig } from '../sim/camera-sim-harness.js';

const rigs: CameraRig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.close();
});

/** A sink that takes a random wall time (0–maxMs) before each put. */
const slow = (maxMs: number) => (s: BlobSink): BlobSink => ({
  async put(key, data, mt) {
    await new Promise((res) => setTimeout(res, Math.random() * maxMs));
    return s.put(key, data, mt);
  },
});

async function run(maxDelayMs: number): Promise<string[]> {
  // Room for a couple of images, then every write is refused with BLOB.FULL.
  const r = await cameraRig({ seed: 5, blobs: { driver: 'fs', quota_bytes: 60_000 }, sink: slow(maxDelayMs), maxInFlight: 2 });
  rigs.push(r);
  const log: string[] = [];
  const stamp = (e: SensorEvent) => {
    if (e.type === 'capture') log.push(`${r.clock.now()} capture ${e.capture.index} @${e.capture.t_ms}`);
    else if (e.type === 'capture.lost') log.push(`${r.clock.now()} lost ${e.index} ${e.reason.split(':').slice(0, 2).join(':')}`);
    else if (e.type === 'health') log.push(`${r.clock.now()} health ${e.health.state} lost=${e.health.lost}`);
  };
  r.camera.subscribeEvents(stamp);
  await r.camera.startInterval(1, 8);
  await r.clock.run({ until: 9_500 });
  return log;
}

describe('camera blob refusal under a held clock', () => {
  it('capture.lost and degraded health land at the trigger time, identically across runs of random wall duration', async () => {
    const a = await run(40);
    const b = await run(40);
    const c = await run(0);
    expect(a.some((l) => / lost \d+ SENSOR\.STORAGE: BLOB\.FULL/.test(l))).toBe(true);
    // Each lost capture is reported at the instant it was triggered.
    for (const l of a.filter((x) => x.includes(' lost '))) {
      const [t, , index] = l.split(' ');
      const cap = a.find((x) => x.includes(` capture ${index} `))!;
      expect(cap.split(' ')[0]).toBe(t);
    }
    expect(a.some((l) => l.includes('health degraded'))).toBe(true);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
  });
});
