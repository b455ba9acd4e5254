/**
 * `--ros` / `--ros-config <file>` for `twin start` and `twin run`: the twin joins a ROS graph.
 *
 * @remarks
 * The composition of the ROS pieces: a node (ROS 1 when `ROS_MASTER_URI` is set, else ROS 2 on
 * rclnodejs when a ROS 2 environment is sourced), ports fed by ROS topics for the sensors and SLAM
 * the ROS configuration names (`inputs`: a LiDAR from sensor_msgs/PointCloud2, a camera from
 * sensor_msgs/Image or CompressedImage, a field LIO's odometry and registered cloud as the SLAM
 * port), and the ROS face (ros/) on the twin once it exists. Sensors and SLAM the configuration
 * does not name keep the ports the other flags give them.
 */
import type { SensorPortFactory, SlamPortFactory } from '../actors/scenario/sensor-wiring.js';
import type { Twin } from '../actors/twin.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { cameraProfile } from '../core/sensors/camera-profiles.js';
import { fail, ok } from '../core/result.js';
import { connectRos1 } from '../hardware/real/ros/ros1-node.adapter.js';
import { createRosCameraPort } from '../hardware/real/ros/ros-camera.adapter.js';
import { createRosLidarPort } from '../hardware/real/ros/ros-lidar.adapter.js';
import { createRosLioSource } from '../hardware/real/ros/ros-lio-source.js';
import type { RosNode } from '../hardware/real/ros/ros-node.port.js';
import { connectRos2, ros2Sourced } from '../hardware/real/ros/ros2/index.js';
import { createLioSlamPort } from '../hardware/real/slam/lio-slam.adapter.js';
import { LIO_TOPICS, type LioSource } from '../hardware/real/slam/lio-source.js';
import { defaultRosConfig, loadRosConfig, type RosConfig } from '../ros/ros-config.js';
import { startRosFace, type RosBlobReader, type RosFace } from '../ros/ros-face.js';

export interface RosSession {
  readonly node: RosNode;
  readonly config: RosConfig;
  /** ROS-fed ports for the sensors the configuration names; `base` for the others. */
  sensorFactory(base: SensorPortFactory): SensorPortFactory;
  /** The LIO SLAM port for vehicles whose configuration has `inputs.slam`; `base` for the others. */
  slamFactory(base: SlamPortFactory): SlamPortFactory;
  /** Puts `twin` on the graph (a previous twin's face is taken down first). */
  attach(twin: Twin): void;
  /** Where the face reads image and scan bytes (the store, once the operator services are up). */
  setBlobs(reader: RosBlobReader): void;
  /** The face of the attached twin, once up. */
  face(): Promise<RosFace | undefined>;
  /** Takes the face down and leaves the graph. */
  close(): Promise<void>;
}

/** A clock bound later (to the twin's): LIO SLAM ports are built before the twin exists but only read time once started. */
function lateClock(): Clock & { bind(c: Clock): void } {
  let c: Clock | undefined;
  const need = (): Clock => {
    if (!c) throw new Error('ROS SLAM port used before the twin exists');
    return c;
  };
  return {
    bind: (clock: Clock) => void (c = clock),
    get kind() {
      return c?.kind ?? 'wall';
    },
    hold: (reason: string) => {
      const clk = need();
      return clk.hold ? clk.hold(reason) : { reason, at_ms: clk.now(), release: () => undefined };
    },
    now: () => need().now(),
    setTimeout: (fn, ms) => need().setTimeout(fn, ms),
    clearTimeout: (h) => need().clearTimeout(h),
    notifyAsync: () => need().notifyAsync(),
  };
}

/**
 * Joins the graph and prepares the ROS inputs. Returns an error message (for the command line)
 * when the configuration is invalid or no ROS is there.
 */
