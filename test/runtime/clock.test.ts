import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createActor, createMachine } from 'xstate';
import { VirtualClock, sleep, waitOnClock } from '../../core/clock.js';

describe('VirtualClock', () => {
  it('fires timers in time order, same-instant timers in the order they were set', () => {
    const clock = new VirtualClock();
    const seen: string[] = [];
    clock.setTimeout(() => seen.push('b@20'), 20);
    clock.setTimeout(() => seen.push('a@10'), 10);
    clock.setTimeout(() => seen.push('c@20'), 20);
    const h = clock.setTimeout(() => seen.push('cancelled'), 15);
    clock.clearTimeout(h);
    clock.advanceSync(25);
    expect(seen).toEqual(['a@10', 'b@20', 'c@20']);
    expect(clock.now()).toBe(25);
    expect(clock.pending).toBe(0);
  });

  it('orders any set of timers by (time, insertion)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 200 }), (delays) => {
        const clock = new VirtualClock();
        const fired: [number, number][] = [];
        delays.forEach((d, i) => clock.setTimeout(() => fired.push([clock.now(), i]), d));
        clock.advanceSync(2000);
        const expected = delays.map((d, i) => [d, i] as [number, number]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        expect(fired).toEqual(expected);
      }),
    );
  });

  it('lets promise continuations run at the sim time they belong to', async () => {
    const clock = new VirtualClock();
    const times: number[] = [];
    const chain = async () => {
      await sleep(clock, 100);
      times.push(clock.now());
      await sleep(clock, 50);
      times.push(clock.now());
    };
    void chain();
    clock.setTimeout(() => times.push(-clock.now()), 120);
    await clock.run({ until: 1000 });
    expect(times).toEqual([100, -120, 150]);
  });

  it('drives XState delayed transitions: a 20-minute timer takes no wall time', async () => {
    const clock = new VirtualClock();
    const machine = createMachine({ initial: 'a', states: { a: { after: { 1_200_000: 'b' } }, b: {} } });
    const actor = createActor(machine, { clock }).start();
    await clock.run({ until: 1_199_999 });
    expect(actor.getSnapshot().value).toBe('a');
    await clock.advance(1);
    expect(actor.getSnapshot().value).toBe('b');
  });

  it('stops on stopWhen and on an abort signal', async () => {
    const clock = new VirtualClock();
    let n = 0;
    const tick = () => {
      n++;
      clock.setTimeout(tick, 10);
    };
    tick();
    await clock.run({ stopWhen: () => n >= 5 });
    expect(clock.now()).toBe(40);
    const ac = new AbortController();
    clock.setTimeout(() => ac.abort(), 100);
    await clock.run({ signal: ac.signal, until: 10_000 });
    expect(clock.now()).toBe(140);
  });

  it('paced runs track wall time at the requested speed', async () => {
    const clock = new VirtualClock();
    const tick = () => clock.setTimeout(tick, 20);
    tick();
    const t0 = performance.now();
    await clock.run({ until: 200, speed: 1 });
    const wall = performance.now() - t0;
    expect(wall).toBeGreaterThanOrEqual(150);
    expect(wall).toBeLessThan(1500);
  });

  it('waitOnClock: the first value wins, else the fallback at the timeout or on abort; listeners are released', async () => {
    const clock = new VirtualClock();
    const listeners = new Set<(v: number) => void>();
    const listen = (settle: (v: number) => void) => {
      listeners.add(settle);
      return [() => listeners.delete(settle)];
    };
    const first = waitOnClock(clock, 1_000, -1, listen);
    clock.setTimeout(() => [...listeners].forEach((l) => l(7)), 300);
    await clock.advance(2_000);
    expect(await first).toBe(7);
    expect(listeners.size).toBe(0);

    const timedOut = waitOnClock(clock, 1_000, -1, listen);
    await clock.advance(999);
    expect(listeners.size).toBe(1);
    await clock.advance(1);
    expect(await timedOut).toBe(-1);
    expect(listeners.size).toBe(0);

    const ac = new AbortController();
    const aborted = waitOnClock(clock, 1_000, -2, listen, ac.signal);
    ac.abort();
    expect(await aborted).toBe(-2);
    expect(listeners.size).toBe(0);
    expect(clock.pending).toBe(0);
  });
});
