import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../core/clock.js';
import { LocalFrame } from '../../core/geo.js';
import { Rng } from '../../core/rng.js';
import { SimWorld } from '../../hardware/sim/index.js';
import type { MissionItem } from '../../core/mission.js';
import type { VehicleEvent, VehicleResult, VehicleTelemetry } from '../../hardware/vehicle.port.js';
import { describeVehicleContract } from '../contract/vehicle.contract.js';
import { makeSim, ORIGIN, type SimSetup } from './sim-harness.js';

describeVehicleContract('sim', async () => makeSim().harness);

/** Common test choreography over one simulated vehicle. */
async function flying(sim: SimSetup, alt_m = 20) {
  const { port, settle, harness } = sim;
  const events: VehicleEvent[] = [];
  port.subscribeEvents((e) => events.push(e));
  const ok = (r: VehicleResult) => expect(r.ok ? 'ok' : r.error.message).toBe('ok');
  ok(await settle(port.connect()));
  ok(await settle(port.arm()));
  ok(await settle(port.takeoff(alt_m)));
  expect(await harness.waitFor(() => port.snapshot()!.landed === 'in_air', 60_000)).toBe(true);
  return { events, ok, of: <T extends VehicleEvent['type']>(t: T) => events.filter((e): e is Extract<VehicleEvent, { type: T }> => e.type === t) };
}
const frame = new LocalFrame(ORIGIN);
/** Target `n`, `e` metres from the origin at `alt_m`. */
const point = (n: number, e: number, alt_m = 20) => ({ ...frame.toLatLon(n, e), alt_m });
const code = (r: VehicleResult) => (r.ok ? 'ok' : r.error.code);

