/**
 * The MAVLink mission protocol server of one SITL vehicle (mission, fence and rally), after
 * PX4's `MavlinkMissionManager`.
 *
 * @remarks
 * - Upload: MISSION_COUNT → we request each item → MISSION_ITEM(_INT) → … → MISSION_ACK. Items
 *   are requested with MISSION_REQUEST_INT once the link is in int mode (a MISSION_ITEM_INT or
 *   MISSION_REQUEST_INT arrived on it), with the legacy MISSION_REQUEST before — PX4 starts every
 *   link in float mode. An unanswered request is repeated every 250 ms; 5 s without a message
 *   from the partner ends the transfer with only the "Operation timeout" STATUSTEXT and no
 *   MISSION_ACK (PX4 `MavlinkMissionManager::send`); an item that arrives after that is answered
 *   MISSION_ACK ERROR ("IGN MISSION_ITEM: No transfer"), which is how a retrying client learns.
 * - Each item is validated as it arrives (see `mission-items.ts`); the first bad one ends the
 *   upload with its MAV_MISSION_RESULT. Items are collected aside and only replace the stored
 *   plan once all arrived and the simulator accepted it: a failed upload leaves the previous
 *   mission intact (PX4 writes to the inactive dataman slot for the same reason).
 * - An item with an unexpected seq is ignored (a duplicate); a duplicate of the last item after
 *   the ACK gets the ACK again. Every request from a downloading client is answered exactly once.
 * - Download: MISSION_REQUEST_LIST → MISSION_COUNT; each MISSION_REQUEST(_INT) is answered with
 *   one MISSION_ITEM(_INT) (the expected seq or a repeat of the previous one); the client's
 *   MISSION_ACK ends it.
 * - One transfer at a time per vehicle, on whichever link it started; the partner is the
 *   (sysid, compid) that started it. Timers run on the world's clock.
 * - Fence and rally plans are stored here and served back. The fence also goes to the simulator,
 *   which enforces it with the GF_* parameters (`../geofence.ts`): polygons are runs of
 *   NAV_FENCE_POLYGON_VERTEX_INCLUSION/EXCLUSION rows whose param1 is the vertex count, circles
 *   NAV_FENCE_CIRCLE_INCLUSION/EXCLUSION rows with the radius in param1 (PX4's dataman layout).
 *   Rally points are not used.
 */
import type { Clock, TimerHandle } from '../../../core/clock.js';
import { common, type MavLinkData } from 'node-mavlink';
import type { MavFrame } from '../../real/mavlink/codec.js';
import type { SimWorld } from '../sim-world.js';
import { COMP_MISSIONPLANNER, Cmd, MissionResult, MissionType, Severity, isForUs, msg, num } from './internal/mav.js';
import type { SimFenceShape } from '../geofence.js';
import { MAX_ITEMS, formatItem, parseItem, toWorldPlan, type StoredItem, type WireItem } from './mission-items.js';
import { MissionCursor } from './mission-cursor.js';

/** The slice of a link the mission server needs. */
export interface MissionLink {
  missionIntMode: boolean;
  send(m: MavLinkData): void;
}

export interface MissionServerOptions {
  readonly world: SimWorld;
  readonly id: string;
  readonly sysid: number;
  readonly clock: Clock;
  /** STATUSTEXT to every link. */
  readonly statustext: (severity: number, text: string) => void;
  /** Counts uploads/items for stats. */
  readonly onItem?: () => void;
}

/** PX4 MAVLINK_MISSION_RETRY_TIMEOUT_DEFAULT and MAVLINK_MISSION_PROTOCOL_TIMEOUT_DEFAULT, ms. */
export const MISSION_RETRY_MS = 250;
export const MISSION_TIMEOUT_MS = 5000;

interface Partner {
  readonly link: MissionLink;
  readonly sysid: number;
  readonly compid: number;
}

type Transfer =
  | { readonly state: 'idle' }
  | (Partner & { readonly state: 'getlist'; readonly type: number; readonly count: number; seq: number; readonly items: StoredItem[]; current: number; lastSent: number; lastRecv: number })
  | (Partner & { readonly state: 'sendlist'; readonly type: number; readonly count: number; seq: number; lastRecv: number });

interface Plan {
  readonly items: readonly StoredItem[];
  /** MISSION_ACK / MISSION_COUNT opaque_id (PX4: CRC32 of the items); 0 when empty. */
  readonly opaqueId: number;
}

