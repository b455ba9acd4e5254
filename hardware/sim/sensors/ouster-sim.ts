/**
 * A simulated Ouster sensor: casts every beam of every column from the carrying vehicle's pose
 * (plus the mount) against the world, and emits the packets a real sensor would send — the same
 * bytes, either profile — at the lidar mode's rate on the injected clock.
 *
 * @remarks
 * Packets go in-process to subscribers (deterministic under the virtual clock: the sim backend)
 * and/or over UDP to `host:port` (field-like tests, `twin sitl`). The metadata JSON can be served
 * over HTTP at `/api/v1/sensor/metadata`, as the sensor does. Range noise (Gaussian), pixel
 * dropouts and packet loss come from the seeded PRNG it is given, in a fixed order, so the same
 * seed and poses give the same packets byte for byte.
 *
 * Column g (counted from `start`) is measured at `t0 + g · period / w`; packets leave once their
 * last column's time has passed, in batches every `batch_ms` of clock time.
 */
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:http';
import type { Clock, TimerHandle } from '../../../core/clock.js';
import { LocalFrame, type GeoPoint } from '../../../core/geo.js';
import type { Rng } from '../../../core/rng.js';
import { bodyToNed, mul3, sensorToBody, type Attitude, type Mat3 } from '../../../core/sensors/sensor-frame.js';
import { parseOusterMetadata, type LidarMode, type OusterSensorInfo, type UdpProfileLidar } from '../../real/lidar/ouster/ouster-metadata.js';
import { modelMetadata, ousterModel, type OusterModel } from '../../real/lidar/ouster/ouster-models.js';
import { encodeImuPacket, OusterPacketFormat, PACKET_TYPE_LIDAR, ENCODER_TICKS_PER_REV } from '../../real/lidar/ouster/ouster-packet-format.js';
import { beamRay } from '../../real/lidar/ouster/ouster-xyz-lut.js';
import type { Unsubscribe, VehiclePoseSource } from '../../sensor.port.js';
import { HIT_NONE, HIT_OBSTACLE, WorldRaycaster } from '../world/world-raycaster.js';
import { SensorWorldSchema, type SensorWorldSpec } from '../world/world-spec.js';

export interface OusterSimOptions {
  /** `os0-32`, `os1-64`, `os2-128`, … */
  readonly model: string;
  readonly lidar_mode?: LidarMode;
  readonly udp_profile_lidar?: UdpProfileLidar;
  readonly clock: Clock;
  readonly rng: Rng;
  /** The world to cast against (parsed spec or a shared raycaster). */
  readonly world: SensorWorldSpec | WorldRaycaster;
  /** The world origin (local NED reference of the world spec). */
  readonly origin: GeoPoint;
  readonly vehicle: VehiclePoseSource;
  /** Sensor mount relative to the body, degrees (see core/sensors/sensor-frame.ts). */
  readonly mount_deg?: Attitude;
  /** 1-σ range noise, m (default 0.01). */
  readonly range_noise_sd_m?: number;
  /** Probability that a pixel with a hit reports no return (default 0.001). */
  readonly dropout_probability?: number;
  /** Probability that a packet is never sent (default 0). */
  readonly packet_loss_probability?: number;
  /** Clock time between packet batches, ms (default 10). */
  readonly batch_ms?: number;
  readonly prod_sn?: number;
  readonly init_id?: number;
}

export interface UdpTarget {
  readonly host: string;
  readonly lidar_port: number;
  readonly imu_port?: number;
}

export class OusterSim {
  readonly model: OusterModel;
  /** The metadata JSON the sensor serves (nested firmware 2.4+ layout). */
  readonly metadata: Record<string, unknown>;
  readonly info: OusterSensorInfo;
  readonly format: OusterPacketFormat;
  readonly stats = { packets: 0, lost_packets: 0, frames: 0, imu_packets: 0, rays: 0 };
  private readonly o: OusterSimOptions;
  private readonly ray: WorldRaycaster;
  private readonly frame: LocalFrame;
  private readonly lidarSubs = new Set<(p: Uint8Array) => void>();
  private readonly imuSubs = new Set<(p: Uint8Array) => void>();
  /** Sensor-frame beam origins and directions, per pixel (m·h + i), x,y,z. */
  private readonly beamOrigin: Float64Array;
  private readonly beamDir: Float64Array;
  private readonly mountRot;
  private timer: TimerHandle | undefined;
  private t0 = 0;
  private nextColumn = 0;
  private nextImuMs = 0;
  private udp: { socket: Socket; target: UdpTarget } | undefined;
  private http: Server | undefined;
  private readonly rangeMm: Float64Array;
  private readonly refl: Float64Array;
  private readonly signal: Float64Array;
  private readonly nir: Float64Array;

