/**
 * Mission progress in port terms: MISSION_CURRENT / MISSION_ITEM_REACHED (MAVLink seqs) →
 * `mission.current`, `mission.reached` and `mission.finished` (port item indices).
 *
 * @remarks
 * - PX4 re-sends MISSION_ITEM_REACHED (~1 Hz, on every mission_result update): each port item
 *   is reported reached once per run.
 * - A reached message can be lost on a lossy link; when MISSION_CURRENT moves past a NAV row
 *   while the mission runs, that row was completed, and is reported reached then.
 * - Finished: the last item reached; or MISSION_CURRENT.mission_state = COMPLETE (5) after this
 *   plan was seen running (stale COMPLETE of a previous plan is ignored).
 * - A trailing RTL item: PX4 executes NAV_RETURN_TO_LAUNCH by handing over to its RTL mode, and
 *   does not send MISSION_ITEM_REACHED for it; the mission is finished when the vehicle, having
 *   reached that item, lands and disarms (or earlier if the vehicle itself reports it reached
 *   or the mission COMPLETE). That matches what "reached" means for an RTL: home, on the ground.
 * - PX4 v1.15.4 never fills MISSION_CURRENT.mission_state, and after "Disarmed by landing" one
 *   HEARTBEAT is both disarmed and back in AUTO.MISSION. So the adapter calls {@link onDisarm}
 *   *before* it reports `armed: false`: a running mission whose current item is its final RTL
 *   or LAND, with the vehicle on the ground, is finished there (reached, then finished), and the
 *   disarm that follows is the end of a completed mission, not a failure in flight.
 */
import type { FlightMode, LandedState } from '../../../core/flight.js';
import type { MavPlan } from './mission-items.js';

/** MISSION_STATE (MISSION_CURRENT.mission_state, MAVLink 2 extension). */
export const MISSION_STATE = { UNKNOWN: 0, NO_MISSION: 1, NOT_STARTED: 2, ACTIVE: 3, PAUSED: 4, COMPLETE: 5 } as const;

export type ProgressEvent =
  | { readonly type: 'mission.current'; readonly seq: number; readonly total: number }
  | { readonly type: 'mission.reached'; readonly seq: number }
  | { readonly type: 'mission.finished' };

export class MissionProgress {
  private plan: MavPlan | undefined;
  private reached = new Set<number>();
  private finished = false;
  private running = false;
  private lastCurrentMav = -1;
  private lastCurrentPort = -1;
  private atRtl = false;
  /**
   * The vehicle has shown this run under way (ACTIVE, or an item reached). Until then a COMPLETE
   * is the previous run's: PX4 keeps an unchanged plan's state across a restart of the mission.
   */
  private seenActive = false;

  constructor(private readonly emit: (e: ProgressEvent) => void) {}

  /** A new plan is on the vehicle (after a successful upload); progress restarts. */
  setPlan(plan: MavPlan | undefined): void {
    this.plan = plan;
    this.reset();
    this.lastCurrentMav = -1;
    this.lastCurrentPort = -1;
  }

  get hasPlan(): boolean {
    return this.plan !== undefined;
  }

  get isFinished(): boolean {
    return this.finished;
  }

  /** startMission was accepted: a finished mission starts over (new run, fresh reports). */
  started(): void {
    if (this.finished) this.reset();
    this.running = true;
    this.seenActive = false;
  }

  /**
   * The plan was adopted from a vehicle that is flying it (armed): its run is under way, even
   * if the vehicle is in its final RTL rather than Mission mode (a twin resumed mid-return).
   */
  resumeRun(): void {
    if (this.plan && !this.finished) this.running = true;
  }

  onCurrent(mavSeq: number, missionState: number | undefined, mode: FlightMode): void {
    const plan = this.plan;
    if (!plan) return;
    if (missionState === MISSION_STATE.ACTIVE || mode === 'mission') this.running = true;
    if (missionState === MISSION_STATE.ACTIVE) this.seenActive = true;
    if (this.running && mode === 'mission' && this.lastCurrentMav >= 0 && mavSeq > this.lastCurrentMav) {
      for (let s = this.lastCurrentMav; s < mavSeq; s++) if (this.isNav(s)) this.markReached(s);
    }
    this.lastCurrentMav = mavSeq;
    const port = plan.portIndexOf[mavSeq];
    if (port !== undefined && port !== this.lastCurrentPort) {
      this.lastCurrentPort = port;
      this.emit({ type: 'mission.current', seq: port, total: plan.source.length });
    }
    if (this.rtlSeq() === mavSeq && this.running) this.atRtl = true;
    if (missionState === MISSION_STATE.COMPLETE && this.running && this.seenActive) this.finishAll();
  }

  onReached(mavSeq: number): void {
    if (!this.plan || !this.isNav(mavSeq)) return;
    if (this.running) this.seenActive = true;
    this.markReached(mavSeq);
  }

  /** Vehicle state, for a trailing RTL item (finished when landed and disarmed). */
  onVehicleState(armed: boolean, landed: LandedState, mode: FlightMode): void {
    if (!this.plan || this.finished || !this.running) return;
    if (mode === 'rtl' && this.rtlSeq() !== undefined && this.lastCurrentPort === this.plan.source.length - 1) this.atRtl = true;
    if (this.atRtl && !armed && landed === 'on_ground') this.finishAll();
  }

  /**
   * The vehicle has just disarmed (called before the `armed: false` event goes out). Finishes a
   * running mission whose current item is the final RTL or LAND, landed (or landed state unknown).
   * Returns whether it finished the mission now.
   */
  onDisarm(landed: LandedState): boolean {
    const p = this.plan;
    if (!p || this.finished || !this.running) return false;
    const last = p.source.length - 1;
    const kind = p.source[last]?.kind;
    if (kind !== 'rtl' && kind !== 'land') return false;
    if (this.lastCurrentPort !== last && !this.atRtl) return false;
    if (landed !== 'on_ground' && landed !== 'unknown') return false;
    this.finishAll();
    return true;
  }

  private reset(): void {
    this.reached = new Set();
    this.finished = false;
    this.running = false;
    this.atRtl = false;
    this.seenActive = false;
  }

  private rtlSeq(): number | undefined {
    const p = this.plan!;
    const last = p.source.length - 1;
    return p.source[last]?.kind === 'rtl' ? p.navSeq[last] : undefined;
  }

  private isNav(mavSeq: number): boolean {
    const p = this.plan!;
    const port = p.portIndexOf[mavSeq];
    return port !== undefined && p.navSeq[port] === mavSeq;
  }

  private markReached(mavSeq: number): void {
    const p = this.plan!;
    const port = p.portIndexOf[mavSeq]!;
    if (this.finished) return;
    // Report in order: anything before it that went unreported was passed too.
    for (let i = 0; i <= port; i++) {
      if (this.reached.has(i)) continue;
      this.reached.add(i);
      this.emit({ type: 'mission.reached', seq: i });
    }
    if (port === p.source.length - 1) this.finish();
  }

  private finishAll(): void {
    if (this.finished) return;
    const p = this.plan!;
    this.markReached(p.navSeq[p.source.length - 1]!);
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.running = false;
    this.emit({ type: 'mission.finished' });
  }
}