const EMPTY: Plan = { items: [], opaqueId: 0 };

export class MissionServer {
  /** Stored plans by mission type. */
  private readonly plans = new Map<number, Plan>([[MissionType.MISSION, EMPTY], [MissionType.FENCE, EMPTY], [MissionType.RALLY, EMPTY]]);
  private transfer: Transfer = { state: 'idle' };
  /** Last finished upload: lets a duplicate of its last item get the ACK again (PX4). */
  private lastUpload: (Partner & { type: number; end: number; opaqueId: number }) | undefined;
  private timer: TimerHandle | undefined;
  /** Current / reached bookkeeping and the world-side mission (MISSION_CURRENT, ITEM_REACHED). */
  readonly cursor: MissionCursor;

  constructor(private readonly o: MissionServerOptions) {
    this.cursor = new MissionCursor(o.world, o.id);
  }

  /** The stored plan of a mission type (for tests and stats). */
  stored(type: number): readonly StoredItem[] {
    return this.plans.get(type)?.items ?? [];
  }

  /** Opaque ids (mission, fence, rally) for MISSION_CURRENT. */
  ids(): { mission: number; fence: number; rally: number } {
    return {
      mission: this.plans.get(MissionType.MISSION)!.opaqueId,
      fence: this.plans.get(MissionType.FENCE)!.opaqueId,
      rally: this.plans.get(MissionType.RALLY)!.opaqueId,
    };
  }

  get busy(): boolean {
    return this.transfer.state !== 'idle';
  }

  dispose(): void {
    this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.transfer = { state: 'idle' };
  }

  /** Dispatches a mission-protocol message; returns false if `m` is not one. */
  handle(link: MissionLink, frame: MavFrame, m: MavLinkData): boolean {
    if (m instanceof common.MissionCount) this.onCount(link, frame, m);
    else if (m instanceof common.MissionItemInt) this.onItem(link, frame, m, true);
    else if (m instanceof common.MissionItem) this.onItem(link, frame, m, false);
    else if (m instanceof common.MissionRequestInt) this.onRequest(link, frame, m, true);
    else if (m instanceof common.MissionRequest) this.onRequest(link, frame, m, false);
    else if (m instanceof common.MissionRequestList) this.onRequestList(link, frame, m);
    else if (m instanceof common.MissionAck) this.onAck(frame, m);
    else if (m instanceof common.MissionClearAll) this.onClearAll(link, frame, m);
    else if (m instanceof common.MissionSetCurrent) this.onSetCurrent(m);
    else return false;
    return true;
  }

  /** MISSION_SET_CURRENT / DO_SET_MISSION_CURRENT: false when busy or out of range. */
  setCurrent(seq: number): boolean {
    if (this.busy) {
      this.o.statustext(Severity.CRITICAL, 'WPM: IGN WP CURR CMD: Busy');
      return false;
    }
    const count = this.stored(MissionType.MISSION).length;
    if (!Number.isInteger(seq) || seq < 0 || seq >= count) {
      this.o.statustext(Severity.CRITICAL, 'WPM: WP CURR CMD: Not in list');
      return false;
    }
    this.cursor.setCurrent(seq);
    return true;
  }

  private forUs(m: MavLinkData): boolean {
    return isForUs(this.o.sysid, num(m, 'targetSystem'), num(m, 'targetComponent'), COMP_MISSIONPLANNER);
  }

  private ack(to: Partner, type: number, result: number, opaqueId = 0): void {
    to.link.send(msg(common.MissionAck, { targetSystem: to.sysid, targetComponent: to.compid, type: result, missionType: type, opaqueId }));
  }

  private sendRequest(t: Extract<Transfer, { state: 'getlist' }>): void {
    t.lastSent = this.o.clock.now();
    const C = t.link.missionIntMode ? common.MissionRequestInt : common.MissionRequest;
    t.link.send(msg(C, { targetSystem: t.sysid, targetComponent: t.compid, seq: t.seq, missionType: t.type }));
    this.schedule();
  }

