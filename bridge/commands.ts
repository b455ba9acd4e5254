/**
 * Operator commands as they arrive over the bridge: service arguments and `/<vehicle>/cmd`
 * messages → the twin's {@link VehicleCommand}, validated with zod.
 *
 * @remarks
 * Pure. Accepts the shapes roslibjs apps already send to MAVROS-like services (`{value: bool}`
 * for arming as `mavros_msgs/CommandBool`, `{data: bool}` as `std_srvs/SetBool`, `{altitude}`
 * for takeoff as `mavros_msgs/CommandTOL`) besides our own `{alt_m}`.
 */
import { z } from 'zod';
import type { VehicleCommand } from '../machines/vehicle.machine.js';
import { fail, ok, type Result } from '../core/result.js';

/** Per-vehicle command services: `/<vehicle>/<name>`. */
export const COMMAND_SERVICES = ['arm', 'disarm', 'takeoff', 'land', 'rtl', 'hold'] as const;
export type CommandService = (typeof COMMAND_SERVICES)[number];

const Args = z.record(z.string(), z.unknown()).default({});
const ArmArgs = z.object({ value: z.boolean().optional(), data: z.boolean().optional() });
const Alt = z.number().finite().min(1).max(1000);
const TakeoffArgs = z.object({ alt_m: Alt.optional(), altitude: Alt.optional() });

export type CommandParseError = 'BRIDGE.SERVICE_ARGS' | 'BRIDGE.BAD_COMMAND';

/** Service args (`undefined`, an object, or rosbridge's list form) → an object. */
export function argsObject(args: unknown): Record<string, unknown> {
  if (Array.isArray(args)) return (args.find((a) => a && typeof a === 'object' && !Array.isArray(a)) as Record<string, unknown>) ?? {};
  const parsed = Args.safeParse(args ?? undefined);
  return parsed.success ? parsed.data : {};
}

/** The command a per-vehicle service call asks for. */
export function commandFromService(service: CommandService, args: Record<string, unknown>): Result<VehicleCommand, CommandParseError> {
  switch (service) {
    case 'arm': {
      const a = ArmArgs.safeParse(args);
      if (!a.success) return fail('BRIDGE.SERVICE_ARGS', `arm: ${a.error.issues[0]?.path.join('.')}: ${a.error.issues[0]?.message}`);
      const armed = a.data.value ?? a.data.data ?? true;
      return ok({ kind: armed ? 'arm' : 'disarm' });
    }
    case 'takeoff': {
      const a = TakeoffArgs.safeParse(args);
      if (!a.success) return fail('BRIDGE.SERVICE_ARGS', `takeoff: ${a.error.issues[0]?.path.join('.')}: ${a.error.issues[0]?.message}`);
      const alt_m = a.data.alt_m ?? a.data.altitude;
      return ok(alt_m === undefined ? { kind: 'takeoff' } : { kind: 'takeoff', alt_m });
    }
    default:
      return ok({ kind: service });
  }
}

const CommandJson = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('arm') }),
  z.object({ kind: z.literal('disarm') }),
  z.object({ kind: z.literal('takeoff'), alt_m: Alt.optional() }),
  z.object({ kind: z.literal('land') }),
  z.object({ kind: z.literal('rtl') }),
  z.object({ kind: z.literal('hold') }),
  z.object({
    kind: z.literal('goto'),
    lat_deg: z.number().min(-90).max(90),
    lon_deg: z.number().min(-180).max(180),
    alt_m: z.number().finite().min(0).max(1000),
  }),
]);

const StringMsg = z.object({ data: z.string().max(4096) });

/**
 * A `/<vehicle>/cmd` message (std_msgs/String): `data` is a bare command name (`land`) or the
 * command as JSON (`{"kind":"goto","lat_deg":…,"lon_deg":…,"alt_m":…}`).
 */
export function commandFromMessage(msg: unknown): Result<VehicleCommand, CommandParseError> {
  const s = StringMsg.safeParse(msg);
  if (!s.success) return fail('BRIDGE.BAD_COMMAND', 'expected std_msgs/String {data: "<command>"}');
  const text = s.data.data.trim();
  let value: unknown = { kind: text };
  if (text.startsWith('{')) {
    try {
      value = JSON.parse(text);
    } catch {
      return fail('BRIDGE.BAD_COMMAND', 'data starts with { but is not JSON');
    }
  }
  const c = CommandJson.safeParse(value);
  if (!c.success)
    return fail('BRIDGE.BAD_COMMAND', `not a command (${c.error.issues[0]?.message}); one of arm, disarm, takeoff, land, rtl, hold, goto`);
  return ok(c.data as VehicleCommand);
}
