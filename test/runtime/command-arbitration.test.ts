/**
 * Field-safe command arbitration in the running twin (virtual clock, simulator port behind a
 * port wrapper that records what reaches it): a failsafe pre-empts, one operation at a time
 * reaches the port, stale commands never run, the queue is bounded, a lost ARM ACK is read back.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../core/clock.js';
import { Rng } from '../../core/rng.js';
import { fail } from '../../core/result.js';
import { createTwin, type Twin } from '../../actors/twin.js';
import { SimWorld, createSimVehiclePort } from '../../hardware/sim/index.js';
import { DEFAULT_HOME } from '../../actors/scenario/scenario.runner.js';
import { recordingPort, sleep, type RecordingOptions } from './recording-port.js';

function setup(options: RecordingOptions = {}) {
  const clock = new VirtualClock();
  const world = new SimWorld({ clock, rng: new Rng(3), origin: DEFAULT_HOME });
  world.addVehicle('d1', { spawn: { north_m: 0, east_m: 0 } });
  const rec = recordingPort(createSimVehiclePort(world, 'd1'), clock, options);
  const twin = createTwin({ clock, origin: 'home', vehicles: [{ id: 'd1', port: rec.port }] });
  world.start();
  return { clock, world, twin, rec };
}

async function started(clock: VirtualClock, twin: Twin) {
  let up = false;
  const p = twin.start().then(() => (up = true));
  await clock.run({ stopWhen: () => up, until: 10_000 });
  await p;
}

async function airborne(clock: VirtualClock, twin: Twin) {
  await started(clock, twin);
  twin.command('d1', { kind: 'arm' }, 'op-arm');
  twin.command('d1', { kind: 'takeoff', alt_m: 20 }, 'op-takeoff');
  await clock.run({ until: clock.now() + 60_000, stopWhen: () => twin.vehicleState('d1') === 'connected.armed.inAir.hold' });
  expect(twin.vehicleState('d1')).toBe('connected.armed.inAir.hold');
}

const result = (twin: Twin, cid: string) => twin.log.entries.find((e) => e.type === 'command.result' && e.cid === cid);

const smallMission = (twin: Twin) => {
  const at = (n: number, e: number) => twin.frame().toLatLon(n, e);
  return {
    id: 'm1',
    name: 'out and back',
    vehicle: 'd1',
    items: [
      { kind: 'waypoint', ...at(150, 0), alt_m: 20 },
      { kind: 'waypoint', ...at(150, 150), alt_m: 20 },
      { kind: 'rtl' },
    ],
  };
};

describe('command arbitration (twin + command pipeline)', () => {
  it('a battery-low failsafe during an operator command’s retries is sent first; the operator command is cancelled', async () => {
    // The operator's goto gets no ACK: the MAVLink command protocol would retry it 4 × 1.5 s.
    const { clock, world, twin, rec } = setup({
      override: { goto: async (_forward, signal) => ((await sleep(clock, 6_000, signal)) ? fail('VEHICLE.TIMEOUT', 'no COMMAND_ACK after 4 attempts') : fail('VEHICLE.TIMEOUT', 'aborted by caller', { context: { aborted: true } })) },
    });
    await airborne(clock, twin);
    const target = twin.frame().toLatLon(300, 0);
    twin.command('d1', { kind: 'goto', ...target, alt_m: 20 }, 'op-goto');
    twin.command('d1', { kind: 'hold' }, 'op-hold'); // queued behind the goto
    await clock.advance(1_000);
    const dropAt = clock.now();
    expect(world.injectFault('d1', { kind: 'battery_drop', pct: 85 }).ok).toBe(true);
    await clock.run({ until: dropAt + 3_000, stopWhen: () => rec.methods().includes('returnToLaunch') });

    const rtl = rec.calls.find((c) => c.method === 'returnToLaunch')!;
    const goto = rec.calls.find((c) => c.method === 'goto')!;
    expect(rtl.start - dropAt).toBeLessThan(1_500); // not after the goto's 6 s of retries
    expect(goto.aborted).toBe(true);
    expect(goto.end).toBeLessThanOrEqual(rtl.start);
    await clock.advance(2_000);
    expect(result(twin, 'op-goto')?.data).toMatchObject({ kind: 'goto', ok: false, code: 'VEHICLE.PREEMPTED' });
    expect(result(twin, 'op-hold')?.data).toMatchObject({ kind: 'hold', ok: false, code: 'VEHICLE.PREEMPTED' });
    expect(result(twin, 'failsafe:battery_low')?.data).toMatchObject({ kind: 'rtl', ok: true });
    expect(rec.methods()).not.toContain('hold');
    expect(twin.vehicleContext('d1').mode).toBe('rtl');
    expect(rec.maxOpen()).toBe(1);
    await twin.stop();
  });

  it('a mission pause and a vehicle command never reach the port concurrently', async () => {
    // Every port call takes 400 ms of link time: enough to overlap if nothing serialised them.
    const { clock, twin, rec } = setup({ delay_ms: 400 });
    await started(clock, twin);
    expect(twin.mission('d1').load(smallMission(twin)).ok).toBe(true);
    expect(twin.mission('d1').start().ok).toBe(true);
    await clock.run({ until: clock.now() + 120_000, stopWhen: () => twin.vehicleState('d1') === 'connected.armed.inAir.mission' });
    const from = rec.calls.length;
    const t0 = clock.now();
    expect(twin.mission('d1').pause('op-pause')).toEqual({ ok: true, status: 'PAUSED' });
    twin.command('d1', { kind: 'goto', ...twin.frame().toLatLon(50, 50), alt_m: 25 }, 'op-goto');
    twin.command('d1', { kind: 'land' }, 'op-land');
    await clock.advance(3_000);
    const mine = rec.calls.slice(from);
    expect(mine.map((c) => [c.method, c.start - t0])).toEqual([
      ['hold', 0],
      ['goto', 405], // 400 ms of link + the simulator's 5 ms command latency
      ['land', 810],
    ]);
    for (let i = 1; i < mine.length; i++) expect(mine[i]!.start).toBeGreaterThanOrEqual(mine[i - 1]!.end!);
    expect(rec.maxOpen()).toBe(1);
    expect(result(twin, 'op-land')?.data).toMatchObject({ ok: true });
    await twin.stop();
  });

  it('a queued command older than its time to live is dropped as VEHICLE.STALE and never sent', async () => {
    // The goto is answered IN_PROGRESS and completes only after 12 s (a slow vehicle).
    const { clock, twin, rec } = setup({ delay_ms: { goto: 12_000 } });
    await airborne(clock, twin);
    twin.command('d1', { kind: 'goto', ...twin.frame().toLatLon(100, 0), alt_m: 20 }, 'op-goto');
    await clock.advance(500);
    twin.command('d1', { kind: 'land' }, 'op-late');
    await clock.advance(15_000);
    expect(result(twin, 'op-goto')?.data).toMatchObject({ ok: true });
    expect(result(twin, 'op-late')?.data).toMatchObject({ kind: 'land', ok: false, code: 'VEHICLE.STALE' });
    expect(rec.methods()).not.toContain('land');
    expect(twin.vehicleState('d1')).not.toContain('landing');
    await twin.stop();
  });

  it('bounds the command queue (16): one more is refused with VEHICLE.BUSY; a repeated command is coalesced', async () => {
    const { clock, twin, rec } = setup({ delay_ms: { arm: 5_000 } });
    await started(clock, twin);
    twin.command('d1', { kind: 'arm' }, 'op-arm');
    await clock.advance(10);
    for (let i = 1; i <= 16; i++) twin.command('d1', { kind: 'takeoff', alt_m: 10 + i }, `op-t${i}`);
    twin.command('d1', { kind: 'takeoff', alt_m: 11 }, 'op-again'); // identical to op-t1: joins it
    twin.command('d1', { kind: 'takeoff', alt_m: 99 }, 'op-17');
    await clock.advance(1);
    expect(result(twin, 'op-17')?.data).toMatchObject({ ok: false, code: 'VEHICLE.BUSY' });
    expect(twin.log.entries.find((e) => e.type === 'command.coalesced')).toMatchObject({ cid: 'op-again', data: { kind: 'takeoff', alt_m: 11, into: 'op-t1' } });
    await clock.advance(20_000);
    // The coalesced request shares op-t1's outcome; op-t1 went to the port once.
    expect(result(twin, 'op-again')?.data).toEqual(result(twin, 'op-t1')?.data);
    expect(rec.calls.filter((c) => c.method === 'takeoff')).toHaveLength(16);
    await twin.stop();
  });

  it('a lost ARM ACK with the vehicle armed does not fail the launch: the state is read back', async () => {
    // 40 % packet loss: the vehicle armed, but its COMMAND_ACK never arrived.
    const { clock, twin } = setup({
      override: { arm: async (forward) => ((await forward()).ok ? fail('VEHICLE.TIMEOUT', 'no COMMAND_ACK after 4 attempts') : fail('VEHICLE.COMMAND_DENIED', 'denied')) },
    });
    await started(clock, twin);
    twin.mission('d1').load(smallMission(twin), 'op-load');
    twin.mission('d1').start('op-start');
    await clock.run({ until: clock.now() + 30_000, stopWhen: () => twin.vehicleState('d1') === 'connected.armed.inAir.mission' });
    expect(twin.missionStatus('d1')).toBe('RUNNING');
    expect(twin.log.entries.find((e) => e.type === 'arm.readback')?.data).toEqual({ armed: true, code: 'VEHICLE.TIMEOUT' });
    await twin.stop();
  });

  it('an ARM that timed out and did not arm still fails the launch, after the read-back window', async () => {
    const { clock, twin } = setup({ override: { arm: async () => fail('VEHICLE.TIMEOUT', 'no COMMAND_ACK after 4 attempts') } });
    await started(clock, twin);
    twin.mission('d1').load(smallMission(twin));
    twin.mission('d1').start();
    const t0 = clock.now();
    await clock.run({ until: t0 + 30_000, stopWhen: () => twin.missionStatus('d1') === 'FAILED' });
    expect(twin.missionStatus('d1')).toBe('FAILED');
    expect(twin.mission('d1').context().reason).toMatch(/^launch failed: VEHICLE.TIMEOUT/);
    expect(twin.log.entries.find((e) => e.type === 'arm.readback')?.data).toEqual({ armed: false, code: 'VEHICLE.TIMEOUT' });
    expect(clock.now() - t0).toBeGreaterThanOrEqual(3_000);
    await twin.stop();
  });
});

describe('mission requests answer with a result', () => {
  it('load: ok with the new status, MISSION.INVALID with field reasons, MISSION.BUSY while one runs', async () => {
    const { clock, twin } = setup();
    await started(clock, twin);
    const m = twin.mission('d1');
    const bad = m.load({ ...smallMission(twin), items: [{ kind: 'waypoint', lat_deg: 0, lon_deg: 0, alt_m: 20 }] }, 'op-bad');
    expect(bad).toMatchObject({ ok: false, status: 'IDLE', error: { code: 'MISSION.INVALID', fields: [{ path: 'items.0', message: 'waypoint at 0,0 (unset position)' }] } });
    expect(m.status()).toBe('IDLE');
    expect(m.context().issues).toEqual([{ path: 'items.0', message: 'waypoint at 0,0 (unset position)' }]);
    expect(m.load({ id: 'x' }).ok).toBe(false);
    expect(m.load(smallMission(twin), 'op-load')).toEqual({ ok: true, status: 'LOADED' });
    expect(m.load(smallMission(twin))).toMatchObject({ ok: false, status: 'LOADED', error: { code: 'MISSION.BUSY' } });
    expect(m.start()).toMatchObject({ ok: true });
    await clock.advance(2_000);
    expect(m.status()).toBe('RUNNING');
    expect(m.start()).toMatchObject({ ok: false, status: 'RUNNING', error: { code: 'MISSION.NOT_ALLOWED' } });
    expect(m.resume()).toMatchObject({ ok: false, error: { code: 'MISSION.NOT_ALLOWED' } });
    expect(m.abort('enough', 'op-abort')).toEqual({ ok: true, status: 'ABORTED' });
    expect(m.pause()).toMatchObject({ ok: false, status: 'ABORTED', error: { code: 'MISSION.NOT_ALLOWED', message: 'PAUSE is not accepted while the mission is ABORTED' } });
    expect(twin.log.entries.filter((e) => e.type === 'request.refused').map((e) => e.data?.code)).toEqual([
      'MISSION.INVALID',
      'MISSION.INVALID',
      'MISSION.BUSY',
      'MISSION.NOT_ALLOWED',
      'MISSION.NOT_ALLOWED',
      'MISSION.NOT_ALLOWED',
    ]);
    await twin.stop();
  });
});
