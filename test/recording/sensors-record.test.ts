/**
 * A survey with a camera and a LiDAR (scenarios/survey-sensors.yaml, on a smaller field so the
 * test is short), recorded through the sensors' blob sink: every capture's JPEG is in the file as
 * a foxglove.CompressedImage and every scan's points as a foxglove.PointCloud, at the capture's
 * and scan's time. Read back with the spec-written reader.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../actors/scenario/scenario.loader.js';
import { runScenario } from '../../actors/scenario/scenario.runner.js';
import type { CaptureRef, ScanRef } from '../../hardware/sensor.port.js';
import { sensorPortFactory } from '../../cli/compose.js';
import { openRunRecording } from '../../cli/record-option.js';
import { silentLogger } from '../../core/logger.js';
import { jsonMessages, readMcapBySpec } from './mcap-spec-reader.js';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'twin-mcap-sensors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('recording a survey with a camera and a LiDAR', () => {
  it('holds every capture as a CompressedImage (the JPEG) and every scan as a PointCloud (the points)', async () => {
    // The shipped scenario on a 60 m field instead of 140 m, cut after 75 s of flight: a few
    // captures, 70 s of scans (the simulated Ouster raycasts at a few times real time).
    const yaml = readFileSync(join(ROOT, 'scenarios/survey-sensors.yaml'), 'utf8')
      .replace(/north: 160/g, 'north: 60')
      .replace(/east: 160/g, 'east: 60')
      .replace(/^duration_s: \d+/m, 'duration_s: 75');
    const file = join(dir, 'small-survey.yaml');
    writeFileSync(file, yaml);
    const loaded = await loadScenarioFile(file);
    if (!loaded.ok) throw new Error(loaded.error.message);
    const path = join(dir, 'sensors.mcap');
    const rec = await openRunRecording(path, { logger: silentLogger });
    if (typeof rec === 'string') throw new Error(rec);
    expect(rec.sink).toBeDefined();
    const captures: CaptureRef[] = [];
    const scans: ScanRef[] = [];
    const { report } = await runScenario(loaded.value, {
      sensorFactory: sensorPortFactory,
      blobs: rec.sink!,
      onTwin: (twin) => {
        rec.attach(twin);
        twin.bus.subscribe('/drone1/phase_one/capture', (c) => captures.push(c));
        twin.bus.subscribe('/drone1/ouster/scan', (s) => scans.push(s));
      },
    });
    const closed = await rec.close();
    expect(report.errors).toEqual([]);
    expect(report.simulatedSeconds).toBe(75);
    expect(closed.ok).toBe(true);
    expect(captures.length).toBeGreaterThan(2);
    expect(scans.length).toBeGreaterThan(50);
    expect(closed.ok && [closed.summary.images, closed.summary.pointClouds, closed.summary.blobsMissing]).toEqual([captures.length, scans.length, 0]);

    const f = readMcapBySpec(readFileSync(path));
    expect(f.truncated).toBe(false);
    const images = jsonMessages(f, '/drone1/phase_one/image');
    expect(images.length).toBe(captures.length);
    const byTime = new Map(captures.map((c) => [BigInt(c.t_ms) * 1_000_000n, c]));
    for (const img of images) {
      const c = byTime.get(img.logTime);
      expect(c, `image at ${img.logTime} ns has its capture`).toBeDefined();
      const jpeg = Buffer.from(img.value.data, 'base64');
      expect([jpeg[0], jpeg[1], jpeg.at(-2), jpeg.at(-1)]).toEqual([0xff, 0xd8, 0xff, 0xd9]);
      expect(jpeg.length).toBeGreaterThan(1000);
      expect(img.value.format).toBe('jpeg');
    }
    const clouds = jsonMessages(f, '/drone1/ouster/points');
    expect(clouds.length).toBe(scans.length);
    const scanAt = new Map(scans.map((s) => [BigInt(Math.round(s.t_ms * 1e6)), s]));
    for (const cloud of clouds.filter((_, i) => i % 10 === 0)) {
      const s = scanAt.get(cloud.logTime)!;
      const bytes = Buffer.from(cloud.value.data, 'base64');
      expect(bytes.length).toBe(s.points * 16);
      if (s.bytes !== undefined) expect(bytes.length).toBe(s.bytes);
      // Returns within the sensor's range (OS1: 120 m): real points, not noise.
      const ranges: number[] = [];
      for (let p = 0; p < bytes.length; p += 16) ranges.push(Math.hypot(bytes.readFloatLE(p), bytes.readFloatLE(p + 4), bytes.readFloatLE(p + 8)));
      const real = ranges.filter((r) => r > 0.1 && r < 130);
      expect(real.length).toBeGreaterThan(ranges.length * 0.5);
    }
  }, 120_000);
});
