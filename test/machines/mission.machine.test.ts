import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, initialTransition, transition } from 'xstate';
import { VirtualClock } from '../../core/clock.js';
import { checkMissionLoad, missionMachine, type MissionEvent, type MissionOpInput } from '../../machines/mission.machine.js';

const mission = {
  id: 'm1',
  name: 'test',
  vehicle: 'd1',
  items: [
    { kind: 'waypoint', lat_deg: 47.3977, lon_deg: 8.5456, alt_m: 20 },
    { kind: 'waypoint', lat_deg: 47.3980, lon_deg: 8.5460, alt_m: 20 },
    { kind: 'rtl' },
  ],
};

function pure(events: MissionEvent[], limits = {}) {
  let [snap] = initialTransition(missionMachine, { vehicleId: 'd1', limits });
  for (const e of events) [snap] = transition(missionMachine, snap, e);
  return snap;
}

describe('mission machine', () => {
  it('rejects a bad mission with field-level reasons and stays IDLE', () => {
    const snap = pure([{ type: 'LOAD', mission: { ...mission, items: [{ kind: 'waypoint', lat_deg: 0, lon_deg: 0, alt_m: 500 }] } }], { maxAlt_m: 120 });
    expect(snap.value).toBe('IDLE');
    expect(snap.context.issues).toEqual([
      { path: 'items.0', message: 'waypoint at 0,0 (unset position)' },
      { path: 'items.0.alt_m', message: 'altitude 500 m above the limit 120 m' },
    ]);
    const shape = pure([{ type: 'LOAD', mission: { id: 'x', items: [] } }]);
    expect(shape.context.issues.map((i) => i.path).sort()).toEqual(['items', 'name', 'vehicle']);
  });

  it('rejects waypoints outside the fence', () => {
    const fence = [
      { lat_deg: 47.39, lon_deg: 8.54 },
      { lat_deg: 47.39, lon_deg: 8.55 },
      { lat_deg: 47.3979, lon_deg: 8.55 },
      { lat_deg: 47.3979, lon_deg: 8.54 },
    ];
    const snap = pure([{ type: 'LOAD', mission }], { fence });
    expect(snap.value).toBe('IDLE');
    expect(snap.context.issues).toEqual([{ path: 'items.1', message: 'waypoint outside the geofence' }]);
  });

  it('runs LOADED → RUNNING ⇄ PAUSED → COMPLETED with monotonic progress', async () => {
    const clock = new VirtualClock();
    const calls: string[] = [];
    const op = (name: string) => fromPromise<void, MissionOpInput>(async () => { calls.push(name); });
    const actor = createActor(
      missionMachine.provide({ actors: { upload: op('upload'), launch: op('launch'), pause: op('pause'), resume: op('resume'), abort: op('abort') } }),
      { input: { vehicleId: 'd1' }, clock },
    ).start();
    actor.send({ type: 'LOAD', mission });
    actor.send({ type: 'START' }); // while uploading: remembered
    await clock.advance(1);
    expect(actor.getSnapshot().value).toEqual({ RUNNING: 'active' });
    actor.send({ type: 'PORT.MISSION_REACHED', seq: 0 });
    expect(actor.getSnapshot().context.progress).toEqual({ current_waypoint: 1, total_waypoints: 3, percent_complete: 33.3 });
    actor.send({ type: 'PORT.MISSION_REACHED', seq: 0 }); // PX4 repeats MISSION_ITEM_REACHED
    actor.send({ type: 'PORT.MISSION_CURRENT', seq: 0 }); // stale
    expect(actor.getSnapshot().context.progress.percent_complete).toBe(33.3);
    expect(actor.getSnapshot().context.progress.current_waypoint).toBe(1);
    actor.send({ type: 'PAUSE' });
    await clock.advance(1);
    expect(actor.getSnapshot().value).toBe('PAUSED');
    actor.send({ type: 'RESUME' });
    await clock.advance(1);
    expect(actor.getSnapshot().value).toEqual({ RUNNING: 'active' });
    actor.send({ type: 'PORT.MISSION_REACHED', seq: 1 });
    actor.send({ type: 'PORT.MISSION_FINISHED' });
    expect(actor.getSnapshot().value).toBe('COMPLETED');
    expect(actor.getSnapshot().context.progress.percent_complete).toBe(100);
    expect(calls).toEqual(['upload', 'launch', 'pause', 'resume']);
  });

  it('fails with the reason on a failsafe, an upload error, or a disarm mid-mission', async () => {
    const clock = new VirtualClock();
    const mk = (uploadFails: boolean) =>
      createActor(
        missionMachine.provide({
          actors: {
            upload: fromPromise<void, MissionOpInput>(async () => {
              if (uploadFails) throw new Error('MISSION.UPLOAD_TIMEOUT: no MISSION_ACK');
            }),
            launch: fromPromise<void, MissionOpInput>(async () => {}),
          },
        }),
        { input: { vehicleId: 'd1' }, clock },
      ).start();
    const a = mk(true);
    a.send({ type: 'LOAD', mission });
    await clock.advance(1);
    expect(a.getSnapshot().value).toBe('FAILED');
    expect(a.getSnapshot().context.reason).toBe('upload failed: MISSION.UPLOAD_TIMEOUT: no MISSION_ACK');

    const b = mk(false);
    b.send({ type: 'LOAD', mission });
    b.send({ type: 'START' });
    await clock.advance(1);
    b.send({ type: 'VEHICLE.FAILSAFE', reason: 'battery_low: battery low (19.0 %)' });
    expect(b.getSnapshot().value).toBe('FAILED');
    expect(b.getSnapshot().context.reason).toBe('failsafe: battery_low: battery low (19.0 %)');
    // A terminal mission accepts a new one.
    b.send({ type: 'LOAD', mission });
    expect(b.getSnapshot().value).toEqual({ LOADED: 'uploading' });

    const c = mk(false);
    c.send({ type: 'LOAD', mission });
    c.send({ type: 'START' });
    await clock.advance(1);
    c.send({ type: 'VEHICLE.DISARMED' });
    expect(c.getSnapshot().value).toBe('FAILED');
  });
});

