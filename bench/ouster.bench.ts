/**
 * Ouster packet → points throughput for a 128-beam, 2048 × 10 Hz sensor (2.62 M points/s), beside
 * a straightforward decoder (a DataView read per field, `Math.sin`/`Math.cos` per point) run on
 * the same packets in the same process.
 *
 * Run: `npm run build && node dist/bench/ouster.bench.js [seconds-of-data] [profile]`
 * Target: the fast path sustains ≥ 2.6 M points/s on one core (≥ 1× real time for an OS-128 at 2048x10).
 */
import { parseOusterMetadata, type UdpProfileLidar } from '../hardware/real/lidar/ouster/ouster-metadata.js';
import { modelMetadata, ousterModel } from '../hardware/real/lidar/ouster/ouster-models.js';
import { encodeLidarPacket, OusterPacketFormat } from '../hardware/real/lidar/ouster/ouster-packet-format.js';
import { frameToPoints } from '../hardware/real/lidar/ouster/ouster-points.js';
import { referencePacketsToPoints } from '../hardware/real/lidar/ouster/ouster-reference-decoder.js';
import { OusterScanAssembler } from '../hardware/real/lidar/ouster/ouster-scan-assembler.js';
import { makeXyzLut } from '../hardware/real/lidar/ouster/ouster-xyz-lut.js';
import { Rng } from '../core/rng.js';

const TARGET = 128 * 2048 * 10;

function main(): void {
  const seconds = Number(process.argv[2] ?? 5);
  const profile = (process.argv[3] ?? 'RNG19_RFL8_SIG16_NIR16') as UdpProfileLidar;
  const meta = parseOusterMetadata(modelMetadata(ousterModel('os1-128')!, { lidar_mode: '2048x10', udp_profile_lidar: profile }));
  if (!meta.ok) throw new Error(meta.error.message);
  const info = meta.value;
  const f = OusterPacketFormat.of(info);
  const rng = new Rng(1);
  // One second of packets (10 frames), ~8 % of pixels without a return, ranges 0.5–120 m.
  const frames: Uint8Array[][] = [];
  for (let fr = 0; fr < 10; fr++) {
    const pk: Uint8Array[] = [];
    for (let g = 0; g < 2048; g += 16) {
      pk.push(encodeLidarPacket(f, { frame_id: fr }, Array.from({ length: 16 }, (_, c) => ({
        timestamp_ns: BigInt((fr * 2048 + g + c) * 48_828), measurement_id: g + c, valid: true,
        range_mm: Array.from({ length: 128 }, () => (rng.next() < 0.08 ? 0 : 500 + Math.floor(rng.next() * 119_500))),
        signal: Array.from({ length: 128 }, () => Math.floor(rng.next() * 3000)),
      }))));
    }
    frames.push(pk);
  }
  const packetsPerSecond = frames.reduce((a, p) => a + p.length, 0);

  // Fast path: assembler (word reads) + LUT, frames recycled, output buffer reused.
  const lut = makeXyzLut(info);
  const out = new Float32Array(128 * 2048 * 4);
  let points = 0;
  const asm = new OusterScanAssembler(info, (fr) => {
    points += frameToPoints(lut, fr, {}, out).length / 4;
    asm.recycle(fr);
  });
  // Frame ids are rewritten in place so every round brings new frames, as a sensor's ids keep
  // counting (eUDP: packet header bytes 2–3; LEGACY: bytes 10–11 of every column header).
  const setFrame = (p: Uint8Array, id: number): void => {
    const at = f.legacy ? Array.from({ length: 16 }, (_, c) => f.colOffset(c) + 10) : [2];
    for (const o of at) { p[o] = id & 0xff; p[o + 1] = (id >> 8) & 0xff; }
  };
  // Warm-up (JIT): one second of data.
  for (let i = 0; i < 10; i++) for (const p of frames[i]!) { setFrame(p, i); asm.push(p); }
  asm.flush();
  points = 0;
  let t = performance.now();
  for (let r = 0; r < seconds; r++) {
    for (let i = 0; i < 10; i++) for (const p of frames[i]!) { setFrame(p, r * 10 + i + 20); asm.push(p); }
  }
  asm.flush();
  const fastMs = performance.now() - t;
  const fastPps = (points / fastMs) * 1000;

  // Baseline: the plain decoder on the same packets (one second of data).
  referencePacketsToPoints(info, frames[0]!); // warm-up
  t = performance.now();
  let basePoints = 0;
  for (const pk of frames) basePoints += referencePacketsToPoints(info, pk).length / 4;
  const baseMs = performance.now() - t;
  const basePps = (basePoints / baseMs) * 1000;

  const m = (x: number) => `${(x / 1e6).toFixed(2)} M`;
  console.log(`sensor: OS-1-128, 2048x10, ${profile}, ${f.lidarPacketSize} B packets, ${packetsPerSecond} packets/s, ${m(TARGET)} pixels/s`);
  console.log(`fast path (word reads + LUT):     ${m(fastPps)} points/s  (${points} points in ${fastMs.toFixed(0)} ms, ${(fastPps / (TARGET * 0.92)).toFixed(1)}× real time)`);
  console.log(`straightforward (DataView, sin/cos): ${m(basePps)} points/s  (${basePoints} points in ${baseMs.toFixed(0)} ms)`);
  console.log(`ratio: ${(fastPps / basePps).toFixed(1)}×   target ≥ ${m(TARGET)} points/s: ${fastPps >= TARGET ? 'met' : 'NOT met'}`);
  process.exitCode = fastPps >= TARGET ? 0 : 1;
}

main();
