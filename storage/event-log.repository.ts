/**
 * The persisted event log: one row per `LogEntry`, keyed by (run or session id, seq), plus
 * sampled telemetry rows. Writes are batched by `event-log.sink.ts`; this is the SQL side.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { LogEntry } from '../actors/event-log.js';

export interface StoredEntry extends LogEntry {
  readonly run_id: string;
}

export interface TelemetryRow {
  readonly vehicle: string;
  readonly t_ms: number;
  /** JSON text of the sample (already serialised by the caller). */
  readonly data: string;
}

interface Row {
  run_id: string;
  seq: number;
  t_ms: number;
  source: string;
  type: string;
  data: string | null;
  cid: string | null;
}

const fromRow = (r: Row): StoredEntry => ({
  run_id: r.run_id,
  seq: r.seq,
  t_ms: r.t_ms,
  source: r.source,
  type: r.type,
  ...(r.data !== null ? { data: JSON.parse(r.data) } : {}),
  ...(r.cid !== null ? { cid: r.cid } : {}),
});

export class EventLogRepository {
  private readonly insertStmt: Statement<[string, number, number, string, string, string | null, string | null]>;
  private readonly insertTelemetryStmt: Statement<[string, string, number, string]>;
  private readonly listStmt: Statement<[string, number, number], Row>;
  private readonly byCidStmt: Statement<[string], Row>;
  private readonly countStmt: Statement<[string], { n: number }>;
  private readonly countTelemetryStmt: Statement<[string], { n: number }>;
  /** Inserts a batch in one transaction: all rows or none. */
  readonly insertBatch: (runId: string, entries: readonly LogEntry[]) => void;
  readonly insertTelemetryBatch: (runId: string, rows: readonly TelemetryRow[]) => void;

  constructor(db: Database) {
    // DO NOTHING on the key only: re-sending a batch after a failed commit must not fail on rows that made it.
    this.insertStmt = db.prepare('INSERT INTO event_log (run_id, seq, t_ms, source, type, data, cid) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, seq) DO NOTHING');
    this.insertTelemetryStmt = db.prepare('INSERT INTO telemetry (run_id, vehicle, t_ms, data) VALUES (?, ?, ?, ?) ON CONFLICT (run_id, vehicle, t_ms) DO NOTHING');
    this.listStmt = db.prepare('SELECT * FROM event_log WHERE run_id = ? AND seq >= ? ORDER BY seq LIMIT ?');
    this.byCidStmt = db.prepare('SELECT * FROM event_log WHERE cid = ? ORDER BY run_id, seq');
    this.countStmt = db.prepare('SELECT count(*) AS n FROM event_log WHERE run_id = ?');
    this.countTelemetryStmt = db.prepare('SELECT count(*) AS n FROM telemetry WHERE run_id = ?');
    const insert = this.insertStmt;
    this.insertBatch = db.transaction((runId: string, entries: readonly LogEntry[]) => {
      for (const e of entries)
        insert.run(runId, e.seq, e.t_ms, e.source, e.type, e.data === undefined ? null : JSON.stringify(e.data), e.cid ?? null);
    });
    const insertT = this.insertTelemetryStmt;
    this.insertTelemetryBatch = db.transaction((runId: string, rows: readonly TelemetryRow[]) => {
      for (const r of rows) insertT.run(runId, r.vehicle, r.t_ms, r.data);
    });
  }

  /** Entries of one run from `fromSeq` on, in order. */
  list(runId: string, fromSeq = 0, limit = 1000): StoredEntry[] {
    return this.listStmt.all(runId, fromSeq, limit).map(fromRow);
  }

  /** Everything a request caused, across runs and sessions. */
  byCorrelationId(cid: string): StoredEntry[] {
    return this.byCidStmt.all(cid).map(fromRow);
  }

  count(runId: string): number {
    return this.countStmt.get(runId)!.n;
  }

  countTelemetry(runId: string): number {
    return this.countTelemetryStmt.get(runId)!.n;
  }
}
