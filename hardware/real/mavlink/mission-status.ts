/**
 * Has the vehicle finished checking the mission we uploaded? Read from MISSION_CURRENT's
 * `mission_id` (MAVLink 2 extension) against the opaque id the upload's MISSION_ACK carried.
 *
 * @remarks
 * PX4 v1.15 (`mavlink_mission.cpp`): the MISSION_ACK of an upload carries the plan's CRC32 as
 * `opaque_id`, and from then on MISSION_CURRENT carries it as `mission_id`, but with
 * `seq = UINT16_MAX` (the transfer's current seq, -1) until the navigator has re-read and
 * checked the whole plan (`MissionBase::check_mission_valid` → mission_result.seq_current, 0.2–
 * 0.4 s wall for 561 items). Until then Commander refuses Mission mode (TEMPORARILY_REJECTED).
 * So "ready" = a MISSION_CURRENT with our id and `seq < total`. A vehicle that never sends a
 * non-zero `mission_id` (MAVLink 1, ArduPilot, older PX4) gives no such signal: callers do not
 * wait for it and rely on retrying the refusal instead. Until it has sent one, a vehicle that
 * gave our upload an opaque id is heard once more (≤ {@link FIRST_REPORT_MS}) before we decide:
 * right after the first upload to an empty PX4 no MISSION_CURRENT has carried an id yet.
 */
import type { common } from 'node-mavlink';
import type { MavSession } from './session.js';
import { waitUntil } from './state-wait.js';

const MSG_MISSION_CURRENT = 42;
/** How long (ms of autopilot time) to wait for a first MISSION_CURRENT that would say whether the vehicle sends mission ids. */
export const FIRST_REPORT_MS = 1500;

export interface MissionCurrentState {
  readonly seq: number;
  readonly total: number;
  readonly missionId: number;
}

export type MissionReadyOutcome = 'ready' | 'no-signal' | 'timeout';

export class MissionStatus {
  /** The last MISSION_CURRENT heard. */
  last: MissionCurrentState | undefined;
  /** The vehicle has sent a non-zero mission_id at least once (it speaks the opaque-id protocol). */
  sendsMissionId = false;
  /** MISSION_CURRENT messages heard so far. */
  private heard = 0;
  private readonly off: () => void;

  constructor(private readonly session: MavSession) {
    this.off = session.on(MSG_MISSION_CURRENT, (m) => {
      const c = m as common.MissionCurrent;
      const missionId = (c.missionId ?? 0) >>> 0;
      this.last = { seq: c.seq, total: c.total, missionId };
      this.heard++;
      if (missionId !== 0) this.sendsMissionId = true;
    });
  }

  /** The vehicle reports the plan with this opaque id as loaded and checked. */
  isReady(opaqueId: number): boolean {
    const l = this.last;
    return l !== undefined && l.missionId === opaqueId >>> 0 && l.seq < l.total && l.total !== 0xffff;
  }

  /**
   * Waits (≤ `timeoutMs` clock ms) until {@link isReady}. 'no-signal' when there is nothing to
   * wait for: no opaque id from the upload, or a vehicle whose next MISSION_CURRENT (heard within
   * {@link FIRST_REPORT_MS}) still carries no mission_id.
   */
  async waitReady(opaqueId: number | undefined, timeoutMs: number, signal?: AbortSignal): Promise<MissionReadyOutcome> {
    if (!opaqueId) return 'no-signal';
    if (!this.sendsMissionId) {
      const before = this.heard;
      await waitUntil(this.session, () => this.heard > before, Math.min(timeoutMs, this.session.ms(FIRST_REPORT_MS)), signal);
      if (!this.sendsMissionId) return 'no-signal';
    }
    return (await waitUntil(this.session, () => this.isReady(opaqueId), timeoutMs, signal)) ? 'ready' : 'timeout';
  }

  dispose(): void {
    this.off();
  }
}