describe('sim physics', () => {
  it('flies 500 m at cruise speed in about 500 m / 5 m/s', async () => {
    const sim = makeSim();
    await flying(sim);
    const start = sim.world.truePosition('d1');
    const t0 = sim.clock.now();
    await sim.settle(sim.port.goto(point(start.north_m + 500, start.east_m)));
    const reached = () => sim.world.truePosition('d1').north_m > start.north_m + 499;
    expect(await sim.harness.waitFor(reached, 200_000)).toBe(true);
    const seconds = (sim.clock.now() - t0) / 1000;
    expect(seconds).toBeGreaterThan(100 * 0.8);
    expect(seconds).toBeLessThan(100 * 1.2);
  });

  it('climbs vertically when a mission starts on the ground', async () => {
    const sim = makeSim();
    const { ok } = await flying(sim, 5);
    ok(await sim.settle(sim.port.land()));
    await sim.harness.waitFor(() => sim.port.snapshot()!.landed === 'on_ground', 60_000);
    ok(await sim.settle(sim.port.arm()));
    ok(await sim.settle(sim.port.uploadMission([{ kind: 'waypoint', ...point(100, 0, 25), hold_s: 0, acceptance_m: 2, capture: false }])));
    const p0 = sim.world.truePosition('d1');
    ok(await sim.settle(sim.port.startMission()));
    await sim.harness.waitFor(() => sim.world.truePosition('d1').down_m < -24, 60_000);
    const p1 = sim.world.truePosition('d1');
    expect(Math.hypot(p1.north_m - p0.north_m, p1.east_m - p0.east_m)).toBeLessThan(0.5);
  });

  it('hovers 25-35 min on a full battery, then the motors stop and it crashes', async () => {
    const sim = makeSim({ params: { COM_LOW_BAT_ACT: 0 } });
    const { of } = await flying(sim, 10);
    const t0 = sim.clock.now();
    expect(await sim.harness.waitFor(() => of('failsafe').length > 0, 40 * 60_000)).toBe(true);
    const minutes = (sim.clock.now() - t0) / 60_000;
    expect(minutes).toBeGreaterThan(25);
    expect(minutes).toBeLessThan(35);
    expect(of('failsafe')[0]!.reason).toBe('battery_depleted');
    expect(await sim.harness.waitFor(() => of('armed').at(-1)?.armed === false, 10_000)).toBe(true);
    expect(of('landed').at(-1)?.state).toBe('on_ground');
    expect(of('statustext').some((e) => e.severity === 'critical' && /crashed/.test(e.text))).toBe(true);
  });

  it('sags voltage under load and loses voltage with charge', async () => {
    const sim = makeSim();
    await sim.settle(sim.port.connect());
    const rest = sim.port.snapshot()!.battery;
    await flying(sim, 10);
    await sim.harness.advance(1000);
    const hover = sim.port.snapshot()!.battery;
    expect(hover.current_a).toBeGreaterThan(8);
    expect(rest.voltage_v - hover.voltage_v).toBeGreaterThan(0.15); // I·R with 0.02 Ω at ~10 A
    await sim.harness.advance(10 * 60_000);
    const later = sim.port.snapshot()!.battery;
    expect(later.remaining_pct).toBeLessThan(70);
    expect(later.voltage_v).toBeLessThan(hover.voltage_v - 0.3);
    expect(later.consumed_mah).toBeGreaterThan(1500);
  });

  it('compensates steady wind, is pushed off by a strong gust, then returns', async () => {
    const sim = makeSim({ wind: { speed_mps: 8, direction_deg: 90 } }); // from the east: air moves west
    await flying(sim);
    await sim.harness.advance(20_000);
    const held = sim.world.truePosition('d1');
    // Held over the takeoff point (spawn 10 N, -5 E) despite the wind.
    expect(Math.hypot(held.north_m - 10, held.east_m + 5)).toBeLessThan(1);
    expect(sim.world.injectFault('d1', { kind: 'wind_gust', speed_mps: 20, direction_deg: 90, duration_s: 10 }).ok).toBe(true);
    await sim.harness.advance(10_000);
    const pushed = sim.world.truePosition('d1');
    expect(held.east_m - pushed.east_m).toBeGreaterThan(15); // pushed west, the way the gust blows
    await sim.harness.advance(60_000);
    const back = sim.world.truePosition('d1');
    expect(Math.hypot(back.north_m - held.north_m, back.east_m - held.east_m)).toBeLessThan(2);
  });

  it('drifts across track in turbulence it cannot anticipate', async () => {
    const calm = makeSim();
    const gusty = makeSim({ wind: { speed_mps: 6, direction_deg: 270, gust_sd_mps: 3 } });
    const maxCross: number[] = [];
    for (const sim of [calm, gusty]) {
      await flying(sim);
      const s = sim.world.truePosition('d1');
      await sim.settle(sim.port.goto(point(s.north_m + 300, s.east_m)));
      let worst = 0;
      for (let k = 0; k < 50; k++) {
        await sim.harness.advance(1000);
        worst = Math.max(worst, Math.abs(sim.world.truePosition('d1').east_m - s.east_m));
      }
      maxCross.push(worst);
    }
    expect(maxCross[0]!).toBeLessThan(0.01);
    expect(maxCross[1]!).toBeGreaterThan(0.3);
    expect(maxCross[1]!).toBeLessThan(20);
  });
});

