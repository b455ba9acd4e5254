/**
 * Request bodies, validated with zod at the edge (STYLE: zod at the infrastructure edge).
 * The same schemas render the OpenAPI document (`z.toJSONSchema`), so docs and checks agree.
 */
import { z } from 'zod';
import type { Waypoint } from '../storage/missions.repository.js';
import { ROLES } from '../storage/users.repository.js';

const lat = z.number().min(-90).max(90);
const lon = z.number().min(-180).max(180);
/** Metres from the twin's world origin (local NED). */
const local = z.number().min(-100_000).max(100_000);
/** Metres above home. */
const alt = z.number().min(0).max(1000);

/** Exactly one of lat/lon or north/east, both halves present; reasons name the field. */
function onePosition(v: { lat?: number; lon?: number; north?: number; east?: number }, ctx: z.RefinementCtx): void {
  const geo = v.lat !== undefined || v.lon !== undefined;
  const ned = v.north !== undefined || v.east !== undefined;
  if (geo && ned) ctx.addIssue({ code: 'custom', path: ['north'], message: 'give lat/lon or north/east, not both' });
  else if (geo) {
    if (v.lat === undefined) ctx.addIssue({ code: 'custom', path: ['lat'], message: 'lat is required with lon' });
    if (v.lon === undefined) ctx.addIssue({ code: 'custom', path: ['lon'], message: 'lon is required with lat' });
  } else if (ned) {
    if (v.north === undefined) ctx.addIssue({ code: 'custom', path: ['north'], message: 'north is required with east' });
    if (v.east === undefined) ctx.addIssue({ code: 'custom', path: ['east'], message: 'east is required with north' });
  } else ctx.addIssue({ code: 'custom', path: ['lat'], message: 'a position is required: lat/lon or north/east' });
}

export const WaypointBody = z
  .strictObject({
    lat: lat.optional(),
    lon: lon.optional(),
    north: local.optional(),
    east: local.optional(),
    alt,
    hold_s: z.number().min(0).max(3600).optional(),
    speed_mps: z.number().positive().max(50).optional(),
    acceptance_m: z.number().positive().max(100).optional(),
    capture: z.boolean().optional(),
  })
  .superRefine(onePosition)
  // The refinement guarantees one of the two position shapes.
  .transform((w) => w as Waypoint)
  .meta({ description: 'A waypoint: WGS84 `lat`/`lon` (deg) or local `north`/`east` (m from the world origin); `alt` m above home' });

export const MissionParametersBody = z
  .looseObject({
    takeoff_alt: z.number().min(1).max(1000).optional().meta({ description: 'Takeoff altitude, m above home (default: first waypoint)' }),
    speed_mps: z.number().positive().max(50).optional().meta({ description: 'Cruise speed for every leg' }),
    end: z.enum(['rtl', 'land', 'hold']).optional().meta({ description: 'What the vehicle does after the last waypoint (default rtl)' }),
  })
  .meta({ description: 'Mission parameters; unknown keys are kept as given' });

export const MissionBody = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and -, at most 64').optional(),
  name: z.string().min(1).max(256),
  description: z.string().max(4096).default(''),
  waypoints: z.array(WaypointBody).min(1).max(10_000),
  parameters: MissionParametersBody.default({}),
});
export type MissionBody = z.output<typeof MissionBody>;

/** PUT replaces the editable fields; the id is the path's. */
export const MissionUpdateBody = MissionBody.omit({ id: true });

export const LoadBody = z.strictObject({ vehicle: z.string().min(1).max(128) });

const position = { lat: lat.optional(), lon: lon.optional(), north: local.optional(), east: local.optional() };
export const CommandBody = z.discriminatedUnion('command', [
  z.strictObject({ command: z.literal('arm') }),
  z.strictObject({ command: z.literal('disarm') }),
  z.strictObject({ command: z.literal('takeoff'), alt: z.number().min(1).max(1000).optional() }),
  z.strictObject({ command: z.literal('land') }),
  z.strictObject({ command: z.literal('rtl') }),
  z.strictObject({ command: z.literal('hold') }),
  z.strictObject({ command: z.literal('goto'), ...position, alt }).superRefine(onePosition),
]);
export type CommandBody = z.output<typeof CommandBody>;

export const MissionActionBody = z.strictObject({ reason: z.string().max(512).optional() });

export const UserBody = z.strictObject({
  username: z.string().regex(/^[a-z][a-z0-9_.-]{0,63}$/, 'lower-case letters, digits, _ . -; starts with a letter (max 64)'),
  password: z.string().min(8).max(256),
  role: z.enum(ROLES),
});

export const TokenForm = z.object({
  grant_type: z.literal('password').optional(),
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(256),
  scope: z.string().optional(),
});

export const Paging = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

/** JSON Schema (OpenAPI 3.0 dialect) of a body schema, for the docs only. */
export const docSchema = (schema: z.ZodType): Record<string, unknown> =>
  z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
