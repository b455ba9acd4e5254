/**
 * The region generated missions must stay in: a scenario world's geofence (inclusion polygon,
 * ceiling, no-fly exclusions) in local metres, or, for a world without a fence, a box around the
 * vehicles' homes and the base missions.
 */
import { LocalFrame, type LocalXY } from '../../core/geo.js';
import { Geofence } from '../../core/planning/index.js';
import { DEFAULT_HOME } from '../../actors/scenario/backends.js';
import { toLocal } from '../../actors/scenario/mission-builder.js';
import type { MissionSpec, Scenario } from '../../actors/scenario/scenario.schema.js';

export interface WorldBounds {
  /** The fence in the world frame (metres from the origin), when the world has one. */
  readonly fence?: Geofence;
  /** Integer search box (m) that contains every allowed point. */
  readonly box: { readonly minN: number; readonly maxN: number; readonly minE: number; readonly maxE: number };
  /** Highest altitude a mission may use (m above home). */
  readonly maxAlt_m: number;
  /** Where the vehicles stand (their spawns). */
  readonly homes: readonly LocalXY[];
  /** Whether `p` is allowed with at least `margin_m` to spare. */
  inside(p: LocalXY, margin_m?: number): boolean;
}

/** Half-width (m) of the box around homes and base missions when the world has no fence. */
const UNFENCED_MARGIN_M = 200;
/** Ceiling used when the world declares none (m above home; the usual 120 m rule). */
const DEFAULT_CEILING_M = 120;

/** The world frame the runner will use: the scenario origin, or the simulator's default home. */
export function worldFrame(scenario: Pick<Scenario, 'world' | 'vehicles'>): LocalFrame {
  const o = scenario.world.origin;
  if (o !== 'home') return new LocalFrame({ lat_deg: o.lat, lon_deg: o.lon, alt_m: o.alt });
  // As the simulator backend does: a first mission planned elsewhere (a .plan) moves home there.
  const m = scenario.vehicles[0]?.mission;
  const planned = m?.type === 'items' ? m.home : undefined;
  return new LocalFrame(planned ? { lat_deg: planned.lat, lon_deg: planned.lon, alt_m: planned.alt } : DEFAULT_HOME);
}

function missionPoints(frame: LocalFrame, m: MissionSpec): LocalXY[] {
  switch (m.type) {
    case 'waypoints':
      return m.waypoints.map((w) => toLocal(frame, w));
    case 'survey':
      return m.polygon.map((p) => toLocal(frame, p));
    case 'orbit': {
      const c = toLocal(frame, m.center);
      return [
        { north_m: c.north_m - m.radius_m, east_m: c.east_m - m.radius_m },
        { north_m: c.north_m + m.radius_m, east_m: c.east_m + m.radius_m },
      ];
    }
    case 'items':
      return m.items.flatMap((it) => ('lat_deg' in it && it.lat_deg !== undefined && it.lon_deg !== undefined ? [frame.toLocal(it.lat_deg, it.lon_deg)] : []));
    default:
      return [];
  }
}

/** Bounds of a scenario's world (fence, ceiling, exclusions), in the frame its run will use. */
export function worldBounds(scenario: Pick<Scenario, 'world' | 'vehicles'>): WorldBounds {
  const frame = worldFrame(scenario);
  const g = scenario.world.geofence;
  const homes = scenario.vehicles.map((v) => ({ north_m: v.spawn.north, east_m: v.spawn.east }));
  const fence =
    g && (g.polygon || g.exclusions.length > 0 || g.max_alt)
      ? new Geofence({
          polygon: g.polygon?.map((p) => toLocal(frame, p)),
          max_alt_m: g.max_alt,
          exclusions: g.exclusions.map((poly) => poly.map((p) => toLocal(frame, p))),
        })
      : undefined;
  let pts: LocalXY[];
  let pad = 0;
  if (g?.polygon) pts = g.polygon.map((p) => toLocal(frame, p));
  else {
    pts = [...homes, ...scenario.vehicles.flatMap((v) => (v.mission ? missionPoints(frame, v.mission) : []))];
    pad = UNFENCED_MARGIN_M;
  }
  const box = {
    minN: Math.floor(Math.min(...pts.map((p) => p.north_m)) - pad),
    maxN: Math.ceil(Math.max(...pts.map((p) => p.north_m)) + pad),
    minE: Math.floor(Math.min(...pts.map((p) => p.east_m)) - pad),
    maxE: Math.ceil(Math.max(...pts.map((p) => p.east_m)) + pad),
  };
  return {
    fence,
    box,
    maxAlt_m: g?.max_alt ?? DEFAULT_CEILING_M,
    homes,
    inside(p, margin_m = 0) {
      if (p.north_m < box.minN || p.north_m > box.maxN || p.east_m < box.minE || p.east_m > box.maxE) return false;
      return fence ? fence.distanceToBoundary_m({ north_m: p.north_m, east_m: p.east_m }) >= margin_m : true;
    },
  };
}
