/**
 * QGroundControl `.plan` files (JSON, `fileType: "Plan"`, version 1; mission version 2, geofence
 * and rally points version 2) ⇄ the neutral {@link MissionPlan}.
 *
 * @remarks
 * Reading validates the whole file with zod and reports the first problem with its JSON path
 * (`mission.items.3.params: …`); nothing throws. A plan without mission items is
 * MISSION_FILE.EMPTY, an item positioned off the globe (latitude outside ±90°, longitude outside
 * ±180°) MISSION_FILE.INVALID_ITEM naming the item and the reason. SimpleItems map one to one onto raw items
 * (`params` null ⇄ NaN). A ComplexItem is expanded into raw items (see `qgc-survey.ts`) and kept
 * verbatim, so writing the plan back emits the same ComplexItem, not its expansion, unless
 * `expandComplex` is set. Keys we have no field for are carried in `extra`: reading then writing
 * a QGC file gives the same JSON value.
 */
import { z } from 'zod';
import { zodIssues } from '../mission.js';
import { rawToSimple, rest, SimpleItemSchema, simpleToRaw, type SimpleItemJson } from './internal/simple-item.js';
import { checkItems } from './internal/check-items.js';
import { expandComplexItem } from './qgc-survey.js';
import {
  emptyPlan,
  fileError,
  type ComplexItemSource,
  type FenceCircle,
  type FencePolygon,
  type MissionFileResult,
  type MissionPlan,
  type RawMissionItem,
} from './model.js';

const lat = z.number().min(-90).max(90);
const lon = z.number().min(-180).max(180);
const LatLonPair = z.tuple([lat, lon]);

const ComplexItemSchema = z.looseObject({ type: z.literal('ComplexItem'), complexItemType: z.string().min(1) });

const PlanSchema = z.looseObject({
  fileType: z.literal('Plan'),
  version: z.literal(1),
  groundStation: z.string().optional(),
  mission: z.looseObject({
    version: z.literal(2),
    items: z.array(z.discriminatedUnion('type', [SimpleItemSchema, ComplexItemSchema])).max(100_000),
    plannedHomePosition: z.tuple([lat, lon, z.number()]).optional(),
  }),
  geoFence: z
    .looseObject({
      version: z.literal(2),
      polygons: z.array(z.looseObject({ inclusion: z.boolean().optional(), polygon: z.array(LatLonPair).min(3) })).optional(),
      circles: z
        .array(z.looseObject({ inclusion: z.boolean(), circle: z.object({ center: LatLonPair, radius: z.number().positive() }) }))
        .optional(),
    })
    .optional(),
  rallyPoints: z.looseObject({ version: z.literal(2), points: z.array(z.tuple([lat, lon, z.number()])) }).optional(),
});

/** Reads a `.plan` file's text. */
export function parseQgcPlan(text: string): MissionFileResult<MissionPlan> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return fileError('MISSION_FILE.INVALID_JSON', '(root)', `not JSON: ${(err as Error).message}`);
  }
  return readQgcPlan(value);
}

/** Reads an already-parsed `.plan` JSON value. */
export function readQgcPlan(value: unknown): MissionFileResult<MissionPlan> {
  const parsed = PlanSchema.safeParse(value);
  if (!parsed.success) {
    const issues = zodIssues(parsed.error);
    const first = issues[0] ?? { path: '(root)', message: 'invalid plan' };
    return fileError('MISSION_FILE.INVALID_PLAN', first.path, first.message, issues);
  }
  const doc = parsed.data;
  const plan = emptyPlan();
  const mission = doc.mission;
  const jsonIndex: number[] = [];
  for (let i = 0; i < mission.items.length; i++) {
    const item = mission.items[i]!;
    if (item.type === 'SimpleItem') {
      plan.items.push(simpleToRaw(item as SimpleItemJson, plan.items.length));
      jsonIndex.push(i);
      continue;
    }
    const expanded = expandComplexItem(item, `mission.items.${i}`, plan.items.length, plan.complex.length);
    if (!expanded.ok) return expanded;
    const source: ComplexItemSource = { complexItemType: item.complexItemType, json: item };
    plan.complex.push(source);
    plan.items.push(...expanded.value);
    for (const _ of expanded.value) jsonIndex.push(i);
  }
  const PARAM = { x: 4, y: 5, z: 6 } as const;
  const checked = checkItems(
    plan.items,
    (k, field) => {
      const i = jsonIndex[k]!;
      return mission.items[i]!.type === 'SimpleItem' && field ? `mission.items.${i}.params.${PARAM[field]}` : `mission.items.${i}`;
    },
    'mission.items',
  );
  if (!checked.ok) return checked;
  if (mission.plannedHomePosition) {
    const [la, lo, alt] = mission.plannedHomePosition;
    plan.home = { lat_deg: la, lon_deg: lo, alt_m: alt };
  }
  const fence = doc.geoFence;
  if (fence) {
    plan.fence.polygons = (fence.polygons ?? []).map((p): FencePolygon => {
      const out: FencePolygon = { inclusion: p.inclusion ?? true, polygon: p.polygon.map(([a, b]) => ({ lat_deg: a, lon_deg: b })) };
      const extra = rest(p, ['inclusion', 'polygon']);
      if (extra) out.extra = extra;
      return out;
    });
    plan.fence.circles = (fence.circles ?? []).map((c): FenceCircle => {
      const out: FenceCircle = { inclusion: c.inclusion, center: { lat_deg: c.circle.center[0], lon_deg: c.circle.center[1] }, radius_m: c.circle.radius };
      const extra = rest(c, ['inclusion', 'circle']);
      if (extra) out.extra = extra;
      return out;
    });
  }
  plan.rally = (doc.rallyPoints?.points ?? []).map(([a, b, alt]) => ({ lat_deg: a, lon_deg: b, alt_m: alt }));
  const extra: NonNullable<MissionPlan['extra']> = {};
  const top = rest(doc, ['fileType', 'version', 'mission', 'geoFence', 'rallyPoints']);
  const mis = rest(mission, ['version', 'items', 'plannedHomePosition']);
  const geo = fence && rest(fence, ['version', 'polygons', 'circles']);
  const ral = doc.rallyPoints && rest(doc.rallyPoints, ['version', 'points']);
  if (top) extra.plan = top;
  if (mis) extra.mission = mis;
  if (geo) extra.geoFence = geo;
  if (ral) extra.rallyPoints = ral;
  if (Object.keys(extra).length) plan.extra = extra;
  return { ok: true, value: plan };
}

