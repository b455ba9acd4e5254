import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, initialTransition, transition } from 'xstate';
import { VirtualClock } from '../../core/clock.js';
import {
  retryDelay_ms,
  sensorMachine,
  sensorStateName,
  type SensorEmitted,
  type SensorInput,
  type SensorMachineEvent,
  type SensorOpInput,
} from '../../machines/sensor.machine.js';

const camera: SensorInput = { vehicleId: 'd1', sensorId: 'cam', kind: 'camera' };
const lidar: SensorInput = { vehicleId: 'd1', sensorId: 'os1', kind: 'lidar' };

function run(input: SensorInput, events: SensorMachineEvent[]) {
  let [snap] = initialTransition(sensorMachine, input);
  for (const e of events) [snap] = transition(sensorMachine, snap, e);
  return snap;
}

const coded = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('sensor machine (pure transitions)', () => {
  it('starts offline and connects when started', () => {
    expect(sensorStateName(run(camera, []).value)).toBe('offline');
    expect(sensorStateName(run(camera, [{ type: 'START' }]).value)).toBe('initializing');
  });

  it('refuses requests it cannot take without changing state', () => {
    const [snap0] = initialTransition(sensorMachine, camera);
    const [snap, actions] = transition(sensorMachine, snap0, { type: 'CAPTURE', cid: 'c1' });
    expect(sensorStateName(snap.value)).toBe('offline');
    const emitted = actions.filter((a) => (a.type as string) === 'xstate.emit');
    expect(emitted).toHaveLength(1);
    // A camera does not stream.
    const [, acts] = transition(sensorMachine, snap0, { type: 'STREAM.START', cid: 's1' });
    expect(acts.some((a) => (a.type as string) === 'xstate.emit')).toBe(true);
  });

  it('counts captures and losses from the port in any state', () => {
    const snap = run(camera, [
      { type: 'PORT.CAPTURE', index: 0 },
      { type: 'PORT.CAPTURE', index: 1 },
      { type: 'PORT.CAPTURE_LOST', index: 2, reason: 'storage' },
    ]);
    expect(snap.context.count).toBe(2);
    expect(snap.context.lost).toBe(1);
  });

  it('backoff doubles from the base and stops at the cap', () => {
    const c = { retryBase_ms: 1000, retryMax_ms: 8000 };
    expect([1, 2, 3, 4, 5, 9].map((failures) => retryDelay_ms({ ...c, failures }))).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
  });
});

/** An actor whose side effects are scripted: `connectOk` decides each connection attempt. */
function start(input: SensorInput, clock: VirtualClock, script: { connectOk: () => boolean; captureCode?: string; streamCalls?: string[] }) {
  let index = 0;
  // As the runtime's wiring does: a settled side effect tells the virtual clock to let it land.
  const settle = async <T>(fn: () => T | Promise<T>): Promise<T> => {
    try {
      return await fn();
    } finally {
      clock.notifyAsync();
    }
  };
  const machine = sensorMachine.provide({
    actors: {
      connect: fromPromise<{ model: string }, SensorOpInput>(() =>
        settle(() => {
          if (!script.connectOk()) throw coded('SENSOR.NO_LINK', 'no answer');
          return { model: 'test-model' };
        }),
      ),
      capture: fromPromise<{ index: number }, SensorOpInput>(() =>
        settle(() => {
          if (script.captureCode) throw coded(script.captureCode);
          return { index: index++ };
        }),
      ),
      configure: fromPromise<void, SensorOpInput>(async ({ input: i }) => {
        if (i.settings?.['iso'] === -1) throw coded('SENSOR.INVALID', 'iso out of range');
      }),
      startStreaming: fromPromise<void, SensorOpInput>(async () => {
        script.streamCalls?.push('start');
      }),
      stopStreaming: fromPromise<void, SensorOpInput>(async () => {
        script.streamCalls?.push('stop');
      }),
    },
  });
  const actor = createActor(machine, { input, clock });
  const emitted: SensorEmitted[] = [];
  actor.on('*', (e) => emitted.push(e));
  actor.start();
  actor.send({ type: 'START' });
  return { actor, emitted, state: () => sensorStateName(actor.getSnapshot().value) };
}

