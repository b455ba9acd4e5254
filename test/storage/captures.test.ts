/**
 * The capture index over real SQLite files: rows after their blobs (a crash in between, in a
 * real killed process, leaves no dangling row), paging and filters, and a full blob store.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CaptureRef } from '../../hardware/sensor.port.js';
import { createBlobSink, openStore, type Store } from '../../storage/index.js';

const dirs: string[] = [];
const stores: Store[] = [];
function fresh(options: Parameters<typeof openStore>[0] = {}): Store {
  const dir = mkdtempSync(join(tmpdir(), 'twin-captures-'));
  dirs.push(dir);
  const s = openStore({ dir, blobs: { driver: 'fs' }, ...options });
  stores.push(s);
  return s;
}
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const pose = { position: { lat_deg: 47.4, lon_deg: 8.5, alt_m: 520 }, attitude_deg: { roll: 1, pitch: -2, yaw: 90 } };
function ref(vehicle: string, sensor: string, index: number, blob: { key: string; bytes: number; sha256: string }): CaptureRef {
  return { vehicle, sensor, index, t_ms: 1000 * index, pose, blob_key: blob.key, bytes: blob.bytes, sha256: blob.sha256, media_type: 'image/jpeg', footprint: [pose.position, pose.position, pose.position] };
}

describe('captures repository', () => {
  it('indexes captures after their blobs; lists by vehicle, sensor, mission and run with paging; gets by id', async () => {
    const s = fresh();
    const sink = createBlobSink(s.blobs);
    for (const [vehicle, sensor, mission, run, n] of [['d1', 'cam', 'm1', 'r1', 5], ['d2', 'cam', 'm2', 'r1', 3], ['d1', 'nadir', 'm1', 'r2', 2]] as const) {
      for (let i = 0; i < n; i++) {
        const put = await sink.put(`captures/${run}/${vehicle}/${sensor}/${i}.jpg`, new Uint8Array([i, 1, 2, 3]), 'image/jpeg');
        if (!put.ok) throw new Error(put.error.message);
        const row = s.captures.insert(ref(vehicle, sensor, i, put.value), { run, mission });
        expect(row.ok).toBe(true);
      }
    }
    expect(s.captures.list().total).toBe(10);
    expect(s.captures.list({ vehicle: 'd1' }).total).toBe(7);
    expect(s.captures.list({ vehicle: 'd1', sensor: 'cam' }).total).toBe(5);
    expect(s.captures.list({ mission: 'm2' }).items.map((c) => c.vehicle)).toEqual(['d2', 'd2', 'd2']);
    expect(s.captures.list({ run: 'r2' }).total).toBe(2);
    const page = s.captures.list({ vehicle: 'd1', limit: 2, offset: 2 });
    expect(page.total).toBe(7);
    expect(page.items.map((c) => c.index)).toEqual([2, 3]);
    const one = s.captures.get(page.items[0]!.id);
    expect(one.ok && one.value).toMatchObject({ vehicle: 'd1', sensor: 'cam', index: 2, t_ms: 2000, run: 'r1', mission: 'm1', pose, media_type: 'image/jpeg', bytes: 4 });
    expect(one.ok && one.value.footprint).toHaveLength(3);
    const missing = s.captures.get(99_999);
    expect(!missing.ok && missing.error.code).toBe('STORE.NOT_FOUND');
    // The same camera index twice in one run is a conflict.
    const blob0 = s.blobs.meta('captures/r1/d1/cam/0.jpg');
    if (!blob0.ok) throw new Error(blob0.error.message);
    const again = s.captures.insert(ref('d1', 'cam', 0, blob0.value), { run: 'r1' });
    expect(!again.ok && again.error.code).toBe('STORE.CONFLICT');
    // Live captures (no run) are unique per camera index too.
    expect(s.captures.insert(ref('d9', 'cam', 0, blob0.value)).ok).toBe(true);
    expect(s.captures.insert(ref('d9', 'cam', 0, blob0.value)).ok).toBe(false);
  });

  it('refuses a capture whose blob is not stored, or whose checksum differs; SQLite refuses it too', async () => {
    const s = fresh();
    const noBlob = s.captures.insert(ref('d1', 'cam', 0, { key: 'captures/x/0.jpg', bytes: 3, sha256: 'ab' }));
    expect(!noBlob.ok && noBlob.error.code).toBe('STORE.CONSTRAINT');
    const put = await s.blobs.put('captures/x/1.jpg', new Uint8Array([1, 2, 3]), 'image/jpeg');
    expect(put.ok).toBe(true);
    const wrongSum = s.captures.insert(ref('d1', 'cam', 1, { key: 'captures/x/1.jpg', bytes: 3, sha256: '00' }));
    expect(!wrongSum.ok && wrongSum.error.code).toBe('STORE.CONSTRAINT');
    // Past the repository's check, the foreign key holds the line.
    expect(() =>
      s.db
        .prepare("INSERT INTO captures (vehicle, sensor, idx, t_ms, lat_deg, lon_deg, alt_m, roll_deg, pitch_deg, yaw_deg, blob_key, created_at) VALUES ('d', 'c', 0, 0, 0, 0, 0, 0, 0, 0, 'nope', 'now')")
        .run(),
    ).toThrow(/FOREIGN KEY/);
    // A blob a capture references cannot be deleted from under it.
    const ok = s.captures.insert(ref('d1', 'cam', 1, put.ok ? put.value : { key: '', bytes: 0, sha256: '' }));
    expect(ok.ok).toBe(true);
    const del = await s.blobs.delete('captures/x/1.jpg');
    expect(!del.ok && del.error.code).toBe('STORE.CONSTRAINT');
    expect((await s.blobs.get('captures/x/1.jpg')).ok).toBe(true);
  });

  it('a process killed between the blob and its capture row leaves an orphaned blob, never a dangling row', async () => {
    if (!existsSync('dist/storage/index.js')) throw new Error('run `npm run build` first (npm test does)');
    const dir = mkdtempSync(join(tmpdir(), 'twin-captures-crash-'));
    dirs.push(dir);
    // The child stores 3 captures whole, then writes a 4th blob and is SIGKILLed before its row.
    const code = `
      const { openStore, createBlobSink } = await import('./dist/storage/index.js');
      const s = openStore({ dir: ${JSON.stringify(dir)}, blobs: { driver: 'fs' } });
      const sink = createBlobSink(s.blobs);
      const pose = { position: { lat_deg: 47, lon_deg: 8, alt_m: 500 }, attitude_deg: { roll: 0, pitch: 0, yaw: 0 } };
      for (let i = 0; i < 4; i++) {
        const put = await sink.put('captures/r/d1/cam/' + i + '.jpg', new Uint8Array(1000).fill(i), 'image/jpeg');
        if (!put.ok) process.exit(3);
        if (i === 3) process.kill(process.pid, 'SIGKILL');
        const row = s.captures.insert({ vehicle: 'd1', sensor: 'cam', index: i, t_ms: i, pose, blob_key: put.value.key, bytes: put.value.bytes, sha256: put.value.sha256, media_type: 'image/jpeg' }, { run: 'r' });
        if (!row.ok) process.exit(4);
      }
      process.exit(5);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
    expect(signal, stderr).toBe('SIGKILL');
    const s = openStore({ dir, blobs: { driver: 'fs' } });
    stores.push(s);
    const rows = s.captures.list({ run: 'r' }).items;
    expect(rows.map((r) => r.index)).toEqual([0, 1, 2]);
    // Every row's bytes are there and match; the 4th blob is an orphan with no row.
    for (const r of rows) {
      const got = await s.blobs.get(r.blob_key!);
      expect(got.ok && createHash('sha256').update(got.value).digest('hex')).toBe(r.sha256);
    }
    expect(s.blobs.list('captures/r/').map((b) => b.key)).toHaveLength(4);
    expect(readdirSync(join(dir, 'blobs/captures/r/d1/cam')).sort()).toEqual(['0.jpg', '1.jpg', '2.jpg', '3.jpg']);
    expect(readFileSync(join(dir, 'blobs/captures/r/d1/cam/3.jpg')).byteLength).toBe(1000);
  });

  it('a full blob store (quota) fails with BLOB.FULL, writes nothing, and leaves earlier captures readable', async () => {
    const s = fresh({ blobs: { driver: 'fs', quota_bytes: 2500 } });
    const sink = createBlobSink(s.blobs);
    const first = await sink.put('captures/q/0.jpg', new Uint8Array(1000).fill(7), 'image/jpeg');
    const second = await sink.put('captures/q/1.jpg', new Uint8Array(1000).fill(8), 'image/jpeg');
    expect(first.ok && second.ok).toBe(true);
    const full = await sink.put('captures/q/2.jpg', new Uint8Array(1000), 'image/jpeg');
    expect(!full.ok && full.error.code).toBe('BLOB.FULL');
    expect(!full.ok && full.error.message).toMatch(/^BLOB\.FULL: blob store full: 'captures\/q\/2\.jpg' needs 1000 B, 500 B of the 2500 B quota left/);
    expect(readdirSync(join(s.dir, 'blobs/captures/q')).sort()).toEqual(['0.jpg', '1.jpg']);
    expect(s.blobs.usage()).toEqual({ used_bytes: 2000, quota_bytes: 2500 });
    // Concurrent puts cannot overshoot together: of three 400 B puts into 500 B, one lands.
    const racing = await Promise.all([0, 1, 2].map((i) => s.blobs.put(`captures/q/r${i}.jpg`, new Uint8Array(400))));
    expect(racing.filter((r) => r.ok)).toHaveLength(1);
    const old = await s.blobs.get('captures/q/0.jpg');
    expect(old.ok && old.value[0]).toBe(7);
    // Deleting frees room again.
    expect((await s.blobs.delete('captures/q/1.jpg')).ok).toBe(true);
    expect((await sink.put('captures/q/2.jpg', new Uint8Array(1000), 'image/jpeg')).ok).toBe(true);
  });

  // A real full disk: a 256 KiB tmpfs under the blob root (needs root and mount rights; CI runs as root).
  const canMount = process.getuid?.() === 0 && spawnSync('mount', ['--version']).status === 0;
  it.skipIf(!canMount)('a full disk (ENOSPC on a small tmpfs) fails with BLOB.FULL, leaves no partial file, keeps the rest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'twin-captures-enospc-'));
    mkdirSync(join(dir, 'blobs'));
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', join(dir, 'blobs')]);
    if (m.status !== 0) {
      rmSync(dir, { recursive: true, force: true });
      return; // no mount rights here (container without CAP_SYS_ADMIN): nothing to check
    }
    try {
      const s = openStore({ dir, blobs: { driver: 'fs' } });
      try {
        const sink = createBlobSink(s.blobs);
        const first = await sink.put('captures/f/0.jpg', new Uint8Array(150_000).fill(1), 'image/jpeg');
        expect(first.ok).toBe(true);
        const full = await sink.put('captures/f/1.jpg', new Uint8Array(150_000).fill(2), 'image/jpeg');
        expect(!full.ok && full.error.code).toBe('BLOB.FULL');
        expect(!full.ok && full.error.message).toMatch(/no space left/);
        expect(readdirSync(join(dir, 'blobs/captures/f'))).toEqual(['0.jpg']);
        expect(s.blobs.list('captures/').map((b) => b.key)).toEqual(['captures/f/0.jpg']);
        const old = await s.blobs.get('captures/f/0.jpg');
        expect(old.ok && old.value.byteLength).toBe(150_000);
        // The SQLite side is untouched: other writes go on.
        expect(s.missions.list().length).toBe(0);
      } finally {
        s.close();
      }
    } finally {
      spawnSync('umount', [join(dir, 'blobs')]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads check the bytes against the index (a file changed behind its back is BLOB.CORRUPT)', async () => {
    const s = fresh();
    await s.blobs.put('captures/c/0.jpg', new Uint8Array([1, 2, 3]));
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(s.dir, 'blobs/captures/c/0.jpg'), new Uint8Array([1, 2, 4]));
    const got = await s.blobs.get('captures/c/0.jpg');
    expect(!got.ok && got.error.code).toBe('BLOB.CORRUPT');
  });
});
