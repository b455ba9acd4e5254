/**
 * The shared context of one vehicle's plugins: the link, our GCS identity on it, the target
 * system and component, the clock with the speed factor, and a per-message-id dispatch of
 * decoded frames from the target system.
 *
 * Our identity (sequence counter and GCS heartbeat) belongs to the link, not to the session:
 * every vehicle session on a shared link encodes with one counter and relies on one heartbeat
 * (see `internal/gcs-identity.ts`).
 *
 * @remarks
 * Only the autopilot component (MAV_COMP_ID_AUTOPILOT1 = 1) of the target system is listened
 * to by default: PX4 forwards other clients' HEARTBEATs, and cameras or gimbals of the same
 * system speak for themselves. Plugins that want other components (camera feedback) ask with
 * `anyComponent`. Decoding errors are counted, never thrown.
 */
import type { MavLinkData } from 'node-mavlink';
import type { Clock, TimerHandle } from '../../../core/clock.js';
import type { Logger } from '../../../core/logger.js';
import { decode, mavCrc, REGISTRY, type MavFrame } from './codec.js';
import { GcsIdentity } from './internal/gcs-identity.js';
import type { Link } from './link.js';

/** MAV_COMP_ID_AUTOPILOT1. */
export const AUTOPILOT_COMPID = 1;
/** MAV_AUTOPILOT values we tell apart. */
export const MAV_AUTOPILOT = { GENERIC: 0, ARDUPILOTMEGA: 3, INVALID: 8, PX4: 12 } as const;
/** MAV_TYPE_GCS: never a vehicle. */
export const MAV_TYPE_GCS = 6;

export type AutopilotKind = 'px4' | 'ardupilot' | 'unknown';

export type FrameHandler = (msg: MavLinkData, frame: MavFrame) => void;

export interface SessionOptions {
  readonly link: Link;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly gcsSysid: number;
  readonly gcsCompid: number;
  /** Fixed target system; absent = the first autopilot heard. */
  readonly targetSystem?: number;
  /** Autopilot time per wall time; every timeout and period is divided by it. */
  readonly speedFactor: number;
}

export class MavSession {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly gcsSysid: number;
  readonly gcsCompid: number;
  readonly link: Link;
  /** Target system id, once known. */
  sysid: number | undefined;
  readonly compid = AUTOPILOT_COMPID;
  autopilot: AutopilotKind = 'unknown';
  /** True while the autopilot's heartbeat is fresh (maintained by the heartbeat plugin). */
  linkUp = false;
  /** Frames from the target we could not decode. */
  decodeErrors = 0;
  private readonly speedFactor: number;
  private readonly identity: GcsIdentity;
  private readonly outListeners = new Set<(msg: MavLinkData) => void>();
  private readonly handlers = new Map<number, Set<{ fn: FrameHandler; anyComponent: boolean }>>();
  private readonly unsubscribeLink: () => void;
  private readonly timers = new Set<TimerHandle>();
  private closed = false;

  constructor(opts: SessionOptions) {
    this.link = opts.link;
    this.clock = opts.clock;
    this.logger = opts.logger;
    this.gcsSysid = opts.gcsSysid;
    this.gcsCompid = opts.gcsCompid;
    this.sysid = opts.targetSystem;
    this.speedFactor = opts.speedFactor;
    this.identity = GcsIdentity.of(opts.link, opts.gcsSysid, opts.gcsCompid);
    this.unsubscribeLink = opts.link.onFrame((frame) => this.dispatch(frame));
  }

  /** A duration of autopilot time in our clock's ms (divided by the speed factor). */
  ms(autopilotMs: number): number {
    return autopilotMs / this.speedFactor;
  }

