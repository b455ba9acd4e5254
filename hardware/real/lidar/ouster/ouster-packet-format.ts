/**
 * The Ouster lidar UDP packet layout (Ouster firmware user manual, "Lidar Data Format"; the same
 * offsets as ouster-sdk's `packet_format`). All fields little-endian.
 *
 * LEGACY (no packet header or footer), `columns_per_packet` columns of:
 * ```
 *  column header 16 B: timestamp u64 ns | measurement_id u16 | frame_id u16 | encoder_count u32
 *  pixels  12 B each:  range u32 (bits 0–19, mm) | reflectivity u16 | signal u16 | near_ir u16 | unused u16
 *  column status u32:  0xFFFFFFFF valid, 0 outside the column window
 * ```
 * RNG19_RFL8_SIG16_NIR16 and RNG15_RFL8_NIR8 ("eUDP", firmware ≥ 2.2):
 * ```
 *  packet header 32 B: packet_type u16 (=1) | frame_id u16 | init_id u24 | prod_sn u40 | 4 B reserved
 *                      | countdown_thermal_shutdown u8 @16 | countdown_shot_limiting u8 @17
 *                      | thermal_shutdown u8 @18 (low nibble) | shot_limiting u8 @19 (low nibble) | 12 B reserved
 *  column header 12 B: timestamp u64 ns | measurement_id u16 | status u16 (bit 0: valid)
 *  RNG19 pixel 12 B:   range u32 (bits 0–18, mm) | reflectivity u8 @4 | reserved u8 | signal u16 @6 | near_ir u16 @8 | reserved u16
 *  RNG15 pixel 4 B:    range u15 (× 8 mm) | reserved u1 | reflectivity u8 @2 | near_ir u8 @3 (× 16)
 *  packet footer 32 B: reserved (firmware 3.x puts a checksum there; not checked here)
 * ```
 */
import type { OusterSensorInfo, UdpProfileLidar } from './ouster-metadata.js';

/** Encoder ticks per revolution (legacy column header). */
export const ENCODER_TICKS_PER_REV = 90_112;
/** eUDP `packet_type` of a lidar data packet. */
export const PACKET_TYPE_LIDAR = 1;

/** Byte layout for one profile × beams × columns-per-packet. */
export class OusterPacketFormat {
  readonly profile: UdpProfileLidar;
  readonly legacy: boolean;
  readonly pixelsPerColumn: number;
  readonly columnsPerPacket: number;
  readonly columnsPerFrame: number;
  readonly packetHeaderSize: number;
  readonly colHeaderSize: number;
  readonly channelDataSize: number;
  readonly colFooterSize: number;
  readonly packetFooterSize: number;
  readonly colSize: number;
  readonly lidarPacketSize: number;
  /** Largest range the profile can carry, mm. */
  readonly maxRangeMm: number;

  constructor(profile: UdpProfileLidar, pixelsPerColumn: number, columnsPerPacket: number, columnsPerFrame: number) {
    this.profile = profile;
    this.legacy = profile === 'LEGACY';
    this.pixelsPerColumn = pixelsPerColumn;
    this.columnsPerPacket = columnsPerPacket;
    this.columnsPerFrame = columnsPerFrame;
    this.packetHeaderSize = this.legacy ? 0 : 32;
    this.colHeaderSize = this.legacy ? 16 : 12;
    this.channelDataSize = profile === 'RNG15_RFL8_NIR8' ? 4 : 12;
    this.colFooterSize = this.legacy ? 4 : 0;
    this.packetFooterSize = this.legacy ? 0 : 32;
    this.colSize = this.colHeaderSize + pixelsPerColumn * this.channelDataSize + this.colFooterSize;
    this.lidarPacketSize = this.packetHeaderSize + columnsPerPacket * this.colSize + this.packetFooterSize;
    this.maxRangeMm = this.legacy ? 0xfffff : profile === 'RNG15_RFL8_NIR8' ? 0x7fff * 8 : 0x7ffff;
  }

