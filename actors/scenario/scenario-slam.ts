/**
 * A run's SLAM: one port per vehicle that declares `slam: { lidar }`, built by the composition
 * root's factory over that vehicle's LiDAR port (the runtime never constructs adapters), plus
 * why a declared SLAM could not be built (then the vehicle runs without it and `slam_drift` says so).
 */
import type { Logger } from '../../core/logger.js';
import type { SlamPort } from '../../hardware/slam.port.js';
import type { VehicleBackend } from './backends.js';
import type { Scenario } from './scenario.schema.js';
import { simPoseSource, telemetryPoseSource, type SlamPortFactory } from './sensor-wiring.js';

export interface ScenarioSlamPorts {
  readonly ports: ReadonlyMap<string, SlamPort>;
  /** Vehicle → why its declared SLAM is not running. */
  readonly unavailable: ReadonlyMap<string, string>;
}

/** Builds the declared SLAM ports once the backend's sensor ports exist (after `backend.start()`). */
export function buildSlamPorts(scenario: Scenario, backend: VehicleBackend, factory: SlamPortFactory | undefined, logger: Logger): ScenarioSlamPorts {
  const ports = new Map<string, SlamPort>();
  const unavailable = new Map<string, string>();
  for (const v of scenario.vehicles) {
    if (!v.slam) continue;
    const lidar = backend.sensors?.get(v.id)?.find((p) => p.id === v.slam!.lidar);
    if (!factory) {
      unavailable.set(v.id, 'no SLAM port factory given to this run');
      continue;
    }
    if (!lidar) {
      unavailable.set(v.id, `LiDAR ${v.slam.lidar} has no port`);
      continue;
    }
    const vehiclePort = backend.ports.get(v.id);
    const attitude = backend.world ? simPoseSource(backend.world, v.id) : vehiclePort ? telemetryPoseSource(vehiclePort) : undefined;
    let r: ReturnType<SlamPortFactory>;
    try {
      r = factory({ backend: backend.kind ?? 'link', vehicle: v.id, lidarId: v.slam.lidar, lidar, ...(attitude ? { attitude } : {}), logger: logger.child({ vehicle: v.id, slam: v.slam.lidar }) });
    } catch (error) {
      r = { ok: false, error: { code: 'SLAM.FACTORY', message: (error as Error).message } };
    }
    if (r.ok) ports.set(v.id, r.value);
    else unavailable.set(v.id, r.error.message);
  }
  return { ports, unavailable };
}