  constructor(o: OusterSimOptions) {
    const model = ousterModel(o.model);
    if (!model) throw new RangeError(`OusterSim: unknown model '${o.model}' (expected os0|os1|os2-16|32|64|128)`);
    this.o = o;
    this.model = model;
    this.metadata = modelMetadata(model, {
      ...(o.lidar_mode ? { lidar_mode: o.lidar_mode } : {}),
      ...(o.udp_profile_lidar ? { udp_profile_lidar: o.udp_profile_lidar } : {}),
      ...(o.prod_sn !== undefined ? { prod_sn: String(o.prod_sn) } : {}),
      ...(o.init_id !== undefined ? { initialization_id: o.init_id } : {}),
    });
    const parsed = parseOusterMetadata(this.metadata);
    if (!parsed.ok) throw new Error(`OusterSim: generated metadata invalid: ${parsed.error.message}`);
    this.info = parsed.value;
    this.format = OusterPacketFormat.of(this.info);
    this.ray = o.world instanceof WorldRaycaster ? o.world : new WorldRaycaster(SensorWorldSchema.parse(o.world));
    this.frame = new LocalFrame(o.origin);
    const w = this.info.columns_per_frame, h = this.info.pixels_per_column;
    this.beamOrigin = new Float64Array(w * h * 3);
    this.beamDir = new Float64Array(w * h * 3);
    for (let m = 0; m < w; m++) {
      for (let i = 0; i < h; i++) {
        const { origin, dir } = beamRay(this.info, m, i);
        this.beamOrigin.set(origin, (m * h + i) * 3);
        this.beamDir.set(dir, (m * h + i) * 3);
      }
    }
    this.mountRot = sensorToBody(o.mount_deg);
    this.rangeMm = new Float64Array(h);
    this.refl = new Float64Array(h);
    this.signal = new Float64Array(h);
    this.nir = new Float64Array(h);
  }

  /** Hears every lidar packet (the UDP payload). */
  subscribe(fn: (packet: Uint8Array) => void): Unsubscribe {
    this.lidarSubs.add(fn);
    return () => this.lidarSubs.delete(fn);
  }

