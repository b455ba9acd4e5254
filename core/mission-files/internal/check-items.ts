/**
 * What every reader checks once a file's items are read: a mission with no items, and positions
 * no vehicle can fly to (latitude outside ±90°, longitude outside ±180°, a coordinate that is not
 * a finite number). Each failure names the item, its command and the reason, at the file
 * location the reader gives for it (`mission.items.3`, `line 5`).
 */
import { hasPosition } from '../../mavlink-mission/mav-enums.js';
import { fileError, type MissionFileResult, type RawMissionItem } from '../model.js';

/** Why a positioned row's coordinates are unusable, or undefined when they are fine (NaN = unset is fine). */
export function coordinateProblem(r: Pick<RawMissionItem, 'frame' | 'command' | 'x' | 'y' | 'z'>): { field: 'x' | 'y' | 'z'; reason: string } | undefined {
  const finite = (v: number) => Number.isNaN(v) || Number.isFinite(v);
  for (const f of ['x', 'y', 'z'] as const) if (!finite(r[f])) return { field: f, reason: `${f === 'x' ? 'latitude' : f === 'y' ? 'longitude' : 'altitude'} ${r[f]} is not a finite number` };
  if (!hasPosition(r)) return undefined;
  if (Math.abs(r.x) > 90) return { field: 'x', reason: `latitude ${r.x} is outside ±90°` };
  if (Math.abs(r.y) > 180) return { field: 'y', reason: `longitude ${r.y} is outside ±180°` };
  return undefined;
}

/**
 * MISSION_FILE.EMPTY for a mission without items, MISSION_FILE.INVALID_ITEM for the first item
 * with unusable coordinates; `where(i, field)` gives the file location of item i's field.
 */
export function checkItems(
  items: readonly RawMissionItem[],
  where: (index: number, field: 'x' | 'y' | 'z' | undefined) => string,
  emptyAt: string,
): MissionFileResult<void> {
  if (items.length === 0) return fileError('MISSION_FILE.EMPTY', emptyAt, 'the mission has no items');
  for (let i = 0; i < items.length; i++) {
    const r = items[i]!;
    const bad = coordinateProblem(r);
    if (bad) return fileError('MISSION_FILE.INVALID_ITEM', where(i, bad.field), `item ${i} (MAV_CMD ${r.command}): ${bad.reason}`);
  }
  return { ok: true, value: undefined };
}
