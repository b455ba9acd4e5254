/**
 * The vehicle-port contract suite against the MAVLink adapter:
 * 1. over loopback UDP to the built-in SITL (hardware/sim/sitl), one paced VirtualClock shared by
 *    the SimWorld, the SITL and the adapter (`clock.run({ until, speed })`), so every run
 *    exercises the real wire protocol;
 * 2. against a real PX4 SITL (v1.14+) when `PX4_SITL` holds its URL, e.g.
 *    `PX4_SITL=udpin://0.0.0.0:14540 npx vitest run test/mavlink` (wall clock; set
 *    `PX4_SIM_SPEED_FACTOR` to the value PX4 runs with). Skipped, with that reason, otherwise.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock, WallClock } from '../../core/clock.js';
import { Rng } from '../../core/rng.js';
import { createMavlinkVehiclePort, type MavlinkVehiclePort } from '../../hardware/real/mavlink/mavlink-vehicle.adapter.js';
import type { VehicleEvent } from '../../hardware/vehicle.port.js';
import { SimWorld } from '../../hardware/sim/index.js';
import { createSitl } from '../../hardware/sim/sitl/index.js';
import { describeVehicleContract, type VehicleHarness } from '../contract/vehicle.contract.js';
import { ORIGIN } from '../sim/sim-harness.js';

/** Sim seconds per wall second for the paced clock: fast, yet loopback replies land in time. */
const SPEED = Number(process.env.MAVLINK_SITL_SPEED ?? 40);

export async function makeSitlHarness(opts: { speed?: number } = {}): Promise<VehicleHarness & { clock: VirtualClock }> {
  const speed = opts.speed ?? SPEED;
  const clock = new VirtualClock();
  const world = new SimWorld({ clock, rng: new Rng(42), origin: ORIGIN });
  const added = world.addVehicle('d1', { spawn: { north_m: 10, east_m: -5 } });
  if (!added.ok) throw new Error(added.error.message);
  const sitl = createSitl({ world, vehicles: [{ id: 'd1' }], host: '127.0.0.1', apiRemotePortBase: 0, apiLocalPortBase: 0, gcsRemotePort: 0, gcsLocalPortBase: 0 });
  await sitl.start();
  const port = createMavlinkVehiclePort({ id: 'd1', url: `udpout://127.0.0.1:${sitl.endpoints[0]!.apiLocalPort}`, clock });
  const waitFor = async (pred: () => boolean, timeoutMs: number) => {
    await clock.run({ until: clock.now() + timeoutMs, stopWhen: pred, speed });
    return pred();
  };
  return {
    clock,
    port,
    advance: async (ms) => {
      await clock.run({ until: clock.now() + ms, speed });
    },
    waitFor,
    dispose: async () => {
      await port.dispose();
      await sitl.stop();
      world.stop();
    },
  };
}

describeVehicleContract('mavlink → built-in SITL (loopback UDP)', () => makeSitlHarness());

