/**
 * The composition root of the command line: picks where the vehicles come from (`--vehicle`),
 * and for `twin start` puts the pieces together in the order a restart needs — read what the
 * last session saved, run the twin on the vehicles' ports, start the operator services (store,
 * REST API, dashboard, bridge) beside it, restore the saved missions once the vehicles answer.
 * Views (the terminal live view) only watch the twin they are given.
 */
import { createWebSocketInspector } from '@statelyai/inspect';
import { linkBackend, simBackend, sitlBackend, type BackendFactory } from '../actors/scenario/backends.js';
import { runScenario, type ScenarioReport } from '../actors/scenario/scenario.runner.js';
import type { Scenario } from '../actors/scenario/scenario.schema.js';
import type { Twin } from '../actors/twin.js';
import type { Logger } from '../core/logger.js';
import type { RunnableClock } from '../core/clock.js';
import { parseConnectionUrl, type Link } from '../hardware/real/mavlink/index.js';
import { createMavlinkCameraPort } from '../hardware/real/mavlink/camera/index.js';
import { isLidarMode } from '../hardware/real/lidar/ouster/ouster-models.js';
import { createOusterLidarPort } from '../hardware/real/lidar/ouster/ouster-lidar.adapter.js';
import { createSimCameraPort } from '../hardware/sim/sensors/sim-camera.adapter.js';
import { createSimLidarPort } from '../hardware/sim/sensors/ouster-sim-lidar.adapter.js';
import { OusterSim } from '../hardware/sim/sensors/ouster-sim.js';
import { cameraProfile } from '../core/sensors/camera-profiles.js';
import { fail, ok } from '../core/result.js';
import { Rng } from '../core/rng.js';
import type { SensorPortFactory, SlamPortFactory } from '../actors/scenario/sensor-wiring.js';
import { createSimSlamPort } from '../hardware/sim/sensors/slam-sim.adapter.js';
import type { BlobSink } from '../hardware/sensor.port.js';
import { persistMissionState, restoreSavedMissions, savedMissions, type RestoreOutcome } from '../storage/mission-state.sink.js';
import { dataDir, openStore } from '../storage/store.js';
import { startOperatorServices, type OperatorServices } from './operator-services.js';
import { chunkBytesFromEnv, openRunRecording, type RunRecording } from './record-option.js';
import { hpcEndpoint } from './hpc-endpoint.js';

/** Event log entries a long-running twin keeps in memory (the store keeps all). */
export const EVENT_WINDOW = 10_000;

/** `--vehicle sim | sitl | <connection-url>` → a backend factory, or an error message. */
export function backendFor(vehicle: string, speed: number): BackendFactory | string {
  if (vehicle === 'sim') return simBackend;
  if (vehicle === 'sitl') return sitlBackend(Number.isFinite(speed) ? speed : 20);
  const url = parseConnectionUrl(vehicle);
  if (!url.ok) return `--vehicle: expected sim, sitl or a connection URL (udpin://, udpout://, tcp://, serial://): ${url.error.message}`;
  // Real vehicles: the runner puts them on the wall clock (scaled by --speed for a fast SITL).
  return linkBackend(vehicle, Number.isFinite(speed) ? speed : 1);
}

/**
 * The sensor adapters of every backend, chosen here (the runtime receives ports):
 * - `sim`: the rendering camera (`hardware/sim/sensors/sim-camera.adapter.ts`) on the simulator's
 *   truth and the autopilot's trigger; the simulated Ouster (real packets from raycasts).
 * - `sitl`, `link`: the MAVLink camera protocol (component 100+ beside the autopilot); a LiDAR is a
 *   simulated Ouster on `sitl`, and on a real vehicle an Ouster over UDP (`settings.udp_host`,
 *   `settings.lidar_port`, `settings.metadata_url` or metadata file path `settings.metadata`).
 * Camera `model` names a profile (core/sensors/camera-profiles.ts); LiDAR `model` an Ouster model
 * (`os1-64` …), `settings.lidar_mode` its mode (e.g. `512x10`).
 */
/**
 * SLAM ports for `vehicles[].slam`: on `--vehicle sim`, KISS-ICP odometry (hardware/sim/sensors/
 * slam-sim.adapter.ts) on that vehicle's simulated Ouster, with its attitude as the rotation
 * prior. Other backends have no SLAM port yet (a field LIO through ROS would come here): the
 * result says so and the run goes on without SLAM.
 */
