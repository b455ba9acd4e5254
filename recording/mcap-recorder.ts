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
 *   (foxglove.PoseInFrame, `map` ENU), `/tf` (foxglove.FrameTransform: `map` → `<vehicle>` per
 *   pose, `<vehicle>` → `<vehicle>/<lidar>` once), `/<vehicle>/battery_state` (sensor_msgs BatteryState
 *   fields), `/<vehicle>/<sensor>/image` (foxglove.CompressedImage, the stored image bytes),
 *   `/<vehicle>/<sensor>/points` (foxglove.PointCloud, x,y,z,intensity float32);
 * - the event log: `/events` (overwatch.LogEntry, the entry as logged) and `/log` (foxglove.Log).
 *
 * Log time and publish time are the message's own time on the twin's clock (sim time under the
 * virtual clock), in ns. Messages are buffered into zstd chunks (1 MiB by default); each finished
 * chunk is written to the file at once (see `SyncFile`), so a crash loses at most the open chunk.
 * `close()` writes the summary (schemas, channels, statistics, chunk indexes).
 *
 * Writing is synchronous (`SyncMcapWriter`): the runtime steps a simulated run without yielding,
 * so an asynchronous writer would hold the whole run in memory until its end. Image and point
 * bytes are read from the blob store asynchronously, by key, when the reference carries one;
 * `close()` waits for those reads.
 *
 * @example
 * const rec = await McapRecorder.open({ path: 'run.mcap', blobs });
 * if (!rec.ok) throw …;
 * rec.value.attach(twin);            // { bus, log }
 * …
 * const summary = await rec.value.close();
 */
import type { Bus } from '../actors/bus.js';
import type { BatteryMsg, PoseMsg } from '../actors/bus.js';
import type { EventLog, LogEntry } from '../actors/event-log.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { fail, ok, type Result } from '../core/result.js';
import type { CaptureRef, ScanRef } from '../hardware/sensor.port.js';
import { batteryState, compressedImage, locationFix, logLine, logTimeNs, pointCloud, poseInFrame, sensorTransform, vehicleTransform } from './foxglove-messages.js';
import { BUS_TOPIC_KEY, FOXGLOVE, TWIN, twinSchemaFor, type RecordingSchema } from './foxglove-schemas.js';
import { chunkCompressor, SyncFile, type ChunkCompression } from './mcap-file.js';
import { SyncMcapWriter } from './mcap-sync-writer.js';

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
  /** How long `close` waits for blob reads still in flight (wall ms). Default 10 000. */
  readonly closeWait_ms?: number;
}

/** Extra looks (wall ms apart) for a blob not yet readable when its reference is published. */
const RETRY_MS = [100, 400, 1500];

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

const encoder = new TextEncoder();

export class McapRecorder {
  private readonly channels = new Map<string, number>();
  private readonly schemas = new Map<string, number>();
  private readonly sequence = new Map<number, number>();
  /** LiDARs whose frame transform has been written. */
  private readonly sensorFrames = new Set<string>();
  /** Blob reads in flight (images, point clouds). */
  private readonly reading = new Set<Promise<void>>();
  private failure: Error | undefined;
  private closed = false;
  /** Set when close stops waiting for blob reads: late ones are dropped. */
  private abandoned = false;
  private readonly detach: (() => void)[] = [];
  private counts = { messages: 0, images: 0, pointClouds: 0, blobsMissing: 0 };
  private readonly logger: Logger;

  private constructor(
    private readonly writer: SyncMcapWriter,
    private readonly file: SyncFile,
    private readonly options: McapRecorderOptions,
  ) {
    this.logger = (options.logger ?? silentLogger).child({ component: 'recorder', path: options.path });
  }

