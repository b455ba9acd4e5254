/**
 * The MAVLink mission protocol (https://mavlink.io/en/services/mission.html): upload, download
 * and clear, for mission_type 0 (mission), 1 (fence) and 2 (rally).
 *
 * @remarks
 * Upload: MISSION_COUNT → the vehicle pulls each item with MISSION_REQUEST_INT (51) or the legacy
 * MISSION_REQUEST (40) → we answer every request at once with that MISSION_ITEM_INT, once per
 * request received (a duplicate request is the vehicle's retry: answering it once is right,
 * queueing answers or streaming unrequested items floods a slow link) → MISSION_ACK.
 * Timeouts (GCS side, spec defaults: `itemTimeoutMs` 1500, 5 retries): no first request → resend
 * MISSION_COUNT; no next request or ACK after an item → resend that last item (PX4 answers a
 * duplicate of the final item by sending its ACK again, which recovers a lost ACK). Progress
 * (a request for a seq not requested before) restores the retry budget. When it runs out we
 * send MISSION_ACK(OPERATION_CANCELLED) so the vehicle leaves its transfer state too, and the
 * vehicle keeps its previous plan (it commits only after the last item).
 * An ACCEPTED ACK before every item was requested is a stale one (a previous transaction) and
 * is ignored; an error ACK fails the upload with the MAV_MISSION_RESULT name.
 */
import { common } from 'node-mavlink';
import { fail, ok, okVoid } from '../../../core/result.js';
import type { VehicleErrorCode, VehicleResult } from '../../vehicle.port.js';
import type { MavMissionItem, MissionType } from './mission-items.js';
import type { MavSession } from './session.js';

const MSG = { MISSION_ITEM: 39, MISSION_REQUEST: 40, MISSION_COUNT: 44, MISSION_ACK: 47, MISSION_REQUEST_INT: 51, MISSION_ITEM_INT: 73 } as const;
export const MAV_MISSION_ACCEPTED = 0;
export const MAV_MISSION_OPERATION_CANCELLED = 15;

export interface MissionProtocolOptions {
  /** Wait for the vehicle's next message, ms of autopilot time (default 1500). */
  readonly itemTimeoutMs?: number;
  /** Resends of one step before giving up (default 5). */
  readonly retries?: number;
}

/** MAV_MISSION_RESULT value → name (`MAV_MISSION_INVALID_SEQUENCE`). */
export function missionResultName(v: number): string {
  const n = (common.MavMissionResult as unknown as Record<number, string>)[v];
  return n ? `MAV_MISSION_${n}` : `MAV_MISSION_RESULT ${v}`;
}

type Handler = (msgid: number, msg: unknown) => void;

/** What the vehicle's MISSION_ACK(ACCEPTED) of an upload told us. */
export interface UploadReceipt {
  /**
   * MISSION_ACK.opaque_id (MAVLink 2 extension; 0 when absent): PX4 puts the plan's CRC32 here
   * and later in MISSION_CURRENT.mission_id, which says when the plan has been checked.
   */
  readonly opaqueId: number;
}

export class MissionProtocol {
  readonly stats = { uploads: 0, itemsSent: 0, duplicateRequests: 0, resends: 0, staleAcks: 0 };
  private readonly itemTimeoutMs: number;
  private readonly retries: number;
  private busy: Promise<unknown> = Promise.resolve();
  private active: Handler | undefined;
  private readonly offs: (() => void)[];

  constructor(private readonly session: MavSession, opts: MissionProtocolOptions = {}) {
    this.itemTimeoutMs = opts.itemTimeoutMs ?? 1500;
    this.retries = opts.retries ?? 5;
    this.offs = [MSG.MISSION_REQUEST, MSG.MISSION_REQUEST_INT, MSG.MISSION_COUNT, MSG.MISSION_ACK, MSG.MISSION_ITEM_INT, MSG.MISSION_ITEM].map((id) =>
      session.on(id, (m) => {
        const t = m as unknown as { targetSystem?: number; targetComponent?: number };
        if (!session.isForUs(t.targetSystem, t.targetComponent)) return;
        this.active?.(id, m);
      }),
    );
  }

  dispose(): void {
    for (const off of this.offs) off();
  }

  /** Uploads `items` (seq 0..n-1) as `missionType`; resolves with what the final ACK said. */
  upload(items: readonly MavMissionItem[], missionType: MissionType = 0, signal?: AbortSignal): Promise<VehicleResult<UploadReceipt>> {
    return this.exclusive(() => this.doUpload(items, missionType, signal));
  }

