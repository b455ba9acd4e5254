/**
 * The vehicle side of the mission protocol for tests, PX4-like, with knobs for a bad link:
 * legacy MISSION_REQUEST, duplicated requests, dropped items / requests / ACKs, reordering,
 * corrupted datagrams, a rejection, or silence. Commits the new plan only on success, so the
 * previous one survives a failed upload (as PX4 does).
 */
import { common, type MavLinkData } from 'node-mavlink';
import { MavlinkEncoder } from '../../hardware/real/mavlink/codec.js';
import type { ScriptedAutopilot } from './scripted-autopilot.js';

export interface MissionServerKnobs {
  /** Pull items with MISSION_REQUEST (40) instead of MISSION_REQUEST_INT (51). */
  legacy?: boolean;
  /** Re-request after this much silence, ms (PX4: 250 ms-ish). */
  retryMs?: number;
  /** Drop this incoming item (the n-th time it arrives, from 0). */
  dropItem?: (seq: number, n: number) => boolean;
  /** Lose this outgoing request (the n-th time, from 0). */
  dropRequest?: (seq: number, n: number) => boolean;
  /** Send every request twice. */
  duplicateRequests?: boolean;
  /** Hold each request back a little and send the previous one again after it (reordering). */
  reorder?: boolean;
  /** Send corrupted copies (flipped bytes) before each real request. */
  corrupt?: boolean;
  /** Lose the first MISSION_ACK. */
  loseFirstAck?: boolean;
  /** Answer MISSION_COUNT with this MAV_MISSION_RESULT. */
  rejectWith?: number;
  /** Ignore uploads entirely. */
  silent?: boolean;
  /** Mid-upload refusal: on receiving item `seq`, answer MISSION_ACK(`result`) and drop the transfer. */
  nackAt?: { seq: number; result: number };
  /** Mid-upload silence: after receiving item `seq`, never answer again in this transfer. */
  stallAfter?: number;
}

export interface ScriptedMissionServer {
  committed: common.MissionItemInt[];
  knobs: MissionServerKnobs;
  /** Requests sent, by seq. */
  requestsSent: Map<number, number>;
  /** MISSION_ITEM_INT received from the GCS, by seq (including duplicates). */
  itemsReceived: Map<number, number>;
  acksSent: number;
  /** Opaque id (a CRC of the rows, as PX4's) of the committed mission, sent in the ACK; 0 when empty. */
  opaqueId: number;
  /** Called when an upload commits (after the ACK went out). */
  onCommit?: (items: common.MissionItemInt[], opaqueId: number) => void;
}

