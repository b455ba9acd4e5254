/**
 * `twin start --gz-sensors <file>`: which Gazebo topics feed which vehicle's declared sensors.
 *
 * ```yaml
 * vehicles:
 *   drone1:
 *     camera: /world/w/model/x500/link/camera_link/sensor/camera/image   # every declared camera
 *     lidar:                                                            # or per sensor id
 *       ouster: /world/w/model/x500/link/lidar_link/sensor/gpu_lidar/scan/points
 * ```
 *
 * @remarks
 * A topic given as a string feeds every sensor of that kind the vehicle declares; a map names
 * the sensor ids. A declared sensor the file does not name is built as without `--gz-sensors`
 * (the base factory). Cameras are {@link createGzCameraPort} (Image), LiDARs
 * {@link createGzLidarPort} (PointCloudPacked: the gpu_lidar's `<topic>/points`), both on the
 * session's node and the run's clock (Gazebo's under `--gz-world`).
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { Clock } from '../../../core/clock.js';
import type { Logger } from '../../../core/logger.js';
import { fail, ok, type Result } from '../../../core/result.js';
import type { BlobSink, SensorInfo, SensorPort, VehiclePoseSource } from '../../sensor.port.js';
import { createGzCameraPort } from './gz-camera.adapter.js';
import { createGzLidarPort } from './gz-lidar.adapter.js';
import type { GzNode } from './gz-node.js';
import { fullyQualifiedName } from './topic-names.js';

const Topic = z
  .string()
  .min(1)
  .max(1000)
  .refine((t) => fullyQualifiedName('p', t).ok, { message: 'not a valid Gazebo topic name' });
const PerKind = z.union([Topic, z.record(z.string().min(1).max(64), Topic)]);

export const GzSensorsConfigSchema = z.strictObject({
  vehicles: z.record(z.string().min(1).max(64), z.strictObject({ camera: PerKind.optional(), lidar: PerKind.optional() })).default({}),
});
export type GzSensorsConfig = z.output<typeof GzSensorsConfigSchema>;

/** Validates a parsed configuration; `GZ.SENSORS_CONFIG` with the first issue's path on failure. */
export function parseGzSensorsConfig(raw: unknown): Result<GzSensorsConfig, 'GZ.SENSORS_CONFIG'> {
  const r = GzSensorsConfigSchema.safeParse(raw ?? {});
  if (r.success) return ok(r.data);
  const i = r.error.issues[0];
  return fail('GZ.SENSORS_CONFIG', `${i?.path.join('.') || '(root)'}: ${i?.message}`);
}

/** Reads and validates a YAML or JSON file. */
export async function loadGzSensorsConfig(file: string): Promise<Result<GzSensorsConfig, 'GZ.SENSORS_CONFIG'>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return fail('GZ.SENSORS_CONFIG', `${file}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    return fail('GZ.SENSORS_CONFIG', `${file}: not YAML/JSON: ${(error as Error).message}`);
  }
  const c = parseGzSensorsConfig(raw);
  return c.ok ? c : fail('GZ.SENSORS_CONFIG', `${file}: ${c.error.message}`);
}

/** The topic feeding `vehicle`'s sensor `id` of `kind`, if the configuration names one. */
export function gzSensorTopic(config: GzSensorsConfig, vehicle: string, kind: 'camera' | 'lidar', id: string): string | undefined {
  const k = config.vehicles[vehicle]?.[kind];
  return typeof k === 'string' ? k : k?.[id];
}

/** What a sensor factory is asked (the shape of the runtime's `SensorPortRequest` this needs). */
export interface GzSensorRequest {
  readonly vehicle: string;
  readonly spec: { readonly id: string; readonly kind: 'camera' | 'lidar'; readonly model: string; readonly mount_deg?: SensorInfo['mount_deg'] };
  readonly clock: Clock;
  readonly logger: Logger;
  readonly blobs: BlobSink;
  readonly keyPrefix: string;
  readonly runKey: string;
  readonly pose: VehiclePoseSource;
}

/** A sensor factory taking the configured sensors from Gazebo topics, the rest from `base`. */
export function gzSensorFactory<R extends GzSensorRequest>(node: GzNode, config: GzSensorsConfig, base: (req: R) => Result<SensorPort, string>): (req: R) => Result<SensorPort, string> {
  return (req) => {
    const { spec } = req;
    const topic = gzSensorTopic(config, req.vehicle, spec.kind, spec.id);
    if (!topic) return base(req);
    const mount = spec.mount_deg ? { mount_deg: spec.mount_deg } : {};
    const common = { id: spec.id, vehicle: req.vehicle, model: spec.model, node, topic, clock: req.clock, blobs: req.blobs, pose: req.pose, logger: req.logger, ...mount };
    return ok(spec.kind === 'camera' ? createGzCameraPort({ ...common, keyPrefix: `captures/${req.keyPrefix}` }) : createGzLidarPort({ ...common, keyPrefix: `scans/${req.runKey}` }));
  };
}
