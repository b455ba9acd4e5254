/**
 * PX4 flight modes as they travel in MAVLink: HEARTBEAT.custom_mode packs
 * `main_mode << 16 | sub_mode << 24` (PX4 `px4_custom_mode.h`), and MAV_CMD_DO_SET_MODE takes
 * them unpacked: param1 = MAV_MODE_FLAG_CUSTOM_MODE_ENABLED (1), param2 = main mode,
 * param3 = sub mode — never the packed 32-bit word.
 */
import type { FlightMode } from '../../../core/flight.js';

export const PX4_MAIN = {
  MANUAL: 1,
  ALTCTL: 2,
  POSCTL: 3,
  AUTO: 4,
  ACRO: 5,
  OFFBOARD: 6,
  STABILIZED: 7,
  RATTITUDE: 8,
} as const;

export const PX4_AUTO_SUB = {
  READY: 1,
  TAKEOFF: 2,
  LOITER: 3,
  MISSION: 4,
  RTL: 5,
  LAND: 6,
  RTGS: 7,
  FOLLOW_TARGET: 8,
  PRECLAND: 9,
} as const;

export interface Px4Mode {
  readonly main: number;
  readonly sub: number;
}

/** The PX4 mode that realises each domain mode (manual → POSCTL, the usual hand-flying mode). */
export const PX4_MODE_FOR: Readonly<Record<Exclude<FlightMode, 'unknown'>, Px4Mode>> = {
  manual: { main: PX4_MAIN.POSCTL, sub: 0 },
  hold: { main: PX4_MAIN.AUTO, sub: PX4_AUTO_SUB.LOITER },
  takeoff: { main: PX4_MAIN.AUTO, sub: PX4_AUTO_SUB.TAKEOFF },
  mission: { main: PX4_MAIN.AUTO, sub: PX4_AUTO_SUB.MISSION },
  rtl: { main: PX4_MAIN.AUTO, sub: PX4_AUTO_SUB.RTL },
  land: { main: PX4_MAIN.AUTO, sub: PX4_AUTO_SUB.LAND },
  offboard: { main: PX4_MAIN.OFFBOARD, sub: 0 },
};

export function packPx4Mode(mode: Px4Mode): number {
  return ((mode.main & 0xff) << 16) | ((mode.sub & 0xff) << 24);
}

export function unpackPx4Mode(customMode: number): Px4Mode {
  return { main: (customMode >>> 16) & 0xff, sub: (customMode >>> 24) & 0xff };
}

/** HEARTBEAT.custom_mode (PX4) → domain mode. */
export function px4ModeToFlightMode(customMode: number): FlightMode {
  const { main, sub } = unpackPx4Mode(customMode);
  switch (main) {
    case PX4_MAIN.MANUAL:
    case PX4_MAIN.ALTCTL:
    case PX4_MAIN.POSCTL:
    case PX4_MAIN.ACRO:
    case PX4_MAIN.STABILIZED:
    case PX4_MAIN.RATTITUDE:
      return 'manual';
    case PX4_MAIN.OFFBOARD:
      return 'offboard';
    case PX4_MAIN.AUTO:
      switch (sub) {
        case PX4_AUTO_SUB.TAKEOFF:
          return 'takeoff';
        case PX4_AUTO_SUB.LOITER:
        case PX4_AUTO_SUB.READY:
          return 'hold';
        case PX4_AUTO_SUB.MISSION:
          return 'mission';
        case PX4_AUTO_SUB.RTL:
        case PX4_AUTO_SUB.RTGS:
          return 'rtl';
        case PX4_AUTO_SUB.LAND:
        case PX4_AUTO_SUB.PRECLAND:
          return 'land';
        default:
          return 'unknown';
      }
    default:
      return 'unknown';
  }
}
