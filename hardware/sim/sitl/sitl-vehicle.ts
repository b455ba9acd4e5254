/**
 * One simulated vehicle behind two MAVLink/UDP links (API and GCS), as one PX4 SITL instance:
 * dispatches inbound messages to the protocol servers and sends telemetry, events and answers.
 *
 * @remarks
 * While the world's datalink fault is active for this vehicle (`link_loss`), nothing goes in
 * or out, as if the radio were dead: that also silences the GCS heartbeats, so the vehicle's
 * own failsafe follows. Periodic work runs on the world's physics tick (`SimWorld.onTick`),
 * never on node timers.
 */
import { common, minimal, type MavLinkData, type MavLinkPacketRegistry } from 'node-mavlink';
import type { Logger } from '../../../core/logger.js';
import type { MavFrame } from '../../real/mavlink/codec.js';
import type { SimWorld } from '../sim-world.js';
import type { VehicleEvent, VehicleTelemetry } from '../../vehicle.port.js';
import type { CameraProfile } from '../../../core/sensors/camera-profiles.js';
import { SitlCamera } from './camera-component.js';
import { CommandHandler, type CommandContext } from './command-handler.js';
import { EventsServer } from './events-server.js';
import { GcsPresence } from './gcs-presence.js';
import { MissionServer } from './mission-server.js';
import { MsgId, Severity, msg, num } from './internal/mav.js';
import { UdpMavlinkEndpoint, type EndpointStats } from './mavlink-endpoint.js';
import { ParamServer } from './param-server.js';
import { LinkStreams, autopilotVersion, buildStreamMessage, type StreamSource } from './telemetry-streams.js';

export interface SitlVehicleOptions {
  readonly world: SimWorld;
  readonly id: string;
  readonly sysid: number;
  readonly bindHost: string;
  readonly remoteHost: string;
  readonly apiLocalPort: number;
  readonly apiRemotePort: number;
  readonly gcsLocalPort: number;
  readonly gcsRemotePort: number;
  readonly registry: MavLinkPacketRegistry;
  readonly logger: Logger;
  /** Optional wall-clock reader for profiling handler time (benchmarks); never used for behaviour. */
  readonly profileNow?: () => number;
  /** A MAVLink camera component (100) with this profile; none when absent. */
  readonly camera?: CameraProfile;
}

/** Per-vehicle counters beyond the links' own. */
export interface SitlVehicleStats {
  readonly api: EndpointStats;
  readonly gcs: EndpointStats;
  /** Messages dropped because the simulated datalink was down. */
  droppedLinkDown: number;
  commands: number;
  missionItems: number;
  /** Wall ms spent in message handlers, when profiling is on. */
  handlerMs: number;
}

const SEVERITY: Record<string, number> = {
  emergency: Severity.EMERGENCY, alert: Severity.ALERT, critical: Severity.CRITICAL, error: Severity.ERROR,
  warning: Severity.WARNING, notice: Severity.NOTICE, info: Severity.INFO, debug: Severity.DEBUG,
};

/**
 * Texts PX4 v1.15 logs with `mavlink_log_*("…\t")` beside an event (Commander's "Returning to
 * launch", "Armed by %s" and "Disarmed by %s", "Arming denied: Resolve system health failures first",
 * "Failsafe activated", "Takeoff/Landing detected"; mission_base's "Executing Mission" and "Mission
 * finished, …", mission's "Climb to …", rtl_direct's "RTL: …").
 */
const PX4_TAB_TEXTS = /^(Returning to launch|Failsafe activated|Reposition is outside geofence|Executing Mission|Climb to .* meters above home|(Takeoff|Landing) detected|Arming denied: Resolve system health failures first|(Armed|Disarmed) by .+|Mission finished, (landed|loitering)|RTL: (start return at .*|land at destination))$/;

/** STATUSTEXT carries 50 characters; longer texts go in MAVLink 2 chunks sharing an id. */
const STATUSTEXT_LEN = 50;

