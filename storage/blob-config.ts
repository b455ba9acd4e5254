/**
 * Which blob driver a store uses, from its options or the environment (validated with zod).
 *
 * @remarks
 * `TWIN_BLOB_DRIVER=fs` (default) keeps blobs under `<data dir>/blobs`; `TWIN_BLOB_DRIVER=s3`
 * with `TWIN_S3_ENDPOINT`, `TWIN_S3_BUCKET`, `TWIN_S3_ACCESS_KEY`, `TWIN_S3_SECRET_KEY`
 * (optional `TWIN_S3_REGION`, `TWIN_S3_PREFIX`) puts them in a bucket. `TWIN_BLOB_QUOTA_BYTES`
 * bounds either.
 */
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { z } from 'zod';
import { LocalBlobStore } from './blob-store.js';
import type { BlobStore } from './blob-store.port.js';
import { S3BlobStore } from './s3-blob-store.js';

const quota = z.coerce.number().int().positive().optional();

export const BlobConfigSchema = z.discriminatedUnion('driver', [
  z.strictObject({ driver: z.literal('fs'), quota_bytes: quota }),
  z.strictObject({
    driver: z.literal('s3'),
    endpoint: z.string().url().refine((u) => /^https?:/.test(u), 'http(s) URL'),
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'S3 bucket name'),
    access_key: z.string().min(1),
    secret_key: z.string().min(1),
    region: z.string().min(1).default('us-east-1'),
    prefix: z.string().max(200).default(''),
    timeout_ms: z.coerce.number().int().positive().max(600_000).default(10_000),
    quota_bytes: quota,
  }),
]);
export type BlobConfig = z.input<typeof BlobConfigSchema>;

/** The blob configuration the environment asks for; throws with every problem named. */
export function blobConfigFromEnv(env: NodeJS.ProcessEnv = process.env): z.output<typeof BlobConfigSchema> {
  const driver = env.TWIN_BLOB_DRIVER || 'fs';
  const raw =
    driver === 's3'
      ? {
          driver,
          endpoint: env.TWIN_S3_ENDPOINT,
          bucket: env.TWIN_S3_BUCKET,
          access_key: env.TWIN_S3_ACCESS_KEY,
          secret_key: env.TWIN_S3_SECRET_KEY,
          region: env.TWIN_S3_REGION || undefined,
          prefix: env.TWIN_S3_PREFIX || undefined,
          quota_bytes: env.TWIN_BLOB_QUOTA_BYTES || undefined,
        }
      : { driver, quota_bytes: env.TWIN_BLOB_QUOTA_BYTES || undefined };
  return parseBlobConfig(raw);
}

export function parseBlobConfig(raw: unknown): z.output<typeof BlobConfigSchema> {
  const r = BlobConfigSchema.safeParse(raw);
  if (!r.success) throw new Error(`blob store configuration: ${r.error.issues.map((i) => `${i.path.join('.') || 'driver'}: ${i.message}`).join('; ')}`);
  return r.data;
}

/** Builds the configured driver over the store's database. */
export function createBlobStore(db: Database, dir: string, config: BlobConfig, now: () => string): BlobStore {
  const c = parseBlobConfig(config);
  if (c.driver === 'fs') return new LocalBlobStore(db, join(dir, 'blobs'), now, { quotaBytes: c.quota_bytes });
  return new S3BlobStore(
    db,
    {
      endpoint: c.endpoint,
      bucket: c.bucket,
      accessKey: c.access_key,
      secretKey: c.secret_key,
      region: c.region,
      prefix: c.prefix,
      timeoutMs: c.timeout_ms,
      quotaBytes: c.quota_bytes,
    },
    now,
  );
}
