/**
 * A `.plan` SimpleItem ⇄ a raw mission item, shared by the plan reader and the complex-item
 * expansion (whose stored `Items` are SimpleItems too).
 */
import { z } from 'zod';
import type { RawMissionItem } from '../model.js';

/** A QGC SimpleItem: one MISSION_ITEM (x/y in degrees, params null where unset). */
export const SimpleItemSchema = z.looseObject({
  type: z.literal('SimpleItem'),
  command: z.number().int().min(0).max(65_535),
  frame: z.number().int().min(0).max(255),
  params: z.array(z.number().nullable()).length(7),
  autoContinue: z.boolean(),
  doJumpId: z.number().int().min(0).optional(),
});
export type SimpleItemJson = z.output<typeof SimpleItemSchema>;

/** The keys of `obj` not in `known`, or undefined when there are none. */
export function rest(obj: Record<string, unknown>, known: readonly string[]): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  let any = false;
  for (const [k, v] of Object.entries(obj)) {
    if (known.includes(k)) continue;
    out[k] = v;
    any = true;
  }
  return any ? out : undefined;
}

const num = (v: number | null | undefined) => (v === null || v === undefined ? Number.NaN : v);
const json = (v: number) => (Number.isNaN(v) ? null : v);

/** A SimpleItem (already validated) as a raw item. */
export function simpleToRaw(item: SimpleItemJson, seq: number): RawMissionItem {
  const p = item.params;
  const raw: RawMissionItem = {
    seq,
    frame: item.frame,
    command: item.command,
    current: false,
    autocontinue: item.autoContinue,
    params: [num(p[0]), num(p[1]), num(p[2]), num(p[3])],
    x: num(p[4]),
    y: num(p[5]),
    z: num(p[6]),
  };
  if (item.doJumpId !== undefined) raw.doJumpId = item.doJumpId;
  const extra = rest(item, ['type', 'command', 'frame', 'params', 'autoContinue', 'doJumpId']);
  if (extra) raw.extra = extra;
  return raw;
}

/** A raw item as a SimpleItem (QGC numbers DO_JUMP targets from 1). */
export function rawToSimple(item: RawMissionItem): Record<string, unknown> {
  return {
    ...item.extra,
    type: 'SimpleItem',
    autoContinue: item.autocontinue,
    command: item.command,
    doJumpId: item.doJumpId ?? item.seq + 1,
    frame: item.frame,
    params: [...item.params.map(json), json(item.x), json(item.y), json(item.z)],
  };
}

