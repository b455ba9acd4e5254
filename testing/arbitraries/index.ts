/**
 * fast-check arbitraries for scenario parts, bounded by a world; every value drops into a
 * scenario file.
 */
export { worldBounds, worldFrame, type WorldBounds } from './world-bounds.js';
export { localPoint, waypoint, waypointMission, surveyMission, orbitMission, mission, DEFAULT_MARGIN_M } from './mission.arb.js';
export type { PointOptions, AltitudeOptions, MissionOptions } from './mission.arb.js';
export { vehicleParams, wind, fault, faultSchedule, stepped } from './conditions.arb.js';
export type { WindOptions, FaultOptions, FaultScheduleOptions } from './conditions.arb.js';
export { scenarioVariation, expectationsFor, SAFETY_EXPECTATIONS } from './scenario.arb.js';
