/**
 * What a run leaves behind for its expectations: per-vehicle statistics gathered from
 * telemetry as it streams (so nothing is kept per sample), plus the event log.
 *
 * @remarks
 * Separation is checked on every sample against the other vehicles' latest positions, only
 * between vehicles that are both airborne (a fleet parked 3 m apart on the pad is fine).
 */
import type { Geofence } from '../../core/planning/index.js';
import type { GeoPoint } from '../../core/geo.js';
import type { VehiclePort, VehicleTelemetry } from '../../hardware/vehicle.port.js';

export interface VehicleTrace {
  readonly id: string;
  samples: number;
  maxAlt_m: number;
  /** First time (ms) and reason the vehicle was outside the fence; worst distance outside. */
  firstBreach?: { t_ms: number; reason: string };
  worstOutside_m: number;
  /** Battery % at each touchdown after flight. */
  landings: { t_ms: number; battery_pct: number; north_m: number; east_m: number }[];
  wasAirborne: boolean;
  last?: VehicleTelemetry;
  north_m: number;
  east_m: number;
  alt_m: number;
  airborne: boolean;
  /** Home position in the world frame (metres). */
  home?: { north_m: number; east_m: number };
}

export interface SeparationRecord {
  min_m: number;
  pair?: [string, string];
  t_ms?: number;
}

const AIRBORNE_ALT_M = 1.0;

export class RunTrace {
  readonly vehicles = new Map<string, VehicleTrace>();
  readonly separation: SeparationRecord = { min_m: Infinity };
  private readonly order: VehicleTrace[] = [];

  /**
   * @param trackSeparation - pairwise separation costs O(airborne vehicles) per sample; only
   *   pay it when an expectation asks for it.
   */
  constructor(
    ids: readonly string[],
    private readonly fence: () => Geofence | undefined,
    private readonly trackSeparation = true,
  ) {
    for (const id of ids) {
      const trace: VehicleTrace = { id, samples: 0, maxAlt_m: 0, worstOutside_m: 0, landings: [], wasAirborne: false, north_m: 0, east_m: 0, alt_m: 0, airborne: false };
      this.vehicles.set(id, trace);
      this.order.push(trace);
    }
  }

  /** The vehicle's home as it reports it (world frame); until then its first sample stands in. */
  setHome(id: string, home: { north_m: number; east_m: number }): void {
    const v = this.vehicles.get(id);
    if (v) v.home = home;
  }

  /**
   * Follows the vehicle's home as its port reports it: the one it has now, then every `home`
   * event until `signal` aborts. A real vehicle's HOME_POSITION can arrive after the fleet has
   * connected (PX4 at 4× on a busy host: scripts/px4/FINDINGS.md F11), and PX4 moves home when
   * it arms; taking it once at connect judged such a vehicle against its first sample.
   *
   * @param toWorld - the vehicle's home (WGS-84) in the world frame, metres.
   */
  followHome(
    id: string,
    port: Pick<VehiclePort, 'home' | 'subscribeEvents'>,
    toWorld: (home: GeoPoint) => { north_m: number; east_m: number },
    signal?: AbortSignal,
  ): void {
    if (signal?.aborted) return;
    const now = port.home();
    if (now) this.setHome(id, toWorld(now));
    const off = port.subscribeEvents((e) => {
      if (e.type === 'home') this.setHome(id, toWorld(e.home));
    });
    signal?.addEventListener('abort', off, { once: true });
  }

  /** One telemetry sample with its world-frame position. */
  onSample(id: string, t: VehicleTelemetry, north_m: number, east_m: number, alt_m: number): void {
    const v = this.vehicles.get(id);
    if (!v) return;
    v.samples++;
    v.north_m = north_m;
    v.east_m = east_m;
    v.alt_m = alt_m;
    v.home ??= { north_m, east_m };
    if (alt_m > v.maxAlt_m) v.maxAlt_m = alt_m;
    // The landed state when the vehicle reports one; GPS altitude is too noisy to decide.
    const airborne =
      t.landed === 'unknown' ? t.alt_rel_m > AIRBORNE_ALT_M : t.landed === 'in_air' || t.landed === 'landing' || t.landed === 'taking_off';
    if (airborne) v.wasAirborne = true;
    if (v.airborne && !airborne) v.landings.push({ t_ms: t.t_ms, battery_pct: t.battery.remaining_pct, north_m, east_m });
    v.airborne = airborne;
    v.last = t;

    const fence = this.fence();
    if (fence && airborne) {
      const p = { north_m, east_m, alt_m };
      const reason = fence.violation(p);
      if (reason) {
        v.firstBreach ??= { t_ms: t.t_ms, reason };
        const outside = -fence.distanceToBoundary_m(p);
        if (outside > v.worstOutside_m) v.worstOutside_m = outside;
      }
    }

    if (this.trackSeparation && airborne && this.order.length > 1) {
      for (const o of this.order) {
        if (o === v || !o.airborne) continue;
        const d = Math.hypot(o.north_m - north_m, o.east_m - east_m, o.alt_m - alt_m);
        if (d < this.separation.min_m) {
          this.separation.min_m = d;
          this.separation.pair = [v.id, o.id];
          this.separation.t_ms = t.t_ms;
        }
      }
    }
  }
}
