/**
 * `--record <file.mcap>` for `twin run` and `twin start`: opens an MCAP recorder before the run,
 * attaches it to the twin once it exists, closes it (summary and indexes) when the run ends.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Twin } from '../actors/twin.js';
import type { Logger } from '../core/logger.js';
import type { BlobSink } from '../hardware/sensor.port.js';
import { McapRecorder, RecordingBlobBuffer, type BlobSource, type RecordingSummary } from '../recording/index.js';

export interface RunRecording {
  /** Pass to the runner's `onTwin`. */
  attach(twin: Twin): void;
  /**
   * When the run has no blob store of its own: the sink to give the sensors (`runScenario`'s
   * `blobs`), whose bytes the recorder takes into the file.
   */
  readonly sink?: BlobSink;
  /** Ends the recording; returns a one-line summary or the error text. */
  close(): Promise<{ ok: true; summary: RecordingSummary; line: string } | { ok: false; line: string }>;
}

/** The path for one scenario of several (`run.mcap` → `run.<name>.mcap`), as `--events` does. */
export function recordPathFor(path: string, scenario: string, several: boolean): string {
  return several ? path.replace(/(\.\w+)?$/, `.${scenario}$1`) : path;
}

export async function openRunRecording(
  path: string,
  options: { readonly logger: Logger; readonly metadata?: Record<string, string>; readonly blobs?: BlobSource; readonly chunkBytes?: number },
): Promise<RunRecording | string> {
  try {
    mkdirSync(dirname(resolve(path)), { recursive: true });
  } catch {
    // open() below reports the real problem.
  }
  const buffer = options.blobs ? undefined : new RecordingBlobBuffer();
  const opened = await McapRecorder.open({
    path,
    logger: options.logger,
    ...(options.metadata ? { metadata: options.metadata } : {}),
    blobs: options.blobs ?? buffer!,
    ...(options.chunkBytes ? { chunkBytes: options.chunkBytes } : {}),
  });
  if (!opened.ok) return `${opened.error.code}: ${opened.error.message}`;
  const recorder = opened.value;
  return {
    attach: (twin) => void recorder.attach(twin),
    ...(buffer ? { sink: buffer } : {}),
    async close() {
      const r = await recorder.close();
      if (!r.ok) return { ok: false, line: `twin: recording failed: ${r.error.code}: ${r.error.message}` };
      const s = r.value;
      const extras = [s.images ? `${s.images} images` : '', s.pointClouds ? `${s.pointClouds} point clouds` : '', s.blobsMissing ? `${s.blobsMissing} blobs unreadable` : '']
        .filter(Boolean)
        .join(', ');
      return { ok: true, summary: s, line: `recorded ${s.path}: ${s.messages} messages on ${s.channels} channels${extras ? `, ${extras}` : ''}, ${(s.bytes / 1024).toFixed(0)} KiB` };
    },
  };
}

/** Chunk size from TWIN_RECORD_CHUNK_BYTES (tests and long real-time sessions use smaller chunks). */
export function chunkBytesFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const n = Number(env.TWIN_RECORD_CHUNK_BYTES);
  return Number.isInteger(n) && n >= 1024 ? n : undefined;
}
