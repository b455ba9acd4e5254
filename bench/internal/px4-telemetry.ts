/**
 * A deterministic "recording" of a PX4 telemetry link, produced with node-mavlink's own
 * serialiser so that nothing of ours is involved in making the bytes the codec is judged on.
 *
 * @remarks
 * The mix and rates follow PX4's default GCS stream (ATTITUDE 20 Hz, position and HUD at
 * 5–10 Hz, status at 1 Hz, STATUSTEXT now and then) for a multirotor flying a circle near the
 * SITL home. Values vary every packet (noise from a seeded PRNG), so MAVLink 2 truncation of
 * trailing zero bytes varies too. A few frames are MAVLink 1 (a v1 GCS heartbeat) and a few are
 * signed. Used by the ingest benchmark and by the codec's equivalence test.
 */
import {
  common,
  minimal,
  MavLinkPacketSignature,
  MavLinkProtocolV1,
  MavLinkProtocolV2,
  type MavLinkData,
} from 'node-mavlink';
import { Rng } from '../../core/rng.js';

export interface RecordedFrame {
  readonly bytes: Buffer;
  readonly message: MavLinkData;
  readonly version: 1 | 2;
  readonly signed: boolean;
}

export interface Recording {
  readonly frames: RecordedFrame[];
  /** All frames back to back. */
  readonly stream: Buffer;
}

const HOME = { lat: 47.397742, lon: 8.545594, alt: 488 };
const SIGNING_KEY = MavLinkPacketSignature.key('overwatch-twin');
/** 2024-01-01, a fixed signing timestamp base so the recording is reproducible. */
const SIGN_T0 = Date.UTC(2024, 0, 1);

/** Fills a message instance (node-mavlink messages are plain classes with public fields). */
function make<T extends MavLinkData>(ctor: new () => T, fields: { [K in keyof T]?: unknown }): T {
  return Object.assign(new ctor(), fields);
}

/**
 * Records `seconds` of telemetry (about 62 packets per second).
 *
 * @param seed - PRNG seed; the same seed gives the same bytes.
 */
