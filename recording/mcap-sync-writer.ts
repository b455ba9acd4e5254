/**
 * A synchronous MCAP writer over @mcap/core's record and chunk builders.
 *
 * @remarks
 * @mcap/core's `McapWriter` is asynchronous (every call must be awaited before the next), but
 * the twin's runtime runs whole simulated runs without yielding to the event loop (the virtual
 * clock steps timers synchronously), so a recorder fed from bus callbacks through an async
 * writer queues the entire run in memory and writes it at the end (measured: all 64,000
 * messages of a survey, 190,000 of a fleet run). This writer does the same work as
 * `McapWriter` — the same builders, the same record layout: chunks with message indexes, then
 * DataEnd, the summary (schemas, channels, statistics, metadata and chunk indexes), summary
 * offsets and footer — but synchronously, so each message is in its chunk when the bus callback
 * returns and each full chunk is in the file at once. CRCs are Node's `zlib.crc32` (chained).
 */
import { crc32 } from 'node:zlib';
import { McapChunkBuilder, McapRecordBuilder, Opcode } from '@mcap/core';
import type { McapTypes } from '@mcap/core';

type Schema = McapTypes.Schema;
type Channel = McapTypes.Channel;
type Message = McapTypes.Message;
type ChunkIndex = McapTypes.ChunkIndex;
type MetadataIndex = McapTypes.MetadataIndex;
type SummaryOffset = McapTypes.SummaryOffset;

export interface SyncMcapWriterOptions {
  /** Appends bytes to the output (synchronously). */
  readonly write: (bytes: Uint8Array) => void;
  /** Uncompressed bytes per chunk before it is closed. */
  readonly chunkSize: number;
  readonly compressChunk?: (chunk: Uint8Array) => { compression: string; compressedData: Uint8Array };
}

export class SyncMcapWriter {
  private readonly records = new McapRecordBuilder();
  private readonly chunk = new McapChunkBuilder({ useMessageIndex: true });
  private readonly schemas = new Map<number, Schema>();
  private readonly channels = new Map<number, Channel>();
  /** Schemas and channels already written into some chunk. */
  private readonly written = { schemas: new Set<number>(), channels: new Set<number>() };
  private readonly chunkIndexes: ChunkIndex[] = [];
  private readonly metadataIndexes: MetadataIndex[] = [];
  private readonly channelCounts = new Map<number, bigint>();
  private stats = { messages: 0n, start: 0n, end: 0n, chunks: 0, metadata: 0 };
  private offset = 0n;
  private dataCrc = 0;
  private ended = false;

  constructor(private readonly options: SyncMcapWriterOptions) {}

  /** Magic and header. */
  start(header: { profile: string; library: string }): void {
    this.records.writeMagic();
    this.records.writeHeader(header);
    this.flushData();
  }

  registerSchema(info: Omit<Schema, 'id'>): number {
    const id = this.schemas.size + 1;
    this.schemas.set(id, { ...info, id });
    return id;
  }

  registerChannel(info: Omit<Channel, 'id'>): number {
    const id = this.channels.size;
    this.channels.set(id, { ...info, id });
    return id;
  }

  addMessage(message: Message): void {
    if (this.ended) throw new Error('SyncMcapWriter: addMessage after end');
    if (this.stats.messages === 0n || message.logTime < this.stats.start) this.stats.start = message.logTime;
    if (this.stats.messages === 0n || message.logTime > this.stats.end) this.stats.end = message.logTime;
    this.stats.messages++;
    this.channelCounts.set(message.channelId, (this.channelCounts.get(message.channelId) ?? 0n) + 1n);
    if (!this.written.channels.has(message.channelId)) {
      const channel = this.channels.get(message.channelId);
      if (!channel) throw new Error(`SyncMcapWriter: no channel ${message.channelId}`);
      if (channel.schemaId !== 0 && !this.written.schemas.has(channel.schemaId)) {
        const schema = this.schemas.get(channel.schemaId);
        if (!schema) throw new Error(`SyncMcapWriter: no schema ${channel.schemaId}`);
        this.chunk.addSchema(schema);
        this.written.schemas.add(schema.id);
      }
      this.chunk.addChannel(channel);
      this.written.channels.add(channel.id);
    }
    this.chunk.addMessage(message);
    if (this.chunk.byteLength > this.options.chunkSize) this.finishChunk();
  }

  addMetadata(name: string, metadata: ReadonlyMap<string, string>): void {
    this.finishChunk();
    const length = this.records.writeMetadata({ name, metadata: new Map(metadata) });
    this.metadataIndexes.push({ name, offset: this.offset, length });
    this.stats.metadata++;
    this.flushData();
  }

