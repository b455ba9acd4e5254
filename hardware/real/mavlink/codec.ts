/**
 * MAVLink framing and (de)serialisation: our frame parser with CRC over node-mavlink's message
 * definitions, decoding into node-mavlink's message classes, encoding with its serialisers.
 *
 * @remarks
 * Inbound bytes are untrusted (a radio link, a UDP port anyone can send to): the parser never
 * throws, resynchronises on the next start byte after garbage or a bad checksum, and counts
 * what it dropped. Messages we have no definition for are counted and skipped. Signed MAVLink 2
 * frames (incompat_flags bit 0x01) are accepted and their 13-byte signature is skipped (not
 * verified). A MAVLink 2 frame with any other incompat_flags bit set is dropped, as the
 * specification requires ("a library must discard a packet whose incompat_flags it does not
 * understand"): we cannot know how such a frame is laid out, so only its start byte is skipped.
 *
 * This is the ingest hot path (every telemetry packet of every vehicle goes through it), so it
 * avoids what makes node-mavlink's stock stream pipeline slow: a bitwise CRC, a
 * `Buffer.concat` and several `slice`s per packet, debug strings built for every packet, a
 * 255-byte padded payload copy, generic per-field dispatch and enum look-ups in every message
 * constructor. Decoded values are identical to node-mavlink's `protocol.data()` on its padded
 * payload (tested field by field on a recorded stream).
 */
import { ardupilotmega, common, minimal, standard, MavLinkProtocolV2, type MavLinkData, type MavLinkPacketRegistry } from 'node-mavlink';
import { planFor, type DecodePlan } from './internal/decode-plan.js';

export type MavMessageClass = MavLinkPacketRegistry[number];

/** PX4's common set (with standard: AUTOPILOT_VERSION) plus ArduPilot's dialect. */
export const REGISTRY: MavLinkPacketRegistry = { ...minimal.REGISTRY, ...standard.REGISTRY, ...common.REGISTRY, ...ardupilotmega.REGISTRY };

// CRC-16/MCRF4XX (MAVLink's "X.25"): the bitwise step depends on the running CRC only through
// (crc ^ byte) & 0xff and crc >> 8, so one 256-entry table replaces eight shift/xor rounds.
const CRC_TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let tmp = i;
    tmp = (tmp ^ (tmp << 4)) & 0xff;
    t[i] = ((tmp << 8) ^ (tmp << 3) ^ (tmp >> 4)) & 0xffff;
  }
  return t;
})();

/** CRC-16/MCRF4XX (MAVLink's "X.25") over buf[start, end), then the message's CRC extra. */
export function mavCrc(buf: Uint8Array, start: number, end: number, crcExtra: number): number {
  let crc = 0xffff;
  for (let k = start; k < end; k++) crc = (crc >>> 8) ^ CRC_TABLE[(crc ^ buf[k]!) & 0xff]!;
  return (crc >>> 8) ^ CRC_TABLE[(crc ^ crcExtra) & 0xff]!;
}

export interface MavFrame {
  readonly version: 1 | 2;
  readonly seq: number;
  readonly sysid: number;
  readonly compid: number;
  readonly msgid: number;
  /** Payload as received (MAVLink 2 payloads may be truncated of trailing zeros). */
  readonly payload: Buffer;
}

export interface ParserStats {
  frames: number;
  badCrc: number;
  /** Frames with a message id we have no definition (CRC extra) for: cannot be checked. */
  unknownMsg: number;
  /** Bytes skipped while looking for a start byte. */
  garbageBytes: number;
  /** MAVLink 2 frames dropped for incompat_flags bits other than SIGNED (0x01). */
  incompatible: number;
}

/** One class for every frame, so the consumer's property reads stay monomorphic. */
class Frame implements MavFrame {
  constructor(
    readonly version: 1 | 2,
    readonly seq: number,
    readonly sysid: number,
    readonly compid: number,
    readonly msgid: number,
    readonly payload: Buffer,
  ) {}
}

const STX_V1 = 0xfe;
const STX_V2 = 0xfd;
const SIGNATURE_LEN = 13;
/** MAVLINK_IFLAG_SIGNED: the only incompat_flags bit MAVLink 2 defines (and we understand). */
export const IFLAG_SIGNED = 0x01;
/** MAVLink 2, signed, full payload: 10 header + 255 payload + 2 CRC + 13 signature. */
export const MAX_FRAME_LEN = 10 + 255 + 2 + SIGNATURE_LEN;

/**
 * Per-registry message table: CRC extra and decode plan by message id. Dense array for the
 * usual dialects (ids < 65536) because the look-up runs once per frame.
 */
class MessageTable {
  private readonly dense: (DecodePlan | undefined)[] | undefined;
  private readonly sparse: Map<number, DecodePlan> | undefined;
  private readonly plans = new Map<number, DecodePlan>();

  constructor(readonly registry: MavLinkPacketRegistry) {
    let max = 0;
    for (const key of Object.keys(registry)) {
      const clazz = registry[Number(key)];
      if (!clazz) continue;
      const plan = planFor(clazz);
      this.plans.set(clazz.MSG_ID, plan);
      max = Math.max(max, clazz.MSG_ID);
    }
    if (max < 65_536) {
      this.dense = new Array<DecodePlan | undefined>(max + 1).fill(undefined);
      for (const [id, plan] of this.plans) this.dense[id] = plan;
    } else {
      this.sparse = this.plans;
    }
  }

  get(msgid: number): DecodePlan | undefined {
    return this.dense ? this.dense[msgid] : this.sparse!.get(msgid);
  }
}

