/**
 * Lidar packets → frames, keyed by frame id: tolerant of loss, reordering, duplicates, truncated
 * and garbage packets. Nothing here throws on input: every packet is counted as accepted, late
 * (its frame was already handed on) or bad (with a reason), and every frame says how many of the
 * columns in the window it lacks.
 *
 * @remarks
 * Decoding reads 32-bit words straight out of the packet (every field the decoder needs sits on
 * a 4-byte boundary of the packet in all three profiles), so a pixel costs a handful of integer
 * operations. Fields are stored column-major (`m·h + i`), the order packets deliver them in; use
 * `destagger` for row-major images.
 *
 * A frame is handed on when all its window columns arrived (older open frames first: frames
 * leave in id order), or when a packet of a frame two ids newer arrives (one frame of reordering
 * is tolerated; `maxOpenFrames`), or on {@link flush}.
 */
import { inWindow, windowColumns, type OusterSensorInfo } from './ouster-metadata.js';
import { OusterPacketFormat, PACKET_TYPE_LIDAR } from './ouster-packet-format.js';

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** One assembled frame. Arrays are column-major, `m·h + i`. */
export interface OusterFrame {
  readonly frame_id: number;
  readonly init_id: number;
  readonly w: number;
  readonly h: number;
  /** mm, 0 = no return. */
  readonly range_mm: Uint32Array;
  readonly signal: Uint16Array;
  readonly reflectivity: Uint16Array;
  readonly near_ir: Uint16Array;
  /** Per column: timestamp, ns (as a double: exact to well under a microsecond). */
  readonly timestamp_ns: Float64Array;
  /** Per column: 1 when a valid column arrived. */
  readonly valid: Uint8Array;
  /** Timestamp of the earliest received column, ns. */
  first_timestamp_ns: number;
  received_columns: number;
  /** Window columns that never arrived (or arrived flagged invalid). */
  missing_columns: number;
  packets: number;
  /** Highest shot-limiting / thermal-shutdown status seen in the frame's packet headers (eUDP). */
  shot_limiting: number;
  thermal_shutdown: number;
}

export type BadPacketReason = 'size' | 'packet_type' | 'measurement_id' | 'frame_mix';

export interface AssemblerStats {
  packets: number;
  accepted_packets: number;
  bad_packets: number;
  bad: Record<BadPacketReason, number>;
  /** Packets whose frame had already been handed on. */
  late_packets: number;
  duplicate_columns: number;
  invalid_columns: number;
  frames: number;
  /** Sum of `missing_columns` over handed-on frames. */
  missing_columns: number;
  /** Frame ids skipped entirely (no packet at all). */
  skipped_frames: number;
  init_id_changes: number;
}

export interface AssemblerOptions {
  /** Frames kept open for late packets before the oldest is handed on (default 2). */
  readonly maxOpenFrames?: number;
}

/** Frame ids wrap at 65536: a is newer than b when (a − b) mod 65536 is in (0, 32768). */
export function frameNewer(a: number, b: number): boolean {
  const d = (a - b) & 0xffff;
  return d !== 0 && d < 0x8000;
}

export class OusterScanAssembler {
  readonly format: OusterPacketFormat;
  readonly stats: AssemblerStats = {
    packets: 0, accepted_packets: 0, bad_packets: 0, bad: { size: 0, packet_type: 0, measurement_id: 0, frame_mix: 0 },
    late_packets: 0, duplicate_columns: 0, invalid_columns: 0, frames: 0, missing_columns: 0, skipped_frames: 0, init_id_changes: 0,
  };
  private readonly info: OusterSensorInfo;
  private readonly onFrame: (f: OusterFrame) => void;
  private readonly maxOpen: number;
  private readonly windowCols: number;
  private readonly open: OusterFrame[] = [];
  private readonly pool: OusterFrame[] = [];
  private lastClosed: number | undefined;
  private initId: number | undefined;
  private scratch: Uint32Array;
  private readonly inWindowMask: Uint8Array;

