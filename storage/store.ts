/**
 * `openStore({ dir })`: the embedded SQLite store (WAL) with its repositories and blob store.
 *
 * @remarks
 * One connection per process: better-sqlite3 is synchronous, and every statement here is
 * short, so the event loop never waits long. WAL lets readers (another `sqlite3` shell, a
 * backup) run beside the writer; `synchronous = NORMAL` in WAL mode keeps every committed
 * transaction across a process crash (an OS crash may lose the last ones, never corrupt).
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import DatabaseCtor, { type Database } from 'better-sqlite3';
import { blobConfigFromEnv, createBlobStore, type BlobConfig } from './blob-config.js';
import type { BlobStore } from './blob-store.port.js';
import { CapturesRepository } from './captures.repository.js';
import { EventLogRepository } from './event-log.repository.js';
import { migrate } from './migrations.js';
import { MissionsRepository } from './missions.repository.js';
import { RunsRepository } from './runs.repository.js';
import { UsersRepository } from './users.repository.js';
import { MissionStateRepository } from './mission-state.repository.js';
import { VehiclesRepository } from './vehicles.repository.js';

export interface StoreOptions {
  /** Data directory; created if absent. Default `TWIN_DATA_DIR` or `./data`. */
  readonly dir?: string;
  /** Wall-clock timestamps (ISO 8601) for created/updated columns; injectable for tests. */
  readonly now?: () => string;
  /** Blob driver: filesystem (default) or S3; default from the environment (`blob-config.ts`). */
  readonly blobs?: BlobConfig;
}

export interface Store {
  readonly dir: string;
  readonly db: Database;
  readonly users: UsersRepository;
  readonly missions: MissionsRepository;
  readonly runs: RunsRepository;
  readonly events: EventLogRepository;
  readonly vehicles: VehiclesRepository;
  readonly missionState: MissionStateRepository;
  readonly blobs: BlobStore;
  /** The capture index (rows after their blobs). */
  readonly captures: CapturesRepository;
  /** Migrations applied by this open (empty when the schema was current). */
  readonly migrated: readonly number[];
  /** Runs `fn` in one transaction: everything it writes lands, or nothing does. */
  transaction<T>(fn: () => T): T;
  close(): void;
}

/** The data directory from the environment: `TWIN_DATA_DIR`, default `./data`. */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.TWIN_DATA_DIR || './data');
}

export function openStore(options: StoreOptions = {}): Store {
  const dir = resolve(options.dir ?? dataDir());
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const now = options.now ?? (() => new Date().toISOString());
  const blobConfig = options.blobs ?? blobConfigFromEnv();
  const file = join(dir, 'twin.db');
  // It holds password hashes: owner only from the first byte (created 0600, never umask-wide),
  // and tightened if someone loosened it by hand.
  closeSync(openSync(file, 'a', 0o600));
  chmodSync(file, 0o600);
  const db = new DatabaseCtor(file);
  try {
    db.pragma('journal_mode = WAL');
    // The WAL and the shared-memory index hold the same rows: same mode as the database, even
    // when they were left behind by another process (SQLite reuses existing files as they are).
    for (const side of [`${file}-wal`, `${file}-shm`]) if (existsSync(side)) chmodSync(side, 0o600);
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    // Another process holding the write lock makes us wait up to 5 s rather than fail at once.
    db.pragma('busy_timeout = 5000');
    const migrated = migrate(db);
    const blobs = createBlobStore(db, dir, blobConfig, now);
    let closed = false;
    return {
      dir,
      db,
      users: new UsersRepository(db, now),
      missions: new MissionsRepository(db, now),
      runs: new RunsRepository(db, now),
      events: new EventLogRepository(db),
      vehicles: new VehiclesRepository(db, now),
      missionState: new MissionStateRepository(db, now),
      blobs,
      captures: new CapturesRepository(db, now, blobs),
      migrated,
      transaction: <T>(fn: () => T): T => db.transaction(fn)(),
      close() {
        if (closed) return;
        closed = true;
        db.close();
      },
    };
  } catch (error) {
    db.close();
    throw error;
  }
}
