/**
 * A MAVLink camera component of a SITL vehicle (MAV_COMP_ID_CAMERA = 100, HEARTBEAT type
 * MAV_TYPE_CAMERA), speaking the camera protocol (https://mavlink.io/en/services/camera.html)
 * as a real MAVLink camera does, so QGroundControl's camera panel, MAVSDK's camera plugin and our
 * MAVLink camera adapter work against it.
 *
 * @remarks
 * - Information: CAMERA_INFORMATION (flags CAPTURE_IMAGE: QGC shows the photo control; no
 *   definition file), CAMERA_SETTINGS (image mode), STORAGE_INFORMATION (one SD card),
 *   CAMERA_CAPTURE_STATUS, each on MAV_CMD_REQUEST_MESSAGE and on the legacy
 *   MAV_CMD_REQUEST_CAMERA_INFORMATION / _SETTINGS / _STORAGE_INFORMATION / _CAPTURE_STATUS (QGC
 *   4.2 still sends those). COMMAND_ACK first, then the message.
 * - Capture: MAV_CMD_IMAGE_START_CAPTURE (param2 interval s, param3 count: 1 = single, 0 = until
 *   stopped; param4 a single capture's sequence number — one repeated by the same sender is
 *   acknowledged without a second image), MAV_CMD_IMAGE_STOP_CAPTURE, MAV_CMD_DO_SET_CAM_TRIGG_DIST (param1 metres,
 *   0 stops; param3 = 1 also shoots at once), and the vehicle's own mission triggers
 *   ({@link SitlCamera.trigger}). An interval below the profile's minimum is DENIED; a single
 *   capture sooner than the minimum after the last is TEMPORARILY_REJECTED.
 * - Every image is a CAMERA_IMAGE_CAPTURED broadcast on every link, geotagged with the vehicle's
 *   true pose at the trigger instant (lat/lon degE7, alt and relative alt mm, attitude
 *   quaternion w,x,y,z of the body: the camera is fixed to it), `image_index` from 0. Missed ones
 *   are sent again on MAV_CMD_REQUEST_MESSAGE(263, index).
 * - Retransmitted COMMAND_LONGs (same parameters, higher `confirmation`) get the first answer
 *   again, never a second image.
 * - Faults (tests, scenarios): `setFailed(true)` makes it report MAV_STATE_CRITICAL in its
 *   heartbeat and refuse captures with MAV_RESULT_FAILED; `setSilent(true)` stops it answering at
 *   all (a camera that hangs).
 * Time is the world's clock (driven through {@link SitlCamera.tick} from the physics tick).
 */
import { common, minimal, type MavLinkData } from 'node-mavlink';
import type { GeoPoint } from '../../../core/geo.js';
import { haversine_m } from '../../../core/geo.js';
import type { CameraProfile } from '../../../core/sensors/camera-profiles.js';
import { MavlinkEncoder, type MavFrame } from '../../real/mavlink/codec.js';
import { msg, num } from './internal/mav.js';

/** MAV_COMP_ID_CAMERA. */
export const COMP_CAMERA = 100;

export const CameraMsg = { CAMERA_INFORMATION: 259, CAMERA_SETTINGS: 260, STORAGE_INFORMATION: 261, CAMERA_CAPTURE_STATUS: 262, CAMERA_IMAGE_CAPTURED: 263 } as const;
export const CameraCmd = {
  DO_SET_CAM_TRIGG_DIST: 206, REQUEST_MESSAGE: 512, REQUEST_CAMERA_INFORMATION: 521, REQUEST_CAMERA_SETTINGS: 522,
  REQUEST_STORAGE_INFORMATION: 525, STORAGE_FORMAT: 526, REQUEST_CAMERA_CAPTURE_STATUS: 527, RESET_CAMERA_SETTINGS: 529,
  SET_CAMERA_MODE: 530, IMAGE_START_CAPTURE: 2000, IMAGE_STOP_CAPTURE: 2001,
} as const;
const R = { ACCEPTED: 0, TEMPORARILY_REJECTED: 1, DENIED: 2, UNSUPPORTED: 3, FAILED: 4 } as const;
const MAV_TYPE_CAMERA = 30;
const MAV_AUTOPILOT_INVALID = 8;
const MAV_STATE = { STANDBY: 3, ACTIVE: 4, CRITICAL: 5 } as const;
const CAMERA_CAP_FLAGS_CAPTURE_IMAGE = 2;
const STORAGE_STATUS_READY = 2;
const STORAGE_TYPE_SD = 2;
/** How long a command's answer is kept for a retransmission, ms. */
const RETRY_WINDOW_MS = 3000;

/** The vehicle's true pose at an instant: the geotag. Attitude in radians (FRD body, NED). */
export interface CameraPoseSample {
  readonly position: GeoPoint;
  /** Height above home, m. */
  readonly relAlt_m: number;
  readonly roll: number;
  readonly pitch: number;
  readonly yaw: number;
}

