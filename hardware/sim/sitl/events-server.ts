/**
 * The SITL's side of the MAVLink events interface and component metadata, after PX4's
 * `mavlink_events.cpp` (SendProtocol, EventBuffer) and Commander's refusals: the server twin of
 * `hardware/real/mavlink/events`.
 *
 * @remarks
 * - Events get consecutive sequence numbers from 0 and are kept in a ring of `capacity`
 *   (PX4 keeps a few dozen); REQUEST_EVENT resends kept ones and answers the others with
 *   RESPONSE_EVENT_ERROR (UNAVAILABLE, with the oldest sequence still kept after it).
 * - CURRENT_EVENT_SEQUENCE goes out every 3 s of sim time on the physics tick, the first with
 *   the RESET flag (PX4 does so at start in SITL).
 * - A refused command (COMMAND_ACK TEMPORARILY_REJECTED or DENIED) sends, after the ACK:
 *   for a reason PX4 has an arming check for (no mission, no position estimate) a health and
 *   arming-check report naming it; for a mode change PX4's `commander_modeswitch_not_avail`
 *   (whose text the ground station completes with that report); and, when PX4 would have no
 *   check to show, the SITL-only `sitl_command_denied` with the reason.
 * - COMPONENT_METADATA (REQUEST_MESSAGE 397) points at the general metadata served by the
 *   {@link FtpServer} (`.json.xz` at PX4's URIs), which also answers FILE_TRANSFER_PROTOCOL —
 *   one per link, as PX4 runs one per MAVLink instance, so a GCS and an API client on the
 *   other link each have their session.
 * No timers: everything runs on calls from the vehicle (messages, ticks).
 */
import { common, type MavLinkData } from 'node-mavlink';
import type { MavFrame } from '../../real/mavlink/codec.js';
import { ComponentMetadata, CurrentEventSequence, EventMessage, RequestEvent, ResponseEventError } from '../../real/mavlink/events/event-messages.js';
import { px4EventId, type BaseType } from '../../real/mavlink/events/events-metadata.js';
import { decodeFtp, encodeFtp, mavCrc32 } from '../../real/mavlink/ftp/ftp-payload.js';
import type { CommandContext } from './command-handler.js';
import {
  DENIAL, EVENTS_METADATA_URI, GENERAL_METADATA_URI, HEALTH_BIT, MODE_GROUP, NAV_MODE, SITL_EVENTS_METADATA, denialOf, generalMetadata,
} from './events-metadata.js';
import { xzStore } from './events-xz.js';
import { FtpServer } from './ftp-server.js';
import { Cmd, Result, Severity, isForUs, num } from './internal/mav.js';

/** PX4 sends CURRENT_EVENT_SEQUENCE every 3 s. */
export const CURRENT_SEQUENCE_PERIOD_MS = 3000;

/** MAVLink log levels (EVENT.log_levels nibbles). */
export const LogLevel = { EMERGENCY: 0, ALERT: 1, CRITICAL: 2, ERROR: 3, WARNING: 4, NOTICE: 5, INFO: 6, DEBUG: 7, PROTOCOL: 8 } as const;

export interface EventsServerOptions {
  readonly sysid: number;
  /** Sim time now, ms. */
  readonly now: () => number;
  /** Time since boot, ms (EVENT.event_time_boot_ms). */
  readonly timeBootMs: () => number;
  /** Sends on every link (events are broadcast). */
  readonly broadcast: (m: MavLinkData) => void;
  /** Events kept for REQUEST_EVENT (default 32). */
  readonly capacity?: number;
}

export interface EventsServerStats {
  sent: number;
  resent: number;
  unavailable: number;
}

interface Link { send(m: MavLinkData): void }

type Arg = readonly [BaseType, number];

