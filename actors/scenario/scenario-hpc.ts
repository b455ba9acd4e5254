/**
 * A run's `after_mission.hpc`: once a vehicle's mission is COMPLETED, its SLAM map (the latest
 * map its SLAM port published) or its captured LiDAR scans (georeferenced with each scan's
 * pose) are encoded as PCD and sent to the HPC service through {@link HpcClient}; the result goes
 * to the blob store, `hpc.submitted` / `hpc.finished` to the log, the job's life to `/hpc/jobs`.
 * `hpc_job` expectations read the outcomes.
 *
 * @remarks
 * Scans are kept as the LiDAR writes them (a tap on the sensors' blob sink, bytes of
 * `…/<vehicle>/<lidar>/….xyzi`), at most {@link MAX_SCAN_BYTES} per vehicle: past it every
 * other kept scan is dropped and only every 2nd (4th, …) later one kept, so the choice is
 * deterministic and the cloud spans the whole flight.
 */
import type { Clock } from '../../core/clock.js';
import type { LocalFrame } from '../../core/geo.js';
import type { Logger } from '../../core/logger.js';
import { fail, ok, type Result } from '../../core/result.js';
import type { HpcPort, HpcResult } from '../../hardware/hpc.port.js';
import type { BlobSink, ScanRef } from '../../hardware/sensor.port.js';
import type { SlamPort } from '../../hardware/slam.port.js';
import { encodePcd } from '../../pointcloud/index.js';
import { makeCloud } from '../../pointcloud/point-cloud.js';
import { topics, type Bus, type MissionStatusMsg } from '../bus.js';
import type { EventLog } from '../event-log.js';
import { HpcClient, type HpcInput, type HpcJobOutcome } from '../hpc-client.js';
import type { Scenario } from './scenario.schema.js';

/** Scan bytes kept per vehicle for `source: scans`. */
export const MAX_SCAN_BYTES = 64 * 1024 * 1024;
/** Bytes per scan point in the LiDAR's blobs: x, y, z, intensity float32, sensor frame. */
const XYZI = 16;

/** Where the HPC service comes from; the composition root supplies it (called once, on first use). */
export type HpcPortProvider = () => Promise<HpcResult<HpcPort>>;

interface ScanStore {
  stride: number;
  seen: number;
  bytes: number;
  readonly kept: Map<string, Uint8Array>;
}

export class ScenarioHpc {
  readonly declared: boolean;
  private client: HpcClient | undefined;
  private readonly maps = new Map<string, Float32Array>();
  private readonly scans = new Map<string, ScanStore>();
  private readonly refs = new Map<string, ScanRef[]>();
  private readonly unsubs: (() => void)[] = [];
  private readonly started = new Set<string>();
  private frame: LocalFrame | undefined;

  /** Some job reads `scans` (the sensors' blob sink must be tapped). */
  readonly wantsScans: boolean;

  constructor(private readonly scenario: Scenario, private readonly provider: HpcPortProvider | undefined) {
    this.declared = scenario.vehicles.some((v) => v.after_mission?.hpc);
    this.wantsScans = scenario.vehicles.some((v) => v.after_mission?.hpc?.source === 'scans');
  }

  /** Wraps the sensors' blob sink to keep the scans of vehicles whose job reads `scans`. */
  tap(sink: BlobSink): BlobSink {
    const wanted = new Map<string, string>();
    for (const v of this.scenario.vehicles) {
      if (v.after_mission?.hpc?.source !== 'scans') continue;
      for (const s of v.sensors) if (s.kind === 'lidar') wanted.set(`/${v.id}/${s.id}/`, v.id);
    }
    if (!wanted.size) return sink;
    return {
      put: (key, data, mediaType) => {
        if (key.endsWith('.xyzi')) for (const [seg, vehicle] of wanted) if (key.includes(seg)) this.keepScan(vehicle, key, data);
        return sink.put(key, data, mediaType);
      },
    };
  }

  /** Starts listening: SLAM maps, scan references, mission completions. */
  attach(o: { clock: Clock; bus: Bus; log: EventLog; blobs: BlobSink; slam: ReadonlyMap<string, SlamPort>; logger: Logger; frame: () => LocalFrame | undefined }): void {
    if (!this.declared) return;
    const provider = this.provider;
    let port: Promise<HpcResult<HpcPort>> | undefined;
    this.client = new HpcClient({
      clock: o.clock,
      bus: o.bus,
      log: o.log,
      blobs: o.blobs,
      logger: o.logger,
      port: () => (port ??= provider ? provider() : Promise.resolve(fail('HPC.UNAVAILABLE', 'no HPC service given to this run (TWIN_HPC_URL / --hpc, or the embedded one)'))),
    });
    for (const v of this.scenario.vehicles) {
      const spec = v.after_mission?.hpc;
      if (!spec) continue;
      if (spec.source === 'slam_map') {
        const slam = o.slam.get(v.id);
        if (slam) this.unsubs.push(slam.subscribe((ev) => { if (ev.type === 'map') this.maps.set(v.id, ev.points); }));
      } else {
        for (const s of v.sensors) if (s.kind === 'lidar') this.unsubs.push(o.bus.subscribe(topics.sensorScan(v.id, s.id), (ref) => this.onScanRef(v.id, ref)));
      }
    }
    this.unsubs.push(
      o.bus.subscribe(topics.missionStatus, (m: MissionStatusMsg) => {
        if (m.status !== 'COMPLETED' || this.started.has(m.vehicle)) return;
        const v = this.scenario.vehicles.find((x) => x.id === m.vehicle);
        const spec = v?.after_mission?.hpc;
        if (!spec) return;
        this.started.add(m.vehicle);
        this.frame = o.frame();
        void this.client!.run(m.vehicle, spec, () => this.gather(m.vehicle, spec.source), `scenario:after_mission:${m.vehicle}`);
      }),
    );
  }

