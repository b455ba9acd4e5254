/**
 * An MCAP reader written from the specification (https://mcap.dev/spec), independent of
 * @mcap/core and of recording/: magic, the record framing (opcode u8, length u64 LE), every
 * record the recorder writes, chunk CRCs (zlib's CRC-32), the data section CRC, the summary and
 * footer. Zstd chunks are decompressed by the Debian `zstd` program, not by the writer's codec.
 * Tests use it to check what the recorder wrote.
 */
import { execFileSync } from 'node:child_process';
import { crc32 } from 'node:zlib';

export const MAGIC = Buffer.from([0x89, 0x4d, 0x43, 0x41, 0x50, 0x30, 0x0d, 0x0a]);

export const OP = {
  HEADER: 0x01,
  FOOTER: 0x02,
  SCHEMA: 0x03,
  CHANNEL: 0x04,
  MESSAGE: 0x05,
  CHUNK: 0x06,
  MESSAGE_INDEX: 0x07,
  CHUNK_INDEX: 0x08,
  ATTACHMENT: 0x09,
  ATTACHMENT_INDEX: 0x0a,
  STATISTICS: 0x0b,
  METADATA: 0x0c,
  METADATA_INDEX: 0x0d,
  SUMMARY_OFFSET: 0x0e,
  DATA_END: 0x0f,
} as const;

export interface SpecSchema {
  id: number;
  name: string;
  encoding: string;
  data: string;
}
export interface SpecChannel {
  id: number;
  schemaId: number;
  topic: string;
  messageEncoding: string;
  metadata: Map<string, string>;
}
export interface SpecMessage {
  channelId: number;
  sequence: number;
  logTime: bigint;
  publishTime: bigint;
  data: Buffer;
}
export interface SpecStatistics {
  messageCount: bigint;
  schemaCount: number;
  channelCount: number;
  chunkCount: number;
  messageStartTime: bigint;
  messageEndTime: bigint;
  channelMessageCounts: Map<number, bigint>;
}
export interface SpecFile {
  header: { profile: string; library: string };
  schemas: Map<number, SpecSchema>;
  channels: Map<number, SpecChannel>;
  messages: SpecMessage[];
  chunks: { at: number; compression: string; compressedSize: number; uncompressedSize: number; start: bigint; end: bigint; messages: number }[];
  metadata: Map<string, Map<string, string>>;
  /** Opcodes of the top-level records, in file order. */
  opcodes: number[];
  /** Present only when the file was closed. */
  summary?: { statistics?: SpecStatistics; chunkIndexes: number; schemas: number; channels: number; dataSectionCrcOk: boolean; summaryCrcOk: boolean };
  /** True when the file ends before the footer and closing magic. */
  truncated: boolean;
}

class Cursor {
  constructor(readonly buf: Buffer, public pos = 0, readonly end = buf.length) {}
  get left(): number {
    return this.end - this.pos;
  }
  u8() {
    return this.buf.readUInt8((this.pos += 1) - 1);
  }
  u16() {
    return this.buf.readUInt16LE((this.pos += 2) - 2);
  }
  u32() {
    return this.buf.readUInt32LE((this.pos += 4) - 4);
  }
  u64() {
    return this.buf.readBigUInt64LE((this.pos += 8) - 8);
  }
  bytes(n: number) {
    if (n > this.left) throw new Error(`record overruns: ${n} > ${this.left}`);
    return this.buf.subarray(this.pos, (this.pos += n));
  }
  str() {
    return this.bytes(this.u32()).toString('utf8');
  }
  map<K, V>(key: () => K, value: () => V): Map<K, V> {
    const len = this.u32();
    const stop = this.pos + len;
    const m = new Map<K, V>();
    while (this.pos < stop) m.set(key(), value());
    return m;
  }
}

function zstdDecompress(data: Buffer): Buffer {
  return execFileSync('zstd', ['-d', '-c', '-q'], { input: data, maxBuffer: 1 << 30 });
}

/** Parses records between `start` and `end` of `buf` (a data section or a chunk's records). */
function records(buf: Buffer, start: number, end: number, fn: (op: number, body: Cursor, recStart: number) => void): number {
  let pos = start;
  while (pos < end) {
    if (end - pos < 9) return pos;
    const op = buf.readUInt8(pos);
    const len = Number(buf.readBigUInt64LE(pos + 1));
    if (pos + 9 + len > end) return pos;
    fn(op, new Cursor(buf, pos + 9, pos + 9 + len), pos);
    pos += 9 + len;
  }
  return pos;
}