export class SitlVehicle implements StreamSource {
  readonly world: SimWorld;
  readonly id: string;
  readonly sysid: number;
  readonly api: UdpMavlinkEndpoint;
  readonly gcs: UdpMavlinkEndpoint;
  readonly mission: MissionServer;
  readonly params: ParamServer;
  readonly presence: GcsPresence;
  /** Events interface, component metadata and FTP. */
  readonly events: EventsServer;
  /** The vehicle's MAVLink camera component, when it has one. */
  readonly camera: SitlCamera | undefined;
  failsafe = false;
  private readonly commands = new CommandHandler();
  private readonly streams: Map<UdpMavlinkEndpoint, LinkStreams>;
  private readonly counters = { droppedLinkDown: 0, commands: 0, missionItems: 0, handlerMs: 0 };
  private bootAt = 0;
  private nextBeat = 0;
  private sampleAt = Number.NaN;
  private cached: VehicleTelemetry | undefined;
  private att = { t: Number.NaN, vN: 0, vE: 0, yaw: 0, out: { roll: 0, pitch: 0, yaw: 0, rollspeed: 0, pitchspeed: 0, yawspeed: 0 } };
  private statusId = 0;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly o: SitlVehicleOptions) {
    this.world = o.world;
    this.id = o.id;
    this.sysid = o.sysid;
    const link = (name: string, localPort: number, remotePort: number) => new UdpMavlinkEndpoint({
      name, bindHost: o.bindHost, localPort, remoteHost: o.remoteHost, remotePort, sysid: o.sysid,
      registry: o.registry, logger: o.logger, onMessage: (f, m, l) => this.onMessage(f, m, l),
    });
    this.api = link('api', o.apiLocalPort, o.apiRemotePort);
    this.gcs = link('gcs', o.gcsLocalPort, o.gcsRemotePort);
    const tickMs = 1000 / o.world.physicsHz;
    this.streams = new Map([[this.api, new LinkStreams('onboard', tickMs)], [this.gcs, new LinkStreams('normal', tickMs)]]);
    const statustext = (sev: number, text: string) => this.statustext(sev, text);
    this.mission = new MissionServer({
      world: o.world, id: o.id, sysid: o.sysid, clock: o.world.clock, statustext, onItem: () => this.counters.missionItems++,
    });
    this.params = new ParamServer(o.world, o.id, o.sysid, statustext);
    this.presence = new GcsPresence(o.world, o.id, o.sysid);
    this.events = new EventsServer({ sysid: o.sysid, now: () => o.world.clock.now(), timeBootMs: () => this.timeBootMs(), broadcast: (m) => this.broadcast(m) });
    this.camera = o.camera && createSitlCamera(this, o.camera);
  }

  stats(): SitlVehicleStats {
    return { api: { ...this.api.stats }, gcs: { ...this.gcs.stats }, ...this.counters };
  }

  async start(): Promise<void> {
    await this.api.start();
    try {
      await this.gcs.start();
    } catch (err) {
      await this.api.close();
      throw err;
    }
    this.bootAt = this.world.clock.now();
    this.nextBeat = this.bootAt;
    this.unsubscribe = this.world.onEvent(this.id, (e) => this.onWorldEvent(e));
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.mission.dispose();
    this.presence.dispose();
    await Promise.all([this.api.close(), this.gcs.close()]);
  }

  // ---- StreamSource ----
  sample(): VehicleTelemetry {
    const now = this.world.clock.now();
    if (now !== this.sampleAt || !this.cached) {
      this.cached = this.world.telemetry(this.id);
      this.sampleAt = now;
    }
    return this.cached;
  }

  timeBootMs(): number {
    return this.world.clock.now() - this.bootAt;
  }

  /** Roll/pitch from the horizontal acceleration a multirotor must tilt for; rates by difference. */
  attitude(): { roll: number; pitch: number; yaw: number; rollspeed: number; pitchspeed: number; yawspeed: number } {
    const t = this.sample(), a = this.att;
    if (a.t === t.t_ms) return a.out;
    const yaw = (t.heading_deg * Math.PI) / 180;
    const vN = t.velocity_ned_mps.north_m, vE = t.velocity_ned_mps.east_m;
    const dt = Number.isFinite(a.t) ? (t.t_ms - a.t) / 1000 : 0;
    let roll = 0, pitch = 0, rollspeed = 0, pitchspeed = 0, yawspeed = 0;
    if (dt > 0) {
      const aN = (vN - a.vN) / dt, aE = (vE - a.vE) / dt;
      const fwd = aN * Math.cos(yaw) + aE * Math.sin(yaw), right = -aN * Math.sin(yaw) + aE * Math.cos(yaw);
      pitch = -Math.atan2(fwd, 9.81);
      roll = Math.atan2(right, 9.81);
      rollspeed = (roll - a.out.roll) / dt;
      pitchspeed = (pitch - a.out.pitch) / dt;
      yawspeed = Math.atan2(Math.sin(yaw - a.yaw), Math.cos(yaw - a.yaw)) / dt;
    }
    const wrapped = Math.atan2(Math.sin(yaw), Math.cos(yaw));
    this.att = { t: t.t_ms, vN, vE, yaw, out: { roll, pitch, yaw: wrapped, rollspeed, pitchspeed, yawspeed } };
    return this.att.out;
  }

  // ---- outbound ----
  private linkUp(): boolean {
    return this.world.isLinkUp(this.id);
  }

  /** Sends on both links (events, STATUSTEXT). */
  broadcast(m: MavLinkData): void {
    if (!this.linkUp()) {
      this.counters.droppedLinkDown++;
      return;
    }
    this.api.send(m);
    this.gcs.send(m);
  }

  statustext(severity: number, text: string): void {
    // PX4 ends a text that is also sent as an event with a tab (QGC hides it when it shows events).
    if (PX4_TAB_TEXTS.test(text)) text = `${text}\t`;
    if (text.length <= STATUSTEXT_LEN) {
      this.broadcast(msg(common.StatusText, { severity, text, id: 0, chunkSeq: 0 }));
      return;
    }
    this.statusId = (this.statusId % 0xffff) + 1;
    for (let k = 0, seq = 0; k <= text.length; k += STATUSTEXT_LEN, seq++) {
      const part = text.slice(k, k + STATUSTEXT_LEN);
      this.broadcast(msg(common.StatusText, { severity, text: part, id: this.statusId, chunkSeq: seq }));
      if (part.length < STATUSTEXT_LEN) break;
    }
  }

  /** Called after every physics tick: streams, the 1 s mission beat, GCS presence. */
  onTick(now: number): void {
    this.presence.tick(now);
    if (!this.linkUp()) return void this.camera?.tick(now);
    for (const [link, s] of this.streams) s.run(now, this, (m) => link.send(m));
    this.camera?.tick(now);
    this.events.tick(now);
    if (now + 1e-6 >= this.nextBeat) {
      this.nextBeat = Math.max(this.nextBeat + 1000, now + 500);
      for (const m of this.mission.cursor.slowBeat(this.mission.ids())) this.broadcast(m);
    }
  }

  private onWorldEvent(e: VehicleEvent): void {
    switch (e.type) {
      case 'statustext':
        this.statustext(SEVERITY[e.severity] ?? Severity.INFO, e.text);
        break;
      case 'failsafe':
        this.failsafe = true;
        break;
      case 'armed':
        if (!e.armed) this.failsafe = false;
        break;
      case 'link':
        if (e.up) this.failsafe = false;
        break;
      case 'mission.current':
        for (const m of this.mission.cursor.onWorldCurrent(e.seq, this.mission.ids())) this.broadcast(m);
        break;
      case 'mission.reached':
        for (const m of this.mission.cursor.onWorldReached(e.seq, this.mission.ids())) this.broadcast(m);
        break;
      case 'capture':
        this.broadcast(msg(common.CameraTrigger, { timeUsec: BigInt(Math.round(this.timeBootMs() * 1000)), seq: e.seq }));
        this.camera?.trigger();
        break;
      default:
        break;
    }
  }

  // ---- inbound ----
  private onMessage(frame: MavFrame, m: MavLinkData, link: UdpMavlinkEndpoint): void {
    if (!this.linkUp()) {
      this.counters.droppedLinkDown++;
      return;
    }
    // Addressed to another system (PX4 would forward it; a SITL instance has nowhere to).
    const target = (m as unknown as { targetSystem?: unknown }).targetSystem;
    if (typeof target === 'number' && target !== 0 && target !== this.sysid) {
      link.stats.rxForeign++;
      return;
    }
    if (this.camera?.handle(frame, m, (f) => link.sendFrame(f))) return;
    const t0 = this.o.profileNow?.();
    if (m instanceof minimal.Heartbeat) this.presence.onHeartbeat(frame.sysid, num(m, 'type'), this.world.clock.now());
    else if (this.commands.handle(this.events.observe(this.commandContext(link), m), frame, m)) this.counters.commands++;
    else if (!this.mission.handle(link, frame, m) && !this.events.handle(link, frame, m)) this.params.handle(link, m);
    if (t0 !== undefined) this.counters.handlerMs += this.o.profileNow!() - t0;
  }

  private commandContext(link: UdpMavlinkEndpoint): CommandContext {
    const streams = this.streams.get(link)!;
    return {
      world: this.world, id: this.id, sysid: this.sysid,
      now: () => this.world.clock.now(),
      statustext: (sev, text) => this.statustext(sev, text),
      setMessageInterval: (id, us) => streams.setInterval(id, us),
      sendMessageInterval: (id) => {
        const us = streams.interval(id);
        if (us === undefined) return false;
        link.send(msg(common.MessageInterval, { messageId: id, intervalUs: us }));
        return true;
      },
      requestMessage: (id) => {
        const m = id === MsgId.AUTOPILOT_VERSION ? autopilotVersion(this.sysid)
          : id === MsgId.MISSION_CURRENT ? this.mission.cursor.currentMessage(this.mission.ids())
          : id === 397 ? this.events.componentMetadata()
          : buildStreamMessage(id, this);
        if (!m) return false;
        link.send(m);
        return true;
      },
      missionSetCurrent: (seq) => this.mission.setCurrent(seq),
      send: (m) => link.send(m),
    };
  }
}

/** The camera component of a SITL vehicle: geotags from the world's truth, frames on both links. */
function createSitlCamera(v: SitlVehicle, profile: CameraProfile): SitlCamera {
  const { world, id } = v;
  return new SitlCamera({
    sysid: v.sysid, profile, now: () => world.clock.now(), timeBootMs: () => v.timeBootMs(),
    pose: () => {
      const ned = world.truePosition(id);
      const position = world.frame.toGeo(ned);
      const a = v.attitude();
      return { position, relAlt_m: position.alt_m - world.home(id).alt_m, roll: a.roll, pitch: a.pitch, yaw: a.yaw };
    },
    broadcast: (f) => {
      if (!world.isLinkUp(id)) return;
      v.api.sendFrame(f);
      v.gcs.sendFrame(f);
    },
  });
}
