/**
 * The per-vehicle command pipeline under the virtual clock: one operation at a time, failsafes
 * pre-empt, a bounded queue, coalescing, and a time to live measured on the clock.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../core/clock.js';
import { fail, okVoid } from '../../core/result.js';
import { CommandPipeline, type PipelineNotice, type PipelineResult, type PortOperation } from '../../actors/command-pipeline.js';
import type { VehicleResult } from '../../hardware/vehicle.port.js';

/** Operations that take `ms` of clock time, honour their signal, and record what reached the "port". */
function recorder(clock: VirtualClock) {
  const calls: { label: string; start: number; end?: number; aborted?: boolean }[] = [];
  let open = 0;
  let maxOpen = 0;
  const op = (label: string, ms: number, extra: Partial<PortOperation> = {}): PortOperation => ({
    label,
    key: label,
    ...extra,
    run: (signal) =>
      new Promise<VehicleResult>((resolve) => {
        const call: (typeof calls)[number] = { label, start: clock.now() };
        calls.push(call);
        maxOpen = Math.max(maxOpen, ++open);
        const h = clock.setTimeout(() => {
          open--;
          call.end = clock.now();
          resolve(okVoid);
          clock.notifyAsync();
        }, ms);
        signal.addEventListener('abort', () => {
          clock.clearTimeout(h);
          open--;
          call.end = clock.now();
          call.aborted = true;
          resolve(fail('VEHICLE.TIMEOUT', 'aborted by caller'));
        });
      }),
  });
  return { calls, op, maxOpen: () => maxOpen };
}

const code = (r: PipelineResult | undefined) => (r === undefined ? 'pending' : r.ok ? 'ok' : r.error.code);

