/**
 * The sensor ports: what the runtime may ask of, or hear from, a camera or a LiDAR carried by a
 * vehicle.
 *
 * @remarks
 * Implemented by simulators (`hardware/sim/sensors/`: a rendering camera, a raycasting Ouster
 * that sends real UDP packets) and by real protocol adapters (`hardware/real/mavlink/camera/`:
 * the MAVLink camera protocol; `hardware/real/lidar/ouster/`: Ouster UDP packets). Every
 * implementation passes the same contract suite (`test/contract/camera.contract.ts`,
 * `test/contract/lidar.contract.ts`).
 *
 * Heavy data never travels through events: a port writes image and scan bytes through the
 * {@link BlobSink} it was given and emits a reference ({@link CaptureRef}, {@link ScanRef}).
 * Units are SI, positions WGS84 (altitude AMSL, metres), attitudes in degrees (roll, pitch,
 * yaw; yaw from north, clockwise), times in ms of the clock the port was given (sim time under
 * the virtual clock). Commands resolve to a {@link Result}; they never throw for an expected
 * failure. Streams are `subscribe(fn) → unsubscribe`.
 */
import type { GeoPoint } from '../core/geo.js';
import type { Result } from '../core/result.js';

export type Unsubscribe = () => void;

export type SensorKind = 'camera' | 'lidar';

export type SensorErrorCode =
  | 'SENSOR.NO_LINK' // the device does not answer
  | 'SENSOR.BUSY' // a capture or configuration is in progress, or the minimum interval has not passed
  | 'SENSOR.DENIED' // the device refused (its own reason in the message)
  | 'SENSOR.INVALID' // bad settings or arguments (nothing changed)
  | 'SENSOR.UNSUPPORTED' // this device or port cannot do that
  | 'SENSOR.TIMEOUT'
  | 'SENSOR.STORAGE' // the blob sink refused or is full; the capture is reported lost
  | 'SENSOR.FAILED' // an injected or real sensor failure
  | 'SENSOR.DISPOSED';

export type SensorResult<T = void> = Result<T, SensorErrorCode>;

/** What a sensor is: model and capabilities, as the device (or its profile) reports them. */
export interface SensorInfo {
  readonly id: string;
  readonly vehicle: string;
  readonly kind: SensorKind;
  /** Profile name, e.g. `phase-one-ixm-100`, `sony-ilx-lr1`, `os1-64`. */
  readonly model: string;
  readonly vendor: string;
  readonly firmware?: string;
  /**
   * How the sensor is mounted on the vehicle: rotation from the vehicle body frame (FRD) to the
   * sensor frame, degrees (roll, pitch, yaw applied in that order, body axes). Cameras: a nadir
   * camera has pitch -90. LiDAR points are in the sensor's own frame (Ouster: x forward, y left,
   * z up); `core/sensors/sensor-frame.ts` turns them into world coordinates with the pose.
   */
  readonly mount_deg?: { readonly roll: number; readonly pitch: number; readonly yaw: number };
  /** Camera: image size in pixels, sensor size in mm, focal length in mm. */
  readonly camera?: {
    readonly resolution_px: { readonly width: number; readonly height: number };
    readonly sensor_mm: { readonly width: number; readonly height: number };
    readonly focal_length_mm: number;
    /** Shortest time between two captures, s. */
    readonly min_interval_s: number;
    /** e.g. `image/jpeg`, `image/x-phaseone-iiq`. */
    readonly media_type: string;
  };
  /** LiDAR: beams, columns per frame, frames per second, range limits in metres. */
  readonly lidar?: {
    readonly beams: number;
    readonly columns_per_frame: number;
    readonly frame_rate_hz: number;
    readonly range_m: { readonly min: number; readonly max: number };
    /** e.g. `LEGACY`, `RNG19_RFL8_SIG16_NIR16`. */
    readonly profile: string;
  };
}

/** 1 Hz health, the original Sensor Services' status message. */
export interface SensorHealth {
  readonly t_ms: number;
  readonly state: 'ok' | 'degraded' | 'failed' | 'offline';
  readonly message?: string;
  readonly temperature_c?: number;
  /** Free storage on the device, MiB (cameras). */
  readonly storage_free_mib?: number;
  /** Captures taken since connect (cameras) or frames completed (LiDAR). */
  readonly count: number;
  /** Captures lost, or LiDAR packets missing, since connect. */
  readonly lost: number;
}

/** Where a capture was taken: the vehicle's pose at trigger time, as the port knew it. */
export interface SensorPose {
  readonly position: GeoPoint;
  readonly attitude_deg: { readonly roll: number; readonly pitch: number; readonly yaw: number };
}

