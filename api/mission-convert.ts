/**
 * The stored OverWatch mission (waypoints + parameters) → the runtime's mission items for one
 * vehicle: takeoff, the waypoints (local ones placed with the twin's world frame), then the
 * configured end (RTL by default).
 */
import type { LocalFrame } from '../core/geo.js';
import { checkMission, type FieldIssue, type Mission, type MissionItemInput } from '../core/mission.js';
import type { MissionRecord, Waypoint } from '../storage/missions.repository.js';

export interface Converted {
  readonly mission?: Mission;
  readonly issues: FieldIssue[];
}

export function toTwinMission(record: MissionRecord, vehicle: string, frame: () => LocalFrame): Converted {
  const params = record.parameters as { takeoff_alt?: number; speed_mps?: number; end?: 'rtl' | 'land' | 'hold' };
  const first = record.waypoints[0];
  const items: MissionItemInput[] = [{ kind: 'takeoff', alt_m: params.takeoff_alt ?? Math.max(1, first?.alt ?? 10) }];
  for (const w of record.waypoints) {
    const { lat_deg, lon_deg } = position(w, frame);
    items.push({
      kind: 'waypoint',
      lat_deg,
      lon_deg,
      alt_m: w.alt,
      ...(w.hold_s !== undefined ? { hold_s: w.hold_s } : {}),
      ...(w.acceptance_m !== undefined ? { acceptance_m: w.acceptance_m } : {}),
      ...((w.speed_mps ?? params.speed_mps) !== undefined ? { speed_mps: w.speed_mps ?? params.speed_mps } : {}),
      ...(w.capture !== undefined ? { capture: w.capture } : {}),
    });
  }
  const end = params.end ?? 'rtl';
  if (end === 'rtl') items.push({ kind: 'rtl' });
  else if (end === 'land') items.push({ kind: 'land' });
  const { mission, issues } = checkMission({ id: record.id, name: record.name, vehicle, items });
  // Name the stored field, not the generated item: items.1 is waypoints.0.
  const n = record.waypoints.length;
  return {
    mission,
    issues: issues.map((i) => {
      const m = /^items\.(\d+)(.*)$/.exec(i.path);
      const k = m ? Number(m[1]) - 1 : -1;
      return m && k >= 0 && k < n ? { path: `waypoints.${k}${m[2]!.replace('lat_deg', 'lat').replace('lon_deg', 'lon').replace('alt_m', 'alt')}`, message: i.message } : i;
    }),
  };
}

function position(w: Waypoint, frame: () => LocalFrame): { lat_deg: number; lon_deg: number } {
  if ('lat' in w) return { lat_deg: w.lat, lon_deg: w.lon };
  return frame().toLatLon(w.north, w.east);
}
