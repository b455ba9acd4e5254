/**
 * The shared mission-item codec end to end over loopback UDP (issue 8): random missions with
 * per-waypoint speeds and captures, uploaded by the MAVLink adapter to the built-in SITL (PX4's
 * parse rules, float32 params on the wire), stored, flown as the simulator's plan, and
 * downloaded back by the adapter: the same mission every time.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../core/clock.js';
import { LocalFrame } from '../../core/geo.js';
import type { MissionItem } from '../../core/mission.js';
import { Rng } from '../../core/rng.js';
import { createMavlinkVehiclePort, type MavlinkVehiclePort } from '../../hardware/real/mavlink/mavlink-vehicle.adapter.js';
import { SimWorld } from '../../hardware/sim/index.js';
import { createSitl, type Sitl } from '../../hardware/sim/sitl/index.js';
import { ORIGIN } from './support/sitl-harness.js';

const SPEED = 40;
let clock: VirtualClock, world: SimWorld, sitl: Sitl, port: MavlinkVehiclePort;

/** Runs the paced clock until `p` settles. */
async function settle<T>(p: Promise<T>, ms = 30_000): Promise<T> {
  let done = false;
  let value: T | undefined;
  void p.then((v) => { done = true; value = v; });
  await clock.run({ until: clock.now() + ms, stopWhen: () => done, speed: SPEED });
  if (!done) throw new Error('did not settle');
  return value as T;
}

beforeAll(async () => {
  clock = new VirtualClock();
  world = new SimWorld({ clock, rng: new Rng(3), origin: ORIGIN });
  if (!world.addVehicle('d1', { spawn: { north_m: 0, east_m: 0 } }).ok) throw new Error('vehicle');
  sitl = createSitl({ world, vehicles: [{ id: 'd1' }], host: '127.0.0.1', apiRemotePortBase: 0, apiLocalPortBase: 0, gcsRemotePort: 0, gcsLocalPortBase: 0 });
  await sitl.start();
  world.start();
  port = createMavlinkVehiclePort({ id: 'd1', url: `udpout://127.0.0.1:${sitl.endpoints[0]!.apiLocalPort}`, clock });
  const c = await settle(port.connect());
  if (!c.ok) throw new Error(c.error.message);
  await clock.run({ until: clock.now() + 2000, stopWhen: () => port.home() !== undefined, speed: SPEED });
});

afterAll(async () => {
  await port?.dispose();
  await sitl?.stop();
  world?.stop();
});

const frame = new LocalFrame(ORIGIN);
/** A position within 1 km of home, on the degE7 grid MISSION_ITEM_INT carries. */
const near = fc.record({ n: fc.integer({ min: -1000, max: 1000 }), e: fc.integer({ min: -1000, max: 1000 }) }).map(({ n, e }) => {
  const p = frame.toLatLon(n, e);
  return { lat_deg: Math.round(p.lat_deg * 1e7) / 1e7, lon_deg: Math.round(p.lon_deg * 1e7) / 1e7 };
});
const f32 = (min: number, max: number) => fc.float({ min: Math.fround(min), max: Math.fround(max), noNaN: true }).map((v) => (Object.is(v, -0) ? 0 : v));
const waypoint = fc.record({
  pos: near, alt_m: f32(0, 400), hold_s: f32(0, 60), acceptance_m: f32(0.5, 20), capture: fc.boolean(),
  speed: fc.option(f32(0.5, 20), { nil: undefined }),
}).map(({ pos, speed, ...w }): MissionItem => ({ kind: 'waypoint', ...pos, ...w, ...(speed === undefined ? {} : { speed_mps: speed }) }));
const mission = fc.tuple(
  f32(5, 100),
  fc.array(waypoint, { minLength: 1, maxLength: 8 }),
  fc.constantFrom<MissionItem[]>([{ kind: 'rtl' }], [{ kind: 'land' }], []),
).map(([alt, wps, end]): MissionItem[] => [{ kind: 'takeoff', alt_m: alt }, ...wps, ...end]);

describe('mission-item codec over UDP: adapter ⇄ SITL', () => {
  it('random missions come back from the vehicle as uploaded (a land "here" as the last waypoint)', { timeout: 120_000 }, async () => {
    await fc.assert(fc.asyncProperty(mission, async (m) => {
      const up = await settle(port.uploadMission(m));
      expect(up.ok ? 'ok' : up.error.message).toBe('ok');
      const down = await settle(port.downloadMission());
      if (!down.ok) throw new Error(down.error.message);
      const last = [...m].reverse().find((i) => i.kind === 'waypoint') as Extract<MissionItem, { kind: 'waypoint' }>;
      const expected = m.map((i) => (i.kind === 'land' ? { kind: 'land', lat_deg: last.lat_deg, lon_deg: last.lon_deg } : i));
      expect(down.value).toEqual(expected);
      // And the simulator flies the same plan: its speeds and captures per waypoint.
      const flown = world.missions[world.slot('d1')]!.items;
      expect(flown.filter((i) => i.kind === 'waypoint')).toEqual(expected.filter((i) => i.kind === 'waypoint'));
    }), { numRuns: 40 });
  });
});
