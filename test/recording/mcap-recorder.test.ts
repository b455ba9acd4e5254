/**
 * The MCAP recorder, read back with an independent reader (test/recording/mcap-spec-reader.ts:
 * written from the MCAP specification, zstd by the Debian `zstd` program): channels, schemas,
 * message counts and times match what the run published and logged; images and point clouds
 * carry the blob bytes.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../actors/scenario/scenario.loader.js';
import { runScenario } from '../../actors/scenario/scenario.runner.js';
import { Bus, topics } from '../../actors/bus.js';
import { EventLog, type LogEntry } from '../../actors/event-log.js';
import { fail, ok } from '../../core/result.js';
import type { CaptureRef, ScanRef } from '../../hardware/sensor.port.js';
import { McapIndexedReader } from '@mcap/core';
import { McapRecorder } from '../../recording/index.js';
import { jsonMessages, readMcapBySpec } from './mcap-spec-reader.js';
import zstd from '@foxglove/wasm-zstd';

const dir = mkdtempSync(join(tmpdir(), 'twin-mcap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SCENARIOS = resolve(import.meta.dirname, '../../scenarios');

describe('recording a scenario run', () => {
  it('holds every bus message and event log entry of the run, at sim time, in Foxglove schemas', async () => {
    const loaded = await loadScenarioFile(join(SCENARIOS, 'speed-capture.yaml'));
    if (!loaded.ok) throw new Error(loaded.error.message);
    const path = join(dir, 'speed-capture.mcap');
    const opened = await McapRecorder.open({ path, metadata: { scenario: 'speed-capture' }, chunkBytes: 64 * 1024 });
    if (!opened.ok) throw new Error(opened.error.message);
    const rec = opened.value;
    const published = new Map<string, { t_ms: number }[]>();
    const { log, report } = await runScenario(loaded.value, {
      onTwin: (twin) => {
        // Subscribed before the recorder: the recorder must see the same messages in the same order.
        twin.bus.subscribeAll((msg, topic) => published.set(topic, [...(published.get(topic) ?? []), msg as { t_ms: number }]));
        rec.attach(twin);
      },
    });
    expect(report.passed).toBe(true);
    const summary = await rec.close();
    expect(summary.ok).toBe(true);

    const f = readMcapBySpec(readFileSync(path));
    expect(f.truncated).toBe(false);
    expect(f.summary?.dataSectionCrcOk).toBe(true);
    expect(f.summary?.summaryCrcOk).toBe(true);
    expect(f.chunks.length).toBeGreaterThan(3);
    expect(f.chunks.every((c) => c.compression === 'zstd' && c.compressedSize < c.uncompressedSize)).toBe(true);
    expect(f.summary?.chunkIndexes).toBe(f.chunks.length);
    expect(f.summary?.statistics?.messageCount).toBe(BigInt(f.messages.length));
    expect(f.metadata.get('overwatch.run')?.get('scenario')).toBe('speed-capture');
    expect(summary.ok && summary.value.messages).toBe(f.messages.length);

    // Channels and their schemas.
    const channelSchema = Object.fromEntries([...f.channels.values()].map((c) => [c.topic, f.schemas.get(c.schemaId)?.name]));
    expect(channelSchema).toMatchObject({
      '/drone1/pose': 'overwatch.Pose',
      '/drone1/gps': 'foxglove.LocationFix',
      '/drone1/pose_in_frame': 'foxglove.PoseInFrame',
      '/drone1/battery': 'overwatch.Battery',
      '/drone1/battery_state': 'sensor_msgs/msg/BatteryState',
      '/drone1/state': 'overwatch.VehicleState',
      '/mission/status': 'overwatch.MissionStatus',
      '/events': 'overwatch.LogEntry',
      '/log': 'foxglove.Log',
      '/tf': 'foxglove.FrameTransform',
    });
    for (const c of f.channels.values()) {
      expect(c.messageEncoding).toBe('json');
      expect(f.schemas.get(c.schemaId)?.encoding).toBe('jsonschema');
      expect(() => JSON.parse(f.schemas.get(c.schemaId)!.data)).not.toThrow();
    }
    expect(f.channels.size).toBe(new Set([...f.channels.values()].map((c) => c.topic)).size);

    // Every bus topic: same count, same messages, log time = the message's sim time.
    expect(published.size).toBeGreaterThan(3);
    for (const [topic, msgs] of published) {
      const got = jsonMessages(f, topic);
      expect(got.length, topic).toBe(msgs.length);
      expect(got.map((m) => m.value)).toEqual(msgs.map((m) => JSON.parse(JSON.stringify(m))));
      expect(got.map((m) => m.logTime)).toEqual(msgs.map((m) => BigInt(Math.round(m.t_ms * 1e6))));
    }
    // Derived Foxglove channels: one per pose, ENU from the NED pose.
    const poses = published.get(topics.pose('drone1'))! as unknown as { t_ms: number; local: { north_m: number; east_m: number; down_m: number }; position: { lat_deg: number } }[];
    const gps = jsonMessages(f, '/drone1/gps');
    const inFrame = jsonMessages(f, '/drone1/pose_in_frame');
    expect(gps.length).toBe(poses.length);
    const tf = jsonMessages(f, '/tf');
    expect(tf.length).toBe(poses.length);
    expect(tf[0]!.value).toMatchObject({ parent_frame_id: 'map', child_frame_id: 'drone1' });
    expect(inFrame.length).toBe(poses.length);
    const k = Math.floor(poses.length / 2);
    expect(gps[k]!.value.latitude).toBe(poses[k]!.position.lat_deg);
    expect(inFrame[k]!.value.pose.position).toEqual({ x: poses[k]!.local.east_m, y: poses[k]!.local.north_m, z: -poses[k]!.local.down_m });
    expect(inFrame[k]!.value.timestamp.sec * 1000 + inFrame[k]!.value.timestamp.nsec / 1e6).toBeCloseTo(poses[k]!.t_ms, 6);

    // The event log: every entry, in order, as logged.
    const events = jsonMessages(f, '/events').map((m) => m.value as LogEntry);
    expect(events.length).toBe(log.count);
    expect(events).toEqual(log.entries.map((e) => JSON.parse(JSON.stringify(e))));
    expect(jsonMessages(f, '/events').map((m) => m.logTime)).toEqual(log.entries.map((e) => BigInt(e.t_ms) * 1_000_000n));
    expect(jsonMessages(f, '/log').length).toBe(log.count);
    // Opens the way Foxglove opens a local file: through the summary and chunk indexes.
    const bytes = readFileSync(path);
    await zstd.isLoaded;
    const indexed = await McapIndexedReader.Initialize({
      readable: { size: async () => BigInt(bytes.length), read: async (offset, size) => bytes.subarray(Number(offset), Number(offset + size)) },
      decompressHandlers: { zstd: (data, size) => zstd.decompress(data, Number(size)) },
    });
    expect(indexed.chunkIndexes.length).toBe(f.chunks.length);
    let viaIndex = 0;
    for await (const _ of indexed.readMessages({ topics: ['/drone1/gps'] })) viaIndex++;
    expect(viaIndex).toBe(poses.length);
    // Statistics per channel agree with what is in the chunks.
    for (const c of f.channels.values())
      expect(f.summary?.statistics?.channelMessageCounts.get(c.id), c.topic).toBe(BigInt(f.messages.filter((m) => m.channelId === c.id).length));
  }, 60_000);

  it('writes camera images (CompressedImage) and LiDAR scans (PointCloud) with the stored bytes', async () => {
    const bus = new Bus();
    const log = new EventLog();
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 0xff, 0xd9]);
    const points = new Float32Array([1, 2, 3, 0.5, -1, -2, -3, 0.25]);
    const blobs = new Map<string, Uint8Array>([
      ['captures/r/drone1/cam/000000.jpg', jpeg],
      ['scans/r/drone1/ouster/000007.bin', new Uint8Array(points.buffer)],
    ]);
    const path = join(dir, 'sensors.mcap');
    const opened = await McapRecorder.open({
      path,
      blobs: { get: async (key) => (blobs.has(key) ? ok(blobs.get(key)!) : fail('BLOB.NOT_FOUND', key)) },
    });
    if (!opened.ok) throw new Error(opened.error.message);
    opened.value.attach({ bus, log });
    const pose = { position: { lat_deg: 47.39, lon_deg: 8.54, alt_m: 530 }, attitude_deg: { roll: 0, pitch: 0, yaw: 90 } };
    const capture: CaptureRef = { vehicle: 'drone1', sensor: 'cam', index: 0, t_ms: 12_345, pose, blob_key: 'captures/r/drone1/cam/000000.jpg', bytes: jpeg.length, media_type: 'image/jpeg' };
    const lost: CaptureRef = { ...capture, index: 1, t_ms: 13_000, blob_key: 'captures/r/drone1/cam/missing.jpg' };
    const scan: ScanRef = { vehicle: 'drone1', sensor: 'ouster', frame_id: 7, t_ms: 12_400, points: 2, missing_columns: 0, blob_key: 'scans/r/drone1/ouster/000007.bin', bytes: 32 };
    bus.publish(topics.sensorCapture('drone1', 'cam'), capture);
    bus.publish(topics.sensorScan('drone1', 'ouster'), scan);
    bus.publish(topics.sensorCapture('drone1', 'cam'), lost);
    log.append(12_345, 'sensor:drone1/cam', 'capture', { index: 0 });
    const summary = await opened.value.close();
    expect(summary.ok && [summary.value.images, summary.value.pointClouds, summary.value.blobsMissing]).toEqual([1, 1, 1]);

    const f = readMcapBySpec(readFileSync(path));
    const schemaOf = (topic: string) => f.schemas.get([...f.channels.values()].find((c) => c.topic === topic)!.schemaId)!.name;
    expect(schemaOf('/drone1/cam/image')).toBe('foxglove.CompressedImage');
    expect(schemaOf('/drone1/ouster/points')).toBe('foxglove.PointCloud');
    expect(schemaOf('/drone1/cam/capture')).toBe('overwatch.CaptureRef');
    const images = jsonMessages(f, '/drone1/cam/image');
    expect(images.length).toBe(1);
    expect(images[0]!.logTime).toBe(12_345_000_000n);
    expect(images[0]!.value.format).toBe('jpeg');
    expect(images[0]!.value.frame_id).toBe('drone1/cam');
    expect(Buffer.from(images[0]!.value.data, 'base64').equals(jpeg)).toBe(true);
    const clouds = jsonMessages(f, '/drone1/ouster/points');
    expect(clouds.length).toBe(1);
    expect(clouds[0]!.value.point_stride).toBe(16);
    // The LiDAR's frame hangs off the vehicle's (Foxglove's 3D panel places the cloud with it).
    expect(jsonMessages(f, '/tf').map((m) => `${m.value.parent_frame_id}>${m.value.child_frame_id}`)).toEqual(['drone1>drone1/ouster']);
    expect(clouds[0]!.value.fields.map((x: { name: string; offset: number; type: number }) => `${x.name}@${x.offset}:${x.type}`)).toEqual(['x@0:7', 'y@4:7', 'z@8:7', 'intensity@12:7']);
    const back = Buffer.from(clouds[0]!.value.data, 'base64');
    expect([...new Float32Array(back.buffer, back.byteOffset, back.length / 4)]).toEqual([...points]);
    // The references are recorded whether or not the bytes were readable.
    expect(jsonMessages(f, '/drone1/cam/capture').map((m) => m.value.index)).toEqual([0, 1]);
  });

  it('reports a file it cannot create as RECORDING.IO, without throwing', async () => {
    const r = await McapRecorder.open({ path: join(dir, 'no-such-dir', 'x', 'run.mcap') });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.code).toBe('RECORDING.IO');
  });
});
