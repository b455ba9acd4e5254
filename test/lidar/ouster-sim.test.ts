/**
 * The simulated Ouster: its packets, parsed back by the real decoder, give the raycast points
 * (within range quantisation); points land on the ground and on obstacle faces where they
 * should; same seed, same bytes; the lidar mode's packet rate on the clock; UDP and HTTP.
 */
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../core/clock.js';
import { LocalFrame } from '../../core/geo.js';
import { Rng } from '../../core/rng.js';
import { SensorFrameTransform } from '../../core/sensors/sensor-frame.js';
import { parseOusterMetadata } from '../../hardware/real/lidar/ouster/ouster-metadata.js';
import { frameToPoints } from '../../hardware/real/lidar/ouster/ouster-points.js';
import { OusterScanAssembler, type OusterFrame } from '../../hardware/real/lidar/ouster/ouster-scan-assembler.js';
import { makeXyzLut } from '../../hardware/real/lidar/ouster/ouster-xyz-lut.js';
import { OusterSim, type OusterSimOptions } from '../../hardware/sim/sensors/ouster-sim.js';
import { WorldRaycaster } from '../../hardware/sim/world/world-raycaster.js';
import { SensorWorldSchema, type SensorWorldSpec } from '../../hardware/sim/world/world-spec.js';
import { ORIGIN, hoverPose } from './lidar-fixtures.js';

const WORLD: SensorWorldSpec = SensorWorldSchema.parse({
  obstacles: [
    { kind: 'building', id: 'hangar', north: 25, east: 0, size_m: { x: 6, y: 10, z: 20 }, yaw_deg: 30 },
    { kind: 'cylinder', id: 'mast', north: -15, east: 12, radius_m: 1.5, height_m: 30 },
  ],
});

function sim(o: Partial<OusterSimOptions> & { clock: VirtualClock }) {
  return new OusterSim({ model: 'os1-32', lidar_mode: '512x10', rng: new Rng(7), world: WORLD, origin: ORIGIN, vehicle: hoverPose(8, { roll: 0, pitch: 0, yaw: 20 }), ...o });
}

function collect(s: OusterSim, clock: VirtualClock, ms: number): { packets: Uint8Array[]; frames: OusterFrame[] } {
  const packets: Uint8Array[] = [];
  const frames: OusterFrame[] = [];
  const asm = new OusterScanAssembler(s.info, (f) => frames.push(f));
  s.subscribe((p) => { packets.push(p); asm.push(p); });
  s.start();
  clock.advanceSync(ms);
  s.stop();
  asm.flush();
  return { packets, frames };
}

