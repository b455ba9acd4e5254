/**
 * Mission items as the vehicle port takes them: WGS84 positions, altitudes in metres relative
 * to home (MAVLink's MAV_FRAME_GLOBAL_RELATIVE_ALT), the subset of MAV_CMD a survey drone uses.
 */
import { z } from 'zod';

export const MissionItemSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('takeoff'),
    /** Metres above home. */
    alt_m: z.number().min(1).max(1000),
  }),
  z.object({
    kind: z.literal('waypoint'),
    lat_deg: z.number().min(-90).max(90),
    lon_deg: z.number().min(-180).max(180),
    /** Metres above home. */
    alt_m: z.number().min(0).max(1000),
    /** Seconds to hold at the waypoint once reached. */
    hold_s: z.number().min(0).max(3600).default(0),
    /** Radius (m) within which the waypoint counts as reached. */
    acceptance_m: z.number().positive().max(100).default(2),
    /** Ground speed (m/s) towards this waypoint; absent = the vehicle's cruise speed. */
    speed_mps: z.number().positive().max(50).optional(),
    /** Trigger a camera capture on arrival. */
    capture: z.boolean().default(false),
  }),
  z.object({
    kind: z.literal('land'),
    lat_deg: z.number().min(-90).max(90).optional(),
    lon_deg: z.number().min(-180).max(180).optional(),
  }),
  z.object({ kind: z.literal('rtl') }),
]);

export type MissionItem = z.output<typeof MissionItemSchema>;
export type MissionItemInput = z.input<typeof MissionItemSchema>;

export const MissionSchema = z.object({
  id: z.string().min(1).max(128),
  name: z.string().min(1).max(256),
  vehicle: z.string().min(1).max(128),
  items: z.array(MissionItemSchema).min(1).max(10_000),
});
export type Mission = z.output<typeof MissionSchema>;

/** A field-level reason a mission was rejected. */
export interface FieldIssue {
  readonly path: string;
  readonly message: string;
}

export function zodIssues(error: z.ZodError, prefix = ''): FieldIssue[] {
  return error.issues.map((i) => ({
    path: [prefix, ...i.path.map(String)].filter((s) => s !== '').join('.') || '(root)',
    message: i.message,
  }));
}

export interface MissionLimits {
  readonly maxAlt_m?: number;
  readonly minAlt_m?: number;
  /** A predicate telling whether a lat/lon is inside the fence (absent = no fence). */
  readonly inside?: (lat_deg: number, lon_deg: number) => boolean;
}

/**
 * Validates a mission beyond its shape: things an autopilot would accept but that are not
 * flyable (PX4 accepts a waypoint at 0,0). Returns field-level reasons; empty means valid.
 */
export function checkMission(input: unknown, limits: MissionLimits = {}): { mission?: Mission; issues: FieldIssue[] } {
  const parsed = MissionSchema.safeParse(input);
  if (!parsed.success) return { issues: zodIssues(parsed.error) };
  const mission = parsed.data;
  const issues: FieldIssue[] = [];
  mission.items.forEach((item, i) => {
    if (item.kind !== 'waypoint') return;
    const at = `items.${i}`;
    if (item.lat_deg === 0 && item.lon_deg === 0) issues.push({ path: at, message: 'waypoint at 0,0 (unset position)' });
    if (limits.maxAlt_m !== undefined && item.alt_m > limits.maxAlt_m)
      issues.push({ path: `${at}.alt_m`, message: `altitude ${item.alt_m} m above the limit ${limits.maxAlt_m} m` });
    if (limits.minAlt_m !== undefined && item.alt_m < limits.minAlt_m)
      issues.push({ path: `${at}.alt_m`, message: `altitude ${item.alt_m} m below the limit ${limits.minAlt_m} m` });
    if (limits.inside && !limits.inside(item.lat_deg, item.lon_deg))
      issues.push({ path: at, message: 'waypoint outside the geofence' });
  });
  return issues.length ? { issues } : { mission, issues };
}
