/**
 * Reads a recording back for replay: the bus messages it holds, in log-time order.
 *
 * @remarks
 * Reads the file as a stream (`McapStreamReader`, chunk CRCs checked), so a recording whose
 * writer was killed mid-run (no summary, a torn last chunk) still gives every complete chunk:
 * the result says `truncated` and where it stopped. A file that is not MCAP, or whose records
 * do not parse or whose CRCs do not match, is a `RECORDING.*` failure, never an exception.
 * The whole file is read into memory (recordings of hours are a later concern: the indexed
 * reader would let replay page through chunks instead).
 */
import { readFile } from 'node:fs/promises';
import { McapStreamReader } from '@mcap/core';
import { fail, ok, type Result } from '../core/result.js';
import { BUS_TOPIC_KEY } from './foxglove-schemas.js';
import { logTimeNs } from './foxglove-messages.js';
import { chunkDecompressors } from './mcap-file.js';

export type RecordingReadErrorCode =
  | 'RECORDING.IO' // the file cannot be read
  | 'RECORDING.NOT_MCAP' // no MCAP magic at the start
  | 'RECORDING.CORRUPT' // a record does not parse, a CRC does not match, a message is not JSON
  | 'RECORDING.EMPTY'; // no bus message in the readable part

/** One recorded bus message. */
export interface RecordedMessage {
  readonly busTopic: string;
  /** Log time, ms on the recorded twin's clock. */
  readonly t_ms: number;
  readonly msg: unknown;
}

export interface Recording {
  readonly messages: readonly RecordedMessage[];
  /** Vehicles seen on `/<vehicle>/pose|state|telemetry|battery`. */
  readonly vehicles: readonly string[];
  /** True when the file ends before its footer (a writer killed mid-run). */
  readonly truncated: boolean;
  /** Why reading stopped early, when `truncated`. */
  readonly note?: string;
  /** MCAP metadata records, by name. */
  readonly metadata: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /**
   * The recorded bytes of captures and scans by their blob key (from the CompressedImage and
   * PointCloud messages written beside each reference): what a bridge reads as its blob store.
   */
  readonly blobs: { get(key: string): Promise<Result<Uint8Array, string>>; readonly size: number };
}

/** Schemas whose messages carry blob bytes in `data` (base64), by the reference topic they belong to. */
const BYTES_SCHEMAS = new Map([
  ['foxglove.CompressedImage', '/image'],
  ['foxglove.PointCloud', '/points'],
]);

const MAGIC = Uint8Array.of(0x89, 0x4d, 0x43, 0x41, 0x50, 0x30, 0x0d, 0x0a);
const VEHICLE_TOPIC = /^\/([^/]+)\/(pose|state|telemetry|battery)$/;

export async function readRecording(path: string): Promise<Result<Recording, RecordingReadErrorCode>> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    return fail('RECORDING.IO', `${path}: ${(error as Error).message}`, { cause: error });
  }
  return parseRecording(bytes, path);
}

