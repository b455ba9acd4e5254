/**
 * The SLAM machine in isolation: lifecycle, tracking ⇄ lost hysteresis, relocalization, reset,
 * failures of the port's operations as dotted codes, the init timeout on a virtual clock.
 */
import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, initialTransition, transition } from 'xstate';
import { VirtualClock } from '../../core/clock.js';
import { slamMachine, slamStatus, type SlamEvent, type SlamOpInput } from '../../machines/slam.machine.js';

const pose = (t_ms: number, ok = true): SlamEvent => ({
  type: 'SLAM.POSE', ok, pose: { t_ms, position_m: [t_ms / 1000, 0, 0], orientation: [1, 0, 0, 0] }, ...(ok ? {} : { reason: 'SLAM.DEGENERATE' }),
});

function pure(events: SlamEvent[], limits = {}) {
  let [snap] = initialTransition(slamMachine, { vehicleId: 'd1', limits });
  for (const e of events) [snap] = transition(slamMachine, snap, e);
  return snap;
}

describe('slam machine', () => {
  it('idle → initializing on START; the first good pose → tracking; bad ones before it do not', () => {
    expect(pure([]).value).toBe('idle');
    expect(pure([{ type: 'START' }]).value).toBe('initializing');
    const s = pure([{ type: 'START' }, pose(100, false), pose(200, false), pose(300, false), pose(400)]);
    expect(s.value).toBe('tracking');
    expect(s.context.poses).toBe(1);
    expect(s.context.lastPose?.t_ms).toBe(400);
  });

  it('tracking → lost only after lostAfter bad poses in a row; recovers after recoverAfter good ones', () => {
    const start: SlamEvent[] = [{ type: 'START' }, pose(0)];
    expect(pure([...start, pose(1, false), pose(2, false), pose(3), pose(4, false), pose(5, false)]).value).toBe('tracking');
    const lost = pure([...start, pose(1, false), pose(2, false), pose(3, false)]);
    expect(lost.value).toBe('lost');
    expect(lost.context.losses).toBe(1);
    expect(lost.context.reason).toBe('SLAM.DEGENERATE');
    expect(lost.context.lastPose?.t_ms).toBe(0); // bad poses are not kept
    const back = pure([...start, pose(1, false), pose(2, false), pose(3, false), pose(4), pose(5), pose(6)]);
    expect(back.value).toBe('tracking');
    expect(pure([...start, pose(1, false), pose(2, false), pose(3, false), pose(4), pose(5, false), pose(6), pose(7)]).value).toBe('lost');
    expect(pure([...start, pose(1, false)], { lostAfter: 1 }).value).toBe('lost');
  });

  it('lost → relocalizing on RELOCALIZE (hint passed to the port) → tracking on success, lost on failure', () => {
    const lostEvents: SlamEvent[] = [{ type: 'START' }, pose(0), pose(1, false), pose(2, false), pose(3, false)];
    const reloc = pure([...lostEvents, { type: 'RELOCALIZE', hint: { position_m: [1, 2, 3] } }]);
    expect(reloc.value).toBe('relocalizing');
    expect(slamStatus(reloc.value)).toBe('relocalizing');
    // RELOCALIZE is ignored while tracking (nothing to relocalize).
    expect(pure([{ type: 'START' }, pose(0), { type: 'RELOCALIZE' }]).value).toBe('tracking');
  });

  it('RESET from tracking or lost goes through resetting back to initializing; STOP → stopped; START restarts', () => {
    const r = pure([{ type: 'START' }, pose(0), { type: 'RESET' }]);
    expect(r.value).toBe('resetting');
    expect(slamStatus(r.value)).toBe('initializing');
    const st = pure([{ type: 'START' }, pose(0), { type: 'STOP' }]);
    expect(st.value).toBe('stopped');
    const again = pure([{ type: 'START' }, pose(0), { type: 'STOP' }, { type: 'START' }]);
    expect(again.value).toBe('initializing');
    expect(again.context.poses).toBe(0);
    expect(again.context.lastPose).toBeUndefined();
  });

  it('runs with provided port operations on a virtual clock: start failure, init timeout, relocalize, reset', async () => {
    const calls: string[] = [];
    const op = (name: string, fail?: string) => fromPromise<void, SlamOpInput>(async ({ input }) => {
      calls.push(`${name}:${input.vehicleId}${input.hint ? `@${input.hint.position_m.join(',')}` : ''}`);
      if (fail) throw new Error(fail);
    });
    const clock = new VirtualClock();

    const failing = createActor(slamMachine.provide({ actors: { startSlam: op('start', 'SLAM.NO_LIDAR') } }), { input: { vehicleId: 'd1' }, clock });
    failing.start();
    failing.send({ type: 'START' });
    await clock.advance(1);
    expect(failing.getSnapshot().value).toBe('idle');
    expect(failing.getSnapshot().context.reason).toBe('SLAM.NO_LIDAR');
    failing.stop();

    const m = slamMachine.provide({ actors: { startSlam: op('start'), stopSlam: op('stop'), resetSlam: op('reset'), relocalizeSlam: op('relocalize') } });
    const a = createActor(m, { input: { vehicleId: 'd2', limits: { initTimeout_ms: 2000 } }, clock });
    a.start();
    a.send({ type: 'START' });
    await clock.advance(1999);
    expect(a.getSnapshot().value).toBe('initializing');
    await clock.advance(2);
    expect(a.getSnapshot().value).toBe('idle');
    expect(a.getSnapshot().context.reason).toBe('SLAM.INIT_TIMEOUT');

    a.send({ type: 'START' });
    a.send(pose(10));
    for (const t of [11, 12, 13]) a.send(pose(t, false));
    expect(a.getSnapshot().value).toBe('lost');
    a.send({ type: 'RELOCALIZE', hint: { position_m: [4, 5, 6] } });
    await clock.advance(1);
    expect(a.getSnapshot().value).toBe('tracking');
    a.send({ type: 'RESET' });
    await clock.advance(1);
    expect(a.getSnapshot().value).toBe('initializing');
    a.send(pose(20));
    a.send({ type: 'STOP' });
    await clock.advance(1);
    expect(a.getSnapshot().value).toBe('stopped');
    expect(calls).toEqual(['start:d1', 'start:d2', 'start:d2', 'relocalize:d2@4,5,6', 'reset:d2', 'start:d2', 'stop:d2']);
    a.stop();
  });
});