  constructor(info: OusterSensorInfo, onFrame: (f: OusterFrame) => void, options: AssemblerOptions = {}) {
    this.info = info;
    this.format = OusterPacketFormat.of(info);
    this.onFrame = onFrame;
    this.maxOpen = Math.max(1, options.maxOpenFrames ?? 2);
    this.windowCols = windowColumns(info);
    this.scratch = new Uint32Array(Math.ceil(this.format.lidarPacketSize / 4));
    this.inWindowMask = new Uint8Array(info.columns_per_frame);
    for (let m = 0; m < info.columns_per_frame; m++) this.inWindowMask[m] = inWindow(info, m) ? 1 : 0;
  }

  /** Gives a handed-on frame's arrays back for reuse (optional; saves allocation at 10–20 Hz). */
  recycle(f: OusterFrame): void {
    if (this.pool.length < 4 && f.w === this.info.columns_per_frame && f.h === this.info.pixels_per_column) this.pool.push(f);
  }

  /** Feeds one UDP payload. Never throws. */
  push(bytes: Uint8Array): 'ok' | 'late' | 'bad' {
    const f = this.format;
    const st = this.stats;
    st.packets++;
    if (bytes.byteLength !== f.lidarPacketSize) return this.bad('size');
    const u32 = this.words(bytes);
    let frameId: number;
    let initId = 0;
    let shot = 0;
    let thermal = 0;
    if (f.legacy) {
      frameId = u32[2]! >>> 16;
    } else {
      const w0 = u32[0]!;
      if ((w0 & 0xffff) !== PACKET_TYPE_LIDAR) return this.bad('packet_type');
      frameId = w0 >>> 16;
      initId = u32[1]! & 0xffffff;
      const w4 = u32[4]!;
      thermal = (w4 >>> 16) & 0x0f;
      shot = (w4 >>> 24) & 0x0f;
    }
    // Validate every column's measurement id before touching any frame.
    const w = this.info.columns_per_frame;
    const colWords = f.colSize >> 2;
    const base = f.packetHeaderSize >> 2;
    for (let c = 0; c < f.columnsPerPacket; c++) {
      const o = base + c * colWords;
      if ((u32[o + 2]! & 0xffff) >= w) return this.bad('measurement_id');
      if (f.legacy && u32[o + 2]! >>> 16 !== frameId) return this.bad('frame_mix');
    }
    if (!f.legacy) {
      if (this.initId !== undefined && initId !== this.initId) {
        st.init_id_changes++;
        this.flush();
        this.lastClosed = undefined;
      }
      this.initId = initId;
    }
    const frame = this.frameFor(frameId, initId);
    if (!frame) {
      st.late_packets++;
      return 'late';
    }
    st.accepted_packets++;
    frame.packets++;
    if (shot > frame.shot_limiting) frame.shot_limiting = shot;
    if (thermal > frame.thermal_shutdown) frame.thermal_shutdown = thermal;
    this.decodeColumns(u32, frame);
    if (frame.received_columns >= this.windowCols) {
      // Frames leave in id order: older ones still open lack packets a whole frame late.
      while (this.open[0] !== frame) this.close(this.open[0]!);
      this.close(frame);
    }
    return 'ok';
  }

  /** Hands on every open frame (e.g. on stop). */
  flush(): void {
    while (this.open.length > 0) this.close(this.open[0]!);
  }

  private bad(reason: BadPacketReason): 'bad' {
    this.stats.bad_packets++;
    this.stats.bad[reason]++;
    return 'bad';
  }