describe('mission machine: LOAD is validated once, at the edge', () => {
  it('checkMissionLoad gives the decision LOAD.CHECKED acts on; a raw LOAD is checked once into LOAD.CHECKED', () => {
    const limits = { maxAlt_m: 120 };
    const high = { ...mission, items: [{ kind: 'waypoint', lat_deg: 47.4, lon_deg: 8.5, alt_m: 500 }] };
    const bad = checkMissionLoad(high, limits);
    expect(bad).toEqual({
      ok: false,
      issues: [{ path: 'items.0.alt_m', message: 'altitude 500 m above the limit 120 m' }],
      reason: 'mission rejected: items.0.alt_m: altitude 500 m above the limit 120 m',
    });
    const good = checkMissionLoad(mission, limits);
    expect(good.ok && good.mission.items).toHaveLength(3);
    // The machine guards on the validated result; it does not validate a LOAD.CHECKED again.
    expect(pure([{ type: 'LOAD.CHECKED', check: bad }], limits).context.reason).toBe(bad.ok ? '' : bad.reason);
    expect(pure([{ type: 'LOAD.CHECKED', check: good }], limits).value).toEqual({ LOADED: 'uploading' });
    // A raw LOAD takes the same path, with the same outcome.
    const raw = pure([{ type: 'LOAD', mission: high }], limits);
    expect(raw.value).toBe('IDLE');
    expect(raw.context.issues).toEqual(bad.ok ? [] : bad.issues);
    // LOAD while a mission is loaded: not accepted (the runtime answers MISSION.BUSY).
    const loaded = pure([{ type: 'LOAD.CHECKED', check: good }]);
    expect(loaded.can({ type: 'LOAD.CHECKED', check: good })).toBe(false);
  });
});

describe('mission machine: RESTORE (a supervisor restarting a failed actor)', () => {
  const progress = { current_waypoint: 1, total_waypoints: 3, percent_complete: 33.3 };
  const parsed = () => pure([{ type: 'LOAD', mission }]).context.mission!;

  it('puts a fresh actor back where the failed one was, from IDLE only', () => {
    const running = pure([{ type: 'RESTORE', status: 'RUNNING', mission: parsed(), progress, reached: 1 }]);
    expect(running.value).toEqual({ RUNNING: 'active' });
    expect(running.context.progress).toEqual(progress);
    expect(running.context.restored).toBe(true);
    expect(pure([{ type: 'RESTORE', status: 'FAILED', progress, reached: 1, reason: 'failsafe: x' }]).context.reason).toBe('failsafe: x');
    // Without a mission there is nothing to run: stays IDLE.
    expect(pure([{ type: 'RESTORE', status: 'RUNNING', progress, reached: 1 }]).value).toBe('IDLE');
    // Not a way around the lifecycle once a mission is loaded.
    const loaded = pure([{ type: 'LOAD', mission }, { type: 'RESTORE', status: 'COMPLETED', progress, reached: 3 }]);
    expect(loaded.value).toEqual({ LOADED: 'uploading' });
  });

  it('a restored PAUSED or ABORTED state does not command the vehicle again', async () => {
    const clock = new VirtualClock();
    const inputs: MissionOpInput[] = [];
    const op = fromPromise<void, MissionOpInput>(async ({ input }) => void inputs.push(input));
    const actor = createActor(missionMachine.provide({ actors: { pause: op, abort: op, resume: op } }), { input: { vehicleId: 'd1' }, clock }).start();
    actor.send({ type: 'RESTORE', status: 'PAUSED', mission: parsed(), progress, reached: 1 });
    await clock.advance(1);
    expect(inputs.map((i) => i.restored)).toEqual([true]);
    actor.send({ type: 'RESUME' });
    await clock.advance(1);
    actor.send({ type: 'PAUSE' });
    await clock.advance(1);
    // Leaving the restored state clears the flag: a later pause is a real command.
    expect(inputs.map((i) => Boolean(i.restored))).toEqual([true, false, false]);
  });
});
