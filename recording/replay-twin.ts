/**
 * A read-only {@link Twin} over a bus that replay feeds: what the bridge needs to serve a
 * recording as if it were live (topics, latched state and mission status), with every command
 * refused.
 *
 * @remarks
 * The bridge builds its topic catalog from `vehicleIds` and asks the twin for the current
 * vehicle state and mission status (latched topics); this twin answers from the last recorded
 * message. Commands are answered at once in the event log (`command.result`, `ok: false`,
 * `REPLAY.READ_ONLY`), mission requests with `MISSION.NOT_ALLOWED`, so a client gets a clear
 * refusal instead of a timeout. Nothing else of the runtime exists here: `fleet`, `port` and
 * `frame` throw.
 */
import { Bus, type MissionStatusMsg, type SensorHealthMsg, type VehicleStateMsg } from '../actors/bus.js';
import { EventLog } from '../actors/event-log.js';
import type { MissionHandle, MissionRequestResult } from '../actors/mission-handle.js';
import type { SensorStatus, Twin } from '../actors/twin.js';
import { fail } from '../core/result.js';
import type { Clock } from '../core/clock.js';
import type { MissionContext, MissionStatus } from '../machines/mission.machine.js';
import type { VehicleContext } from '../machines/vehicle.machine.js';

const READ_ONLY = 'replay is read-only: the recording cannot be commanded';

export interface ReplayTwin extends Twin {
  /** Publishes a recorded bus message (and remembers the latest state and mission status). */
  publish(busTopic: string, msg: unknown): void;
}

export function createReplayTwin(options: { readonly vehicles: readonly string[]; readonly clock: Clock }): ReplayTwin {
  const { clock } = options;
  const bus = new Bus();
  const log = new EventLog({ window: 1000 });
  const states = new Map<string, VehicleStateMsg>();
  const missions = new Map<string, MissionStatusMsg>();
  const sensors = new Map<string, SensorHealthMsg>();
  const refuseSensor = async () => fail('SENSOR.DENIED' as const, READ_ONLY);
  const unsupported = (what: string) => () => {
    throw new Error(`replay: ${what} is not available on a recording`);
  };

  const missionContext = (vehicle: string): MissionContext => {
    const m = missions.get(vehicle);
    return {
      vehicleId: vehicle,
      limits: {} as MissionContext['limits'],
      ...(m?.mission_id ? { mission: { id: m.mission_id, name: m.mission_name ?? m.mission_id } as MissionContext['mission'] } : {}),
      progress: m ? { ...m.progress } : { current_waypoint: 0, total_waypoints: 0, percent_complete: 0 },
      reached: m?.progress.current_waypoint ?? 0,
      ...(m?.reason ? { reason: m.reason } : {}),
      issues: [],
      startRequested: false,
    } as MissionContext;
  };
  const missionStatus = (vehicle: string): MissionStatus => (missions.get(vehicle)?.status as MissionStatus | undefined) ?? 'IDLE';
  const refuse = (vehicle: string): MissionRequestResult => ({
    ok: false,
    status: missionStatus(vehicle),
    error: { code: 'MISSION.NOT_ALLOWED', message: READ_ONLY },
  });
  const handle = (vehicle: string): MissionHandle => ({
    load: () => refuse(vehicle),
    start: () => refuse(vehicle),
    pause: () => refuse(vehicle),
    resume: () => refuse(vehicle),
    abort: () => refuse(vehicle),
    status: () => missionStatus(vehicle),
    context: () => missionContext(vehicle),
  });
  const lastState = (vehicle: string): VehicleStateMsg => {
    const s = states.get(vehicle);
    if (!s) throw new Error(`replay: no state of ${vehicle} recorded yet`);
    return s;
  };

  return {
    clock,
    bus,
    log,
    get fleet(): Twin['fleet'] {
      return unsupported('the fleet actor')();
    },
    vehicleIds: options.vehicles,
    start: async () => {},
    stop: async () => {},
    frame: unsupported('the world frame'),
    port: unsupported('a vehicle port'),
    command(vehicle, command, cid) {
      log.append(clock.now(), `vehicle:${vehicle}`, 'command.result', { command: command.kind, ok: false, code: 'REPLAY.READ_ONLY', message: READ_ONLY }, cid);
    },
    mission: handle,
    missionStatus,
    vehicleState: (vehicle) => lastState(vehicle).state,
    vehicleContext: (vehicle) => {
      const s = lastState(vehicle);
      return { vehicleId: vehicle, armed: s.armed, mode: s.mode, landed: s.landed, failsafes: [], linkFailsafePending: false, pending: [] } as unknown as VehicleContext;
    },
    restoreMission: () => false,
    onMissionChange: () => () => {},
    latest: () => ({ north_m: 0, east_m: 0, alt_m: 0 }),
    sensors: (vehicle) =>
      [...sensors.values()]
        .filter((h) => vehicle === undefined || h.vehicle === vehicle)
        .map(
          (h): SensorStatus => ({
            vehicle: h.vehicle,
            sensor: h.sensor,
            kind: h.kind,
            state: h.machine_state,
            health: h.state as SensorStatus['health'],
            ...(h.message !== undefined ? { health_message: h.message } : {}),
            count: h.count,
            lost: h.lost,
          }),
        ),
    sensorPort: () => undefined,
    capture: refuseSensor,
    configure: refuseSensor,
    stream: refuseSensor,
    injectSensorFault: refuseSensor,
    slam: () => [],
    degradeSlam: () => false,
    publish(busTopic, msg) {
      if (busTopic === '/mission/status') {
        const m = msg as MissionStatusMsg;
        missions.set(m.vehicle, m);
      } else if (busTopic.endsWith('/health')) {
        const h = msg as SensorHealthMsg;
        if (typeof h.vehicle === 'string' && typeof h.sensor === 'string') sensors.set(`${h.vehicle}/${h.sensor}`, h);
      } else if (busTopic.endsWith('/state')) {
        const s = msg as VehicleStateMsg;
        if (typeof s.vehicle === 'string' && typeof s.state === 'string') states.set(s.vehicle, s);
      }
      (bus as unknown as Bus<Record<string, unknown>>).publish(busTopic, msg);
    },
  };
}
