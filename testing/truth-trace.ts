/**
 * A compact ground-truth trace of a simulated run: each vehicle's true position, battery, mode
 * and link state, sampled from the simulator at a fixed sim-time rate.
 *
 * @remarks
 * The twin sees a vehicle only through its port, and a lost link hides everything: a battery
 * running down while the datalink is out is invisible to the twin's monitors. A safety oracle
 * must judge what really happened, so the invariants read this trace, recorded from the
 * {@link SimWorld} the backend exposes. Recording is read-only (it draws no random numbers and
 * sets no timers: it rides the world's tick), so a recorded run has the same event log hash as a
 * plain one. Columns are plain number arrays: at 2 Hz a 10-minute flight is 1,200 rows.
 */
import type { FlightMode, LandedState } from '../core/flight.js';
import type { SimWorld } from '../hardware/sim/index.js';
import { LANDED_NAMES as LANDED, MODE_NAMES as MODES } from '../hardware/sim/autopilot.js';

/** One vehicle's columns; row k of every column is one sample. */
export interface VehicleTruth {
  readonly id: string;
  /** Sim time, ms. */
  readonly t_ms: number[];
  /** True position in the world frame, metres from the origin; altitude above home (m). */
  readonly north_m: number[];
  readonly east_m: number[];
  readonly alt_m: number[];
  /** Remaining charge, 0..100. */
  readonly battery_pct: number[];
  readonly mode: FlightMode[];
  readonly landed: LandedState[];
  readonly armed: boolean[];
  /** Datalink up (as the vehicle's link to the ground is, not as the twin believes). */
  readonly link: boolean[];
  readonly gps: boolean[];
  /** Motors stopped in the air (motor failure, empty battery) or wrecked. */
  readonly crashed: boolean[];
}

/** The trace of a whole run; empty when the backend has no simulated world (real vehicles). */
export interface TruthTrace {
  readonly hz: number;
  readonly vehicles: ReadonlyMap<string, VehicleTruth>;
}

/** Airborne in the sense the safety invariants use: armed and off the ground, not crashed. */
export function isAirborne(v: VehicleTruth, k: number): boolean {
  const l = v.landed[k];
  return v.armed[k] === true && !v.crashed[k] && (l === 'in_air' || l === 'landing' || l === 'taking_off');
}

/** Records a {@link TruthTrace} from a world's physics tick. */
export class TruthRecorder {
  private readonly data = new Map<string, VehicleTruth>();
  private next_ms = 0;
  private readonly period_ms: number;

  /** @param hz - samples per sim second (default 2; the failsafe checks need a few per second at most). */
  constructor(
    private readonly ids: readonly string[],
    readonly hz = 2,
  ) {
    if (!(hz > 0 && hz <= 50)) throw new RangeError(`trace rate must be in (0, 50] Hz, got ${hz}`);
    this.period_ms = 1000 / hz;
    for (const id of ids)
      this.data.set(id, { id, t_ms: [], north_m: [], east_m: [], alt_m: [], battery_pct: [], mode: [], landed: [], armed: [], link: [], gps: [], crashed: [] });
  }

  get trace(): TruthTrace {
    return { hz: this.hz, vehicles: this.data };
  }

  /** Starts sampling `world` on its own tick; returns the unsubscribe function. */
  attach(world: SimWorld): () => void {
    const slots = this.ids.map((id) => [this.data.get(id)!, world.slot(id)] as const);
    return world.onTick((now) => {
      if (now + 1e-6 < this.next_ms) return;
      this.next_ms = Math.max(this.next_ms + this.period_ms, now + this.period_ms * 0.5);
      // Reads the simulator's struct-of-arrays directly: no allocation per sample.
      const s = world.s;
      for (const [v, i] of slots) {
        v.t_ms.push(now);
        v.north_m.push(s.pN[i]!);
        v.east_m.push(s.pE[i]!);
        v.alt_m.push(-s.pD[i]!);
        v.battery_pct.push(s.batPct[i]!);
        v.mode.push(MODES[s.mode[i]!] ?? 'unknown');
        v.landed.push(LANDED[s.landed[i]!] ?? 'unknown');
        v.armed.push(s.armed[i] === 1);
        v.link.push(s.linkOk[i] === 1);
        v.gps.push(s.gpsOk[i] === 1);
        v.crashed.push(s.crashed[i] === 1 || s.falling[i] === 1);
      }
    });
  }
}
