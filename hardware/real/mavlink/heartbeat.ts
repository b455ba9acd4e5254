/**
 * Heartbeats both ways: ours at 1 Hz (MAV_TYPE_GCS, MAV_AUTOPILOT_INVALID), so the autopilot
 * counts us as its ground station (PX4's datalink-loss failsafe watches for it); theirs to
 * decide whether the link is up.
 *
 * @remarks
 * Only a vehicle's heartbeat counts: from the autopilot component (1), with a type other than
 * GCS and an autopilot other than INVALID. PX4 forwards other clients' HEARTBEATs over every
 * link, so a QGroundControl next to us must not keep our link alive nor be picked as target.
 * With no `targetSystem` given, the first such heartbeat picks the target system.
 *
 * Ours is the link's (one per GCS identity and link, shared by every vehicle session on it:
 * `internal/gcs-identity.ts`).
 *
 * Link loss (https://mavlink.io/en/services/heartbeat.html: a component is lost when its
 * heartbeat has not been heard for a number of periods) is judged over several missed vehicle
 * heartbeats: lost after `missedBeats` (3) heartbeat periods and at least `timeoutMs` (3 s) of
 * silence, both in autopilot time. The silence is measured on watchdog checks that run every
 * heartbeat period on the clock: a check that sees a heartbeat arrived since the previous check
 * restarts the silence *at the check* — never earlier than the heartbeat really arrived, even
 * when the clock is quantised (a paced virtual clock whose `now()` still shows its last instant
 * while a datagram comes in, up to a period stale), so loss is never declared early; it is
 * declared at most one check late. A single slow heartbeat (PX4 stalls 0.5–1 s on a busy host)
 * never flaps the link. Up again with the next heartbeat; both reported once per change.
 */
import { minimal } from 'node-mavlink';
import { AUTOPILOT_COMPID, MAV_AUTOPILOT, MAV_TYPE_GCS, type AutopilotKind, type MavSession } from './session.js';

export interface VehicleHeartbeat {
  readonly type: number;
  readonly autopilot: number;
  readonly baseMode: number;
  readonly customMode: number;
  readonly systemStatus: number;
}

export interface HeartbeatOptions {
  /** Our heartbeat period, ms of autopilot time (default 1000). */
  readonly periodMs?: number;
  /** Least silence after which the link is lost, ms of autopilot time (default 3000). */
  readonly timeoutMs?: number;
  /** The vehicle's heartbeat period, ms of autopilot time (default 1000, PX4's and ArduPilot's). */
  readonly vehiclePeriodMs?: number;
  /** Vehicle heartbeats missed before the link is lost (default 3). */
  readonly missedBeats?: number;
  readonly onLink?: (up: boolean) => void;
  readonly onHeartbeat?: (hb: VehicleHeartbeat) => void;
}

export function autopilotKind(autopilot: number): AutopilotKind {
  if (autopilot === MAV_AUTOPILOT.PX4) return 'px4';
  if (autopilot === MAV_AUTOPILOT.ARDUPILOTMEGA) return 'ardupilot';
  return 'unknown';
}

export class HeartbeatPlugin {
  private readonly periodMs: number;
  /** Silence (autopilot ms) after which the link is lost. */
  private readonly lossMs: number;
  private readonly checkMs: number;
  private readonly missedBeats: number;
  private stopWatchdog = () => {};
  private readonly off: () => void;
  private waiters: (() => void)[] = [];
  private running = false;
  /** A vehicle heartbeat arrived since the last watchdog check. */
  private heard = false;
  /** Clock time of the watchdog check that last saw a heartbeat (silence starts there). */
  private silentSince = 0;
  /** Consecutive watchdog checks without a heartbeat. */
  private missedChecks = 0;
  /** Vehicle heartbeats received. */
  count = 0;

  constructor(private readonly session: MavSession, private readonly opts: HeartbeatOptions = {}) {
    this.periodMs = opts.periodMs ?? 1000;
    const vehiclePeriod = opts.vehiclePeriodMs ?? 1000;
    this.missedBeats = Math.max(1, Math.floor(opts.missedBeats ?? 3));
    this.lossMs = Math.max(opts.timeoutMs ?? 3000, this.missedBeats * vehiclePeriod);
    // Checks at the vehicle's heartbeat period (or finer when the loss threshold is shorter).
    this.checkMs = Math.min(vehiclePeriod, this.lossMs / this.missedBeats);
    this.off = session.on(0, (m, frame) => {
      const hb = m as minimal.Heartbeat;
      if (frame.compid !== AUTOPILOT_COMPID || hb.type === MAV_TYPE_GCS || hb.autopilot === MAV_AUTOPILOT.INVALID) return;
      if (session.sysid === undefined) session.sysid = frame.sysid;
      if (frame.sysid !== session.sysid) return;
      this.onVehicleHeartbeat(hb);
    });
  }

  /** Starts (or joins) our heartbeat on the link. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.session.startGcsHeartbeat(this.session.ms(this.periodMs));
  }

  /** Resolves true at the first vehicle heartbeat, false after `timeoutMs` (clock ms) or abort. */
  waitFirst(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.session.linkUp) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      let settled = false;
      const settle = (v: boolean) => {
        if (settled) return;
        settled = true;
        cancel();
        signal?.removeEventListener('abort', onAbort);
        this.waiters = this.waiters.filter((w) => w !== onBeat);
        resolve(v);
        this.session.clock.notifyAsync();
      };
      const onBeat = () => settle(true);
      const onAbort = () => settle(false);
      const cancel = this.session.after(timeoutMs, () => settle(false));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(onBeat);
    });
  }

  stop(): void {
    this.running = false;
    this.session.stopGcsHeartbeat();
    this.stopWatchdog();
    this.off();
  }

  /** One watchdog check (every `checkMs` of autopilot time while the link is up). */
  private check(): void {
    const s = this.session;
    const now = s.clock.now();
    if (this.heard) {
      this.heard = false;
      this.silentSince = now;
      this.missedChecks = 0;
    } else {
      this.missedChecks++;
    }
    if (this.missedChecks >= this.missedBeats && now - this.silentSince >= s.ms(this.lossMs)) {
      s.linkUp = false;
      this.stopWatchdog = () => {};
      this.opts.onLink?.(false);
      return;
    }
    this.stopWatchdog = s.after(s.ms(this.checkMs), () => this.check());
  }

  private onVehicleHeartbeat(hb: minimal.Heartbeat): void {
    this.count++;
    const s = this.session;
    s.autopilot = autopilotKind(hb.autopilot);
    this.heard = true;
    // Link first, then the state it carries (the order the sim adapter reports them in).
    const wasUp = s.linkUp;
    if (!wasUp) {
      s.linkUp = true;
      this.silentSince = s.clock.now();
      this.missedChecks = 0;
      this.stopWatchdog();
      this.stopWatchdog = s.after(s.ms(this.checkMs), () => this.check());
      this.opts.onLink?.(true);
    }
    this.opts.onHeartbeat?.({ type: hb.type, autopilot: hb.autopilot, baseMode: hb.baseMode, customMode: hb.customMode, systemStatus: hb.systemStatus });
    if (!wasUp) {
      const ws = this.waiters;
      this.waiters = [];
      for (const w of ws) w();
    }
  }
}
