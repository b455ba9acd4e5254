/**
 * Vehicle command services on the ROS graph: `<ns>/arm` (std_srvs/SetBool: `data` true arms,
 * false disarms) and `<ns>/takeoff`, `<ns>/land`, `<ns>/rtl`, `<ns>/hold` (std_srvs/Trigger).
 *
 * @remarks
 * `Twin#command` queues the command; the answer waits (at most `timeout_ms` of wall time) for its
 * `command.result` in the event log, found by correlation id, as the rosbridge face does: a command
 * the vehicle refuses is `success: false` with the twin's dotted code (`VEHICLE.COMMAND_DENIED: …`);
 * no result in time says so (the command may still complete).
 */
import type { EventLog } from '../actors/event-log.js';
import type { VehicleCommand } from '../machines/vehicle.machine.js';
import type { TriggerResponse } from './mission-services.js';

export interface CommandTwin {
  readonly log: Pick<EventLog, 'addSink'>;
  command(vehicle: string, command: VehicleCommand, cid?: string): void;
}

export const VEHICLE_SERVICES = ['arm', 'takeoff', 'land', 'rtl', 'hold'] as const;
export type VehicleService = (typeof VEHICLE_SERVICES)[number];

let calls = 0;

/** The command a service call asks for (`arm` reads SetBool's `data`; anything but `false` arms). */
export function commandOf(service: VehicleService, request: Record<string, unknown>): VehicleCommand {
  if (service === 'arm') return { kind: request.data === false ? 'disarm' : 'arm' };
  return { kind: service };
}

/** Sends the command and answers with its result from the event log. */
export async function vehicleCommand(twin: CommandTwin, vehicle: string, command: VehicleCommand, timeout_ms = 10_000): Promise<TriggerResponse> {
  const cid = `ros-cmd-${++calls}`;
  const result = new Promise<Record<string, unknown> | undefined>((resolve) => {
    let remove: () => void = () => undefined;
    const timer = setTimeout(() => {
      remove();
      resolve(undefined);
    }, timeout_ms);
    remove = twin.log.addSink((entry) => {
      if (entry.type !== 'command.result' || entry.cid !== cid) return;
      clearTimeout(timer);
      remove();
      resolve(entry.data ?? {});
    });
  });
  twin.command(vehicle, command, cid);
  const r = await result;
  if (r === undefined) return { success: false, message: `${command.kind}: no result within ${timeout_ms} ms (the command may still complete)` };
  if (r.ok === true) return { success: true, message: `${command.kind} accepted by ${vehicle}` };
  return { success: false, message: `${typeof r.code === 'string' ? r.code : 'VEHICLE.FAILED'}: ${typeof r.message === 'string' ? r.message : command.kind}` };
}