export const slamPortFactory: SlamPortFactory = (req) => {
  if (req.backend !== 'sim') return fail('SLAM.UNSUPPORTED', `no SLAM port for this backend (${req.backend})`);
  const sim = (req.lidar as { sim?: unknown }).sim;
  if (req.lidar.kind !== 'lidar' || !(sim instanceof OusterSim)) return fail('SLAM.UNSUPPORTED', `no SLAM port for LiDAR ${req.lidarId}: not a simulated Ouster`);
  return ok(createSimSlamPort({ lidar: sim, ...(req.attitude ? { attitude: req.attitude } : {}) }));
};

export const sensorPortFactory: SensorPortFactory = (req) => {
  const { spec } = req;
  const mount = spec.mount_deg ? { mount_deg: spec.mount_deg } : {};
  if (spec.kind === 'camera') {
    if (req.backend === 'sim') {
      if (!cameraProfile(spec.model)) return fail('SENSOR.INVALID', `unknown camera profile '${spec.model}'`);
      if (!req.origin) return fail('SENSOR.INVALID', 'the simulated camera needs the world origin');
      return ok(
        createSimCameraPort({
          id: spec.id,
          vehicle: req.vehicle,
          model: spec.model,
          clock: req.clock,
          pose: req.pose,
          ...(req.trigger ? { trigger: req.trigger } : {}),
          blobs: req.blobs,
          keyPrefix: `captures/${req.keyPrefix}`,
          seed: req.seed,
          world: req.world,
          origin: req.origin,
          ...mount,
        }),
      );
    }
    const m = req.mavlink;
    if (!m) return fail('SENSOR.INVALID', 'no MAVLink link to reach the camera on');
    return ok(
      createMavlinkCameraPort({
        id: spec.id,
        vehicle: req.vehicle,
        clock: req.clock,
        targetSystem: m.targetSystem,
        ...(m.link ? { link: m.link as Link } : m.url ? { url: m.url } : {}),
        ...(cameraProfile(spec.model) ? { profile: spec.model } : {}),
        pose: req.pose,
        logger: req.logger,
      }),
    );
  }
  const settings = spec.settings ?? {};
  const mode = typeof settings['lidar_mode'] === 'string' ? settings['lidar_mode'] : undefined;
  if (mode !== undefined && !isLidarMode(mode)) return fail('SENSOR.INVALID', `lidar_mode '${mode}' is not an Ouster lidar mode`);
  if (req.backend !== 'link') {
    if (!req.origin) return fail('SENSOR.INVALID', 'the simulated LiDAR needs the world origin');
    return ok(
      createSimLidarPort({
        id: spec.id,
        vehicle: req.vehicle,
        model: spec.model,
        clock: req.clock,
        rng: new Rng(req.seed),
        world: req.world,
        origin: req.origin,
        vehicle_pose: req.pose,
        blobs: req.blobs,
        keyPrefix: `scans/${req.runKey}`,
        logger: req.logger,
        ...(mode !== undefined && isLidarMode(mode) ? { lidar_mode: mode } : {}),
        ...mount,
      }),
    );
  }
  const port = settings['lidar_port'];
  const metadata = settings['metadata'] ?? settings['metadata_url'];
  if (typeof port !== 'number' || metadata === undefined)
    return fail('SENSOR.INVALID', 'an Ouster on a real vehicle needs settings.lidar_port and settings.metadata (file or URL)');
  return ok(
    createOusterLidarPort({
      id: spec.id,
      vehicle: req.vehicle,
      model: spec.model,
      clock: req.clock,
      source: { kind: 'udp', host: typeof settings['udp_host'] === 'string' ? settings['udp_host'] : '0.0.0.0', lidar_port: port, metadata },
      blobs: req.blobs,
      keyPrefix: `scans/${req.runKey}`,
      pose: req.pose,
      logger: req.logger,
      ...mount,
    }),
  );
};

/**
 * A blob sink whose target is known later (the operator services open the store after the
 * sensors' ports are built): each write waits for it, or fails with `BLOB.UNAVAILABLE`.
 */
function deferredBlobSink(target: () => Promise<OperatorServices | undefined>, alsoTo?: BlobSink): BlobSink {
  return {
    async put(key, data, mediaType) {
      const s = await target();
      const r = s ? await s.blobs.put(key, data, mediaType) : fail('BLOB.UNAVAILABLE', 'BLOB.UNAVAILABLE: the operator services (and their store) did not start');
      // --record takes the same bytes (its buffer), once the store has them.
      if (r.ok && alsoTo) await alsoTo.put(key, data, mediaType);
      return r;
    },
  };
}

/** What the last session left to resume, read before this session can write anything. */
function readSavedMissions(dir: string): ReturnType<typeof savedMissions> {
  const store = openStore({ dir });
  try {
    return savedMissions(store);
  } finally {
    store.close();
  }
}

