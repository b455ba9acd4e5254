/**
 * A scripted autopilot for protocol tests: a UDP socket on 127.0.0.1 (ephemeral port) that
 * heartbeats as PX4 system `sysid` and plays the vehicle side of whatever exchange a test
 * scripts through `onMessage`. The adapter reaches it with `udpout://127.0.0.1:<port>`, so no
 * fixed ports are needed. Wall-clock timers are fine here: this is the world, not the runtime.
 */
import dgram from 'node:dgram';
import { common, minimal, type MavLinkData } from 'node-mavlink';
import { decode, MavlinkEncoder, MavlinkParser, type MavFrame } from '../../hardware/real/mavlink/codec.js';

export interface ScriptedAutopilot {
  readonly port: number;
  readonly url: string;
  readonly sysid: number;
  /** Everything the GCS sent (decoded), in order. */
  readonly received: { msg: MavLinkData; frame: MavFrame }[];
  send(msg: MavLinkData, opts?: { compid?: number; sysid?: number }): void;
  /** Raw bytes to the GCS (garbage, corrupted frames). */
  sendRaw(buf: Buffer): void;
  onMessage(fn: (msg: MavLinkData, frame: MavFrame) => void): void;
  /** HEARTBEAT fields (armed, mode) sent from now on. */
  state: { baseMode: number; customMode: number; autopilot: number; type: number };
  heartbeats(on: boolean): void;
  close(): Promise<void>;
}

export async function startScriptedAutopilot(opts: { sysid?: number; heartbeatMs?: number } = {}): Promise<ScriptedAutopilot> {
  const sysid = opts.sysid ?? 1;
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  const port = socket.address().port;
  const encoders = new Map<string, MavlinkEncoder>();
  const enc = (s: number, c: number) => {
    const k = `${s}/${c}`;
    let e = encoders.get(k);
    if (!e) encoders.set(k, (e = new MavlinkEncoder(s, c)));
    return e;
  };
  let peer: { address: string; port: number } | undefined;
  const handlers: ((msg: MavLinkData, frame: MavFrame) => void)[] = [];
  const received: ScriptedAutopilot['received'] = [];
  socket.on('message', (buf, rinfo) => {
    peer = { address: rinfo.address, port: rinfo.port };
    new MavlinkParser().push(buf, (frame) => {
      const msg = decode(frame);
      if (!msg) return;
      received.push({ msg, frame });
      for (const h of handlers) h(msg, frame);
    });
  });
  const sendRaw = (buf: Buffer) => {
    if (peer) socket.send(buf, peer.port, peer.address);
  };
  const self: ScriptedAutopilot = {
    port,
    url: `udpout://127.0.0.1:${port}`,
    sysid,
    received,
    state: { baseMode: 1 /* custom mode enabled */, customMode: (4 << 16) | (3 << 24) /* AUTO.LOITER */, autopilot: 12, type: 2 },
    send(msg, o = {}) {
      sendRaw(enc(o.sysid ?? sysid, o.compid ?? 1).encode(msg));
    },
    sendRaw,
    onMessage: (fn) => void handlers.push(fn),
    heartbeats(on) {
      beating = on;
    },
    async close() {
      clearInterval(timer);
      await new Promise<void>((r) => socket.close(() => r()));
    },
  };
  let beating = true;
  const timer = setInterval(() => {
    if (!beating) return;
    const hb = new minimal.Heartbeat();
    Object.assign(hb, { type: self.state.type, autopilot: self.state.autopilot, baseMode: self.state.baseMode, customMode: self.state.customMode, systemStatus: 3, mavlinkVersion: 3 });
    self.send(hb);
  }, opts.heartbeatMs ?? 50);
  return self;
}

/** Answers every COMMAND_LONG/INT with `result` (default ACCEPTED). */
export function ackCommands(ap: ScriptedAutopilot, result: (cmd: number, msg: MavLinkData) => number | undefined = () => 0): void {
  ap.onMessage((m, f) => {
    if (m instanceof common.CommandLong || m instanceof common.CommandInt) {
      const r = result(m.command, m);
      if (r === undefined) return;
      ap.send(Object.assign(new common.CommandAck(), { command: m.command, result: r, progress: 0, resultParam2: 0, targetSystem: f.sysid, targetComponent: f.compid }));
    }
  });
}

/**
 * Sends what makes the adapter's readiness check pass (home, 3D fix, position, health).
 * `sysStatus.prearm` given: SYS_STATUS as PX4 v1.15 sends it — MAV_SYS_STATUS_PREARM_CHECK in
 * `health` only (set when it can arm in the current mode), never in present/enabled.
 * `sysStatus.timeBootMs`: the vehicle's clock in GLOBAL_POSITION_INT (0 = none).
 */
export function sendReadyTelemetry(ap: ScriptedAutopilot, home = { lat: 47.397742, lon: 8.545594, alt: 488 }, sysStatus: { prearm?: boolean; batteryPct?: number; timeBootMs?: number } = {}): void {
  ap.send(Object.assign(new common.HomePosition(), { latitude: Math.round(home.lat * 1e7), longitude: Math.round(home.lon * 1e7), altitude: home.alt * 1000, q: [1, 0, 0, 0] }));
  ap.send(Object.assign(new common.GpsRawInt(), { fixType: 3, satellitesVisible: 12, eph: 80, epv: 100, lat: Math.round(home.lat * 1e7), lon: Math.round(home.lon * 1e7) }));
  const px4 = sysStatus.prearm !== undefined;
  ap.send(Object.assign(new common.SysStatus(), {
    onboardControlSensorsPresent: px4 ? 0x20 : 0x10000020, onboardControlSensorsEnabled: px4 ? 0x20 : 0x10000020,
    onboardControlSensorsHealth: px4 ? (0x20 | (sysStatus.prearm ? 0x10000000 : 0)) >>> 0 : 0x10000020,
    voltageBattery: 16000, currentBattery: 50, batteryRemaining: Math.round(sysStatus.batteryPct ?? 95),
  }));
  ap.send(Object.assign(new common.GlobalPositionInt(), { lat: Math.round(home.lat * 1e7), lon: Math.round(home.lon * 1e7), alt: home.alt * 1000, relativeAlt: 0, vx: 0, vy: 0, vz: 0, hdg: 9000, timeBootMs: Math.round(sysStatus.timeBootMs ?? 0) }));
}

/** Resolves when `pred` holds (polling every 5 ms), rejects after `ms`. */
export async function until(pred: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
