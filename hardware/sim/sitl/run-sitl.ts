/**
 * `twin sitl --count N --speed F`: N simulated vehicles served as PX4 SITL instances until
 * SIGINT (or the abort signal), on a paced virtual clock.
 */
import { VirtualClock } from '../../../core/clock.js';
import type { GeoPoint } from '../../../core/geo.js';
import type { Logger } from '../../../core/logger.js';
import { Rng } from '../../../core/rng.js';
import { SimWorld } from '../sim-world.js';
import { createSitl, type SitlEndpoint } from './sitl.js';

/** PX4 SITL's default home (Zurich, PX4_HOME_LAT/LON/ALT). */
export const SITL_DEFAULT_ORIGIN: GeoPoint = { lat_deg: 47.397742, lon_deg: 8.545594, alt_m: 488 };

export interface RunSitlOptions {
  /** Number of vehicles (1–254), placed 5 m apart eastwards. */
  readonly count: number;
  /** Sim seconds per wall second (PX4_SIM_SPEED_FACTOR); default 1. */
  readonly speed?: number;
  readonly host?: string;
  readonly apiRemotePortBase?: number;
  readonly apiLocalPortBase?: number;
  readonly gcsRemotePort?: number;
  readonly gcsLocalPortBase?: number;
  readonly seed?: number;
  readonly origin?: GeoPoint;
  /** Stops the run (default: SIGINT). */
  readonly signal?: AbortSignal;
  /** Where the one line per instance goes (default stdout). */
  readonly print?: (line: string) => void;
  readonly logger?: Logger;
  /** Each vehicle's MAVLink camera component profile, or false for none (default: the generic camera). */
  readonly camera?: string | false;
}

/** One line per instance, e.g. `drone1 sysid=1 api=udp:127.0.0.1:14580→14540 gcs=udp:127.0.0.1:18570→14550`. */
export function formatEndpoint(e: SitlEndpoint, host: string, gcsRemote: number): string {
  return `${e.id} sysid=${e.sysid} api=udp:${host}:${e.apiLocalPort}→${e.apiRemotePort || '-'} gcs=udp:${host}:${e.gcsLocalPort}→${gcsRemote || '-'}`;
}

export async function runSitlCommand(opts: RunSitlOptions): Promise<void> {
  const count = opts.count;
  if (!Number.isInteger(count) || count < 1 || count > 254) throw new RangeError(`SITL.INVALID_COUNT: ${count} (1–254)`);
  const speed = opts.speed ?? 1;
  if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError(`SITL.INVALID_SPEED: ${speed}`);
  const host = opts.host ?? '127.0.0.1';
  const print = opts.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const clock = new VirtualClock();
  const world = new SimWorld({ clock, rng: new Rng(opts.seed ?? 1), origin: opts.origin ?? SITL_DEFAULT_ORIGIN });
  const vehicles = Array.from({ length: count }, (_, i) => ({ id: `drone${i + 1}` }));
  vehicles.forEach((v, i) => {
    const r = world.addVehicle(v.id, { spawn: { north_m: 0, east_m: 5 * i } });
    if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  });
  const sitl = createSitl({
    world, vehicles, host, apiRemotePortBase: opts.apiRemotePortBase, apiLocalPortBase: opts.apiLocalPortBase,
    gcsRemotePort: opts.gcsRemotePort, gcsLocalPortBase: opts.gcsLocalPortBase, logger: opts.logger,
    camera: opts.camera ?? true,
  });
  const ac = new AbortController();
  const onSigint = () => ac.abort();
  const external = opts.signal;
  if (external) external.addEventListener('abort', onSigint, { once: true });
  else process.once('SIGINT', onSigint);
  try {
    await sitl.start();
    for (const e of sitl.endpoints) print(formatEndpoint(e, host, opts.gcsRemotePort ?? 14550));
    if (!external?.aborted) await clock.run({ speed, signal: ac.signal });
  } finally {
    process.off('SIGINT', onSigint);
    external?.removeEventListener('abort', onSigint);
    await sitl.stop();
  }
}