export interface WriteQgcPlanOptions {
  /** Write complex items' expansions as SimpleItems instead of the ComplexItems read. @defaultValue false */
  readonly expandComplex?: boolean;
  /** JSON indentation. @defaultValue 4 (as QGroundControl writes) */
  readonly indent?: number;
}

/** Mission-level defaults QGC needs when the plan did not come from a `.plan` (PX4 multirotor). */
const MISSION_DEFAULTS = { cruiseSpeed: 15, firmwareType: 12, globalPlanAltitudeMode: 1, hoverSpeed: 5, vehicleType: 2 };

/** The `.plan` JSON value for a plan. */
export function toQgcPlanJson(plan: MissionPlan, options: WriteQgcPlanOptions = {}): Record<string, unknown> {
  const items: Record<string, unknown>[] = [];
  const emitted = new Set<number>();
  for (const item of plan.items) {
    const k = item.complex;
    if (k !== undefined && !options.expandComplex && plan.complex[k]) {
      if (!emitted.has(k)) items.push(plan.complex[k].json);
      emitted.add(k);
      continue;
    }
    items.push(rawToSimple(item));
  }
  const home = plan.home ?? firstPosition(plan.items);
  return {
    groundStation: 'OverWatch Twin',
    ...plan.extra?.plan,
    fileType: 'Plan',
    version: 1,
    mission: {
      ...MISSION_DEFAULTS,
      ...plan.extra?.mission,
      version: 2,
      items,
      plannedHomePosition: [home.lat_deg, home.lon_deg, home.alt_m],
    },
    geoFence: {
      ...plan.extra?.geoFence,
      version: 2,
      polygons: plan.fence.polygons.map((p) => ({ version: 1, ...p.extra, inclusion: p.inclusion, polygon: p.polygon.map((v) => [v.lat_deg, v.lon_deg]) })),
      circles: plan.fence.circles.map((c) => ({
        version: 1,
        ...c.extra,
        inclusion: c.inclusion,
        circle: { center: [c.center.lat_deg, c.center.lon_deg], radius: c.radius_m },
      })),
    },
    rallyPoints: { ...plan.extra?.rallyPoints, version: 2, points: plan.rally.map((r) => [r.lat_deg, r.lon_deg, r.alt_m]) },
  };
}

/** Writes a plan as `.plan` text. */
export function writeQgcPlan(plan: MissionPlan, options: WriteQgcPlanOptions = {}): string {
  return JSON.stringify(toQgcPlanJson(plan, options), null, options.indent ?? 4) + '\n';
}

/** QGC insists on a planned home; without one, the first positioned item stands in (alt 0). */
function firstPosition(items: readonly RawMissionItem[]): { lat_deg: number; lon_deg: number; alt_m: number } {
  const it = items.find((i) => i.frame !== 2 && Number.isFinite(i.x) && Number.isFinite(i.y) && (i.x !== 0 || i.y !== 0));
  return it ? { lat_deg: it.x, lon_deg: it.y, alt_m: 0 } : { lat_deg: 0, lon_deg: 0, alt_m: 0 };
}
