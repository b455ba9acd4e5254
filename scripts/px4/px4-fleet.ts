/**
 * A fresh set of PX4 SITL instances for one run: vehicle i of a scenario is MAVLink system i+1,
 * every instance's API link sends to one UDP port, so the twin reaches them all through one
 * `udpin://0.0.0.0:<port>` link (what `--vehicle <url>` expects). Started, waited for (over
 * MAVLink, see px4-readiness.ts) and stopped together.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { LocalFrame } from '../../core/geo.js';
import type { Scenario } from '../../actors/scenario/scenario.schema.js';
import { px4LogTail, resolvePx4Build, startPx4, type Px4Build, type Px4Instance } from './px4-launcher.js';
import { waitPx4Ready, type ReadinessResult } from './px4-readiness.js';

export interface Px4FleetOptions {
  /** PX4_DIR (checkout or build dir), or an already resolved build. */
  readonly px4: string | Px4Build;
  /** `px4 -i N` for each vehicle, in scenario order (vehicle i → system i+1). */
  readonly instances: readonly number[];
  readonly speed: number;
  /** Each vehicle's start (its home), degrees; default PX4's own home for all. */
  readonly homes?: readonly ({ readonly lat_deg: number; readonly lon_deg: number } | undefined)[];
  /** Parameters every instance boots with (see Px4StartOptions.params). */
  readonly params?: Readonly<Record<string, number>>;
  /** Where every API link sends; default 14540 + instances[0]. */
  readonly port?: number;
  /** Wall ms allowed for boot to ready; default 90 s + 60 s per extra instance. */
  readonly readyTimeoutMs?: number;
}

export interface Px4Fleet {
  readonly url: string;
  readonly port: number;
  readonly instances: readonly Px4Instance[];
  readonly ready: ReadinessResult;
  /** Stops every instance; with `keepLogsIn`, copies each console log there first (`px4-i<N>.log`). */
  stop(keepLogsIn?: string): Promise<void>;
}

/** Starts the instances and waits until all are ready; on failure stops them and throws with PX4's log tail. */
/**
 * The twin's default home (actors/scenario/backends.ts DEFAULT_HOME: Gazebo's PX4 SITL home, Zürich
 * Irchel park). SIH's own default (SIH_LOC_LAT0/LON0) is near Montreal, so runs place it explicitly.
 */
export const PX4_DEFAULT_HOME = { lat_deg: 47.397742, lon_deg: 8.545594 } as const;

/** A point `north_m`/`east_m` metres from `origin`, in the twin's own local frame (core/geo.ts). */
export function offsetHome(origin: { lat_deg: number; lon_deg: number }, north_m: number, east_m: number): { lat_deg: number; lon_deg: number } {
  return new LocalFrame({ ...origin, alt_m: 0 }).toLatLon(north_m, east_m);
}

/**
 * What the parity runs boot PX4 with, so it carries what the simulator's vehicle carries:
 * - a camera triggered over MAVLink: stock SITL has TRIG_MODE 0, so camera_trigger/camera_feedback
 *   never start (rcS starts them only when TRIG_MODE > 0 at boot) and a mission's single-image
 *   IMAGE_START_CAPTURE (navigator → DO_DIGICAM_CONTROL for camera_trigger) yields no
 *   CAMERA_IMAGE_CAPTURED (FINDINGS F9);
 * - the simulator's pack: SIH's battery_simulator drains 100 % over SIM_BAT_DRAIN (default 60 s!)
 *   down to SIM_BAT_MIN_PCT (default 50 %); the simulator's 5000 mAh pack at ~10 A lasts ~1800 s
 *   (hardware/sim/params.ts BAT_CAPACITY, hover_current_a), so a whole flight drains alike and a
 *   battery_drop leaves the same reserve to fly home on (FINDINGS F3);
 * - the pack's level reported as it is: PX4's estimator (`src/lib/battery/battery.cpp`,
 *   calculateStateOfChargeVoltageBased) adds throttle × BAT1_V_LOAD_DROP (0.1 V/cell) to the cell
 *   voltage to undo the load sag of a real pack (the simulator has no current sensor, so the
 *   throttle path is taken), but SIH's battery_simulator makes a voltage with no sag at all: with
 *   the stock value PX4 reports its simulator's level +11 points hovering (+20 climbing, clamped
 *   at 100 %), so battery thresholds are crossed minutes late. BAT1_V_LOAD_DROP 0 (below the
 *   parameter's advertised 0.07 minimum, which PX4 does not enforce) reports the level as
 *   simulated — what a real PX4 reports of a real pack whose sag the compensation cancels.
 */
export const PARITY_PX4_PARAMS: Readonly<Record<string, number>> = { TRIG_MODE: 4, SIM_BAT_DRAIN: 1800, SIM_BAT_MIN_PCT: 0, BAT1_V_LOAD_DROP: 0 };

/**
 * Where each of a scenario's vehicles starts on PX4, placed as the simulator places them: the
 * scenario's origin (explicit, else the .plan's planned home, else the twin's default home) plus
 * the vehicle's spawn offset.
 */
export function scenarioHomes(sc: Scenario): { lat_deg: number; lon_deg: number }[] {
  const first = sc.vehicles[0]?.mission;
  const planned = first?.type === 'items' ? first.home : undefined;
  const origin =
    sc.world.origin !== 'home'
      ? { lat_deg: sc.world.origin.lat, lon_deg: sc.world.origin.lon }
      : planned
        ? { lat_deg: planned.lat, lon_deg: planned.lon }
        : PX4_DEFAULT_HOME;
  return sc.vehicles.map((v) => offsetHome(origin, v.spawn.north, v.spawn.east));
}

export async function startPx4Fleet(opts: Px4FleetOptions): Promise<Px4Fleet> {
  const build = typeof opts.px4 === 'string' ? resolvePx4Build(opts.px4) : opts.px4;
  if (typeof build === 'string') throw new Error(build);
  const port = opts.port ?? 14540 + opts.instances[0]!;
  const instances: Px4Instance[] = [];
  const stop = async (keepLogsIn?: string) => {
    if (keepLogsIn) {
      mkdirSync(keepLogsIn, { recursive: true });
      for (const p of instances) {
        try {
          copyFileSync(p.logFile, join(keepLogsIn, `px4-i${p.instance}.log`));
        } catch {
          /* no log written */
        }
      }
    }
    await Promise.all(instances.map((p) => p.stop()));
  };
  try {
    opts.instances.forEach((instance, i) => instances.push(startPx4({ build, instance, speed: opts.speed, sysid: i + 1, apiRemotePort: port, ...(opts.homes?.[i] ? { home: opts.homes[i] } : {}), ...(opts.params ? { params: opts.params } : {}) })));
    const ready = await waitPx4Ready({
      port,
      sysids: instances.map((p) => p.sysid),
      timeoutMs: opts.readyTimeoutMs ?? 90_000 + 60_000 * (instances.length - 1),
    });
    if (!ready.ok) {
      const tails = instances.map((p) => `--- px4 -i ${p.instance} (${p.logFile})\n${px4LogTail(p)}`).join('\n');
      throw new Error(`PX4 not ready: ${ready.reason}\n${tails}`);
    }
    return { url: `udpin://0.0.0.0:${port}`, port, instances, ready, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