  /** A word view of the packet, copying once into an aligned scratch buffer when needed. */
  private words(bytes: Uint8Array): Uint32Array {
    if (LITTLE_ENDIAN && (bytes.byteOffset & 3) === 0) return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 2);
    const s = this.scratch;
    if (LITTLE_ENDIAN) {
      new Uint8Array(s.buffer, 0, bytes.byteLength).set(bytes);
      return s;
    }
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < bytes.byteLength >> 2; i++) s[i] = v.getUint32(i * 4, true);
    return s;
  }

  private frameFor(frameId: number, initId: number): OusterFrame | undefined {
    for (const f of this.open) if (f.frame_id === frameId) return f;
    if (this.lastClosed !== undefined && !frameNewer(frameId, this.lastClosed)) return undefined;
    const frame = this.alloc(frameId, initId);
    // Keep open frames ordered oldest first.
    let k = this.open.length;
    while (k > 0 && frameNewer(this.open[k - 1]!.frame_id, frameId)) k--;
    this.open.splice(k, 0, frame);
    while (this.open.length > this.maxOpen) this.close(this.open[0]!);
    return this.open.includes(frame) ? frame : undefined;
  }

  private alloc(frameId: number, initId: number): OusterFrame {
    const w = this.info.columns_per_frame;
    const h = this.info.pixels_per_column;
    const r = this.pool.pop();
    if (r) {
      r.range_mm.fill(0); r.signal.fill(0); r.reflectivity.fill(0); r.near_ir.fill(0); r.timestamp_ns.fill(0); r.valid.fill(0);
      return Object.assign(r, { frame_id: frameId, init_id: initId, first_timestamp_ns: Infinity, received_columns: 0, missing_columns: 0, packets: 0, shot_limiting: 0, thermal_shutdown: 0 });
    }
    return {
      frame_id: frameId, init_id: initId, w, h,
      range_mm: new Uint32Array(w * h), signal: new Uint16Array(w * h), reflectivity: new Uint16Array(w * h), near_ir: new Uint16Array(w * h),
      timestamp_ns: new Float64Array(w), valid: new Uint8Array(w),
      first_timestamp_ns: Infinity, received_columns: 0, missing_columns: 0, packets: 0, shot_limiting: 0, thermal_shutdown: 0,
    };
  }

  private close(frame: OusterFrame): void {
    const i = this.open.indexOf(frame);
    if (i >= 0) this.open.splice(i, 1);
    let got = 0;
    for (let m = 0; m < frame.w; m++) if (frame.valid[m] && this.inWindowMask[m]) got++;
    frame.missing_columns = this.windowCols - got;
    const st = this.stats;
    if (this.lastClosed !== undefined && frameNewer(frame.frame_id, this.lastClosed)) {
      st.skipped_frames += ((frame.frame_id - this.lastClosed) & 0xffff) - 1;
    }
    if (this.lastClosed === undefined || frameNewer(frame.frame_id, this.lastClosed)) this.lastClosed = frame.frame_id;
    st.frames++;
    st.missing_columns += frame.missing_columns;
    this.onFrame(frame);
  }

  private decodeColumns(u32: Uint32Array, fr: OusterFrame): void {
    const f = this.format;
    const h = fr.h;
    const colWords = f.colSize >> 2;
    const base = f.packetHeaderSize >> 2;
    const hdrWords = f.colHeaderSize >> 2;
    const range = fr.range_mm, signal = fr.signal, refl = fr.reflectivity, nir = fr.near_ir;
    for (let c = 0; c < f.columnsPerPacket; c++) {
      const o = base + c * colWords;
      const m = u32[o + 2]! & 0xffff;
      const ok = f.legacy ? u32[o + colWords - 1]! === 0xffffffff : (u32[o + 2]! >>> 16 & 1) === 1;
      if (!ok) {
        this.stats.invalid_columns++;
        continue;
      }
      if (fr.valid[m]) {
        this.stats.duplicate_columns++;
        continue;
      }
      fr.valid[m] = 1;
      fr.received_columns++;
      const ts = u32[o]! + u32[o + 1]! * 4294967296;
      fr.timestamp_ns[m] = ts;
      if (ts < fr.first_timestamp_ns) fr.first_timestamp_ns = ts;
      let k = m * h;
      let p = o + hdrWords;
      const end = k + h;
      if (f.profile === 'RNG19_RFL8_SIG16_NIR16') {
        for (; k < end; k++, p += 3) {
          const w1 = u32[p + 1]!;
          range[k] = u32[p]! & 0x7ffff;
          refl[k] = w1 & 0xff;
          signal[k] = w1 >>> 16;
          nir[k] = u32[p + 2]! & 0xffff;
        }
      } else if (f.profile === 'LEGACY') {
        for (; k < end; k++, p += 3) {
          const w1 = u32[p + 1]!;
          range[k] = u32[p]! & 0xfffff;
          refl[k] = w1 & 0xffff;
          signal[k] = w1 >>> 16;
          nir[k] = u32[p + 2]! & 0xffff;
        }
      } else {
        for (; k < end; k++, p++) {
          const w0 = u32[p]!;
          range[k] = (w0 & 0x7fff) << 3;
          refl[k] = (w0 >>> 16) & 0xff;
          nir[k] = (w0 >>> 24) << 4;
          signal[k] = 0;
        }
      }
    }
  }
}