export interface SitlCameraOptions {
  readonly sysid: number;
  readonly compid?: number;
  readonly profile: CameraProfile;
  /** World clock, ms. */
  now(): number;
  /** The vehicle's ms since boot (the camera boots with it). */
  timeBootMs(): number;
  pose(): CameraPoseSample;
  /** Sends an encoded frame on every link of the vehicle (dropped while its datalink is down). */
  broadcast(frame: Buffer): void;
}

export interface SitlCameraStats {
  images: number;
  /** Mission triggers that came sooner than the minimum interval, or while failed: no image. */
  missedTriggers: number;
  commands: number;
  resentImages: number;
}

interface StoredImage {
  readonly message: common.CameraImageCaptured;
}

export class SitlCamera {
  readonly compid: number;
  readonly stats: SitlCameraStats = { images: 0, missedTriggers: 0, commands: 0, resentImages: 0 };
  private readonly encoder: MavlinkEncoder;
  private readonly images: StoredImage[] = [];
  private failed = false;
  private silent = false;
  private nextBeat = Number.NEGATIVE_INFINITY;
  private lastShotAt = Number.NEGATIVE_INFINITY;
  private interval: { everyMs: number; left: number; nextAt: number } | undefined;
  private distance: { every_m: number; from: GeoPoint } | undefined;
  /** Last single-capture sequence number per sender (`sysid/compid`): each sender numbers its own. */
  private readonly lastSingleSeq = new Map<string, number>();
  private usedMib = 0;
  private readonly answered = new Map<string, { key: string; confirmation: number; result: number; at: number }>();

  constructor(private readonly o: SitlCameraOptions) {
    this.compid = o.compid ?? COMP_CAMERA;
    this.encoder = new MavlinkEncoder(o.sysid, this.compid);
  }

  get profile(): CameraProfile {
    return this.o.profile;
  }

  /** Images taken so far (the next image_index). */
  get imageCount(): number {
    return this.images.length;
  }

  /** A failed camera reports MAV_STATE_CRITICAL and refuses to capture. */
  setFailed(failed: boolean): void {
    this.failed = failed;
    if (failed) this.interval = undefined;
  }

  /** A silent camera sends and answers nothing (as if hung or unplugged). */
  setSilent(silent: boolean): void {
    this.silent = silent;
  }

  /** Called on every physics tick: heartbeat at 1 Hz, interval and distance captures. */
  tick(now: number): void {
    // The camera's first heartbeat half a second after the vehicle's (it boots after the autopilot).
    if (this.nextBeat === Number.NEGATIVE_INFINITY) this.nextBeat = now + 500;
    if (now + 1e-6 >= this.nextBeat) {
      this.nextBeat = Math.max(this.nextBeat + 1000, now + 500);
      this.send(msg(minimal.Heartbeat, {
        type: MAV_TYPE_CAMERA, autopilot: MAV_AUTOPILOT_INVALID, baseMode: 0, customMode: 0,
        systemStatus: this.failed ? MAV_STATE.CRITICAL : this.interval ? MAV_STATE.ACTIVE : MAV_STATE.STANDBY, mavlinkVersion: 3,
      }));
    }
    const iv = this.interval;
    if (iv && now + 1e-6 >= iv.nextAt) {
      this.shoot(now);
      // From the actual shot: never sooner than the interval, even with the tick's quantisation.
      iv.nextAt = now + iv.everyMs;
      if (iv.left > 0 && --iv.left === 0) this.interval = undefined;
    }
    const d = this.distance;
    if (d && !this.failed) {
      const here = this.o.pose().position;
      if (haversine_m(here, d.from) >= d.every_m && now - this.lastShotAt >= this.minMs()) {
        d.from = here;
        this.shoot(now);
      }
    }
  }

  /** The vehicle's mission triggered the camera (a capture item or its trigger distance). */
  trigger(): void {
    const now = this.o.now();
    if (this.failed || now - this.lastShotAt < this.minMs()) {
      this.stats.missedTriggers++;
      return;
    }
    this.shoot(now);
  }

