/**
 * The scan assembler under bad input: truncated, reordered, duplicated, lost and random packets
 * never throw, are counted, and frames report what they lack.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseOusterMetadata, type OusterSensorInfo, type UdpProfileLidar } from '../../hardware/real/lidar/ouster/ouster-metadata.js';
import { modelMetadata, ousterModel } from '../../hardware/real/lidar/ouster/ouster-models.js';
import { encodeLidarPacket, OusterPacketFormat } from '../../hardware/real/lidar/ouster/ouster-packet-format.js';
import { frameToPoints } from '../../hardware/real/lidar/ouster/ouster-points.js';
import { OusterScanAssembler, type OusterFrame } from '../../hardware/real/lidar/ouster/ouster-scan-assembler.js';
import { makeXyzLut } from '../../hardware/real/lidar/ouster/ouster-xyz-lut.js';

function meta(profile: UdpProfileLidar, model = 'os1-16', mode: '512x10' | '1024x10' = '512x10'): OusterSensorInfo {
  const r = parseOusterMetadata(modelMetadata(ousterModel(model)!, { lidar_mode: mode, udp_profile_lidar: profile }));
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

/** All packets of frame `fid`, with ranges that depend on column, beam and frame. */
function framePackets(info: OusterSensorInfo, fid: number): Uint8Array[] {
  const f = OusterPacketFormat.of(info);
  const out: Uint8Array[] = [];
  for (let g = 0; g < info.columns_per_frame; g += f.columnsPerPacket) {
    out.push(encodeLidarPacket(f, { frame_id: fid, init_id: 5 }, Array.from({ length: f.columnsPerPacket }, (_, c) => ({
      timestamp_ns: BigInt(fid * 100_000_000 + (g + c) * 195_312), measurement_id: g + c, valid: true,
      range_mm: Array.from({ length: info.pixels_per_column }, (_, i) => 1000 + ((g + c) * 37 + i * 101 + fid * 7) % 60_000),
      signal: Array.from({ length: info.pixels_per_column }, (_, i) => i + 1),
    }))));
  }
  return out;
}

function run(info: OusterSensorInfo, packets: Uint8Array[]) {
  const frames: OusterFrame[] = [];
  const asm = new OusterScanAssembler(info, (f) => frames.push(f));
  const verdicts = packets.map((p) => asm.push(p));
  asm.flush();
  return { frames, asm, verdicts };
}

const PROFILES = ['LEGACY', 'RNG19_RFL8_SIG16_NIR16', 'RNG15_RFL8_NIR8'] as const;

