/**
 * Turns a scenario's mission specs into port missions (WGS84 items) in a given world frame,
 * and its geofence into a {@link Geofence}.
 *
 * @remarks
 * Runs after the twin has started, because with `origin: home` the frame is only known once a
 * vehicle has reported its home. Planning errors (a self-intersecting survey polygon…) come
 * back as scenario issues with the path of the offending field.
 */
import type { LocalFrame, LocalXY } from '../../core/geo.js';
import type { Mission, MissionItemInput } from '../../core/mission.js';
import { MissionSchema } from '../../core/mission.js';
import { Geofence, planOrbit, planSurvey, PlanningInputError } from '../../core/planning/index.js';
import { fail, ok, type Result } from '../../core/result.js';
import type { MissionLimitsData } from '../../machines/mission.machine.js';
import type { MissionSpec, PointSpec, Scenario } from './scenario.schema.js';

export function toLocal(frame: LocalFrame, p: PointSpec): LocalXY {
  return 'north' in p ? { north_m: p.north, east_m: p.east } : frame.toLocal(p.lat, p.lon);
}

export interface BuiltMission {
  readonly mission: Mission;
  /** Items that trigger the camera (the `captures` expectation counts against this). */
  readonly plannedCaptures: number;
}

export function buildMission(
  frame: LocalFrame,
  vehicleId: string,
  spec: MissionSpec,
  path: string,
): Result<BuiltMission, 'SCENARIO.INVALID'> {
  if (spec.type === 'plan') return fail('SCENARIO.INVALID', `${path}: plan files are read by loadScenarioFile (got '${spec.file}')`);
  if (spec.type === 'items') {
    const parsed = MissionSchema.safeParse({ id: `${vehicleId}-plan`, name: spec.name ?? `${vehicleId} plan`, vehicle: vehicleId, items: spec.items });
    if (!parsed.success) return fail('SCENARIO.INVALID', `${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    return ok({ mission: parsed.data, plannedCaptures: parsed.data.items.filter((i) => i.kind === 'waypoint' && i.capture).length });
  }
  let points: { north_m: number; east_m: number; alt_m: number; hold_s?: number; speed_mps?: number; capture?: boolean }[];
  try {
    switch (spec.type) {
      case 'waypoints':
        points = spec.waypoints.map((w) => ({ ...toLocal(frame, w), alt_m: w.alt, hold_s: w.hold_s, speed_mps: w.speed_mps, capture: w.capture }));
        break;
      case 'survey':
        points = planSurvey({
          polygon: spec.polygon.map((p) => toLocal(frame, p)),
          alt_m: spec.alt,
          camera: spec.camera,
          front_overlap: spec.front_overlap,
          side_overlap: spec.side_overlap,
          angle_deg: spec.angle_deg,
        }).waypoints;
        break;
      case 'orbit':
        points = planOrbit({ center: toLocal(frame, spec.center), radius_m: spec.radius_m, alt_m: spec.alt, turns: spec.turns, clockwise: spec.clockwise });
        break;
    }
  } catch (error) {
    if (error instanceof PlanningInputError) return fail('SCENARIO.INVALID', `${path}: ${error.message}`, { cause: error });
    throw error;
  }
  const items: MissionItemInput[] = points.map((p) => {
    const { lat_deg, lon_deg } = frame.toLatLon(p.north_m, p.east_m);
    return {
      kind: 'waypoint',
      lat_deg,
      lon_deg,
      alt_m: p.alt_m,
      ...(p.hold_s ? { hold_s: p.hold_s } : {}),
      ...(p.speed_mps ?? spec.speed_mps ? { speed_mps: p.speed_mps ?? spec.speed_mps } : {}),
      ...(p.capture ? { capture: true } : {}),
    };
  });
  if (spec.end === 'rtl') items.push({ kind: 'rtl' });
  else if (spec.end === 'land') items.push({ kind: 'land' });
  const parsed = MissionSchema.safeParse({ id: `${vehicleId}-${spec.type}`, name: spec.name ?? `${vehicleId} ${spec.type}`, vehicle: vehicleId, items });
  if (!parsed.success) return fail('SCENARIO.INVALID', `${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return ok({ mission: parsed.data, plannedCaptures: points.filter((p) => p.capture).length });
}

export function buildGeofence(frame: LocalFrame, scenario: Scenario): Result<Geofence | undefined, 'SCENARIO.INVALID'> {
  const g = scenario.world.geofence;
  if (!g) return ok(undefined);
  try {
    return ok(
      new Geofence({
        polygon: g.polygon?.map((p) => toLocal(frame, p)),
        max_alt_m: g.max_alt,
        exclusions: g.exclusions.map((poly) => poly.map((p) => toLocal(frame, p))),
      }),
    );
  } catch (error) {
    if (error instanceof PlanningInputError) return fail('SCENARIO.INVALID', `world.geofence: ${error.message}`, { cause: error });
    throw error;
  }
}

/** The mission machine's LOAD-time limits: the fence polygon in WGS84 and its ceiling. */
export function missionLimits(frame: LocalFrame, scenario: Scenario): MissionLimitsData {
  const g = scenario.world.geofence;
  if (!g) return {};
  return {
    maxAlt_m: g.max_alt,
    fence: g.polygon?.map((p) => {
      const l = toLocal(frame, p);
      return frame.toLatLon(l.north_m, l.east_m);
    }),
  };
}