  /**
   * Handles a message addressed to this component; false when it is not (the autopilot then
   * handles it). `reply` answers on the link the message came on.
   */
  handle(frame: MavFrame, m: MavLinkData, reply: (f: Buffer) => void): boolean {
    const isLong = m instanceof common.CommandLong;
    if (!isLong && !(m instanceof common.CommandInt)) return false;
    if (num(m, 'targetComponent') !== this.compid) return false;
    if (this.silent) return true;
    this.stats.commands++;
    const command = num(m, 'command');
    const p = [1, 2, 3, 4, 5, 6, 7].map((k) => num(m, `_param${k}`));
    const confirmation = isLong ? num(m, 'confirmation') : 0;
    const key = `${frame.sysid}/${frame.compid}/${command}`;
    const fingerprint = `${key}:${p.join(',')}`;
    const now = this.o.now();
    const prev = this.answered.get(key);
    const ack = (result: number) => reply(this.encode(msg(common.CommandAck, {
      command, result, progress: 0, resultParam2: 0, targetSystem: frame.sysid, targetComponent: frame.compid,
    })));
    if (isLong && prev && prev.key === fingerprint && confirmation > prev.confirmation && now - prev.at <= RETRY_WINDOW_MS) {
      this.answered.set(key, { ...prev, confirmation });
      ack(prev.result);
      return true;
    }
    const { result, then } = this.execute(command, p, `${frame.sysid}/${frame.compid}`);
    this.answered.set(key, { key: fingerprint, confirmation, result, at: now });
    ack(result);
    if (then) reply(this.encode(then));
    return true;
  }

  private execute(command: number, p: readonly number[], sender: string): { result: number; then?: MavLinkData } {
    const info = (id: number, index = 0) => {
      const m = this.message(id, index);
      return m ? { result: R.ACCEPTED, then: m } : { result: R.DENIED };
    };
    switch (command) {
      case CameraCmd.REQUEST_MESSAGE:
        return info(p[0]!, p[1]!);
      case CameraCmd.REQUEST_CAMERA_INFORMATION:
        return info(CameraMsg.CAMERA_INFORMATION);
      case CameraCmd.REQUEST_CAMERA_SETTINGS:
        return info(CameraMsg.CAMERA_SETTINGS);
      case CameraCmd.REQUEST_STORAGE_INFORMATION:
        return info(CameraMsg.STORAGE_INFORMATION);
      case CameraCmd.REQUEST_CAMERA_CAPTURE_STATUS:
        return info(CameraMsg.CAMERA_CAPTURE_STATUS);
      case CameraCmd.SET_CAMERA_MODE:
        // Image mode only (CAMERA_MODE_IMAGE = 0).
        return { result: p[1] === 0 ? R.ACCEPTED : R.DENIED };
      case CameraCmd.RESET_CAMERA_SETTINGS:
        return { result: R.ACCEPTED };
      case CameraCmd.STORAGE_FORMAT:
        this.usedMib = 0;
        return { result: R.ACCEPTED };
      case CameraCmd.IMAGE_START_CAPTURE:
        return { result: this.startCapture(p[1]!, p[2]!, p[3]!, sender) };
      case CameraCmd.IMAGE_STOP_CAPTURE:
        this.interval = undefined;
        return { result: R.ACCEPTED };
      case CameraCmd.DO_SET_CAM_TRIGG_DIST: {
        const dist = p[0]!;
        if (!Number.isFinite(dist) || dist < 0 || dist > 10_000) return { result: R.DENIED };
        if (this.failed && dist > 0) return { result: R.FAILED };
        this.distance = dist > 0 ? { every_m: dist, from: this.o.pose().position } : undefined;
        if (dist > 0 && p[2] === 1 && this.o.now() - this.lastShotAt >= this.minMs()) this.shoot(this.o.now());
        return { result: R.ACCEPTED };
      }
      default:
        return { result: R.UNSUPPORTED };
    }
  }

  private startCapture(interval_s: number, count: number, seq: number, sender: string): number {
    if (this.failed) return R.FAILED;
    if (!Number.isFinite(interval_s) || !Number.isFinite(count) || count < 0 || !Number.isInteger(count)) return R.DENIED;
    if (this.freeMib() < this.o.profile.capture_mib) return R.FAILED;
    const now = this.o.now();
    if (count === 1) {
      // A repeated single-capture sequence number from the same sender is the same request: no
      // second image. (Another sender's numbers are its own: PX4 and a GCS both start at 1.)
      if (seq > 0 && seq === this.lastSingleSeq.get(sender)) return R.ACCEPTED;
      if (now - this.lastShotAt < this.minMs()) return R.TEMPORARILY_REJECTED;
      this.lastSingleSeq.set(sender, seq);
      this.shoot(now);
      return R.ACCEPTED;
    }
    if (interval_s * 1000 < this.minMs() - 1e-6) return R.DENIED;
    // The first image as soon as the camera may shoot again.
    this.interval = { everyMs: interval_s * 1000, left: count, nextAt: Math.max(now, this.lastShotAt + this.minMs()) };
    if (this.interval.nextAt <= now) {
      this.shoot(now);
      this.interval.nextAt = now + this.interval.everyMs;
      if (count > 0 && --this.interval.left === 0) this.interval = undefined;
    }
    return R.ACCEPTED;
  }

  private minMs(): number {
    return this.o.profile.min_interval_s * 1000;
  }

  private freeMib(): number {
    return Math.max(0, this.o.profile.storage_mib - this.usedMib);
  }

