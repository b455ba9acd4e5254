/** The MAVLink camera protocol adapter: a {@link CameraPort} over a camera component (100+). */
export { createMavlinkCameraPort, type MavlinkCameraPort, type MavlinkCameraPortOptions } from './mavlink-camera.adapter.js';
export { CAMERA_CMD, CAMERA_COMPIDS, CAMERA_MSG, MAV_TYPE_CAMERA, geotagOf, quaternionToAttitude } from './camera-messages.js';