  static of(info: OusterSensorInfo): OusterPacketFormat {
    return new OusterPacketFormat(info.udp_profile_lidar, info.pixels_per_column, info.columns_per_packet, info.columns_per_frame);
  }

  /** Byte offset of column `i` (0-based within the packet). */
  colOffset(i: number): number {
    return this.packetHeaderSize + i * this.colSize;
  }
}

/** eUDP packet header fields (legacy packets: frame id of the first column, zeros elsewhere). */
export interface LidarPacketHeader {
  readonly packet_type: number;
  readonly frame_id: number;
  readonly init_id: number;
  readonly prod_sn: number;
  readonly countdown_thermal_shutdown: number;
  readonly countdown_shot_limiting: number;
  readonly thermal_shutdown: number;
  readonly shot_limiting: number;
}

/** Reads the packet header; the caller has checked the length. */
export function readPacketHeader(f: OusterPacketFormat, b: Uint8Array): LidarPacketHeader {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (f.legacy) {
    return { packet_type: 0, frame_id: v.getUint16(10, true), init_id: 0, prod_sn: 0, countdown_thermal_shutdown: 0, countdown_shot_limiting: 0, thermal_shutdown: 0, shot_limiting: 0 };
  }
  return {
    packet_type: v.getUint16(0, true),
    frame_id: v.getUint16(2, true),
    init_id: v.getUint32(4, true) & 0xffffff,
    prod_sn: v.getUint32(7, true) + (v.getUint8(11) * 2 ** 32),
    countdown_thermal_shutdown: v.getUint8(16),
    countdown_shot_limiting: v.getUint8(17),
    thermal_shutdown: v.getUint8(18) & 0x0f,
    shot_limiting: v.getUint8(19) & 0x0f,
  };
}

/** One column as the encoder writes it. */
export interface ColumnInput {
  readonly timestamp_ns: bigint;
  readonly measurement_id: number;
  /** false: the column is sent with status 0 and no data (outside the window, or blanked). */
  readonly valid: boolean;
  /** Per beam, mm (0 = no return); quantised to the profile. */
  readonly range_mm: ArrayLike<number>;
  readonly reflectivity?: ArrayLike<number>;
  readonly signal?: ArrayLike<number>;
  readonly near_ir?: ArrayLike<number>;
}

export interface PacketHeaderInput {
  readonly frame_id: number;
  readonly init_id?: number;
  readonly prod_sn?: number;
  readonly thermal_shutdown?: number;
  readonly shot_limiting?: number;
  readonly countdown_thermal_shutdown?: number;
  readonly countdown_shot_limiting?: number;
}

/**
 * Builds one lidar packet, byte for byte as the sensor lays it out (used by the simulator and
 * by tests). `columns.length` must equal `columnsPerPacket`.
 */
