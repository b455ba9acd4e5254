/**
 * Scenario runs and their JSON reports (`ScenarioReport` from the scenario runner).
 */
import type { Database, Statement } from 'better-sqlite3';
import type { ScenarioReport } from '../actors/scenario/scenario.runner.js';
import { ok } from '../core/result.js';
import { fromSqliteError, notFound, type StoreResult } from './errors.js';

export interface RunSummary {
  readonly id: string;
  readonly scenario: string;
  readonly file: string | null;
  readonly passed: boolean;
  readonly seed: number;
  readonly simulated_s: number;
  readonly wall_s: number | null;
  readonly event_log_sha256: string;
  readonly events: number;
  readonly created_at: string;
}

export interface RunRecord extends RunSummary {
  readonly report: ScenarioReport;
}

type Row = Omit<RunSummary, 'passed'> & { passed: number };
const summary = (r: Row): RunSummary => ({ ...r, passed: r.passed === 1 });
const COLS = 'id, scenario, file, passed, seed, simulated_s, wall_s, event_log_sha256, events, created_at';

export class RunsRepository {
  private readonly insertStmt: Statement<unknown[]>;
  private readonly getStmt: Statement<[string], Row & { report: string }>;
  private readonly listStmt: Statement<[number, number], Row>;
  private readonly countStmt: Statement<[], { n: number }>;

  constructor(db: Database, private readonly now: () => string) {
    this.insertStmt = db.prepare(`INSERT INTO runs (${COLS}, report) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.getStmt = db.prepare(`SELECT ${COLS}, report FROM runs WHERE id = ?`);
    this.listStmt = db.prepare(`SELECT ${COLS} FROM runs ORDER BY created_at DESC, id LIMIT ? OFFSET ?`);
    this.countStmt = db.prepare('SELECT count(*) AS n FROM runs');
  }

  /** Stores a finished run's report under `id` (`STORE.CONFLICT` when taken). */
  insert(id: string, report: ScenarioReport): StoreResult<RunSummary> {
    const row: Row = {
      id,
      scenario: report.scenario,
      file: report.file ?? null,
      passed: report.passed ? 1 : 0,
      seed: report.seed,
      simulated_s: report.simulatedSeconds,
      wall_s: report.wallSeconds ?? null,
      event_log_sha256: report.eventLogSha256,
      events: report.events,
      created_at: this.now(),
    };
    try {
      this.insertStmt.run(row.id, row.scenario, row.file, row.passed, row.seed, row.simulated_s, row.wall_s, row.event_log_sha256, row.events, row.created_at, JSON.stringify(report));
    } catch (error) {
      return fromSqliteError(error, `run '${id}'`);
    }
    return ok(summary(row));
  }

  get(id: string): StoreResult<RunRecord> {
    const row = this.getStmt.get(id);
    if (!row) return notFound(`run '${id}'`);
    const { report, ...rest } = row;
    return ok({ ...summary(rest), report: JSON.parse(report) as ScenarioReport });
  }

  list(limit = 100, offset = 0): RunSummary[] {
    return this.listStmt.all(limit, offset).map(summary);
  }

  count(): number {
    return this.countStmt.get()!.n;
  }
}
