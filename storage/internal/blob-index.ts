/**
 * The SQLite index of stored blobs (`blobs` table), shared by every blob driver, and the quota
 * accounting that turns "the store is full" into a value before a byte is written.
 *
 * @remarks
 * Drivers write the bytes first and call {@link BlobIndex.insert} after: an index row never
 * points at bytes that are not there. Quota reservations are taken before the write and released
 * after it, so concurrent puts cannot overshoot the quota together.
 */
import { createHash } from 'node:crypto';
import type { Database, Statement } from 'better-sqlite3';
import { fail, ok, type Result } from '../../core/result.js';
import { fromSqliteError, notFound } from '../errors.js';
import type { BlobErrorCode, BlobMeta } from '../blob-store.port.js';

/** Keys are path-like (`captures/drone1/0001.jpg`) but may not climb out of the blob root. */
export const BLOB_KEY = /^(?!.*\.\.)[A-Za-z0-9_][A-Za-z0-9_\-./]{0,255}$/;

export const sha256Hex = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

type Row = BlobMeta & { path: string };

export class BlobIndex {
  private readonly insertStmt: Statement<[string, string, number, string, string, string]>;
  private readonly getStmt: Statement<[string], Row>;
  private readonly deleteStmt: Statement<[string]>;
  private readonly listStmt: Statement<[string, string, number, number], BlobMeta>;
  private readonly sumStmt: Statement<[], { n: number | null }>;
  private used: number | undefined;
  private reserved = 0;
  /** Who waits for a key to be stored (or refused): see {@link whenStored}. */
  private readonly waiters = new Map<string, Set<(r: Result<BlobMeta, BlobErrorCode>) => void>>();

  constructor(db: Database, private readonly quotaBytes?: number) {
    this.insertStmt = db.prepare('INSERT INTO blobs (key, path, bytes, sha256, media_type, created_at) VALUES (?, ?, ?, ?, ?, ?)');
    this.getStmt = db.prepare('SELECT key, path, bytes, sha256, media_type, created_at FROM blobs WHERE key = ?');
    this.deleteStmt = db.prepare('DELETE FROM blobs WHERE key = ?');
    this.listStmt = db.prepare(
      'SELECT key, bytes, sha256, media_type, created_at FROM blobs WHERE substr(key, 1, length(?)) = ? ORDER BY key LIMIT ? OFFSET ?',
    );
    this.sumStmt = db.prepare('SELECT sum(bytes) AS n FROM blobs');
  }

  /** Checks the key and the quota; on success the caller must {@link release} `bytes` later. */
  reserve(key: string, bytes: number): Result<void, BlobErrorCode> {
    if (!BLOB_KEY.test(key)) return fail('BLOB.INVALID_KEY', `invalid blob key '${key}'`);
    if (this.getStmt.get(key)) return fail('STORE.CONFLICT', `blob '${key}': already exists`);
    if (this.quotaBytes !== undefined) {
      this.used ??= this.sumStmt.get()?.n ?? 0;
      const after = this.used + this.reserved + bytes;
      if (after > this.quotaBytes)
        return fail('BLOB.FULL', `blob store full: '${key}' needs ${bytes} B, ${Math.max(0, this.quotaBytes - this.used - this.reserved)} B of the ${this.quotaBytes} B quota left`, {
          context: { key, bytes, quota_bytes: this.quotaBytes },
        });
    }
    this.reserved += bytes;
    return ok(undefined);
  }

  release(bytes: number): void {
    this.reserved -= bytes;
  }

  /**
   * One put, the same for every driver: key and quota checked, `write` makes the bytes durable and
   * says where (its driver-specific path), then the row is inserted and the waiters told.
   */
  async store(
    key: string,
    data: Uint8Array,
    mediaType: string,
    createdAt: string,
    write: (sha256: string) => Promise<Result<string, BlobErrorCode>>,
  ): Promise<Result<BlobMeta, BlobErrorCode>> {
    let r: Result<BlobMeta, BlobErrorCode>;
    const reserved = this.reserve(key, data.byteLength);
    if (!reserved.ok) r = reserved;
    else {
      try {
        const sha256 = sha256Hex(data);
        const path = await write(sha256);
        r = path.ok ? this.insert({ key, bytes: data.byteLength, sha256, media_type: mediaType, created_at: createdAt }, path.value) : path;
      } finally {
        this.release(data.byteLength);
      }
    }
    this.settle(key, r);
    return r;
  }

