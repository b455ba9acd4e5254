/**
 * The services the bridge offers (`call_service` → `service_response`), each mapped to a twin
 * request that carries the caller's correlation id into the event log.
 *
 * @remarks
 * Responses are std_srvs/Trigger-shaped (`{success, message}`) for every command: a request the
 * twin *refuses* (START while IDLE, a takeoff PX4 denies) is a successful call with
 * `success: false`, as in ROS; a call that cannot be made at all (bad arguments, unknown
 * vehicle, not allowed) is a failed call (`result: false`, rosbridge's convention). Mission
 * requests are answered from the mission actor's state right after the event (XState processes
 * a `send` synchronously); vehicle commands wait for the command's result in the event log.
 * Read-only `/rosapi/*` services let `ROSLIB.Ros#getTopics`/`getServices` work.
 */
import type { Twin } from '../actors/twin.js';
import type { MissionStatus } from '../machines/mission.machine.js';
import { COMMAND_SERVICES, commandFromService } from './commands.js';
import type { CommandWaiter } from './internal/command-waiter.js';
import type { TopicCatalog } from './topic-catalog.js';

export type Role = 'viewer' | 'operator' | 'admin';

/** Who a connection authenticated as. */
export interface Identity {
  readonly sub: string;
  readonly role: Role;
  /** When the token that proved it expires, seconds since the epoch (JWT `exp`); absent = never. */
  readonly exp?: number;
}

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };
export const roleAtLeast = (role: Role, min: Role): boolean => RANK[role] >= RANK[min];

export interface ServiceCall {
  readonly args: Record<string, unknown>;
  /** Correlation id: the op's `id`, or one made up by the bridge. */
  readonly cid: string;
  readonly identity: Identity;
  /** How long (wall ms) the call may wait for the twin. */
  readonly timeout_ms: number;
}

export type ServiceOutcome =
  | { readonly ok: true; readonly values: Record<string, unknown> }
  | { readonly ok: false; readonly code: string; readonly message: string };

export interface ServiceDef {
  readonly name: string;
  readonly type: string;
  /** The least role allowed to call it. */
  readonly minRole: Role;
  call(call: ServiceCall): ServiceOutcome | Promise<ServiceOutcome>;
}

const trigger = (success: boolean, message: string): ServiceOutcome => ({ ok: true, values: { success, message } });
const failed = (code: string, message: string): ServiceOutcome => ({ ok: false, code, message });

