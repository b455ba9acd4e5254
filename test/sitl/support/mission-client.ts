/** Mission-protocol client steps for the SITL tests and the benchmark (test-GCS side). */
import { common } from 'node-mavlink';
import type { Received, TestGcs } from './test-gcs.js';
import { mk } from './test-gcs.js';

export interface ItemFields {
  frame: number;
  command: number;
  param1?: number;
  param2?: number;
  param3?: number;
  param4?: number;
  x: number;
  y: number;
  z: number;
  autocontinue?: number;
}

const isRequest = (r: Received) => r.msg instanceof common.MissionRequest || r.msg instanceof common.MissionRequestInt;

/**
 * Uploads `items` answering every request with MISSION_ITEM_INT (or legacy MISSION_ITEM when
 * `legacy`), and resolves with the final MISSION_ACK and the requests seen.
 */
export async function uploadMission(gcs: TestGcs, items: readonly ItemFields[], opts: { type?: number; sysid?: number; legacy?: boolean; timeoutMs?: number } = {}) {
  const type = opts.type ?? 0, sysid = opts.sysid ?? 1;
  let cursor = gcs.log.length;
  gcs.send(mk(common.MissionCount, { targetSystem: sysid, targetComponent: 1, count: items.length, missionType: type, opaqueId: 0 }));
  const requests: Received[] = [];
  for (;;) {
    const r = await gcs.nextWhere((x) => isRequest(x) || x.msg instanceof common.MissionAck, { since: cursor, timeoutMs: opts.timeoutMs });
    cursor = gcs.log.indexOf(r) + 1;
    if (r.msg instanceof common.MissionAck) return { ack: r.msg, ackAt: r.t, requests };
    requests.push(r);
    const seq = (r.msg as common.MissionRequest).seq;
    const it = items[seq]!;
    const fields = {
      targetSystem: sysid, targetComponent: 1, seq, frame: it.frame, command: it.command, current: seq === 0 ? 1 : 0,
      autocontinue: it.autocontinue ?? 1, param1: it.param1 ?? 0, param2: it.param2 ?? 0, param3: it.param3 ?? 0,
      param4: it.param4 ?? 0, x: it.x, y: it.y, z: it.z, missionType: type,
    };
    gcs.send(opts.legacy ? mk(common.MissionItem, fields) : mk(common.MissionItemInt, fields));
  }
}

/** Downloads a plan with MISSION_REQUEST_INT and acknowledges it. */
export async function downloadMission(gcs: TestGcs, opts: { type?: number; sysid?: number } = {}): Promise<common.MissionItemInt[]> {
  const type = opts.type ?? 0, sysid = opts.sysid ?? 1;
  let since = gcs.log.length;
  gcs.send(mk(common.MissionRequestList, { targetSystem: sysid, targetComponent: 1, missionType: type }));
  const count = (await gcs.next(common.MissionCount, (m) => m.missionType === type, { since })).msg.count;
  const out: common.MissionItemInt[] = [];
  for (let seq = 0; seq < count; seq++) {
    since = gcs.log.length;
    gcs.send(mk(common.MissionRequestInt, { targetSystem: sysid, targetComponent: 1, seq, missionType: type }));
    out.push((await gcs.next(common.MissionItemInt, (m) => m.seq === seq, { since })).msg);
  }
  gcs.send(mk(common.MissionAck, { targetSystem: sysid, targetComponent: 1, type: 0, missionType: type, opaqueId: 0 }));
  return out;
}
