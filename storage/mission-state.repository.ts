/**
 * The last known state of each vehicle's mission (status, the mission itself, progress, reason),
 * written on every change so that a twin restarted mid-flight can restore its mission actors.
 */
import type { Database, Statement } from 'better-sqlite3';
import { z } from 'zod';
import { MissionSchema } from '../core/mission.js';

export const SavedMissionSchema = z.object({
  status: z.enum(['IDLE', 'LOADED', 'RUNNING', 'PAUSED', 'COMPLETED', 'ABORTED', 'FAILED']),
  mission: MissionSchema.optional(),
  progress: z.object({ current_waypoint: z.number(), total_waypoints: z.number(), percent_complete: z.number() }),
  reached: z.number(),
  reason: z.string().optional(),
});
export type SavedMission = z.output<typeof SavedMissionSchema>;

export class MissionStateRepository {
  private readonly upsert: Statement<[string, string, string, string]>;
  private readonly all: Statement<[], { vehicle: string; state: string }>;

  constructor(db: Database, private readonly now: () => string) {
    this.upsert = db.prepare(`INSERT INTO mission_state (vehicle, status, state, updated_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (vehicle) DO UPDATE SET status = excluded.status, state = excluded.state, updated_at = excluded.updated_at`);
    this.all = db.prepare('SELECT vehicle, state FROM mission_state ORDER BY vehicle');
  }

  save(vehicle: string, saved: SavedMission): void {
    this.upsert.run(vehicle, saved.status, JSON.stringify(saved), this.now());
  }

  /** Every saved state that still parses (a row from an older, incompatible version is skipped). */
  list(): { vehicle: string; saved: SavedMission }[] {
    return this.all.all().flatMap((row) => {
      const parsed = SavedMissionSchema.safeParse(JSON.parse(row.state));
      return parsed.success ? [{ vehicle: row.vehicle, saved: parsed.data }] : [];
    });
  }
}
