/**
 * Port → actors: maps a vehicle port's discrete events to vehicle and mission machine events
 * (logging each one), and fans continuous telemetry out to the monitors and the bus.
 *
 * @remarks
 * Telemetry never becomes an actor event by itself: the monitors turn threshold crossings into
 * the few events the vehicle machine reacts to (DESIGN: continuous on the bus, discrete as events).
 */
import type { Logger } from '../../core/logger.js';
import type { VehicleEvent, VehicleTelemetry } from '../../hardware/vehicle.port.js';
import { topics, type Bus } from '../bus.js';
import type { VehicleMonitor } from '../monitors.js';
import type { AppendFn, ChildWatch } from './child-watch.js';

export interface PortEventDeps {
  readonly bus: Bus;
  readonly logger: Logger;
  readonly append: AppendFn;
  readonly children: ChildWatch;
  /** Link state per vehicle, as the port last reported it (written here). */
  readonly linkUp: Map<string, boolean>;
  /** Last telemetry sample per vehicle (written here). */
  readonly latestTelemetry: Map<string, VehicleTelemetry>;
}

/** Handles one port event of vehicle `id`. */
export function onPortEvent(deps: PortEventDeps, id: string, e: VehicleEvent): void {
  const { children } = deps;
  const { vehicle: _v, t_ms: _t, type, ...data } = e;
  deps.append(id, `port.${type}`, data as Record<string, unknown>);
  switch (e.type) {
    case 'link':
      deps.linkUp.set(id, e.up);
      children.sendVehicle(id, { type: e.up ? 'LINK.UP' : 'LINK.DOWN' });
      break;
    case 'armed':
      children.sendVehicle(id, { type: 'PORT.ARMED', armed: e.armed });
      if (!e.armed) children.sendMission(id, { type: 'VEHICLE.DISARMED' });
      break;
    case 'mode':
      children.sendVehicle(id, { type: 'PORT.MODE', mode: e.mode });
      break;
    case 'landed':
      children.sendVehicle(id, { type: 'PORT.LANDED', state: e.state });
      break;
    case 'mission.current':
      children.sendMission(id, { type: 'PORT.MISSION_CURRENT', seq: e.seq });
      break;
    case 'mission.reached':
      children.sendMission(id, { type: 'PORT.MISSION_REACHED', seq: e.seq });
      break;
    case 'mission.finished':
      children.sendMission(id, { type: 'PORT.MISSION_FINISHED' });
      break;
    case 'failsafe':
      children.sendVehicle(id, { type: 'PORT.FAILSAFE', reason: e.reason, action: e.action });
      children.sendMission(id, { type: 'VEHICLE.FAILSAFE', reason: `vehicle: ${e.reason}` });
      break;
    case 'statustext':
      if (e.severity === 'emergency' || e.severity === 'alert' || e.severity === 'critical')
        deps.logger.warn({ vehicle: id, text: e.text }, 'vehicle statustext');
      break;
    default:
      break;
  }
  children.publishState(id);
}

/** Telemetry fan-out of one vehicle; topic names are built once (this runs for every sample). */
export function telemetryFanOut(deps: PortEventDeps, id: string, monitor: VehicleMonitor): (t: VehicleTelemetry) => void {
  const { bus } = deps;
  const telemetryTopic = topics.telemetry(id);
  const poseTopic = topics.pose(id);
  const batteryTopic = topics.battery(id);
  return (t) => {
    deps.latestTelemetry.set(id, t);
    monitor.onTelemetry(t);
    if (bus.hasSubscribers(telemetryTopic)) bus.publish(telemetryTopic, t);
    if (bus.hasSubscribers(poseTopic))
      bus.publish(poseTopic, {
        vehicle: id,
        t_ms: t.t_ms,
        local: { north_m: monitor.north_m, east_m: monitor.east_m, down_m: -monitor.alt_m },
        position: t.position,
        alt_rel_m: t.alt_rel_m,
        heading_deg: t.heading_deg,
        velocity_ned_mps: t.velocity_ned_mps,
      });
    if (bus.hasSubscribers(batteryTopic)) bus.publish(batteryTopic, { vehicle: id, t_ms: t.t_ms, ...t.battery });
  };
}
