/**
 * ArduCopter flight modes as they travel in MAVLink: HEARTBEAT.custom_mode is the mode number
 * (ArduCopter `mode.h`, `Mode::Number`), and MAV_CMD_DO_SET_MODE takes param1 =
 * MAV_MODE_FLAG_CUSTOM_MODE_ENABLED (1), param2 = that number.
 */
import type { FlightMode } from '../../../core/flight.js';

export const COPTER_MODE = {
  STABILIZE: 0,
  ACRO: 1,
  ALT_HOLD: 2,
  AUTO: 3,
  GUIDED: 4,
  LOITER: 5,
  RTL: 6,
  CIRCLE: 7,
  LAND: 9,
  DRIFT: 11,
  SPORT: 13,
  FLIP: 14,
  AUTOTUNE: 15,
  POSHOLD: 16,
  BRAKE: 17,
  THROW: 18,
  AVOID_ADSB: 19,
  GUIDED_NOGPS: 20,
  SMART_RTL: 21,
  FLOWHOLD: 22,
  FOLLOW: 23,
  ZIGZAG: 24,
  SYSTEMID: 25,
  AUTOROTATE: 26,
  AUTO_RTL: 27,
  TURTLE: 28,
} as const;

/**
 * The ArduCopter mode that realises each domain mode. `takeoff` and `offboard` are GUIDED:
 * ArduCopter takes off and repositions only in GUIDED; `manual` is POSHOLD, the hand-flying
 * mode that still holds position when the sticks are centred.
 */
export const COPTER_MODE_FOR: Readonly<Record<Exclude<FlightMode, 'unknown'>, number>> = {
  manual: COPTER_MODE.POSHOLD,
  hold: COPTER_MODE.LOITER,
  takeoff: COPTER_MODE.GUIDED,
  mission: COPTER_MODE.AUTO,
  rtl: COPTER_MODE.RTL,
  land: COPTER_MODE.LAND,
  offboard: COPTER_MODE.GUIDED,
};

/**
 * HEARTBEAT.custom_mode (ArduCopter) → domain mode. GUIDED reads as `offboard` (the vehicle is
 * flown by commands from outside, e.g. a reposition); AUTO_RTL (RTL from a DO_LAND_START inside
 * AUTO) and SMART_RTL read as `rtl`; BRAKE and CIRCLE as `hold`.
 */
export function copterModeToFlightMode(customMode: number): FlightMode {
  switch (customMode) {
    case COPTER_MODE.STABILIZE:
    case COPTER_MODE.ACRO:
    case COPTER_MODE.ALT_HOLD:
    case COPTER_MODE.DRIFT:
    case COPTER_MODE.SPORT:
    case COPTER_MODE.FLIP:
    case COPTER_MODE.AUTOTUNE:
    case COPTER_MODE.POSHOLD:
    case COPTER_MODE.FLOWHOLD:
    case COPTER_MODE.GUIDED_NOGPS:
    case COPTER_MODE.TURTLE:
      return 'manual';
    case COPTER_MODE.AUTO:
      return 'mission';
    case COPTER_MODE.GUIDED:
      return 'offboard';
    case COPTER_MODE.LOITER:
    case COPTER_MODE.BRAKE:
    case COPTER_MODE.CIRCLE:
      return 'hold';
    case COPTER_MODE.RTL:
    case COPTER_MODE.SMART_RTL:
    case COPTER_MODE.AUTO_RTL:
      return 'rtl';
    case COPTER_MODE.LAND:
      return 'land';
    default:
      return 'unknown';
  }
}
