/** The built-in SITL: the simulator served over MAVLink/UDP like PX4 SITL. */
export { createSitl } from './sitl.js';
export type { Sitl, SitlOptions, SitlEndpoint, SitlStats, SitlVehicleConfig } from './sitl.js';
export type { SitlVehicleStats } from './sitl-vehicle.js';
export type { EndpointStats } from './mavlink-endpoint.js';
export { runSitlCommand, SITL_DEFAULT_ORIGIN } from './run-sitl.js';
export type { RunSitlOptions } from './run-sitl.js';
export { GCS_SILENCE_MS } from './gcs-presence.js';
export { MISSION_RETRY_MS, MISSION_TIMEOUT_MS } from './mission-server.js';
export { intToWireFloat, wireFloatToInt } from './param-server.js';
export { px4ModeWords } from './telemetry-streams.js';
export { SitlCamera, COMP_CAMERA, type SitlCameraOptions, type SitlCameraStats } from './camera-component.js';
