/**
 * Waiting on a vehicle port for a reported state, in clock time (never wall time).
 */
import { waitOnClock, type Clock } from '../../core/clock.js';
import type { GeoPoint } from '../../core/geo.js';
import type { VehiclePort } from '../../hardware/vehicle.port.js';

/** Resolves true once the port reports the vehicle armed, false after `timeout_ms` of clock time. */
export function whenArmed(port: VehiclePort, clock: Clock, timeout_ms: number, signal?: AbortSignal): Promise<boolean> {
  if (port.snapshot()?.armed) return Promise.resolve(true);
  return waitOnClock(clock, timeout_ms, false, (settle) => [
    port.subscribeEvents((e) => e.type === 'armed' && e.armed && settle(true)),
    // The event may have come before we listened; the next telemetry sample carries it too.
    port.subscribeTelemetry((t) => t.armed && settle(true)),
  ], signal);
}

/** The first home any port knows or reports, or undefined after `timeout_ms` of clock time. */
export function firstHome(ports: readonly VehiclePort[], clock: Clock, timeout_ms: number, signal?: AbortSignal): Promise<GeoPoint | undefined> {
  const known = ports.map((p) => p.home()).find((h) => h !== undefined);
  if (known) return Promise.resolve(known);
  return waitOnClock<GeoPoint | undefined>(
    clock,
    timeout_ms,
    undefined,
    (settle) => ports.map((p) => p.subscribeEvents((e) => e.type === 'home' && settle(e.home))),
    signal,
  );
}
