/**
 * Whether a ground station is talking to the vehicle, from the HEARTBEATs it receives — the
 * input of PX4's datalink-loss failsafe.
 *
 * @remarks
 * PX4 counts a HEARTBEAT with `type` MAV_TYPE_GCS from another system (QGroundControl 255,
 * MAVSDK 245 …) on any link; datalink loss is declared COM_DL_LOSS_T after the last one, then
 * NAV_DLL_ACT is taken. Here the split is:
 *  1. this class declares the GCS gone after {@link GCS_SILENCE_MS} without a GCS heartbeat
 *     (two missed 1 Hz beats) and calls `world.attachGcs(id, -1)`;
 *  2. the world's autopilot then waits COM_DL_LOSS_T and takes NAV_DLL_ACT.
 * So the action comes COM_DL_LOSS_T + 2 s after the last heartbeat, 2 s later than PX4 (whose
 * own loss detection runs from the last heartbeat). Exact PX4 timing needs the world to accept
 * the time of the last heartbeat in `attachGcs` (requested from the simulator's owner).
 * The first GCS heartbeat calls `attachGcs(id, +1)`; our own echoes never count.
 */
import type { SimWorld } from '../sim-world.js';
import { MavType } from './internal/mav.js';

/** Silence (ms of sim time) after which the GCS counts as gone. */
export const GCS_SILENCE_MS = 2000;

export class GcsPresence {
  private attached = false;
  private lastSeen = -Infinity;

  constructor(private readonly world: SimWorld, private readonly id: string, private readonly sysid: number) {}

  /** Whether a GCS currently counts as present. */
  get present(): boolean {
    return this.attached;
  }

  /** A HEARTBEAT from (`sysid`, `type`) arrived at sim time `now` (ms). */
  onHeartbeat(sysid: number, type: number, now: number): void {
    if (sysid === this.sysid || type !== MavType.GCS) return;
    this.lastSeen = now;
    if (!this.attached) {
      this.attached = true;
      this.world.attachGcs(this.id, 1);
    }
  }

  /** Called on every physics tick; detaches after the silence window. */
  tick(now: number): void {
    if (this.attached && now - this.lastSeen > GCS_SILENCE_MS) this.detach();
  }

  /** The SITL stops: to the vehicle its ground station is gone. */
  dispose(): void {
    this.detach();
  }

  private detach(): void {
    if (!this.attached) return;
    this.attached = false;
    this.world.attachGcs(this.id, -1);
  }
}