  /** Downloads the vehicle's `missionType` list. */
  download(missionType: MissionType = 0, signal?: AbortSignal): Promise<VehicleResult<MavMissionItem[]>> {
    return this.exclusive(() => this.doDownload(missionType, signal));
  }

  /** Clears the vehicle's `missionType` list. */
  clear(missionType: MissionType = 0, signal?: AbortSignal): Promise<VehicleResult> {
    return this.exclusive(() =>
      this.transaction<void>('clear', signal, (step, done) => {
        const send = () => this.session.send(Object.assign(new common.MissionClearAll(), this.target(), { missionType }));
        step(send);
        return (id, m) => {
          if (id !== MSG.MISSION_ACK) return;
          const ack = m as common.MissionAck;
          if ((ack.missionType ?? 0) !== missionType) return;
          done(ack.type === MAV_MISSION_ACCEPTED ? okVoid : fail('MISSION.UPLOAD_FAILED', `clear refused: ${missionResultName(ack.type)}`, { context: { result: missionResultName(ack.type) } }));
        };
      }, 'VEHICLE.TIMEOUT'),
    );
  }

  /**
   * MISSION_SET_CURRENT (41): makes `seq` the mission's current item. No answer of its own: the
   * vehicle's MISSION_CURRENT shows it (PX4 v1.15 has no MAV_CMD_DO_SET_MISSION_CURRENT).
   */
  setCurrent(seq: number): void {
    this.session.send(Object.assign(new common.MissionSetCurrent(), this.target(), { seq }));
  }

