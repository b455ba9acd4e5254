/**
 * Waits until PX4 SITL instances are ready to fly, judged over MAVLink only (independently of the
 * twin's adapter): for every expected system id, a HEARTBEAT from its autopilot, a HOME_POSITION,
 * and SYS_STATUS reporting the pre-arm check healthy (MAV_SYS_STATUS_PREARM_CHECK, the bit PX4
 * sets when `pre_flight_checks_pass`) without interruption for `stableMs`.
 *
 * @remarks
 * Binds the UDP port PX4's API link sends to, so the twin must bind it only after this resolved
 * (the socket is closed first). HOME_POSITION is asked for with MAV_CMD_REQUEST_MESSAGE every 2 s
 * until it arrives (PX4 streams it slowly on an onboard link). Uses node-mavlink's stock
 * splitter and parser, not the twin's codec, so a codec bug cannot make both sides agree.
 */
import dgram from 'node:dgram';
import { common, MavLinkPacketParser, MavLinkPacketSplitter, MavLinkProtocolV2, type MavLinkPacket } from 'node-mavlink';

const PREARM_CHECK = 0x1000_0000;
const MSG_HEARTBEAT = 0;
const MSG_SYS_STATUS = 1;
const MSG_HOME_POSITION = 242;
const MAV_CMD_REQUEST_MESSAGE = 512;

export interface ReadinessOptions {
  /** UDP port to bind on 0.0.0.0 (where PX4's API link sends). */
  readonly port: number;
  /** MAVLink system ids that must all be ready. */
  readonly sysids: readonly number[];
  /** Wall milliseconds allowed; default 120 s. */
  readonly timeoutMs?: number;
  /** How long the pre-arm bit must stay set, wall ms; default 2 s (EKF can flap right after boot). */
  readonly stableMs?: number;
  readonly signal?: AbortSignal;
}

export interface SystemReadiness {
  readonly sysid: number;
  heartbeat: boolean;
  home: boolean;
  /** Wall time (performance.now) since which the pre-arm bit has been set, if it is. */
  prearmSince?: number;
  /** Wall ms from the call to ready, once ready. */
  readyAfter_ms?: number;
}

export type ReadinessResult =
  | { ok: true; systems: SystemReadiness[]; elapsed_ms: number }
  | { ok: false; systems: SystemReadiness[]; elapsed_ms: number; reason: string };

export async function waitPx4Ready(opts: ReadinessOptions): Promise<ReadinessResult> {
  const t0 = performance.now();
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const stableMs = opts.stableMs ?? 2_000;
  const systems = new Map(opts.sysids.map((s) => [s, { sysid: s, heartbeat: false, home: false } as SystemReadiness]));
  const peers = new Map<number, { address: string; port: number }>();
  const sock = dgram.createSocket({ type: 'udp4', reuseAddr: false });
  const splitter = new MavLinkPacketSplitter();
  const parser = new MavLinkPacketParser();
  splitter.pipe(parser);
  const gcs = new MavLinkProtocolV2(255, 190);
  let seq = 0;
  let lastFrom: { address: string; port: number } | undefined;
  sock.on('message', (buf, rinfo) => {
    lastFrom = { address: rinfo.address, port: rinfo.port };
    splitter.write(buf);
  });
  parser.on('data', (p: MavLinkPacket) => {
    const s = systems.get(p.header.sysid);
    if (!s || p.header.compid !== 1) return;
    if (lastFrom) peers.set(s.sysid, lastFrom);
    const now = performance.now();
    switch (p.header.msgid) {
      case MSG_HEARTBEAT:
        s.heartbeat = true;
        break;
      case MSG_HOME_POSITION:
        s.home = true;
        break;
      case MSG_SYS_STATUS: {
        const st = p.protocol.data(p.payload, common.SysStatus);
        // PX4 v1.15 sets this bit in `health` only (SYS_STATUS.hpp: can_arm_mode_flags for the current nav_state).
        const ok = (st.onboardControlSensorsHealth & PREARM_CHECK) !== 0;
        if (!ok) s.prearmSince = undefined;
        else s.prearmSince ??= now;
        break;
      }
    }
    if (s.readyAfter_ms === undefined && s.heartbeat && s.home && s.prearmSince !== undefined && now - s.prearmSince >= stableMs) s.readyAfter_ms = now - t0;
  });
  const bound = await new Promise<string | undefined>((res) => {
    sock.once('error', (e) => res(e.message));
    sock.bind(opts.port, '0.0.0.0', () => res(undefined));
  });
  const result = (ok: boolean, reason?: string): ReadinessResult => {
    const list = [...systems.values()];
    const elapsed_ms = performance.now() - t0;
    return ok ? { ok: true, systems: list, elapsed_ms } : { ok: false, systems: list, elapsed_ms, reason: reason ?? 'not ready' };
  };
  if (bound) {
    sock.close();
    return result(false, `cannot bind UDP ${opts.port}: ${bound}`);
  }
  try {
    let lastAsk = 0;
    for (;;) {
      const list = [...systems.values()];
      if (list.every((s) => s.readyAfter_ms !== undefined)) return result(true);
      if (opts.signal?.aborted) return result(false, 'aborted');
      const now = performance.now();
      if (now - t0 > timeoutMs) {
        const missing = list.filter((s) => s.readyAfter_ms === undefined).map((s) => `system ${s.sysid}: ${[!s.heartbeat && 'no heartbeat', !s.home && 'no home', s.prearmSince === undefined && 'pre-arm checks failing'].filter(Boolean).join(', ') || 'pre-arm not yet stable'}`);
        return result(false, `not ready after ${(timeoutMs / 1000).toFixed(0)} s: ${missing.join('; ')}`);
      }
      if (now - lastAsk > 2_000) {
        lastAsk = now;
        for (const s of list) {
          const peer = peers.get(s.sysid);
          if (!peer || s.home) continue;
          const cmd = new common.CommandLong();
          cmd.targetSystem = s.sysid;
          cmd.targetComponent = 1;
          cmd.command = MAV_CMD_REQUEST_MESSAGE as common.MavCmd;
          cmd._param1 = MSG_HOME_POSITION;
          // No GCS HEARTBEAT: PX4 would count this socket as a datalink that then goes silent.
          sock.send(gcs.serialize(cmd, seq++ & 0xff), peer.port, peer.address);
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    splitter.unpipe(parser);
    splitter.destroy();
    parser.destroy();
    await new Promise<void>((r) => sock.close(() => r()));
  }
}
