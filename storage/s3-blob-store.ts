/**
 * The S3 blob driver: bytes in a bucket of any S3-protocol server (MinIO, AWS S3, Ceph RGW…)
 * through the `minio` client, indexed in SQLite like the filesystem driver.
 *
 * @remarks
 * The `minio` module loads lazily on the first request, so a store on the filesystem driver
 * never loads it. An object is uploaded (the server acknowledges it whole, with our SHA-256 in
 * its metadata) before its index row: a crash in between leaves an orphaned object, never a row
 * without bytes. Every request is bounded by `timeoutMs`; an unreachable server fails with
 * `BLOB.UNREACHABLE`, a refusal (credentials, policy) with `BLOB.DENIED`.
 */
import type { Readable } from 'node:stream';
import type { Database } from 'better-sqlite3';
import type { Client } from 'minio';
import { fail, ok, type Result } from '../core/result.js';
import type { BlobErrorCode, BlobMeta, BlobStore } from './blob-store.port.js';
import { BlobIndex, verify } from './internal/blob-index.js';

export interface S3BlobStoreOptions {
  /** `http://127.0.0.1:9000` or `https://s3.example.com`. */
  readonly endpoint: string;
  readonly bucket: string;
  readonly accessKey: string;
  readonly secretKey: string;
  /** Default `us-east-1`. */
  readonly region?: string;
  /** Prepended to every object name, e.g. `twin/`. */
  readonly prefix?: string;
  /** Created at first use when missing (default true). */
  readonly createBucket?: boolean;
  /** Bound on one request, ms (default 10 000). */
  readonly timeoutMs?: number;
  /** Most bytes the store may hold; a put beyond it fails with `BLOB.FULL`. */
  readonly quotaBytes?: number;
}

const NOT_FOUND = new Set(['NoSuchKey', 'NotFound', 'NoSuchBucket']);
const DENIED = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'Forbidden']);
const FULL = new Set(['QuotaExceeded', 'XMinioStorageFull', 'EntityTooLarge', 'XMinioAdminBucketQuotaExceeded']);
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE']);

export class S3BlobStore implements BlobStore {
  readonly driver = 's3';
  private readonly index: BlobIndex;
  private client: Promise<Client> | undefined;
  private bucketReady: Promise<void> | undefined;
  private readonly url: URL;

  constructor(db: Database, private readonly options: S3BlobStoreOptions, private readonly now: () => string) {
    this.index = new BlobIndex(db, options.quotaBytes);
    this.url = new URL(options.endpoint);
  }

  async put(key: string, data: Uint8Array, mediaType = 'application/octet-stream'): Promise<Result<BlobMeta, BlobErrorCode>> {
    const object = this.object(key);
    return this.index.store(key, data, mediaType, this.now(), async (sha256) => {
      const put = await this.request(`put '${key}'`, async (c) => {
        await this.ensureBucket(c);
        return c.putObject(this.options.bucket, object, Buffer.from(data.buffer, data.byteOffset, data.byteLength), data.byteLength, {
          'Content-Type': mediaType,
          'X-Amz-Meta-Sha256': sha256,
        });
      });
      return put.ok ? ok(object) : put;
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
    const got = await this.request(`get '${key}'`, async (c) => readAll(await c.getObject(this.options.bucket, row.value.path)));
    if (!got.ok) return got;
    return verify(key, got.value, row.value);
  }

  async delete(key: string): Promise<Result<void, BlobErrorCode>> {
    const row = this.index.row(key);
    if (!row.ok) return row;
    const removed = this.index.remove(key, row.value.bytes);
    if (!removed.ok) return removed;
    // The row is gone: a failure here leaves an orphaned object, which is harmless.
    const r = await this.request(`delete '${key}'`, (c) => c.removeObject(this.options.bucket, row.value.path));
    return r.ok || r.error.code === 'STORE.NOT_FOUND' ? ok(undefined) : r;
  }

  list(prefix = '', options: { readonly limit?: number; readonly offset?: number } = {}): BlobMeta[] {
    return this.index.list(prefix, options.limit ?? 1000, options.offset ?? 0);
  }

  usage(): { readonly used_bytes: number; readonly quota_bytes?: number } {
    return this.index.usage();
  }

  private object(key: string): string {
    return `${this.options.prefix ?? ''}${key}`;
  }

  private getClient(): Promise<Client> {
    this.client ??= import('minio').then(({ Client }) => {
      const useSSL = this.url.protocol === 'https:';
      return new Client({
        endPoint: this.url.hostname.replace(/^\[|\]$/g, ''),
        port: this.url.port ? Number(this.url.port) : useSSL ? 443 : 80,
        useSSL,
        accessKey: this.options.accessKey,
        secretKey: this.options.secretKey,
        region: this.options.region ?? 'us-east-1',
        pathStyle: true,
        // Our own bound and error mapping decide; a silent retry would only double the wait.
        retryOptions: { disableRetry: true },
      });
    });
    return this.client;
  }

  private ensureBucket(c: Client): Promise<void> {
    this.bucketReady ??= (async () => {
      if (this.options.createBucket === false) return;
      if (!(await c.bucketExists(this.options.bucket))) await c.makeBucket(this.options.bucket, this.options.region ?? 'us-east-1');
    })().catch((error: unknown) => {
      this.bucketReady = undefined;
      throw error;
    });
    return this.bucketReady;
  }

  /** Runs one client call under the timeout and maps its failure to a blob error code. */
  private async request<T>(what: string, fn: (c: Client) => Promise<T>): Promise<Result<T, BlobErrorCode>> {
    const ms = this.options.timeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${ms} ms`), { code: 'ETIMEDOUT' })), ms);
    });
    try {
      return ok(await Promise.race([this.getClient().then(fn), timeout]));
    } catch (error) {
      return mapS3Error(error, `s3 ${this.url.host}/${this.options.bucket}: ${what}`);
    } finally {
      clearTimeout(timer);
    }
  }
}

function mapS3Error(error: unknown, what: string): Result<never, BlobErrorCode> {
  const e = error as { code?: unknown; message?: unknown; cause?: { code?: unknown } };
  const code = typeof e?.code === 'string' ? e.code : typeof e?.cause?.code === 'string' ? e.cause.code : '';
  const msg = `${what}: ${code ? `${code} ` : ''}${typeof e?.message === 'string' ? e.message : String(error)}`;
  const extra = { cause: error, context: { s3_code: code } };
  if (NOT_FOUND.has(code)) return fail('STORE.NOT_FOUND', msg, extra);
  if (DENIED.has(code)) return fail('BLOB.DENIED', msg, extra);
  if (FULL.has(code)) return fail('BLOB.FULL', msg, extra);
  if (UNREACHABLE.has(code)) return fail('BLOB.UNREACHABLE', `${what}: server unreachable (${code})`, extra);
  return fail('STORE.IO', msg, extra);
}

async function readAll(stream: Readable): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}