  /** Waits for every started job (the runner calls it before judging). */
  settled(): Promise<void> {
    return this.client?.settled() ?? Promise.resolve();
  }

  /** Finished jobs, for `hpc_job` expectations and the report. */
  get outcomes(): readonly HpcJobOutcome[] {
    return this.client?.finished ?? [];
  }

  /** Vehicles whose job was asked for but never started (mission not completed). */
  notStarted(): string[] {
    return this.scenario.vehicles.filter((v) => v.after_mission?.hpc && !this.started.has(v.id)).map((v) => v.id);
  }

  /** Stops listening; jobs still running (a stopped run) are cancelled. */
  detach(): void {
    for (const u of this.unsubs.splice(0)) u();
    this.client?.cancelAll();
  }

  // ---------------------------------------------------------------------------------------------

  private keepScan(vehicle: string, key: string, data: Uint8Array): void {
    let s = this.scans.get(vehicle);
    if (!s) this.scans.set(vehicle, (s = { stride: 1, seen: 0, bytes: 0, kept: new Map() }));
    if (s.seen++ % s.stride !== 0) return;
    s.kept.set(key, data.slice());
    s.bytes += data.byteLength;
    while (s.bytes > MAX_SCAN_BYTES && s.kept.size > 1) {
      // Thin out: drop every other kept scan, keep every 2× later one.
      let i = 0;
      for (const [k, b] of [...s.kept]) if (i++ % 2 === 1) { s.kept.delete(k); s.bytes -= b.byteLength; }
      s.stride *= 2;
    }
  }

  private onScanRef(vehicle: string, ref: ScanRef): void {
    if (!ref.blob_key || !ref.pose) return;
    let list = this.refs.get(vehicle);
    if (!list) this.refs.set(vehicle, (list = []));
    list.push(ref);
  }

  private gather(vehicle: string, source: 'slam_map' | 'scans'): Result<HpcInput, string> {
    if (source === 'slam_map') {
      const pts = this.maps.get(vehicle);
      if (!pts || pts.length < 3) return fail('HPC.NO_INPUT', `no SLAM map from ${vehicle} (does it declare slam: and fly long enough for a map?)`);
      const n = Math.floor(pts.length / 3);
      const x = new Float32Array(n), y = new Float32Array(n), z = new Float32Array(n);
      for (let i = 0; i < n; i++) { x[i] = pts[3 * i]!; y[i] = pts[3 * i + 1]!; z[i] = pts[3 * i + 2]!; }
      return ok({ bytes: encodePcd(makeCloud(x, y, z), { data: 'binary' }), format: 'pcd', points: n });
    }
    return this.gatherScans(vehicle);
  }

  /** The kept scans in a local east-north-up frame (x east, y north, z metres AMSL), from each scan's pose. */
  private gatherScans(vehicle: string): Result<HpcInput, string> {
    const kept = this.scans.get(vehicle)?.kept;
    const frame = this.frame;
    const refs = (this.refs.get(vehicle) ?? []).filter((r) => kept?.has(r.blob_key!));
    if (!kept || !frame || !refs.length) return fail('HPC.NO_INPUT', `no stored LiDAR scans with a pose from ${vehicle}`);
    let total = 0;
    for (const r of refs) total += Math.floor(kept.get(r.blob_key!)!.byteLength / XYZI);
    const x = new Float32Array(total), y = new Float32Array(total), z = new Float32Array(total);
    let n = 0;
    for (const r of refs) {
      const b = kept.get(r.blob_key!)!;
      const f = new Float32Array(b.buffer, b.byteOffset, Math.floor(b.byteLength / XYZI) * 4);
      const { north_m, east_m } = frame.toLocal(r.pose!.position.lat_deg, r.pose!.position.lon_deg);
      const R = rotationNed(r.pose!.attitude_deg);
      for (let i = 0; i + 3 < f.length; i += 4) {
        // Sensor x forward, y left, z up → body forward, right, down → NED.
        const bx = f[i]!, by = -f[i + 1]!, bz = -f[i + 2]!;
        if (!Number.isFinite(bx + by + bz)) continue;
        const nN = R[0] * bx + R[1] * by + R[2] * bz;
        const nE = R[3] * bx + R[4] * by + R[5] * bz;
        const nD = R[6] * bx + R[7] * by + R[8] * bz;
        x[n] = east_m + nE;
        y[n] = north_m + nN;
        z[n] = r.pose!.position.alt_m - nD;
        n++;
      }
    }
    if (n === 0) return fail('HPC.NO_INPUT', `the LiDAR scans from ${vehicle} hold no points`);
    return ok({ bytes: encodePcd(makeCloud(x.subarray(0, n), y.subarray(0, n), z.subarray(0, n)), { data: 'binary' }), format: 'pcd', points: n });
  }
}

/** Body (FRD) → NED rotation from roll, pitch, yaw in degrees (ZYX), row-major. */
function rotationNed(a: { roll: number; pitch: number; yaw: number }): [number, number, number, number, number, number, number, number, number] {
  const d = Math.PI / 180;
  const cr = Math.cos(a.roll * d), sr = Math.sin(a.roll * d);
  const cp = Math.cos(a.pitch * d), sp = Math.sin(a.pitch * d);
  const cy = Math.cos(a.yaw * d), sy = Math.sin(a.yaw * d);
  return [
    cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr,
    sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr,
    -sp, cp * sr, cp * cr,
  ];
}
