import { describe, expect, it } from 'vitest';
import { assign } from 'xstate';
import { VirtualClock } from '../../core/clock.js';
import { Rng } from '../../core/rng.js';
import { createTwin } from '../../actors/twin.js';
import { topics } from '../../actors/bus.js';
import { SimWorld, createSimVehiclePort } from '../../hardware/sim/index.js';
import { vehicleMachine } from '../../machines/vehicle.machine.js';
import { missionMachine } from '../../machines/mission.machine.js';
import { DEFAULT_HOME } from '../../actors/scenario/scenario.runner.js';

function setup(machines?: Parameters<typeof createTwin>[0]['machines']) {
  const clock = new VirtualClock();
  const world = new SimWorld({ clock, rng: new Rng(9), origin: DEFAULT_HOME });
  world.addVehicle('d1', { spawn: { north_m: 0, east_m: 0 } });
  const port = createSimVehiclePort(world, 'd1');
  const twin = createTwin({ clock, origin: 'home', vehicles: [{ id: 'd1', port }], machines, restartBase_ms: 1000 });
  world.start();
  return { clock, world, twin };
}

async function started(clock: VirtualClock, twin: ReturnType<typeof createTwin>) {
  let up = false;
  const p = twin.start().then(() => (up = true));
  await clock.run({ stopWhen: () => up, until: 10_000 });
  await p;
}

describe('twin runtime', () => {
  it('connects, mirrors the vehicle, executes operator commands and publishes telemetry', async () => {
    const { clock, twin } = setup();
    await started(clock, twin);
    expect(twin.vehicleState('d1')).toBe('connected.standby');
    const poses: number[] = [];
    twin.bus.subscribe(topics.pose('d1'), (p) => poses.push(p.alt_rel_m));
    const states: string[] = [];
    twin.bus.subscribe(topics.state('d1'), (s) => states.push(s.state));
    twin.command('d1', { kind: 'arm' }, 'op-1');
    twin.command('d1', { kind: 'takeoff', alt_m: 15 }, 'op-2');
    await clock.advance(20_000);
    expect(twin.vehicleState('d1')).toBe('connected.armed.inAir.hold');
    expect(poses.at(-1)!).toBeGreaterThan(13);
    expect(states).toContain('connected.armed.takingOff');
    const cmds = twin.log.entries.filter((e) => e.type === 'command.result');
    expect(cmds.map((e) => [e.cid, e.data?.kind, e.data?.ok])).toEqual([
      ['op-1', 'arm', true],
      ['op-2', 'takeoff', true],
    ]);
    await twin.stop();
  });

  it('a refused command is reported with its code, not thrown', async () => {
    const { clock, twin } = setup();
    await started(clock, twin);
    twin.command('d1', { kind: 'takeoff' }, 'op-x'); // not armed: PX4 denies
    await clock.advance(1_000);
    const r = twin.log.entries.find((e) => e.type === 'command.result');
    expect(r?.data).toMatchObject({ kind: 'takeoff', ok: false, code: 'VEHICLE.COMMAND_DENIED' });
    await twin.stop();
  });

  it('supervises: a failing vehicle actor is reported and restarted with backoff, then works', async () => {
    // A vehicle machine with a bug: arming throws inside an action.
    let throwOnce = true;
    const buggy = vehicleMachine.provide({
      actions: {
        sync: assign(({ event }) => {
          if (event.type === 'PORT.ARMED' && event.armed && throwOnce) {
            throwOnce = false;
            throw new Error('bug in sync');
          }
          if (event.type === 'PORT.ARMED') return { armed: event.armed };
          if (event.type === 'PORT.MODE') return { mode: event.mode };
          if (event.type === 'PORT.LANDED') return { landed: event.state };
          return {};
        }),
      },
    });
    const { clock, twin } = setup({ vehicle: buggy });
    await started(clock, twin);
    twin.command('d1', { kind: 'arm' });
    await clock.advance(500);
    const failed = twin.log.entries.find((e) => e.type === 'child.failed');
    expect(failed?.data).toMatchObject({ id: 'vehicle:d1', restartIn_ms: 1000 });
    expect(String(failed?.data?.error)).toContain('bug in sync');
    expect(twin.log.entries.some((e) => e.type === 'child.restarted')).toBe(false);
    await clock.advance(1_000);
    const restarted = twin.log.entries.find((e) => e.type === 'child.restarted');
    expect(restarted?.t_ms).toBe(failed!.t_ms + 1000);
    // The new actor re-syncs from the port (the arm went through) and takes commands again.
    expect(twin.vehicleState('d1')).toBe('connected.armed.onGround');
    twin.command('d1', { kind: 'disarm' });
    await clock.advance(3_000);
    expect(twin.log.entries.filter((e) => e.type === 'command.result' && e.data?.kind === 'disarm')).toHaveLength(1);
    expect(twin.vehicleState('d1')).toBe('connected.standby');
    await twin.stop();
  });

  it('supervises: a failing mission actor is restarted where it was, without re-commanding the vehicle', async () => {
    // A mission machine with a bug: the second waypoint's MISSION_ITEM_REACHED throws, once.
    let throwOnce = true;
    const buggy = missionMachine.provide({
      actions: {
        onReached: assign(({ context, event }) => {
          if (event.type !== 'PORT.MISSION_REACHED') return {};
          if (event.seq === 1 && throwOnce) {
            throwOnce = false;
            throw new Error('bug in onReached');
          }
          const reached = Math.max(context.reached, event.seq + 1);
          const total = context.progress.total_waypoints;
          return { reached, progress: { current_waypoint: Math.min(reached, total - 1), total_waypoints: total, percent_complete: Math.round((reached / total) * 1000) / 10 } };
        }),
      },
    });
    const { clock, twin } = setup({ mission: buggy });
    await started(clock, twin);
    const home = twin.port('d1').home()!;
    const frame = twin.frame();
    const at = (n: number, e: number) => frame.toLatLon(n, e);
    twin.mission('d1').load({
      id: 'm1',
      name: 'square',
      vehicle: 'd1',
      items: [
        { kind: 'waypoint', ...at(60, 0), alt_m: 20 },
        { kind: 'waypoint', ...at(60, 60), alt_m: 20 },
        { kind: 'waypoint', ...at(0, 60), alt_m: 20 },
        { kind: 'rtl' },
      ],
    });
    twin.mission('d1').start();
    expect(home).toBeDefined();
    await clock.run({ until: clock.now() + 600_000, stopWhen: () => twin.missionStatus('d1') === 'COMPLETED' });
    const entries = twin.log.entries;
    const failed = entries.find((e) => e.type === 'child.failed');
    expect(failed?.data).toMatchObject({ id: 'mission:d1' });
    expect(entries.find((e) => e.type === 'restored')?.data).toEqual({ status: 'RUNNING' });
    // The restored actor kept the progress and saw the mission to its end; launch ran once.
    expect(twin.missionStatus('d1')).toBe('COMPLETED');
    expect(entries.filter((e) => e.source === 'd1' && e.type === 'port.armed' && e.data?.armed === true)).toHaveLength(1);
    await twin.stop();
  });
});