export function encodeLidarPacket(f: OusterPacketFormat, header: PacketHeaderInput, columns: readonly ColumnInput[], out?: Uint8Array): Uint8Array {
  const b = out ?? new Uint8Array(f.lidarPacketSize);
  b.fill(0);
  const v = new DataView(b.buffer, b.byteOffset, f.lidarPacketSize);
  const frame = header.frame_id & 0xffff;
  if (!f.legacy) {
    v.setUint16(0, PACKET_TYPE_LIDAR, true);
    v.setUint16(2, frame, true);
    const init = (header.init_id ?? 0) & 0xffffff;
    v.setUint16(4, init & 0xffff, true);
    v.setUint8(6, init >>> 16);
    const sn = header.prod_sn ?? 0;
    v.setUint32(7, sn % 2 ** 32, true);
    v.setUint8(11, Math.floor(sn / 2 ** 32) & 0xff);
    v.setUint8(16, header.countdown_thermal_shutdown ?? 0);
    v.setUint8(17, header.countdown_shot_limiting ?? 0);
    v.setUint8(18, (header.thermal_shutdown ?? 0) & 0x0f);
    v.setUint8(19, (header.shot_limiting ?? 0) & 0x0f);
  }
  const h = f.pixelsPerColumn;
  for (let c = 0; c < f.columnsPerPacket; c++) {
    const col = columns[c];
    const o = f.colOffset(c);
    if (!col) continue;
    v.setBigUint64(o, col.timestamp_ns, true);
    v.setUint16(o + 8, col.measurement_id, true);
    if (f.legacy) {
      v.setUint16(o + 10, frame, true);
      v.setUint32(o + 12, Math.floor((col.measurement_id * ENCODER_TICKS_PER_REV) / f.columnsPerFrame), true);
      v.setUint32(o + f.colSize - 4, col.valid ? 0xffffffff : 0, true);
    } else {
      v.setUint16(o + 10, col.valid ? 1 : 0, true);
    }
    if (!col.valid) continue;
    for (let p = 0; p < h; p++) {
      const px = o + f.colHeaderSize + p * f.channelDataSize;
      const r = Math.max(0, Math.round(col.range_mm[p] ?? 0));
      const refl = col.reflectivity?.[p] ?? 0;
      const sig = col.signal?.[p] ?? 0;
      const nir = col.near_ir?.[p] ?? 0;
      if (f.profile === 'LEGACY') {
        v.setUint32(px, Math.min(r, 0xfffff), true);
        v.setUint16(px + 4, clamp(refl, 0xffff), true);
        v.setUint16(px + 6, clamp(sig, 0xffff), true);
        v.setUint16(px + 8, clamp(nir, 0xffff), true);
      } else if (f.profile === 'RNG19_RFL8_SIG16_NIR16') {
        v.setUint32(px, Math.min(r, 0x7ffff), true);
        v.setUint8(px + 4, clamp(refl, 0xff));
        v.setUint16(px + 6, clamp(sig, 0xffff), true);
        v.setUint16(px + 8, clamp(nir, 0xffff), true);
      } else {
        v.setUint16(px, Math.min(Math.round(r / 8), 0x7fff), true);
        v.setUint8(px + 2, clamp(refl, 0xff));
        v.setUint8(px + 3, clamp(Math.round(nir / 16), 0xff));
      }
    }
  }
  return b;
}

function clamp(x: number, max: number): number {
  return Math.max(0, Math.min(max, Math.round(x)));
}

/** Size of an IMU packet, bytes. */
export const IMU_PACKET_SIZE = 48;

/** One IMU packet: timestamps ns, acceleration in g, angular velocity in °/s (sensor's IMU frame). */
export interface ImuPacket {
  readonly sys_ts_ns: bigint;
  readonly accel_ts_ns: bigint;
  readonly gyro_ts_ns: bigint;
  readonly accel_g: { readonly x: number; readonly y: number; readonly z: number };
  readonly gyro_dps: { readonly x: number; readonly y: number; readonly z: number };
}

/** Decodes an IMU packet; undefined when the length is wrong. */
export function decodeImuPacket(b: Uint8Array): ImuPacket | undefined {
  if (b.byteLength !== IMU_PACKET_SIZE) return undefined;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return {
    sys_ts_ns: v.getBigUint64(0, true),
    accel_ts_ns: v.getBigUint64(8, true),
    gyro_ts_ns: v.getBigUint64(16, true),
    accel_g: { x: v.getFloat32(24, true), y: v.getFloat32(28, true), z: v.getFloat32(32, true) },
    gyro_dps: { x: v.getFloat32(36, true), y: v.getFloat32(40, true), z: v.getFloat32(44, true) },
  };
}

export function encodeImuPacket(p: ImuPacket): Uint8Array {
  const b = new Uint8Array(IMU_PACKET_SIZE);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, p.sys_ts_ns, true);
  v.setBigUint64(8, p.accel_ts_ns, true);
  v.setBigUint64(16, p.gyro_ts_ns, true);
  v.setFloat32(24, p.accel_g.x, true);
  v.setFloat32(28, p.accel_g.y, true);
  v.setFloat32(32, p.accel_g.z, true);
  v.setFloat32(36, p.gyro_dps.x, true);
  v.setFloat32(40, p.gyro_dps.y, true);
  v.setFloat32(44, p.gyro_dps.z, true);
  return b;
}
