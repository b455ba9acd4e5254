/**
 * `McapRecorder`: writes what a twin publishes (bus topics, event log, camera images, LiDAR
 * points) into an MCAP file that Foxglove opens, and that `twin replay` serves back.
 *
 * @remarks
 * Channels (message encoding `json`, schema encoding `jsonschema`, see `foxglove-schemas.ts`):
 * - every bus topic as published (`/<vehicle>/pose`, `/<vehicle>/battery`, `/<vehicle>/state`,
 *   `/<vehicle>/telemetry`, `/mission/status`, `/<vehicle>/<sensor>/capture|scan|health`), schema
 *   `overwatch.*`, channel metadata `overwatch.bus_topic` (what replay publishes back);
 * - for Foxglove's panels: `/<vehicle>/gps` (foxglove.LocationFix), `/<vehicle>/pose_in_frame`
 *   (foxglove.PoseInFrame, `map` ENU), `/<vehicle>/battery_state` (sensor_msgs BatteryState
 *   fields), `/<vehicle>/<sensor>/image` (foxglove.CompressedImage, the stored image bytes),
 *   `/<vehicle>/<sensor>/points` (foxglove.PointCloud, x,y,z,intensity float32);
 * - the event log: `/events` (overwatch.LogEntry, the entry as logged) and `/log` (foxglove.Log).
 *
 * Log time and publish time are the message's own time on the twin's clock (sim time under the
 * virtual clock), in ns. Messages are buffered into zstd chunks (1 MiB by default); each finished
 * chunk is written to the file at once (see `SyncFileWritable`), so a crash loses at most the
 * open chunk. `close()` writes the summary (schemas, channels, statistics, chunk indexes).
 *
 * Bus subscribers are synchronous and the writer is not: messages are serialised at once and
 * queued; one drain loop writes them in order. Image and point bytes are read from the blob store
 * inside that loop, by key, when the reference carries one.
 *
 * @example
 * const rec = await McapRecorder.open({ path: 'run.mcap', blobs });
 * if (!rec.ok) throw …;
 * rec.value.attach(twin);            // { bus, log }
 * …
 * const summary = await rec.value.close();
 */
import { McapWriter } from '@mcap/core';
import type { Bus } from '../actors/bus.js';
import type { BatteryMsg, PoseMsg } from '../actors/bus.js';
import type { EventLog, LogEntry } from '../actors/event-log.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { fail, ok, type Result } from '../core/result.js';
import type { CaptureRef, ScanRef } from '../hardware/sensor.port.js';
import { batteryState, compressedImage, locationFix, logLine, logTimeNs, pointCloud, poseInFrame } from './foxglove-messages.js';
import { BUS_TOPIC_KEY, FOXGLOVE, TWIN, twinSchemaFor, type RecordingSchema } from './foxglove-schemas.js';
import { chunkCompressor, SyncFileWritable, type ChunkCompression } from './mcap-file.js';

/** Where the recorder reads image and point bytes (the blob store's `get`). */
export interface BlobSource {
  get(key: string): Promise<Result<Uint8Array, string>>;
}

export type RecordingErrorCode =
  | 'RECORDING.IO' // the file could not be opened or written
  | 'RECORDING.CLOSED'; // used after close

