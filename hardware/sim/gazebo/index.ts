/** Gazebo transport (Ignition Transport 11 wire) in TypeScript: see README.md. */
export { createGzNode, GzNode, GZ_GENERIC_TYPE, type GzNodeOptions, type GzPublisher, type GzMessageInfo, type GzErrorCode, type GzServiceReply } from './gz-node.js';
export { gzMessages, gzTypeName, GzMessages, type GzPackage } from './gz-messages.js';
export { decodeDiscovery, encodeDiscovery, GZ_WIRE_VERSION, type DiscoveryPacket, type DiscoveryPublisher } from './discovery-codec.js';
export { GzDiscovery, GZ_DISCOVERY_GROUP, GZ_MSG_DISCOVERY_PORT, GZ_SRV_DISCOVERY_PORT } from './discovery.js';
export { fullyQualifiedName, decomposeName, partitionFromEnv } from './topic-names.js';
export { GazeboClock, gazeboClockTopic, type GazeboClockOptions } from './gazebo-clock.adapter.js';
export { GazeboPoseFeed, quaternionToEuler, eulerToQuaternion, type GazeboModelPose } from './gazebo-pose-feed.js';
export { startTwinPosePublisher, modelTopic, twinPose, type TwinPoseView, type TwinPosePublisher } from './twin-pose-publisher.js';
export { openGzTwinSession, type GzTwinSession, type GzClockFollowOptions } from './gz-twin-session.js';
export { gazeboCameraFeed, gazeboScanFeed, gazeboCloudFeed, GazeboFeed, type GazeboImageFrame, type GazeboScanFrame, type GazeboCloudFrame } from './gazebo-sensor-feed.js';
export { createGzCameraPort, gazeboFrameToPng, type GzCameraOptions } from './gz-camera.adapter.js';
export { createGzLidarPort, GZ_SCAN_MEDIA_TYPE, type GzLidarOptions } from './gz-lidar.adapter.js';
export { gzSensorFactory, loadGzSensorsConfig, parseGzSensorsConfig, gzSensorTopic, GzSensorsConfigSchema, type GzSensorsConfig, type GzSensorRequest } from './gz-sensors-config.js';
