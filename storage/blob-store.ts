/**
 * Blobs (images, point clouds) on the local filesystem under `<data dir>/blobs`, indexed in
 * SQLite. The file is written to a temporary name, fsynced and renamed before its index row is
 * inserted, so an index row never points at a missing or partial file: a crash leaves at most
 * an orphaned file, never a dangling row. (MinIO/S3 will be another adapter of the same shape.)
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database, Statement } from 'better-sqlite3';
import { fail, ok, type Result } from '../core/result.js';
import { fromSqliteError, notFound, type StoreErrorCode } from './errors.js';

export interface BlobMeta {
  readonly key: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly media_type: string;
  readonly created_at: string;
}

export type BlobErrorCode = StoreErrorCode | 'BLOB.INVALID_KEY';

/** Keys are path-like (`captures/drone1/0001.jpg`) but may not climb out of the blob root. */
const KEY = /^(?!.*\.\.)[A-Za-z0-9_][A-Za-z0-9_\-./]{0,255}$/;

export class LocalBlobStore {
  private readonly insertStmt: Statement<[string, string, number, string, string, string]>;
  private readonly getStmt: Statement<[string], BlobMeta & { path: string }>;
  private readonly deleteStmt: Statement<[string]>;

  constructor(db: Database, private readonly root: string, private readonly now: () => string) {
    this.insertStmt = db.prepare('INSERT INTO blobs (key, path, bytes, sha256, media_type, created_at) VALUES (?, ?, ?, ?, ?, ?)');
    this.getStmt = db.prepare('SELECT key, path, bytes, sha256, media_type, created_at FROM blobs WHERE key = ?');
    this.deleteStmt = db.prepare('DELETE FROM blobs WHERE key = ?');
  }

  /** Writes the bytes durably, then indexes them. Resolves once both are on disk. */
  async put(key: string, data: Uint8Array, mediaType = 'application/octet-stream'): Promise<Result<BlobMeta, BlobErrorCode>> {
    if (!KEY.test(key)) return fail('BLOB.INVALID_KEY', `invalid blob key '${key}'`);
    const rel = key;
    const path = join(this.root, rel);
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
    } catch (error) {
      await rm(tmp, { force: true });
      return fail('STORE.IO', `blob '${key}': ${(error as Error).message}`, { cause: error });
    }
    const meta: BlobMeta = {
      key,
      bytes: data.byteLength,
      sha256: createHash('sha256').update(data).digest('hex'),
      media_type: mediaType,
      created_at: this.now(),
    };
    try {
      this.insertStmt.run(key, rel, meta.bytes, meta.sha256, meta.media_type, meta.created_at);
    } catch (error) {
      return fromSqliteError(error, `blob '${key}'`);
    }
    return ok(meta);
  }

  meta(key: string): Result<BlobMeta, BlobErrorCode> {
    const row = this.getStmt.get(key);
    if (!row) return notFound(`blob '${key}'`);
    const { path: _p, ...meta } = row;
    return ok(meta);
  }

  async get(key: string): Promise<Result<Uint8Array, BlobErrorCode>> {
    const row = this.getStmt.get(key);
    if (!row) return notFound(`blob '${key}'`);
    try {
      return ok(new Uint8Array(await readFile(join(this.root, row.path))));
    } catch (error) {
      return fail('STORE.IO', `blob '${key}': ${(error as Error).message}`, { cause: error });
    }
  }

  /** Removes the index row first (the file becomes an orphan if we crash in between). */
  async delete(key: string): Promise<Result<void, BlobErrorCode>> {
    const row = this.getStmt.get(key);
    if (!row) return notFound(`blob '${key}'`);
    this.deleteStmt.run(key);
    await rm(join(this.root, row.path), { force: true });
    return ok(undefined);
  }
}
