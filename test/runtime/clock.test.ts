import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createActor, createMachine } from 'xstate';
import { createSocket, type Socket } from 'node:dgram';
import { VirtualClock, WallClock, sleep, waitOnClock, type RunnableClock } from '../../core/clock.js';

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

  it('waitOnClock: an already-aborted signal gives the fallback at once, arming nothing', async () => {
    const clock = new VirtualClock();
    const listeners = new Set<(v: number) => void>();
    const ac = new AbortController();
    ac.abort();
    const r = waitOnClock(clock, 60_000, -3, (settle) => (listeners.add(settle), [() => listeners.delete(settle)]), ac.signal);
    const timeout = new Promise((resolve) => setTimeout(() => resolve('still waiting'), 200));
    expect(await Promise.race([r, timeout])).toBe(-3);
    expect(listeners.size).toBe(0);
    expect(clock.pending).toBe(0);
  });
});

/**
 * Field time: what a port sees when a datagram arrives. A datagram is sent `sendAfter_ms` of wall
 * time after the clock starts running; its callback reads `now()` and arms a `delay_ms` timer on
 * the clock. Returned: the wall and clock times at the callback and when the timer fired.
 */
async function ioTimer(clock: RunnableClock, speed: number, sendAfter_ms: number, delay_ms: number) {
  const rx: Socket = createSocket('udp4');
  const tx: Socket = createSocket('udp4');
  await new Promise<void>((r) => rx.bind(0, '127.0.0.1', () => r()));
  const port = rx.address().port;
  const wall0 = performance.now();
  const clock0 = clock.now();
  let fired: { clock: number; wall: number } | undefined;
  let received: { clock: number; wall: number } | undefined;
  rx.on('message', () => {
    received = { clock: clock.now(), wall: performance.now() };
    clock.setTimeout(() => {
      fired = { clock: clock.now(), wall: performance.now() };
    }, delay_ms);
  });
  // Something else is pending on the clock far ahead (a keepalive, the end of the scenario).
  clock.setTimeout(() => {}, 5_000 * speed);
  setTimeout(() => tx.send(Buffer.from('x'), port, '127.0.0.1'), sendAfter_ms);
  await clock.run({ stopWhen: () => fired !== undefined, until: 10_000 * speed, speed });
  rx.close();
  tx.close();
  return { wall0, clock0, received: received!, fired: fired! };
}

describe('field time: now() and timers from I/O callbacks', () => {
  for (const speed of [1, 4]) {
    it(`WallClock at ${speed}x: now() in a socket callback follows the wall; a timer armed there is never early`, async () => {
      const clock = new WallClock({ startMs: 0, speed });
      const { wall0, clock0, received, fired } = await ioTimer(clock, speed, 250, 100 * speed);
      // now() at the callback is the wall time elapsed (scaled), within a few ms.
      expect(Math.abs(received.clock - clock0 - (received.wall - wall0) * speed)).toBeLessThan(5 * speed);
      expect(received.clock - clock0).toBeGreaterThan(200 * speed);
      // The timer fires no earlier than asked, in clock time and in wall time, and not much later.
      expect(fired.clock - received.clock).toBeGreaterThanOrEqual(100 * speed);
      expect(fired.wall - received.wall).toBeGreaterThanOrEqual(99.5);
      expect(fired.wall - received.wall).toBeLessThan(200);
    });
  }

  it('paced VirtualClock (built-in SITL): now() in a socket callback follows the wall, not the last timer; a timer armed there is neither early nor held back', async () => {
    const clock = new VirtualClock();
    const { wall0, received, fired } = await ioTimer(clock, 1, 300, 100);
    // Before: now() read 0 (the last instant fired) and the 100 ms timer fired at 100 ms, 200 ms of wall time early.
    expect(Math.abs(received.clock - (received.wall - wall0))).toBeLessThan(15);
    expect(fired.clock - received.clock).toBeGreaterThanOrEqual(100);
    expect(fired.wall - received.wall).toBeGreaterThanOrEqual(95);
    // …and it is not held back until the next timer that was pending (5 s ahead).
    expect(fired.wall - received.wall).toBeLessThan(300);
  });

  it('a paced VirtualClock stays in order: timers due at the same instant still fire in the order set', async () => {
    const clock = new VirtualClock();
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) clock.setTimeout(() => seen.push(i), 50);
    await clock.run({ until: 100, speed: 2 });
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(clock.now()).toBe(100);
  });
});

describe('WallClock.cancelAll', () => {
  it('cancels every pending timer (a real one, that would hold the process) and says how many', async () => {
    const clock = new WallClock({ startMs: 0, speed: 10 });
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(1), 50);
    clock.setTimeout(() => fired.push(2), 100);
    const kept = clock.setTimeout(() => fired.push(3), 20);
    clock.clearTimeout(kept);
    expect(clock.pending).toBe(2);
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    expect(clock.cancelAll()).toBe(2);
    expect(clock.pending).toBe(0);
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(before - 2);
    await new Promise((r) => setTimeout(r, 30)); // 300 ms of clock time: both were due
    expect(fired).toEqual([]);
    expect(clock.cancelAll()).toBe(0);
  });
});