export async function openRosSession(o: { readonly configFile?: string; readonly logger: Logger; readonly env?: NodeJS.ProcessEnv }): Promise<RosSession | string> {
  const env = o.env ?? process.env;
  let config = defaultRosConfig();
  if (o.configFile) {
    const c = await loadRosConfig(o.configFile);
    if (!c.ok) return `--ros-config: ${c.error.message}`;
    config = c.value;
  }
  let node: RosNode;
  if (env.ROS_MASTER_URI) {
    const n = await connectRos1({ masterUri: env.ROS_MASTER_URI, name: config.node_name, logger: o.logger });
    if (!n.ok) return `--ros: ${n.error.message}`;
    node = n.value;
  } else if (ros2Sourced(env)) {
    const n = await connectRos2({ name: config.node_name, distro: config.ros2_distro, logger: o.logger });
    if (!n.ok) return `--ros: ${n.error.message}`;
    node = n.value;
  } else return '--ros: set ROS_MASTER_URI (ROS 1, e.g. http://127.0.0.1:11311/) or source a ROS 2 environment (AMENT_PREFIX_PATH)';

  const clock = lateClock();
  const lio = new Map<string, { source: LioSource; backend: string }>();
  for (const [vehicle, vc] of Object.entries(config.vehicles)) {
    const s = vc.inputs.slam;
    if (!s) continue;
    const preset = s.preset ? LIO_TOPICS[s.preset] : undefined;
    const odometry = s.odometry ?? preset?.odometry;
    const cloud = s.cloud ?? preset?.cloud;
    const src = await createRosLioSource({ node, topics: { odometry: odometry!, ...(cloud ? { cloud } : {}) }, logger: o.logger });
    if (!src.ok) {
      await node.shutdown();
      return `--ros-config: vehicles.${vehicle}.inputs.slam: ${src.error.message}`;
    }
    lio.set(vehicle, { source: src.value, backend: s.preset ?? 'lio' });
  }

  let face: Promise<RosFace | undefined> = Promise.resolve(undefined);
  // Image and scan bytes: read once a store is there (twin start's services); absent otherwise.
  let reader: RosBlobReader | undefined;
  const blobs: RosBlobReader = { get: (key) => (reader ? reader.get(key) : Promise.resolve(fail('BLOB.UNAVAILABLE', 'no blob store in this session'))) };
  const unGraph = node.onGraph?.((up) => (up ? o.logger.info('ros: graph back, registrations restored') : o.logger.warn('ros: master / graph lost; the twin runs on and re-registers when it is back')));

  return {
    node,
    config,
    sensorFactory: (base) => (req) => {
      const inputs = config.vehicles[req.vehicle]?.inputs;
      const { spec } = req;
      const mount = spec.mount_deg ? { mount_deg: spec.mount_deg } : {};
      if (spec.kind === 'lidar' && inputs?.lidar[spec.id]) {
        return ok(
          createRosLidarPort({ id: spec.id, vehicle: req.vehicle, model: spec.model, node, topic: inputs.lidar[spec.id]!.topic, clock: req.clock, blobs: req.blobs, keyPrefix: `scans/${req.runKey}`, pose: req.pose, logger: req.logger, ...mount }),
        );
      }
      if (spec.kind === 'camera' && inputs?.camera[spec.id]) {
        const cam = inputs.camera[spec.id]!;
        const p = cameraProfile(spec.model);
        return ok(
          createRosCameraPort({
            id: spec.id,
            vehicle: req.vehicle,
            model: spec.model,
            node,
            topic: cam.topic,
            type: cam.type,
            clock: req.clock,
            blobs: req.blobs,
            keyPrefix: `captures/${req.keyPrefix}`,
            pose: req.pose,
            logger: req.logger,
            ...(p ? { camera: { resolution_px: p.resolution_px, sensor_mm: p.sensor_mm, focal_length_mm: p.focal_lengths_mm[0] ?? 0, min_interval_s: p.min_interval_s, media_type: 'image/jpeg' } } : {}),
            ...mount,
          }),
        );
      }
      return base(req);
    },
    slamFactory: (base) => (req) => {
      const l = lio.get(req.vehicle);
      if (!l) return base(req);
      return ok(createLioSlamPort({ source: l.source, clock, backend: l.backend, logger: req.logger }));
    },
    attach(twin) {
      clock.bind(twin.clock);
      for (const [vehicle, vc] of Object.entries(config.vehicles)) {
        if (!twin.vehicleIds.includes(vehicle)) o.logger.warn({ vehicle }, 'ros config names a vehicle the scenario does not have');
        else if (vc.inputs.slam && twin.slam(vehicle).length === 0) o.logger.warn({ vehicle }, 'ros config inputs.slam ignored: the scenario declares no slam for this vehicle');
      }
      const previous = face;
      face = previous
        .then((f) => f?.stop())
        .then(() => startRosFace(twin, node, config, { logger: o.logger, blobs }))
        .catch((error: unknown) => {
          o.logger.error({ err: (error as Error).message }, 'ros face did not start');
          return undefined;
        });
    },
    setBlobs: (r) => void (reader = r),
    face: () => face,
    async close() {
      await (await face)?.stop();
      unGraph?.();
      for (const l of lio.values()) await l.source.close();
      await node.shutdown();
    },
  };
}

