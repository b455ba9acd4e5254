/**
 * The SLAM estimation core: pure TypeScript on typed arrays, no I/O, no clock.
 * KISS-ICP LiDAR odometry, its voxel-hash map, rigid transforms and evo-style trajectory metrics.
 */
export { KissIcpOdometry, DEFAULT_KISS_ICP, type KissIcpOptions, type OdometryScan, type OdometryResult } from './kiss-icp-odometry.js';
export { VoxelHashMap, voxelDownsample, voxelKey, type VoxelHashMapOptions } from './voxel-hash-map.js';
export { AdaptiveThreshold, type AdaptiveThresholdOptions } from './adaptive-threshold.js';
export { registerToMap, type IcpOptions, type IcpResult } from './icp-registration.js';
export {
  absoluteTrajectoryError, relativePoseError, umeyamaAlignment, type AteResult, type ErrorStats, type RpeOptions, type RpeResult,
} from './trajectory-metrics.js';
export * from './rigid-transform.js';
