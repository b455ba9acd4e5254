/**
 * The rosbridge v2 WebSocket bridge: the twin's bus as ROS topics and its commands as ROS
 * services, for roslibjs frontends.
 */
export { createBridgeServer, type BridgeServer, type BridgeServerOptions, type BridgeStats } from './bridge.server.js';
export type { Authenticate, BridgeSocket, ClientInfo } from './client-session.js';
export { bridgeMetricsFrom, type BridgeMetrics, type DropReason, type PromBridgeMetricsLike } from './metrics.js';
export type { Identity, Role, ServiceDef } from './services.js';
export { buildTopicCatalog, type TopicCatalog, type TopicDef } from './topic-catalog.js';
export { parseClientMessage, type ClientOp, type ParseResult, type ServerOp } from './protocol.js';
export * as rosMessages from './ros-messages.js';
export { sensorDirectory, twinSensorDirectory, type BlobReader, type CaptureAnswer, type TwinSensors, type SensorDirectory, type SensorEntry, type SensorHealthNow } from './sensor-directory.js';
export { DEFAULT_POINT_BUDGET, budgetLevel } from './sensor-topics.js';
export { slamTopics, twinSlamDirectory, type SlamDirectory } from './slam-topics.js';
export * as sensorMessages from './sensor-messages.js';