describe('command pipeline', () => {
  it('runs one operation at a time, in order', async () => {
    const clock = new VirtualClock();
    const p = new CommandPipeline(clock);
    const { calls, op, maxOpen } = recorder(clock);
    const out: string[] = [];
    for (const l of ['a', 'b', 'c']) void p.submit(op(l, 1_000)).then((r) => out.push(`${l}:${code(r)}`));
    await clock.advance(5_000);
    expect(out).toEqual(['a:ok', 'b:ok', 'c:ok']);
    expect(calls.map((c) => [c.label, c.start])).toEqual([['a', 0], ['b', 1_000], ['c', 2_000]]);
    expect(maxOpen()).toBe(1);
  });

  it('a failsafe cancels the running operation and goes ahead of the queue', async () => {
    const clock = new VirtualClock();
    const p = new CommandPipeline(clock);
    const { calls, op, maxOpen } = recorder(clock);
    const results: Record<string, PipelineResult | undefined> = {};
    void p.submit(op('goto', 6_000)).then((r) => (results.goto = r));
    void p.submit(op('hold', 1_000)).then((r) => (results.hold = r));
    await clock.advance(500);
    void p.submit(op('rtl', 1_000, { priority: 'failsafe' })).then((r) => (results.rtl = r));
    await clock.advance(3_000);
    expect(code(results.goto)).toBe('VEHICLE.PREEMPTED');
    expect(code(results.rtl)).toBe('ok');
    expect(code(results.hold)).toBe('ok');
    expect(calls.map((c) => [c.label, c.start, c.end, c.aborted ?? false])).toEqual([
      ['goto', 0, 500, true],
      ['rtl', 500, 1_500, false],
      ['hold', 1_500, 2_500, false],
    ]);
    expect(maxOpen()).toBe(1);
  });

  it('a queued operation older than its time to live is dropped as stale and never sent', async () => {
    const clock = new VirtualClock();
    const notices: PipelineNotice[] = [];
    const p = new CommandPipeline(clock, { ttl_ms: 10_000 }, (n) => notices.push(n));
    const { calls, op } = recorder(clock);
    let late: PipelineResult | undefined;
    void p.submit(op('slow', 15_000));
    await clock.advance(1_000);
    void p.submit(op('takeoff', 100, { cid: 'op-7' })).then((r) => (late = r));
    await clock.advance(10_000);
    // Reported at its expiry (t = 11 s), while the slow one still holds the port.
    expect(code(late)).toBe('VEHICLE.STALE');
    expect(notices).toEqual([{ label: 'takeoff', cid: 'op-7', code: 'VEHICLE.STALE', waited_ms: 10_000 }]);
    await clock.advance(10_000);
    expect(calls.map((c) => c.label)).toEqual(['slow']);
    // Issued long ago (it waited elsewhere first): stale at once.
    const r = await p.submit(op('land', 100, { issued_ms: clock.now() - 12_000 }));
    expect(code(r)).toBe('VEHICLE.STALE');
    expect(calls.map((c) => c.label)).toEqual(['slow']);
  });

  it('bounds its queue: a full queue refuses with VEHICLE.BUSY; a failsafe evicts the newest', async () => {
    const clock = new VirtualClock();
    const p = new CommandPipeline(clock, { maxQueue: 3 });
    const { calls, op } = recorder(clock);
    const out: Record<string, string> = {};
    const submit = (l: string, extra?: Partial<PortOperation>) => void p.submit(op(l, 100, extra)).then((r) => (out[l] = code(r)));
    for (const l of ['run', 'q1', 'q2', 'q3', 'q4']) submit(l);
    await clock.advance(1);
    expect(out).toEqual({ q4: 'VEHICLE.BUSY' });
    expect(p.queued).toBe(3);
    submit('land', { priority: 'failsafe' });
    await clock.advance(1_000);
    expect(out).toMatchObject({ run: 'VEHICLE.PREEMPTED', q3: 'VEHICLE.BUSY', land: 'ok', q1: 'ok', q2: 'ok' });
    expect(calls.map((c) => c.label)).toEqual(['run', 'land', 'q1', 'q2']);
  });

  it('coalesces a repeated command: one port call, every caller gets its outcome', async () => {
    const clock = new VirtualClock();
    const p = new CommandPipeline(clock);
    const { calls, op } = recorder(clock);
    const out: string[] = [];
    void p.submit(op('arm', 500));
    for (const cid of ['x', 'y', 'z']) void p.submit(op('rtl', 500, { cid })).then((r) => out.push(`${cid}:${code(r)}`));
    await clock.advance(2_000);
    expect(out).toEqual(['x:ok', 'y:ok', 'z:ok']);
    expect(calls.map((c) => c.label)).toEqual(['arm', 'rtl']);
  });

  it('a caller that gives up withdraws its operation: queued, it is never sent; running, it is cancelled', async () => {
    const clock = new VirtualClock();
    const p = new CommandPipeline(clock);
    const { calls, op } = recorder(clock);
    const first = new AbortController();
    const second = new AbortController();
    const out: string[] = [];
    void p.submit(op('upload', 5_000), first.signal).then((r) => out.push(`upload:${code(r)}`));
    void p.submit(op('start', 100), second.signal).then((r) => out.push(`start:${code(r)}`));
    void p.submit(op('hold', 100)).then((r) => out.push(`hold:${code(r)}`));
    await clock.advance(100);
    second.abort();
    first.abort();
    await clock.advance(1_000);
    expect(out).toEqual(['start:VEHICLE.CANCELLED', 'upload:VEHICLE.CANCELLED', 'hold:ok']);
    expect(calls.map((c) => [c.label, c.aborted ?? false])).toEqual([['upload', true], ['hold', false]]);
  });

  it('a port that ignores its abort holds the failsafe back no longer than the grace', async () => {
    const clock = new VirtualClock();
    const p = new CommandPipeline(clock, { preemptGrace_ms: 250 });
    const starts: [string, number][] = [];
    const deaf: PortOperation = {
      label: 'deaf',
      run: () => (starts.push(['deaf', clock.now()]), new Promise<VehicleResult>((r) => clock.setTimeout(() => r(okVoid), 10_000))),
    };
    void p.submit(deaf);
    await clock.advance(100);
    const rtl = p.submit({ label: 'rtl', priority: 'failsafe', run: async () => (starts.push(['rtl', clock.now()]), okVoid) });
    await clock.advance(1_000);
    expect(code(await rtl)).toBe('ok');
    expect(starts).toEqual([['deaf', 0], ['rtl', 350]]);
  });

  it('dispose answers everything VEHICLE.DISPOSED and leaves no timer behind', async () => {
    const clock = new VirtualClock();
    const p = new CommandPipeline(clock);
    const { op } = recorder(clock);
    const out: string[] = [];
    const caller = new AbortController();
    // A port call that ignores its signal and never answers.
    const deaf: PortOperation = { label: 'upload', run: () => new Promise<VehicleResult>(() => {}) };
    void p.submit(deaf, caller.signal).then((r) => out.push(`upload:${code(r)}`));
    void p.submit(op('start', 100)).then((r) => out.push(`start:${code(r)}`));
    await clock.advance(10);
    caller.abort(); // withdrawn while running: a grace timer waits for the port to let go
    expect(clock.pending).toBe(2); // that grace timer and the queued start's time to live
    p.dispose();
    await clock.advance(1);
    expect(out).toEqual(['upload:VEHICLE.CANCELLED', 'start:VEHICLE.DISPOSED']);
    expect(clock.pending).toBe(0);
    expect(code(await p.submit(op('rtl', 10, { priority: 'failsafe' })))).toBe('VEHICLE.DISPOSED');
  });
});
