/**
 * Expansion of a `.plan` ComplexItem into raw mission items.
 *
 * @remarks
 * QGroundControl stores, next to a survey's polygon and camera settings, the items it generated
 * (`TransectStyleComplexItem.Items`): when present they are used as they are, since they are
 * exactly what QGC would upload. Without them (a hand-written or trimmed file), a `survey` is
 * regenerated with our own planner ({@link planSurvey}) from the polygon, the camera
 * (`CameraCalc`), the overlaps, the grid angle and the turnaround distance: the lines are ours,
 * not QGC's, but cover the same area at the same spacing. Camera triggering is a
 * DO_SET_CAM_TRIGG_DIST before the first capture and another (distance 0) after the last.
 */
import { z } from 'zod';
import { LocalFrame } from '../geo.js';
import { zodIssues } from '../mission.js';
import { planSurvey } from '../planning/survey.js';
import { fileError, MAV_CMD, MAV_FRAME, rawItem, type MissionFileResult, type RawMissionItem } from './model.js';
import { SimpleItemSchema, simpleToRaw } from './internal/simple-item.js';

const StoredItems = z.looseObject({
  TransectStyleComplexItem: z.looseObject({ Items: z.array(SimpleItemSchema).min(1) }),
});

const positive = z.number().positive();
const percent = z.number().min(0).max(95);

const RegenerableSurvey = z.looseObject({
  complexItemType: z.literal('survey'),
  angle: z.number().finite(),
  polygon: z.array(z.tuple([z.number().min(-90).max(90), z.number().min(-180).max(180)])).min(3),
  TransectStyleComplexItem: z.looseObject({
    TurnAroundDistance: z.number().min(0).optional(),
    CameraCalc: z.looseObject({
      SensorWidth: positive,
      SensorHeight: positive,
      FocalLength: positive,
      ImageWidth: positive,
      ImageHeight: positive,
      Landscape: z.boolean().optional(),
      FrontalOverlap: percent,
      SideOverlap: percent,
      DistanceToSurface: positive,
      DistanceToSurfaceRelative: z.literal(true, { message: 'only altitudes relative to home can be regenerated' }).optional(),
    }),
  }),
});

/**
 * The raw items of a ComplexItem, numbered from `seq0` and tagged with `complexIndex`.
 *
 * @param path - the item's JSON path, for error messages (`mission.items.3`).
 */
export function expandComplexItem(
  item: Record<string, unknown> & { complexItemType: string },
  path: string,
  seq0: number,
  complexIndex: number,
): MissionFileResult<RawMissionItem[]> {
  const tag = (items: RawMissionItem[]) => items.map((it, i) => ({ ...it, seq: seq0 + i, complex: complexIndex }));
  const transect = item['TransectStyleComplexItem'] as { Items?: unknown } | undefined;
  if (transect && typeof transect === 'object' && transect.Items !== undefined && !(Array.isArray(transect.Items) && transect.Items.length === 0)) {
    const stored = StoredItems.safeParse(item);
    if (!stored.success) return invalid(stored.error, path);
    return { ok: true, value: tag(stored.data.TransectStyleComplexItem.Items.map((s, i) => simpleToRaw(s, i))) };
  }
  if (item.complexItemType !== 'survey') {
    return fileError('MISSION_FILE.UNSUPPORTED', `${path}.complexItemType`, `"${item.complexItemType}" without stored Items cannot be expanded (only "survey" can be regenerated)`);
  }
  const survey = RegenerableSurvey.safeParse(item);
  if (!survey.success) return invalid(survey.error, path, 'MISSION_FILE.UNSUPPORTED', ' (no stored Items: the survey must be regenerated from its camera and polygon)');
  const regenerated = regenerate(survey.data, path);
  return regenerated.ok ? { ok: true, value: tag(regenerated.value) } : regenerated;
}

function invalid(error: z.ZodError, path: string, code: 'MISSION_FILE.INVALID_PLAN' | 'MISSION_FILE.UNSUPPORTED' = 'MISSION_FILE.INVALID_PLAN', why = ''): MissionFileResult<never> {
  const issues = zodIssues(error, path);
  const first = issues[0] ?? { path, message: 'invalid complex item' };
  return fileError(code, first.path, first.message + why, issues);
}

function regenerate(s: z.output<typeof RegenerableSurvey>, path: string): MissionFileResult<RawMissionItem[]> {
  const cam = s.TransectStyleComplexItem.CameraCalc;
  // planSurvey assumes a landscape mount (sensor width across track); a portrait camera swaps axes.
  const portrait = cam.Landscape === false;
  const camera = {
    sensor_width_mm: portrait ? cam.SensorHeight : cam.SensorWidth,
    sensor_height_mm: portrait ? cam.SensorWidth : cam.SensorHeight,
    focal_length_mm: cam.FocalLength,
    image_width_px: portrait ? cam.ImageHeight : cam.ImageWidth,
    image_height_px: portrait ? cam.ImageWidth : cam.ImageHeight,
  };
  const [la0, lo0] = s.polygon[0]!;
  const frame = new LocalFrame({ lat_deg: la0, lon_deg: lo0, alt_m: 0 });
  const polygon = s.polygon.map(([la, lo]) => frame.toLocal(la, lo));
  let plan: ReturnType<typeof planSurvey>;
  try {
    plan = planSurvey({
      polygon,
      alt_m: cam.DistanceToSurface,
      camera,
      front_overlap: cam.FrontalOverlap / 100,
      side_overlap: cam.SideOverlap / 100,
      angle_deg: s.angle,
      turnaround_m: s.TransectStyleComplexItem.TurnAroundDistance ?? 0,
    });
  } catch (err) {
    // The planner rejects what it cannot fly (self-intersecting polygon, too many waypoints):
    // that is the file's problem, reported at the survey's path.
    return fileError('MISSION_FILE.UNSUPPORTED', `${path}.polygon`, `survey cannot be regenerated: ${(err as Error).message}`);
  }
  const items: RawMissionItem[] = [];
  const captures = plan.waypoints.map((w) => w.capture);
  const first = captures.indexOf(true);
  const last = captures.lastIndexOf(true);
  const trigger = (distance_m: number) =>
    rawItem(MAV_CMD.DO_SET_CAM_TRIGG_DIST, { frame: MAV_FRAME.MISSION, params: [distance_m, 0, distance_m > 0 ? 1 : 0, 0] });
  plan.waypoints.forEach((w, i) => {
    const { lat_deg, lon_deg } = frame.toLatLon(w.north_m, w.east_m);
    items.push(rawItem(MAV_CMD.NAV_WAYPOINT, { params: [0, 0, 0, Number.NaN], x: lat_deg, y: lon_deg, z: w.alt_m }));
    if (i === first) items.push(trigger(plan.trigger_distance_m));
    if (i === last) items.push(trigger(0));
  });
  return { ok: true, value: items };
}
