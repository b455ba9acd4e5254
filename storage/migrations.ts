/**
 * Numbered schema migrations, applied at open inside one transaction each.
 *
 * @remarks
 * A migration is never edited once shipped: a change is a new number. `schema_migrations`
 * records what ran, so opening a store twice (or two processes racing, serialised by SQLite's
 * write lock) applies each migration exactly once.
 */
import type { Database } from 'better-sqlite3';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial',
    sql: `
      CREATE TABLE users (
        username      TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        role          TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
        created_at    TEXT NOT NULL
      );
      CREATE TABLE missions (
        id          TEXT PRIMARY KEY,
        name        TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL,
        waypoints   TEXT NOT NULL CHECK (json_valid(waypoints)),
        parameters  TEXT NOT NULL CHECK (json_valid(parameters))
      );
      CREATE TABLE runs (
        id               TEXT PRIMARY KEY,
        scenario         TEXT NOT NULL,
        file             TEXT,
        passed           INTEGER NOT NULL,
        seed             INTEGER NOT NULL,
        simulated_s      REAL NOT NULL,
        wall_s           REAL,
        event_log_sha256 TEXT NOT NULL,
        events           INTEGER NOT NULL,
        created_at       TEXT NOT NULL,
        report           TEXT NOT NULL CHECK (json_valid(report))
      );
      CREATE INDEX runs_created ON runs (created_at);
      -- One row per event-log entry. The primary key is the natural order, so no rowid table
      -- and no second index: appends are B-tree appends.
      CREATE TABLE event_log (
        run_id TEXT NOT NULL,
        seq    INTEGER NOT NULL,
        t_ms   INTEGER NOT NULL,
        source TEXT NOT NULL,
        type   TEXT NOT NULL,
        data   TEXT,
        cid    TEXT,
        PRIMARY KEY (run_id, seq)
      ) WITHOUT ROWID;
      CREATE INDEX event_log_cid ON event_log (cid) WHERE cid IS NOT NULL;
      -- Samples arrive interleaved across vehicles: a rowid table appends them and only the
      -- small index takes scattered inserts (2-3x faster than a WITHOUT ROWID table here).
      CREATE TABLE telemetry (
        run_id  TEXT NOT NULL,
        vehicle TEXT NOT NULL,
        t_ms    INTEGER NOT NULL,
        data    TEXT NOT NULL
      );
      CREATE UNIQUE INDEX telemetry_key ON telemetry (run_id, vehicle, t_ms);
      CREATE TABLE vehicles_seen (
        id         TEXT PRIMARY KEY,
        first_seen TEXT NOT NULL,
        last_seen  TEXT NOT NULL,
        autopilot  TEXT NOT NULL
      );
      CREATE TABLE blobs (
        key        TEXT PRIMARY KEY,
        path       TEXT NOT NULL,
        bytes      INTEGER NOT NULL,
        sha256     TEXT NOT NULL,
        media_type TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'mission_state',
    sql: `
      -- The last known state of each vehicle's mission actor, so a restarted twin resumes it
      -- (a real vehicle flies on while the twin restarts).
      CREATE TABLE mission_state (
        vehicle    TEXT PRIMARY KEY,
        status     TEXT NOT NULL,
        state      TEXT NOT NULL CHECK (json_valid(state)),
        updated_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'user_token_version',
    sql: `
      -- Every token carries its user's token_version (claim tv); bumping the column (password or
      -- role change, an explicit revoke) makes every token issued before it invalid.
      ALTER TABLE users ADD COLUMN token_version INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 4,
    name: 'captures',
    sql: `
      -- One row per stored camera image. The image's blob row comes first (blob_key references
      -- it), so a crash between the two leaves an orphaned blob, never a capture without bytes.
      CREATE TABLE captures (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        run         TEXT,
        mission     TEXT,
        vehicle     TEXT NOT NULL,
        sensor      TEXT NOT NULL,
        idx         INTEGER NOT NULL CHECK (idx >= 0),
        t_ms        INTEGER NOT NULL,
        lat_deg     REAL NOT NULL,
        lon_deg     REAL NOT NULL,
        alt_m       REAL NOT NULL,
        roll_deg    REAL NOT NULL,
        pitch_deg   REAL NOT NULL,
        yaw_deg     REAL NOT NULL,
        -- A stored image (blob_key), or one the device keeps and serves (file_url), or both.
        blob_key    TEXT REFERENCES blobs (key),
        file_url    TEXT,
        media_type  TEXT,
        bytes       INTEGER,
        sha256      TEXT,
        footprint   TEXT CHECK (footprint IS NULL OR json_valid(footprint)),
        created_at  TEXT NOT NULL,
        CHECK (blob_key IS NOT NULL OR file_url IS NOT NULL)
      );
      -- A camera's image index is unique within a run (live captures have no run).
      CREATE UNIQUE INDEX captures_key ON captures (coalesce(run, ''), vehicle, sensor, idx);
      CREATE INDEX captures_vehicle ON captures (vehicle, id);
      CREATE INDEX captures_mission ON captures (mission, id) WHERE mission IS NOT NULL;
      CREATE INDEX captures_blob ON captures (blob_key) WHERE blob_key IS NOT NULL;
      CREATE INDEX captures_run ON captures (run, id) WHERE run IS NOT NULL;
    `,
  },
];

/**
 * Applies every migration newer than the database's, each in its own transaction.
 * @returns the versions applied now (empty when the schema was current).
 */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const applied: number[] = [];
  const has = db.prepare<[number], { version: number }>('SELECT version FROM schema_migrations WHERE version = ?');
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    // IMMEDIATE takes the write lock before the check, so a concurrent opener waits, then skips.
    db.transaction(() => {
      if (has.get(m.version)) return;
      db.exec(m.sql);
      record.run(m.version, m.name, new Date().toISOString());
      applied.push(m.version);
    }).immediate();
  }
  return applied;
}

/** The highest applied migration, 0 for an empty database. */
export function schemaVersion(db: Database): number {
  const row = db.prepare<[], { v: number | null }>('SELECT max(version) AS v FROM schema_migrations').get();
  return row?.v ?? 0;
}