  private shoot(now: number): void {
    if (this.failed) {
      this.stats.missedTriggers++;
      return;
    }
    const pose = this.o.pose();
    const index = this.images.length;
    const ext = this.o.profile.file_format.toLowerCase();
    const m = msg(common.CameraImageCaptured, {
      timeUtc: 0n, timeBootMs: Math.round(this.o.timeBootMs()),
      lat: Math.round(pose.position.lat_deg * 1e7), lon: Math.round(pose.position.lon_deg * 1e7),
      alt: Math.round(pose.position.alt_m * 1000), relativeAlt: Math.round(pose.relAlt_m * 1000),
      q: eulerToQuaternion(pose.roll, pose.pitch, pose.yaw), imageIndex: index, cameraId: 0, captureResult: 1,
      fileUrl: `file:///DCIM/${String(index).padStart(6, '0')}.${ext}`,
    });
    this.images.push({ message: m });
    this.usedMib += this.o.profile.capture_mib;
    this.lastShotAt = now;
    this.stats.images++;
    this.send(m);
  }

  /** The message a request asks for, or undefined (unknown id, unknown image index). */
  private message(id: number, index: number): MavLinkData | undefined {
    const prof = this.o.profile;
    const boot = Math.round(this.o.timeBootMs());
    switch (id) {
      case CameraMsg.CAMERA_INFORMATION:
        return msg(common.CameraInformation, {
          timeBootMs: boot, vendorName: bytes32(prof.vendor), modelName: bytes32(prof.model),
          firmwareVersion: 1 | (0 << 8) | (0 << 16), focalLength: prof.focal_lengths_mm[0], sensorSizeH: prof.sensor_mm.width,
          sensorSizeV: prof.sensor_mm.height, resolutionH: prof.resolution_px.width, resolutionV: prof.resolution_px.height,
          lensId: 0, flags: CAMERA_CAP_FLAGS_CAPTURE_IMAGE, camDefinitionVersion: 0, camDefinitionUri: '', gimbalDeviceId: 0, cameraDeviceId: 0,
        });
      case CameraMsg.CAMERA_SETTINGS:
        return msg(common.CameraSettings, { timeBootMs: boot, modeId: 0, zoomLevel: Number.NaN, focusLevel: Number.NaN, cameraDeviceId: 0 });
      case CameraMsg.STORAGE_INFORMATION:
        return msg(common.StorageInformation, {
          timeBootMs: boot, storageId: 1, storageCount: 1, status: STORAGE_STATUS_READY, totalCapacity: prof.storage_mib,
          usedCapacity: this.usedMib, availableCapacity: this.freeMib(), readSpeed: 90, writeSpeed: 60, type: STORAGE_TYPE_SD,
          name: 'SD', storageUsage: 0,
        });
      case CameraMsg.CAMERA_CAPTURE_STATUS: {
        // 0 idle, 1 capturing, 2 interval set (idle), 3 interval set and capturing.
        return msg(common.CameraCaptureStatus, {
          timeBootMs: boot, imageStatus: this.interval ? 2 : 0, videoStatus: 0, imageInterval: this.interval ? this.interval.everyMs / 1000 : 0,
          recordingTimeMs: 0, availableCapacity: this.freeMib(), imageCount: this.images.length, cameraDeviceId: 0,
        });
      }
      case CameraMsg.CAMERA_IMAGE_CAPTURED: {
        const img = Number.isInteger(index) && index >= 0 ? this.images[index] : undefined;
        if (img) this.stats.resentImages++;
        return img?.message;
      }
      default:
        return undefined;
    }
  }

  private encode(m: MavLinkData): Buffer {
    return this.encoder.encode(m);
  }

  private send(m: MavLinkData): void {
    if (this.silent) return;
    this.o.broadcast(this.encode(m));
  }
}

/** A string as MAVLink's uint8_t[32] (UTF-8, zero padded, cut at 32 bytes). */
function bytes32(s: string): number[] {
  const out = new Array<number>(32).fill(0);
  const b = Buffer.from(s, 'utf8');
  for (let k = 0; k < Math.min(32, b.length); k++) out[k] = b[k]!;
  return out;
}

/** ZYX Euler (rad) → quaternion [w, x, y, z] (MAVLink's order). */
export function eulerToQuaternion(roll: number, pitch: number, yaw: number): [number, number, number, number] {
  const cr = Math.cos(roll / 2), sr = Math.sin(roll / 2);
  const cp = Math.cos(pitch / 2), sp = Math.sin(pitch / 2);
  const cy = Math.cos(yaw / 2), sy = Math.sin(yaw / 2);
  return [cr * cp * cy + sr * sp * sy, sr * cp * cy - cr * sp * sy, cr * sp * cy + sr * cp * sy, cr * cp * sy - sr * sp * cy];
}