  private onCount(link: MissionLink, frame: MavFrame, m: MavLinkData): void {
    if (!this.forUs(m)) return;
    const from: Partner = { link, sysid: frame.sysid, compid: frame.compid };
    const type = num(m, 'missionType'), count = num(m, 'count');
    const t = this.transfer;
    if (t.state === 'getlist') {
      t.lastRecv = this.o.clock.now();
      if (frame.sysid !== t.sysid || frame.compid !== t.compid) return this.ack(from, type, MissionResult.ERROR);
      // Our first request was lost: ask again. Later in the transfer, a new count is refused.
      if (t.seq === 0) return this.sendRequest(t);
      this.o.statustext(Severity.CRITICAL, 'WPM: REJ. CMD: Busy');
      return this.ack(t, t.type, MissionResult.ERROR);
    }
    if (t.state === 'sendlist') {
      this.o.statustext(Severity.CRITICAL, 'WPM: IGN MISSION_COUNT: Busy');
      return this.ack(from, type, MissionResult.ERROR);
    }
    const max = MAX_ITEMS[type];
    if (max === undefined) return this.ack(from, type, MissionResult.INVALID);
    if (count > max) return this.ack(from, type, MissionResult.NO_SPACE);
    this.lastUpload = undefined;
    if (count === 0) {
      this.store(type, []);
      return this.ack(from, type, MissionResult.ACCEPTED);
    }
    const now = this.o.clock.now();
    const next = { ...from, state: 'getlist' as const, type, count, seq: 0, items: [], current: 0, lastSent: now, lastRecv: now };
    this.transfer = next;
    this.sendRequest(next);
  }

  private onItem(link: MissionLink, frame: MavFrame, m: MavLinkData, isInt: boolean): void {
    link.missionIntMode = isInt;
    if (!this.forUs(m)) return;
    const t = this.transfer;
    const type = num(m, 'missionType'), seq = num(m, 'seq');
    const from: Partner = { link, sysid: frame.sysid, compid: frame.compid };
    if (t.state === 'idle') {
      const last = this.lastUpload;
      if (last && last.sysid === frame.sysid && last.compid === frame.compid && last.type === type && last.end === seq + 1)
        return this.ack(from, type, MissionResult.ACCEPTED, last.opaqueId);
      this.o.statustext(Severity.CRITICAL, 'IGN MISSION_ITEM: No transfer');
      return this.ack(from, type, MissionResult.ERROR);
    }
    if (frame.sysid !== t.sysid || frame.compid !== t.compid) {
      this.o.statustext(Severity.CRITICAL, 'REJ. MIS ITEM: partner id mismatch');
      return;
    }
    if (t.state === 'sendlist') {
      this.o.statustext(Severity.CRITICAL, 'IGN MISSION_ITEM: Busy');
      return this.ack(t, type, MissionResult.ERROR);
    }
    if (type !== t.type) return this.ack(t, type, MissionResult.ERROR);
    t.lastRecv = this.o.clock.now();
    if (seq !== t.seq) return; // not the one we asked for: a duplicate or out of order, ignore
    const wire: WireItem = {
      frame: num(m, 'frame'), command: num(m, 'command'), param1: num(m, 'param1'), param2: num(m, 'param2'),
      param3: num(m, 'param3'), param4: num(m, 'param4'), x: num(m, 'x'), y: num(m, 'y'), z: num(m, 'z'),
      autocontinue: num(m, 'autocontinue'),
    };
    const parsed = parseItem(wire, isInt, t.type);
    if (typeof parsed === 'number') {
      this.o.statustext(Severity.CRITICAL, 'IGN MISSION_ITEM: Invalid item');
      this.finish();
      return this.ack(t, t.type, parsed);
    }
    this.o.onItem?.();
    t.items.push(parsed);
    if (num(m, 'current') === 1) t.current = seq;
    t.seq = seq + 1;
    if (t.seq < t.count) return this.sendRequest(t);
    this.finish();
    const result = this.store(t.type, t.items, t.current);
    if (result !== MissionResult.ACCEPTED) return this.ack(t, t.type, result);
    const opaqueId = this.plans.get(t.type)!.opaqueId;
    this.lastUpload = { link: t.link, sysid: t.sysid, compid: t.compid, type: t.type, end: t.count, opaqueId };
    this.ack(t, t.type, MissionResult.ACCEPTED, opaqueId);
  }

