/**
 * The SITL test harness: a world on a paced VirtualClock served by the SITL on free ports, and
 * a {@link TestGcs} talking to it.
 *
 * @remarks
 * The clock runs in the background with {@link pump}: sim time follows wall time × speed, and
 * before every instant the pump yields twice through `setImmediate`, which guarantees two libuv
 * poll phases (socket reads) between two instants — `clock.run({ speed })` resumes from a timer and can
 * fire the next instant in the following timers phase, before the poll phase has read what the
 * previous instant sent. So a datagram sent at sim time t, and the answer to it, are read at t:
 * sim-time measurements in a test are exact to the instant.
 * Tests await messages with wall-time timeouts and read sim time from the log; `waitSim`
 * sleeps in sim time. `close()` stops the clock, the SITL and the sockets.
 */
import { LocalFrame } from '../../../core/geo.js';
import { VirtualClock } from '../../../core/clock.js';
import { Rng } from '../../../core/rng.js';
import { SimWorld, type SimParams } from '../../../hardware/sim/index.js';
import { createSitl, type Sitl } from '../../../hardware/sim/sitl/index.js';
import { TestGcs } from './test-gcs.js';

export const ORIGIN = { lat_deg: 47.397742, lon_deg: 8.545594, alt_m: 488 };

const ORIGIN_FRAME = new LocalFrame(ORIGIN);
/** MISSION_ITEM_INT x/y (degE7) of a point `north_m`, `east_m` from the SITL's home. */
export const at = (north_m: number, east_m: number): { x: number; y: number } => {
  const p = ORIGIN_FRAME.toLatLon(north_m, east_m);
  return { x: Math.round(p.lat_deg * 1e7), y: Math.round(p.lon_deg * 1e7) };
};

export interface SitlHarness {
  clock: VirtualClock;
  world: SimWorld;
  sitl: Sitl;
  gcs: TestGcs;
  /** Resolves once sim time has advanced by `ms`. */
  waitSim(ms: number): Promise<void>;
  close(): Promise<void>;
}

export async function startSitl(opts: {
  speed?: number; params?: Partial<SimParams>; link?: 'api' | 'gcs'; heartbeats?: boolean; count?: number;
} = {}): Promise<SitlHarness> {
  const clock = new VirtualClock();
  const world = new SimWorld({ clock, rng: new Rng(7), origin: ORIGIN });
  const count = opts.count ?? 1;
  for (let i = 0; i < count; i++) {
    const r = world.addVehicle(`d${i + 1}`, { spawn: { north_m: 0, east_m: 5 * i }, params: opts.params });
    if (!r.ok) throw new Error(r.error.message);
  }
  const sitl = createSitl({
    world, vehicles: Array.from({ length: count }, (_, i) => ({ id: `d${i + 1}` })),
    apiLocalPortBase: 0, apiRemotePortBase: 0, gcsLocalPortBase: 0, gcsRemotePort: 0,
  });
  await sitl.start();
  const gcs = await TestGcs.open(clock);
  const ep = sitl.endpoints[0]!;
  gcs.connect(opts.link === 'api' ? ep.apiLocalPort : ep.gcsLocalPort);
  const ac = new AbortController();
  const running = pump(clock, opts.speed ?? 20, ac.signal);
  if (opts.heartbeats ?? true) gcs.startHeartbeats();
  else gcs.heartbeat(); // one, so the SITL learns our address
  const waitSim = (ms: number) => new Promise<void>((resolve) => {
    clock.setTimeout(() => { resolve(); clock.notifyAsync(); }, ms);
  });
  return {
    clock, world, sitl, gcs, waitSim,
    async close() {
      ac.abort();
      await running;
      await sitl.stop();
      await gcs.close();
    },
  };
}

/** Runs `clock` paced at `speed` × wall time until `signal` aborts, yielding to I/O before every instant. */
export async function pump(clock: VirtualClock, speed: number, signal: AbortSignal): Promise<void> {
  const wall0 = performance.now(), sim0 = clock.now();
  while (!signal.aborted) {
    const next = clock.nextAt();
    if (next === undefined) return;
    const wait = wall0 + (next - sim0) / speed - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    // Two turns of the loop: a request read in the first poll phase has its answer read in the
    // second, so one request/response exchange completes within the instant it started in.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    if (signal.aborted) return;
    clock.step();
  }
}
