/**
 * A reader of blobs whose references may arrive before their bytes: the simulated camera
 * announces a capture at trigger time and stores its image a few milliseconds later (wall
 * time). Give this to consumers that read an image when its reference arrives (the bridge's
 * image topic), so they wait for the bytes instead of finding nothing.
 */
import type { Result } from '../core/result.js';
import type { BlobErrorCode, BlobStore } from './blob-store.port.js';

export interface AnnouncedBlobReader {
  /** The bytes of `key`, waiting up to the reader's `waitMs` for them to be stored. */
  get(key: string): Promise<Result<Uint8Array, BlobErrorCode>>;
}

/** @param waitMs how long a read waits for bytes not yet stored, wall ms (default 5 000). */
export function announcedBlobReader(blobs: Pick<BlobStore, 'get' | 'whenStored'>, waitMs = 5000): AnnouncedBlobReader {
  return {
    async get(key) {
      const stored = await blobs.whenStored(key, waitMs);
      if (!stored.ok) return stored;
      return blobs.get(key);
    },
  };
}
