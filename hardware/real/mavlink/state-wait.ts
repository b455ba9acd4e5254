/**
 * Waiting on the vehicle's own state, on the session's clock: polls a predicate over what the
 * telemetry mapper last heard (HEARTBEAT armed bit, custom mode), and retries a command the
 * vehicle refused only for now (MAV_RESULT_TEMPORARILY_REJECTED) with a bounded backoff.
 *
 * @remarks
 * Why read back: on a lossy link a COMMAND_ACK can be lost while the command took effect (PX4
 * answers a resent COMMAND_LONG it already executed with a fresh ACK only if that one arrives).
 * After a VEHICLE.TIMEOUT the next HEARTBEATs say what the vehicle did.
 * Why retry: PX4 Commander answers every refused mode change with TEMPORARILY_REJECTED,
 * including "mission not checked yet" right after an upload (0.2–0.4 s wall for 561 items).
 */
import { fail } from '../../../core/result.js';
import type { VehicleResult } from '../../vehicle.port.js';
import type { MavSession } from './session.js';

const POLL_MS = 20;

/**
 * Resolves true as soon as `pred()` holds, false after `timeoutMs` (clock ms) or when `signal`
 * aborts. Polls every 20 ms of clock time.
 */
export function waitUntil(session: MavSession, pred: () => boolean, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  if (pred()) return Promise.resolve(true);
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const deadline = session.clock.now() + timeoutMs;
    let cancel = () => {};
    const done = (v: boolean) => {
      cancel();
      signal?.removeEventListener('abort', onAbort);
      resolve(v);
      session.clock.notifyAsync();
    };
    const onAbort = () => done(false);
    const poll = () => {
      if (pred()) return done(true);
      const left = deadline - session.clock.now();
      if (left <= 0) return done(false);
      cancel = session.after(Math.min(POLL_MS, left), poll);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    poll();
  });
}

/** A plain delay on the session clock; false if aborted first. */
export function delay(session: MavSession, ms: number, signal?: AbortSignal): Promise<boolean> {
  return waitUntil(session, () => false, ms, signal).then(() => !signal?.aborted);
}

/** Was this a MAV_RESULT_TEMPORARILY_REJECTED answer? */
export function isTemporarilyRejected(r: VehicleResult<unknown>): boolean {
  return !r.ok && r.error.code === 'VEHICLE.COMMAND_DENIED' && r.error.context?.['result'] === 'TEMPORARILY_REJECTED';
}

export interface BackoffOptions {
  /** First wait, ms of autopilot time (default 250); each next one doubles. */
  readonly firstMs?: number;
  /** Longest single wait, ms of autopilot time (default 2000). */
  readonly maxStepMs?: number;
  /** Stop retrying once this much autopilot time has been spent waiting (default 5000). */
  readonly budgetMs?: number;
}

/**
 * Runs `attempt` and, while it is TEMPORARILY_REJECTED, again after 250, 500, 1000, 2000… ms of
 * autopilot time until `budgetMs` of waiting is spent; the last refusal is returned with
 * `context.attempts`. An abort ends the wait with VEHICLE.TIMEOUT (`context.aborted`).
 */
export async function retryTemporarilyRejected<T>(
  session: MavSession,
  attempt: () => Promise<VehicleResult<T>>,
  opts: BackoffOptions = {},
  signal?: AbortSignal,
): Promise<VehicleResult<T>> {
  const first = opts.firstMs ?? 250;
  const maxStep = opts.maxStepMs ?? 2000;
  const budget = opts.budgetMs ?? 5000;
  let waited = 0;
  let step = first;
  let attempts = 1;
  let r = await attempt();
  while (isTemporarilyRejected(r) && waited < budget) {
    const wait = Math.min(step, maxStep, budget - waited);
    if (!(await delay(session, session.ms(wait), signal))) return fail('VEHICLE.TIMEOUT', 'aborted by caller while retrying', { context: { aborted: true, attempts } });
    waited += wait;
    step *= 2;
    attempts++;
    r = await attempt();
  }
  if (!r.ok && attempts > 1) return fail(r.error.code, `${r.error.message} (after ${attempts} attempts over ${(waited / 1000).toFixed(2)} s)`, { ...(r.error.cause !== undefined ? { cause: r.error.cause } : {}), context: { ...r.error.context, attempts } });
  return r;
}