export function recordPx4Telemetry(seconds: number, seed = 1): Recording {
  const rng = new Rng(seed);
  const px4 = new MavLinkProtocolV2(1, 1);
  const px4Signed = new MavLinkProtocolV2(1, 1, MavLinkProtocolV2.IFLAG_SIGNED);
  const gcsV1 = new MavLinkProtocolV1(255, 190);
  const frames: RecordedFrame[] = [];
  let seq = 0;
  const emit = (message: MavLinkData, how: 'v2' | 'v1' | 'signed' = 'v2', t_ms = 0) => {
    let bytes: Buffer;
    if (how === 'v1') bytes = gcsV1.serialize(message, seq);
    else if (how === 'signed') bytes = px4Signed.sign(px4Signed.serialize(message, seq), 1, SIGNING_KEY, SIGN_T0 + t_ms);
    else bytes = px4.serialize(message, seq);
    seq = (seq + 1) & 0xff;
    frames.push({ bytes, message, version: how === 'v1' ? 1 : 2, signed: how === 'signed' });
  };
  const n = (sd: number) => rng.gaussian(0, sd);

  for (let tick = 0; tick < seconds * 10; tick++) {
    const t_ms = tick * 100;
    const t = t_ms / 1000;
    // A 60 m circle at 40 m, 5 m/s, with sensor noise.
    const th = t / 12;
    const north = 60 * Math.cos(th), east = 60 * Math.sin(th);
    const lat = HOME.lat + north / 111_320, lon = HOME.lon + east / (111_320 * Math.cos((HOME.lat * Math.PI) / 180));
    const yaw = ((th + Math.PI / 2 + Math.PI) % (2 * Math.PI)) - Math.PI;
    for (let k = 0; k < 2; k++) {
      emit(make(common.Attitude, {
        timeBootMs: t_ms + k * 50, roll: 0.08 + n(0.01), pitch: -0.05 + n(0.01), yaw: yaw + n(0.005),
        rollspeed: n(0.02), pitchspeed: n(0.02), yawspeed: 0.083 + n(0.01),
      }));
    }
    const half = yaw / 2;
    emit(make(common.AttitudeQuaternion, {
      timeBootMs: t_ms, q1: Math.cos(half), q2: n(0.01), q3: n(0.01), q4: Math.sin(half),
      rollspeed: n(0.02), pitchspeed: n(0.02), yawspeed: 0.083 + n(0.01), reprOffsetQ: [0, 0, 0, 0],
    }));
    emit(make(common.LocalPositionNed, {
      timeBootMs: t_ms, x: north + n(0.05), y: east + n(0.05), z: -40 + n(0.1),
      vx: -5 * Math.sin(th) + n(0.05), vy: 5 * Math.cos(th) + n(0.05), vz: n(0.05),
    }));
    if (tick % 2 === 0) {
      emit(make(common.GlobalPositionInt, {
        timeBootMs: t_ms, lat: Math.round(lat * 1e7), lon: Math.round(lon * 1e7),
        alt: Math.round((HOME.alt + 40 + n(0.1)) * 1000), relativeAlt: Math.round((40 + n(0.1)) * 1000),
        vx: Math.round(-500 * Math.sin(th)), vy: Math.round(500 * Math.cos(th)), vz: Math.round(n(5)),
        hdg: Math.round((((yaw * 180) / Math.PI + 360) % 360) * 100),
      }));
      emit(make(common.GpsRawInt, {
        timeUsec: BigInt(t_ms) * 1000n + 1_000_000n, lat: Math.round((lat + n(1e-6)) * 1e7), lon: Math.round((lon + n(1e-6)) * 1e7),
        alt: Math.round((HOME.alt + 40 + n(0.5)) * 1000), eph: 70 + Math.round(Math.abs(n(5))), epv: 110, vel: 500 + Math.round(n(5)),
        cog: Math.round((((yaw * 180) / Math.PI + 360) % 360) * 100), fixType: common.GpsFixType.GPS_FIX_TYPE_3D_FIX,
        satellitesVisible: 14 + (tick % 3), altEllipsoid: Math.round((HOME.alt + 88) * 1000), hAcc: 700, vAcc: 1100,
        velAcc: 250, hdgAcc: 0, yaw: 0,
      }));
      emit(make(common.VfrHud, {
        airspeed: 0, groundspeed: 5 + n(0.05), alt: HOME.alt + 40 + n(0.1), climb: n(0.05),
        heading: Math.round((((yaw * 180) / Math.PI + 360) % 360)), throttle: 52 + Math.round(n(2)),
      }));
    }
    if (tick % 5 === 0) {
      emit(make(common.Vibration, {
        timeUsec: BigInt(t_ms) * 1000n, vibrationX: Math.abs(n(0.3)), vibrationY: Math.abs(n(0.3)), vibrationZ: Math.abs(n(0.5)),
        clipping0: 0, clipping1: 0, clipping2: tick > 300 ? 3 : 0,
      }));
    }
    if (tick % 10 === 0) {
      const second = tick / 10;
      const used = 0.2 + second * 0.0008;
      // Every 7th second the heartbeat is signed (a link with signing being brought up).
      emit(make(minimal.Heartbeat, {
        type: minimal.MavType.QUADROTOR, autopilot: minimal.MavAutopilot.PX4,
        baseMode: 157, customMode: (4 << 16) | (4 << 24), systemStatus: minimal.MavState.ACTIVE, mavlinkVersion: 3,
      }), second % 7 === 3 ? 'signed' : 'v2', t_ms);
      // A MAVLink 1 ground station on the same link, as old GCSs still are.
      if (second % 5 === 0) {
        emit(make(minimal.Heartbeat, {
          type: minimal.MavType.GCS, autopilot: minimal.MavAutopilot.INVALID, baseMode: 0, customMode: 0,
          systemStatus: minimal.MavState.ACTIVE, mavlinkVersion: 3,
        }), 'v1');
      }
      emit(make(common.SysStatus, {
        onboardControlSensorsPresent: 0x3520fc2f, onboardControlSensorsEnabled: 0x3520fc2f, onboardControlSensorsHealth: 0x3720fc2f,
        load: 300 + Math.round(Math.abs(n(30))), voltageBattery: Math.round((16.4 - used * 3) * 1000), currentBattery: 1500 + Math.round(n(50)),
        dropRateComm: 0, errorsComm: 0, errorsCount1: 0, errorsCount2: 0, errorsCount3: 0, errorsCount4: 0,
        batteryRemaining: Math.round(100 - used * 100), onboardControlSensorsPresentExtended: 0,
        onboardControlSensorsEnabledExtended: 0, onboardControlSensorsHealthExtended: 0,
      }), second % 11 === 5 ? 'signed' : 'v2', t_ms);
      emit(make(common.ExtendedSysState, { vtolState: common.MavVtolState.MC, landedState: common.MavLandedState.IN_AIR }));
      emit(make(common.MissionCurrent, {
        seq: 1 + (second % 9), total: 12, missionState: common.MissionState.ACTIVE, missionMode: 1, missionId: 0x5eed, fenceId: 0, rallyPointsId: 0,
      }));
      emit(make(common.SystemTime, { timeUnixUsec: 1_704_067_200_000_000n + BigInt(t_ms) * 1000n, timeBootMs: t_ms }));
      emit(make(common.Altitude, {
        timeUsec: BigInt(t_ms) * 1000n, altitudeMonotonic: 528 + n(0.1), altitudeAmsl: 528 + n(0.1), altitudeLocal: 40 + n(0.1),
        altitudeRelative: 40 + n(0.1), altitudeTerrain: Number.NaN, bottomClearance: Number.NaN,
      }));
      if (second % 2 === 0) {
        const cell = Math.round(((16.4 - used * 3) / 4) * 1000);
        emit(make(common.BatteryStatus, {
          id: 0, batteryFunction: common.MavBatteryFunction.ALL, type: common.MavBatteryType.LIPO, temperature: 3100 + second,
          voltages: [cell, cell + 3, cell - 2, cell + 1, 65535, 65535, 65535, 65535, 65535, 65535], currentBattery: 1500 + Math.round(n(50)),
          currentConsumed: Math.round(used * 5000), energyConsumed: -1, batteryRemaining: Math.round(100 - used * 100),
          timeRemaining: Math.round((1 - used) * 1500), chargeState: common.MavBatteryChargeState.OK, voltagesExt: [0, 0, 0, 0],
          mode: 0, faultBitmask: 0,
        }));
        emit(make(common.HomePosition, {
          latitude: Math.round(HOME.lat * 1e7), longitude: Math.round(HOME.lon * 1e7), altitude: HOME.alt * 1000, x: 0, y: 0, z: 0,
          q: [1, 0, 0, 0], approachX: 0, approachY: 0, approachZ: 0, timeUsec: BigInt(t_ms) * 1000n,
        }));
      }
      if (second % 5 === 2) {
        emit(make(common.StatusText, {
          severity: common.MavSeverity.INFO, text: `[mission] reached item ${second % 9}`.slice(0, 50), id: 0, chunkSeq: 0,
        }));
      }
    }
  }
  return { frames, stream: Buffer.concat(frames.map((f) => f.bytes)) };
}

/**
 * Splits a recording into chunks as a transport delivers them: `'datagram'` packs whole frames
 * into ≤ 1400-byte datagrams (PX4 batches frames per UDP send); a number cuts the stream every
 * that many bytes regardless of frames (serial/TCP reads).
 */
export function chunked(rec: Recording, how: 'datagram' | number): Buffer[] {
  if (how !== 'datagram') {
    const out: Buffer[] = [];
    for (let i = 0; i < rec.stream.length; i += how) out.push(rec.stream.subarray(i, i + how));
    return out;
  }
  const out: Buffer[] = [];
  let batch: Buffer[] = [];
  let size = 0;
  for (const f of rec.frames) {
    if (size + f.bytes.length > 1400) {
      out.push(Buffer.concat(batch));
      batch = [];
      size = 0;
    }
    batch.push(f.bytes);
    size += f.bytes.length;
  }
  if (batch.length) out.push(Buffer.concat(batch));
  return out;
}
