/**
 * Mission planning: pure functions from local metres (north_m, east_m) to local metres.
 * Convert to WGS84 mission items with `LocalFrame.toGeo` from `core/geo.ts`.
 */
export { planSurvey } from './survey.js';
export type { CameraSpec, SurveyParams, SurveyPlan, SurveyWaypoint } from './survey.js';
export { planOrbit } from './orbit.js';
export type { OrbitParams, OrbitWaypoint } from './orbit.js';
export { Geofence } from './geofence.js';
export type { FencePoint, GeofenceSpec } from './geofence.js';
export { estimateDuration_s, isSimplePolygon, pathLength_m, polygonArea_m2 } from './path.js';
export type { PathPoint } from './path.js';
export { PlanningInputError } from './errors.js';
export type { PlanningErrorCode } from './errors.js';
