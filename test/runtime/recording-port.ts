/**
 * A vehicle port wrapper for runtime tests: records every call that reaches the port (start and
 * end in clock time, how many were open at once), and can slow calls down or replace them.
 */
import type { Clock } from '../../core/clock.js';
import { fail } from '../../core/result.js';
import type { VehiclePort, VehicleResult } from '../../hardware/vehicle.port.js';

export const COMMAND_METHODS = ['arm', 'disarm', 'takeoff', 'land', 'returnToLaunch', 'hold', 'goto', 'uploadMission', 'startMission', 'clearMission'] as const;
export type CommandMethod = (typeof COMMAND_METHODS)[number];

export interface PortCall {
  readonly method: CommandMethod;
  readonly start: number;
  end?: number;
  aborted?: boolean;
  result?: VehicleResult;
}

export interface RecordingOptions {
  /** Clock ms each call of a method spends before it reaches the inner port (honours the signal). */
  readonly delay_ms?: Partial<Record<CommandMethod, number>> | number;
  /** Replaces a method: receives the inner port's call (`forward`) and the signal. */
  readonly override?: Partial<Record<CommandMethod, (forward: () => Promise<VehicleResult>, signal?: AbortSignal) => Promise<VehicleResult>>>;
}

/** Waits `ms` of clock time; false when the signal aborted first. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clock.clearTimeout(h);
      resolve(false);
      clock.notifyAsync();
    };
    const h = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
      clock.notifyAsync();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function recordingPort(inner: VehiclePort, clock: Clock, options: RecordingOptions = {}) {
  const calls: PortCall[] = [];
  let open = 0;
  let maxOpen = 0;
  const delayOf = (m: CommandMethod) => (typeof options.delay_ms === 'number' ? options.delay_ms : options.delay_ms?.[m] ?? 0);
  const wrap = (method: CommandMethod, forward: (signal?: AbortSignal) => Promise<VehicleResult>) => async (signal?: AbortSignal): Promise<VehicleResult> => {
    const call: PortCall = { method, start: clock.now() };
    calls.push(call);
    maxOpen = Math.max(maxOpen, ++open);
    try {
      const delay = delayOf(method);
      if (delay > 0 && !(await sleep(clock, delay, signal))) {
        call.aborted = true;
        return (call.result = fail('VEHICLE.TIMEOUT', 'aborted by caller', { context: { aborted: true } }));
      }
      const custom = options.override?.[method];
      call.result = custom ? await custom(() => forward(signal), signal) : await forward(signal);
      if (signal?.aborted) call.aborted = true;
      return call.result;
    } finally {
      open--;
      call.end = clock.now();
    }
  };
  const port: VehiclePort = {
    ...inner,
    arm: wrap('arm', (s) => inner.arm(s)),
    disarm: wrap('disarm', (s) => inner.disarm(s)),
    takeoff: (alt_m, signal) => wrap('takeoff', (s) => inner.takeoff(alt_m, s))(signal),
    land: wrap('land', (s) => inner.land(s)),
    returnToLaunch: wrap('returnToLaunch', (s) => inner.returnToLaunch(s)),
    hold: wrap('hold', (s) => inner.hold(s)),
    goto: (target, signal) => wrap('goto', (s) => inner.goto(target, s))(signal),
    uploadMission: (items, signal) => wrap('uploadMission', (s) => inner.uploadMission(items, s))(signal),
    startMission: wrap('startMission', (s) => inner.startMission(s)),
    clearMission: wrap('clearMission', (s) => inner.clearMission(s)),
  };
  return { port, calls, maxOpen: () => maxOpen, methods: () => calls.map((c) => c.method) };
}
