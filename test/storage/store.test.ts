import { chmodSync, copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import DatabaseCtor from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { EventLog } from '../../actors/event-log.js';
import { attachEventLogSink, migrate, MIGRATIONS, openStore, schemaVersion, type Store } from '../../storage/index.js';

const dirs: string[] = [];
const stores: Store[] = [];
function fresh(): Store {
  const dir = mkdtempSync(join(tmpdir(), 'twin-store-'));
  dirs.push(dir);
  const s = openStore({ dir });
  stores.push(s);
  return s;
}
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const fields = { name: 'm', description: '', waypoints: [{ lat: 47.4, lon: 8.5, alt: 30 }], parameters: {} };

describe('store', () => {
  it('opens in WAL mode and applies migrations once (idempotent across opens)', () => {
    const s = fresh();
    expect(s.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(s.migrated).toEqual(MIGRATIONS.map((m) => m.version));
    s.close();
    const again = openStore({ dir: s.dir });
    stores.push(again);
    expect(again.migrated).toEqual([]);
    expect(schemaVersion(again.db)).toBe(MIGRATIONS.at(-1)!.version);
    expect(migrate(again.db)).toEqual([]);
    const rows = again.db.prepare('SELECT count(*) AS n FROM schema_migrations').get() as { n: number };
    expect(rows.n).toBe(MIGRATIONS.length);
  });

  it('a failing migration leaves nothing behind', () => {
    const db = new DatabaseCtor(':memory:');
    expect(() => migrate(db, [{ version: 1, name: 'bad', sql: 'CREATE TABLE a (x); CREATE TABLE a (y);' }])).toThrow();
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'a'").get()).toBeUndefined();
    expect(schemaVersion(db)).toBe(0);
    db.close();
  });

  it('missions CRUD with dotted error codes', () => {
    const s = fresh();
    const c = s.missions.create('m1', fields);
    expect(c.ok).toBe(true);
    const dup = s.missions.create('m1', fields);
    expect(!dup.ok && dup.error.code).toBe('STORE.CONFLICT');
    const u = s.missions.update('m1', { ...fields, name: 'renamed' });
    expect(u.ok && u.value.name).toBe('renamed');
    expect(s.missions.get('m1').ok).toBe(true);
    const miss = s.missions.update('nope', fields);
    expect(!miss.ok && miss.error.code).toBe('STORE.NOT_FOUND');
    expect(s.missions.delete('m1').ok).toBe(true);
    const gone = s.missions.get('m1');
    expect(!gone.ok && gone.error.code).toBe('STORE.NOT_FOUND');
  });

  it('a failing write inside a transaction leaves nothing', () => {
    const s = fresh();
    expect(() =>
      s.transaction(() => {
        s.missions.create('a', fields);
        s.missions.create('b', fields);
        throw new Error('half-way');
      }),
    ).toThrow('half-way');
    expect(s.missions.count()).toBe(0);
    // A batch with a bad row (NOT NULL violated) is all-or-nothing too.
    expect(() => s.events.insertBatch('r', [{ seq: 0, t_ms: 0, source: 'x', type: 'a' }, { seq: 1, t_ms: 0, source: null as never, type: 'b' }])).toThrow();
    expect(s.events.count('r')).toBe(0);
  });

  it('users: conflicts are coded; list never returns hashes', () => {
    const s = fresh();
    expect(s.users.create({ username: 'a', password_hash: 'h', role: 'viewer' }).ok).toBe(true);
    const dup = s.users.create({ username: 'a', password_hash: 'h', role: 'viewer' });
    expect(!dup.ok && dup.error.code).toBe('STORE.CONFLICT');
    const badRole = s.users.create({ username: 'b', password_hash: 'h', role: 'root' as never });
    expect(!badRole.ok && badRole.error.code).toBe('STORE.CONSTRAINT');
    expect(s.users.list()).toEqual([{ username: 'a', role: 'viewer', created_at: expect.any(String) }]);
  });

  it('the event-log sink batches appends and writes them all, in order, with cids', async () => {
    const s = fresh();
    const log = new EventLog();
    const sink = attachEventLogSink(s, log, { runId: 'run1', batchSize: 100 });
    for (let i = 0; i < 250; i++) log.append(i, 'drone1', 'tick', { i }, i % 2 ? `c${i}` : undefined);
    // Two full batches went at once; the rest waits for the next turn of the event loop.
    expect(s.events.count('run1')).toBe(200);
    await new Promise((r) => setImmediate(r));
    expect(s.events.count('run1')).toBe(250);
    const rows = s.events.list('run1', 0, 1000);
    expect(rows.map((r) => r.seq)).toEqual(log.entries.map((e) => e.seq));
    expect(rows[3]).toEqual({ run_id: 'run1', ...log.entries[3] });
    expect(s.events.byCorrelationId('c7')).toHaveLength(1);
    sink.close();
    log.append(999, 'x', 'after-close');
    expect(s.events.count('run1')).toBe(250);
  });

  it('what a flush acknowledged survives a crash: the files as they lie on disk hold it', () => {
    const s = fresh();
    const log = new EventLog();
    const sink = attachEventLogSink(s, log, { runId: 'crash', batchSize: 1000 });
    for (let i = 0; i < 1500; i++) log.append(i, 'd1', 't', { i });
    expect(sink.flush()).toBe(true); // acknowledged
    s.missions.create('m', fields);
    // "Crash": copy the database and its WAL as they are now, never closing the writer.
    const crashed = mkdtempSync(join(tmpdir(), 'twin-crash-'));
    dirs.push(crashed);
    for (const f of ['twin.db', 'twin.db-wal']) if (existsSync(join(s.dir, f))) copyFileSync(join(s.dir, f), join(crashed, f));
    const after = openStore({ dir: crashed });
    stores.push(after);
    expect(after.events.count('crash')).toBe(1500);
    expect(after.missions.get('m').ok).toBe(true);
    sink.close();
  });

  it('a sink whose commit fails keeps the batch and retries it', () => {
    const s = fresh();
    let fail = true;
    const writes: number[] = [];
    const log = new EventLog();
    const sink = attachEventLogSink(s, log, { runId: 'r', batchSize: 10, onError: () => writes.push(-1) });
    const orig = s.events.insertBatch;
    (s.events as { insertBatch: typeof orig }).insertBatch = (id, b) => {
      if (fail) throw new Error('SQLITE_BUSY');
      writes.push(b.length);
      orig(id, b);
    };
    for (let i = 0; i < 10; i++) log.append(i, 'x', 't');
    expect(writes).toEqual([-1]);
    fail = false;
    expect(sink.flush()).toBe(true);
    expect(s.events.count('r')).toBe(10);
    sink.close();
  });

  it('blobs are written (temp + rename) before their index row; bad keys are refused', async () => {
    const s = fresh();
    const data = new TextEncoder().encode('jpeg bytes');
    const put = await s.blobs.put('captures/drone1/0001.jpg', data, 'image/jpeg');
    expect(put.ok).toBe(true);
    const got = await s.blobs.get('captures/drone1/0001.jpg');
    expect(got.ok && new TextDecoder().decode(got.value)).toBe('jpeg bytes');
    expect(readdirSync(join(s.dir, 'blobs/captures/drone1'))).toEqual(['0001.jpg']);
    expect(statSync(join(s.dir, 'blobs/captures/drone1/0001.jpg')).size).toBe(data.byteLength);
    const bad = await s.blobs.put('../escape', data);
    expect(!bad.ok && bad.error.code).toBe('BLOB.INVALID_KEY');
    // A duplicate key: the index refuses, the existing blob stays readable.
    const dup = await s.blobs.put('captures/drone1/0001.jpg', data);
    expect(!dup.ok && dup.error.code).toBe('STORE.CONFLICT');
  });

  it('the database, its WAL and its shared-memory file are 0600, even when loose ones were left behind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'twin-store-'));
    dirs.push(dir);
    // A WAL and SHM left with umask-wide modes (by a crash, another tool): SQLite tightens only
    // empty ones and reuses the rest as they are.
    for (const f of ['twin.db-wal', 'twin.db-shm']) {
      writeFileSync(join(dir, f), Buffer.alloc(100));
      chmodSync(join(dir, f), 0o644);
    }
    const s = openStore({ dir });
    stores.push(s);
    s.missions.create('m1', fields);
    for (const f of ['twin.db', 'twin.db-wal', 'twin.db-shm']) expect([f, statSync(join(dir, f)).mode & 0o777]).toEqual([f, 0o600]);
  });

  it('users carry a token version: password and role changes and revokes bump it, a rehash does not; a migrated store starts at 0', () => {
    const s = fresh();
    s.users.create({ username: 'u', password_hash: 'h1', role: 'viewer' });
    const tv = () => {
      const r = s.users.get('u');
      return r.ok ? r.value.token_version : -1;
    };
    expect(tv()).toBe(0);
    expect(s.users.upgradeHash('u', 'h1', 'h2')).toBe(true);
    expect(s.users.upgradeHash('u', 'h1', 'h3')).toBe(false); // the hash changed meanwhile: no-op
    expect(tv()).toBe(0);
    s.users.setPasswordHash('u', 'h4');
    s.users.setRole('u', 'operator');
    s.users.revokeTokens('u');
    expect(tv()).toBe(3);
    expect(s.users.revokeTokens('ghost').ok).toBe(false);
    expect(s.users.delete('u').ok).toBe(true);
    expect(s.users.get('u').ok).toBe(false);

    // A store from before migration 3 keeps its users, at version 0.
    const db = new DatabaseCtor(':memory:');
    migrate(db, MIGRATIONS.filter((m) => m.version < 3));
    db.prepare("INSERT INTO users VALUES ('old', 'h', 'admin', 't')").run();
    expect(migrate(db)).toEqual(MIGRATIONS.filter((m) => m.version >= 3).map((m) => m.version));
    expect(db.prepare("SELECT token_version FROM users WHERE username = 'old'").get()).toEqual({ token_version: 0 });
    db.close();
  });
});
