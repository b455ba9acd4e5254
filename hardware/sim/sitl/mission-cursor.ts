/**
 * Where the vehicle is in its mission, in MAVLink sequence numbers: MISSION_CURRENT and
 * MISSION_ITEM_REACHED, as PX4's mission manager reports them.
 *
 * @remarks
 * The simulator numbers only the items it flies (nav items); DO items between them have no
 * world index. `seqOf[k]` maps world item k back to the MAVLink seq it came from. PX4 runs every
 * row in turn, DO items too (each becomes current, then is reached, one navigator cycle apart);
 * the cursor reports the DO rows after a reached NAV row (and before the first) at that instant.
 * PX4 sends MISSION_CURRENT on change and again at a slow rate, and repeats the last
 * MISSION_ITEM_REACHED on that slow beat ten more times (in case the first was lost); this
 * does the same, on a 1 s beat of the world's clock.
 *
 * PX4 v1.15.4 leaves MISSION_CURRENT's mission_state and mission_mode at 0 (its
 * `send_mission_current` fills seq, total and the plan ids only), and never reports a
 * NAV_RETURN_TO_LAUNCH item reached (it hands over to RTL mode): the world reports that item
 * reached for the port's sake when the vehicle disarms at home, and the cursor stays silent.
 *
 * Setting the current item reaches into the world's mission columns (`missionIdx`,
 * `missionState`): SimWorld has no "set current item" command yet.
 */
import { common, type MavLinkData } from 'node-mavlink';
import type { SimWorld } from '../sim-world.js';
import { Mode, MissionState } from '../autopilot.js';
import { msg } from './internal/mav.js';

/** How often PX4 re-sends a reached item after the first time. */
const REACHED_REPEATS = 10;

export class MissionCursor {
  private count = 0;
  private seqOf: readonly number[] = [];
  private silent: readonly boolean[] = [];
  /** MAVLink seq of the current item. */
  currentSeq = 0;
  /** MAVLink seq of the last reached item, −1 for none. */
  lastReached = -1;
  private reachedRepeats = 0;
  /** Highest seq this run has passed (reached), −1 for none. */
  private doneUpTo = -1;

  constructor(private readonly world: SimWorld, private readonly id: string) {}

  /**
   * A new plan of `count` MAVLink items, `seqOf` mapping world items to seqs, starting at
   * `current`; `silent[k]`: world item k is never reported reached (an RTL item).
   */
  load(count: number, seqOf: readonly number[], current: number, silent: readonly boolean[] = []): void {
    this.count = count;
    this.seqOf = seqOf;
    this.silent = silent;
    this.lastReached = -1;
    this.reachedRepeats = REACHED_REPEATS;
    this.currentSeq = 0;
    this.doneUpTo = -1;
    if (current > 0) this.setCurrent(current);
  }

  /**
   * A world `mission.current` event (world index k): the messages to send. DO rows before the
   * item that this run has not passed yet (those before the first item, when the mission
   * starts) are run first, each current then reached, as PX4's mission runs them in turn.
   */
  onWorldCurrent(k: number, ids: Ids): MavLinkData[] {
    const seq = this.seqOf[k];
    if (seq === undefined) return [];
    if (k === 0) this.doneUpTo = -1; // a (re)start runs the leading DO rows again
    const out = this.runDoRows(Math.max(this.doneUpTo + 1, k > 0 ? this.seqOf[k - 1]! + 1 : 0), seq, ids);
    if (seq !== this.currentSeq) {
      this.currentSeq = seq;
      out.push(this.currentMessage(ids));
    }
    return out;
  }

  /**
   * A world `mission.reached` event: MISSION_ITEM_REACHED for its NAV row, then the DO rows up to
   * the next NAV row (camera, speed changes), each current then reached, as PX4 completes them
   * in turn. An RTL item stays silent (PX4 hands it over to RTL mode).
   */
  onWorldReached(k: number, ids: Ids): MavLinkData[] {
    const seq = this.seqOf[k];
    if (seq === undefined || this.silent[k]) return [];
    this.lastReached = seq;
    this.reachedRepeats = 0;
    this.doneUpTo = seq;
    return [msg(common.MissionItemReached, { seq }), ...this.runDoRows(seq + 1, this.seqOf[k + 1] ?? this.count, ids)];
  }

  /** Rows [from, to) as PX4 runs DO items: each becomes current, then is reached. */
  private runDoRows(from: number, to: number, ids: Ids): MavLinkData[] {
    const out: MavLinkData[] = [];
    for (let d = from; d < to; d++) {
      this.currentSeq = d;
      this.lastReached = d;
      this.reachedRepeats = 0;
      this.doneUpTo = d;
      out.push(this.currentMessage(ids), msg(common.MissionItemReached, { seq: d }));
    }
    return out;
  }

  /** The 1 s beat: MISSION_CURRENT, and the last reached item while it has repeats left. */
  slowBeat(ids: Ids): MavLinkData[] {
    const out = [this.currentMessage(ids)];
    if (this.count > 0 && this.lastReached >= 0 && this.reachedRepeats < REACHED_REPEATS) {
      this.reachedRepeats++;
      out.push(msg(common.MissionItemReached, { seq: this.lastReached }));
    }
    return out;
  }

  currentMessage(ids: Ids): MavLinkData {
    return msg(common.MissionCurrent, {
      seq: this.currentSeq, total: this.count > 0 ? this.count : 65535, missionState: 0, missionMode: 0,
      missionId: ids.mission, fenceId: ids.fence, rallyPointsId: ids.rally,
    });
  }

  /**
   * Makes MAVLink item `seq` current: the first flown item at or after it (a DO item executes
   * with the nav item after it). A running mission continues from there at once, as in PX4.
   */
  setCurrent(seq: number): void {
    const w = this.world, i = w.slot(this.id), s = w.s;
    let k = this.seqOf.findIndex((q) => q >= seq);
    if (k < 0) k = this.seqOf.length - 1;
    this.currentSeq = seq;
    this.doneUpTo = seq - 1; // a jump skips the rows before it
    if (k < 0) return;
    s.missionIdx[i] = k;
    if (s.missionState[i] === MissionState.Finished) s.missionState[i] = MissionState.Paused;
    // Flying the mission: restart the nav logic at the new item (enterMission begins item k).
    if (this.inMissionMode() && w.telemetry(this.id).landed !== 'on_ground') w.command(this.id, { kind: 'start_mission' });
  }

  private inMissionMode(): boolean {
    const w = this.world;
    return w.s.mode[w.slot(this.id)] === Mode.Mission;
  }
}

export interface Ids {
  readonly mission: number;
  readonly fence: number;
  readonly rally: number;
}