const pathOf = (uri: string) => uri.replace(/^mftp:\/\//, '/');

export class EventsServer {
  /** One FTP server per link, as PX4 runs one per MAVLink instance (each with its session). */
  private readonly ftps = new Map<Link, FtpServer>();
  private readonly files: [string, Uint8Array][] = [];
  readonly stats: EventsServerStats = { sent: 0, resent: 0, unavailable: 0 };
  private readonly ring: EventMessage[] = [];
  private readonly capacity: number;
  private seq = 0xffff; // the first event gets 0
  private nextCurrentAt = 0;
  private sentReset = false;
  private readonly generalCrc: number;

  constructor(private readonly o: EventsServerOptions) {
    this.capacity = o.capacity ?? 32;
    // As PX4: files served .xz; the events entry's fileCrc is the CRC of the .xz file, the
    // COMPONENT_METADATA file_crc that of the uncompressed general JSON (PX4 generate_crc.py).
    const events = xzStore(new TextEncoder().encode(JSON.stringify(SITL_EVENTS_METADATA)));
    const general = new TextEncoder().encode(generalMetadata(mavCrc32(events)));
    this.generalCrc = mavCrc32(general);
    this.files.push([pathOf(EVENTS_METADATA_URI), events], [pathOf(GENERAL_METADATA_URI), xzStore(general)]);
  }

  /** Handles REQUEST_EVENT and FILE_TRANSFER_PROTOCOL; false for anything else. */
  handle(link: Link, frame: MavFrame, m: MavLinkData): boolean {
    if (m instanceof RequestEvent) {
      if (isForUs(this.o.sysid, m.targetSystem, m.targetComponent)) this.resend(link, frame, m.firstSequence, m.lastSequence);
      return true;
    }
    if (m instanceof common.FileTransferProtocol) {
      if (!isForUs(this.o.sysid, num(m, 'targetSystem'), num(m, 'targetComponent'))) return true;
      const req = decodeFtp(m.payload);
      if (!req) return true;
      this.ftpFor(link).handle(req, (p) => {
        const out = new common.FileTransferProtocol();
        out.targetNetwork = 0;
        out.targetSystem = frame.sysid;
        out.targetComponent = frame.compid;
        out.payload = encodeFtp(p);
        link.send(out);
      });
      return true;
    }
    return false;
  }

  /** The FTP server of `link` (created on its first request). */
  ftpFor(link: Link): FtpServer {
    let f = this.ftps.get(link);
    if (!f) {
      f = new FtpServer();
      for (const [path, data] of this.files) f.addFile(path, data);
      this.ftps.set(link, f);
    }
    return f;
  }

  /** The COMPONENT_METADATA answer to REQUEST_MESSAGE 397. */
  componentMetadata(): ComponentMetadata {
    const m = new ComponentMetadata();
    m.timeBootMs = Math.max(0, Math.round(this.o.timeBootMs())) >>> 0;
    m.fileCrc = this.generalCrc;
    m.uri = GENERAL_METADATA_URI;
    return m;
  }

  /** Called on every physics tick: the periodic CURRENT_EVENT_SEQUENCE. */
  tick(now: number): void {
    if (now + 1e-6 < this.nextCurrentAt) return;
    this.nextCurrentAt = now + CURRENT_SEQUENCE_PERIOD_MS;
    const m = new CurrentEventSequence();
    m.sequence = this.seq;
    m.flags = this.sentReset ? 0 : 1;
    this.sentReset = true;
    this.o.broadcast(m);
  }

  /** Sends an event by name (PX4 id) with little-endian arguments. */
  emit(name: string, level: number, args: readonly Arg[] = []): void {
    const e = new EventMessage();
    e.id = px4EventId(name);
    e.eventTimeBootMs = Math.max(0, Math.round(this.o.timeBootMs())) >>> 0;
    this.seq = (this.seq + 1) & 0xffff;
    e.sequence = this.seq;
    e.destinationComponent = 0;
    e.destinationSystem = 0;
    e.logLevels = (LogLevel.INFO << 4) | (level & 0x0f);
    const buf = Buffer.alloc(40);
    let o = 0;
    for (const [t, v] of args) o = write(buf, o, t, v);
    e.arguments = [...buf];
    this.ring.push(e);
    if (this.ring.length > this.capacity) this.ring.shift();
    this.stats.sent++;
    this.o.broadcast(e);
  }

  /**
   * Wraps the command context of one inbound command so that a refusal (seen in the ACK it
   * sends) also produces events, after the ACK, with the reason the simulator gave.
   */
  observe(ctx: CommandContext, m: MavLinkData): CommandContext {
    let reason: string | undefined;
    return {
      ...ctx,
      statustext: (severity, text) => {
        if (severity <= Severity.CRITICAL) reason = text;
        ctx.statustext(severity, text);
      },
      send: (out) => {
        ctx.send(out);
        if (out instanceof common.CommandAck && (out.result === Result.TEMPORARILY_REJECTED || out.result === Result.DENIED))
          this.onRefused(m, reason ?? '');
      },
    };
  }

  private onRefused(m: MavLinkData, reason: string): void {
    const command = num(m, 'command');
    const denial = denialOf(reason);
    let mode: { custom: number; nav: number; group: number } | undefined;
    if (command === Cmd.DO_SET_MODE) mode = modeOf(num(m, '_param2'), num(m, '_param3'));
    else if (command === Cmd.MISSION_START) mode = modeOf(4, 4);
    const check = denial === 'no_mission' ? { name: 'check_modes_mission', component: HEALTH_BIT.mission, groups: 1 << MODE_GROUP.mission }
      : denial === 'no_position' ? { name: 'check_modes_global_pos', component: HEALTH_BIT.global_position_estimate, groups: ALL_POSITION_GROUPS }
      : undefined;
    if (check) this.armingReport(check);
    if (mode) this.emit('commander_modeswitch_not_avail', LogLevel.CRITICAL, [['uint32_t', mode.custom], ['uint8_t', mode.nav]]);
    if (!check) this.emit('sitl_command_denied', LogLevel.CRITICAL, [['uint16_t', command], ['uint8_t', DENIAL[denial]]]);
  }

  /** One health and arming-check report with one failing check (PX4 Commander's order). */
  private armingReport(check: { name: string; component: number; groups: number }): void {
    const all = ALL_GROUPS;
    const compBit = (1 << check.component) >>> 0;
    const present = PRESENT_COMPONENTS | compBit;
    this.emit('commander_arming_check_summary', LogLevel.PROTOCOL, [
      ['uint8_t', 0], ['uint32_t', compBit], ['uint32_t', 0], ['uint32_t', (all & ~check.groups) >>> 0], ['uint32_t', (all & ~check.groups) >>> 0],
    ]);
    this.emit(check.name, LogLevel.ERROR, [['uint32_t', check.groups >>> 0], ['uint8_t', check.component]]);
    this.emit('commander_health_summary', LogLevel.PROTOCOL, [['uint8_t', 0], ['uint32_t', present], ['uint32_t', 0], ['uint32_t', 0]]);
  }

  private resend(link: Link, frame: MavFrame, first: number, last: number): void {
    const end = (last + 1) & 0xffff;
    // At most the whole 16-bit space, in practice a handful.
    for (let s = first & 0xffff, n = 0; s !== end && n < 0x10000; s = (s + 1) & 0xffff, n++) {
      const e = this.ring.find((x) => x.sequence === s);
      if (e) {
        this.stats.resent++;
        link.send(e);
        continue;
      }
      this.stats.unavailable++;
      const err = new ResponseEventError();
      err.targetSystem = frame.sysid;
      err.targetComponent = frame.compid;
      err.sequence = s;
      err.sequenceOldestAvailable = this.oldestAfter(s);
      err.reason = 0;
      link.send(err);
    }
  }

  /** PX4 `get_oldest_sequence_after`: the kept sequence closest after `s` (else the latest). */
  private oldestAfter(s: number): number {
    let best = this.seq;
    let min = 0xffff;
    for (const e of this.ring) {
      const d = (e.sequence - s) & 0xffff;
      if (e.sequence !== s && d < min) {
        min = d;
        best = e.sequence;
      }
    }
    return best;
  }
}

const ALL_GROUPS = Object.values(MODE_GROUP).reduce((a, b) => a | (1 << b), 0) >>> 0;
const ALL_POSITION_GROUPS = ALL_GROUPS;
const PRESENT_COMPONENTS = ((1 << HEALTH_BIT.gps) | (1 << HEALTH_BIT.battery) | (1 << HEALTH_BIT.system) | (1 << HEALTH_BIT.global_position_estimate)) >>> 0;

/** PX4 main/sub mode → custom mode word, navigation_mode_t and mode group. */
function modeOf(main: number, sub: number): { custom: number; nav: number; group: number } {
  const m = Math.round(main), s = Math.round(sub);
  const custom = ((m & 0xff) << 16 | (s & 0xff) << 24) >>> 0;
  if (m === 4) {
    switch (s) {
      case 4: return { custom, nav: NAV_MODE.auto_mission, group: MODE_GROUP.mission };
      case 3: return { custom, nav: NAV_MODE.auto_loiter, group: MODE_GROUP.loiter };
      case 5: return { custom, nav: NAV_MODE.auto_rtl, group: MODE_GROUP.rtl };
      case 2: return { custom, nav: NAV_MODE.auto_takeoff, group: MODE_GROUP.takeoff };
      case 6: return { custom, nav: NAV_MODE.auto_land, group: MODE_GROUP.land };
      default: break;
    }
  }
  if (m === 3) return { custom, nav: NAV_MODE.posctl, group: MODE_GROUP.posctl };
  if (m === 6) return { custom, nav: NAV_MODE.offboard, group: -1 };
  return { custom, nav: NAV_MODE.unknown, group: -1 };
}

function write(b: Buffer, o: number, t: BaseType, v: number): number {
  switch (t) {
    case 'uint8_t': b.writeUInt8(v & 0xff, o); return o + 1;
    case 'int8_t': b.writeInt8(v, o); return o + 1;
    case 'uint16_t': b.writeUInt16LE(v & 0xffff, o); return o + 2;
    case 'int16_t': b.writeInt16LE(v, o); return o + 2;
    case 'uint32_t': b.writeUInt32LE(v >>> 0, o); return o + 4;
    case 'int32_t': b.writeInt32LE(v | 0, o); return o + 4;
    case 'float': b.writeFloatLE(v, o); return o + 4;
    case 'uint64_t': b.writeBigUInt64LE(BigInt(v), o); return o + 8;
    case 'int64_t': b.writeBigInt64LE(BigInt(v), o); return o + 8;
  }
}
