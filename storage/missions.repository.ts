/**
 * Missions in the original OverWatch model: id, name, description, timestamps, waypoints and
 * parameters (both JSON). Validation happens at the edge (api/); this stores what it is given.
 */
import type { Database, Statement } from 'better-sqlite3';
import { ok } from '../core/result.js';
import { fromSqliteError, notFound, type StoreResult } from './errors.js';

/** A waypoint in WGS84 (`alt` above home, metres) or in the local NED frame of the twin's origin. */
export type Waypoint =
  | ({ readonly lat: number; readonly lon: number; readonly alt: number } & WaypointOptions)
  | ({ readonly north: number; readonly east: number; readonly alt: number } & WaypointOptions);

export interface WaypointOptions {
  readonly hold_s?: number;
  readonly speed_mps?: number;
  readonly acceptance_m?: number;
  readonly capture?: boolean;
}

export type MissionParameters = Readonly<Record<string, unknown>>;

export interface MissionRecord {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly created_at: string;
  readonly updated_at: string;
  readonly waypoints: readonly Waypoint[];
  readonly parameters: MissionParameters;
}

export type MissionFields = Pick<MissionRecord, 'name' | 'description' | 'waypoints' | 'parameters'>;

interface Row {
  id: string;
  name: string;
  description: string;
  created_at: string;
  updated_at: string;
  waypoints: string;
  parameters: string;
}

const fromRow = (r: Row): MissionRecord => ({ ...r, waypoints: JSON.parse(r.waypoints), parameters: JSON.parse(r.parameters) });

export class MissionsRepository {
  private readonly getStmt: Statement<[string], Row>;
  private readonly listStmt: Statement<[number, number], Row>;
  private readonly insertStmt: Statement<[string, string, string, string, string, string, string]>;
  private readonly updateStmt: Statement<[string, string, string, string, string, string]>;
  private readonly deleteStmt: Statement<[string]>;
  private readonly countStmt: Statement<[], { n: number }>;

  constructor(db: Database, private readonly now: () => string) {
    const cols = 'id, name, description, created_at, updated_at, waypoints, parameters';
    this.getStmt = db.prepare(`SELECT ${cols} FROM missions WHERE id = ?`);
    this.listStmt = db.prepare(`SELECT ${cols} FROM missions ORDER BY created_at, id LIMIT ? OFFSET ?`);
    this.insertStmt = db.prepare(`INSERT INTO missions (${cols}) VALUES (?, ?, ?, ?, ?, ?, ?)`);
    this.updateStmt = db.prepare(
      'UPDATE missions SET name = ?, description = ?, waypoints = ?, parameters = ?, updated_at = ? WHERE id = ?',
    );
    this.deleteStmt = db.prepare('DELETE FROM missions WHERE id = ?');
    this.countStmt = db.prepare('SELECT count(*) AS n FROM missions');
  }

  /** `STORE.CONFLICT` when the id exists. */
  create(id: string, fields: MissionFields): StoreResult<MissionRecord> {
    const t = this.now();
    try {
      this.insertStmt.run(id, fields.name, fields.description, t, t, JSON.stringify(fields.waypoints), JSON.stringify(fields.parameters));
    } catch (error) {
      return fromSqliteError(error, `mission '${id}'`);
    }
    return ok({ id, ...fields, created_at: t, updated_at: t });
  }

  get(id: string): StoreResult<MissionRecord> {
    const row = this.getStmt.get(id);
    return row ? ok(fromRow(row)) : notFound(`mission '${id}'`);
  }

  list(limit = 100, offset = 0): MissionRecord[] {
    return this.listStmt.all(limit, offset).map(fromRow);
  }

  /** Replaces the editable fields; `STORE.NOT_FOUND` for an unknown id. */
  update(id: string, fields: MissionFields): StoreResult<MissionRecord> {
    const t = this.now();
    let changes: number;
    try {
      changes = this.updateStmt.run(fields.name, fields.description, JSON.stringify(fields.waypoints), JSON.stringify(fields.parameters), t, id).changes;
    } catch (error) {
      return fromSqliteError(error, `mission '${id}'`);
    }
    return changes === 0 ? notFound(`mission '${id}'`) : this.get(id);
  }

  delete(id: string): StoreResult<void> {
    return this.deleteStmt.run(id).changes === 0 ? notFound(`mission '${id}'`) : ok(undefined);
  }

  count(): number {
    return this.countStmt.get()!.n;
  }
}