describe('MAVLink adapter extras against the built-in SITL (loopback UDP)', () => {
  let h: Awaited<ReturnType<typeof makeSitlHarness>> | undefined;
  afterEach(async () => {
    await h?.dispose();
    h = undefined;
  });
  const settle = async <T,>(p: Promise<T>, ms = 15_000): Promise<T> => {
    let v: { value: T } | undefined;
    void p.then((value) => { v = { value }; });
    if (!(await h!.waitFor(() => v !== undefined, ms))) throw new Error('did not settle');
    return v!.value;
  };

  it('datalink-loss failsafe on the vehicle: parameters set in their declared types, the link silenced both ways, the vehicle returns', async () => {
    h = await makeSitlHarness();
    const port = h.port as MavlinkVehiclePort;
    const events: VehicleEvent[] = [];
    port.subscribeEvents((e) => events.push(e));
    expect((await settle(port.connect())).ok).toBe(true);
    expect(await h.waitFor(() => port.home() !== undefined && port.snapshot() !== undefined, 10_000)).toBe(true);
    const set = await settle(port.setParameters({ COM_DL_LOSS_T: 2, NAV_DLL_ACT: 2 }));
    expect(set.ok && set.value.map((x) => x.value)).toEqual([2, 2]);
    expect((await settle(port.arm())).ok).toBe(true);
    expect((await settle(port.takeoff(15))).ok).toBe(true);
    expect(await h.waitFor(() => port.snapshot()!.alt_rel_m > 12, 60_000)).toBe(true);
    const r = await settle(port.injectFault({ kind: 'link_loss', duration_s: 120 }));
    expect(r.ok && r.value.result).toBe('LINK_SILENCED');
    // A two-way outage: we stop hearing the vehicle (the port reports the link down) …
    expect(await h.waitFor(() => events.some((e) => e.type === 'link' && !e.up), 20_000)).toBe(true);
    expect(events.some((e) => e.type === 'mode' && e.mode === 'rtl')).toBe(false);
    // … and it stops hearing us: past COM_DL_LOSS_T it returns by itself, seen once the link is back.
    // (6 s of vehicle time on the shared virtual clock: the SITL declares the GCS gone 2 s after its
    // last heartbeat, then waits COM_DL_LOSS_T = 2 s; a wall-clock sleep would not move the clock.)
    await h.advance(6000);
    expect((await settle(port.injectFault({ kind: 'link_restore' }))).ok).toBe(true);
    expect(await h.waitFor(() => events.some((e) => e.type === 'mode' && e.mode === 'rtl'), 20_000)).toBe(true);
  });

  it('uploadGeofence: the polygons reach the vehicle, the limit and action its GF_ parameters', async () => {
    h = await makeSitlHarness();
    const port = h.port as MavlinkVehiclePort;
    expect((await settle(port.connect())).ok).toBe(true);
    expect(await h.waitFor(() => port.home() !== undefined, 10_000)).toBe(true);
    const home = port.home()!;
    const d = 0.003;
    const polygon = [[-d, -d], [-d, d], [d, d], [d, -d]].map(([a, b]) => ({ lat_deg: home.lat_deg + a!, lon_deg: home.lon_deg + b! }));
    expect((await settle(port.uploadGeofence({ polygon }))).ok).toBe(true);
    // The limit and the action are parameters: set where the vehicle has them, reported where not.
    const has = (await settle(port.params.read('GF_MAX_VER_DIST'), 30_000)).ok;
    const withAlt = await settle(port.uploadGeofence({ polygon, max_alt_m: 100, action: 'rtl' }), 30_000);
    if (has) {
      expect(withAlt.ok).toBe(true);
      const alt = await settle(port.params.read('GF_MAX_VER_DIST'));
      expect(alt.ok && alt.value.value).toBeCloseTo(100);
      const action = await settle(port.params.read('GF_ACTION'));
      expect(action.ok && action.value.value).toBe(3);
    } else {
      expect(!withAlt.ok && withAlt.error.code).toBe('VEHICLE.UNSUPPORTED');
      expect(!withAlt.ok && withAlt.error.context?.['fenceUploaded']).toBe(true);
    }
    expect((await settle(port.uploadGeofence({}))).ok).toBe(true); // clears
  });
});

const px4 = process.env.PX4_SITL;
if (px4) {
  const speedFactor = Number(process.env.PX4_SIM_SPEED_FACTOR ?? 1);
  describeVehicleContract(`mavlink → PX4 SITL at ${px4}`, async () => {
    const clock = new WallClock();
    const port = createMavlinkVehiclePort({ id: 'px4', url: px4, clock, speedFactor });
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    return {
      port,
      advance: async (ms) => {
        await sleep(ms / speedFactor);
      },
      waitFor: async (pred, timeoutMs) => {
        const end = Date.now() + timeoutMs / speedFactor;
        while (!pred() && Date.now() < end) await sleep(20);
        return pred();
      },
      dispose: async () => {
        // Leave the vehicle on the ground and disarmed for the next test.
        await port.land();
        await port.dispose();
      },
    };
  });
} else {
  describe('VehiclePort contract: mavlink → PX4 SITL', () => {
    it.skip('skipped: PX4_SITL is not set (e.g. PX4_SITL=udpin://0.0.0.0:14540 with PX4 SITL v1.14+ running)', () => {});
  });
}