export interface McapRecorderOptions {
  readonly path: string;
  /** Where captures' and scans' bytes are; without it only their references are recorded. */
  readonly blobs?: BlobSource;
  /** Uncompressed bytes per chunk before it is compressed and written. Default 1 MiB. */
  readonly chunkBytes?: number;
  /** Default `zstd`. */
  readonly compression?: ChunkCompression;
  readonly logger?: Logger;
  /** Written as an MCAP metadata record named `overwatch.run` (scenario, seed…). */
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface RecordingSummary {
  readonly path: string;
  /** MCAP message records written. */
  readonly messages: number;
  readonly channels: number;
  readonly images: number;
  readonly pointClouds: number;
  /** Captures or scans whose bytes could not be read (their reference is still recorded). */
  readonly blobsMissing: number;
  /** File size, bytes. */
  readonly bytes: number;
}

type Item =
  | { readonly kind: 'json'; readonly topic: string; readonly schema: RecordingSchema; readonly t_ms: number; readonly data: string; readonly busTopic?: string }
  | { readonly kind: 'blob'; readonly topic: string; readonly schema: RecordingSchema; readonly t_ms: number; readonly key: string; readonly build: (bytes: Uint8Array) => unknown };

const encoder = new TextEncoder();

export class McapRecorder {
  private readonly channels = new Map<string, number>();
  private readonly schemas = new Map<string, number>();
  private readonly sequence = new Map<number, number>();
  private queue: Item[] = [];
  private draining: Promise<void> | undefined;
  private failure: Error | undefined;
  private closed = false;
  private readonly detach: (() => void)[] = [];
  private counts = { messages: 0, images: 0, pointClouds: 0, blobsMissing: 0 };
  private readonly logger: Logger;

  private constructor(
    private readonly writer: McapWriter,
    private readonly file: SyncFileWritable,
    private readonly options: McapRecorderOptions,
  ) {
    this.logger = (options.logger ?? silentLogger).child({ component: 'recorder', path: options.path });
  }

