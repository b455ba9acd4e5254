/**
 * Vehicles the twin has heard from: first and last contact (wall time, ISO 8601) and autopilot.
 */
import type { Database, Statement } from 'better-sqlite3';

export interface VehicleSeen {
  readonly id: string;
  readonly first_seen: string;
  readonly last_seen: string;
  readonly autopilot: string;
}

export class VehiclesRepository {
  private readonly upsert: Statement<[string, string, string, string]>;
  private readonly listStmt: Statement<[], VehicleSeen>;

  constructor(db: Database, private readonly now: () => string) {
    this.upsert = db.prepare(`INSERT INTO vehicles_seen (id, first_seen, last_seen, autopilot) VALUES (?, ?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen, autopilot = excluded.autopilot`);
    this.listStmt = db.prepare('SELECT id, first_seen, last_seen, autopilot FROM vehicles_seen ORDER BY id');
  }

  /** Records contact with a vehicle now (first contact sets `first_seen` too). */
  seen(id: string, autopilot: string): void {
    const t = this.now();
    this.upsert.run(id, t, t, autopilot);
  }

  list(): VehicleSeen[] {
    return this.listStmt.all();
  }
}