const tables = new WeakMap<MavLinkPacketRegistry, MessageTable>();
function tableFor(registry: MavLinkPacketRegistry): MessageTable {
  let t = tables.get(registry);
  if (!t) tables.set(registry, (t = new MessageTable(registry)));
  return t;
}

/**
 * A streaming parser: feed it chunks (TCP, serial) or whole datagrams (UDP); frames come out in
 * order. Keeps at most one partial frame (< {@link MAX_FRAME_LEN} bytes) between calls.
 *
 * @remarks
 * A frame's `payload` is a view into the chunk it arrived in (or into a small buffer joining
 * two chunks): no copy. Copy it if you keep it after the chunk's buffer is reused.
 */
export class MavlinkParser {
  readonly stats: ParserStats = { frames: 0, badCrc: 0, unknownMsg: 0, garbageBytes: 0, incompatible: 0 };
  private pending: Buffer | undefined;
  private readonly table: MessageTable;

  constructor(registry: MavLinkPacketRegistry = REGISTRY) {
    this.table = tableFor(registry);
  }

  /** Bytes held back waiting for the rest of a frame (always < {@link MAX_FRAME_LEN}). */
  get pendingBytes(): number {
    return this.pending ? this.pending.length : 0;
  }

  push(chunk: Buffer, onFrame: (frame: MavFrame) => void): void {
    const pending = this.pending;
    this.pending = undefined;
    if (!pending) {
      this.scan(chunk, 0, chunk.length, onFrame);
      return;
    }
    // Join the partial frame with just enough of the chunk to finish any frame that starts in
    // it (a frame is at most MAX_FRAME_LEN long); the rest of the chunk is scanned in place.
    const take = Math.min(chunk.length, MAX_FRAME_LEN);
    const head = Buffer.concat([pending, chunk.subarray(0, take)]);
    if (take === chunk.length) {
      this.scan(head, 0, head.length, onFrame);
      return;
    }
    const stop = this.scan(head, 0, pending.length, onFrame);
    this.scan(chunk, stop - pending.length, chunk.length, onFrame);
  }

  /**
   * Parses frames starting in buf[from, limit); returns where the next frame could start. If
   * it runs out of bytes for a frame, the tail is kept as the pending partial frame.
   */
  private scan(buf: Buffer, from: number, limit: number, onFrame: (frame: MavFrame) => void): number {
    const stats = this.stats;
    const table = this.table;
    const n = buf.length;
    let i = from;
    while (i < limit) {
      const stx = buf[i]!;
      if (stx !== STX_V2 && stx !== STX_V1) {
        i++;
        stats.garbageBytes++;
        continue;
      }
      const v2 = stx === STX_V2;
      const headerLen = v2 ? 10 : 6;
      if (n - i < headerLen) break;
      const len = buf[i + 1]!;
      const incompat = v2 ? buf[i + 2]! : 0;
      if ((incompat & ~IFLAG_SIGNED) !== 0) {
        // A flag we do not understand: the frame's layout is unknown, drop it (spec), resync.
        stats.incompatible++;
        i++;
        continue;
      }
      const signed = (incompat & IFLAG_SIGNED) !== 0;
      const frameLen = headerLen + len + 2 + (signed ? SIGNATURE_LEN : 0);
      if (n - i < frameLen) break;
      const msgid = v2 ? buf[i + 7]! | (buf[i + 8]! << 8) | (buf[i + 9]! << 16) : buf[i + 5]!;
      const plan = table.get(msgid);
      if (plan === undefined) {
        // No CRC extra: we cannot tell a real frame from noise. Skip the start byte only.
        stats.unknownMsg++;
        i++;
        continue;
      }
      const end = i + headerLen + len;
      if (mavCrc(buf, i + 1, end, plan.crcExtra) !== (buf[end]! | (buf[end + 1]! << 8))) {
        stats.badCrc++;
        i++;
        continue;
      }
      stats.frames++;
      const o = v2 ? i + 4 : i + 2;
      onFrame(new Frame(v2 ? 2 : 1, buf[o]!, buf[o + 1]!, buf[o + 2]!, msgid, buf.subarray(i + headerLen, end)));
      i += frameLen;
    }
    if (i < n && i < limit) this.pending = Buffer.from(buf.subarray(i));
    return i;
  }
}

// Zero-filled scratch for truncated payloads: decoding copies every value out, so it is safe to
// reuse across calls (decode is synchronous).
const scratch = Buffer.alloc(256);

/**
 * Decodes a frame's payload into its message class (a truncated MAVLink 2 payload is
 * zero-extended, as the spec requires; extension fields absent from the frame decode as zero).
 */
export function decode(frame: MavFrame, registry: MavLinkPacketRegistry = REGISTRY): MavLinkData | undefined {
  const plan = tableFor(registry).get(frame.msgid);
  if (plan === undefined) return undefined;
  const payload = frame.payload;
  if (payload.length >= plan.payloadLength) return plan.decode(payload);
  payload.copy(scratch, 0);
  scratch.fill(0, payload.length, plan.payloadLength);
  return plan.decode(scratch);
}

/** Serialises messages from one system/component, keeping its sequence number. */
export class MavlinkEncoder {
  private seq = 0;
  private readonly protocol: MavLinkProtocolV2;

  constructor(readonly sysid: number, readonly compid: number) {
    this.protocol = new MavLinkProtocolV2(sysid, compid);
  }

  encode(message: MavLinkData): Buffer {
    const buf = this.protocol.serialize(message, this.seq);
    this.seq = (this.seq + 1) & 0xff;
    return buf;
  }
}
