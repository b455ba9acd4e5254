/**
 * The simulated SLAM port: KISS-ICP odometry (slam/) on the simulated Ouster's packets, decoded by
 * the real frame assembler — it estimates from the scans, it never reads the vehicle's truth
 * position. The vehicle's attitude (what an autopilot/IMU reports) is an optional rotation prior.
 *
 * @remarks
 * Registration runs synchronously as each frame completes, so under the virtual clock the event
 * stream is deterministic for a seed. The map is published every `map_every_n` scans.
 */
import { okVoid, fail } from '../../../core/result.js';
import { bodyToNed, mul3, sensorToBody, type Attitude } from '../../../core/sensors/sensor-frame.js';
import { OusterScanAssembler } from '../../real/lidar/ouster/ouster-scan-assembler.js';
import type { OusterSensorInfo } from '../../real/lidar/ouster/ouster-metadata.js';
import { makeXyzLut } from '../../real/lidar/ouster/ouster-xyz-lut.js';
import type { Unsubscribe, VehiclePoseSource } from '../../sensor.port.js';
import type { SlamEvent, SlamPort, SlamResult } from '../../slam.port.js';
import { KissIcpOdometry, type KissIcpOptions } from '../../../slam/kiss-icp-odometry.js';
import { compose, expTwist, inverse, rotationAngle, toQuaternion, translationOf, type Pose } from '../../../slam/rigid-transform.js';
import { frameToSlamScan } from './slam-sim-scan.js';

/** What the adapter needs from the simulated sensor (an OusterSim satisfies it). */
export interface OusterPacketSource {
  readonly info: OusterSensorInfo;
  subscribe(fn: (packet: Uint8Array) => void): Unsubscribe;
}

export interface SimSlamOptions {
  readonly lidar: OusterPacketSource;
  /** Attitude prior source (rotation only is used). */
  readonly attitude?: VehiclePoseSource;
  readonly mount_deg?: Attitude;
  readonly odometry?: Partial<KissIcpOptions>;
  /** Publish `/slam/map` every n scans (default 10; 0 = never). */
  readonly map_every_n?: number;
}

export function createSimSlamPort(o: SimSlamOptions): SlamPort {
  const odo = new KissIcpOdometry({ maxRange_m: 100, voxelSize_m: 1, ...o.odometry });
  const lut = makeXyzLut(o.lidar.info);
  const mount = sensorToBody(o.mount_deg);
  const subs = new Set<(e: SlamEvent) => void>();
  const emit = (e: SlamEvent) => { for (const fn of subs) fn(e); };
  let unsub: Unsubscribe | undefined;
  let disposed = false;
  let last: { pose: Pose; t_ms: number } | undefined;
  let scans = 0;

  const onFrame = (frame: Parameters<typeof frameToSlamScan>[1]) => {
    if (frame.missing_columns > frame.w / 4) return;
    const scan = frameToSlamScan(lut, frame);
    const att = o.attitude?.pose()?.attitude_deg;
    const r = odo.register({ points: scan.points, times: scan.times, ...(att ? { attitude: mul3(bodyToNed(att), mount) } : {}) });
    const position_m = translationOf(r.pose);
    const orientation = toQuaternion(r.pose);
    emit({ type: 'pose', t_ms: scan.t_mid_ms, frame_id: 'map', position_m, orientation, ok: r.ok, ...(r.reason ? { reason: r.reason } : {}) });
    let linear: [number, number, number] = [0, 0, 0], angular: [number, number, number] = [0, 0, 0];
    if (last && scan.t_mid_ms > last.t_ms) {
      const dt = (scan.t_mid_ms - last.t_ms) / 1000;
      const d = compose(inverse(last.pose), r.pose);
      linear = [d[3]! / dt, d[7]! / dt, d[11]! / dt];
      const th = rotationAngle(d), f = th < 1e-9 ? 0.5 : th / (2 * Math.sin(th));
      angular = [(f * (d[9]! - d[6]!)) / dt, (f * (d[2]! - d[8]!)) / dt, (f * (d[4]! - d[1]!)) / dt];
    }
    emit({ type: 'odometry', t_ms: scan.t_mid_ms, frame_id: 'map', child_frame_id: 'base_link', position_m, orientation, linear_mps: linear, angular_radps: angular, sigma_m: r.sigma_m });
    last = { pose: r.pose, t_ms: scan.t_mid_ms };
    scans++;
    const every = o.map_every_n ?? 10;
    if (every > 0 && scans % every === 0) emit({ type: 'map', t_ms: scan.t_mid_ms, frame_id: 'map', points: odo.map.points() });
  };

  const notStarted = (): SlamResult => fail('SLAM.NOT_STARTED', 'SLAM is not running');
  return {
    capabilities: { backend: 'kiss-icp-sim', relocalize: true, map: true },
    async start() {
      if (disposed) return fail('SLAM.DISPOSED', 'SLAM port disposed');
      if (unsub) return okVoid;
      const asm = new OusterScanAssembler(o.lidar.info, onFrame);
      unsub = o.lidar.subscribe((p) => asm.push(p));
      return okVoid;
    },
    async stop() {
      unsub?.();
      unsub = undefined;
      return okVoid;
    },
    async reset() {
      if (!unsub) return notStarted();
      odo.reset();
      last = undefined;
      scans = 0;
      return okVoid;
    },
    async relocalize(hint) {
      if (!unsub) return notStarted();
      odo.relocalize(expTwist([hint.position_m[0], hint.position_m[1], hint.position_m[2], 0, 0, hint.yaw_rad ?? 0]));
      last = undefined;
      return okVoid;
    },
    subscribe(fn) {
      subs.add(fn);
      return () => { subs.delete(fn); };
    },
    async dispose() {
      disposed = true;
      unsub?.();
      unsub = undefined;
      subs.clear();
    },
  };
}
