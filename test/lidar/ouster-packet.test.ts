/**
 * Packets built by hand, byte by byte from the documented layout (Ouster firmware user manual,
 * "Lidar Data Format"), decode to the expected fields and points. Nothing here uses our encoder.
 */
import { describe, expect, it } from 'vitest';
import { parseOusterMetadata, type OusterSensorInfo, type UdpProfileLidar } from '../../hardware/real/lidar/ouster/ouster-metadata.js';
import { modelMetadata, ousterModel } from '../../hardware/real/lidar/ouster/ouster-models.js';
import { decodeImuPacket, encodeLidarPacket, IMU_PACKET_SIZE, OusterPacketFormat, readPacketHeader } from '../../hardware/real/lidar/ouster/ouster-packet-format.js';
import { frameToPoints } from '../../hardware/real/lidar/ouster/ouster-points.js';
import { referenceDecodePacket, referencePacketsToPoints } from '../../hardware/real/lidar/ouster/ouster-reference-decoder.js';
import { OusterScanAssembler, type OusterFrame } from '../../hardware/real/lidar/ouster/ouster-scan-assembler.js';
import { destagger, makeXyzLut } from '../../hardware/real/lidar/ouster/ouster-xyz-lut.js';

/** A 16-beam, 512-column sensor with simple beam angles, in the flat (firmware 2.0–2.3) layout. */
function flatMetadata(profile: UdpProfileLidar): OusterSensorInfo {
  const alt = Array.from({ length: 16 }, (_, i) => 15 - 2 * i); // 15 … −15°, beam 7 at +1°, no beam at 0
  alt[5] = 0; // beam 5 horizontal
  const az = Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? 0 : 1.40625)); // 1.40625° = 2 columns at 512
  const r = parseOusterMetadata(JSON.stringify({
    lidar_mode: '512x10',
    beam_altitude_angles: alt,
    beam_azimuth_angles: az,
    lidar_origin_to_beam_origin_mm: 15.806,
    lidar_to_sensor_transform: [-1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 1, 36.18, 0, 0, 0, 1],
    data_format: { pixels_per_column: 16, columns_per_packet: 16, columns_per_frame: 512, pixel_shift_by_row: az.map((a) => Math.round((a * 512) / 360)), column_window: [0, 511], udp_profile_lidar: profile },
    prod_line: 'OS-1-16', prod_sn: '122201000998', build_rev: 'v2.3.0',
  }));
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

