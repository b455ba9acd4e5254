/**
 * The scenario file format (YAML), validated with zod; `twin schema` exports it as JSON Schema
 * for editors (scenarios/scenario.schema.json).
 *
 * @remarks
 * Positions are local metres from the world origin (`{ north, east }`) or WGS84
 * (`{ lat, lon }`). The origin may be `home`: then it is the first vehicle's home as the vehicle
 * reports it, so the same file flies the built-in simulator, the built-in SITL and a real PX4
 * SITL wherever its home is. Altitudes are metres above home. Times are sim seconds.
 */
import { z } from 'zod';
import { SimFaultSchema } from '../../hardware/sim/faults.js';
import { SensorWorldSchema } from '../../hardware/sim/world/world-spec.js';
import { MissionItemSchema } from '../../core/mission.js';

const finite = () => z.number().refine(Number.isFinite, 'must be a finite number');

export const LocalPointSchema = z.strictObject({
  north: finite().min(-100_000).max(100_000).describe('metres north of the origin'),
  east: finite().min(-100_000).max(100_000).describe('metres east of the origin'),
});
export const GeoPointSchema = z.strictObject({
  lat: z.number().min(-90).max(90).describe('degrees, WGS84'),
  lon: z.number().min(-180).max(180).describe('degrees, WGS84'),
});
export const PointSchema = z.union([LocalPointSchema, GeoPointSchema]);
export type PointSpec = z.infer<typeof PointSchema>;

const WaypointSchema = z.intersection(
  PointSchema,
  z.object({
    alt: z.number().min(0).max(1000).describe('metres above home'),
    hold_s: z.number().min(0).max(3600).optional(),
    speed_mps: z.number().positive().max(30).optional(),
    capture: z.boolean().optional(),
  }),
);

const CameraSchema = z.strictObject({
  sensor_width_mm: z.number().positive().default(13.2),
  sensor_height_mm: z.number().positive().default(8.8),
  focal_length_mm: z.number().positive().default(8.8),
  image_width_px: z.number().int().positive().default(5472),
  image_height_px: z.number().int().positive().default(3648),
});

const MissionCommon = {
  name: z.string().min(1).max(200).optional(),
  /** What the vehicle does after the last item. */
  end: z.enum(['rtl', 'land', 'hold']).default('rtl'),
  /** Sim second at which the mission is loaded and started. */
  start_at_s: z.number().min(0).default(0),
  speed_mps: z.number().positive().max(30).optional(),
};

export const MissionSpecSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('waypoints'), waypoints: z.array(WaypointSchema).min(1).max(5000), ...MissionCommon }),
  z.strictObject({
    type: z.literal('survey'),
    polygon: z.array(PointSchema).min(3).max(500),
    alt: z.number().positive().max(1000),
    camera: CameraSchema.prefault({}),
    front_overlap: z.number().min(0).max(0.95).default(0.7),
    side_overlap: z.number().min(0).max(0.95).default(0.6),
    angle_deg: z.number().min(-360).max(360).optional(),
    ...MissionCommon,
  }),
  z.strictObject({
    type: z.literal('orbit'),
    center: PointSchema,
    radius_m: z.number().positive().max(10_000),
    alt: z.number().positive().max(1000),
    turns: z.number().positive().max(100).default(1),
    clockwise: z.boolean().default(true),
    ...MissionCommon,
  }),
  z.strictObject({
    type: z.literal('plan'),
    /** A QGroundControl .plan or QGC WPL 110 file, relative to the scenario file. */
    file: z.string().min(1).max(1024),
    name: z.string().min(1).max(200).optional(),
    start_at_s: z.number().min(0).default(0),
  }),
  z.strictObject({
    type: z.literal('items'),
    /** Port mission items in WGS84, altitudes above home (what a .plan file resolves to). */
    items: z.array(MissionItemSchema).min(1).max(10_000),
    /** Where the mission was planned from (a .plan's plannedHomePosition). */
    home: z.strictObject({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180), alt: z.number().min(-500).max(9000) }).optional(),
    name: z.string().min(1).max(200).optional(),
    start_at_s: z.number().min(0).default(0),
  }),
]);
export type MissionSpec = z.output<typeof MissionSpecSchema>;

