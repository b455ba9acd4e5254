import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, initialTransition, transition } from 'xstate';
import { VirtualClock } from '../../core/clock.js';
import { vehicleMachine, type VehicleCommand, type VehicleMachineEvent } from '../../machines/vehicle.machine.js';
import { statePath } from '../../actors/twin.js';

const input = { vehicleId: 'd1' };
const flight = (snap: { value: unknown }) => statePath((snap.value as { flight: unknown }).flight);

function run(events: VehicleMachineEvent[]) {
  let [snap] = initialTransition(vehicleMachine, input);
  const actions: string[] = [];
  for (const e of events) {
    const [next, acts] = transition(vehicleMachine, snap, e);
    snap = next;
    actions.push(...acts.map((a) => a.type));
  }
  return { snap, actions };
}

const airborneMission: VehicleMachineEvent[] = [
  { type: 'LINK.UP' },
  { type: 'PORT.ARMED', armed: true },
  { type: 'PORT.LANDED', state: 'taking_off' },
  { type: 'PORT.MODE', mode: 'mission' },
  { type: 'PORT.LANDED', state: 'in_air' },
];

describe('vehicle machine (pure transitions)', () => {
  it('starts disconnected and follows the port through a flight', () => {
    expect(flight(run([]).snap)).toBe('disconnected');
    expect(flight(run([{ type: 'LINK.UP' }]).snap)).toBe('connected.standby');
    expect(flight(run(airborneMission.slice(0, 2)).snap)).toBe('connected.armed.onGround');
    expect(flight(run(airborneMission.slice(0, 3)).snap)).toBe('connected.armed.takingOff');
    expect(flight(run(airborneMission).snap)).toBe('connected.armed.inAir.mission');
    const rtl = run([...airborneMission, { type: 'PORT.MODE', mode: 'rtl' }]);
    expect(flight(rtl.snap)).toBe('connected.armed.inAir.returning');
    const down = run([...airborneMission, { type: 'PORT.MODE', mode: 'land' }, { type: 'PORT.LANDED', state: 'on_ground' }, { type: 'PORT.ARMED', armed: false }]);
    expect(flight(down.snap)).toBe('connected.standby');
  });

  it('re-derives its place after a reconnection from what the vehicle reports', () => {
    const { snap } = run([
      { type: 'PORT.ARMED', armed: true },
      { type: 'PORT.MODE', mode: 'hold' },
      { type: 'PORT.LANDED', state: 'in_air' },
      { type: 'LINK.UP' },
    ]);
    expect(flight(snap)).toBe('connected.armed.inAir.hold');
  });

  it('battery low in the air commands RTL once and records the failsafe', () => {
    const { snap } = run([...airborneMission, { type: 'MONITOR.BATTERY_LOW', remaining_pct: 19.5 }]);
    expect(snap.context.failsafes.map((f) => f.kind)).toEqual(['battery_low']);
    expect(snap.context.lastCommand?.command).toEqual({ kind: 'rtl' });
    // Already returning: a second low-battery event does nothing.
    const again = run([...airborneMission, { type: 'PORT.MODE', mode: 'rtl' }, { type: 'MONITOR.BATTERY_LOW', remaining_pct: 15 }]);
    expect(again.snap.context.failsafes).toEqual([]);
  });

  it('battery low on the ground is not a failsafe; critical in the air lands', () => {
    const ground = run([{ type: 'LINK.UP' }, { type: 'MONITOR.BATTERY_LOW', remaining_pct: 5 }]);
    expect(ground.snap.context.failsafes).toEqual([]);
    const crit = run([...airborneMission, { type: 'MONITOR.BATTERY_CRITICAL', remaining_pct: 9 }]);
    expect(crit.snap.context.failsafes.map((f) => f.action)).toEqual(['land']);
    expect(crit.snap.context.lastCommand?.command).toEqual({ kind: 'land' });
  });

  it('geofence breach takes the configured action', () => {
    let [snap] = initialTransition(vehicleMachine, { vehicleId: 'd1', failsafe: { geofenceAction: 'land' } });
    for (const e of [...airborneMission, { type: 'MONITOR.GEOFENCE_BREACH', reason: 'outside fence polygon' } as const])
      [snap] = transition(vehicleMachine, snap, e);
    expect(snap.context.failsafes).toEqual([{ kind: 'geofence', reason: 'outside fence polygon', action: 'land' }]);
    expect(snap.context.lastCommand?.command).toEqual({ kind: 'land' });
  });
});