/** Writes the documented fields at the documented offsets. */
function handPacket(profile: UdpProfileLidar, frameId: number, firstMid: number, pixel: (mid: number, beam: number) => { range: number; refl: number; sig: number; nir: number }): Uint8Array {
  const legacy = profile === 'LEGACY';
  const px = profile === 'RNG15_RFL8_NIR8' ? 4 : 12;
  const colSize = (legacy ? 16 : 12) + 16 * px + (legacy ? 4 : 0);
  const size = (legacy ? 0 : 32) + 16 * colSize + (legacy ? 0 : 32);
  const b = Buffer.alloc(size);
  if (!legacy) {
    b.writeUInt16LE(1, 0); // packet_type
    b.writeUInt16LE(frameId, 2);
    b.writeUIntLE(0x123456, 4, 3); // init_id (24 bits)
    b.writeUIntLE(122201000998, 7, 5); // prod_sn (40 bits)
    b.writeUInt8(7, 16); // countdown_thermal_shutdown
    b.writeUInt8(3, 17); // countdown_shot_limiting
    b.writeUInt8(0x01, 18); // thermal_shutdown
    b.writeUInt8(0x02, 19); // shot_limiting
  }
  for (let c = 0; c < 16; c++) {
    const o = (legacy ? 0 : 32) + c * colSize;
    const mid = firstMid + c;
    b.writeBigUInt64LE(1_000_000_000n + BigInt(mid) * 195_312n, o);
    b.writeUInt16LE(mid, o + 8);
    if (legacy) {
      b.writeUInt16LE(frameId, o + 10);
      b.writeUInt32LE(mid * 176, o + 12); // 90112 / 512 ticks a column
      b.writeUInt32LE(0xffffffff, o + colSize - 4);
    } else {
      b.writeUInt16LE(0x0001, o + 10);
    }
    for (let i = 0; i < 16; i++) {
      const p = o + (legacy ? 16 : 12) + i * px;
      const v = pixel(mid, i);
      if (profile === 'LEGACY') {
        b.writeUInt32LE(v.range | 0xa00000, p); // bits above 19 are flags: must be masked off
        b.writeUInt16LE(v.refl, p + 4);
        b.writeUInt16LE(v.sig, p + 6);
        b.writeUInt16LE(v.nir, p + 8);
      } else if (profile === 'RNG19_RFL8_SIG16_NIR16') {
        b.writeUInt32LE(v.range | 0x00f80000, p); // bits 19+ (flags) masked off
        b.writeUInt8(v.refl, p + 4);
        b.writeUInt16LE(v.sig, p + 6);
        b.writeUInt16LE(v.nir, p + 8);
      } else {
        b.writeUInt16LE(Math.round(v.range / 8) | 0x8000, p); // top bit is a flag
        b.writeUInt8(v.refl, p + 2);
        b.writeUInt8(v.nir >> 4, p + 3);
      }
    }
  }
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

const pixelOf = (mid: number, beam: number) => ({ range: 10_000 + mid * 8 + beam * 800, refl: 40 + beam, sig: 1000 + mid, nir: 320 + beam * 16 });

function assemble(info: OusterSensorInfo, packets: Uint8Array[]): { frames: OusterFrame[]; asm: OusterScanAssembler } {
  const frames: OusterFrame[] = [];
  const asm = new OusterScanAssembler(info, (f) => frames.push(f));
  for (const p of packets) asm.push(p);
  asm.flush();
  return { frames, asm };
}

describe('Ouster lidar packets built by hand from the documented layout', () => {
  for (const profile of ['LEGACY', 'RNG19_RFL8_SIG16_NIR16', 'RNG15_RFL8_NIR8'] as const) {
    it(`${profile}: sizes, header and column fields, pixels`, () => {
      const info = flatMetadata(profile);
      const f = OusterPacketFormat.of(info);
      const expected = { LEGACY: 16 * (16 + 16 * 12 + 4), RNG19_RFL8_SIG16_NIR16: 32 + 16 * (12 + 16 * 12) + 32, RNG15_RFL8_NIR8: 32 + 16 * (12 + 16 * 4) + 32 }[profile];
      expect(f.lidarPacketSize).toBe(expected);
      const pkt = handPacket(profile, 4242, 32, pixelOf);
      const hdr = readPacketHeader(f, pkt);
      expect(hdr.frame_id).toBe(4242);
      if (profile !== 'LEGACY') {
        expect(hdr).toMatchObject({ packet_type: 1, init_id: 0x123456, prod_sn: 122201000998, countdown_thermal_shutdown: 7, countdown_shot_limiting: 3, thermal_shutdown: 1, shot_limiting: 2 });
      }
      const { frames, asm } = assemble(info, [pkt]);
      expect(asm.stats.bad_packets).toBe(0);
      expect(frames).toHaveLength(1);
      const fr = frames[0]!;
      expect(fr.frame_id).toBe(4242);
      expect(fr.received_columns).toBe(16);
      expect(fr.missing_columns).toBe(512 - 16);
      if (profile !== 'LEGACY') expect([fr.shot_limiting, fr.thermal_shutdown]).toEqual([2, 1]);
      for (const mid of [32, 40, 47]) {
        expect(fr.timestamp_ns[mid]).toBe(1e9 + mid * 195_312);
        for (const beam of [0, 5, 15]) {
          const k = mid * 16 + beam;
          const v = pixelOf(mid, beam);
          expect(fr.range_mm[k]).toBe(profile === 'RNG15_RFL8_NIR8' ? Math.round(v.range / 8) * 8 : v.range);
          expect(fr.reflectivity[k]).toBe(v.refl);
          expect(fr.signal[k]).toBe(profile === 'RNG15_RFL8_NIR8' ? 0 : v.sig);
          expect(fr.near_ir[k]).toBe(profile === 'RNG15_RFL8_NIR8' ? (v.nir >> 4) << 4 : v.nir);
        }
      }
      // The plain reference decoder reads the same packet the same way.
      const ref = referenceDecodePacket(info, pkt)!;
      expect(ref[3]!.measurement_id).toBe(35);
      expect(ref[3]!.pixels[9]!.range_mm).toBe(fr.range_mm[35 * 16 + 9]);
      if (profile === 'LEGACY') expect(ref[3]!.encoder_count).toBe(35 * 176);
    });
  }

  it('a pixel straight ahead of the encoder zero lands where the documented equations put it', () => {
    const info = flatMetadata('RNG19_RFL8_SIG16_NIR16');
    // measurement id 0, beam 0 (azimuth 0, altitude 15°), range 10 m.
    const pkt = handPacket('RNG19_RFL8_SIG16_NIR16', 1, 0, (mid, beam) => ({ range: mid === 0 && beam === 0 ? 10_000 : mid === 0 && beam === 5 ? 5_000 : 0, refl: 0, sig: 77, nir: 0 }));
    const { frames } = assemble(info, [pkt]);
    const pts = frameToPoints(makeXyzLut(info), frames[0]!);
    expect(pts.length).toBe(8);
    // Lidar frame: θ_e = 2π, so x = (r−n)·cos15° + n, z = (r−n)·sin15°. Sensor frame: x,y negated, z + 36.18 mm.
    const n = 15.806;
    const c15 = Math.cos((15 * Math.PI) / 180), s15 = Math.sin((15 * Math.PI) / 180);
    expect(pts[0]).toBeCloseTo(-((10_000 - n) * c15 + n) / 1000, 4);
    expect(pts[1]).toBeCloseTo(0, 4);
    expect(pts[2]).toBeCloseTo(((10_000 - n) * s15 + 36.18) / 1000, 4);
    expect(pts[3]).toBe(77);
    // Beam 5: horizontal, azimuth 1.40625° (looks 2 columns ahead): x = −((r−n)cos(−az) + n), y = −(r−n)·sin(−az).
    const az = (-1.40625 * Math.PI) / 180;
    expect(pts[4]).toBeCloseTo(-((5_000 - n) * Math.cos(az) + n) / 1000, 4);
    expect(pts[5]).toBeCloseTo(-((5_000 - n) * Math.sin(az)) / 1000, 4);
    expect(pts[6]).toBeCloseTo(0.03618, 5);
  });

  it('fast path and the plain reference decoder agree on every point', () => {
    const meta = parseOusterMetadata(modelMetadata(ousterModel('os1-64')!, { lidar_mode: '1024x10' }));
    if (!meta.ok) throw new Error(meta.error.message);
    const info = meta.value;
    const f = OusterPacketFormat.of(info);
    const packets: Uint8Array[] = [];
    for (let g = 0; g < 1024; g += 16) {
      packets.push(encodeLidarPacket(f, { frame_id: 9 }, Array.from({ length: 16 }, (_, c) => ({
        timestamp_ns: BigInt(g + c) * 97_656n, measurement_id: g + c, valid: true,
        range_mm: Array.from({ length: 64 }, (_, i) => ((g + c) * 131 + i * 977) % 90_000), signal: Array.from({ length: 64 }, (_, i) => i * 10),
      }))));
    }
    const { frames } = assemble(info, packets);
    const fast = frameToPoints(makeXyzLut(info), frames[0]!);
    const ref = referencePacketsToPoints(info, packets);
    expect(fast.length).toBe(ref.length);
    let worst = 0;
    for (let k = 0; k < ref.length; k++) worst = Math.max(worst, Math.abs(fast[k]! - ref[k]!));
    expect(worst).toBeLessThan(5e-3); // float32 LUT: ≤ 5 mm at 90 m
  });

  it('destaggers rows by pixel_shift_by_row into a row-major image', () => {
    const info = flatMetadata('RNG19_RFL8_SIG16_NIR16');
    const field = new Uint32Array(512 * 16);
    for (let m = 0; m < 512; m++) for (let i = 0; i < 16; i++) field[m * 16 + i] = m * 100 + i;
    const img = destagger(info, field);
    // Row 1 is shifted by 2 columns: image column v holds measurement id v − 2.
    expect(img[1 * 512 + 10]).toBe(8 * 100 + 1);
    expect(img[1 * 512 + 0]).toBe(510 * 100 + 1);
    expect(img[0 * 512 + 10]).toBe(10 * 100);
  });

  it('IMU packet: 48 bytes, three u64 timestamps, acceleration (g) and angular velocity (°/s) as float32', () => {
    const b = Buffer.alloc(IMU_PACKET_SIZE);
    b.writeBigUInt64LE(11n, 0); b.writeBigUInt64LE(22n, 8); b.writeBigUInt64LE(33n, 16);
    [0.5, -0.25, 1, 10, -20, 30].forEach((x, i) => b.writeFloatLE(x, 24 + i * 4));
    expect(decodeImuPacket(new Uint8Array(b))).toEqual({ sys_ts_ns: 11n, accel_ts_ns: 22n, gyro_ts_ns: 33n, accel_g: { x: 0.5, y: -0.25, z: 1 }, gyro_dps: { x: 10, y: -20, z: 30 } });
    expect(decodeImuPacket(new Uint8Array(47))).toBeUndefined();
  });
});

describe('Ouster metadata', () => {
  it('parses the nested firmware 2.4+ layout and the flat legacy one into the same shape', () => {
    const nested = parseOusterMetadata(modelMetadata(ousterModel('os2-128')!, { lidar_mode: '2048x10', udp_profile_lidar: 'LEGACY' }));
    expect(nested.ok && nested.value).toMatchObject({ pixels_per_column: 128, columns_per_frame: 2048, frame_rate_hz: 10, udp_profile_lidar: 'LEGACY', lidar_origin_to_beam_origin_mm: 13.762, beam_z_offset_mm: 0, prod_line: 'OS-2-128' });
    const flat = flatMetadata('LEGACY');
    expect(flat).toMatchObject({ columns_per_frame: 512, pixels_per_column: 16, prod_sn: '122201000998', build_rev: 'v2.3.0' });
  });

  it('refuses malformed metadata with OUSTER.METADATA_INVALID, never throws', () => {
    for (const bad of ['{', 'null', '[]', JSON.stringify({ lidar_mode: '1024x10' }), JSON.stringify({ ...modelMetadata(ousterModel('os1-16')!), beam_intrinsics: { beam_altitude_angles: [1], beam_azimuth_angles: [1], lidar_origin_to_beam_origin_mm: 1 } })]) {
      const r = parseOusterMetadata(bad);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('OUSTER.METADATA_INVALID');
    }
  });
});

describe('every profile × 16–128 beams × 512/1024/2048 columns', () => {
  it('encode → fast decode and reference decode agree on every field (fast-check)', async () => {
    const fc = (await import('fast-check')).default;
    fc.assert(fc.property(
      fc.constantFrom('LEGACY', 'RNG19_RFL8_SIG16_NIR16', 'RNG15_RFL8_NIR8'),
      fc.constantFrom('os0-16', 'os1-32', 'os2-64', 'os1-128'),
      fc.constantFrom('512x10', '1024x20', '2048x10'),
      fc.integer({ min: 0, max: 65535 }),
      fc.integer({ min: 0 }),
      (profile, model, mode, fid, seed) => {
        const r = parseOusterMetadata(modelMetadata(ousterModel(model)!, { lidar_mode: mode as '512x10', udp_profile_lidar: profile as UdpProfileLidar }));
        if (!r.ok) throw new Error(r.error.message);
        const info = r.value;
        const f = OusterPacketFormat.of(info);
        const h = info.pixels_per_column;
        expect(f.lidarPacketSize).toBe((f.legacy ? 0 : 64) + 16 * ((f.legacy ? 20 : 12) + h * (profile === 'RNG15_RFL8_NIR8' ? 4 : 12)));
        let s = seed >>> 0;
        const rnd = (n: number) => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s % n; };
        const first = rnd(info.columns_per_frame / 16) * 16;
        const pkt = encodeLidarPacket(f, { frame_id: fid }, Array.from({ length: 16 }, (_, c) => ({
          timestamp_ns: BigInt(rnd(1e9)), measurement_id: first + c, valid: rnd(10) > 0,
          range_mm: Array.from({ length: h }, () => rnd(200_000)), reflectivity: Array.from({ length: h }, () => rnd(256)),
          signal: Array.from({ length: h }, () => rnd(65536)), near_ir: Array.from({ length: h }, () => rnd(4096)),
        })));
        const { frames } = assemble(info, [pkt]);
        const fr = frames[0]!;
        expect(fr.frame_id).toBe(fid);
        const ref = referenceDecodePacket(info, pkt)!;
        for (const col of ref) {
          expect(fr.valid[col.measurement_id]).toBe(col.valid ? 1 : 0);
          if (!col.valid) continue;
          expect(fr.timestamp_ns[col.measurement_id]).toBe(Number(col.timestamp_ns));
          for (const px of col.pixels) {
            const k = px.measurement_id * h + px.beam;
            expect([fr.range_mm[k], fr.reflectivity[k], fr.signal[k], fr.near_ir[k]]).toEqual([px.range_mm, px.reflectivity, px.signal, px.near_ir]);
          }
        }
      },
    ), { numRuns: 60 });
  });
});
