/**
 * Heartbeats both ways: ours at 1 Hz (MAV_TYPE_GCS, MAV_AUTOPILOT_INVALID), so the autopilot
 * counts us as its ground station (PX4's datalink-loss failsafe watches for it); theirs to
 * decide whether the link is up.
 *
 * @remarks
 * Only a vehicle's heartbeat counts: from the autopilot component (1), with a type other than
 * GCS and an autopilot other than INVALID. PX4 forwards other clients' HEARTBEATs over every
 * link, so a QGroundControl next to us must not keep our link alive nor be picked as target.
 * With no `targetSystem` given, the first such heartbeat picks the target system. The link is
 * lost when no vehicle heartbeat arrived for `timeoutMs` (default 3 s, as MAVSDK), and up again
 * with the next one; both are reported once per change.
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
  /** Silence after which the link is lost, ms of autopilot time (default 3000). */
  readonly timeoutMs?: number;
  readonly onLink?: (up: boolean) => void;
  readonly onHeartbeat?: (hb: VehicleHeartbeat) => void;
}

const MAV_STATE_ACTIVE = 4;

export function autopilotKind(autopilot: number): AutopilotKind {
  if (autopilot === MAV_AUTOPILOT.PX4) return 'px4';
  if (autopilot === MAV_AUTOPILOT.ARDUPILOTMEGA) return 'ardupilot';
  return 'unknown';
}

export class HeartbeatPlugin {
  private readonly periodMs: number;
  private readonly timeoutMs: number;
  private stopSending = () => {};
  private stopWatchdog = () => {};
  private readonly off: () => void;
  private waiters: (() => void)[] = [];
  private running = false;
  /** Vehicle heartbeats received. */
  count = 0;

  constructor(private readonly session: MavSession, private readonly opts: HeartbeatOptions = {}) {
    this.periodMs = opts.periodMs ?? 1000;
    this.timeoutMs = opts.timeoutMs ?? 3000;
    this.off = session.on(0, (m, frame) => {
      const hb = m as minimal.Heartbeat;
      if (frame.compid !== AUTOPILOT_COMPID || hb.type === MAV_TYPE_GCS || hb.autopilot === MAV_AUTOPILOT.INVALID) return;
      if (session.sysid === undefined) session.sysid = frame.sysid;
      if (frame.sysid !== session.sysid) return;
      this.onVehicleHeartbeat(hb);
    });
  }

  /** Starts our heartbeats and the link watchdog. */
  start(): void {
    if (this.running) return;
    this.running = true;
    const tick = () => {
      this.sendOurs();
      this.stopSending = this.session.after(this.session.ms(this.periodMs), tick);
    };
    tick();
  }

  /** Resolves true at the first vehicle heartbeat, false after `timeoutMs` (clock ms) or abort. */
  waitFirst(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.session.linkUp) return Promise.resolve(true);
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
    this.stopSending();
    this.stopWatchdog();
    this.off();
  }

  private sendOurs(): void {
    const hb = new minimal.Heartbeat();
    hb.type = MAV_TYPE_GCS;
    hb.autopilot = MAV_AUTOPILOT.INVALID;
    hb.baseMode = 0 as minimal.MavModeFlag;
    hb.customMode = 0;
    hb.systemStatus = MAV_STATE_ACTIVE;
    hb.mavlinkVersion = 3;
    this.session.send(hb);
  }

  private onVehicleHeartbeat(hb: minimal.Heartbeat): void {
    this.count++;
    const s = this.session;
    s.autopilot = autopilotKind(hb.autopilot);
    this.stopWatchdog();
    this.stopWatchdog = s.after(s.ms(this.timeoutMs), () => {
      s.linkUp = false;
      this.opts.onLink?.(false);
    });
    // Link first, then the state it carries (the order the sim adapter reports them in).
    const wasUp = s.linkUp;
    if (!wasUp) {
      s.linkUp = true;
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