  /** Hears every IMU packet (100 Hz). */
  subscribeImu(fn: (packet: Uint8Array) => void): Unsubscribe {
    this.imuSubs.add(fn);
    return () => this.imuSubs.delete(fn);
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  /** Starts spinning: column 0 of a new frame now. */
  start(): void {
    if (this.timer !== undefined) return;
    this.t0 = this.o.clock.now();
    this.nextImuMs = this.t0;
    // Frame ids continue across restarts, as the sensor's do.
    this.nextColumn = Math.ceil(this.nextColumn / this.info.columns_per_frame) * this.info.columns_per_frame;
    this.columnBase = this.nextColumn;
    this.arm();
  }

  stop(): void {
    this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Also sends every packet over UDP (lidar and IMU ports), as the sensor does. */
  async sendUdp(target: UdpTarget): Promise<void> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '0.0.0.0', () => { socket.off('error', reject); resolve(); });
    });
    socket.on('error', () => { /* a closed destination port: the sensor does not care either */ });
    this.udp = { socket, target };
  }

  /** Serves the metadata at `http://host:port/api/v1/sensor/metadata`; resolves to that URL. */
  async serveMetadata(host = '127.0.0.1', port = 0): Promise<string> {
    const body = JSON.stringify(this.metadata);
    const server = createServer((req, res) => {
      if (req.method === 'GET' && req.url === '/api/v1/sensor/metadata') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(body);
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.http = server;
    const addr = server.address();
    const p = typeof addr === 'object' && addr ? addr.port : port;
    return `http://${host}:${p}/api/v1/sensor/metadata`;
  }

  async dispose(): Promise<void> {
    this.stop();
    this.lidarSubs.clear();
    this.imuSubs.clear();
    const udp = this.udp;
    this.udp = undefined;
    if (udp) await new Promise<void>((r) => udp.socket.close(() => r()));
    const http = this.http;
    this.http = undefined;
    if (http) await new Promise<void>((r) => http.close(() => r()));
  }

  private columnBase = 0;

  private arm(): void {
    this.timer = this.o.clock.setTimeout(() => this.tick(), this.o.batch_ms ?? 10);
  }

  private tick(): void {
    const now = this.o.clock.now();
    const w = this.info.columns_per_frame;
    const cpp = this.format.columnsPerPacket;
    const colMs = 1000 / this.info.frame_rate_hz / w;
    // Under a lagging wall clock, never fall more than one frame behind: skip ahead (as loss).
    const due = Math.floor((now - this.t0) / colMs) + this.columnBase;
    if (due - this.nextColumn > w) {
      const skip = Math.floor((due - this.nextColumn - w) / cpp) * cpp;
      this.nextColumn += skip;
      this.stats.lost_packets += skip / cpp;
    }
    while (this.nextColumn + cpp - 1 < due) {
      this.emitPacket(this.nextColumn);
      this.nextColumn += cpp;
    }
    while (this.nextImuMs <= now) {
      this.emitImu(this.nextImuMs);
      this.nextImuMs += 10;
    }
    this.arm();
  }

  private emitPacket(g: number): void {
    const info = this.info;
    const f = this.format;
    const w = info.columns_per_frame, h = info.pixels_per_column;
    const colMs = 1000 / info.frame_rate_hz / w;
    const frameId = Math.floor(g / w) & 0xffff;
    if (g % w === 0) this.stats.frames++;
    const lose = (this.o.packet_loss_probability ?? 0) > 0 && this.o.rng.next() < (this.o.packet_loss_probability ?? 0);
    const pose = this.o.vehicle.pose();
    const buf = new Uint8Array(f.lidarPacketSize);
    const v = new DataView(buf.buffer);
    if (!f.legacy) {
      v.setUint16(0, PACKET_TYPE_LIDAR, true);
      v.setUint16(2, frameId, true);
      const init = (this.o.init_id ?? info.initialization_id ?? 0) & 0xffffff;
      v.setUint16(4, init & 0xffff, true);
      v.setUint8(6, init >>> 16);
      const sn = Number(info.prod_sn ?? 0) || 0;
      v.setUint32(7, sn % 2 ** 32, true);
      v.setUint8(11, Math.floor(sn / 2 ** 32) & 0xff);
    }
    // Sensor → NED for this packet (the pose is sampled once a packet: 1.6 ms at 1024x10).
    let rot: Mat3 | undefined;
    let pn = 0, pe = 0, pd = 0;
    if (pose) {
      rot = mul3(bodyToNed(pose.attitude_deg), this.mountRot);
      const ned = this.frame.toNed(pose.position);
      pn = ned.north_m; pe = ned.east_m; pd = ned.down_m;
      this.ray.cull(pn, pe, this.model.range_m.max + 1);
    }
    const noise = this.o.range_noise_sd_m ?? 0.01;
    const dropout = this.o.dropout_probability ?? 0.001;
    const rng = this.o.rng;
    const maxR = this.model.range_m.max, minR = this.model.range_m.min;
    const nOff = info.lidar_origin_to_beam_origin_mm;
    const bo = this.beamOrigin, bd = this.beamDir;
    const [r0, r1, r2, r3, r4, r5, r6, r7, r8] = rot ?? [1, 0, 0, 0, 1, 0, 0, 0, 1];
    for (let c = 0; c < f.columnsPerPacket; c++) {
      const gc = g + c;
      const m = gc % w;
      const o = f.colOffset(c);
      const tNs = BigInt(Math.round((this.t0 + (gc - this.columnBase) * colMs) * 1e6));
      v.setBigUint64(o, tNs, true);
      v.setUint16(o + 8, m, true);
      if (f.legacy) {
        v.setUint16(o + 10, frameId, true);
        v.setUint32(o + 12, Math.floor((m * ENCODER_TICKS_PER_REV) / w), true);
        v.setUint32(o + f.colSize - 4, 0xffffffff, true);
      } else {
        v.setUint16(o + 10, 1, true);
      }
      const rMm = this.rangeMm, refl = this.refl, sig = this.signal, nir = this.nir;
      for (let i = 0; i < h; i++) {
        rMm[i] = 0; refl[i] = 0; sig[i] = 0; nir[i] = 0;
        if (!rot) continue;
        const k = (m * h + i) * 3;
        const bx = bo[k]!, by = bo[k + 1]!, bz = bo[k + 2]!;
        const ux = bd[k]!, uy = bd[k + 1]!, uz = bd[k + 2]!;
        this.stats.rays++;
        const t = this.ray.cast(
          pn + r0 * bx + r1 * by + r2 * bz, pe + r3 * bx + r4 * by + r5 * bz, pd + r6 * bx + r7 * by + r8 * bz,
          r0 * ux + r1 * uy + r2 * uz, r3 * ux + r4 * uy + r5 * uz, r6 * ux + r7 * uy + r8 * uz, maxR,
        );
        const kind = this.ray.lastKind;
        const noisy = kind === HIT_NONE ? 0 : t + rng.gaussian(0, noise);
        const drop = kind !== HIT_NONE && rng.next() < dropout;
        nir[i] = 300 + Math.floor(rng.next() * 50);
        if (kind === HIT_NONE || drop || noisy < minR) continue;
        rMm[i] = Math.round(noisy * 1000 + nOff);
        refl[i] = kind === HIT_OBSTACLE ? 60 : 25;
        sig[i] = Math.round((refl[i]! * 4000) / (1 + noisy * noisy * 0.01));
      }
      writePixels(f, v, o, rMm, refl, sig, nir);
    }
    if (lose) {
      this.stats.lost_packets++;
      return;
    }
    this.stats.packets++;
    for (const fn of this.lidarSubs) fn(buf);
    const udp = this.udp;
    if (udp) udp.socket.send(buf, udp.target.lidar_port, udp.target.host);
  }

  private emitImu(tMs: number): void {
    const pose = this.o.vehicle.pose();
    // Specific force of a vehicle at rest: 1 g up, into the sensor frame.
    let a: [number, number, number] = [0, 0, 1];
    if (pose) {
      const r = mul3(bodyToNed(pose.attitude_deg), this.mountRot);
      // Rᵀ · (0, 0, −1 g) in NED.
      a = [-r[6], -r[7], -r[8]];
    }
    const ts = BigInt(Math.round(tMs * 1e6));
    const p = encodeImuPacket({ sys_ts_ns: ts, accel_ts_ns: ts, gyro_ts_ns: ts, accel_g: { x: a[0], y: a[1], z: a[2] }, gyro_dps: { x: 0, y: 0, z: 0 } });
    this.stats.imu_packets++;
    for (const fn of this.imuSubs) fn(p);
    const udp = this.udp;
    if (udp?.target.imu_port) udp.socket.send(p, udp.target.imu_port, udp.target.host);
  }
}

function writePixels(f: OusterPacketFormat, v: DataView, o: number, r: Float64Array, refl: Float64Array, sig: Float64Array, nir: Float64Array): void {
  const h = f.pixelsPerColumn;
  for (let i = 0; i < h; i++) {
    const px = o + f.colHeaderSize + i * f.channelDataSize;
    const rr = Math.min(r[i]!, f.maxRangeMm);
    if (f.profile === 'LEGACY') {
      v.setUint32(px, rr, true);
      v.setUint16(px + 4, refl[i]!, true);
      v.setUint16(px + 6, Math.min(0xffff, sig[i]!), true);
      v.setUint16(px + 8, nir[i]!, true);
    } else if (f.profile === 'RNG19_RFL8_SIG16_NIR16') {
      v.setUint32(px, rr, true);
      v.setUint8(px + 4, refl[i]!);
      v.setUint16(px + 6, Math.min(0xffff, sig[i]!), true);
      v.setUint16(px + 8, nir[i]!, true);
    } else {
      v.setUint16(px, Math.min(0x7fff, Math.round(rr / 8)), true);
      v.setUint8(px + 2, refl[i]!);
      v.setUint8(px + 3, Math.min(0xff, Math.round(nir[i]! / 16)));
    }
  }
}