export const FailsafeSpecSchema = z.strictObject({
  battery_low_pct: z.number().min(0).max(100).default(20),
  battery_critical_pct: z.number().min(0).max(100).default(10),
  link_loss_timeout_s: z.number().min(0).max(3600).default(5),
  geofence_action: z.enum(['rtl', 'land', 'hold', 'none']).default('rtl'),
  link_regained_action: z.enum(['rtl', 'land', 'hold', 'none']).default('rtl'),
});

const sensorId = () => z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, 'lower-case letters, digits and _; starts with a letter (max 32)');

/**
 * A sensor a vehicle carries: `{ id: phase_one, kind: camera, model: phase-one-ixm-100 }`,
 * `{ id: ouster, kind: lidar, model: os1-64 }`. The model names a profile (camera profiles,
 * Ouster models); `settings` are applied once connected; `mount_deg` rotates the sensor from
 * the body frame (default: cameras nadir, pitch −90; LiDARs level).
 */
export const SensorSpecSchema = z.strictObject({
  id: sensorId(),
  kind: z.enum(['camera', 'lidar']),
  model: z.string().min(1).max(64),
  settings: z.record(z.string().max(64), z.union([finite(), z.string().max(256), z.boolean()])).optional(),
  mount_deg: z
    .strictObject({
      roll: finite().min(-180).max(180).default(0),
      pitch: finite().min(-180).max(180).default(0),
      yaw: finite().min(-360).max(360).default(0),
    })
    .optional(),
});
export type SensorSpec = z.output<typeof SensorSpecSchema>;

/** The HPC service's processing shorthands (hardware/hpc.port.ts). */
export const HPC_PROCESSING = ['dsm', 'voxel_grid', 'outlier_removal', 'merge'] as const;

/**
 * `after_mission: { hpc: … }`: once the vehicle's mission has COMPLETED, its SLAM map (`slam_map`,
 * needs `slam:`) or its captured LiDAR scans (`scans`, georeferenced by each scan's pose) go to the
 * HPC service; the result is stored in the blob store (actors/scenario/scenario-hpc.ts).
 * `parameters` as the original client: `resolution` (m), `filter`, `k`, `std_mul`, `radius`, …
 */
export const HpcAfterMissionSchema = z.strictObject({
  processing_type: z.enum(HPC_PROCESSING),
  parameters: z.record(z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'lower-case parameter names'), z.union([finite(), z.string().max(256), z.boolean()])).default({}),
  source: z.enum(['slam_map', 'scans']).default('slam_map'),
});
export type HpcAfterMission = z.output<typeof HpcAfterMissionSchema>;

export const VehicleSpecSchema = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, 'lower-case letters, digits and _; starts with a letter (max 32)'),
  /** Where the simulator places the vehicle (its home). Real vehicles are where they are. */
  spawn: LocalPointSchema.default({ north: 0, east: 0 }),
  /** Autopilot parameters (PX4 names), applied by the simulator / SITL. */
  params: z.record(z.string().regex(/^[A-Z][A-Z0-9_]{0,15}$/, 'PX4 parameter names are upper case, ≤ 16 chars'), finite()).default({}),
  failsafe: FailsafeSpecSchema.prefault({}),
  mission: MissionSpecSchema.optional(),
  /** Cameras and LiDARs on board (ids unique per vehicle). */
  sensors: z.array(SensorSpecSchema).max(16).default([]),
  /** LiDAR SLAM on board: the estimator reads `lidar` (the id of one of this vehicle's LiDARs). */
  slam: z.strictObject({ lidar: z.string().min(1).max(64) }).optional(),
  /** Work after the mission: `hpc` sends the SLAM map or the scans to the HPC service. */
  after_mission: z.strictObject({ hpc: HpcAfterMissionSchema.optional() }).optional(),
});
export type VehicleSpec = z.output<typeof VehicleSpecSchema>;