/** Parses recording bytes (see {@link readRecording}). */
export async function parseRecording(bytes: Uint8Array, name = 'recording'): Promise<Result<Recording, RecordingReadErrorCode>> {
  if (bytes.byteLength < MAGIC.length || MAGIC.some((b, i) => bytes[i] !== b))
    return fail('RECORDING.NOT_MCAP', `${name}: not an MCAP file (no MCAP magic in its first 8 bytes)`);
  const reader = new McapStreamReader({ decompressHandlers: await chunkDecompressors(), validateCrcs: true });
  reader.append(bytes);
  const busTopics = new Map<number, string>();
  const schemaNames = new Map<number, string>();
  /** Channels whose messages carry bytes: channel id → `<vehicle>/<sensor>` topic base. */
  const byteChannels = new Map<number, string>();
  /** `<base>@<logTime ns>` → the message's JSON bytes (decoded on demand). */
  const payloads = new Map<string, Uint8Array>();
  const messages: RecordedMessage[] = [];
  const metadata = new Map<string, ReadonlyMap<string, string>>();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let note: string | undefined;
  try {
    for (let record; (record = reader.nextRecord()); ) {
      if (record.type === 'Schema') schemaNames.set(record.id, record.name);
      else if (record.type === 'Channel') {
        const bus = record.metadata.get(BUS_TOPIC_KEY);
        if (bus !== undefined && record.messageEncoding === 'json') busTopics.set(record.id, bus);
        const suffix = BYTES_SCHEMAS.get(schemaNames.get(record.schemaId) ?? '');
        if (suffix && record.topic.endsWith(suffix) && record.messageEncoding === 'json') byteChannels.set(record.id, record.topic.slice(0, -suffix.length));
      } else if (record.type === 'Metadata') metadata.set(record.name, record.metadata);
      else if (record.type === 'Message') {
        const base = byteChannels.get(record.channelId);
        if (base !== undefined) payloads.set(`${base}@${record.logTime}`, record.data);
        const busTopic = busTopics.get(record.channelId);
        if (busTopic === undefined) continue;
        let msg: unknown;
        try {
          msg = JSON.parse(decoder.decode(record.data));
        } catch (error) {
          return fail('RECORDING.CORRUPT', `${name}: message ${record.sequence} on ${busTopic} is not JSON: ${(error as Error).message}`);
        }
        messages.push({ busTopic, t_ms: Number(record.logTime / 1000n) / 1000, msg });
      }
    }
  } catch (error) {
    // A record that does not parse or a chunk whose CRC does not match: the file is damaged (a
    // torn tail is not an error here: the reader simply runs out of complete records).
    return fail('RECORDING.CORRUPT', `${name}: damaged after ${messages.length} messages: ${(error as Error).message}`, { cause: error });
  }
  const truncated = !reader.done();
  if (truncated) note = `no footer: the file ends after ${messages.length} messages (the writer did not close it)`;
  if (messages.length === 0)
    return fail('RECORDING.EMPTY', `${name}: no twin bus messages${truncated ? ' in its complete chunks (truncated file)' : ''}`);
  // Images and point clouds are written after their blob is read: put everything in time order.
  const ordered = messages.map((m, i) => ({ m, i })).sort((a, b) => a.m.t_ms - b.m.t_ms || a.i - b.i).map((x) => x.m);
  const vehicles = [...new Set(ordered.flatMap((m) => VEHICLE_TOPIC.exec(m.busTopic)?.[1] ?? []))];
  // Blob key → payload: each capture/scan reference and the bytes message written at its time.
  const keyed = new Map<string, Uint8Array>();
  for (const m of ordered) {
    const ref = m.msg as { blob_key?: unknown; t_ms?: unknown };
    if (typeof ref.blob_key !== 'string' || !/\/(capture|scan)$/.test(m.busTopic)) continue;
    const data = payloads.get(`${m.busTopic.slice(0, m.busTopic.lastIndexOf('/'))}@${logTimeNs(Number(ref.t_ms))}`);
    if (data) keyed.set(ref.blob_key, data);
  }
  const blobs = {
    size: keyed.size,
    async get(key: string): Promise<Result<Uint8Array, string>> {
      const json = keyed.get(key);
      if (!json) return fail('BLOB.NOT_FOUND', `${key}: not in the recording`);
      try {
        const { data } = JSON.parse(decoder.decode(json)) as { data?: unknown };
        if (typeof data !== 'string') return fail('RECORDING.CORRUPT', `${key}: no data in its recorded message`);
        const bytes = Buffer.from(data, 'base64');
        return ok(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      } catch (error) {
        return fail('RECORDING.CORRUPT', `${key}: ${(error as Error).message}`);
      }
    },
  };
  return ok({ messages: ordered, vehicles, truncated, ...(note ? { note } : {}), metadata, blobs });
}
