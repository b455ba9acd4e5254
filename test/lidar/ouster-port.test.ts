/**
 * The Ouster port beyond the contract: hostile datagrams on its real UDP socket, shot-limiting and
 * thermal status in health, scan poses from a moving vehicle, and a deterministic sim run.
 */
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { VirtualClock, WallClock } from '../../core/clock.js';
import { Rng } from '../../core/rng.js';
import { createOusterLidarPort } from '../../hardware/real/lidar/ouster/ouster-lidar.adapter.js';
import { parseOusterMetadata } from '../../hardware/real/lidar/ouster/ouster-metadata.js';
import { modelMetadata, ousterModel } from '../../hardware/real/lidar/ouster/ouster-models.js';
import { encodeLidarPacket, OusterPacketFormat } from '../../hardware/real/lidar/ouster/ouster-packet-format.js';
import type { ScanRef, SensorEvent } from '../../hardware/sensor.port.js';
import { createSimLidarPort } from '../../hardware/sim/sensors/ouster-sim-lidar.adapter.js';
import { SensorWorldSchema } from '../../hardware/sim/world/world-spec.js';
import { MemoryBlobSink, ORIGIN, hoverPose } from './lidar-fixtures.js';

const META = modelMetadata(ousterModel('os1-16')!, { lidar_mode: '512x10' });
const INFO = (() => { const r = parseOusterMetadata(META); if (!r.ok) throw new Error(); return r.value; })();
const FMT = OusterPacketFormat.of(INFO);

function framePackets(fid: number, header: { shot_limiting?: number; thermal_shutdown?: number } = {}): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let g = 0; g < 512; g += 16) {
    out.push(encodeLidarPacket(FMT, { frame_id: fid, ...header }, Array.from({ length: 16 }, (_, c) => ({
      timestamp_ns: BigInt(g + c), measurement_id: g + c, valid: true, range_mm: Array.from({ length: 16 }, () => 5000),
    }))));
  }
  return out;
}