describe('OusterSim', () => {
  for (const profile of ['RNG19_RFL8_SIG16_NIR16', 'LEGACY', 'RNG15_RFL8_NIR8'] as const) {
    it(`${profile}: packets parsed back give the raycast points; they lie on the ground or an obstacle face`, () => {
      const clock = new VirtualClock();
      const s = sim({ clock, udp_profile_lidar: profile, range_noise_sd_m: 0, dropout_probability: 0 });
      const { frames } = collect(s, clock, 205);
      expect(frames.length).toBeGreaterThanOrEqual(2);
      const f = frames[0]!;
      expect(f.missing_columns).toBe(0);
      const pts = frameToPoints(makeXyzLut(s.info), f);
      expect(pts.length / 4).toBeGreaterThan(512 * 10);
      const frame = new LocalFrame(ORIGIN);
      const t = new SensorFrameTransform(hoverPose(8, { roll: 0, pitch: 0, yaw: 20 }).pose()!, undefined, frame);
      const ray = new WorldRaycaster(WORLD);
      const ned = t.pointsToNed(pts);
      const q = profile === 'RNG15_RFL8_NIR8' ? 0.008 : 0.0015; // range quantum + float32
      let ground = 0, hangar = 0, mast = 0;
      for (let k = 0; k < ned.length; k += 3) {
        const n = ned[k]!, e = ned[k + 1]!, d = ned[k + 2]!;
        const onGround = Math.abs(d) < q;
        // Hangar faces in its own axes (yaw 30°).
        const c = Math.cos(Math.PI / 6), sn = Math.sin(Math.PI / 6);
        const u = (n - 25) * c + e * sn, v = -(n - 25) * sn + e * c;
        const inBox = Math.abs(u) <= 3 + q && Math.abs(v) <= 5 + q && -d <= 20 + q && -d >= -q;
        const onFace = inBox && (Math.abs(Math.abs(u) - 3) < q || Math.abs(Math.abs(v) - 5) < q || Math.abs(-d - 20) < q);
        const rr = Math.hypot(n + 15, e - 12);
        const onMast = Math.abs(rr - 1.5) < q && -d <= 30 + q;
        expect(onGround || onFace || onMast, `point ${n.toFixed(3)},${e.toFixed(3)},${d.toFixed(3)}`).toBe(true);
        if (onFace) hangar++; else if (onMast) mast++; else ground++;
      }
      expect(hangar).toBeGreaterThan(50);
      expect(mast).toBeGreaterThan(10);
      expect(ground).toBeGreaterThan(1000);
      // And each point is where the raycaster says the beam from the sensor hits (same ray, re-cast).
      let checked = 0;
      for (let k = 0; k < ned.length && checked < 200; k += 3 * 37, checked++) {
        const [on, oe, od] = t.origin_ned;
        const dn = ned[k]! - on, de = ned[k + 1]! - oe, dd = ned[k + 2]! - od;
        const len = Math.hypot(dn, de, dd);
        const hit = ray.cast(on, oe, od, dn / len, de / len, dd / len, 200);
        // Beam origins sit ≤ 5 cm off the sensor centre, so compare along the ray loosely.
        expect(Math.abs(hit - len)).toBeLessThan(0.1 + (profile === 'RNG15_RFL8_NIR8' ? 0.01 : 0));
      }
    });
  }

  it('the same seed and poses give the same bytes; another seed does not', () => {
    const hash = (seed: number) => {
      const clock = new VirtualClock();
      const s = sim({ clock, rng: new Rng(seed) });
      const h = createHash('sha256');
      collect(s, clock, 150).packets.forEach((p) => h.update(p));
      return h.digest('hex');
    };
    expect(hash(3)).toBe(hash(3));
    expect(hash(3)).not.toBe(hash(4));
  });

  it('sends packets at the lidar mode rate on the injected clock: 1024x10 → 640/s; 2048x10 → 1280/s; IMU at 100 Hz', () => {
    for (const [mode, rate] of [['1024x10', 640], ['2048x10', 1280], ['512x20', 640]] as const) {
      const clock = new VirtualClock();
      const s = new OusterSim({ model: 'os0-16', lidar_mode: mode, clock, rng: new Rng(1), world: WORLD, origin: ORIGIN, vehicle: hoverPose(5) });
      let imu = 0;
      s.subscribeImu(() => imu++);
      const { packets, frames } = collect(s, clock, 1000);
      expect(Math.abs(packets.length - rate)).toBeLessThanOrEqual(rate / 100 + 1);
      expect(frames.length).toBeGreaterThanOrEqual(Number(mode.split('x')[1]) - 1);
      expect(imu).toBeGreaterThanOrEqual(100);
    }
  });

  it('seeded packet loss and dropouts: lost packets show up as missing columns', () => {
    const clock = new VirtualClock();
    const s = sim({ clock, packet_loss_probability: 0.1, dropout_probability: 0.05 });
    const { frames } = collect(s, clock, 1000);
    const missing = frames.reduce((a, f) => a + f.missing_columns, 0);
    expect(frames).toHaveLength(10);
    expect(missing).toBe(s.stats.lost_packets * 16);
    expect(s.stats.lost_packets).toBeGreaterThan(10);
  });

  it('sends real UDP datagrams and serves its metadata over HTTP like the sensor', async () => {
    const clock = new VirtualClock();
    const s = sim({ clock });
    const rx = createSocket('udp4');
    const got: Buffer[] = [];
    rx.on('message', (m) => got.push(m));
    await new Promise<void>((r) => rx.bind(0, '127.0.0.1', () => r()));
    await s.sendUdp({ host: '127.0.0.1', lidar_port: rx.address().port });
    const url = await s.serveMetadata('127.0.0.1', 0);
    const meta = parseOusterMetadata(await (await fetch(url)).text());
    expect(meta.ok && meta.value.pixels_per_column).toBe(32);
    s.start();
    // Batches of a few packets, as a sensor paced by the wall clock sends them.
    for (let i = 0; i < 10; i++) {
      clock.advanceSync(10);
      await new Promise((r) => setTimeout(r, 5));
    }
    s.stop();
    for (let i = 0; i < 50 && got.length < 32; i++) await new Promise((r) => setTimeout(r, 10));
    expect(s.stats.packets).toBe(32);
    expect(got.length).toBe(32);
    expect(got[0]!.byteLength).toBe(32 + 16 * (12 + 32 * 12) + 32);
    expect((await fetch(url.replace('metadata', 'nothing'))).status).toBe(404);
    rx.close();
    await s.dispose();
  });
});