  private onRequest(link: MissionLink, frame: MavFrame, m: MavLinkData, isInt: boolean): void {
    link.missionIntMode = isInt;
    if (!this.forUs(m)) return;
    const t = this.transfer;
    if (t.state === 'idle') return; // PX4 ignores these silently (buggy OSDs send them)
    if (frame.sysid !== t.sysid || frame.compid !== t.compid) {
      this.o.statustext(Severity.CRITICAL, 'WPM: REJ. CMD: partner id mismatch');
      return;
    }
    if (t.state === 'getlist') {
      this.o.statustext(Severity.CRITICAL, 'WPM: REJ. CMD: Busy');
      return;
    }
    if (num(m, 'missionType') !== t.type) return;
    t.lastRecv = this.o.clock.now();
    const seq = num(m, 'seq');
    if (seq === t.seq && t.seq < t.count) t.seq++;
    else if (seq !== t.seq - 1) {
      this.finish();
      this.ack(t, t.type, MissionResult.ERROR);
      this.o.statustext(Severity.CRITICAL, 'WPM: REJ. CMD: Req. WP was unexpected');
      return;
    }
    const item = this.stored(t.type)[seq];
    if (!item) {
      this.finish();
      return this.ack(t, t.type, MissionResult.ERROR);
    }
    const w = formatItem(item, isInt);
    const C = isInt ? common.MissionItemInt : common.MissionItem;
    const current = t.type === MissionType.MISSION && this.cursor.currentSeq === seq ? 1 : 0;
    link.send(msg(C, { targetSystem: t.sysid, targetComponent: t.compid, seq, current, missionType: t.type, ...w }));
    this.schedule();
  }

  private onRequestList(link: MissionLink, frame: MavFrame, m: MavLinkData): void {
    if (!this.forUs(m)) return;
    const type = num(m, 'missionType');
    const t = this.transfer;
    // All items were sent but the ACK got lost: a new list request may start over (PX4).
    if (t.state === 'sendlist' && t.seq === t.count) this.finish();
    const cur = this.transfer;
    const samePartner = cur.state === 'sendlist' && cur.type === type && cur.sysid === frame.sysid && cur.compid === frame.compid;
    if (cur.state !== 'idle' && !samePartner) {
      this.o.statustext(Severity.INFO, 'Mission download request ignored, already active');
      return;
    }
    const plan = this.plans.get(type);
    const items = plan?.items ?? [];
    const now = this.o.clock.now();
    const next = { link, sysid: frame.sysid, compid: frame.compid, state: 'sendlist' as const, type, count: items.length, seq: 0, lastRecv: now };
    this.transfer = next;
    link.send(msg(common.MissionCount, { targetSystem: frame.sysid, targetComponent: frame.compid, count: items.length, missionType: type, opaqueId: plan?.opaqueId ?? 0 }));
    this.schedule();
  }

  private onAck(frame: MavFrame, m: MavLinkData): void {
    if (!this.forUs(m)) return;
    const t = this.transfer;
    if (t.state === 'idle' || frame.sysid !== t.sysid || frame.compid !== t.compid) return;
    const result = num(m, 'type');
    if (t.state === 'sendlist') {
      if (num(m, 'missionType') === t.type) this.finish();
      return;
    }
    t.lastRecv = this.o.clock.now();
    if (result === MissionResult.UNSUPPORTED) {
      // The client cannot do this flavour of item: switch int mode and ask again (PX4).
      t.link.missionIntMode = !t.link.missionIntMode;
      this.sendRequest(t);
    } else if (result === MissionResult.OPERATION_CANCELLED) this.finish();
  }

  private onClearAll(link: MissionLink, frame: MavFrame, m: MavLinkData): void {
    if (!this.forUs(m)) return;
    const type = num(m, 'missionType');
    if (this.busy) {
      this.o.statustext(Severity.CRITICAL, 'WPM: IGN CLEAR CMD: Busy');
      return;
    }
    if (type === MissionType.ALL) for (const k of [MissionType.MISSION, MissionType.FENCE, MissionType.RALLY]) this.store(k, []);
    else if (this.plans.has(type)) this.store(type, []);
    this.lastUpload = undefined;
    this.ack({ link, sysid: frame.sysid, compid: frame.compid }, type, MissionResult.ACCEPTED);
  }

  private onSetCurrent(m: MavLinkData): void {
    if (!this.forUs(m)) return;
    this.setCurrent(num(m, 'seq'));
  }

