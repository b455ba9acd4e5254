/**
 * Joins a camera's two streams into capture rows: the bytes it writes through a
 * {@link BlobSink} and the references it announces (`capture` events). A row is inserted only
 * once its image blob is durable, with the blob's size and checksum, whichever arrives first.
 *
 * @remarks
 * Cameras announce a capture when they decide it (the simulated camera: at trigger time, before
 * rendering, so a simulated run's event log does not depend on encoding time) and write the
 * bytes later. Give the camera {@link CaptureRecorder.sink} and pass every announced reference
 * to {@link CaptureRecorder.record}: it waits for that key's put (up to `waitMs` of wall time),
 * then inserts the row; a failed put (`BLOB.FULL`…) inserts nothing and resolves to that
 * failure. References whose bytes were stored by someone else (a key already in the store) are
 * recorded at once.
 *
 * @example
 * const rec = createCaptureRecorder(store, { run: runId });
 * const camera = createSimCameraPort({ ..., blobs: rec.sink });
 * camera.subscribeEvents((e) => { if (e.type === 'capture') void rec.record(e.capture); });
 */
import { fail, ok, type Result } from '../core/result.js';
import type { BlobSink, CaptureRef } from '../hardware/sensor.port.js';
import { createBlobSink } from './blob.sink.js';
import type { CaptureContext, CaptureRecord } from './captures.repository.js';
import type { Store } from './store.js';

type PutResult = Awaited<ReturnType<BlobSink['put']>>;

export interface CaptureRecorderOptions extends CaptureContext {
  /** How long `record` waits for a key's bytes, wall ms (default 60 000). */
  readonly waitMs?: number;
}

export interface CaptureRecorder {
  /** The sink to hand to the camera: the store's, noting each put for {@link record}. */
  readonly sink: BlobSink;
  /** Inserts the capture's row once its blob is stored; never before. */
  record(ref: CaptureRef): Promise<Result<CaptureRecord, string>>;
  /** Captures whose bytes are still awaited. */
  readonly pending: number;
  /** Stops waiting: pending records resolve with `STORE.CLOSED`. */
  close(): void;
}

export function createCaptureRecorder(store: Pick<Store, 'blobs' | 'captures'>, options: CaptureRecorderOptions = {}): CaptureRecorder {
  const inner = createBlobSink(store.blobs);
  /** Settled puts not yet claimed by a record, and records waiting for their put. */
  const done = new Map<string, PutResult>();
  const waiting = new Map<string, (r: PutResult) => void>();
  const context: CaptureContext = { ...(options.run !== undefined ? { run: options.run } : {}), ...(options.mission !== undefined ? { mission: options.mission } : {}) };
  let closed = false;

  const insert = (ref: CaptureRef, put: PutResult): Result<CaptureRecord, string> => {
    if (!put.ok) return put;
    const r = store.captures.insert({ ...ref, bytes: put.value.bytes, sha256: put.value.sha256 }, context);
    return r.ok ? ok(r.value) : r;
  };

  return {
    sink: {
      async put(key, data, mediaType) {
        const r = await inner.put(key, data, mediaType);
        const w = waiting.get(key);
        if (w) {
          waiting.delete(key);
          w(r);
        } else if (!closed && /\.(jpe?g|png|tiff?|iiq|arw|dng)$/i.test(key)) done.set(key, r);
        return r;
      },
    },
    async record(ref) {
      const key = ref.blob_key;
      if (key === undefined) return fail('STORE.CONSTRAINT', `capture ${ref.vehicle}/${ref.sensor}#${ref.index}: no blob key`);
      const settled = done.get(key);
      if (settled) {
        done.delete(key);
        return insert(ref, settled);
      }
      const meta = store.blobs.meta(key);
      if (meta.ok) return insert(ref, ok({ key, bytes: meta.value.bytes, sha256: meta.value.sha256 }));
      if (closed) return fail('STORE.CLOSED', `capture recorder closed before '${key}' was stored`);
      const put = await new Promise<PutResult>((resolve) => {
        const timer = setTimeout(() => {
          waiting.delete(key);
          resolve(fail('STORE.NOT_FOUND', `blob '${key}' was not stored within ${options.waitMs ?? 60_000} ms`));
        }, options.waitMs ?? 60_000);
        timer.unref();
        waiting.set(key, (r) => {
          clearTimeout(timer);
          resolve(r);
        });
      });
      return insert(ref, put);
    },
    get pending() {
      return waiting.size;
    },
    close() {
      closed = true;
      done.clear();
      for (const [key, w] of [...waiting]) {
        waiting.delete(key);
        w(fail('STORE.CLOSED', `capture recorder closed before '${key}' was stored`));
      }
    },
  };
}
