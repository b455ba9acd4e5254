/**
 * Flight vocabulary shared by the port, the machines and the runtime (plain types, no I/O).
 */

/** Autopilot-agnostic flight modes; adapters map PX4 / ArduPilot modes onto these. */
export type FlightMode = 'manual' | 'hold' | 'takeoff' | 'mission' | 'rtl' | 'land' | 'offboard' | 'unknown';
export const FLIGHT_MODES: readonly FlightMode[] = ['manual', 'hold', 'takeoff', 'mission', 'rtl', 'land', 'offboard', 'unknown'];

/** MAV_LANDED_STATE, by name. */
export type LandedState = 'unknown' | 'on_ground' | 'taking_off' | 'in_air' | 'landing';