describe('sim end of mission (PX4 v1.15)', () => {
  const wp = (n: number, e: number, extra: Partial<MissionItem> = {}): MissionItem =>
    ({ kind: 'waypoint', ...point(n, e), hold_s: 0, acceptance_m: 2, capture: false, ...extra }) as MissionItem;

  it('a final RTL item switches to RTL mode; reached and finished come just before the disarm, then the mode is back to mission', async () => {
    const sim = makeSim();
    const { ok, events } = await flying(sim);
    ok(await sim.settle(sim.port.uploadMission([wp(30, 0), wp(30, 30), { kind: 'rtl' }])));
    const n0 = events.length;
    ok(await sim.settle(sim.port.startMission()));
    expect(await sim.harness.waitFor(() => events.slice(n0).some((e) => e.type === 'armed' && !e.armed), 300_000)).toBe(true);
    const tail = events.filter((e) => ['mode', 'mission.reached', 'mission.finished', 'armed', 'statustext'].includes(e.type));
    const from = tail.findIndex((e) => e.type === 'statustext' && e.text === 'Returning to launch');
    const shown = tail.slice(from).map((e) =>
      e.type === 'mode' ? `mode ${e.mode}` : e.type === 'mission.reached' ? `reached ${e.seq}` : e.type === 'armed' ? `armed ${e.armed}` : e.type === 'statustext' ? e.text : e.type);
    expect(shown).toEqual([
      'Returning to launch', 'mode rtl', 'RTL: start return at 548 m (60 m above destination)', 'RTL: land at destination',
      'Landing detected', 'Disarmed by landing', 'reached 2', 'mission.finished', 'armed false', 'mode mission',
    ]);
  });

  it('a final LAND item: reached on touchdown, "Mission finished, landed", disarmed later, mode stays mission', async () => {
    const sim = makeSim();
    const { ok, events } = await flying(sim);
    ok(await sim.settle(sim.port.uploadMission([wp(30, 0), { kind: 'land' }])));
    const n0 = events.length;
    ok(await sim.settle(sim.port.startMission()));
    expect(await sim.harness.waitFor(() => events.slice(n0).some((e) => e.type === 'armed' && !e.armed), 300_000)).toBe(true);
    const i = events.findIndex((e) => e.type === 'mission.reached' && e.seq === 1);
    const shown = events.slice(i).filter((e) => ['mode', 'mission.reached', 'mission.finished', 'armed', 'statustext'].includes(e.type))
      .map((e) => (e.type === 'statustext' ? e.text : e.type === 'mode' ? `mode ${e.mode}` : e.type));
    expect(shown).toEqual(['mission.reached', 'Mission finished, landed', 'mission.finished', 'Disarmed by landing', 'armed']);
  });

  it('per-waypoint speeds: each leg at its own speed, and a waypoint without one back at cruise (5 m/s)', async () => {
    const sim = makeSim();
    const { ok, events } = await flying(sim);
    const start = sim.world.truePosition('d1');
    ok(await sim.settle(sim.port.uploadMission([wp(start.north_m + 200, 0, { speed_mps: 10 }), wp(start.north_m + 200, 200, { speed_mps: 2.5 }), wp(start.north_m, 200)])));
    const t0 = sim.clock.now();
    ok(await sim.settle(sim.port.startMission()));
    const at: number[] = [];
    expect(await sim.harness.waitFor(() => {
      for (const e of events) if (e.type === 'mission.reached' && at[e.seq] === undefined) at[e.seq] = sim.clock.now();
      return at[2] !== undefined;
    }, 600_000)).toBe(true);
    const legs = [(at[0]! - t0) / 1000, (at[1]! - at[0]!) / 1000, (at[2]! - at[1]!) / 1000];
    expect(legs[0]).toBeGreaterThan((200 / 10) * 0.95);
    expect(legs[0]).toBeLessThan((200 / 10) * 1.3);
    expect(legs[1]).toBeGreaterThan((200 / 2.5) * 0.95);
    expect(legs[1]).toBeLessThan((200 / 2.5) * 1.15);
    expect(legs[2]).toBeGreaterThan((200 / 5) * 0.95);
    expect(legs[2]).toBeLessThan((200 / 5) * 1.3);
  });
});

