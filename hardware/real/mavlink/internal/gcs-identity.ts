/**
 * One ground-station identity per link: one MAVLink sequence counter and one GCS heartbeat for
 * a (link, system id, component id), shared by every vehicle session on that link.
 *
 * @remarks
 * MAVLink's sequence number is per sending component (https://mavlink.io/en/guide/serialization.html:
 * "used to detect packet loss"), so two sessions of the same GCS component on one link must
 * not each count from 0, or the vehicle sees duplicates and gaps that are not there. Likewise a
 * GCS component heartbeats once per period (https://mavlink.io/en/services/heartbeat.html),
 * not once per vehicle it talks to. The heartbeat is broadcast (to every peer of the link); it
 * runs while at least one session wants it, on the clock of the session that started it (the
 * next one takes over if that session stops first).
 */
import { minimal, type MavLinkData } from 'node-mavlink';
import type { Clock, TimerHandle } from '../../../../core/clock.js';
import { MavlinkEncoder } from '../codec.js';
import type { Link } from '../link.js';

/** MAV_TYPE_GCS. */
const MAV_TYPE_GCS = 6;
/** MAV_AUTOPILOT_INVALID: not an autopilot. */
const MAV_AUTOPILOT_INVALID = 8;
const MAV_STATE_ACTIVE = 4;

interface HeartbeatUser {
  readonly clock: Clock;
  /** Period, ms of `clock`. */
  readonly periodMs: number;
}

export class GcsIdentity {
  private static readonly byLink = new WeakMap<Link, Map<string, GcsIdentity>>();

  /** The identity of `sysid`/`compid` on `link` (created on first use). */
  static of(link: Link, sysid: number, compid: number): GcsIdentity {
    let m = GcsIdentity.byLink.get(link);
    if (!m) GcsIdentity.byLink.set(link, (m = new Map()));
    const key = `${sysid}/${compid}`;
    let id = m.get(key);
    if (!id) m.set(key, (id = new GcsIdentity(link, sysid, compid)));
    return id;
  }

  private readonly encoder: MavlinkEncoder;
  private readonly users = new Map<object, HeartbeatUser>();
  private ticker: { readonly owner: object; readonly clock: Clock; handle: TimerHandle | undefined } | undefined;
  /** GCS heartbeats sent on this link. */
  heartbeatsSent = 0;

  private constructor(private readonly link: Link, readonly sysid: number, readonly compid: number) {
    this.encoder = new MavlinkEncoder(sysid, compid);
  }

  /** Encodes with the link-wide sequence counter. */
  encode(msg: MavLinkData): Buffer {
    return this.encoder.encode(msg);
  }

  /** `user` wants our heartbeat on the link; the first one starts it (one sent at once). */
  startHeartbeat(user: object, clock: Clock, periodMs: number): void {
    if (this.users.has(user)) return;
    this.users.set(user, { clock, periodMs });
    if (!this.ticker) this.run(user, true);
  }

  /** `user` no longer needs it; the heartbeat stops with the last user. */
  stopHeartbeat(user: object): void {
    if (!this.users.delete(user)) return;
    if (this.ticker?.owner !== user) return;
    this.ticker.clock.clearTimeout(this.ticker.handle);
    this.ticker = undefined;
    const next = this.users.keys().next();
    if (!next.done) this.run(next.value, false);
  }

  private run(owner: object, sendNow: boolean): void {
    const u = this.users.get(owner)!;
    const t: NonNullable<GcsIdentity['ticker']> = { owner, clock: u.clock, handle: undefined };
    this.ticker = t;
    const tick = () => {
      if (this.ticker !== t) return;
      this.send();
      t.handle = u.clock.setTimeout(tick, u.periodMs);
    };
    if (sendNow) tick();
    else t.handle = u.clock.setTimeout(tick, u.periodMs);
  }

  private send(): void {
    const hb = new minimal.Heartbeat();
    hb.type = MAV_TYPE_GCS;
    hb.autopilot = MAV_AUTOPILOT_INVALID;
    hb.baseMode = 0 as minimal.MavModeFlag;
    hb.customMode = 0;
    hb.systemStatus = MAV_STATE_ACTIVE;
    hb.mavlinkVersion = 3;
    this.heartbeatsSent++;
    this.link.send(this.encoder.encode(hb));
  }
}
