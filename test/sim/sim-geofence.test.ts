/**
 * The in-process simulator's port takes a geofence as the MAVLink adapter gives it to PX4
 * (uploadGeofence: polygons + GF_MAX_VER_DIST / GF_ACTION) and the simulated autopilot enforces
 * it as the SITL does; arming a vehicle left in AUTO.MISSION holds first, as the adapter does.
 */
import { describe, expect, it } from 'vitest';
import { LocalFrame } from '../../core/geo.js';
import type { VehicleEvent, VehicleResult } from '../../hardware/vehicle.port.js';
import { makeSim, ORIGIN } from './sim-harness.js';

const frame = new LocalFrame(ORIGIN);
const ll = (n: number, e: number) => frame.toLatLon(n, e);
const ok = (r: VehicleResult) => expect(r.ok ? 'ok' : `${r.error.code}: ${r.error.message}`).toBe('ok');

describe('sim geofence (PX4 v1.15 semantics)', () => {
  it('uploadGeofence: leaving the polygon fails safe with the fence action (rtl), reason geofence, PX4\'s texts', async () => {
    const sim = makeSim();
    const { port, settle, harness, world } = sim;
    const events: VehicleEvent[] = [];
    port.subscribeEvents((e) => events.push(e));
    ok(await settle(port.connect()));
    // Spawn is at (10, -5): an L-shaped fence around it (as in scenarios/geofence-breach.yaml).
    const at = (n: number, e: number) => ll(10 + n, -5 + e);
    ok(await settle(port.uploadGeofence!({ polygon: [at(-20, -20), at(100, -20), at(100, 20), at(20, 20), at(20, 100), at(-20, 100)], max_alt_m: 100, action: 'rtl' })));
    expect(world.getParams('d1').GF_ACTION).toBe(3);
    expect(world.getParams('d1').GF_MAX_VER_DIST).toBe(100);
    ok(await settle(port.arm()));
    ok(await settle(port.takeoff(15)));
    expect(await harness.waitFor(() => port.snapshot()!.landed === 'in_air', 60_000)).toBe(true);
    // A target outside the fence is accepted and ignored (PX4's navigator).
    ok(await settle(port.goto({ ...at(60, 60), alt_m: 15 })));
    await sim.clock.run({ until: sim.clock.now() + 3000 });
    expect(events.some((e) => e.type === 'statustext' && e.text === 'Reposition is outside geofence')).toBe(true);
    expect(Math.hypot(world.truePosition('d1').north_m - 10, world.truePosition('d1').east_m + 5)).toBeLessThan(3);
    const wp = (n: number, e: number) => ({ kind: 'waypoint' as const, ...at(n, e), alt_m: 15, hold_s: 0, acceptance_m: 2, capture: false });
    ok(await settle(port.uploadMission([wp(0, 80), wp(80, 0)])));
    ok(await settle(port.startMission()));
    expect(await harness.waitFor(() => events.some((e) => e.type === 'failsafe'), 120_000)).toBe(true);
    const fs = events.find((e) => e.type === 'failsafe')!;
    expect(fs).toMatchObject({ reason: 'geofence', action: 'rtl' });
    const texts = events.filter((e) => e.type === 'statustext').map((e) => (e as { text: string }).text);
    expect(texts).toContain('Geofence violation: approaching or outside geofence');
    expect(texts).toContain('Failsafe activated');
    expect(await harness.waitFor(() => port.snapshot()!.armed === false, 120_000)).toBe(true);
    const p = world.truePosition('d1');
    expect(Math.hypot(p.north_m - 10, p.east_m + 5)).toBeLessThan(3);
  });

  it('a malformed fence is MISSION.INVALID; an empty one clears the fence', async () => {
    const sim = makeSim();
    const { port, settle, world } = sim;
    ok(await settle(port.connect()));
    const r = await settle(port.uploadGeofence!({ polygon: [ll(0, 0), ll(1, 1)] }));
    expect(r.ok ? 'ok' : r.error.code).toBe('MISSION.INVALID');
    ok(await settle(port.uploadGeofence!({ polygon: [ll(100, 100), ll(110, 100), ll(110, 110)] })));
    // Home is outside that fence: arming is refused as PX4 refuses it.
    await sim.clock.run({ until: sim.clock.now() + 500 });
    const refused = await settle(port.arm());
    expect(refused.ok ? 'ok' : refused.error.message).toMatch(/Resolve system health failures/);
    ok(await settle(port.uploadGeofence!({})));
    await sim.clock.run({ until: sim.clock.now() + 500 });
    ok(await settle(port.arm()));
    expect(world.fences[0]).toBeUndefined();
  });

  it('arming a vehicle left in AUTO.MISSION holds first (as the MAVLink adapter does on PX4): the old mission does not start', async () => {
    const sim = makeSim();
    const { port, settle, world } = sim;
    ok(await settle(port.connect()));
    ok(await settle(port.uploadMission([{ kind: 'waypoint', ...ll(40, -5), alt_m: 10, hold_s: 0, acceptance_m: 2, capture: false }])));
    ok(world.command('d1', { kind: 'set_mode', mode: 'mission' }));
    expect(world.telemetry('d1').mode).toBe('mission');
    ok(await settle(port.arm()));
    await sim.clock.run({ until: sim.clock.now() + 3000 });
    expect(world.telemetry('d1')).toMatchObject({ armed: true, mode: 'hold', landed: 'on_ground' });
    // The world itself, armed in Mission mode, launches the mission like PX4.
    ok(world.command('d1', { kind: 'disarm' }));
    ok(world.command('d1', { kind: 'set_mode', mode: 'mission' }));
    ok(world.command('d1', { kind: 'arm' }));
    await sim.clock.run({ until: sim.clock.now() + 3000 });
    expect(world.telemetry('d1').landed).not.toBe('on_ground');
  });
});

describe('sim geofence: GF_MAX_HOR_DIST and GF_ACTION 4 (terminate)', () => {
  it('past GF_MAX_HOR_DIST from home with GF_ACTION 4 the motors stop: the vehicle falls', async () => {
    const sim = makeSim({ params: { GF_MAX_HOR_DIST: 30, GF_ACTION: 4 } });
    const { port, settle, harness, world } = sim;
    const events: VehicleEvent[] = [];
    port.subscribeEvents((e) => events.push(e));
    ok(await settle(port.connect()));
    ok(await settle(port.arm()));
    ok(await settle(port.takeoff(15)));
    expect(await harness.waitFor(() => port.snapshot()!.landed === 'in_air', 60_000)).toBe(true);
    const wp = { kind: 'waypoint' as const, ...ll(10 + 80, -5), alt_m: 15, hold_s: 0, acceptance_m: 2, capture: false };
    ok(await settle(port.uploadMission([wp])));
    ok(await settle(port.startMission()));
    expect(await harness.waitFor(() => events.some((e) => e.type === 'failsafe'), 120_000)).toBe(true);
    const texts = events.filter((e) => e.type === 'statustext').map((e) => (e as { text: string }).text);
    expect(texts).toContain('Geofence violation: exceeding maximum distance to Home');
    expect(events.find((e) => e.type === 'failsafe')).toMatchObject({ reason: 'geofence' });
    const p = world.truePosition('d1');
    expect(Math.hypot(p.north_m - 10, p.east_m + 5)).toBeGreaterThan(29);
    expect(Math.hypot(p.north_m - 10, p.east_m + 5)).toBeLessThan(36);
    expect(await harness.waitFor(() => world.s.crashed[0] === 1, 60_000)).toBe(true);
  });
});
