/**
 * Request and response schemas (zod), given to Fastify through fastify-type-provider-zod: one
 * schema validates the request (422 with field reasons), types the handler, filters the
 * response (keys not in the schema are not sent) and renders the OpenAPI document.
 *
 * @remarks
 * Request schemas may transform (defaults); response schemas must not (the serializer encodes
 * with zod, and a transform has no inverse).
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

/** How deep free-form JSON (mission `parameters`) may nest, and how large it may be (UTF-8 bytes). */
export const PARAMETERS_MAX_DEPTH = 8;
export const PARAMETERS_MAX_BYTES = 16 * 1024;

/** Nesting depth of a JSON value (a scalar is 0), stopping once past `limit` (so a deep value costs little). */
export function jsonDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d + 1 > deepest) deepest = d + 1;
    if (deepest > limit) return deepest;
    for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return deepest;
}

export const MissionParametersBody = z
  .looseObject({
    takeoff_alt: z.number().min(1).max(1000).optional().meta({ description: 'Takeoff altitude, m above home (default: first waypoint)' }),
    speed_mps: z.number().positive().max(50).optional().meta({ description: 'Cruise speed for every leg' }),
    end: z.enum(['rtl', 'land', 'hold']).optional().meta({ description: 'What the vehicle does after the last waypoint (default rtl)' }),
  })
  .superRefine((v, ctx) => {
    if (jsonDepth(v, PARAMETERS_MAX_DEPTH) > PARAMETERS_MAX_DEPTH)
      return void ctx.addIssue({ code: 'custom', message: `nested deeper than ${PARAMETERS_MAX_DEPTH} levels` });
    if (Buffer.byteLength(JSON.stringify(v)) > PARAMETERS_MAX_BYTES) ctx.addIssue({ code: 'custom', message: `larger than ${PARAMETERS_MAX_BYTES} bytes as JSON` });
  })
  .meta({ description: `Mission parameters; unknown keys are kept as given (at most ${PARAMETERS_MAX_DEPTH} levels deep, ${PARAMETERS_MAX_BYTES} bytes)` });

/**
 * Most waypoints a mission may have: loading adds a takeoff and an end item, and the runtime
 * takes at most 10,000 items.
 */
export const MAX_WAYPOINTS = 10_000 - 2;

export const MissionBody = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and -, at most 64').optional(),
  name: z.string().min(1).max(256),
  description: z.string().max(4096).default(''),
  waypoints: z.array(WaypointBody).min(1).max(MAX_WAYPOINTS),
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

export const UserUpdateBody = z
  .strictObject({ password: z.string().min(8).max(256).optional(), role: z.enum(ROLES).optional() })
  .refine((b) => b.password !== undefined || b.role !== undefined, { message: 'give a new password, a new role, or both' });

export const UsernameParam = z.strictObject({ username: z.string().min(1).max(64) });

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

export const IdParam = z.strictObject({ id: z.string().min(1).max(256) });

// ---- responses (no transforms: they are encoded, see @remarks) ----

export const FieldIssueSchema = z.object({ path: z.string(), message: z.string() });
export const ErrorResponse = z
  .object({ error: z.object({ code: z.string(), message: z.string(), issues: z.array(FieldIssueSchema).optional() }), correlation_id: z.string() })
  .meta({ description: 'Every non-2xx answer' });

export const TokenResponse = z.object({ access_token: z.string(), token_type: z.literal('bearer'), expires_in: z.number().int() });

export const PublicUserSchema = z.object({ username: z.string(), role: z.enum(ROLES), created_at: z.string() });

const WaypointOut = z.object({
  lat: z.number().optional(),
  lon: z.number().optional(),
  north: z.number().optional(),
  east: z.number().optional(),
  alt: z.number(),
  hold_s: z.number().optional(),
  speed_mps: z.number().optional(),
  acceptance_m: z.number().optional(),
  capture: z.boolean().optional(),
});
export const MissionRecordSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  waypoints: z.array(WaypointOut).readonly(),
  parameters: z.record(z.string(), z.unknown()).readonly(),
});

/** The error answers a route may give, keyed by status. */
export function errorResponses(...codes: number[]): Record<number, typeof ErrorResponse> {
  return Object.fromEntries(codes.map((c) => [c, ErrorResponse]));
}

export const RunSummarySchema = z.object({
  id: z.string(),
  scenario: z.string(),
  file: z.string().nullable(),
  passed: z.boolean(),
  seed: z.number(),
  simulated_s: z.number(),
  wall_s: z.number().nullable(),
  event_log_sha256: z.string(),
  events: z.number(),
  created_at: z.string(),
});
export const RunRecordSchema = RunSummarySchema.extend({ report: z.looseObject({}) });

export const StoredEntrySchema = z.object({
  run_id: z.string(),
  seq: z.number(),
  t_ms: z.number(),
  source: z.string(),
  type: z.string(),
  data: z.unknown().optional(),
  cid: z.string().optional(),
});

export const VehicleViewSchema = z.object({
  id: z.string(),
  state: z.string(),
  mode: z.string(),
  armed: z.boolean(),
  landed: z.string(),
  link: z.boolean(),
  battery: z.object({ remaining_pct: z.number(), voltage_v: z.number() }).nullable(),
  position: z.object({ lat: z.number(), lon: z.number(), alt: z.number(), alt_rel: z.number(), north: z.number(), east: z.number() }).nullable(),
  mission: z.record(z.string(), z.unknown()).readonly(),
});