  /** Closes the open chunk and writes DataEnd, the summary, the footer and the closing magic. */
  end(): void {
    if (this.ended) return;
    this.finishChunk();
    this.ended = true;
    this.records.writeDataEnd({ dataSectionCrc: 0 });
    // The data section CRC covers everything before DataEnd: fill it in before writing.
    const dataEnd = this.records.buffer.slice();
    new DataView(dataEnd.buffer).setUint32(9, this.dataCrc, true);
    this.records.reset();
    this.emit(dataEnd);

    const summaryStart = this.offset;
    const offsets: SummaryOffset[] = [];
    const group = (opcode: number, write: () => void) => {
      const groupStart = this.offset + BigInt(this.records.length);
      const before = this.records.length;
      write();
      const groupLength = BigInt(this.records.length - before);
      if (groupLength > 0n) offsets.push({ groupOpcode: opcode, groupStart, groupLength });
    };
    group(Opcode.SCHEMA, () => this.schemas.forEach((s) => this.records.writeSchema(s)));
    group(Opcode.CHANNEL, () => this.channels.forEach((c) => this.records.writeChannel(c)));
    group(Opcode.STATISTICS, () =>
      this.records.writeStatistics({
        messageCount: this.stats.messages,
        schemaCount: this.schemas.size,
        channelCount: this.channels.size,
        attachmentCount: 0,
        metadataCount: this.stats.metadata,
        chunkCount: this.stats.chunks,
        messageStartTime: this.stats.start,
        messageEndTime: this.stats.end,
        channelMessageCounts: this.channelCounts,
      }),
    );
    group(Opcode.METADATA_INDEX, () => this.metadataIndexes.forEach((m) => this.records.writeMetadataIndex(m)));
    group(Opcode.CHUNK_INDEX, () => this.chunkIndexes.forEach((c) => this.records.writeChunkIndex(c)));
    const summaryOffsetStart = this.offset + BigInt(this.records.length);
    for (const o of offsets) this.records.writeSummaryOffset(o);
    const hasSummary = summaryOffsetStart > summaryStart;
    this.records.writeFooter({ summaryStart: hasSummary ? summaryStart : 0n, summaryOffsetStart: hasSummary ? summaryOffsetStart : 0n, summaryCrc: 0 });
    const tail = this.records.buffer.slice();
    this.records.reset();
    // summary_crc: from the summary's start through the footer's summary_offset_start field.
    const crcEnd = tail.length - 4;
    new DataView(tail.buffer).setUint32(crcEnd, crc32(tail.subarray(0, crcEnd)), true);
    this.emit(tail);
    this.records.writeMagic();
    this.emit(this.records.buffer.slice());
    this.records.reset();
  }

  private finishChunk(): void {
    if (this.chunk.numMessages === 0) return;
    const raw = this.chunk.buffer;
    const { compression, compressedData } = this.options.compressChunk?.(raw) ?? { compression: '', compressedData: raw };
    const chunkStartOffset = this.offset;
    const chunkLength = this.records.writeChunk({
      messageStartTime: this.chunk.messageStartTime,
      messageEndTime: this.chunk.messageEndTime,
      uncompressedSize: BigInt(raw.byteLength),
      uncompressedCrc: crc32(raw),
      compression,
      records: compressedData,
    });
    const messageIndexStart = chunkStartOffset + chunkLength;
    const messageIndexOffsets = new Map<number, bigint>();
    let messageIndexLength = 0n;
    for (const index of this.chunk.indices) {
      // A channel with no message in this chunk keeps an empty index: skip it.
      if (index.records.length === 0) continue;
      messageIndexOffsets.set(index.channelId, messageIndexStart + messageIndexLength);
      messageIndexLength += this.records.writeMessageIndex(index);
    }
    this.chunkIndexes.push({
      messageStartTime: this.chunk.messageStartTime,
      messageEndTime: this.chunk.messageEndTime,
      chunkStartOffset,
      chunkLength,
      messageIndexOffsets,
      messageIndexLength,
      compression,
      compressedSize: BigInt(compressedData.byteLength),
      uncompressedSize: BigInt(raw.byteLength),
    });
    this.stats.chunks++;
    this.chunk.reset();
    this.flushData();
  }

  /** Writes the record buffer as part of the data section (CRC'd). */
  private flushData(): void {
    const bytes = this.records.buffer;
    this.dataCrc = crc32(bytes, this.dataCrc);
    this.emit(bytes);
    this.records.reset();
  }

  private emit(bytes: Uint8Array): void {
    this.options.write(bytes);
    this.offset += BigInt(bytes.byteLength);
  }
}
