/**
 * Faults the simulator can inject into a vehicle. Scenario files name them with this schema,
 * so it is the boundary validation for fault schedules as well as for `SimWorld.injectFault`.
 */
import { z } from 'zod';

const duration = z.number().positive().max(86_400).optional();

export const SimFaultSchema = z.discriminatedUnion('kind', [
  /** The datalink to the ground goes silent; until `link_restore` when no duration (s) is given. */
  z.object({ kind: z.literal('link_loss'), duration_s: duration }),
  z.object({ kind: z.literal('link_restore') }),
  /** GPS fix lost: reported position freezes, auto modes fall back to land. */
  z.object({ kind: z.literal('gps_loss'), duration_s: duration }),
  z.object({ kind: z.literal('gps_restore') }),
  /** Remaining charge drops by `pct` percentage points (a bad cell, a cold pack). */
  z.object({ kind: z.literal('battery_drop'), pct: z.number().positive().max(100) }),
  /** Propulsion lost: the vehicle falls and crashes. */
  z.object({ kind: z.literal('motor_failure') }),
  /** A wind gust added to the ambient wind; `direction_deg` is where it blows FROM. */
  z.object({
    kind: z.literal('wind_gust'),
    speed_mps: z.number().min(0).max(60),
    direction_deg: z.number().min(-360).max(720),
    duration_s: z.number().positive().max(3600),
  }),
  /** A payload/sensor fault; only reported for now (statustext + event). */
  z.object({ kind: z.literal('sensor_failure'), sensor: z.string().min(1).max(64) }),
]);

export type SimFault = z.output<typeof SimFaultSchema>;
export type SimFaultKind = SimFault['kind'];
