/**
 * The S3 blob driver against a real S3-protocol server on loopback (s3rver, started here), and
 * the same blob-store behaviour checked on the filesystem driver: round trip with checksums,
 * missing keys, quota, captures referencing S3 blobs, and clear errors when the server is
 * refused, silent, or refuses our credentials.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createBlobSink, openStore, type BlobConfig, type Store } from '../../storage/index.js';

let s3: S3rver;
let s3Dir: string;
let endpoint: string;
beforeAll(async () => {
  s3Dir = mkdtempSync(join(tmpdir(), 'twin-s3rver-'));
  s3 = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: s3Dir });
  const { port } = await s3.run();
  endpoint = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  await s3?.close();
  rmSync(s3Dir, { recursive: true, force: true });
});

const dirs: string[] = [];
const stores: Store[] = [];
let bucketSeq = 0;
function fresh(blobs: BlobConfig): Store {
  const dir = mkdtempSync(join(tmpdir(), 'twin-s3-'));
  dirs.push(dir);
  const s = openStore({ dir, blobs });
  stores.push(s);
  return s;
}
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
// s3rver's fixed credentials; a fresh bucket per store.
const s3Config = (over: Partial<Extract<BlobConfig, { driver: 's3' }>> = {}): BlobConfig => ({
  driver: 's3',
  endpoint,
  bucket: `twin-blobs-${process.pid}-${++bucketSeq}`,
  access_key: 'S3RVER',
  secret_key: 'S3RVER',
  ...over,
});
const sha = (d: Uint8Array) => createHash('sha256').update(d).digest('hex');

describe.each([
  ['fs', (): BlobConfig => ({ driver: 'fs' })],
  ['s3', () => s3Config()],
])('blob store contract (%s driver)', (driver, config) => {
  it('round-trips bytes with size and SHA-256; lists by prefix; deletes', async () => {
    const s = fresh(config());
    expect(s.blobs.driver).toBe(driver);
    const data = new Uint8Array(70_000).map((_, i) => (i * 31) & 0xff);
    const put = await s.blobs.put('captures/r1/d1/cam/000001.jpg', data, 'image/jpeg');
    expect(put.ok && put.value).toMatchObject({ key: 'captures/r1/d1/cam/000001.jpg', bytes: 70_000, sha256: sha(data), media_type: 'image/jpeg' });
    await s.blobs.put('captures/r1/d1/cam/000002.jpg', new Uint8Array([1]), 'image/jpeg');
    await s.blobs.put('scans/r1/d1/lidar/0.bin', new Uint8Array([2]));
    const got = await s.blobs.get('captures/r1/d1/cam/000001.jpg');
    expect(got.ok && sha(got.value)).toBe(sha(data));
    expect(s.blobs.list('captures/').map((b) => b.key)).toEqual(['captures/r1/d1/cam/000001.jpg', 'captures/r1/d1/cam/000002.jpg']);
    expect(s.blobs.list('', { limit: 1, offset: 2 }).map((b) => b.key)).toEqual(['scans/r1/d1/lidar/0.bin']);
    expect((await s.blobs.delete('captures/r1/d1/cam/000002.jpg')).ok).toBe(true);
    expect(s.blobs.list('captures/')).toHaveLength(1);
  });

  it('missing keys, bad keys and duplicates are coded failures', async () => {
    const s = fresh(config());
    const missing = await s.blobs.get('captures/none.jpg');
    expect(!missing.ok && missing.error.code).toBe('STORE.NOT_FOUND');
    expect(!s.blobs.meta('captures/none.jpg').ok).toBe(true);
    const del = await s.blobs.delete('captures/none.jpg');
    expect(!del.ok && del.error.code).toBe('STORE.NOT_FOUND');
    const bad = await s.blobs.put('../x', new Uint8Array([1]));
    expect(!bad.ok && bad.error.code).toBe('BLOB.INVALID_KEY');
    await s.blobs.put('a/b', new Uint8Array([1]));
    const dup = await s.blobs.put('a/b', new Uint8Array([2]));
    expect(!dup.ok && dup.error.code).toBe('STORE.CONFLICT');
    const kept = await s.blobs.get('a/b');
    expect(kept.ok && [...kept.value]).toEqual([1]);
  });

  it('a sensor sink over it refuses past the quota with BLOB.FULL; captures index its blobs', async () => {
    const s = fresh({ ...config(), quota_bytes: 1500 });
    const sink = createBlobSink(s.blobs);
    const put = await sink.put('captures/q/0.jpg', new Uint8Array(1000), 'image/jpeg');
    if (!put.ok) throw new Error(put.error.message);
    const full = await sink.put('captures/q/1.jpg', new Uint8Array(1000), 'image/jpeg');
    expect(!full.ok && full.error.code).toBe('BLOB.FULL');
    const pose = { position: { lat_deg: 47, lon_deg: 8, alt_m: 500 }, attitude_deg: { roll: 0, pitch: 0, yaw: 0 } };
    const row = s.captures.insert({ vehicle: 'd1', sensor: 'cam', index: 0, t_ms: 0, pose, blob_key: put.value.key, bytes: put.value.bytes, sha256: put.value.sha256 });
    expect(row.ok).toBe(true);
    expect(s.captures.list({ vehicle: 'd1' }).total).toBe(1);
  });
});

describe('S3 driver failures', () => {
  it('an object changed in the bucket behind the index reads as BLOB.CORRUPT; one deleted as STORE.NOT_FOUND', async () => {
    const cfg = s3Config();
    const s = fresh(cfg);
    await s.blobs.put('k/one', new Uint8Array([1, 2, 3]));
    await s.blobs.put('k/two', new Uint8Array([1, 2, 3]));
    const { Client } = await import('minio');
    const port = Number(new URL(endpoint).port);
    const c = new Client({ endPoint: '127.0.0.1', port, useSSL: false, accessKey: 'S3RVER', secretKey: 'S3RVER', pathStyle: true });
    const bucket = (cfg as { bucket: string }).bucket;
    await c.putObject(bucket, 'k/one', Buffer.from([9, 9, 9]), 3);
    const corrupt = await s.blobs.get('k/one');
    expect(!corrupt.ok && corrupt.error.code).toBe('BLOB.CORRUPT');
    await c.removeObject(bucket, 'k/two');
    const gone = await s.blobs.get('k/two');
    expect(!gone.ok && gone.error.code).toBe('STORE.NOT_FOUND');
  });

  it('wrong credentials: BLOB.DENIED, nothing indexed', async () => {
    const s = fresh(s3Config({ access_key: 'nobody', secret_key: 'wrong' }));
    const r = await s.blobs.put('k/x', new Uint8Array([1]));
    expect(!r.ok && r.error.code).toBe('BLOB.DENIED');
    expect(!r.ok && r.error.message).toMatch(/AccessDenied|InvalidAccessKeyId/);
    expect(s.blobs.list()).toEqual([]);
  });

  it('a refused port: BLOB.UNREACHABLE at once, nothing indexed, the store still usable', async () => {
    // A port that was just free: bind, read it, close.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const s = fresh(s3Config({ endpoint: `http://127.0.0.1:${port}` }));
    const t0 = performance.now();
    const r = await s.blobs.put('k/x', new Uint8Array([1]));
    expect(!r.ok && r.error.code).toBe('BLOB.UNREACHABLE');
    expect(!r.ok && r.error.message).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}.*unreachable \\(ECONNREFUSED\\)`));
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(s.blobs.list()).toEqual([]);
    expect(s.missions.list().length).toBe(0);
  });

  it('a server that accepts and never answers: BLOB.UNREACHABLE after the timeout', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((sock) => sockets.push(sock));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      const s = fresh(s3Config({ endpoint: `http://127.0.0.1:${port}`, timeout_ms: 300 }));
      const t0 = performance.now();
      const r = await s.blobs.put('k/x', new Uint8Array([1]));
      expect(!r.ok && r.error.code).toBe('BLOB.UNREACHABLE');
      expect(!r.ok && r.error.message).toMatch(/no answer within 300 ms|ETIMEDOUT/);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
      expect(s.blobs.list()).toEqual([]);
    } finally {
      for (const sock of sockets) sock.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  it('the environment selects the driver; a bad S3 configuration names its fields', async () => {
    const { blobConfigFromEnv } = await import('../../storage/index.js');
    expect(blobConfigFromEnv({})).toEqual({ driver: 'fs' });
    expect(blobConfigFromEnv({ TWIN_BLOB_DRIVER: 's3', TWIN_S3_ENDPOINT: endpoint, TWIN_S3_BUCKET: 'twin', TWIN_S3_ACCESS_KEY: 'a', TWIN_S3_SECRET_KEY: 'b', TWIN_BLOB_QUOTA_BYTES: '1000' })).toMatchObject({
      driver: 's3',
      bucket: 'twin',
      region: 'us-east-1',
      quota_bytes: 1000,
    });
    expect(() => blobConfigFromEnv({ TWIN_BLOB_DRIVER: 's3', TWIN_S3_ENDPOINT: 'ftp://x' })).toThrow(/endpoint.*bucket.*access_key.*secret_key/s);
    expect(() => blobConfigFromEnv({ TWIN_BLOB_DRIVER: 'tape' })).toThrow(/blob store configuration/);
  });
});