describe('fleet squads', () => {
  it('spreads vehicles over squads of squadSize; every vehicle and mission actor is reachable and supervised', async () => {
    const clock = new VirtualClock();
    const world = new SimWorld({ clock, rng: new Rng(1), origin: DEFAULT_HOME });
    const ids = Array.from({ length: 70 }, (_, i) => `d${i}`);
    ids.forEach((id, i) => world.addVehicle(id, { spawn: { north_m: (i % 10) * 10, east_m: Math.floor(i / 10) * 10 } }));
    const twin = createTwin({ clock, origin: 'home', vehicles: ids.map((id) => ({ id, port: createSimVehiclePort(world, id) })) });
    world.start();
    await started(clock, twin);
    // 70 vehicles, 32 per squad → 3 squads, none with more than 64 children.
    const squads = ['squad:0', 'squad:1', 'squad:2'].map((s) => twin.fleet.system.get(s));
    expect(squads.every(Boolean)).toBe(true);
    expect(twin.fleet.system.get('squad:3')).toBeUndefined();
    for (const s of squads) expect(Object.keys((s!.getSnapshot() as { children: object }).children).length).toBeLessThanOrEqual(64);
    expect(ids.every((id) => twin.vehicleState(id) === 'connected.standby')).toBe(true);
    twin.command('d69', { kind: 'arm' });
    await clock.advance(3_000);
    expect(twin.vehicleState('d69')).toBe('connected.armed.onGround');
    // The fleet's context is a plain value (STYLE: contexts stay serialisable); a duplicate is ignored.
    const ctx = twin.fleet.getSnapshot().context;
    expect(JSON.parse(JSON.stringify(ctx))).toEqual(ctx);
    expect(ctx.known.map((ids) => Object.keys(ids).length)).toEqual([64, 64, 12]);
    twin.fleet.send({ type: 'FLEET.ADD_VEHICLE', id: 'vehicle:d3', input: { vehicleId: 'd3' } });
    expect(twin.fleet.getSnapshot().context.added).toBe(140);
    twin.fleet.send({ type: 'FLEET.REMOVE', id: 'vehicle:d3' });
    expect(twin.fleet.getSnapshot().context.known[0]!['vehicle:d3']).toBeUndefined();
    await twin.stop();
    world.stop();
  });
});