  /**
   * Encodes and sends a message to the target system (broadcast routing until one is known).
   *
   * @param patchPayload - rewrites payload bytes after serialisation (the CRC is recomputed):
   *   for values a JS number cannot carry bit for bit, e.g. an INT32 parameter whose bytes are a
   *   float NaN (a NaN's bits are implementation-defined when written as a float32).
   */
  send(msg: MavLinkData, patchPayload?: (payload: Buffer) => void): void {
    if (this.closed) return;
    const frame = this.identity.encode(msg);
    if (patchPayload) {
      // The encoder writes MAVLink 2: 10 header bytes, payload, CRC.
      const len = frame[1]!;
      const msgid = frame[7]! | (frame[8]! << 8) | (frame[9]! << 16);
      patchPayload(frame.subarray(10, 10 + len));
      frame.writeUInt16LE(mavCrc(frame, 1, 10 + len, REGISTRY[msgid]!.MAGIC_NUMBER), 10 + len);
    }
    this.link.send(frame, this.sysid);
    for (const fn of this.outListeners) fn(msg);
  }

  /**
   * Watches what we send (e.g. the telemetry mapper notes the modes we command). Returns the
   * unsubscribe function.
   */
  onSend(fn: (msg: MavLinkData) => void): () => void {
    this.outListeners.add(fn);
    return () => this.outListeners.delete(fn);
  }

  /** Starts (or joins) our GCS heartbeat on the link, every `periodMs` ms of our clock. */
  startGcsHeartbeat(periodMs: number): void {
    if (!this.closed) this.identity.startHeartbeat(this, this.clock, periodMs);
  }

  /** Leaves the link's GCS heartbeat (it stops with its last session). */
  stopGcsHeartbeat(): void {
    this.identity.stopHeartbeat(this);
  }

  /** GCS heartbeats sent on this session's link for our identity (all sessions together). */
  get gcsHeartbeatsSent(): number {
    return this.identity.heartbeatsSent;
  }

  /** Listens to one message id from the target. Returns the unsubscribe function. */
  on(msgid: number, fn: FrameHandler, opts: { anyComponent?: boolean } = {}): () => void {
    let set = this.handlers.get(msgid);
    if (!set) this.handlers.set(msgid, (set = new Set()));
    const entry = { fn, anyComponent: opts.anyComponent ?? false };
    set.add(entry);
    return () => set!.delete(entry);
  }

  /** A timer on the session's clock, cancelled automatically by `close()`. */
  after(ms: number, fn: () => void): () => void {
    const h = this.clock.setTimeout(() => {
      this.timers.delete(h);
      fn();
      this.clock.notifyAsync();
    }, ms);
    this.timers.add(h);
    return () => {
      this.clock.clearTimeout(h);
      this.timers.delete(h);
    };
  }

  /** Is this frame addressed to us (or broadcast)? For messages that carry a target. */
  isForUs(targetSystem: number | undefined, targetComponent: number | undefined): boolean {
    const s = targetSystem ?? 0;
    const c = targetComponent ?? 0;
    return (s === 0 || s === this.gcsSysid) && (c === 0 || c === this.gcsCompid);
  }

  close(): void {
    this.closed = true;
    this.identity.stopHeartbeat(this);
    this.outListeners.clear();
    this.unsubscribeLink();
    for (const h of this.timers) this.clock.clearTimeout(h);
    this.timers.clear();
    this.handlers.clear();
  }

  private dispatch(frame: MavFrame): void {
    if (this.closed) return;
    if (frame.sysid === this.gcsSysid && frame.compid === this.gcsCompid) return; // our own echo
    if (this.sysid === undefined) {
      // Until a target is chosen only heartbeats matter (the heartbeat plugin picks one).
      if (frame.msgid !== 0) return;
    } else if (frame.sysid !== this.sysid) return;
    const set = this.handlers.get(frame.msgid);
    if (!set || set.size === 0) return;
    const fromAutopilot = frame.compid === AUTOPILOT_COMPID;
    let msg: MavLinkData | undefined;
    try {
      msg = decode(frame);
    } catch (err) {
      this.decodeErrors++;
      this.logger.debug({ err, msgid: frame.msgid }, 'mavlink: undecodable frame');
      return;
    }
    if (!msg) return;
    for (const h of [...set]) {
      if (!h.anyComponent && !fromAutopilot) continue;
      h.fn(msg, frame);
    }
  }
}

/** MAVLink's NaN-for-unused convention for float params. */
export const UNUSED = Number.NaN;