/** A 32-bit id of the rows, standing in for PX4's CRC32 of the items. */
export function rowsId(items: readonly common.MissionItemInt[]): number {
  let h = 0x811c9dc5;
  for (const it of items) for (const v of [it.command, it.frame, it.x, it.y, Math.fround(it.z), it.param1, it.param2]) {
    h ^= Math.round((Number.isFinite(v) ? v : 0) * 1000) >>> 0;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h === 0 ? 1 : h;
}

export function serveMissions(ap: ScriptedAutopilot, knobs: MissionServerKnobs = {}): ScriptedMissionServer {
  const srv: ScriptedMissionServer = { committed: [], knobs, requestsSent: new Map(), itemsReceived: new Map(), acksSent: 0, opaqueId: 0 };
  let transfer: { count: number; type: number; next: number; items: common.MissionItemInt[]; timer?: NodeJS.Timeout; retries: number } | undefined;
  let lastDone: { count: number; type: number } | undefined;
  const corrupter = new MavlinkEncoder(ap.sysid, 1);
  const requestCounts = new Map<number, number>();
  const itemCounts = new Map<number, number>();
  const ack = (type: number, missionType: number, toSys: number, toComp: number) => {
    if (knobs.loseFirstAck && srv.acksSent === 0) {
      srv.acksSent++;
      return;
    }
    srv.acksSent++;
    const opaqueId = type === 0 && missionType === 0 ? srv.opaqueId : 0;
    ap.send(Object.assign(new common.MissionAck(), { targetSystem: toSys, targetComponent: toComp, type, missionType, opaqueId }));
  };
  const request = (seq: number, sys: number, comp: number) => {
    if (!transfer) return;
    const n = requestCounts.get(seq) ?? 0;
    requestCounts.set(seq, n + 1);
    srv.requestsSent.set(seq, n + 1);
    const t = transfer;
    clearTimeout(t.timer);
    t.timer = setTimeout(() => {
      if (transfer !== t) return;
      if (t.retries++ > 20) {
        transfer = undefined;
        return;
      }
      request(t.next, sys, comp);
    }, knobs.retryMs ?? 60);
    if (knobs.dropRequest?.(seq, n)) return;
    const Clazz = knobs.legacy ? common.MissionRequest : common.MissionRequestInt;
    const msg: MavLinkData = Object.assign(new Clazz(), { targetSystem: sys, targetComponent: comp, seq, missionType: t.type });
    if (knobs.corrupt) {
      const bytes = Buffer.from(corrupter.encode(msg));
      bytes[bytes.length - 3] = bytes[bytes.length - 3]! ^ 0x5a;
      ap.sendRaw(bytes);
      ap.sendRaw(Buffer.from([0xfd, 0x09, 0x00, 0x00, 0x11, 0x01]));
    }
    if (knobs.reorder && seq > 0) {
      setTimeout(() => ap.send(msg), 3);
      ap.send(Object.assign(new Clazz(), { targetSystem: sys, targetComponent: comp, seq: seq - 1, missionType: t.type }));
      return;
    }
    ap.send(msg);
    if (knobs.duplicateRequests) ap.send(msg);
  };
  ap.onMessage((m, f) => {
    if (m instanceof common.MissionCount) {
      if (knobs.silent) return;
      if (knobs.rejectWith !== undefined) return ack(knobs.rejectWith, m.missionType ?? 0, f.sysid, f.compid);
      if (transfer && transfer.count === m.count && transfer.type === (m.missionType ?? 0)) return; // a resent COUNT: keep going
      if (transfer) clearTimeout(transfer.timer);
      requestCounts.clear();
      itemCounts.clear();
      if (m.count === 0) {
        srv.committed = [];
        srv.opaqueId = 0;
        return ack(0, m.missionType ?? 0, f.sysid, f.compid);
      }
      transfer = { count: m.count, type: m.missionType ?? 0, next: 0, items: [], retries: 0 };
      request(0, f.sysid, f.compid);
    } else if (m instanceof common.MissionItemInt) {
      const n = itemCounts.get(m.seq) ?? 0;
      itemCounts.set(m.seq, n + 1);
      srv.itemsReceived.set(m.seq, n + 1);
      if (knobs.dropItem?.(m.seq, n)) return;
      if (!transfer) {
        // PX4: a duplicate of the final item after completion means our ACK was lost.
        if (lastDone && m.seq === lastDone.count - 1) ack(0, lastDone.type, f.sysid, f.compid);
        return;
      }
      if (m.seq !== transfer.next) return; // out of order: ignore, our retry asks again
      if (knobs.nackAt && m.seq === knobs.nackAt.seq) {
        clearTimeout(transfer.timer);
        const type = transfer.type;
        transfer = undefined;
        return ack(knobs.nackAt.result, type, f.sysid, f.compid);
      }
      if (knobs.stallAfter !== undefined && m.seq >= knobs.stallAfter) {
        clearTimeout(transfer.timer);
        transfer = undefined;
        return;
      }
      transfer.items[m.seq] = m;
      transfer.next++;
      transfer.retries = 0;
      if (transfer.next === transfer.count) {
        clearTimeout(transfer.timer);
        srv.committed = transfer.items;
        srv.opaqueId = rowsId(srv.committed);
        lastDone = { count: transfer.count, type: transfer.type };
        transfer = undefined;
        ack(0, lastDone.type, f.sysid, f.compid);
        srv.onCommit?.(srv.committed, srv.opaqueId);
      } else request(transfer.next, f.sysid, f.compid);
    } else if (m instanceof common.MissionAck) {
      if (transfer && m.type !== 0) {
        clearTimeout(transfer.timer);
        transfer = undefined;
      }
    } else if (m instanceof common.MissionRequestList) {
      ap.send(Object.assign(new common.MissionCount(), { targetSystem: f.sysid, targetComponent: f.compid, count: srv.committed.length, missionType: m.missionType ?? 0 }));
    } else if (m instanceof common.MissionRequestInt) {
      const it = srv.committed[m.seq];
      if (it) ap.send(Object.assign(new common.MissionItemInt(), { ...it, targetSystem: f.sysid, targetComponent: f.compid }));
    } else if (m instanceof common.MissionClearAll) {
      srv.committed = [];
      srv.opaqueId = 0;
      ack(0, m.missionType ?? 0, f.sysid, f.compid);
    }
  });
  return srv;
}
