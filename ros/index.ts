/**
 * The twin on a ROS graph (ROS 1 or ROS 2): its topics and mission services through a
 * {@link RosNode}, configured per vehicle. See README.md.
 */
export { startRosFace, type RosFace, type RosFaceOptions, type RosFaceTwin, type RosBlobReader, type RosFaceStats } from './ros-face.js';
export { RosConfigSchema, defaultRosConfig, loadRosConfig, parseRosConfig, resolveName, vehicleNamespace, type RosConfig, type VehicleRosConfig } from './ros-config.js';
export { loadMission, missionFromFile, missionTrigger, type MissionVerb, type TriggerResponse } from './mission-services.js';
export type { RosNode } from '../hardware/real/ros/ros-node.port.js';
