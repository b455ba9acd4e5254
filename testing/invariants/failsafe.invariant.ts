/**
 * Every failsafe that should fire, fires:
 * - battery at or below the vehicle's low threshold in the air ⇒ within N s the vehicle is
 *   returning or landing (the twin's battery failsafe, or the vehicle's own), judged on ground
 *   truth — a twin that cannot hear the vehicle has not protected it;
 * - datalink silent longer than the twin's timeout ⇒ the twin records a link_lost failsafe on time.
 */
import { isAirborne, type VehicleTruth } from '../truth-trace.js';
import { everyVehicle, OK, secs, violated, type Invariant } from './invariant.js';

/** Returning or coming down already (a mission's own RTL item lands in mission mode). */
const homeward = (v: VehicleTruth, k: number) => v.mode[k] === 'rtl' || v.mode[k] === 'land' || v.landed[k] === 'landing';

/** Start of the datalink outage sample `k` is in, if the link is down there. */
function linkDownSince(v: VehicleTruth, k: number): number | undefined {
  if (v.link[k]) return undefined;
  let j = k;
  while (j > 0 && !v.link[j - 1]) j--;
  return v.t_ms[j];
}

export const batteryFailsafeInvariant: Invariant = {
  name: 'battery_failsafe',
  description: 'battery below the low threshold in the air ⇒ returning or landing within N s',
  check(f) {
    const within = f.options.battery_failsafe_s * 1000;
    return everyVehicle(f, (id) => {
      const v = f.trace.vehicles.get(id);
      if (!v) return OK;
      const spec = f.scenario.vehicles.find((x) => x.id === id)!;
      const low = spec.failsafe.battery_low_pct;
      let start = -1;
      for (let k = 0; k < v.t_ms.length; k++) {
        const exposed = isAirborne(v, k) && v.battery_pct[k]! <= low && !homeward(v, k);
        if (!exposed) {
          if (start >= 0 && v.crashed[k])
            return violated(`${id}: battery ${v.battery_pct[start]!.toFixed(1)} % (low threshold ${low} %) in the air at ${secs(v.t_ms[start]!)}; it fell at ${secs(v.t_ms[k]!)} before any failsafe took it home`);
          start = -1;
          continue;
        }
        if (start < 0) start = k;
        if (v.t_ms[k]! - v.t_ms[start]! > within) {
          const down = linkDownSince(v, start);
          const params = Object.entries(spec.params).map(([n, x]) => `${n}=${x}`).join(', ');
          return violated(
            `${id}: battery ${v.battery_pct[start]!.toFixed(1)} % (low threshold ${low} %) in the air at ${secs(v.t_ms[start]!)}; ` +
              `still in ${v.mode[k]} mode ${f.options.battery_failsafe_s} s later, no failsafe took it home` +
              (down !== undefined ? ` (datalink down since ${secs(down)}: the twin cannot see the battery)` : '') +
              (params ? ` [${params}]` : ''),
          );
        }
      }
      return OK;
    });
  },
};

export const linkFailsafeInvariant: Invariant = {
  name: 'link_failsafe',
  description: "datalink lost longer than the twin's timeout ⇒ a link_lost failsafe right after the timeout",
  check(f) {
    const slack = f.options.link_failsafe_s * 1000;
    return everyVehicle(f, (id) => {
      const timeout = f.scenario.vehicles.find((x) => x.id === id)!.failsafe.link_loss_timeout_s * 1000;
      const fired = f.log.filter((e) => e.source === `vehicle:${id}` && e.type === 'failsafe' && e.data?.kind === 'link_lost').map((e) => e.t_ms);
      let downAt: number | undefined;
      const judge = (upAt: number): string | undefined => {
        if (downAt === undefined || upAt - downAt <= timeout + slack) return undefined;
        const due = downAt + timeout;
        if (fired.some((t) => t >= due - 1 && t <= due + slack)) return undefined;
        return `${id}: datalink down from ${secs(downAt)} for ${secs(upAt - downAt)} (timeout ${secs(timeout)}) and no link_lost failsafe by ${secs(due + slack)}`;
      };
      for (const e of f.log) {
        if (e.source !== id || e.type !== 'port.link') continue;
        if (e.data?.up === false) downAt ??= e.t_ms;
        else {
          const bad = judge(e.t_ms);
          if (bad) return violated(bad);
          downAt = undefined;
        }
      }
      const bad = judge(f.end_ms);
      return bad ? violated(bad) : OK;
    });
  },
};