  /** Creates the file and writes the MCAP header. */
  static async open(options: McapRecorderOptions): Promise<Result<McapRecorder, RecordingErrorCode>> {
    let file: SyncFile;
    try {
      file = new SyncFile(options.path);
    } catch (error) {
      return fail('RECORDING.IO', `cannot create ${options.path}: ${(error as Error).message}`, { cause: error });
    }
    try {
      const compressChunk = await chunkCompressor(options.compression ?? 'zstd');
      const writer = new SyncMcapWriter({ write: (bytes) => file.write(bytes), chunkSize: options.chunkBytes ?? 1024 * 1024, ...(compressChunk ? { compressChunk } : {}) });
      writer.start({ profile: '', library: 'overwatch-twin recorder' });
      if (options.metadata) writer.addMetadata('overwatch.run', new Map(Object.entries(options.metadata)));
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
    this.write(topic, twinSchemaFor(topic), t_ms, JSON.stringify(msg), topic);
    const base = topic.slice(0, topic.lastIndexOf('/'));
    if (topic.endsWith('/pose')) {
      const p = msg as PoseMsg;
      this.json(`${base}/gps`, FOXGLOVE.locationFix, p.t_ms, locationFix(p));
      this.json(`${base}/pose_in_frame`, FOXGLOVE.poseInFrame, p.t_ms, poseInFrame(p));
      this.json('/tf', FOXGLOVE.frameTransform, p.t_ms, vehicleTransform(p));
    } else if (topic.endsWith('/battery')) {
      const b = msg as BatteryMsg;
      this.json(`${base}/battery_state`, TWIN.batteryState, b.t_ms, batteryState(b));
    } else if (topic.endsWith('/capture')) {
      const c = msg as CaptureRef;
      if (c.blob_key !== undefined) this.blob(`${base}/image`, FOXGLOVE.compressedImage, c.t_ms, c.blob_key, (bytes) => compressedImage(c, bytes));
    } else if (topic.endsWith('/scan')) {
      const s = msg as ScanRef;
      if (!this.sensorFrames.has(base)) {
        this.sensorFrames.add(base);
        this.json('/tf', FOXGLOVE.frameTransform, s.t_ms, sensorTransform(s.vehicle, s.sensor, s.t_ms));
      }
      if (s.blob_key !== undefined) this.blob(`${base}/points`, FOXGLOVE.pointCloud, s.t_ms, s.blob_key, (bytes) => pointCloud(s, bytes));
    }
  }

  /** Records one event log entry (`line` is its JSON, as the log serialised it). */
  onEntry(entry: LogEntry, line = JSON.stringify(entry)): void {
    if (this.closed || this.failure) return;
    this.write('/events', TWIN.event, entry.t_ms, line);
    this.json('/log', FOXGLOVE.log, entry.t_ms, logLine(entry));
  }

  /** Stops recording, writes what is queued and the summary, closes the file. */
  async close(): Promise<Result<RecordingSummary, RecordingErrorCode>> {
    if (this.closed) return fail('RECORDING.CLOSED', `${this.options.path}: already closed`);
    this.closed = true;
    for (const off of this.detach) off();
    // Blob reads still in flight get a bounded wait; what has not come by then stays a reference.
    const deadline = performance.now() + (this.options.closeWait_ms ?? 10_000);
    while (this.reading.size && performance.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all([...this.reading]), new Promise((r) => (timer = setTimeout(r, Math.max(0, deadline - performance.now()))))]);
      clearTimeout(timer);
    }
    this.abandoned = true;
    this.counts.blobsMissing += this.reading.size;
    if (!this.failure) {
      try {
        this.writer.end();
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
    this.write(topic, schema, t_ms, JSON.stringify(msg));
  }

  /** Reads `key` from the blob store, then records `build(bytes)`; the reference is recorded anyway. */
  private blob(topic: string, schema: RecordingSchema, t_ms: number, key: string, build: (bytes: Uint8Array) => unknown): void {
    const read = (async () => {
      const source = this.options.blobs;
      const get = () => source?.get(key).catch((error: unknown) => fail('BLOB.READ', (error as Error).message));
      let got = await get();
      // A reference may be published before its bytes are durable (a camera that encodes after
      // the trigger): look again a few times before recording the reference alone.
      for (const wait of RETRY_MS) {
        if (got?.ok || !source || this.closed) break;
        await new Promise((r) => setTimeout(r, wait));
        got = await get();
      }
      if (this.failure || this.abandoned) return;
      if (!got?.ok) {
        this.counts.blobsMissing++;
        if (this.counts.blobsMissing === 1) this.logger.warn({ key, error: got?.error }, 'blob not readable: only its reference is recorded');
        return;
      }
      this.write(topic, schema, t_ms, JSON.stringify(build(got.value)));
      if (schema === FOXGLOVE.compressedImage) this.counts.images++;
      else this.counts.pointClouds++;
    })();
    this.reading.add(read);
    void read.finally(() => this.reading.delete(read));
  }

  /** Adds one message; a write error stops the recording (reported by `close`), never the twin. */
  private write(topic: string, schema: RecordingSchema, t_ms: number, data: string, busTopic?: string): void {
    if (this.failure) return;
    try {
      const channelId = this.channel(topic, schema, busTopic);
      const sequence = (this.sequence.get(channelId) ?? 0) + 1;
      this.sequence.set(channelId, sequence);
      const time = logTimeNs(t_ms);
      this.writer.addMessage({ channelId, sequence, logTime: time, publishTime: time, data: encoder.encode(data) });
      this.counts.messages++;
    } catch (error) {
      this.failure = error as Error;
      this.logger.error({ err: error }, 'recording stopped: write failed');
    }
  }

  private channel(topic: string, schema: RecordingSchema, busTopic: string | undefined): number {
    const known = this.channels.get(topic);
    if (known !== undefined) return known;
    let schemaId = this.schemas.get(schema.name);
    if (schemaId === undefined) {
      schemaId = this.writer.registerSchema({ name: schema.name, encoding: schema.encoding, data: encoder.encode(JSON.stringify(schema.schema)) });
      this.schemas.set(schema.name, schemaId);
    }
    const id = this.writer.registerChannel({
      topic,
      schemaId,
      messageEncoding: 'json',
      metadata: new Map(busTopic ? [[BUS_TOPIC_KEY, busTopic]] : []),
    });
    this.channels.set(topic, id);
    return id;
  }
}
