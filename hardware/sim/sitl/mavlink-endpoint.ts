/**
 * One MAVLink link of a SITL instance over UDP, the way PX4's `mavlink start -u <local> -o
 * <remote>` behaves: bind a local port, send to a configured remote until a peer talks, then
 * answer whoever talked last.
 *
 * @remarks
 * - Every datagram is parsed on its own (a fresh {@link MavlinkParser}): a truncated frame at the
 *   end of a garbage datagram can never swallow the start of the next good one. (PX4 keeps parser
 *   state across datagrams; on a real UDP link frames never straddle datagrams, so nothing is lost.)
 * - Only a frame with a valid CRC moves the peer address, so noise from another port cannot
 *   hijack the link.
 * - Nothing thrown by the message handler escapes the socket callback: it is counted and logged.
 * - Own echoes (our system id and component) are dropped before the handler sees them.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { MavLinkData, MavLinkPacketRegistry } from 'node-mavlink';
import { decode, MavlinkEncoder, MavlinkParser, type MavFrame } from '../../real/mavlink/codec.js';
import type { Logger } from '../../../core/logger.js';
import { COMP_AUTOPILOT } from './internal/mav.js';

/** Counters of one link; all monotonic. */
export interface EndpointStats {
  rxDatagrams: number;
  rxFrames: number;
  rxBadCrc: number;
  rxGarbageBytes: number;
  /** Frames whose message id has no definition (cannot be CRC-checked, skipped). */
  rxUnknownMsg: number;
  /** Frames we sent that came back (own system and component id). */
  rxEcho: number;
  /** Messages addressed to another system or component. */
  rxForeign: number;
  /** Handler exceptions: bugs, logged and swallowed so the socket keeps serving. */
  handlerErrors: number;
  txMessages: number;
  txErrors: number;
}

export interface UdpMavlinkEndpointOptions {
  /** Label for logs and stats, e.g. `api` or `gcs`. */
  readonly name: string;
  readonly bindHost: string;
  /** Local UDP port; 0 = any free port (see {@link UdpMavlinkEndpoint.localPort}). */
  readonly localPort: number;
  /** Where to send before a peer has talked; port 0 = stay silent until then. */
  readonly remoteHost: string;
  readonly remotePort: number;
  readonly sysid: number;
  readonly registry: MavLinkPacketRegistry;
  readonly logger: Logger;
  /** Called for every decoded message from another system or component. */
  readonly onMessage: (frame: MavFrame, message: MavLinkData, link: UdpMavlinkEndpoint) => void;
}

export class UdpMavlinkEndpoint {
  readonly name: string;
  readonly stats: EndpointStats = {
    rxDatagrams: 0, rxFrames: 0, rxBadCrc: 0, rxGarbageBytes: 0, rxUnknownMsg: 0, rxEcho: 0, rxForeign: 0,
    handlerErrors: 0, txMessages: 0, txErrors: 0,
  };
  /**
   * PX4's per-link mission "int mode": false until a MISSION_ITEM_INT / MISSION_REQUEST_INT
   * arrives on this link, so uploads are first requested with the legacy MISSION_REQUEST.
   */
  missionIntMode = false;
  private socket: Socket | undefined;
  private boundPort = 0;
  private peer: { address: string; port: number } | undefined;
  private readonly encoder: MavlinkEncoder;

  constructor(private readonly opts: UdpMavlinkEndpointOptions) {
    this.name = opts.name;
    this.encoder = new MavlinkEncoder(opts.sysid, COMP_AUTOPILOT);
  }

  /** The bound local port (the real one when 0 was asked for); 0 before start. */
  get localPort(): number {
    return this.boundPort;
  }

  /** The address replies go to: the last peer that talked, else the configured remote. */
  get remote(): { address: string; port: number } | undefined {
    if (this.peer) return this.peer;
    return this.opts.remotePort > 0 ? { address: this.opts.remoteHost, port: this.opts.remotePort } : undefined;
  }

  async start(): Promise<void> {
    if (this.socket) return;
    const socket = createSocket({ type: 'udp4', reuseAddr: false });
    socket.on('message', (buf, rinfo) => this.onDatagram(buf, rinfo));
    socket.on('error', (err) => this.opts.logger.warn({ err, link: this.name }, 'sitl: socket error'));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.opts.localPort, this.opts.bindHost, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    this.socket = socket;
    this.boundPort = socket.address().port;
  }

  async close(): Promise<void> {
    const s = this.socket;
    this.socket = undefined;
    if (!s) return;
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** Encodes and sends one message to {@link remote}; silently dropped when there is none. */
  send(message: MavLinkData): void {
    const to = this.remote;
    const s = this.socket;
    if (!to || !s) return;
    let buf: Buffer;
    try {
      buf = this.encoder.encode(message);
    } catch (err) {
      this.stats.txErrors++;
      this.opts.logger.error({ err, link: this.name }, 'sitl: encode failed');
      return;
    }
    this.stats.txMessages++;
    s.send(buf, to.port, to.address, (err) => {
      if (err) this.stats.txErrors++;
    });
  }

  /** Sends a frame another component of this system encoded (the camera) to {@link remote}. */
  sendFrame(buf: Buffer): void {
    const to = this.remote;
    const s = this.socket;
    if (!to || !s) return;
    this.stats.txMessages++;
    s.send(buf, to.port, to.address, (err) => {
      if (err) this.stats.txErrors++;
    });
  }

  private onDatagram(buf: Buffer, rinfo: RemoteInfo): void {
    const st = this.stats;
    st.rxDatagrams++;
    const parser = new MavlinkParser(this.opts.registry);
    try {
      parser.push(buf, (frame) => this.onFrame(frame, rinfo));
    } catch (err) {
      // The parser promises not to throw; if it ever does, the socket must survive it.
      st.handlerErrors++;
      this.opts.logger.error({ err, link: this.name }, 'sitl: parser threw');
    }
    const ps = parser.stats;
    st.rxFrames += ps.frames;
    st.rxBadCrc += ps.badCrc;
    st.rxUnknownMsg += ps.unknownMsg;
    st.rxGarbageBytes += ps.garbageBytes;
  }

  private onFrame(frame: MavFrame, rinfo: RemoteInfo): void {
    if (frame.sysid === this.opts.sysid && frame.compid === COMP_AUTOPILOT) {
      this.stats.rxEcho++;
      return;
    }
    if (!this.peer || this.peer.port !== rinfo.port || this.peer.address !== rinfo.address) {
      this.peer = { address: rinfo.address, port: rinfo.port };
    }
    try {
      const message = decode(frame, this.opts.registry);
      if (message) this.opts.onMessage(frame, message, this);
    } catch (err) {
      this.stats.handlerErrors++;
      this.opts.logger.error({ err, link: this.name, msgid: frame.msgid }, 'sitl: message handler threw');
    }
  }
}