export function readMcapBySpec(file: Buffer): SpecFile {
  if (!file.subarray(0, 8).equals(MAGIC)) throw new Error('no MCAP magic');
  const out: SpecFile = { header: { profile: '', library: '' }, schemas: new Map(), channels: new Map(), messages: [], chunks: [], metadata: new Map(), opcodes: [], truncated: true };
  const summary = { chunkIndexes: 0, schemas: 0, channels: 0, dataSectionCrcOk: false, summaryCrcOk: false } as NonNullable<SpecFile['summary']>;
  let inSummary = false;
  let dataEndAt = -1;
  let dataSectionCrc = 0;
  const onRecord = (op: number, c: Cursor, top: boolean, at = -1) => {
    if (top) out.opcodes.push(op);
    switch (op) {
      case OP.HEADER:
        out.header = { profile: c.str(), library: c.str() };
        break;
      case OP.SCHEMA: {
        const s = { id: c.u16(), name: c.str(), encoding: c.str(), data: c.str() };
        if (inSummary) summary.schemas++;
        else out.schemas.set(s.id, s);
        break;
      }
      case OP.CHANNEL: {
        const ch = { id: c.u16(), schemaId: c.u16(), topic: c.str(), messageEncoding: c.str(), metadata: c.map(() => c.str(), () => c.str()) };
        if (inSummary) summary.channels++;
        else out.channels.set(ch.id, ch);
        break;
      }
      case OP.MESSAGE: {
        const m = { channelId: c.u16(), sequence: c.u32(), logTime: c.u64(), publishTime: c.u64(), data: Buffer.from(c.bytes(c.left)) };
        out.messages.push(m);
        break;
      }
      case OP.CHUNK: {
        const start = c.u64();
        const end = c.u64();
        const uncompressedSize = Number(c.u64());
        const crc = c.u32();
        const compression = c.str();
        const len = Number(c.u64());
        const compressed = Buffer.from(c.bytes(len));
        const raw = compression === '' ? compressed : compression === 'zstd' ? zstdDecompress(compressed) : undefined;
        if (!raw) throw new Error(`unknown chunk compression ${compression}`);
        if (raw.length !== uncompressedSize) throw new Error(`chunk size ${raw.length} != ${uncompressedSize}`);
        if (crc !== 0 && crc32(raw) !== crc) throw new Error('chunk CRC mismatch');
        const before = out.messages.length;
        const stop = records(raw, 0, raw.length, (o, body) => onRecord(o, body, false));
        if (stop !== raw.length) throw new Error('chunk records do not fill the chunk');
        out.chunks.push({ at, compression, compressedSize: len, uncompressedSize, start, end, messages: out.messages.length - before });
        break;
      }
      case OP.METADATA: {
        const name = c.str();
        out.metadata.set(name, c.map(() => c.str(), () => c.str()));
        break;
      }
      case OP.CHUNK_INDEX:
        summary.chunkIndexes++;
        break;
      case OP.STATISTICS: {
        const messageCount = c.u64();
        const schemaCount = c.u16();
        const channelCount = c.u32();
        c.u32(); // attachment_count
        c.u32(); // metadata_count
        const chunkCount = c.u32();
        const messageStartTime = c.u64();
        const messageEndTime = c.u64();
        const channelMessageCounts = c.map(() => c.u16(), () => c.u64());
        summary.statistics = { messageCount, schemaCount, channelCount, chunkCount, messageStartTime, messageEndTime, channelMessageCounts };
        break;
      }
      case OP.DATA_END:
        dataSectionCrc = c.u32();
        inSummary = true;
        break;
      default:
        break;
    }
  };
  let footerAt = -1;
  const stop = records(file, 8, file.length, (op, c, at) => {
    if (op === OP.DATA_END) dataEndAt = at;
    if (op === OP.FOOTER) {
      footerAt = at;
      out.opcodes.push(op);
      return;
    }
    onRecord(op, c, true, at);
  });
  if (footerAt >= 0 && stop === file.length - 8 && file.subarray(file.length - 8).equals(MAGIC)) {
    out.truncated = false;
    summary.dataSectionCrcOk = dataSectionCrc === 0 || crc32(file.subarray(0, dataEndAt)) === dataSectionCrc;
    const summaryStart = Number(file.readBigUInt64LE(footerAt + 9));
    const summaryCrc = file.readUInt32LE(footerAt + 9 + 16);
    summary.summaryCrcOk = summaryCrc === 0 || crc32(file.subarray(summaryStart, footerAt + 9 + 16)) === summaryCrc;
    out.summary = summary;
  }
  return out;
}

/** The messages of `topic`, decoded as JSON. */
export function jsonMessages(f: SpecFile, topic: string): { logTime: bigint; value: any }[] {
  const ids = [...f.channels.values()].filter((c) => c.topic === topic).map((c) => c.id);
  return f.messages.filter((m) => ids.includes(m.channelId)).map((m) => ({ logTime: m.logTime, value: JSON.parse(m.data.toString('utf8')) }));
}