describe('Ouster port', () => {
  it('garbage, truncated and foreign datagrams on its UDP socket are counted; good frames still come through', async () => {
    const clock = new WallClock({ startMs: 0 });
    const blobs = new MemoryBlobSink();
    const probe = createSocket('udp4');
    await new Promise<void>((r) => probe.bind(0, '127.0.0.1', () => r()));
    const lidar_port = probe.address().port;
    await new Promise<void>((r) => probe.close(() => r()));
    const port = createOusterLidarPort({ id: 'ouster', vehicle: 'd1', model: 'os1-16', clock, blobs, keyPrefix: 'k', source: { kind: 'udp', host: '127.0.0.1', lidar_port, metadata: JSON.stringify(META) } });
    const scans: ScanRef[] = [];
    port.subscribeEvents((e) => { if (e.type === 'scan') scans.push(e.scan); });
    expect((await port.connect()).ok).toBe(true);
    await port.startStreaming();
    const tx = createSocket('udp4');
    const send = (b: Uint8Array) => new Promise<void>((r) => tx.send(b, lidar_port, '127.0.0.1', () => r()));
    const rng = new Rng(9);
    let junk = 0;
    for (const fid of [1, 2, 3]) {
      for (const p of framePackets(fid)) {
        await send(p);
        if (rng.next() < 0.3) { await send(p.subarray(0, Math.floor(rng.next() * p.length))); junk++; }
        if (rng.next() < 0.2) { const b = new Uint8Array(1 + Math.floor(rng.next() * 2000)).map(() => rng.nextU32() & 0xff); await send(b); junk++; }
        if (rng.next() < 0.1) { const b = p.slice(); b[0] = 7; await send(b); junk++; } // not a lidar packet type
      }
    }
    for (let i = 0; i < 100 && scans.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    expect(scans.map((s) => [s.frame_id, s.missing_columns, s.points])).toEqual([[1, 0, 512 * 16], [2, 0, 512 * 16], [3, 0, 512 * 16]]);
    const st = port.stats().assembler;
    expect(st.bad_packets).toBe(junk);
    expect(port.health().message).toMatch(new RegExp(`${junk} bad packets`));
    tx.close();
    await port.dispose();
  });

  it('shot limiting and thermal status from packet headers degrade health, and clear', async () => {
    const clock = new VirtualClock();
    const subs = new Set<(p: Uint8Array) => void>();
    const port = createOusterLidarPort({ id: 'ouster', vehicle: 'd1', model: 'os1-16', clock, blobs: new MemoryBlobSink(), keyPrefix: 'k', source: { kind: 'packets', metadata: META, subscribe: (fn) => { subs.add(fn); return () => subs.delete(fn); } } });
    const events: SensorEvent[] = [];
    port.subscribeEvents((e) => events.push(e));
    await port.connect();
    await port.startStreaming();
    for (const p of framePackets(1, { shot_limiting: 1, thermal_shutdown: 1 })) for (const fn of subs) fn(p);
    await clock.advance(1000);
    expect(port.health().state).toBe('degraded');
    expect(port.health().message).toMatch(/shot limiting 1/);
    expect(port.health().message).toMatch(/thermal/);
    for (const p of framePackets(2)) for (const fn of subs) fn(p);
    await clock.advance(100);
    expect(port.health().state).toBe('ok');
    // Silence while streaming: link down, health degraded.
    await clock.advance(2100);
    expect(events.some((e) => e.type === 'link' && !e.up)).toBe(true);
    expect(port.health().state).toBe('degraded');
    await port.dispose();
  });

  it('sim port: scans carry the pose at the frame start; the same seed gives the same scans byte for byte', async () => {
    const run = async (seed: number) => {
      const clock = new VirtualClock();
      const blobs = new MemoryBlobSink();
      const pose = hoverPose(15);
      const world = SensorWorldSchema.parse({ terrain: { kind: 'hills', amplitude_m: 4, wavelength_m: 80, seed: 3 }, obstacles: [{ kind: 'building', north: 20, east: 5, size_m: { x: 8, y: 8, z: 12 }, yaw_deg: 15 }] });
      const port = createSimLidarPort({ id: 'ouster', vehicle: 'd1', model: 'os1-32', lidar_mode: '512x10', clock, rng: new Rng(seed), world, origin: ORIGIN, vehicle_pose: pose, blobs, keyPrefix: 'scans', mount_deg: { roll: 0, pitch: 0, yaw: 0 } });
      const scans: ScanRef[] = [];
      port.subscribeEvents((e) => { if (e.type === 'scan') scans.push(e.scan); });
      await port.connect();
      await port.startStreaming();
      for (let i = 0; i < 10; i++) {
        pose.set({ attitude_deg: { roll: 0, pitch: 0, yaw: i * 10 } });
        await clock.advance(100);
      }
      await port.dispose();
      const h = createHash('sha256');
      for (const s of scans) h.update(JSON.stringify(s)).update(blobs.blobs.get(s.blob_key!)!.data);
      return { scans, hash: h.digest('hex') };
    };
    const a = await run(1), b = await run(1), c = await run(2);
    expect(a.scans.length).toBeGreaterThanOrEqual(9);
    expect(a.hash).toBe(b.hash);
    expect(a.hash).not.toBe(c.hash);
    expect(a.scans[3]!.pose!.attitude_deg.yaw).toBe(30);
    // t_ms: when the frame's first packet arrived (the sim sends in 10 ms batches).
    expect(a.scans[3]!.t_ms).toBe(310);
  });
});

describe('Ouster port metadata sources', () => {
  it('accepts a value, JSON text, a file path and an http URL string; refuses a bad file or bad JSON', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { OusterSim } = await import('../../hardware/sim/sensors/ouster-sim.js');
    const dir = mkdtempSync(join(tmpdir(), 'ouster-meta-'));
    const file = join(dir, 'os1-16.json');
    writeFileSync(file, JSON.stringify(META));
    const clock = new VirtualClock();
    const sim = new OusterSim({ model: 'os1-16', lidar_mode: '512x10', clock, rng: new Rng(1), world: SensorWorldSchema.parse({}), origin: ORIGIN, vehicle: hoverPose(5) });
    const url = await sim.serveMetadata();
    const open = (metadata: unknown) => createOusterLidarPort({ id: 'o', vehicle: 'd1', model: 'os1-16', clock, blobs: new MemoryBlobSink(), keyPrefix: 'k', source: { kind: 'packets', metadata, subscribe: () => () => {} } });
    for (const m of [META, JSON.stringify(META), file, url, { url }]) {
      const p = open(m);
      const r = await p.connect();
      expect(r.ok && r.value.lidar?.beams).toBe(16);
      await p.dispose();
    }
    for (const [m, code] of [[join(dir, 'missing.json'), 'SENSOR.INVALID'], ['{"lidar_mode": 3}', 'SENSOR.INVALID'], [url.replace('metadata', 'nope'), 'SENSOR.NO_LINK']] as const) {
      const r = await open(m).connect();
      expect(!r.ok && r.error.code).toBe(code);
    }
    await sim.dispose();
  });
});
