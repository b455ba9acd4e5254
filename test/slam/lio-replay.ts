/**
 * A LIO's output generated from a simulated trajectory and replayed on the virtual clock, as a
 * {@link LioSource}: nav_msgs/Odometry (FAST-LIVO2's `/aft_mapped_to_init`) and the registered
 * sensor_msgs/PointCloud2 (`/cloud_registered`) in the LIO's `camera_init` frame — which is not
 * the world's: it is where the LIO started (rotated and offset) — with ROS epoch stamps and a
 * delivery latency, as decoded ROS 1 messages.
 */
import type { VirtualClock } from '../../core/clock.js';
import type { LioSource, Ros1Odometry, Ros1PointCloud2 } from '../../hardware/real/slam/lio-source.js';
import type { FlightPath } from './slam-flight-fixtures.js';

export interface LioReplayOptions {
  readonly path: FlightPath;
  /** Path time at clock 0, s (default 0). */
  readonly pathOffset_s?: number;
  /** Odometry and cloud rate, Hz (default 10). */
  readonly rate_hz?: number;
  /** ROS time of clock 0, s (default 1.7e9: a wall-clock epoch). */
  readonly epoch_s?: number;
  /** Delivery latency, ms: base + a deterministic jitter up to `jitter_ms` (default 30 + 20). */
  readonly latency_ms?: number;
  readonly jitter_ms?: number;
  /** camera_init in the world (ENU): yaw, rad, and origin, m (default 0.4 rad at (3, -2, 1)). */
  readonly initYaw_rad?: number;
  readonly initOrigin_m?: readonly [number, number, number];
  /** Fill the twist (default false: zeros, as FAST-LIO leaves it). */
  readonly twist?: boolean;
  /** Position σ in the covariance, m, per path time (default: none, covariance −1 = unknown). */
  readonly positionStd?: (t_s: number) => number | undefined;
  /** Skip odometry (a LIO that stalls) when this returns true for the path time. */
  readonly silent?: (t_s: number) => boolean;
  readonly frame_id?: string;
}

/** The true pose of the sensor in ENU at path time t: position and yaw (rad, counter-clockwise from east). */
export function enuTruth(path: FlightPath, t_s: number): { p: [number, number, number]; yaw: number } {
  const s = path.at(t_s);
  return { p: [s.east, s.north, s.up], yaw: Math.PI / 2 - (s.yaw * Math.PI) / 180 };
}

const stamp = (t_s: number) => {
  const sec = Math.floor(t_s);
  return { sec, nsec: Math.round((t_s - sec) * 1e9) };
};