  /** Creates the file and writes the MCAP header. */
  static async open(options: McapRecorderOptions): Promise<Result<McapRecorder, RecordingErrorCode>> {
    let file: SyncFileWritable;
    try {
      file = new SyncFileWritable(options.path);
    } catch (error) {
      return fail('RECORDING.IO', `cannot create ${options.path}: ${(error as Error).message}`, { cause: error });
    }
    try {
      const compressChunk = await chunkCompressor(options.compression ?? 'zstd');
      const writer = new McapWriter({ writable: file, chunkSize: options.chunkBytes ?? 1024 * 1024, ...(compressChunk ? { compressChunk } : {}) });
      await writer.start({ profile: '', library: 'overwatch-twin recorder' });
      if (options.metadata) await writer.addMetadata({ name: 'overwatch.run', metadata: new Map(Object.entries(options.metadata)) });
      return ok(new McapRecorder(writer, file, options));
    } catch (error) {
      file.close();
      return fail('RECORDING.IO', `cannot write ${options.path}: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Records everything `bus` and `log` carry from now on; returns the detach function. */
  attach(source: { readonly bus: Bus; readonly log: EventLog }): () => void {
    const offBus = source.bus.subscribeAll((msg, topic) => this.onBus(topic, msg));
    const offLog = source.log.addSink((entry, line) => this.onEntry(entry, line));
    const off = () => {
      offBus();
      offLog();
    };
    this.detach.push(off);
    return off;
  }

  /** Records one bus message (what `attach` does for every message). */
  onBus(topic: string, msg: unknown): void {
    if (this.closed || this.failure) return;
    const t_ms = typeof (msg as { t_ms?: unknown }).t_ms === 'number' ? (msg as { t_ms: number }).t_ms : 0;
    this.push({ kind: 'json', topic, schema: twinSchemaFor(topic), t_ms, data: JSON.stringify(msg), busTopic: topic });
    const base = topic.slice(0, topic.lastIndexOf('/'));
    if (topic.endsWith('/pose')) {
      const p = msg as PoseMsg;
      this.json(`${base}/gps`, FOXGLOVE.locationFix, p.t_ms, locationFix(p));
      this.json(`${base}/pose_in_frame`, FOXGLOVE.poseInFrame, p.t_ms, poseInFrame(p));
    } else if (topic.endsWith('/battery')) {
      const b = msg as BatteryMsg;
      this.json(`${base}/battery_state`, TWIN.batteryState, b.t_ms, batteryState(b));
    } else if (topic.endsWith('/capture')) {
      const c = msg as CaptureRef;
      if (c.blob_key !== undefined)
        this.push({ kind: 'blob', topic: `${base}/image`, schema: FOXGLOVE.compressedImage, t_ms: c.t_ms, key: c.blob_key, build: (bytes) => compressedImage(c, bytes) });
    } else if (topic.endsWith('/scan')) {
      const s = msg as ScanRef;
      if (s.blob_key !== undefined)
        this.push({ kind: 'blob', topic: `${base}/points`, schema: FOXGLOVE.pointCloud, t_ms: s.t_ms, key: s.blob_key, build: (bytes) => pointCloud(s, bytes) });
    }
  }

  /** Records one event log entry (`line` is its JSON, as the log serialised it). */
  onEntry(entry: LogEntry, line = JSON.stringify(entry)): void {
    if (this.closed || this.failure) return;
    this.push({ kind: 'json', topic: '/events', schema: TWIN.event, t_ms: entry.t_ms, data: line });
    this.json('/log', FOXGLOVE.log, entry.t_ms, logLine(entry));
  }

  /** Stops recording, writes what is queued and the summary, closes the file. */
  async close(): Promise<Result<RecordingSummary, RecordingErrorCode>> {
    if (this.closed) return fail('RECORDING.CLOSED', `${this.options.path}: already closed`);
    this.closed = true;
    for (const off of this.detach) off();
    await this.draining;
    if (!this.failure) {
      try {
        await this.writer.end();
      } catch (error) {
        this.failure = error as Error;
      }
    }
    try {
      this.file.close();
    } catch (error) {
      this.failure ??= error as Error;
    }
    if (this.failure) return fail('RECORDING.IO', `${this.options.path}: ${this.failure.message}`, { cause: this.failure });
    return ok({ path: this.options.path, channels: this.channels.size, bytes: this.file.bytes, ...this.counts });
  }

  private json(topic: string, schema: RecordingSchema, t_ms: number, msg: unknown): void {
    this.push({ kind: 'json', topic, schema, t_ms, data: JSON.stringify(msg) });
  }

  private push(item: Item): void {
    this.queue.push(item);
    this.draining ??= this.drain();
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length && !this.failure) {
        const batch = this.queue;
        this.queue = [];
        for (const item of batch) await this.write(item);
      }
    } catch (error) {
      this.failure = error as Error;
      this.logger.error({ err: error }, 'recording stopped: write failed');
    } finally {
      this.queue = [];
      this.draining = undefined;
    }
  }

  private async write(item: Item): Promise<void> {
    let data: string;
    if (item.kind === 'json') data = item.data;
    else {
      const got = await this.options.blobs?.get(item.key);
      if (!got?.ok) {
        this.counts.blobsMissing++;
        if (this.counts.blobsMissing === 1) this.logger.warn({ key: item.key, error: got?.error }, 'blob not readable: only its reference is recorded');
        return;
      }
      data = JSON.stringify(item.build(got.value));
      if (item.schema === FOXGLOVE.compressedImage) this.counts.images++;
      else this.counts.pointClouds++;
    }
    const channelId = await this.channel(item.topic, item.schema, item.kind === 'json' ? item.busTopic : undefined);
    const sequence = (this.sequence.get(channelId) ?? 0) + 1;
    this.sequence.set(channelId, sequence);
    const time = logTimeNs(item.t_ms);
    await this.writer.addMessage({ channelId, sequence, logTime: time, publishTime: time, data: encoder.encode(data) });
    this.counts.messages++;
  }

  private async channel(topic: string, schema: RecordingSchema, busTopic: string | undefined): Promise<number> {
    const known = this.channels.get(topic);
    if (known !== undefined) return known;
    let schemaId = this.schemas.get(schema.name);
    if (schemaId === undefined) {
      schemaId = await this.writer.registerSchema({ name: schema.name, encoding: schema.encoding, data: encoder.encode(JSON.stringify(schema.schema)) });
      this.schemas.set(schema.name, schemaId);
    }
    const id = await this.writer.registerChannel({
      topic,
      schemaId,
      messageEncoding: 'json',
      metadata: new Map(busTopic ? [[BUS_TOPIC_KEY, busTopic]] : []),
    });
    this.channels.set(topic, id);
    return id;
  }
}
