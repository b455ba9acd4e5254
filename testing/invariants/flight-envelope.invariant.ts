/**
 * Invariants on where and how the vehicles really flew (ground truth): inside the geofence or
 * the failsafe fired, under the ceiling, apart from each other, and down with charge to spare.
 */
import { isAirborne, type VehicleTruth } from '../truth-trace.js';
import { everyVehicle, OK, secs, violated, type Invariant, type RunFacts } from './invariant.js';

/** Modes in which the twin's geofence failsafe rightly stays quiet (machines/vehicle.machine.ts). */
function alreadyHandled(mode: string, action: string): boolean {
  return mode === 'land' || (mode === 'rtl' && action === 'rtl');
}

export const geofenceInvariant: Invariant = {
  name: 'geofence',
  description: 'every vehicle stays inside the geofence, or the geofence failsafe fires within N s of a breach',
  check(f: RunFacts) {
    const fence = f.fence;
    if (!fence) return OK;
    const margin = f.options.geofence_margin_m;
    const within = f.options.geofence_failsafe_s * 1000;
    return everyVehicle(f, (id) => {
      const v = f.trace.vehicles.get(id);
      if (!v) return OK;
      const action = f.scenario.vehicles.find((x) => x.id === id)!.failsafe.geofence_action;
      const failsafes = f.log.filter((e) => e.source === `vehicle:${id}` && e.type === 'failsafe' && e.data?.kind === 'geofence').map((e) => e.t_ms);
      let inBreach = false;
      for (let k = 0; k < v.t_ms.length; k++) {
        if (!isAirborne(v, k)) {
          inBreach = false;
          continue;
        }
        const p = { north_m: v.north_m[k]!, east_m: v.east_m[k]!, alt_m: v.alt_m[k]! };
        const why = fence.violation(p);
        const outside = why ? -fence.distanceToBoundary_m(p) : 0;
        if (!why || outside <= margin) {
          inBreach = false;
          continue;
        }
        if (inBreach) continue;
        inBreach = true;
        const t0 = v.t_ms[k]!;
        if (alreadyHandled(v.mode[k]!, action)) continue;
        // The twin judges noisy GPS, so it may see the breach a little before the truth does.
        if (failsafes.some((t) => t >= t0 - within && t <= t0 + within)) continue;
        return violated(`${id} left the geofence at ${secs(t0)} (${why}, ${outside.toFixed(1)} m out, mode ${v.mode[k]}${v.gps[k] ? '' : ', GPS lost'}${v.link[k] ? '' : ', datalink down'}) and no geofence failsafe fired within ${f.options.geofence_failsafe_s} s`);
      }
      return OK;
    });
  },
};

export const altitudeInvariant: Invariant = {
  name: 'altitude',
  description: 'no vehicle climbs above the ceiling (the fence max_alt, or invariants.max_alt_m) plus a small margin',
  check(f) {
    const limit = f.options.max_alt_m ?? f.scenario.world.geofence?.max_alt;
    if (limit === undefined) return OK;
    const max = limit + f.options.altitude_margin_m;
    return everyVehicle(f, (id) => {
      const v = f.trace.vehicles.get(id);
      const k = v ? v.alt_m.findIndex((a) => a > max) : -1;
      return k < 0 ? OK : violated(`${id} reached ${v!.alt_m[k]!.toFixed(1)} m at ${secs(v!.t_ms[k]!)}, ceiling ${limit} m (+${f.options.altitude_margin_m} m)`);
    });
  },
};

export const separationInvariant: Invariant = {
  name: 'separation',
  description: 'airborne vehicles keep the minimum separation from each other',
  check(f) {
    const vs = [...f.trace.vehicles.values()];
    const min = f.options.min_separation_m;
    if (vs.length < 2 || min <= 0) return OK;
    const n = Math.min(...vs.map((v) => v.t_ms.length));
    for (let k = 0; k < n; k++) {
      for (let a = 0; a < vs.length; a++) {
        const va = vs[a]!;
        if (!isAirborne(va, k)) continue;
        for (let b = a + 1; b < vs.length; b++) {
          const vb = vs[b]!;
          if (!isAirborne(vb, k)) continue;
          const d = Math.hypot(va.north_m[k]! - vb.north_m[k]!, va.east_m[k]! - vb.east_m[k]!, va.alt_m[k]! - vb.alt_m[k]!);
          if (d < min) return violated(`${va.id} and ${vb.id} came within ${d.toFixed(1)} m at ${secs(va.t_ms[k]!)}, minimum ${min} m`);
        }
      }
    }
    return OK;
  },
};

/** Indices of touchdowns (or crashes) after flight. */
function landings(v: VehicleTruth): number[] {
  const out: number[] = [];
  for (let k = 1; k < v.t_ms.length; k++) if (isAirborne(v, k - 1) && !isAirborne(v, k)) out.push(k);
  return out;
}

export const batteryReserveInvariant: Invariant = {
  name: 'battery_reserve',
  description: 'every landing (a crash included) keeps the battery reserve',
  check(f) {
    const reserve = f.options.battery_reserve_pct;
    return everyVehicle(f, (id) => {
      const v = f.trace.vehicles.get(id);
      if (!v) return OK;
      for (const k of landings(v)) {
        const pct = v.battery_pct[k]!;
        if (pct < reserve)
          return violated(`${id} ${v.crashed[k] ? 'fell out of the sky' : 'landed'} at ${secs(v.t_ms[k]!)} with ${pct.toFixed(1)} % battery, reserve ${reserve} %`);
      }
      return OK;
    });
  },
};
