import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, initialTransition, transition } from 'xstate';
import { VirtualClock } from '../../core/clock.js';
import { vehicleMachine, type CommandActorInput, type VehicleCommand, type VehicleInput, type VehicleMachineEvent } from '../../machines/vehicle.machine.js';
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

describe('vehicle machine: command arbitration', () => {
  /** A command actor that answers only when told (or never), recording what it was asked and whether it was cancelled. */
  function controlled(clock: VirtualClock, answer_ms: Partial<Record<VehicleCommand['kind'], number>> = {}) {
    const sent: { kind: string; cid?: string; priority: string; aborted: boolean }[] = [];
    const machine = vehicleMachine.provide({
      actors: {
        command: fromPromise<{ ok: boolean }, CommandActorInput>(({ input, signal }) => {
          const rec = { kind: input.command.kind, cid: input.correlationId, priority: input.priority, aborted: false };
          sent.push(rec);
          return new Promise((resolve) => {
            const ms = answer_ms[input.command.kind];
            const h = ms === undefined ? undefined : clock.setTimeout(() => resolve({ ok: true }), ms);
            signal.addEventListener('abort', () => {
              rec.aborted = true;
              if (h !== undefined) clock.clearTimeout(h);
            });
          });
        }),
      },
    });
    return { machine, sent };
  }

  function airborneActor(clock: VirtualClock, answer_ms: Partial<Record<VehicleCommand['kind'], number>>, extra: Partial<VehicleInput> = {}) {
    const { machine, sent } = controlled(clock, answer_ms);
    const actor = createActor(machine, { input: { ...input, ...extra }, clock }).start();
    const results: string[] = [];
    actor.on('command.result', (e) => results.push(`${e.correlationId}:${e.command.kind}:${e.result.ok ? 'ok' : e.result.code}`));
    for (const e of airborneMission) actor.send(e);
    return { actor, sent, results };
  }

  it('a failsafe pre-empts the operator command in flight: its signal is aborted, it is reported VEHICLE.PREEMPTED, the failsafe goes first', async () => {
    const clock = new VirtualClock();
    const { actor, sent, results } = airborneActor(clock, { rtl: 10 });
    actor.send({ type: 'CMD', command: { kind: 'goto', lat_deg: 47.4, lon_deg: 8.55, alt_m: 30 }, correlationId: 'op-goto' });
    actor.send({ type: 'CMD', command: { kind: 'hold' }, correlationId: 'op-hold' });
    actor.send({ type: 'CMD', command: { kind: 'hold' }, correlationId: 'op-hold-2' }); // coalesced into op-hold
    await clock.advance(1_000); // the goto is still retrying
    actor.send({ type: 'MONITOR.BATTERY_LOW', remaining_pct: 18 });
    expect(sent.map((s) => [s.kind, s.priority, s.aborted])).toEqual([
      ['goto', 'operator', true],
      ['rtl', 'failsafe', false],
    ]);
    expect(actor.getSnapshot().context.pending).toEqual([]);
    await clock.advance(100);
    expect(results).toEqual([
      'op-hold:hold:VEHICLE.PREEMPTED',
      'op-hold-2:hold:VEHICLE.PREEMPTED',
      'op-goto:goto:VEHICLE.PREEMPTED',
      'failsafe:battery_low:rtl:ok',
    ]);
  });

  it('a later failsafe pre-empts an earlier one in flight (battery critical lands during the low-battery RTL)', async () => {
    const clock = new VirtualClock();
    const { actor, sent, results } = airborneActor(clock, { land: 10 });
    actor.send({ type: 'MONITOR.BATTERY_LOW', remaining_pct: 18 });
    await clock.advance(500);
    actor.send({ type: 'MONITOR.BATTERY_CRITICAL', remaining_pct: 9 });
    await clock.advance(100);
    expect(sent.map((s) => [s.kind, s.aborted])).toEqual([['rtl', true], ['land', false]]);
    expect(results).toEqual(['failsafe:battery_low:rtl:VEHICLE.PREEMPTED', 'failsafe:battery_critical:land:ok']);
  });

  it('a failsafe whose command is already in flight joins it instead of cancelling it', async () => {
    const clock = new VirtualClock();
    const { actor, sent, results } = airborneActor(clock, { rtl: 1_000 });
    actor.send({ type: 'CMD', command: { kind: 'rtl' }, correlationId: 'op-rtl' });
    await clock.advance(100);
    actor.send({ type: 'MONITOR.BATTERY_LOW', remaining_pct: 18 });
    await clock.advance(2_000);
    expect(sent.map((s) => [s.kind, s.aborted])).toEqual([['rtl', false]]);
    expect(results).toEqual(['op-rtl:rtl:ok', 'failsafe:battery_low:rtl:ok']);
  });

  it('bounds the queue: beyond commandQueueMax a command is refused with VEHICLE.BUSY (pure transitions)', () => {
    const events: VehicleMachineEvent[] = [
      { type: 'LINK.UP' },
      { type: 'CMD', command: { kind: 'arm' }, correlationId: 'a' }, // in flight
      { type: 'CMD', command: { kind: 'takeoff', alt_m: 10 }, correlationId: 'b' },
      { type: 'CMD', command: { kind: 'takeoff', alt_m: 20 }, correlationId: 'c' },
      { type: 'CMD', command: { kind: 'takeoff', alt_m: 10 }, correlationId: 'b2' }, // same as b: coalesced
      { type: 'CMD', command: { kind: 'land' }, correlationId: 'd' }, // the queue (2) is full
    ];
    let [snap] = initialTransition(vehicleMachine, { vehicleId: 'd1', commandQueueMax: 2 });
    const emitted: unknown[] = [];
    for (const e of events) {
      const [next, actions] = transition(vehicleMachine, snap, e);
      snap = next;
      emitted.push(...actions.filter((a) => (a.type as string) === 'xstate.emit').map((a) => (a.params as { event: { type: string; correlationId?: string; result?: { code?: string } } }).event));
    }
    expect(snap.context.lastCommand?.correlationId).toBe('a');
    expect(snap.context.pending.map((p) => [p.correlationId, p.coalesced?.map((c) => c.correlationId)])).toEqual([
      ['b', ['b2']],
      ['c', undefined],
    ]);
    expect(emitted).toContainEqual(expect.objectContaining({ type: 'command.coalesced', correlationId: 'b2', into: 'b' }));
    expect(emitted).toContainEqual(expect.objectContaining({ type: 'command.result', correlationId: 'd', result: expect.objectContaining({ code: 'VEHICLE.BUSY' }) }));
  });
});