/** A stored image: the reference that travels on the bus and into the event log. */
export interface CaptureRef {
  readonly vehicle: string;
  readonly sensor: string;
  /** The camera's own image index (MAVLink `image_index`), from 0, without gaps unless lost. */
  readonly index: number;
  /** Trigger time on the port's clock, ms. */
  readonly t_ms: number;
  /** The geotag: where the image was taken. */
  readonly pose: SensorPose;
  /** Blob store key of the image; absent when the device keeps the bytes itself (`file_url`). */
  readonly blob_key?: string;
  readonly bytes?: number;
  readonly sha256?: string;
  readonly media_type?: string;
  /** Where the device serves the file (MAVLink `file_url`), when it does. */
  readonly file_url?: string;
  /** Ground footprint corners (WGS84), for flat ground at the pose; cameras that know it. */
  readonly footprint?: readonly GeoPoint[];
}

/** A completed LiDAR frame: the reference that travels on the bus. */
export interface ScanRef {
  readonly vehicle: string;
  readonly sensor: string;
  /** The sensor's frame id (Ouster `frame_id`, wraps at 65536). */
  readonly frame_id: number;
  readonly t_ms: number;
  /** Vehicle pose at the frame's start, when known. */
  readonly pose?: SensorPose;
  /** Points with a return. */
  readonly points: number;
  /** Columns expected but not received in this frame (packet loss). */
  readonly missing_columns: number;
  /** Blob store key of the points (PointCloud2 layout x,y,z,intensity float32, sensor frame). */
  readonly blob_key?: string;
  readonly bytes?: number;
}

export type SensorEvent = { readonly sensor: string; readonly t_ms: number } & (
  | { readonly type: 'link'; readonly up: boolean }
  | { readonly type: 'health'; readonly health: SensorHealth }
  | { readonly type: 'capture'; readonly capture: CaptureRef }
  | { readonly type: 'capture.lost'; readonly index: number; readonly reason: string }
  | { readonly type: 'scan'; readonly scan: ScanRef }
  | { readonly type: 'streaming'; readonly on: boolean }
);

/** Faults a scenario can inject into a sensor (the `sensor_failure` fault). */
export type SensorFault =
  | { readonly kind: 'sensor_failure'; readonly duration_s?: number }
  | { readonly kind: 'sensor_restore' };

/** Settings a camera or LiDAR accepts (validated by the port against its profile). */
export type SensorSettings = Readonly<Record<string, number | string | boolean>>;

/**
 * Where a port writes heavy data. Implemented over the blob store (filesystem or S3); resolves
 * once the bytes are durable. Keys are path-like (`captures/<run>/<vehicle>/<sensor>/000012.jpg`).
 */
export interface BlobSink {
  put(key: string, data: Uint8Array, mediaType: string): Promise<Result<{ readonly key: string; readonly bytes: number; readonly sha256: string }, string>>;
}

/**
 * Where the carrying vehicle is, for geotags and raycasts: the simulator's truth for simulated
 * sensors, the vehicle's telemetry for real ones. `undefined` before the first fix.
 */
export interface VehiclePoseSource {
  pose(): (SensorPose & { readonly t_ms: number; readonly velocity_ned_mps?: { readonly north: number; readonly east: number; readonly down: number } }) | undefined;
}

/**
 * The autopilot's camera trigger (mission capture items, trigger distance) as a simulated camera
 * hears it; a MAVLink camera hears its autopilot on the link instead.
 */
export interface CameraTriggerSource {
  subscribe(fn: (trigger: { readonly seq: number; readonly t_ms: number }) => void): Unsubscribe;
}

/** What every sensor port offers. */
export interface SensorPortBase {
  readonly id: string;
  readonly vehicle: string;
  readonly kind: SensorKind;
  connect(signal?: AbortSignal): Promise<SensorResult<SensorInfo>>;
  info(): SensorInfo | undefined;
  /** Apply settings; nothing changes when any is refused. */
  configure(settings: SensorSettings, signal?: AbortSignal): Promise<SensorResult>;
  health(): SensorHealth;
  subscribeEvents(fn: (e: SensorEvent) => void): Unsubscribe;
  injectFault(fault: SensorFault): Promise<SensorResult>;
  dispose(): Promise<void>;
}

export interface CameraPort extends SensorPortBase {
  readonly kind: 'camera';
  /** Take one image now; resolves with its reference once stored (or reported by the device). */
  capture(signal?: AbortSignal): Promise<SensorResult<CaptureRef>>;
  /** Take images every `interval_s` (≥ the profile's minimum), `count` of them (0 = until stopped). */
  startInterval(interval_s: number, count?: number, signal?: AbortSignal): Promise<SensorResult>;
  /** Take an image every `distance_m` of horizontal travel (0 stops). */
  setTriggerDistance(distance_m: number, signal?: AbortSignal): Promise<SensorResult>;
  stopCapture(signal?: AbortSignal): Promise<SensorResult>;
}

export interface LidarPort extends SensorPortBase {
  readonly kind: 'lidar';
  startStreaming(signal?: AbortSignal): Promise<SensorResult>;
  stopStreaming(signal?: AbortSignal): Promise<SensorResult>;
}

export type SensorPort = CameraPort | LidarPort;
