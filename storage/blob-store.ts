/**
 * The filesystem blob driver (the default): files under `<data dir>/blobs`, indexed in SQLite.
 * The other driver is `S3BlobStore` (`s3-blob-store.ts`); both implement `BlobStore`
 * (`blob-store.port.ts`).
 *
 * @remarks
 * Every driver writes the bytes durably before their index row: a crash leaves at most an
 * orphaned file or object, never a row pointing at missing or partial bytes. Reads check the
 * bytes against the indexed size and SHA-256. A store may carry a quota: a put that would pass
 * it, or a disk that reports ENOSPC, fails with `BLOB.FULL` and leaves everything else as it was.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { fail, ok, type Result } from '../core/result.js';
import type { BlobErrorCode, BlobMeta, BlobStore } from './blob-store.port.js';
import { BlobIndex, isNoSpace, verify } from './internal/blob-index.js';

export type { BlobErrorCode, BlobMeta, BlobStore } from './blob-store.port.js';

export interface LocalBlobStoreOptions {
  /** Most bytes the store may hold; a put beyond it fails with `BLOB.FULL`. */
  readonly quotaBytes?: number;
}

export class LocalBlobStore implements BlobStore {
  readonly driver = 'fs';
  private readonly index: BlobIndex;

  constructor(db: Database, private readonly root: string, private readonly now: () => string, options: LocalBlobStoreOptions = {}) {
    this.index = new BlobIndex(db, options.quotaBytes);
  }

  async put(key: string, data: Uint8Array, mediaType = 'application/octet-stream'): Promise<Result<BlobMeta, BlobErrorCode>> {
    return this.index.store(key, data, mediaType, this.now(), async () => {
      const written = await writeDurably(join(this.root, key), data);
      return written.ok ? ok(key) : fail(written.error.code, `blob '${key}': ${written.error.message}`, { cause: written.error.cause });
    });
  }

  whenStored(key: string, waitMs = 10_000): Promise<Result<BlobMeta, BlobErrorCode>> {
    return this.index.whenStored(key, waitMs);
  }

  meta(key: string): Result<BlobMeta, BlobErrorCode> {
    return this.index.meta(key);
  }

  async get(key: string): Promise<Result<Uint8Array, BlobErrorCode>> {
    const row = this.index.row(key);
    if (!row.ok) return row;
    try {
      return verify(key, new Uint8Array(await readFile(join(this.root, row.value.path))), row.value);
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ENOENT') return fail('STORE.NOT_FOUND', `blob '${key}': indexed but its file is missing`, { cause: error });
      return fail('STORE.IO', `blob '${key}': ${(error as Error).message}`, { cause: error });
    }
  }

  async delete(key: string): Promise<Result<void, BlobErrorCode>> {
    const row = this.index.row(key);
    if (!row.ok) return row;
    const removed = this.index.remove(key, row.value.bytes);
    if (!removed.ok) return removed;
    await rm(join(this.root, row.value.path), { force: true });
    return ok(undefined);
  }

  list(prefix = '', options: { readonly limit?: number; readonly offset?: number } = {}): BlobMeta[] {
    return this.index.list(prefix, options.limit ?? 1000, options.offset ?? 0);
  }

  usage(): { readonly used_bytes: number; readonly quota_bytes?: number } {
    return this.index.usage();
  }
}

/** Temp file, fsync, rename, fsync of the directory: the file exists whole or not at all. */
async function writeDurably(path: string, data: Uint8Array): Promise<Result<void, 'BLOB.FULL' | 'STORE.IO'>> {
  const dir = join(path, '..');
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await mkdir(dir, { recursive: true });
    const fh = await open(tmp, 'wx', 0o640);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    // The rename is durable only once the directory entry is.
    const dh = await open(dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
    return ok(undefined);
  } catch (error) {
    await rm(tmp, { force: true });
    if (isNoSpace(error)) return fail('BLOB.FULL', `no space left on the blob disk (${(error as Error).message})`, { cause: error });
    return fail('STORE.IO', (error as Error).message, { cause: error });
  }
}
