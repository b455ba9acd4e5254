/**
 * `createSimLidarPort`: a simulated Ouster ({@link OusterSim}) feeding its real packets
 * in-process into the same adapter a real sensor uses ({@link createOusterLidarPort}). The sim
 * spins only while the port streams. Deterministic under the virtual clock.
 */
import type { Clock } from '../../../core/clock.js';
import type { GeoPoint } from '../../../core/geo.js';
import type { Logger } from '../../../core/logger.js';
import type { Rng } from '../../../core/rng.js';
import { createOusterLidarPort, type OusterLidarPort } from '../../real/lidar/ouster/ouster-lidar.adapter.js';
import type { LidarMode, UdpProfileLidar } from '../../real/lidar/ouster/ouster-metadata.js';
import type { BlobSink, VehiclePoseSource } from '../../sensor.port.js';
import type { WorldRaycaster } from '../world/world-raycaster.js';
import type { SensorWorldSpec } from '../world/world-spec.js';
import { OusterSim } from './ouster-sim.js';

export interface SimLidarPortOptions {
  readonly id: string;
  readonly vehicle: string;
  /** `os1-64` etc. */
  readonly model: string;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly world: SensorWorldSpec | WorldRaycaster;
  readonly origin: GeoPoint;
  /** The simulator's truth: where the carrying vehicle is. */
  readonly vehicle_pose: VehiclePoseSource;
  readonly blobs: BlobSink;
  readonly keyPrefix: string;
  readonly mount_deg?: { readonly roll: number; readonly pitch: number; readonly yaw: number };
  readonly lidar_mode?: LidarMode;
  readonly udp_profile_lidar?: UdpProfileLidar;
  readonly range_noise_sd_m?: number;
  readonly dropout_probability?: number;
  readonly packet_loss_probability?: number;
  readonly logger?: Logger;
}

export interface SimLidarPort extends OusterLidarPort {
  readonly sim: OusterSim;
}

export function createSimLidarPort(o: SimLidarPortOptions): SimLidarPort {
  const sim = new OusterSim({
    model: o.model, clock: o.clock, rng: o.rng, world: o.world, origin: o.origin, vehicle: o.vehicle_pose,
    ...(o.mount_deg ? { mount_deg: o.mount_deg } : {}),
    ...(o.lidar_mode ? { lidar_mode: o.lidar_mode } : {}),
    ...(o.udp_profile_lidar ? { udp_profile_lidar: o.udp_profile_lidar } : {}),
    ...(o.range_noise_sd_m !== undefined ? { range_noise_sd_m: o.range_noise_sd_m } : {}),
    ...(o.dropout_probability !== undefined ? { dropout_probability: o.dropout_probability } : {}),
    ...(o.packet_loss_probability !== undefined ? { packet_loss_probability: o.packet_loss_probability } : {}),
  });
  const port = createOusterLidarPort({
    id: o.id, vehicle: o.vehicle, model: o.model, clock: o.clock, blobs: o.blobs, keyPrefix: o.keyPrefix, pose: o.vehicle_pose,
    ...(o.mount_deg ? { mount_deg: o.mount_deg } : {}),
    ...(o.logger ? { logger: o.logger } : {}),
    source: {
      kind: 'packets',
      metadata: sim.metadata,
      subscribe: (fn) => sim.subscribe(fn),
      subscribeImu: (fn) => sim.subscribeImu(fn),
      start: () => sim.start(),
      stop: () => sim.stop(),
    },
  });
  const dispose = port.dispose;
  return Object.assign(port, {
    sim,
    async dispose() {
      await dispose();
      await sim.dispose();
    },
  });
}