/**
 * A sensor fault: the named sensor fails (no answer, link down, health failed) until
 * `duration_s` has passed or a `sensor_restore`. When the vehicle declares that sensor
 * (`vehicles[].sensors`), the fault goes to the sensor's port; otherwise it is the simulator's
 * payload fault (a vehicle-side report, as before sensors were declared).
 */
const SensorFailureSchema = z.object({
  kind: z.literal('sensor_failure'),
  sensor: z.string().min(1).max(64),
  duration_s: z.number().positive().max(86_400).optional(),
});
const SensorRestoreSchema = z.object({ kind: z.literal('sensor_restore'), sensor: z.string().min(1).max(64) });
/** The vehicle's SLAM gets no usable registration (featureless scene, lost LiDAR input) for `duration_s` (default 3 s): it goes lost, then recovers. */
const SlamDegradedSchema = z.object({ kind: z.literal('slam_degraded'), duration_s: z.number().positive().max(3_600).default(3) });

/** Faults are the simulator's own schema (one definition for scenario files and `injectFault`) plus the sensor faults. */
const [linkLoss, linkRestore, gpsLoss, gpsRestore, batteryDrop, motorFailure, windGust] = SimFaultSchema.options;
export const FaultSpecSchema = z.discriminatedUnion('kind', [
  linkLoss,
  linkRestore,
  gpsLoss,
  gpsRestore,
  batteryDrop,
  motorFailure,
  windGust,
  SensorFailureSchema,
  SensorRestoreSchema,
  SlamDegradedSchema,
]);
export type FaultSpec = z.output<typeof FaultSpecSchema>;

export const TimedFaultSchema = z.strictObject({
  at_s: z.number().min(0),
  vehicle: z.string(),
  fault: FaultSpecSchema,
});

export const OperatorActionSchema = z.strictObject({
  at_s: z.number().min(0),
  vehicle: z.string(),
  action: z.enum(['pause', 'resume', 'abort', 'rtl', 'land', 'hold', 'arm', 'disarm', 'takeoff', 'capture']),
  /** `capture`: which camera (one of the vehicle's `sensors`). */
  sensor: z.string().optional(),
});

const Expectation = <K extends string, T extends z.ZodRawShape>(kind: K, shape: T) =>
  z.strictObject({
    kind: z.literal(kind),
    /** Marks an expectation that must FAIL (tests the runner's failure path). */
    expected_to_fail: z.boolean().default(false),
    ...shape,
  });

const vehicleOrAll = z.string().default('*').describe("vehicle id, or '*' for every vehicle");

