/**
 * The libevents metadata format (mavlink/libevents `validation/schema.json`; PX4 builds it as
 * `all_events.json.xz`): components by id, each with a namespace, enums, event groups and, for
 * PX4, the navigation-mode groups used by the health-and-arming-check protocol.
 *
 * @remarks
 * Validated with zod at the edge (it comes off the vehicle); unknown keys are kept out of the
 * way, not rejected, so newer PX4 metadata still loads. An event id is the component id in
 * the top byte and the event's 24-bit sub-id (PX4: FNV-1a of the event name) below.
 */
import { z } from 'zod';
import { fail, ok, type Result } from '../../../../core/result.js';

export const BASE_TYPES = {
  uint8_t: 1, int8_t: 1, uint16_t: 2, int16_t: 2, uint32_t: 4, int32_t: 4, uint64_t: 8, int64_t: 8, float: 4,
} as const;
export type BaseType = keyof typeof BASE_TYPES;
const BaseTypeSchema = z.enum(Object.keys(BASE_TYPES) as [BaseType, ...BaseType[]]);

const ArgumentSchema = z.object({ type: z.string().min(1), name: z.string().optional(), description: z.string().optional() });
const EventSchema = z.object({
  name: z.string().min(1),
  message: z.string(),
  description: z.string().optional(),
  /** `summary` (health/arming reports), `append_health_and_arming_messages`, or absent. */
  type: z.string().optional(),
  arguments: z.array(ArgumentSchema).max(40).optional(),
});
const EnumEntrySchema = z.object({ name: z.string(), description: z.string().optional() });
const EnumSchema = z.object({
  type: BaseTypeSchema.refine((t) => t !== 'float', 'an enum needs an integer type'),
  description: z.string().optional(),
  is_bitfield: z.boolean().optional(),
  separator: z.string().optional(),
  entries: z.record(z.string().regex(/^\d+$/), EnumEntrySchema),
});
const ComponentSchema = z.object({
  namespace: z.string().min(1),
  enums: z.record(z.string(), EnumSchema).optional(),
  event_groups: z.record(z.string(), z.object({ events: z.record(z.string().regex(/^\d+$/), EventSchema).optional() })).optional(),
  navigation_mode_groups: z.object({ groups: z.record(z.string().regex(/^\d+$/), z.array(z.number().int())) }).optional(),
  supported_protocols: z.array(z.string()).optional(),
});
export const EventsMetadataSchema = z.object({
  version: z.number().int().min(1),
  components: z.record(z.string().regex(/^\d+$/), ComponentSchema),
});

export type EventDef = z.infer<typeof EventSchema>;
export type EnumDef = z.infer<typeof EnumSchema>;
export type EventsMetadataJson = z.infer<typeof EventsMetadataSchema>;

/** One event definition with where it lives. */
export interface EventInfo {
  readonly id: number;
  readonly def: EventDef;
  readonly group: string;
  readonly namespace: string;
}

/** A parsed, indexed metadata file. */
export class EventsMetadata {
  private readonly events = new Map<number, EventInfo>();
  private readonly enums = new Map<string, EnumDef>();
  /** PX4 custom mode (u32) → navigation mode group index. */
  private readonly modeGroup = new Map<number, number>();

  constructor(readonly json: EventsMetadataJson) {
    for (const [cid, comp] of Object.entries(json.components)) {
      const compId = Number(cid) & 0xff;
      for (const [name, e] of Object.entries(comp.enums ?? {})) this.enums.set(`${comp.namespace}::${name}`, e);
      for (const [group, g] of Object.entries(comp.event_groups ?? {})) {
        for (const [sub, def] of Object.entries(g.events ?? {})) {
          const id = ((compId << 24) | (Number(sub) & 0xffffff)) >>> 0;
          this.events.set(id, { id, def, group, namespace: comp.namespace });
        }
      }
      for (const [idx, modes] of Object.entries(comp.navigation_mode_groups?.groups ?? {}))
        for (const m of modes) this.modeGroup.set(m >>> 0, Number(idx));
    }
  }

  get eventCount(): number {
    return this.events.size;
  }

  event(id: number): EventInfo | undefined {
    return this.events.get(id >>> 0);
  }

  /** An enum by argument type: `px4::navigation_mode_t`, or `navigation_mode_t` in `namespace`. */
  enumFor(type: string, namespace: string): EnumDef | undefined {
    return this.enums.get(type.includes('::') ? type : `${namespace}::${type}`);
  }

  /** The navigation-mode group a PX4 custom mode belongs to (health/arming reports), if listed. */
  modeGroupOf(customMode: number): number | undefined {
    return this.modeGroup.get(customMode >>> 0);
  }

  /** The id of an event by name (first match), for tests and the SITL. */
  idOf(name: string): number | undefined {
    for (const [id, e] of this.events) if (e.def.name === name) return id;
    return undefined;
  }
}

export type MetadataErrorCode = 'METADATA.INVALID';

/** Parses metadata JSON text (or an already-parsed value). */
export function parseEventsMetadata(input: string | unknown): Result<EventsMetadata, MetadataErrorCode> {
  let value: unknown = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (err) {
      return fail('METADATA.INVALID', `events metadata is not JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const r = EventsMetadataSchema.safeParse(value);
  if (!r.success) {
    const issues = r.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    return fail('METADATA.INVALID', `events metadata rejected: ${issues}`, { context: { issues: r.error.issues.length } });
  }
  return ok(new EventsMetadata(r.data));
}

/** PX4's event id for a name: FNV-1a 32 of the name, low 24 bits, component id on top. */
export function px4EventId(name: string, componentId = 1): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return (((componentId & 0xff) << 24) | ((h >>> 0) & 0xffffff)) >>> 0;
}