/** Odometry and cloud messages at path time `t_s` (clock time = (t_s − offset) s). */
export function lioMessages(o: LioReplayOptions, clock_ms: number): { odometry: Ros1Odometry; cloud: Ros1PointCloud2 } {
  const t_s = clock_ms / 1000 + (o.pathOffset_s ?? 0);
  const yaw0 = o.initYaw_rad ?? 0.4;
  const p0 = o.initOrigin_m ?? [3, -2, 1];
  const { p, yaw } = enuTruth(o.path, t_s);
  // camera_init ← world: rotate by −yaw0 about z after removing the origin.
  const [c, s] = [Math.cos(-yaw0), Math.sin(-yaw0)];
  const d = [p[0] - p0[0], p[1] - p0[1], p[2] - p0[2]];
  const pc = { x: c * d[0]! - s * d[1]!, y: s * d[0]! + c * d[1]!, z: d[2]! };
  const yc = yaw - yaw0;
  const frame_id = o.frame_id ?? 'camera_init';
  const header = { seq: Math.round(clock_ms / 100), stamp: stamp((o.epoch_s ?? 1.7e9) + clock_ms / 1000), frame_id };
  const std = o.positionStd?.(t_s);
  const cov = new Array<number>(36).fill(0);
  if (std === undefined) cov[0] = -1;
  else cov[0] = cov[7] = cov[14] = std * std;
  let linear = { x: 0, y: 0, z: 0 };
  let angular = { x: 0, y: 0, z: 0 };
  if (o.twist) {
    const dt = 0.01;
    const a = enuTruth(o.path, t_s - dt), b = enuTruth(o.path, t_s + dt);
    const v = [(b.p[0] - a.p[0]) / (2 * dt), (b.p[1] - a.p[1]) / (2 * dt), (b.p[2] - a.p[2]) / (2 * dt)];
    linear = { x: Math.cos(yaw) * v[0]! + Math.sin(yaw) * v[1]!, y: -Math.sin(yaw) * v[0]! + Math.cos(yaw) * v[1]!, z: v[2]! };
    angular = { x: 0, y: 0, z: (b.yaw - a.yaw) / (2 * dt) };
  }
  const odometry: Ros1Odometry = {
    header,
    child_frame_id: 'aft_mapped',
    pose: { pose: { position: pc, orientation: { x: 0, y: 0, z: Math.sin(yc / 2), w: Math.cos(yc / 2) } }, covariance: cov },
    twist: { twist: { linear, angular }, covariance: new Array<number>(36).fill(0) },
  };
  // The registered scan: a ring of wall points and a patch of ground around the sensor, in camera_init.
  const pts: number[] = [];
  for (let k = 0; k < 360; k += 3) {
    const az = (k * Math.PI) / 180;
    const wx = p[0] + 15 * Math.cos(az), wy = p[1] + 15 * Math.sin(az);
    for (const wz of [p[2] - 2, p[2], p[2] + 2]) pts.push(wx, wy, wz);
    pts.push(p[0] + 6 * Math.cos(az), p[1] + 6 * Math.sin(az), 0);
  }
  const f = new Float32Array((pts.length / 3) * 4); // x, y, z, intensity: point_step 16
  for (let i = 0; i < pts.length / 3; i++) {
    const dx = pts[i * 3]! - p0[0], dy = pts[i * 3 + 1]! - p0[1];
    f[i * 4] = c * dx - s * dy;
    f[i * 4 + 1] = s * dx + c * dy;
    f[i * 4 + 2] = pts[i * 3 + 2]! - p0[2];
    f[i * 4 + 3] = 100;
  }
  const width = pts.length / 3;
  const cloud: Ros1PointCloud2 = {
    header: { ...header, frame_id },
    height: 1,
    width,
    fields: [
      { name: 'x', offset: 0, datatype: 7, count: 1 },
      { name: 'y', offset: 4, datatype: 7, count: 1 },
      { name: 'z', offset: 8, datatype: 7, count: 1 },
      { name: 'intensity', offset: 12, datatype: 7, count: 1 },
    ],
    is_bigendian: false,
    point_step: 16,
    row_step: 16 * width,
    data: new Uint8Array(f.buffer),
    is_dense: true,
  };
  return { odometry, cloud };
}

/** A {@link LioSource} replaying {@link lioMessages} on the clock once `begin()` is called; `inject` delivers any message now. */
export class LioReplaySource implements LioSource {
  private readonly odo = new Set<(m: Ros1Odometry) => void>();
  private readonly clouds = new Set<(m: Ros1PointCloud2) => void>();
  private timer: ReturnType<VirtualClock['setTimeout']> | undefined;
  private n = 0;
  closed = false;
  delivered = 0;

  constructor(private readonly clock: VirtualClock, readonly options: LioReplayOptions) {}

  onOdometry(cb: (msg: Ros1Odometry) => void) {
    this.odo.add(cb);
    return () => void this.odo.delete(cb);
  }

  onCloud(cb: (msg: Ros1PointCloud2) => void) {
    this.clouds.add(cb);
    return () => void this.clouds.delete(cb);
  }

  close() {
    this.closed = true;
    this.clock.clearTimeout(this.timer);
    this.odo.clear();
    this.clouds.clear();
  }

  /** Publishes at `rate_hz` from the clock's now; each message arrives after its latency. */
  begin(): void {
    const period = 1000 / (this.options.rate_hz ?? 10);
    const tick = () => {
      const t_ms = this.clock.now();
      const silent = this.options.silent?.(t_ms / 1000 + (this.options.pathOffset_s ?? 0)) ?? false;
      const { odometry, cloud } = lioMessages(this.options, t_ms);
      const latency = (this.options.latency_ms ?? 30) + ((this.n++ * 7919) % 11) / 10 * (this.options.jitter_ms ?? 20);
      this.clock.setTimeout(() => {
        if (!silent) this.inject('odometry', odometry);
        this.inject('cloud', cloud);
      }, latency);
      this.timer = this.clock.setTimeout(tick, period);
    };
    tick();
  }

  inject(kind: 'odometry', msg: unknown): void;
  inject(kind: 'cloud', msg: unknown): void;
  inject(kind: 'odometry' | 'cloud', msg: unknown): void {
    if (this.closed) return;
    this.delivered++;
    if (kind === 'odometry') for (const cb of this.odo) cb(msg as Ros1Odometry);
    else for (const cb of this.clouds) cb(msg as Ros1PointCloud2);
  }
}
