/**
 * MAVLink framing and (de)serialisation: our frame parser with CRC over node-mavlink's message
 * definitions and field (de)serialisers.
 *
 * @remarks
 * Inbound bytes are untrusted (a radio link, a UDP port anyone can send to): the parser never
 * throws, resynchronises on the next start byte after garbage or a bad checksum, and counts
 * what it dropped. Messages we have no definition for are passed up as frames and counted.
 * Signed MAVLink 2 frames are accepted and their signature is skipped (not verified).
 */
import { createRequire } from 'node:module';
import { ardupilotmega, common, minimal, MavLinkProtocolV2, type MavLinkData, type MavLinkPacketRegistry } from 'node-mavlink';

// node-mavlink keeps its field deserialisers out of its public index.
const { DESERIALIZERS } = createRequire(import.meta.url)('node-mavlink/dist/lib/serialization.js') as {
  DESERIALIZERS: Record<string, (buf: Buffer, offset: number, length: number) => unknown>;
};

/** CRC-16/MCRF4XX (MAVLink's "X.25") over buf[start, end), then the message's CRC extra. */
export function mavCrc(buf: Buffer, start: number, end: number, crcExtra: number): number {
  let crc = 0xffff;
  for (let k = start; k <= end; k++) {
    const b = k === end ? crcExtra : buf[k]!;
    let tmp = (b ^ crc) & 0xff;
    tmp = (tmp ^ (tmp << 4)) & 0xff;
    crc = ((crc >> 8) ^ (tmp << 8) ^ (tmp << 3) ^ (tmp >> 4)) & 0xffff;
  }
  return crc;
}

export type MavMessageClass = MavLinkPacketRegistry[number];

/** PX4's common set plus ArduPilot's dialect. */
export const REGISTRY: MavLinkPacketRegistry = { ...minimal.REGISTRY, ...common.REGISTRY, ...ardupilotmega.REGISTRY };

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
}

const STX_V1 = 0xfe;
const STX_V2 = 0xfd;
const SIGNATURE_LEN = 13;

/**
 * A streaming parser: feed it chunks (TCP, serial) or whole datagrams (UDP); frames come out in
 * order. Keeps at most one partial frame between calls.
 */
export class MavlinkParser {
  readonly stats: ParserStats = { frames: 0, badCrc: 0, unknownMsg: 0, garbageBytes: 0 };
  private pending: Buffer | undefined;

  constructor(private readonly registry: MavLinkPacketRegistry = REGISTRY) {}

  push(chunk: Buffer, onFrame: (frame: MavFrame) => void): void {
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    let i = 0;
    const n = buf.length;
    while (i < n) {
      const stx = buf[i]!;
      if (stx !== STX_V2 && stx !== STX_V1) {
        i++;
        this.stats.garbageBytes++;
        continue;
      }
      const v2 = stx === STX_V2;
      const headerLen = v2 ? 10 : 6;
      if (n - i < headerLen) break;
      const len = buf[i + 1]!;
      const signed = v2 && (buf[i + 2]! & 0x01) === 1;
      const frameLen = headerLen + len + 2 + (signed ? SIGNATURE_LEN : 0);
      if (n - i < frameLen) break;
      const msgid = v2 ? buf[i + 7]! | (buf[i + 8]! << 8) | (buf[i + 9]! << 16) : buf[i + 5]!;
      const clazz = this.registry[msgid];
      if (!clazz) {
        // No CRC extra: we cannot tell a real frame from noise. Skip the start byte only.
        this.stats.unknownMsg++;
        i++;
        continue;
      }
      const crc = mavCrc(buf, i + 1, i + headerLen + len, clazz.MAGIC_NUMBER);
      const got = buf.readUInt16LE(i + headerLen + len);
      if (crc !== got) {
        this.stats.badCrc++;
        i++;
        continue;
      }
      this.stats.frames++;
      onFrame({
        version: v2 ? 2 : 1,
        seq: buf[i + (v2 ? 4 : 2)]!,
        sysid: buf[i + (v2 ? 5 : 3)]!,
        compid: buf[i + (v2 ? 6 : 4)]!,
        msgid,
        payload: buf.subarray(i + headerLen, i + headerLen + len),
      });
      i += frameLen;
    }
    if (i < n) this.pending = Buffer.from(buf.subarray(i));
  }
}

/** Decodes a frame's payload into its message class (zero-extending a truncated payload). */
export function decode(frame: MavFrame, registry: MavLinkPacketRegistry = REGISTRY): MavLinkData | undefined {
  const clazz = registry[frame.msgid];
  if (!clazz) return undefined;
  let payload = frame.payload;
  if (payload.length < clazz.PAYLOAD_LENGTH) {
    const full = Buffer.alloc(clazz.PAYLOAD_LENGTH);
    payload.copy(full);
    payload = full;
  }
  const instance = new clazz() as unknown as Record<string, unknown>;
  for (const field of clazz.FIELDS) {
    if (field.extension && field.offset >= frame.payload.length && frame.payload.length >= clazz.PAYLOAD_LENGTH) continue;
    instance[field.name] = DESERIALIZERS[field.type]!(payload, field.offset, field.length);
  }
  return instance as unknown as MavLinkData;
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
