/**
 * The twin's ROS configuration (`twin start --ros --ros-config ros.yaml`): node name, which topics
 * each vehicle publishes under which names, and which external topics feed its ports.
 *
 * @remarks
 * A separate file from the scenario, so a scenario stays portable between the simulator and a
 * ROS graph. Every field has a default: with no file, each vehicle publishes in its own
 * namespace (`/<vehicle>/pose`, …) and nothing is subscribed. Validated with zod
 * ({@link parseRosConfig}); names are ROS graph resource names, relative ones resolved in the
 * vehicle's namespace.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { fail, ok, type Result } from '../core/result.js';

/** A ROS graph resource name: `/a/b_c`, `a/b` (relative), `~x` not allowed. */
const Name = z
  .string()
  .min(1)
  .max(256)
  .regex(/^\/?[A-Za-z][A-Za-z0-9_]*(\/[A-Za-z][A-Za-z0-9_]*)*$/, 'not a ROS graph resource name (letters, digits, _ and /, each part starting with a letter)');

const Rate = z.number().positive().max(1000);

/** Output topics of a vehicle: name (relative to the namespace, or absolute), or false to not publish. */
const Outputs = z
  .object({
    pose: z.union([Name, z.literal(false)]).default('pose'),
    fix: z.union([Name, z.literal(false)]).default('fix'),
    battery: z.union([Name, z.literal(false)]).default('battery'),
    odom: z.union([Name, z.literal(false)]).default('odom'),
    mission_status: z.union([Name, z.literal(false)]).default('mission/status'),
    slam_pose: z.union([Name, z.literal(false)]).default('slam/pose'),
    slam_odometry: z.union([Name, z.literal(false)]).default('slam/odometry'),
    /** Sensor topics: `<sensor>/<suffix>` in the namespace. */
    sensors: z.boolean().default(true),
  })
  .strict();

/** A SLAM port fed by a field LIO's topics (FAST-LIVO2 `/aft_mapped_to_init` + `/cloud_registered`). */
const SlamInput = z
  .object({
    /** Fill odometry/cloud from a known LIO's launch-file names. */
    preset: z.enum(['fast-livo2', 'fast-lio']).optional(),
    odometry: Name.optional(),
    cloud: Name.optional(),
  })
  .strict()
  .refine((s) => s.preset !== undefined || s.odometry !== undefined, { message: 'give a preset or an odometry topic' });

/** A LiDAR port fed by a driver's sensor_msgs/PointCloud2 (the sensor id must be a LiDAR declared in the scenario). */
const LidarInput = z.object({ topic: Name }).strict();

/** A camera port fed by sensor_msgs/Image or sensor_msgs/CompressedImage. */
const CameraInput = z
  .object({
    topic: Name,
    type: z.enum(['sensor_msgs/Image', 'sensor_msgs/CompressedImage']).default('sensor_msgs/CompressedImage'),
  })
  .strict();

const VehicleRos = z
  .object({
    /** Default `/<vehicle>`. */
    namespace: Name.optional(),
    publish: Outputs.default(Outputs.parse({})),
    inputs: z
      .object({
        slam: SlamInput.optional(),
        /** sensor id → topic */
        lidar: z.record(z.string().min(1).max(64), LidarInput).default({}),
        camera: z.record(z.string().min(1).max(64), CameraInput).default({}),
      })
      .strict()
      .default({ lidar: {}, camera: {} }),
  })
  .strict();

export const RosConfigSchema = z
  .object({
    /** The node's name on the graph. */
    node_name: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/).max(64).default('overwatch_twin'),
    /** TF topic (tf2_msgs/TFMessage), shared by all vehicles; false to not publish TF. */
    tf: z.union([Name, z.literal(false)]).default('/tf'),
    /** Most messages per second per continuous topic, in the twin's clock (sim) time. */
    rate_hz: Rate.default(20),
    /**
     * Publish the twin's clock on `/clock` (rosgraph_msgs/Clock) this many times per wall second, so
     * nodes with `use_sim_time` follow a simulated run's time; 0 = not published (default).
     */
    clock_hz: z.number().min(0).max(1000).default(0),
    /** ROS 2 only: which message set (Humble or Jazzy). */
    ros2_distro: z.enum(['humble', 'jazzy']).default('humble'),
    vehicles: z.record(z.string().min(1).max(64), VehicleRos).default({}),
  })
  .strict();

export type RosConfig = z.infer<typeof RosConfigSchema>;
export type VehicleRosConfig = z.infer<typeof VehicleRos>;

/** The default configuration (every vehicle in its namespace, nothing subscribed). */
export const defaultRosConfig = (): RosConfig => RosConfigSchema.parse({});

/** A vehicle's configuration, defaults filled in for a vehicle the file does not name. */
export function vehicleRosConfig(config: RosConfig, vehicle: string): VehicleRosConfig {
  return config.vehicles[vehicle] ?? VehicleRos.parse({});
}

/** The namespace of `vehicle` (`/<vehicle>` unless configured), without a trailing slash. */
export function vehicleNamespace(config: RosConfig, vehicle: string): string {
  const ns = vehicleRosConfig(config, vehicle).namespace ?? vehicle;
  return ns.startsWith('/') ? ns : `/${ns}`;
}

/** `name` resolved in `ns`: absolute names stay, relative ones go under the namespace. */
export const resolveName = (ns: string, name: string): string => (name.startsWith('/') ? name : `${ns === '/' ? '' : ns}/${name}`);

/** Validates a parsed configuration; `ROS.CONFIG` with the first issue's path on failure. */
export function parseRosConfig(raw: unknown): Result<RosConfig, 'ROS.CONFIG'> {
  const r = RosConfigSchema.safeParse(raw ?? {});
  if (r.success) return ok(r.data);
  const i = r.error.issues[0];
  return fail('ROS.CONFIG', `${i?.path.join('.') || '(root)'}: ${i?.message}`);
}

/** Reads and validates a YAML or JSON configuration file. */
export async function loadRosConfig(file: string): Promise<Result<RosConfig, 'ROS.CONFIG'>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return fail('ROS.CONFIG', `${file}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    return fail('ROS.CONFIG', `${file}: not YAML/JSON: ${(error as Error).message}`);
  }
  const r = parseRosConfig(raw);
  return r.ok ? r : fail('ROS.CONFIG', `${file}: ${r.error.message}`);
}