describe('OusterScanAssembler', () => {
  it('in-order packets: one complete frame per frame id, nothing missing', () => {
    const info = meta('RNG19_RFL8_SIG16_NIR16');
    const { frames, asm } = run(info, [...framePackets(info, 1), ...framePackets(info, 2), ...framePackets(info, 3)]);
    expect(frames.map((f) => [f.frame_id, f.missing_columns, f.packets])).toEqual([[1, 0, 32], [2, 0, 32], [3, 0, 32]]);
    expect(asm.stats).toMatchObject({ packets: 96, accepted_packets: 96, bad_packets: 0, missing_columns: 0, skipped_frames: 0 });
  });

  it('frame ids wrap at 65536', () => {
    const info = meta('LEGACY');
    const { frames, asm } = run(info, [...framePackets(info, 65534), ...framePackets(info, 65535), ...framePackets(info, 0), ...framePackets(info, 1)]);
    expect(frames.map((f) => f.frame_id)).toEqual([65534, 65535, 0, 1]);
    expect(asm.stats.late_packets).toBe(0);
  });

  it('packets reordered within and across two frames give the same points as in order', () => {
    const info = meta('RNG19_RFL8_SIG16_NIR16');
    const lut = makeXyzLut(info);
    const a = framePackets(info, 10), b = framePackets(info, 11);
    const ordered = run(info, [...a, ...b]).frames.map((f) => frameToPoints(lut, f));
    fc.assert(fc.property(fc.array(fc.nat(), { minLength: 64, maxLength: 64 }), (keys) => {
      // A shuffle that keeps every packet within one frame period of its place (real UDP reordering).
      const all = [...a, ...b].map((p, i) => ({ p, k: i + (keys[i]! % 24) }));
      all.sort((x, y) => x.k - y.k);
      const { frames, asm } = run(info, all.map((x) => x.p));
      expect(asm.stats.late_packets).toBe(0);
      expect(frames.map((f) => [f.frame_id, f.missing_columns])).toEqual([[10, 0], [11, 0]]);
      frames.forEach((f, i) => expect(frameToPoints(lut, f)).toEqual(ordered[i]));
    }), { numRuns: 30 });
  });

  it('lost packets are reported as missing columns; lost frames as skipped', () => {
    const info = meta('RNG19_RFL8_SIG16_NIR16');
    fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 31 }), { maxLength: 31 }), (drop) => {
      const pk = framePackets(info, 3).filter((_, i) => !drop.includes(i));
      const { frames, asm } = run(info, [...pk, ...framePackets(info, 5)]);
      expect(frames[0]!.missing_columns).toBe(drop.length * 16);
      expect(frames[0]!.received_columns).toBe(512 - drop.length * 16);
      expect(asm.stats.skipped_frames).toBe(1); // frame 4 never arrived
    }), { numRuns: 40 });
  });

  it('late packets (their frame already handed on) and duplicates are counted, not merged', () => {
    const info = meta('LEGACY');
    const a = framePackets(info, 1), b = framePackets(info, 2), c = framePackets(info, 3);
    const { frames, asm, verdicts } = run(info, [...a.slice(1), ...b, ...c, a[0]!, b[3]!]);
    expect(frames.map((f) => f.frame_id)).toEqual([1, 2, 3]);
    expect(frames[0]!.missing_columns).toBe(16);
    expect(verdicts.slice(-2)).toEqual(['late', 'late']);
    expect(asm.stats.late_packets).toBe(2);
    const dup = run(info, [a[0]!, a[0]!, ...a.slice(1)]);
    expect(dup.asm.stats.duplicate_columns).toBe(16);
    expect(dup.frames[0]!.missing_columns).toBe(0);
  });

  for (const profile of PROFILES) {
    it(`${profile}: truncated, extended and random packets never throw and are counted bad`, () => {
      const info = meta(profile);
      const good = framePackets(info, 7);
      const size = good[0]!.byteLength;
      fc.assert(fc.property(
        fc.array(fc.oneof(
          fc.record({ kind: fc.constant('trunc' as const), i: fc.nat(31), len: fc.nat(size - 1) }),
          fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ minLength: 0, maxLength: size + 64 }) }),
          fc.record({ kind: fc.constant('randomSized' as const), bytes: fc.uint8Array({ minLength: size, maxLength: size }) }),
          fc.record({ kind: fc.constant('flip' as const), i: fc.nat(31), at: fc.nat(size - 1), v: fc.integer({ min: 0, max: 255 }) }),
        ), { maxLength: 40 }),
        (junk) => {
          const packets: Uint8Array[] = [];
          let expectBadAtLeast = 0;
          for (const j of junk) {
            if (j.kind === 'trunc') { packets.push(good[j.i]!.slice(0, j.len)); expectBadAtLeast++; }
            else if (j.kind === 'random') { packets.push(j.bytes); if (j.bytes.length !== size) expectBadAtLeast++; }
            else if (j.kind === 'randomSized') packets.push(j.bytes);
            else { const p = good[j.i]!.slice(); p[j.at] = j.v; packets.push(p); }
          }
          const { asm, frames } = run(info, [...packets, ...good]);
          const st = asm.stats;
          expect(st.packets).toBe(packets.length + good.length);
          expect(st.bad_packets).toBeGreaterThanOrEqual(expectBadAtLeast);
          expect(st.accepted_packets + st.bad_packets + st.late_packets).toBe(st.packets);
          for (const f of frames) expect(f.missing_columns).toBeGreaterThanOrEqual(0);
        },
      ), { numRuns: 60 });
    });
  }

  it('an unaligned packet buffer (a pooled Buffer slice) decodes the same', () => {
    const info = meta('RNG19_RFL8_SIG16_NIR16');
    const pk = framePackets(info, 1);
    const shifted = pk.map((p) => { const b = new Uint8Array(p.byteLength + 3); b.set(p, 3); return b.subarray(3); });
    const lut = makeXyzLut(info);
    expect(frameToPoints(lut, run(info, shifted).frames[0]!)).toEqual(frameToPoints(lut, run(info, pk).frames[0]!));
  });

  it('a new init_id (sensor re-initialised) closes what was open and starts afresh', () => {
    const info = meta('RNG19_RFL8_SIG16_NIR16');
    const f = OusterPacketFormat.of(info);
    const a = framePackets(info, 100).slice(0, 10);
    const b = encodeLidarPacket(f, { frame_id: 0, init_id: 6 }, Array.from({ length: 16 }, (_, c) => ({ timestamp_ns: 0n, measurement_id: c, valid: true, range_mm: [1000] })));
    const { frames, asm } = run(info, [...a, b]);
    expect(frames.map((x) => x.frame_id)).toEqual([100, 0]);
    expect(asm.stats.init_id_changes).toBe(1);
  });
});