describe('vehicle machine under the virtual clock', () => {
  function start(commandLog: VehicleCommand[], clock: VirtualClock) {
    const machine = vehicleMachine.provide({
      actors: {
        command: fromPromise(async ({ input }) => {
          commandLog.push(input.command);
          return { ok: true };
        }),
      },
    });
    const actor = createActor(machine, { input, clock });
    actor.start();
    return actor;
  }

  it('link lost beyond the timeout raises a failsafe; on regain it commands RTL if still on the mission', async () => {
    const clock = new VirtualClock();
    const commands: VehicleCommand[] = [];
    const actor = start(commands, clock);
    for (const e of airborneMission) actor.send(e);
    actor.send({ type: 'LINK.DOWN' });
    await clock.advance(4_000);
    expect(actor.getSnapshot().context.failsafes).toEqual([]);
    await clock.advance(2_000);
    expect(actor.getSnapshot().context.failsafes.map((f) => f.kind)).toEqual(['link_lost']);
    actor.send({ type: 'LINK.UP' });
    actor.send({ type: 'PORT.MODE', mode: 'mission' });
    await clock.advance(2_000);
    expect(commands).toEqual([{ kind: 'rtl' }]);
  });

  it('a short link drop is not a failsafe, and a vehicle that returned by itself is left alone', async () => {
    const clock = new VirtualClock();
    const commands: VehicleCommand[] = [];
    const actor = start(commands, clock);
    for (const e of airborneMission) actor.send(e);
    actor.send({ type: 'LINK.DOWN' });
    await clock.advance(3_000);
    actor.send({ type: 'LINK.UP' });
    await clock.advance(10_000);
    expect(actor.getSnapshot().context.failsafes).toEqual([]);

    actor.send({ type: 'LINK.DOWN' });
    await clock.advance(20_000);
    actor.send({ type: 'LINK.UP' });
    actor.send({ type: 'PORT.MODE', mode: 'rtl' }); // the vehicle's own datalink-loss action
    await clock.advance(5_000);
    expect(commands).toEqual([]);
    expect(flight(actor.getSnapshot())).toBe('connected.armed.inAir.returning');
  });

  it('queues operator commands and reports each result', async () => {
    const clock = new VirtualClock();
    const commands: VehicleCommand[] = [];
    const actor = start(commands, clock);
    const results: string[] = [];
    actor.on('command.result', (e) => results.push(`${e.command.kind}:${e.result.ok}`));
    actor.send({ type: 'LINK.UP' });
    actor.send({ type: 'CMD', command: { kind: 'arm' } });
    actor.send({ type: 'CMD', command: { kind: 'takeoff', alt_m: 10 } });
    await clock.advance(10);
    expect(commands.map((c) => c.kind)).toEqual(['arm', 'takeoff']);
    expect(results).toEqual(['arm:true', 'takeoff:true']);
  });
});

describe('vehicle machine: failsafe corner cases found by twin fuzz', () => {
  it('battery low while still taking off commands RTL', () => {
    const { snap } = run([...airborneMission.slice(0, 3), { type: 'MONITOR.BATTERY_LOW', remaining_pct: 15 }]);
    expect(snap.context.failsafes.map((f) => f.kind)).toEqual(['battery_low']);
    expect(snap.context.lastCommand?.command).toEqual({ kind: 'rtl' });
  });

  it('battery low during the link-regained window is acted on', async () => {
    const clock = new VirtualClock();
    const commands: VehicleCommand[] = [];
    const actor = createActor(
      vehicleMachine.provide({ actors: { command: fromPromise(async ({ input }) => (commands.push(input.command), { ok: true })) } }),
      { input, clock },
    ).start();
    for (const e of airborneMission) actor.send(e);
    actor.send({ type: 'LINK.DOWN' });
    await clock.advance(10_000);
    actor.send({ type: 'LINK.UP' });
    actor.send({ type: 'MONITOR.BATTERY_LOW', remaining_pct: 12 });
    await clock.advance(10);
    expect(actor.getSnapshot().context.failsafes.map((f) => f.kind)).toEqual(['link_lost', 'battery_low']);
    expect(commands[0]).toEqual({ kind: 'rtl' });
  });
});