  /**
   * Replaces the stored plan of `type`; a mission also goes to the simulator, which may refuse
   * it (then nothing changes and the upload is answered MAV_MISSION_INVALID).
   */
  private store(type: number, items: StoredItem[], current = 0): number {
    if (type === MissionType.MISSION) {
      const w = this.o.world;
      const acc = w.getParams(this.o.id).NAV_ACC_RAD;
      const plan = toWorldPlan(items, w.home(this.o.id).alt_m, acc);
      if (plan.items.length === 0) w.command(this.o.id, { kind: 'clear_mission' });
      else {
        const r = w.command(this.o.id, { kind: 'upload_mission', items: plan.items });
        if (!r.ok) {
          this.o.statustext(Severity.CRITICAL, `Mission rejected: ${r.error.message}`);
          return MissionResult.INVALID;
        }
      }
      this.plans.set(type, { items, opaqueId: items.length ? planCrc(items) : 0 });
      this.cursor.load(items.length, plan.seqOf, current, plan.items.map((it) => it.kind === 'rtl'));
      return MissionResult.ACCEPTED;
    }
    if (type === MissionType.FENCE) {
      const shapes = fenceShapes(items);
      const r = shapes.ok ? this.o.world.setGeofence(this.o.id, shapes.value) : shapes;
      if (!r.ok) {
        this.o.statustext(Severity.CRITICAL, `Geofence rejected: ${r.error.message}`);
        return MissionResult.INVALID;
      }
    }
    this.plans.set(type, { items, opaqueId: items.length ? planCrc(items) : 0 });
    return MissionResult.ACCEPTED;
  }

  private finish(): void {
    this.transfer = { state: 'idle' };
    this.schedule();
  }

  /** (Re)arms the one protocol timer: the next retry or timeout of the running transfer. */
  private schedule(): void {
    const clock = this.o.clock;
    clock.clearTimeout(this.timer);
    this.timer = undefined;
    const t = this.transfer;
    if (t.state === 'idle') return;
    const due = t.state === 'getlist'
      ? Math.min(t.lastSent + MISSION_RETRY_MS, t.lastRecv + MISSION_TIMEOUT_MS)
      : t.lastRecv + MISSION_TIMEOUT_MS;
    this.timer = clock.setTimeout(this.onTimer, Math.max(0, due - clock.now()));
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    const t = this.transfer, now = this.o.clock.now();
    if (t.state === 'idle') return;
    if (now - t.lastRecv >= MISSION_TIMEOUT_MS) {
      // PX4 gives up silently: no MISSION_ACK, just the STATUSTEXT.
      this.o.statustext(Severity.CRITICAL, 'Operation timeout');
      this.finish();
      return;
    }
    if (t.state === 'getlist' && now - t.lastSent >= MISSION_RETRY_MS) return this.sendRequest(t);
    this.schedule();
  };
}

/** The fence rows as the simulator's shapes; a polygon cut short is an error. */
function fenceShapes(items: readonly StoredItem[]): { ok: true; value: SimFenceShape[] } | { ok: false; error: { message: string } } {
  const out: SimFenceShape[] = [];
  for (let k = 0; k < items.length;) {
    const it = items[k]!;
    if (it.command === Cmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION || it.command === Cmd.NAV_FENCE_POLYGON_VERTEX_EXCLUSION) {
      const count = it.params[0];
      const rows = items.slice(k, k + count);
      if (count < 3 || rows.length < count || rows.some((r) => r.command !== it.command)) return { ok: false, error: { message: `polygon at item ${k} has fewer than its ${count} vertices` } };
      out.push({ kind: 'polygon', inclusion: it.command === Cmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION, vertices: rows.map((r) => ({ lat_deg: r.x, lon_deg: r.y })) });
      k += count;
    } else {
      if (it.command === Cmd.NAV_FENCE_CIRCLE_INCLUSION || it.command === Cmd.NAV_FENCE_CIRCLE_EXCLUSION)
        out.push({ kind: 'circle', inclusion: it.command === Cmd.NAV_FENCE_CIRCLE_INCLUSION, lat_deg: it.x, lon_deg: it.y, radius_m: it.params[0] });
      k++; // a return point (5000) is kept but not used
    }
  }
  return { ok: true, value: out };
}

/** A 32-bit FNV-1a over the items' fields: PX4's opaque_id role (changes when the plan does). */
function planCrc(items: readonly StoredItem[]): number {
  const f = new Float64Array(1), b = new Uint8Array(f.buffer);
  let h = 0x811c9dc5;
  for (const it of items) {
    for (const v of [it.command, it.frame === 0 ? 0 : it.frame === 3 ? 1 : 2, ...it.params, it.x, it.y, it.z, it.autocontinue]) {
      f[0] = v;
      for (let k = 0; k < 8; k++) h = Math.imul(h ^ b[k]!, 0x01000193);
    }
  }
  return (h >>> 0) || 1;
}