  /** Indexes bytes already durable under `path` (driver-specific location). */
  insert(meta: BlobMeta, path: string): Result<BlobMeta, BlobErrorCode> {
    try {
      this.insertStmt.run(meta.key, path, meta.bytes, meta.sha256, meta.media_type, meta.created_at);
    } catch (error) {
      return fromSqliteError(error, `blob '${meta.key}'`);
    }
    if (this.used !== undefined) this.used += meta.bytes;
    return ok(meta);
  }

  row(key: string): Result<Row, BlobErrorCode> {
    const row = this.getStmt.get(key);
    return row ? ok(row) : notFound(`blob '${key}'`);
  }

  meta(key: string): Result<BlobMeta, BlobErrorCode> {
    const r = this.row(key);
    if (!r.ok) return r;
    const { path: _p, ...meta } = r.value;
    return ok(meta);
  }

  /** Removes the row (refused with `STORE.CONSTRAINT` while a capture row references it). */
  remove(key: string, bytes: number): Result<void, BlobErrorCode> {
    try {
      this.deleteStmt.run(key);
    } catch (error) {
      return fromSqliteError(error, `blob '${key}' (still referenced)`);
    }
    if (this.used !== undefined) this.used -= bytes;
    return ok(undefined);
  }

  list(prefix: string, limit: number, offset: number): BlobMeta[] {
    return this.listStmt.all(prefix, prefix, limit, offset);
  }

  /** Tells everyone waiting for `key` how its put ended. Drivers call it after every put. */
  settle(key: string, result: Result<BlobMeta, BlobErrorCode>): void {
    const set = this.waiters.get(key);
    if (!set) return;
    // A put refused because the key exists is no news: the stored blob answers the waiters.
    if (!result.ok && result.error.code === 'STORE.CONFLICT') {
      const meta = this.meta(key);
      if (!meta.ok) return;
      result = meta;
    }
    this.waiters.delete(key);
    for (const fn of set) fn(result);
  }

  /**
   * The blob's metadata once `key` is stored: at once when it is, else when a put of it ends
   * (its failure, e.g. `BLOB.FULL`, when refused), or `STORE.NOT_FOUND` after `waitMs` wall ms.
   */
  whenStored(key: string, waitMs: number): Promise<Result<BlobMeta, BlobErrorCode>> {
    const now = this.meta(key);
    if (now.ok || waitMs <= 0) return Promise.resolve(now);
    return new Promise((resolve) => {
      let set = this.waiters.get(key);
      if (!set) this.waiters.set(key, (set = new Set()));
      const done = (r: Result<BlobMeta, BlobErrorCode>) => {
        clearTimeout(timer);
        resolve(r);
      };
      const timer = setTimeout(() => {
        set!.delete(done);
        if (set!.size === 0) this.waiters.delete(key);
        resolve(fail('STORE.NOT_FOUND', `blob '${key}' was not stored within ${waitMs} ms`));
      }, waitMs);
      timer.unref?.();
      set.add(done);
    });
  }

  /** Bytes the store holds, and its quota when one is set. */
  usage(): { readonly used_bytes: number; readonly quota_bytes?: number } {
    const used = this.sumStmt.get()?.n ?? 0;
    this.used = used;
    return this.quotaBytes === undefined ? { used_bytes: used } : { used_bytes: used, quota_bytes: this.quotaBytes };
  }
}

/** Bytes read back must be the bytes indexed: a mismatch is corruption, not data. */
export function verify(key: string, data: Uint8Array, meta: BlobMeta): Result<Uint8Array, BlobErrorCode> {
  if (data.byteLength !== meta.bytes || sha256Hex(data) !== meta.sha256)
    return fail('BLOB.CORRUPT', `blob '${key}': stored bytes do not match the index (${data.byteLength} B vs ${meta.bytes} B, sha256 mismatch)`, {
      context: { key },
    });
  return ok(data);
}

/** Disk full or over a filesystem quota. */
export const isNoSpace = (error: unknown): boolean => {
  const code = (error as { code?: unknown })?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
};
