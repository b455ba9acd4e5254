/**
 * A deliberately plain decoder, written straight from the documented layout: one DataView read
 * per field, the XYZ equations with `Math.sin`/`Math.cos` for every point, objects per pixel.
 * It is the yardstick the fast path is measured against (bench/ouster.bench.ts) and the
 * independent reading it is checked against (test/lidar).
 */
import type { OusterSensorInfo } from './ouster-metadata.js';
import { OusterPacketFormat } from './ouster-packet-format.js';

export interface ReferencePixel {
  readonly measurement_id: number;
  readonly beam: number;
  readonly range_mm: number;
  readonly reflectivity: number;
  readonly signal: number;
  readonly near_ir: number;
}

export interface ReferenceColumn {
  readonly timestamp_ns: bigint;
  readonly measurement_id: number;
  readonly frame_id: number;
  readonly valid: boolean;
  readonly encoder_count?: number;
  readonly pixels: ReferencePixel[];
}

/** Decodes one packet field by field; undefined when the size is wrong. */
export function referenceDecodePacket(info: OusterSensorInfo, b: Uint8Array): ReferenceColumn[] | undefined {
  const f = OusterPacketFormat.of(info);
  if (b.byteLength !== f.lidarPacketSize) return undefined;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const cols: ReferenceColumn[] = [];
  const packetFrame = f.legacy ? -1 : v.getUint16(2, true);
  for (let c = 0; c < f.columnsPerPacket; c++) {
    const o = f.colOffset(c);
    const timestamp_ns = v.getBigUint64(o, true);
    const measurement_id = v.getUint16(o + 8, true);
    const frame_id = f.legacy ? v.getUint16(o + 10, true) : packetFrame;
    const valid = f.legacy ? v.getUint32(o + f.colSize - 4, true) === 0xffffffff : (v.getUint16(o + 10, true) & 1) === 1;
    const pixels: ReferencePixel[] = [];
    for (let i = 0; i < f.pixelsPerColumn; i++) {
      const p = o + f.colHeaderSize + i * f.channelDataSize;
      if (f.profile === 'LEGACY') {
        pixels.push({ measurement_id, beam: i, range_mm: v.getUint32(p, true) & 0xfffff, reflectivity: v.getUint16(p + 4, true), signal: v.getUint16(p + 6, true), near_ir: v.getUint16(p + 8, true) });
      } else if (f.profile === 'RNG19_RFL8_SIG16_NIR16') {
        pixels.push({ measurement_id, beam: i, range_mm: v.getUint32(p, true) & 0x7ffff, reflectivity: v.getUint8(p + 4), signal: v.getUint16(p + 6, true), near_ir: v.getUint16(p + 8, true) });
      } else {
        pixels.push({ measurement_id, beam: i, range_mm: (v.getUint16(p, true) & 0x7fff) * 8, reflectivity: v.getUint8(p + 2), signal: 0, near_ir: v.getUint8(p + 3) * 16 });
      }
    }
    cols.push({ timestamp_ns, measurement_id, frame_id, valid, ...(f.legacy ? { encoder_count: v.getUint32(o + 12, true) } : {}), pixels });
  }
  return cols;
}

/** The documented range → XYZ equations for one pixel, sensor frame, metres. */
export function referencePixelXyz(info: OusterSensorInfo, measurement_id: number, beam: number, range_mm: number): [number, number, number] {
  const n = info.lidar_origin_to_beam_origin_mm;
  const enc = 2 * Math.PI * (1 - measurement_id / info.columns_per_frame);
  const az = (-2 * Math.PI * info.beam_azimuth_angles[beam]!) / 360;
  const alt = (2 * Math.PI * info.beam_altitude_angles[beam]!) / 360;
  const x = (range_mm - n) * Math.cos(enc + az) * Math.cos(alt) + n * Math.cos(enc);
  const y = (range_mm - n) * Math.sin(enc + az) * Math.cos(alt) + n * Math.sin(enc);
  const z = (range_mm - n) * Math.sin(alt) + info.beam_z_offset_mm;
  const T = info.lidar_to_sensor_transform;
  return [
    (T[0]! * x + T[1]! * y + T[2]! * z + T[3]!) / 1000,
    (T[4]! * x + T[5]! * y + T[6]! * z + T[7]!) / 1000,
    (T[8]! * x + T[9]! * y + T[10]! * z + T[11]!) / 1000,
  ];
}

/** Packets of one frame → x,y,z,signal points, the plain way. */
export function referencePacketsToPoints(info: OusterSensorInfo, packets: readonly Uint8Array[]): Float32Array {
  const pts: number[] = [];
  for (const b of packets) {
    const cols = referenceDecodePacket(info, b);
    if (!cols) continue;
    for (const col of cols) {
      if (!col.valid || col.measurement_id >= info.columns_per_frame) continue;
      for (const px of col.pixels) {
        if (px.range_mm === 0) continue;
        const [x, y, z] = referencePixelXyz(info, px.measurement_id, px.beam, px.range_mm);
        pts.push(x, y, z, px.signal);
      }
    }
  }
  return new Float32Array(pts);
}
