/**
 * The {@link BlobSink} sensors write through, over a {@link BlobStore} (filesystem or S3).
 *
 * @remarks
 * It resolves only once the bytes and their `blobs` row are durable, so a sensor emits its
 * capture reference (and the runtime inserts the capture row) strictly after the blob exists.
 * Failures keep the store's dotted code (`BLOB.FULL`, `BLOB.UNREACHABLE`…) in the message's
 * first word and in `error.code`; the sensor reports the capture lost with `SENSOR.STORAGE`.
 */
import { fail, ok } from '../core/result.js';
import type { BlobSink } from '../hardware/sensor.port.js';
import type { BlobStore } from './blob-store.port.js';

export function createBlobSink(store: BlobStore): BlobSink {
  return {
    async put(key, data, mediaType) {
      const r = await store.put(key, data, mediaType);
      if (!r.ok) return fail(r.error.code, `${r.error.code}: ${r.error.message}`, { cause: r.error.cause, context: r.error.context });
      return ok({ key: r.value.key, bytes: r.value.bytes, sha256: r.value.sha256 });
    },
  };
}
