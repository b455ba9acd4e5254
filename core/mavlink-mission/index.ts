/**
 * MAVLink missions below both sides of the link: the command/frame tables and the one
 * mission-item codec shared by the MAVLink adapter, the built-in SITL and the mission files.
 * Pure, no I/O.
 */
export { MAV_CMD, MAV_FRAME, hasPosition, isGlobalFrame } from './mav-enums.js';
export {
  decodeMission,
  encodeMission,
  type CodecItem,
  type DecodeOptions,
  type DecodedMission,
  type EncodeOptions,
  type EncodedMission,
  type EncodedRow,
  type MissionRow,
} from './mission-item.codec.js';