  /** One transfer at a time per vehicle: the protocol has a single state per mission type. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.busy.then(fn);
    this.busy = run.catch(() => {});
    return run;
  }

  private target() {
    return { targetSystem: this.session.sysid ?? 0, targetComponent: this.session.compid };
  }

  /**
   * The skeleton every transfer shares: a retry timer around the last step, completion, abort,
   * and the current-transfer message handler.
   */
  private transaction<T>(
    what: string,
    signal: AbortSignal | undefined,
    start: (step: (resend: () => void, progress?: boolean) => void, done: (r: VehicleResult<T>) => void) => Handler,
    timeoutCode: VehicleErrorCode,
    onGiveUp?: () => void,
  ): Promise<VehicleResult<T>> {
    const s = this.session;
    if (signal?.aborted) return Promise.resolve(fail('VEHICLE.TIMEOUT', `mission ${what}: aborted by caller`, { context: { aborted: true } }));
    if (!s.linkUp || s.sysid === undefined) return Promise.resolve(fail('VEHICLE.NO_LINK', `mission ${what}: no link to the vehicle`));
    return new Promise((resolve) => {
      let cancel = () => {};
      let resend: () => void = () => {};
      let left = this.retries;
      let finished = false;
      const done = (r: VehicleResult<T>) => {
        if (finished) return;
        finished = true;
        cancel();
        this.active = undefined;
        signal?.removeEventListener('abort', onAbort);
        resolve(r);
        s.clock.notifyAsync();
      };
      const onAbort = () => {
        onGiveUp?.();
        done(fail('VEHICLE.TIMEOUT', `mission ${what}: aborted by caller`, { context: { aborted: true } }));
      };
      const arm = () => {
        cancel();
        cancel = s.after(s.ms(this.itemTimeoutMs), () => {
          if (left-- <= 0) {
            onGiveUp?.();
            const code = s.linkUp ? timeoutCode : 'VEHICLE.NO_LINK';
            return done(fail(code, `mission ${what}: no answer from the vehicle after ${this.retries} retries`, { context: { retries: this.retries } }));
          }
          this.stats.resends++;
          resend();
          arm();
        });
      };
      const step = (fn: () => void, progress = true) => {
        if (finished) return;
        if (progress) left = this.retries;
        resend = fn;
        fn();
        arm();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.active = start(step, done);
    });
  }

  private doUpload(items: readonly MavMissionItem[], missionType: MissionType, signal?: AbortSignal): Promise<VehicleResult<UploadReceipt>> {
    this.stats.uploads++;
    const s = this.session;
    const count = items.length;
    const requested = new Set<number>();
    let newest = -1;
    const sendItem = (seq: number) => {
      const it = items[seq]!;
      const m = Object.assign(new common.MissionItemInt(), this.target(), {
        seq, frame: it.frame, command: it.command, current: it.current, autocontinue: it.autocontinue,
        param1: it.param1, param2: it.param2, param3: it.param3, param4: it.param4, x: it.x, y: it.y, z: it.z, missionType,
      });
      this.stats.itemsSent++;
      s.send(m);
    };
    const cancelOnVehicle = () =>
      s.send(Object.assign(new common.MissionAck(), this.target(), { type: MAV_MISSION_OPERATION_CANCELLED, missionType }));
    return this.transaction<UploadReceipt>('upload', signal, (step, done) => {
      step(() => s.send(Object.assign(new common.MissionCount(), this.target(), { count, missionType })));
      return (id, m) => {
        if (id === MSG.MISSION_REQUEST_INT || id === MSG.MISSION_REQUEST) {
          const r = m as common.MissionRequestInt;
          if ((r.missionType ?? 0) !== missionType || r.seq >= count) return;
          const fresh = !requested.has(r.seq);
          if (!fresh) this.stats.duplicateRequests++;
          requested.add(r.seq);
          // A late (reordered) request for an earlier item: answer it, but the retry timer
          // keeps guarding the newest one.
          if (r.seq < newest) return sendItem(r.seq);
          newest = r.seq;
          // Answer now, once; the retry timer now guards this item.
          step(() => sendItem(r.seq), fresh);
        } else if (id === MSG.MISSION_ACK) {
          const ack = m as common.MissionAck;
          if ((ack.missionType ?? 0) !== missionType) return;
          if (ack.type === MAV_MISSION_ACCEPTED) {
            if (requested.size < count) return void this.stats.staleAcks++;
            return done(ok({ opaqueId: (ack.opaqueId ?? 0) >>> 0 }));
          }
          const name = missionResultName(ack.type);
          done(fail('MISSION.UPLOAD_FAILED', `vehicle rejected the upload: ${name}`, { context: { result: name, requested: requested.size, count } }));
        }
      };
    }, 'MISSION.UPLOAD_TIMEOUT', cancelOnVehicle);
  }

  private doDownload(missionType: MissionType, signal?: AbortSignal): Promise<VehicleResult<MavMissionItem[]>> {
    const s = this.session;
    const rows: MavMissionItem[] = [];
    let count = -1;
    const request = (seq: number) => s.send(Object.assign(new common.MissionRequestInt(), this.target(), { seq, missionType }));
    const finish = (done: (r: VehicleResult<MavMissionItem[]>) => void) => {
      s.send(Object.assign(new common.MissionAck(), this.target(), { type: MAV_MISSION_ACCEPTED, missionType }));
      done(ok(rows));
    };
    return this.transaction<MavMissionItem[]>('download', signal, (step, done) => {
      step(() => s.send(Object.assign(new common.MissionRequestList(), this.target(), { missionType })));
      return (id, m) => {
        if (id === MSG.MISSION_COUNT && count < 0) {
          const c = m as common.MissionCount;
          if ((c.missionType ?? 0) !== missionType) return;
          count = c.count;
          if (count === 0) return finish(done);
          step(() => request(0));
        } else if ((id === MSG.MISSION_ITEM_INT || id === MSG.MISSION_ITEM) && count >= 0) {
          const it = m as common.MissionItemInt;
          if ((it.missionType ?? 0) !== missionType || it.seq !== rows.length) return;
          // Legacy MISSION_ITEM carries degrees as floats; normalise to degE7.
          const legacy = id === MSG.MISSION_ITEM;
          const global = it.frame === 0 || it.frame === 3 || it.frame === 5 || it.frame === 6 || it.frame === 10 || it.frame === 11;
          rows.push({
            seq: it.seq, frame: it.frame, command: it.command, current: it.current, autocontinue: it.autocontinue,
            param1: it.param1, param2: it.param2, param3: it.param3, param4: it.param4,
            x: legacy && global ? Math.round(it.x * 1e7) : it.x, y: legacy && global ? Math.round(it.y * 1e7) : it.y, z: it.z, missionType,
          });
          if (rows.length === count) return finish(done);
          const next = rows.length;
          step(() => request(next));
        } else if (id === MSG.MISSION_ACK && count >= 0) {
          const ack = m as common.MissionAck;
          if ((ack.missionType ?? 0) === missionType && ack.type !== MAV_MISSION_ACCEPTED)
            done(fail('MISSION.UPLOAD_FAILED', `download refused: ${missionResultName(ack.type)}`, { context: { result: missionResultName(ack.type) } }));
        }
      };
    }, 'VEHICLE.TIMEOUT');
  }
}
