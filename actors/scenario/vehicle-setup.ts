/**
 * What a scenario asks of a vehicle that lives outside the process (a MAVLink autopilot: the
 * built-in SITL in another process, PX4 SITL, hardware): its parameters, set in the type the
 * vehicle declares, and the geofence for it to enforce itself, before any mission; and faults
 * injected into it (PX4 failure injection, or a silenced uplink for link loss).
 *
 * @remarks
 * The in-process simulator takes the same parameters and faults straight into its physics, so
 * these run only for vehicles the backend does not simulate. Every answer goes to the event log.
 */
import type { LocalFrame } from '../../core/geo.js';
import type { VehicleFault, VehicleGeofence, VehiclePort } from '../../hardware/vehicle.port.js';
import type { EventLog } from '../event-log.js';
import { toLocal } from './mission-builder.js';
import type { FaultSpec, Scenario } from './scenario.schema.js';

/** The scenario's geofence in WGS84, with the breach action the vehicle's failsafe names. */
export function vehicleGeofence(frame: LocalFrame, scenario: Scenario, action: VehicleGeofence['action']): VehicleGeofence | undefined {
  const g = scenario.world.geofence;
  if (!g) return undefined;
  const wgs84 = (p: Parameters<typeof toLocal>[1]) => {
    const l = toLocal(frame, p);
    return frame.toLatLon(l.north_m, l.east_m);
  };
  return {
    ...(g.polygon ? { polygon: g.polygon.map(wgs84) } : {}),
    ...(g.exclusions.length ? { exclusions: g.exclusions.map((poly) => poly.map(wgs84)) } : {}),
    ...(g.max_alt !== undefined ? { max_alt_m: g.max_alt } : {}),
    ...(action ? { action } : {}),
  };
}

/**
 * Sets each vehicle's scenario parameters and uploads the scenario's geofence, on the ports that
 * can; every answer is logged. Returns the parameter failures (one line each) for the report: a
 * vehicle without the scenario's parameters is not the vehicle the scenario describes. A fence
 * the vehicle refused is only logged: the twin enforces the scenario's fence itself too.
 */
export async function configureVehicles(options: {
  scenario: Scenario;
  frame: LocalFrame;
  ports: ReadonlyMap<string, VehiclePort>;
  log: EventLog;
  now: () => number;
  signal?: AbortSignal;
}): Promise<string[]> {
  const { scenario, frame, ports, log, now, signal } = options;
  const failures: string[] = [];
  await Promise.all(
    scenario.vehicles.map(async (v) => {
      const port = ports.get(v.id);
      if (!port) return;
      if (Object.keys(v.params).length && port.setParameters) {
        const r = await port.setParameters(v.params, signal);
        const outcomes = r.ok ? r.value : ((r.error.context?.outcomes as readonly unknown[] | undefined) ?? []);
        log.append(now(), 'scenario', 'vehicle.params', { vehicle: v.id, ok: r.ok, ...(r.ok ? {} : { code: r.error.code, message: r.error.message }), outcomes: outcomes as unknown[] });
        if (!r.ok) failures.push(`vehicles.${v.id}.params: ${r.error.code}: ${r.error.message}`);
      }
      const fence = vehicleGeofence(frame, scenario, v.failsafe.geofence_action);
      if (fence && port.uploadGeofence) {
        const r = await port.uploadGeofence(fence, signal);
        log.append(now(), 'scenario', 'vehicle.geofence', { vehicle: v.id, ok: r.ok, ...(r.ok ? {} : { code: r.error.code, message: r.error.message }) });
        // Not a failed run: the twin enforces the scenario's fence itself as well (geofence_action).
      }
    }),
  );
  return failures;
}

/**
 * Injects a scenario fault into a real vehicle and logs its answer when it comes: `fault` with
 * the vehicle's result (and how it differs from the simulator's fault), or `fault.refused`.
 * Returns false when the port cannot inject faults at all.
 *
 * @param signal aborted when the run ends: a pending injection is cancelled, and an answer that
 *   comes later is not logged (the run's log is closed by then).
 */
export function injectIntoVehicle(port: VehiclePort, fault: FaultSpec, log: EventLog, now: () => number, cid: string, onDone: () => void, signal?: AbortSignal): boolean {
  if (!port.injectFault) return false;
  void port.injectFault(fault as VehicleFault, signal).then((r) => {
    if (signal?.aborted) return;
    if (r.ok) log.append(now(), 'scenario', 'fault', { vehicle: port.id, ...fault, result: r.value.result, ...(r.value.note ? { note: r.value.note } : {}) }, cid);
    else log.append(now(), 'scenario', 'fault.refused', { vehicle: port.id, ...fault, code: r.error.code, reason: r.error.message }, cid);
    onDone();
  });
  return true;
}
