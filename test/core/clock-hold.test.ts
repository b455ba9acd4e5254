import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { setTimeout as wallSleep } from 'node:timers/promises';
import { VirtualClock, WallClock, holdClock, sleep } from '../../core/clock.js';

/** Outside work that takes a random wall time (a real timer, a real macrotask). */
const outsideJob = async (max_ms: number): Promise<number> => {
  const ms = Math.random() * max_ms;
  await wallSleep(ms);
  return Math.round(ms);
};

/** A small simulation: a 100 ms heartbeat, and at 250 ms and 730 ms outside jobs under holds. */
async function simulate(options: { hold: boolean; speed?: number }): Promise<string[]> {
  const clock = new VirtualClock();
  const log: string[] = [];
  const beat = () => {
    log.push(`beat@${clock.now()}`);
    if (clock.now() < 1000) clock.setTimeout(beat, 100);
  };
  clock.setTimeout(beat, 100);
  const job = (name: string) => async () => {
    log.push(`${name}.submitted@${clock.now()}`);
    const work = () => outsideJob(25);
    await (options.hold ? holdClock(clock, name, work) : work());
    log.push(`${name}.finished@${clock.now()}`);
    // What the completion schedules lands at a deterministic time too.
    await sleep(clock, 40);
    log.push(`${name}.stored@${clock.now()}`);
  };
  clock.setTimeout(() => void job('a')(), 250);
  clock.setTimeout(() => void job('b')(), 730);
  await clock.run({ until: 1200, ...(options.speed ? { speed: options.speed } : {}) });
  log.push(`end@${clock.now()}`);
  return log;
}

const sha = (l: string[]) => createHash('sha256').update(l.join('\n')).digest('hex');

describe('VirtualClock.hold', () => {
  it('makes a run wait for outside work: identical event order and stamps whatever its wall time', async () => {
    const runs = [];
    for (let i = 0; i < 6; i++) runs.push(await simulate({ hold: true }));
    const first = runs[0]!;
    expect(first).toContain('a.submitted@250');
    expect(first).toContain('a.finished@250');
    expect(first).toContain('a.stored@290');
    expect(first).toContain('b.finished@730');
    expect(first.indexOf('a.finished@250')).toBeLessThan(first.indexOf('beat@300'));
    for (const r of runs) expect(sha(r)).toBe(sha(first));
  });

  it('without the hold the run would not wait (the outcome lands after the end)', async () => {
    const log = await simulate({ hold: false });
    expect(log).not.toContain('a.finished@250');
  });

  it('a paced run does not move time past the hold, then resumes pacing', async () => {
    const clock = new VirtualClock();
    const seen: number[] = [];
    clock.setTimeout(() => {
      const h = clock.hold('slow');
      setTimeout(() => {
        seen.push(clock.now()); // read from an I/O callback while held: pinned
        h.release();
      }, 60);
    }, 10);
    clock.setTimeout(() => seen.push(clock.now()), 20);
    const t0 = performance.now();
    await clock.run({ until: 40, speed: 1 });
    expect(seen).toEqual([10, 20]);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(60);
    expect(clock.now()).toBe(40);
  });

  it('a paced run handles the outcome at the held instant too', async () => {
    const a = await simulate({ hold: true, speed: 20 });
    expect(a).toContain('a.finished@250');
    expect(a).toContain('b.finished@730');
    expect(a.indexOf('b.finished@730')).toBeLessThan(a.indexOf('beat@800'));
  });

  it('waits for a hold taken before the run, even when no timer is left', async () => {
    const clock = new VirtualClock();
    const h = clock.hold('pre');
    let fired = -1;
    setTimeout(() => {
      clock.setTimeout(() => (fired = clock.now()), 5);
      h.release();
    }, 20);
    await clock.run();
    expect(fired).toBe(5);
  });

  it('an abort ends a held run; release is idempotent; held lists reasons', async () => {
    const clock = new VirtualClock();
    const h = clock.hold('forever');
    expect(clock.held).toEqual(['forever']);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 10);
    await clock.run({ until: 100, signal: ac.signal });
    expect(clock.now()).toBe(0);
    h.release();
    h.release();
    expect(clock.held).toEqual([]);
    await clock.run({ until: 100 });
    expect(clock.now()).toBe(100);
  });

  it('holdClock releases on failure and rethrows', async () => {
    const clock = new VirtualClock();
    await expect(holdClock(clock, 'x', async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect(clock.held).toEqual([]);
  });
});

describe('WallClock.hold', () => {
  it('is a no-op', async () => {
    const clock = new WallClock({ startMs: 0 });
    const h = clock.hold('x');
    expect(h.reason).toBe('x');
    await clock.run({ until: 20 });
    expect(clock.now()).toBeGreaterThanOrEqual(20);
    h.release();
  });
});