export function buildServices(twin: Twin, catalog: TopicCatalog, waiter: CommandWaiter): Map<string, ServiceDef> {
  const services = new Map<string, ServiceDef>();
  const add = (def: ServiceDef) => services.set(def.name, def);

  /** `vehicle` from the args; it may be left out only when the twin has exactly one vehicle. */
  const pickVehicle = (args: Record<string, unknown>): { vehicle: string } | { error: ServiceOutcome } => {
    const v = args.vehicle;
    if (v === undefined || v === '') {
      const ids = twin.vehicleIds;
      if (ids.length === 1) return { vehicle: ids[0]! };
      if (ids.length === 0) return { error: failed('BRIDGE.UNKNOWN_VEHICLE', 'the twin has no vehicle') };
      return { error: failed('BRIDGE.SERVICE_ARGS', `args.vehicle is required: this twin has ${ids.length} vehicles (${ids.join(', ')})`) };
    }
    if (typeof v !== 'string' || !twin.vehicleIds.includes(v))
      return { error: failed('BRIDGE.UNKNOWN_VEHICLE', `unknown vehicle ${JSON.stringify(v)}; known: ${twin.vehicleIds.join(', ')}`) };
    return { vehicle: v };
  };

  add({
    name: '/mission/load',
    type: 'overwatch_msgs/LoadMission',
    minRole: 'operator',
    call: ({ args, cid }) => {
      const raw = args.mission_json ?? args.mission;
      let mission: unknown = raw;
      if (typeof raw === 'string') {
        try {
          mission = JSON.parse(raw);
        } catch (error) {
          return failed('BRIDGE.SERVICE_ARGS', `mission_json is not JSON: ${(error as Error).message}`);
        }
      }
      if (mission === null || typeof mission !== 'object' || Array.isArray(mission))
        return failed('BRIDGE.SERVICE_ARGS', 'args.mission_json must be a mission object or its JSON text');
      const vehicle = (mission as { vehicle?: unknown }).vehicle;
      if (typeof vehicle !== 'string' || !twin.vehicleIds.includes(vehicle))
        return failed('BRIDGE.UNKNOWN_VEHICLE', `mission.vehicle ${JSON.stringify(vehicle)} is not a vehicle of this twin (${twin.vehicleIds.join(', ')})`);
      if (args.vehicle !== undefined && args.vehicle !== vehicle)
        return failed('BRIDGE.SERVICE_ARGS', `args.vehicle ${JSON.stringify(args.vehicle)} differs from mission.vehicle ${JSON.stringify(vehicle)}`);
      // The mission actor's own answer (the same result REST passes on).
      const r = twin.mission(vehicle).load(mission, cid);
      if (!r.ok) return trigger(false, `${r.error.code}: ${r.error.message}`);
      const ctx = twin.mission(vehicle).context();
      return trigger(true, `mission ${ctx.mission?.id} loaded on ${vehicle} (${ctx.progress.total_waypoints} items)`);
    },
  });

  const missionRequest = (
    name: string,
    accepted: (before: MissionStatus) => boolean,
    send: (h: ReturnType<Twin['mission']>, call: ServiceCall) => void,
    succeeded: (after: MissionStatus, h: ReturnType<Twin['mission']>) => boolean,
  ) =>
    add({
      name: `/mission/${name}`,
      type: 'std_srvs/Trigger',
      minRole: 'operator',
      call: (call) => {
        const pick = pickVehicle(call.args);
        if ('error' in pick) return pick.error;
        const h = twin.mission(pick.vehicle);
        const before = h.status();
        if (!accepted(before)) return trigger(false, `${name.toUpperCase()} is not accepted while the mission on ${pick.vehicle} is ${before}`);
        send(h, call);
        const after = h.status();
        if (succeeded(after, h)) return trigger(true, `${pick.vehicle}: mission ${after}`);
        return trigger(false, `${pick.vehicle}: mission ${after}${h.context().reason ? `: ${h.context().reason}` : ''}`);
      },
    });

  missionRequest(
    'start',
    (s) => s === 'LOADED',
    (h, c) => h.start(c.cid),
    // While the upload is still in flight START is remembered and the mission runs once it lands.
    (s, h) => s === 'RUNNING' || (s === 'LOADED' && h.context().startRequested),
  );
  missionRequest('pause', (s) => s === 'RUNNING', (h, c) => h.pause(c.cid), (s) => s === 'PAUSED');
  missionRequest('resume', (s) => s === 'PAUSED', (h, c) => h.resume(c.cid), (s) => s === 'RUNNING');
  missionRequest(
    'abort',
    (s) => s === 'LOADED' || s === 'RUNNING' || s === 'PAUSED',
    (h, c) => h.abort(typeof c.args.reason === 'string' ? c.args.reason.slice(0, 256) : `aborted by ${c.identity.sub}`, c.cid),
    (s) => s === 'ABORTED',
  );

  const commandTypes: Record<string, string> = { arm: 'mavros_msgs/CommandBool', takeoff: 'mavros_msgs/CommandTOL' };
  for (const vehicle of twin.vehicleIds) {
    for (const service of COMMAND_SERVICES) {
      add({
        name: `/${vehicle}/${service}`,
        type: commandTypes[service] ?? 'std_srvs/Trigger',
        minRole: 'operator',
        call: async ({ args, cid, timeout_ms }) => {
          const command = commandFromService(service, args);
          if (!command.ok) return failed(command.error.code, command.error.message);
          const result = waiter.wait(cid, timeout_ms);
          twin.command(vehicle, command.value, cid);
          const r = await result;
          if (r === undefined) return trigger(false, `${command.value.kind}: no result within ${timeout_ms} ms (the command may still complete)`);
          return trigger(r.ok, r.ok ? `${command.value.kind} accepted by ${vehicle}` : `${r.code}: ${r.message}`);
        },
      });
    }
  }

  // rosapi, read-only: what roslib's getTopics / getServices / getTopicType ask for.
  add({
    name: '/rosapi/topics',
    type: 'rosapi/Topics',
    minRole: 'viewer',
    call: () => {
      const defs = [...catalog.topics.values()];
      return { ok: true, values: { topics: defs.map((d) => d.name), types: defs.map((d) => d.type) } };
    },
  });
  add({
    name: '/rosapi/services',
    type: 'rosapi/Services',
    minRole: 'viewer',
    call: () => ({ ok: true, values: { services: [...services.keys()] } }),
  });
  add({
    name: '/rosapi/topic_type',
    type: 'rosapi/TopicType',
    minRole: 'viewer',
    call: ({ args }) => ({ ok: true, values: { type: catalog.topics.get(String(args.topic))?.type ?? catalog.inbound.get(String(args.topic))?.type ?? '' } }),
  });
  add({
    name: '/rosapi/service_type',
    type: 'rosapi/ServiceType',
    minRole: 'viewer',
    call: ({ args }) => ({ ok: true, values: { type: services.get(String(args.service))?.type ?? '' } }),
  });
  return services;
}