export const ExpectationSchema = z.discriminatedUnion('kind', [
  Expectation('mission_completed', { vehicle: vehicleOrAll, within_s: z.number().positive().optional() }),
  Expectation('mission_status', {
    vehicle: vehicleOrAll,
    status: z.enum(['IDLE', 'LOADED', 'RUNNING', 'PAUSED', 'COMPLETED', 'ABORTED', 'FAILED']),
    reason_includes: z.string().optional(),
  }),
  Expectation('inside_geofence', { vehicle: vehicleOrAll }),
  Expectation('min_separation', { meters: z.number().positive() }),
  Expectation('battery_reserve', { vehicle: vehicleOrAll, min_pct: z.number().min(0).max(100) }),
  Expectation('landed', { vehicle: vehicleOrAll, within_m_of_home: z.number().positive().optional(), disarmed: z.boolean().default(true) }),
  Expectation('failsafe', {
    vehicle: vehicleOrAll,
    failsafe: z.enum(['battery_low', 'battery_critical', 'geofence', 'link_lost', 'vehicle']),
    within_s: z.number().positive().optional(),
  }),
  Expectation('no_failsafe', { vehicle: vehicleOrAll }),
  /**
   * Images taken vs planned. With `sensor` (or when the vehicle carries cameras): captures that
   * camera stored (`port.capture` of the camera), each camera judged on its own; otherwise the
   * vehicle's own capture events (its autopilot's camera trigger).
   */
  Expectation('captures', { vehicle: vehicleOrAll, sensor: z.string().optional(), min: z.number().int().min(0).optional() }),
  /**
   * Every capture's geotag within `max_error_m` (3-D) of where the vehicle truly was at trigger
   * time: the simulator's truth in simulation; for a real vehicle, its own telemetry position
   * interpolated at the trigger time (agreement between camera and autopilot, not ground truth).
   */
  Expectation('capture_geotag', { vehicle: vehicleOrAll, sensor: z.string().optional(), max_error_m: z.number().positive().max(10_000) }),
  /**
   * Share of the vehicle's survey polygon (its mission polygon) hit by LiDAR returns, %, on a
   * grid of `cell_m` cells (default 5 m).
   */
  Expectation('lidar_coverage', {
    vehicle: vehicleOrAll,
    sensor: z.string().optional(),
    min_pct: z.number().min(0).max(100),
    cell_m: z.number().positive().max(1000).default(5),
  }),
  Expectation('max_altitude', { vehicle: vehicleOrAll, meters: z.number().positive() }),
  /**
   * The vehicle's SLAM estimate against the simulator's truth (slam/trajectory-metrics.ts, as evo):
   * RPE drift in % over segments sized to the flight (the reason says which), and optionally ATE
   * RMSE after rigid alignment, m.
   */
  /**
   * The vehicle's `after_mission.hpc` job ended in `state` (default SUCCEEDED), its result stored;
   * optionally with at least `min_output_points` (the service's count of points out).
   */
  Expectation('hpc_job', {
    vehicle: vehicleOrAll,
    state: z.enum(['SUCCEEDED', 'FAILED', 'CANCELLED']).default('SUCCEEDED'),
    min_output_points: z.number().int().min(0).optional(),
  }),
  Expectation('slam_drift', { vehicle: z.string(), max_rpe_pct: z.number().positive().max(100), max_ate_m: z.number().positive().max(10_000).optional() }),
]);
export type ExpectationSpec = z.output<typeof ExpectationSchema>;

export const WorldSchema = z.strictObject({
  origin: z.union([z.literal('home'), z.strictObject({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180), alt: z.number().min(-500).max(9000) })]).default('home'),
  wind: z
    .strictObject({
      speed_mps: z.number().min(0).max(40).default(0),
      direction_deg: z.number().min(0).max(360).default(0).describe('direction the wind blows from'),
      gust_sd_mps: z.number().min(0).max(20).default(0),
    })
    .prefault({}),
  geofence: z
    .strictObject({
      polygon: z.array(PointSchema).min(3).max(500).optional(),
      max_alt: z.number().positive().max(10_000).optional(),
      /** No-fly zones / obstacles. */
      exclusions: z.array(z.array(PointSchema).min(3).max(500)).max(100).default([]),
    })
    .optional(),
  /** What the simulated sensors see: terrain (`flat`, seeded `hills`) and obstacles (boxes, buildings, cylinders). */
  ...SensorWorldSchema.shape,
});

export const ScenarioSchema = z.strictObject({
  name: z.string().min(1).max(200),
  description: z.string().max(5000).optional(),
  seed: z.number().int().min(0).max(2 ** 32 - 1).default(1),
  /** Sim seconds after which the run stops, whatever state it is in. */
  duration_s: z.number().positive().max(7 * 86_400).default(3600),
  /** Stop early once every mission has ended and every vehicle is disarmed on the ground. */
  stop_when_done: z.boolean().default(true),
  world: WorldSchema.prefault({}),
  vehicles: z.array(VehicleSpecSchema).min(1).max(10_000),
  faults: z.array(TimedFaultSchema).max(10_000).default([]),
  actions: z.array(OperatorActionSchema).max(10_000).default([]),
  expect: z.array(ExpectationSchema).max(1000).default([]),
  /** Bounds for `twin fuzz` (QA issue); accepted and kept so files stay valid. */
  fuzz: z.record(z.string(), z.unknown()).optional(),
});
export type Scenario = z.output<typeof ScenarioSchema>;
export type ScenarioInput = z.input<typeof ScenarioSchema>;
