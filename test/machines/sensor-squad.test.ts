import { describe, expect, it } from 'vitest';
import { createActor, fromPromise } from 'xstate';
import { VirtualClock } from '../../core/clock.js';
import { fleetMachine, sensorActorId, vehicleActorId, missionActorId, childKinds } from '../../machines/fleet.machine.js';
import { squadMachine } from '../../machines/squad.machine.js';
import { sensorMachine, type SensorOpInput } from '../../machines/sensor.machine.js';

/** A fleet whose sensor actors connect at once (no ports: the machines only). */
function fleet(squadSize: number) {
  const sensor = sensorMachine.provide({ actors: { connect: fromPromise<{ model: string }, SensorOpInput>(async () => ({ model: 'm' })) } });
  const actor = createActor(fleetMachine.provide({ actors: { squad: squadMachine.provide({ actors: { sensor } }) } }), { clock: new VirtualClock(), input: { squadSize } });
  actor.start();
  return actor;
}

const squadOf = (f: ReturnType<typeof fleet>, id: string) => f.getSnapshot().context.known.findIndex((ids) => ids[id]);

describe('child kinds (registry)', () => {
  it('has vehicle, mission, sensor and slam', () => {
    expect(Object.keys(childKinds)).toEqual(['vehicle', 'mission', 'sensor', 'slam']);
  });

  it("a vehicle's actors share one squad, whatever order they arrive in; other vehicles fill the next squads", () => {
    const f = fleet(2);
    // v3's sensor arrives before v3 itself.
    const add = (v: string) => {
      f.send({ type: 'FLEET.ADD', kind: 'vehicle', id: vehicleActorId(v), input: { vehicleId: v }, group: vehicleActorId(v) });
      f.send({ type: 'FLEET.ADD', kind: 'mission', id: missionActorId(v), input: { vehicleId: v }, group: vehicleActorId(v) });
      f.send({ type: 'FLEET.ADD', kind: 'sensor', id: sensorActorId(v, 'cam'), input: { vehicleId: v, sensorId: 'cam', kind: 'camera' }, group: vehicleActorId(v) });
    };
    add('v1');
    add('v2');
    f.send({ type: 'FLEET.ADD', kind: 'sensor', id: sensorActorId('v3', 'os1'), input: { vehicleId: 'v3', sensorId: 'os1', kind: 'lidar' }, group: vehicleActorId('v3') });
    add('v3');
    for (const v of ['v1', 'v2']) expect([vehicleActorId(v), missionActorId(v), sensorActorId(v, 'cam')].map((id) => squadOf(f, id))).toEqual([0, 0, 0]);
    expect([sensorActorId('v3', 'os1'), vehicleActorId('v3'), missionActorId('v3'), sensorActorId('v3', 'cam')].map((id) => squadOf(f, id))).toEqual([1, 1, 1, 1]);
    // Every child is a live actor (v3 was not taken for a duplicate of its sensor's group).
    for (const id of [vehicleActorId('v3'), missionActorId('v3'), sensorActorId('v3', 'os1')]) expect(f.system.get(id), id).toBeDefined();
    const cam = f.system.get(sensorActorId('v3', 'cam'));
    expect(cam?.getSnapshot().value).toBe('offline');
    // A duplicate is ignored.
    const before = f.getSnapshot().context.added;
    f.send({ type: 'FLEET.ADD', kind: 'vehicle', id: vehicleActorId('v1'), input: { vehicleId: 'v1' }, group: vehicleActorId('v1') });
    expect(f.getSnapshot().context.added).toBe(before);
    f.stop();
  });
});
