/**
 * The blob store port: images and point clouds by path-like key, indexed in SQLite (`blobs`).
 * Drivers: `LocalBlobStore` (`blob-store.ts`, files, the default) and `S3BlobStore`
 * (`s3-blob-store.ts`, any S3-protocol server through `minio`).
 */
import type { Result } from '../core/result.js';
import type { StoreErrorCode } from './errors.js';

export interface BlobMeta {
  readonly key: string;
  readonly bytes: number;
  /** Lowercase hex SHA-256 of the bytes. */
  readonly sha256: string;
  readonly media_type: string;
  /** ISO 8601 wall time of the put. */
  readonly created_at: string;
}

export type BlobErrorCode =
  | StoreErrorCode
  | 'BLOB.INVALID_KEY'
  /** The quota or the disk is full; nothing was written. */
  | 'BLOB.FULL'
  /** The S3 server cannot be reached (refused, timed out, DNS). */
  | 'BLOB.UNREACHABLE'
  /** The S3 server refused the request (credentials, bucket policy). */
  | 'BLOB.DENIED'
  /** Bytes read back do not match the indexed size or checksum. */
  | 'BLOB.CORRUPT';

/** What every blob driver offers. */
export interface BlobStore {
  /** `fs` or `s3`. */
  readonly driver: string;
  /** Writes the bytes durably, then indexes them; resolves once both are done. */
  put(key: string, data: Uint8Array, mediaType?: string): Promise<Result<BlobMeta, BlobErrorCode>>;
  /** The bytes, checked against the index (`STORE.NOT_FOUND`, `BLOB.CORRUPT`). */
  get(key: string): Promise<Result<Uint8Array, BlobErrorCode>>;
  meta(key: string): Result<BlobMeta, BlobErrorCode>;
  /** Removes the index row first (the bytes become an orphan if we crash in between). */
  delete(key: string): Promise<Result<void, BlobErrorCode>>;
  /** Indexed blobs whose key starts with `prefix`, in key order. */
  list(prefix?: string, options?: { readonly limit?: number; readonly offset?: number }): BlobMeta[];
  usage(): { readonly used_bytes: number; readonly quota_bytes?: number };
  /**
   * Resolves once `key` is stored (its metadata), or with the failure of its put, or
   * `STORE.NOT_FOUND` after `waitMs` wall ms. For readers of references announced before their
   * bytes land (the simulated camera announces a capture at trigger time).
   */
  whenStored(key: string, waitMs?: number): Promise<Result<BlobMeta, BlobErrorCode>>;
}