describe('sensor machine under the virtual clock', () => {
  it('retries a failing connection with exponential backoff, then becomes ready', async () => {
    const clock = new VirtualClock();
    const attempts: number[] = [];
    const s = start({ ...camera, retryBase_ms: 1000, retryMax_ms: 4000 }, clock, {
      connectOk: () => {
        attempts.push(clock.now());
        return attempts.length > 4;
      },
    });
    await clock.run({ until: 20_000, stopWhen: () => s.state() === 'ready' });
    expect(s.state()).toBe('ready');
    // Failures at 0, 1000, 3000, 7000 → retries after 1, 2, 4, 4 (capped) s.
    expect(attempts).toEqual([0, 1000, 3000, 7000, 11000]);
    expect(s.emitted.filter((e) => e.type === 'sensor.error').map((e) => (e as { retryIn_ms: number }).retryIn_ms)).toEqual([1000, 2000, 4000, 4000]);
    expect(s.actor.getSnapshot().context.failures).toBe(0);
    expect(s.actor.getSnapshot().context.model).toBe('test-model');
  });

  it('times out a connection that never answers', async () => {
    const clock = new VirtualClock();
    const machine = sensorMachine.provide({ actors: { connect: fromPromise<{ model: string }, SensorOpInput>(() => new Promise(() => {})) } });
    const actor = createActor(machine, { input: { ...camera, connectTimeout_ms: 5000 }, clock });
    actor.start();
    actor.send({ type: 'START' });
    await clock.run({ until: 5_500 });
    expect(sensorStateName(actor.getSnapshot().value)).toBe('error');
    expect(actor.getSnapshot().context.lastError?.code).toBe('SENSOR.TIMEOUT');
    actor.stop();
  });

  it('captures with a result per request; a second request while busy is refused', async () => {
    const clock = new VirtualClock();
    const s = start(camera, clock, { connectOk: () => true });
    await clock.run({ until: 10, stopWhen: () => s.state() === 'ready' });
    s.actor.send({ type: 'CAPTURE', cid: 'a' });
    expect(s.state()).toBe('capturing');
    s.actor.send({ type: 'CAPTURE', cid: 'b' });
    await clock.advance(1);
    const results = s.emitted.filter((e) => e.type === 'capture.result');
    expect(results).toEqual([
      { type: 'capture.result', cid: 'b', result: { ok: false, code: 'SENSOR.BUSY', message: 'a request is in progress' } },
      { type: 'capture.result', cid: 'a', result: { ok: true, index: 0 } },
    ]);
    expect(s.state()).toBe('ready');
  });

  it('configure: a refused setting is a result and the sensor stays ready', async () => {
    const clock = new VirtualClock();
    const s = start(camera, clock, { connectOk: () => true });
    await clock.run({ until: 10, stopWhen: () => s.state() === 'ready' });
    s.actor.send({ type: 'CONFIGURE', settings: { iso: -1 }, cid: 'bad' });
    await clock.advance(1);
    s.actor.send({ type: 'CONFIGURE', settings: { iso: 200 }, cid: 'good' });
    await clock.advance(1);
    expect(s.emitted.filter((e) => e.type === 'configure.result')).toEqual([
      { type: 'configure.result', cid: 'bad', result: { ok: false, code: 'SENSOR.INVALID', message: 'iso out of range' } },
      { type: 'configure.result', cid: 'good', result: { ok: true } },
    ]);
    expect(s.state()).toBe('ready');
  });

  it('a capture that finds the camera gone sends it to error, and it recovers', async () => {
    const clock = new VirtualClock();
    const script = { connectOk: () => true, captureCode: 'SENSOR.NO_LINK' as string | undefined };
    const s = start({ ...camera, retryBase_ms: 2000 }, clock, script);
    await clock.run({ until: 10, stopWhen: () => s.state() === 'ready' });
    s.actor.send({ type: 'CAPTURE', cid: 'x' });
    await clock.advance(1);
    expect(s.state()).toBe('error');
    script.captureCode = undefined;
    await clock.advance(1_999);
    expect(s.state()).toBe('ready');
  });

  it('sensor_failure: error, retries while the port refuses, back when it answers', async () => {
    const clock = new VirtualClock();
    let failed = false;
    const s = start({ ...camera, retryBase_ms: 1000 }, clock, { connectOk: () => !failed });
    await clock.run({ until: 10, stopWhen: () => s.state() === 'ready' });
    failed = true;
    s.actor.send({ type: 'FAULT.FAILURE', reason: 'sensor_failure injected' });
    expect(s.state()).toBe('error');
    expect(s.actor.getSnapshot().context.lastError).toEqual({ code: 'SENSOR.FAILED', message: 'sensor_failure injected' });
    await clock.advance(10_000);
    expect(s.state()).toBe('error');
    failed = false;
    await clock.advance(16_000);
    expect(s.state()).toBe('ready');
  });

  it('health failed or a lost link takes an online sensor to error; degraded does not', async () => {
    const clock = new VirtualClock();
    const s = start(camera, clock, { connectOk: () => true });
    await clock.run({ until: 10, stopWhen: () => s.state() === 'ready' });
    s.actor.send({ type: 'PORT.HEALTH', state: 'degraded', message: 'warm' });
    expect(s.state()).toBe('ready');
    expect(s.actor.getSnapshot().context.health).toBe('degraded');
    s.actor.send({ type: 'PORT.HEALTH', state: 'failed', message: 'overheat' });
    expect(s.state()).toBe('error');
    await clock.advance(1_000);
    expect(s.state()).toBe('ready');
    s.actor.send({ type: 'PORT.LINK', up: false });
    expect(s.state()).toBe('error');
    expect(s.actor.getSnapshot().context.lastError?.code).toBe('SENSOR.NO_LINK');
  });

  it('a LiDAR streams when ready, stops on request, and resumes streaming after recovering', async () => {
    const clock = new VirtualClock();
    const calls: string[] = [];
    const s = start(lidar, clock, { connectOk: () => true, streamCalls: calls });
    await clock.run({ until: 10, stopWhen: () => s.state() === 'streaming' });
    expect(s.state()).toBe('streaming');
    s.actor.send({ type: 'PORT.STREAMING', on: false });
    expect(s.state()).toBe('error');
    await clock.advance(1_000);
    expect(s.state()).toBe('streaming');
    s.actor.send({ type: 'STREAM.STOP', cid: 'stop' });
    await clock.advance(1);
    expect(s.state()).toBe('ready');
    expect(calls).toEqual(['start', 'start', 'stop']);
    // A LiDAR does not capture.
    s.actor.send({ type: 'CAPTURE', cid: 'c' });
    expect(s.emitted.at(-1)).toMatchObject({ type: 'capture.result', result: { ok: false, code: 'SENSOR.UNSUPPORTED' } });
  });

  it('STOP takes it offline from anywhere; its context stays a plain value', async () => {
    const clock = new VirtualClock();
    const s = start(lidar, clock, { connectOk: () => true });
    await clock.run({ until: 10, stopWhen: () => s.state() === 'streaming' });
    s.actor.send({ type: 'STOP' });
    expect(s.state()).toBe('offline');
    const ctx = s.actor.getSnapshot().context;
    expect(JSON.parse(JSON.stringify(ctx))).toEqual(ctx);
  });
});