export interface TwinSessionOptions {
  readonly scenario: Scenario;
  readonly file: string;
  readonly speed: number;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  /** Where the vehicles come from (default: the simulator). */
  readonly backend?: BackendFactory;
  /** Start the storage, REST API, dashboard and bridge (default true). */
  readonly services?: boolean;
  /** Restore the missions the last session (same TWIN_DATA_DIR) left loaded, running or paused. */
  readonly resume?: boolean;
  /** Stream actor events to a Stately inspector at this WebSocket URL. */
  readonly inspectUrl?: string;
  /** Seconds allowed for the vehicles to connect (default 60); past it the session ends, failed. */
  readonly connectTimeout_s?: number;
  /** Called once the twin exists (views attach here). */
  readonly onTwin?: (twin: Twin) => void;
  readonly onServices?: (services: OperatorServices) => void;
  readonly onServicesFailed?: (error: Error) => void;
  readonly onResumed?: (outcome: RestoreOutcome) => void;
  /** Record the session to this MCAP file (`twin start --record`). */
  readonly record?: string;
  /** Called with the recording's one-line summary (or error) when it closes. */
  readonly onRecorded?: (line: string) => void;
  /** Port factories taking precedence over {@link sensorPortFactory} / {@link slamPortFactory} (`--ros`). */
  readonly sensorFactory?: SensorPortFactory;
  readonly slamFactory?: SlamPortFactory;
  /** The session's clock instead of the backend's own (`--gz-world`: Gazebo's sim time). */
  readonly clock?: RunnableClock;
}

/**
 * `twin start`: the twin over the vehicles' ports, in real time, with the operator services,
 * until the signal aborts (or the vehicles never connect). Returns the run's report.
 */
export async function runTwinSession(options: TwinSessionOptions): Promise<ScenarioReport> {
  const { scenario, logger, signal } = options;
  const stopOnFailure = new AbortController();
  const stopped = AbortSignal.any([signal, stopOnFailure.signal]);
  const saved = options.resume ? readSavedMissions(dataDir()) : [];
  const inspector = options.inspectUrl ? createWebSocketInspector({ url: options.inspectUrl }) : undefined;
  let services: Promise<OperatorServices | undefined> = Promise.resolve(undefined);
  const withServices = options.services ?? true;
  // Without the services (which keep the store), mission state is still kept for --resume.
  const store = withServices ? undefined : openStore({ dir: dataDir() });
  let detach: (() => void) | undefined;
  let recording: RunRecording | undefined;
  // after_mission.hpc: TWIN_HPC_URL, else an embedded HPC service started on first use.
  const hpc = hpcEndpoint({ url: process.env.TWIN_HPC_URL, logger });
  try {
    if (options.record) {
      const opened = await openRunRecording(options.record, { logger, metadata: { scenario: scenario.name, file: options.file }, chunkBytes: chunkBytesFromEnv() ?? 256 * 1024 });
      if (typeof opened === 'string') throw new Error(`--record: ${opened}`);
      recording = opened;
    }
    const { report } = await runScenario(scenario, {
      speed: options.speed,
      file: options.file,
      logger,
      // Days of running: keep a window in memory; the store receives every entry.
      eventLog: { window: EVENT_WINDOW },
      ...(options.backend ? { backend: options.backend } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      sensorFactory: options.sensorFactory ?? sensorPortFactory,
      slamFactory: options.slamFactory ?? slamPortFactory,
      hpc: hpc.provide,
      // The sensors write into the store the API and bridge serve, once the services are up;
      // without services, --record's buffer takes the sensors' bytes.
      ...(withServices
        ? { blobs: deferredBlobSink(() => services, recording?.sink) }
        : recording?.sink
          ? { blobs: recording.sink }
          : {}),
      ...(inspector ? { inspect: inspector.inspect } : {}),
      ...(options.connectTimeout_s !== undefined ? { connectTimeout_s: options.connectTimeout_s } : {}),
      signal: stopped,
      ignoreStopWhenDone: true,
      onTwin: (twin) => {
        recording?.attach(twin);
        if (store) detach = persistMissionState(store, twin, (err) => logger.error({ err }, 'mission state write failed'));
        if (withServices)
          services = startOperatorServices({ twin, scenario, logger }).then(
            (s) => {
              options.onServices?.(s);
              return s;
            },
            (error: unknown) => {
              options.onServicesFailed?.(error as Error);
              stopOnFailure.abort();
              return undefined;
            },
          );
        options.onTwin?.(twin);
      },
      beforeMissions: async (twin) => {
        if (!saved.length) return;
        options.onResumed?.(await restoreSavedMissions(twin, saved, stopped));
      },
    });
    return report;
  } finally {
    inspector?.stop();
    await hpc.close();
    await (await services)?.stop();
    detach?.();
    store?.close();
    if (recording) options.onRecorded?.((await recording.close()).line);
  }
}