describe('sim faults', () => {
  it('link loss: nothing delivered, commands fail NO_LINK, RTL after COM_DL_LOSS_T, resync on restore', async () => {
    const sim = makeSim();
    const { of, events } = await flying(sim);
    await sim.settle(sim.port.goto(point(80, 0)));
    await sim.harness.advance(30_000);
    sim.world.injectFault('d1', { kind: 'link_loss' });
    expect(of('link').at(-1)).toMatchObject({ up: false });
    const seen = events.length;
    expect(code(await sim.settle(sim.port.hold()))).toBe('VEHICLE.NO_LINK');
    await sim.harness.advance(9_000);
    expect(sim.world.telemetry('d1').mode).toBe('hold');
    await sim.harness.advance(2_000);
    expect(sim.world.telemetry('d1').mode).toBe('rtl');
    expect(events.length).toBe(seen); // nothing leaked while down
    const stale = sim.port.snapshot()!;
    await sim.harness.advance(5_000);
    expect(sim.port.snapshot()).toBe(stale);
    sim.world.injectFault('d1', { kind: 'link_restore' });
    expect(events.slice(seen).map((e) => e.type)).toEqual(['link', 'failsafe', 'armed', 'mode', 'landed']);
    expect(of('failsafe').at(-1)).toMatchObject({ reason: 'datalink_loss', action: 'rtl' });
    expect(of('mode').at(-1)).toMatchObject({ mode: 'rtl' });
    expect(await sim.harness.waitFor(() => of('armed').at(-1)?.armed === false, 200_000)).toBe(true);
  });

  it('NAV_DLL_ACT=0: a mission keeps flying through a link loss', async () => {
    const sim = makeSim({ params: { NAV_DLL_ACT: 0 } });
    const { ok, of } = await flying(sim);
    const wp = (n: number, e: number): MissionItem => ({ kind: 'waypoint', ...point(n, e), hold_s: 0, acceptance_m: 2, capture: false });
    ok(await sim.settle(sim.port.uploadMission([wp(100, 0), wp(100, 100)])));
    ok(await sim.settle(sim.port.startMission()));
    sim.world.injectFault('d1', { kind: 'link_loss', duration_s: 60 });
    await sim.harness.advance(59_000);
    expect(of('mission.reached')).toHaveLength(0); // reached, but the twin could not hear it
    await sim.harness.advance(2_000);
    expect(of('link').at(-1)).toMatchObject({ up: true });
    expect(of('failsafe')).toHaveLength(0);
    // The mission went on and finished: PX4's Commander then loiters there in Hold.
    expect(of('mode').at(-1)).toMatchObject({ mode: 'hold' });
    const p = sim.world.truePosition('d1');
    expect(Math.hypot(p.north_m - 100, p.east_m - 100)).toBeLessThan(2);
  });

  it('motor failure: falls, crashes, disarms, cannot re-arm', async () => {
    const sim = makeSim();
    const { of } = await flying(sim);
    sim.world.injectFault('d1', { kind: 'motor_failure' });
    expect(of('failsafe').at(-1)).toMatchObject({ reason: 'motor_failure' });
    expect(await sim.harness.waitFor(() => of('landed').at(-1)?.state === 'on_ground', 10_000)).toBe(true);
    expect(sim.clock.now()).toBeGreaterThan(0);
    expect(of('armed').at(-1)?.armed).toBe(false);
    expect(of('statustext').some((e) => e.severity === 'critical' && /crashed \(impact (1\d|2\d)/.test(e.text))).toBe(true);
    expect(code(await sim.settle(sim.port.arm()))).toBe('VEHICLE.COMMAND_DENIED');
  });

  it('GPS loss: fix none, reported position frozen, lands (drifting with the wind)', async () => {
    const sim = makeSim({ wind: { speed_mps: 3, direction_deg: 0 } });
    const { of } = await flying(sim);
    await sim.harness.advance(5_000);
    sim.world.injectFault('d1', { kind: 'gps_loss' });
    expect(of('failsafe').at(-1)).toMatchObject({ reason: 'gps_loss', action: 'land' });
    expect(of('mode').at(-1)).toMatchObject({ mode: 'land' });
    const frozen = sim.port.snapshot()!;
    const trueBefore = sim.world.truePosition('d1');
    await sim.harness.advance(3_000);
    const t = sim.port.snapshot()!;
    expect(t.gps.fix).toBe('none');
    expect(t.position.lat_deg).toBe(frozen.position.lat_deg);
    expect(await sim.harness.waitFor(() => of('landed').at(-1)?.state === 'on_ground', 120_000)).toBe(true);
    expect(sim.world.truePosition('d1').north_m).toBeLessThan(trueBefore.north_m - 5); // blown south
    expect(code(await sim.settle(sim.port.returnToLaunch()))).toBe('VEHICLE.COMMAND_DENIED');
  });

  it('battery drop: warns, then the low-battery action returns home; arming refused when low', async () => {
    const sim = makeSim();
    const { of } = await flying(sim);
    sim.world.injectFault('d1', { kind: 'battery_drop', pct: 86 });
    await sim.harness.advance(100);
    expect(sim.port.snapshot()!.battery.remaining_pct).toBeLessThan(14);
    expect(of('statustext').some((e) => e.severity === 'warning' && /low/.test(e.text))).toBe(true);
    expect(of('failsafe')).toHaveLength(0);
    sim.world.injectFault('d1', { kind: 'battery_drop', pct: 7 });
    await sim.harness.advance(100);
    expect(of('failsafe').at(-1)).toMatchObject({ reason: 'battery_critical', action: 'rtl' });
    expect(await sim.harness.waitFor(() => of('armed').at(-1)?.armed === false, 200_000)).toBe(true);
    expect(code(await sim.settle(sim.port.arm()))).toBe('VEHICLE.COMMAND_DENIED');
  });

  it('sensor failure is reported; bad faults are refused', async () => {
    const sim = makeSim();
    const { of } = await flying(sim);
    expect(sim.world.injectFault('d1', { kind: 'sensor_failure', sensor: 'camera0' }).ok).toBe(true);
    expect(of('statustext').at(-1)?.text).toMatch(/camera0/);
    expect(of('failsafe').at(-1)?.reason).toBe('sensor_failure:camera0');
    const bad = sim.world.injectFault('d1', { kind: 'battery_drop', pct: -3 });
    expect(bad.ok ? 'ok' : bad.error.code).toBe('SIM.INVALID_FAULT');
    const nobody = sim.world.injectFault('ghost', { kind: 'motor_failure' });
    expect(nobody.ok ? 'ok' : nobody.error.code).toBe('SIM.UNKNOWN_VEHICLE');
  });
});

describe('sim determinism and robustness', () => {
  async function record(seed: number): Promise<string[]> {
    const sim = makeSim({ seed, wind: { speed_mps: 4, direction_deg: 200, gust_sd_mps: 1.5 } });
    const log: string[] = [];
    sim.port.subscribeTelemetry((t) => log.push(JSON.stringify(t)));
    sim.port.subscribeEvents((e) => log.push(JSON.stringify(e)));
    await flying(sim);
    await sim.settle(sim.port.goto(point(60, 60)));
    await sim.harness.advance(40_000);
    return log;
  }

  it('the same seed gives the same telemetry and events; another seed other noise', async () => {
    const a = await record(7);
    const b = await record(7);
    const c = await record(8);
    expect(a.length).toBeGreaterThan(500);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('any sequence of commands and faults never throws and never yields NaN telemetry', async () => {
    const cmd = fc.oneof(
      fc.constantFrom('arm', 'disarm', 'land', 'rtl', 'hold', 'start', 'clear', 'dispose'),
      fc.record({ takeoff: fc.oneof(fc.double({ noDefaultInfinity: false }), fc.constant(undefined)) }),
      fc.record({ goto: fc.tuple(fc.double(), fc.double(), fc.double()) }),
      fc.record({ upload: fc.array(fc.record({ n: fc.integer({ min: -300, max: 300 }), e: fc.integer({ min: -300, max: 300 }), alt: fc.double({ min: -5, max: 2000 }) }), { maxLength: 4 }) }),
      fc.record({ fault: fc.constantFrom('link_loss', 'link_restore', 'gps_loss', 'gps_restore', 'motor_failure', 'battery_drop', 'wind_gust') }),
    );
    await fc.assert(
      fc.asyncProperty(fc.integer(), fc.array(fc.tuple(cmd, fc.integer({ min: 0, max: 30_000 })), { maxLength: 12 }), async (seed, steps) => {
        const sim = makeSim({ seed });
        const { port, world, settle, harness } = sim;
        const samples: VehicleTelemetry[] = [];
        port.subscribeTelemetry((t) => samples.push(t));
        await settle(port.connect());
        for (const [c, wait] of steps) {
          let p: Promise<VehicleResult> | undefined;
          if (typeof c === 'string') {
            if (c === 'dispose') await port.dispose();
            else p = ({ arm: port.arm, disarm: port.disarm, land: port.land, rtl: port.returnToLaunch, hold: port.hold, start: port.startMission, clear: port.clearMission } as const)[c]();
          } else if ('takeoff' in c) p = port.takeoff(c.takeoff);
          else if ('goto' in c) p = port.goto({ lat_deg: c.goto[0], lon_deg: c.goto[1], alt_m: c.goto[2] });
          else if ('upload' in c)
            p = port.uploadMission(c.upload.map((w) => ({ kind: 'waypoint', ...point(w.n, w.e, w.alt), hold_s: 0, acceptance_m: 2, capture: false })));
          else {
            const f = c.fault;
            world.injectFault('d1', f === 'battery_drop' ? { kind: f, pct: 30 } : f === 'wind_gust' ? { kind: f, speed_mps: 15, direction_deg: 45, duration_s: 5 } : { kind: f });
          }
          if (p) expect(typeof (await settle(p)).ok).toBe('boolean');
          await harness.advance(wait);
        }
        await harness.advance(5_000);
        for (const t of samples) {
          const nums = [t.position.lat_deg, t.position.lon_deg, t.position.alt_m, t.alt_rel_m, t.local.north_m, t.local.east_m, t.local.down_m,
            t.velocity_ned_mps.north_m, t.velocity_ned_mps.east_m, t.velocity_ned_mps.down_m, t.heading_deg, t.battery.voltage_v, t.battery.current_a,
            t.battery.remaining_pct, t.battery.consumed_mah, t.gps.hdop];
          expect(nums.every(Number.isFinite)).toBe(true);
          expect(t.alt_rel_m).toBeGreaterThan(-10);
        }
        const truth = world.truePosition('d1');
        expect(truth.down_m).toBeLessThanOrEqual(0);
        await harness.dispose();
      }),
      { numRuns: 60, seed: 20240601 },
    );
  });

  it('steps many vehicles in one world, each on its own (storage grows past its initial size)', async () => {
    const clock = new VirtualClock();
    const world = new SimWorld({ clock, rng: new Rng(3), origin: ORIGIN });
    for (let v = 0; v < 40; v++) expect(world.addVehicle(`v${v}`, { spawn: { north_m: v * 10, east_m: 0 } }).ok).toBe(true);
    expect(world.addVehicle('v0', { spawn: { north_m: 0, east_m: 0 } }).ok).toBe(false);
    for (let v = 0; v < 40; v += 2) {
      expect(world.command(`v${v}`, { kind: 'arm' }).ok).toBe(true);
      expect(world.command(`v${v}`, { kind: 'takeoff', alt_m: 5 + v }).ok).toBe(true);
    }
    world.start();
    await clock.advance(60_000);
    for (let v = 0; v < 40; v++) {
      const p = world.truePosition(`v${v}`);
      expect(p.north_m).toBeCloseTo(v * 10, 3);
      expect(-p.down_m).toBeCloseTo(v % 2 === 0 ? 5 + v : 0, 0);
    }
  });

  it('auto-disarms on the ground after COM_DISARM_PRFLT without takeoff', async () => {
    const sim = makeSim();
    await sim.settle(sim.port.connect());
    await sim.settle(sim.port.arm());
    await sim.harness.advance(9_000);
    expect(sim.port.snapshot()!.armed).toBe(true);
    await sim.harness.advance(2_000);
    expect(sim.port.snapshot()!.armed).toBe(false);
  });
});
