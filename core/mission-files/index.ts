/**
 * Mission files: QGroundControl `.plan` (JSON) and `QGC WPL 110` (text) ⇄ one neutral model of
 * raw MAVLink mission items plus fence, rally points and home; raw items ⇄ the items we fly.
 * Pure: strings in, strings out, no I/O; bad input is a failure value with a path, never a throw.
 */
export {
  MAV_CMD,
  MAV_FRAME,
  emptyPlan,
  rawItem,
  type ComplexItemSource,
  type FenceCircle,
  type FencePolygon,
  type HomePosition,
  type LatLon,
  type MissionFileError,
  type MissionFileErrorCode,
  type MissionFileResult,
  type MissionPlan,
  type RallyPoint,
  type RawMissionItem,
} from './model.js';
export { parseQgcPlan, readQgcPlan, toQgcPlanJson, writeQgcPlan, type WriteQgcPlanOptions } from './qgc-plan.js';
export { parseQgcWpl, writeQgcWpl, type QgcWplOptions, type WriteQgcWplOptions } from './qgc-wpl.js';
export { fromMissionItems, rawItemReasons, toMissionItems, type PlanItem } from './mission-items.js';
