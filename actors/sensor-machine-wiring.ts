/**
 * Binds the sensor machine's named side effects (`connect`, `capture`, `configure`,
 * `startStreaming`, `stopStreaming`) to sensor ports (STYLE §1–2).
 *
 * @remarks
 * A refused port call becomes a rejected actor carrying the port's dotted code, which the machine
 * turns into a request result or an error state. Each call tells the clock (`notifyAsync`) when
 * it starts and when it settles: a port answering at once settles in a microtask, which the
 * virtual clock runs before moving on only when told.
 */
import { fromPromise } from 'xstate';
import type { Clock } from '../core/clock.js';
import { fail, ok } from '../core/result.js';
import type { SensorPort, SensorResult } from '../hardware/sensor.port.js';
import type { sensorMachine, SensorOpInput } from '../machines/sensor.machine.js';
import { callPort } from './internal/child-kind.js';

/** An error with the port's dotted code: how a refused port call reaches the machine's `onError`. */
export class SensorCallError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'SensorCallError';
  }
}

/** The machine with its actors bound to `portOf(vehicle, sensor)`. */
export function wireSensorMachine(machine: typeof sensorMachine, clock: Clock, portOf: (vehicle: string, sensor: string) => SensorPort | undefined) {
  const call = <T>(input: SensorOpInput, run: (port: SensorPort) => Promise<SensorResult<T>>): Promise<T> =>
    callPort(
      clock,
      portOf(input.vehicleId, input.sensorId),
      { code: 'SENSOR.UNKNOWN', message: `no sensor ${input.sensorId} on ${input.vehicleId}` },
      run,
      (code, message) => new SensorCallError(code, message),
    );
  return machine.provide({
    actors: {
      connect: fromPromise<{ model: string }, SensorOpInput>(({ input, signal }) =>
        call(input, async (p) => {
          const r = await p.connect(signal);
          return r.ok ? ok({ model: r.value.model }) : r;
        }),
      ),
      capture: fromPromise<{ index: number }, SensorOpInput>(({ input, signal }) =>
        call(input, async (p) => {
          if (p.kind !== 'camera') return fail('SENSOR.UNSUPPORTED', 'a LiDAR does not take captures');
          // A camera that announces the capture while taking it (the simulated one decides the
          // index, time and geotag at trigger time, and stores the bytes afterwards, in wall
          // time) has answered: the request is done at the trigger instant, so the log does not
          // depend on encoding speed. Storage is confirmed by the capture event (or capture.lost).
          let announced: number | undefined;
          const off = p.subscribeEvents((ev) => {
            if (ev.type === 'capture' && announced === undefined) announced = ev.capture.index;
          });
          const pending = p.capture(signal);
          off();
          if (announced !== undefined) {
            void pending.catch(() => undefined);
            return ok({ index: announced });
          }
          const r = await pending;
          return r.ok ? ok({ index: r.value.index }) : r;
        }),
      ),
      configure: fromPromise<void, SensorOpInput>(({ input, signal }) => call(input, (p) => p.configure(input.settings ?? {}, signal))),
      startStreaming: fromPromise<void, SensorOpInput>(({ input, signal }) =>
        call(input, (p) => (p.kind === 'lidar' ? p.startStreaming(signal) : Promise.resolve(fail('SENSOR.UNSUPPORTED', 'only a LiDAR streams')))),
      ),
      stopStreaming: fromPromise<void, SensorOpInput>(({ input, signal }) =>
        call(input, (p) => (p.kind === 'lidar' ? p.stopStreaming(signal) : Promise.resolve(fail('SENSOR.UNSUPPORTED', 'only a LiDAR streams')))),
      ),
    },
  });
}
