/**
 * `overwatch-twin`: the runtime's public face — the twin (actors, clock, bus, event log), the
 * scenario runner, the vehicle port and its adapters (the in-process simulator, the built-in
 * MAVLink SITL, the MAVLink adapter for PX4 / ArduPilot), mission files and planning.
 *
 * @remarks
 * QA's property-testing library is the `overwatch-twin/testing` entry point. The operator
 * services (storage, REST API, rosbridge, dashboard) are composed by the `twin` command.
 *
 * @example
 * import { createTwin, VirtualClock, SimWorld, createSimVehiclePort, Rng } from 'overwatch-twin';
 */
export { createTwin, dispatchCommand, statePath } from './actors/twin.js';
export type { Twin, TwinConfig, TwinVehicleConfig, MissionHandle, MissionRequestResult, MissionRequestErrorCode, InspectionObserver } from './actors/twin.js';
export { Bus, topics } from './actors/bus.js';
export type { Topics, PoseMsg, BatteryMsg, VehicleStateMsg, MissionStatusMsg } from './actors/bus.js';
export { EventLog } from './actors/event-log.js';
export type { LogEntry, LogSink, EventLogOptions } from './actors/event-log.js';

export { runScenario, simBackend, sitlBackend, linkBackend, DEFAULT_HOME } from './actors/scenario/scenario.runner.js';
export type { ScenarioReport, RunScenarioOptions, ScenarioRun, VehicleOutcome, VehicleBackend, BackendFactory } from './actors/scenario/scenario.runner.js';
export { loadScenarioFile, parseScenario, formatIssues } from './actors/scenario/scenario.loader.js';
export type { ScenarioIssue, ScenarioError, ScenarioErrorCode } from './actors/scenario/scenario.loader.js';
export { ScenarioSchema } from './actors/scenario/scenario.schema.js';
export type { Scenario, ScenarioInput } from './actors/scenario/scenario.schema.js';

export { VirtualClock, WallClock, sleep, waitOnClock } from './core/clock.js';
export type { Clock, RunnableClock, RunOptions, WallClockOptions } from './core/clock.js';
export { Rng } from './core/rng.js';
export { LocalFrame, haversine_m } from './core/geo.js';
export type { GeoPoint, Ned, LocalXY } from './core/geo.js';
export { ok, okVoid, fail } from './core/result.js';
export type { Result, Failure } from './core/result.js';
export { MissionSchema, MissionItemSchema, checkMission } from './core/mission.js';
export type { Mission, MissionItem, MissionItemInput } from './core/mission.js';

export type * from './hardware/vehicle.port.js';
export { SimWorld, createSimVehiclePort, SimFaultSchema } from './hardware/sim/index.js';
export type { SimWorldOptions, SimFault, SimParams } from './hardware/sim/index.js';
export { createSitl } from './hardware/sim/sitl/index.js';
export type { Sitl, SitlOptions, SitlEndpoint } from './hardware/sim/sitl/index.js';
export { createMavlinkVehiclePort, openLink, parseConnectionUrl } from './hardware/real/mavlink/index.js';
export type { MavlinkVehiclePort, MavlinkVehiclePortOptions, Link, LinkOptions } from './hardware/real/mavlink/index.js';

export { parseQgcPlan, readQgcPlan, writeQgcPlan, parseQgcWpl, writeQgcWpl, toMissionItems, fromMissionItems } from './core/mission-files/index.js';
export { planSurvey, planOrbit, Geofence } from './core/planning/index.js';
