/**
 * Which ROS topics the bridge offers for a twin, their types, and the bus topic each one is
 * made from.
 *
 * @remarks
 * Fixed at server creation from `twin.vehicleIds`, so `subscribe` to a topic that does not exist
 * fails at once (as rosbridge does when it cannot infer a type). Topics whose messages come only
 * on change (`/<vehicle>/state`, `/mission/status`) are *latched*: a new subscriber first gets
 * the current value built from the twin, so a dashboard opened mid-mission is not blank until
 * the next change.
 */
import type { Twin } from '../actors/twin.js';
import type { MissionStatusMsg, VehicleStateMsg } from '../actors/bus.js';
import { missionStatusMessage } from '../machines/mission.machine.js';
import type { OutgoingMessage } from './encoding.js';
import { batteryState, missionStatusString, navSatFix, poseStamped, ROS_TYPES, vehicleState } from './ros-messages.js';

export interface TopicDef {
  /** The ROS topic name, e.g. `/drone1/pose`. */
  readonly name: string;
  /** Its ROS message type. */
  readonly type: string;
  /** The bus topic it is made from. */
  readonly busTopic: string;
  /** Further bus topics it is made from too (one ROS topic fed by every vehicle: `/tf`). */
  readonly moreBusTopics?: readonly string[];
  /** Bus message → ROS message (run once per bus message, whatever the number of clients). */
  readonly toRos: (msg: never) => unknown;
  /** For latched topics: the current value(s), sent to a new subscriber. */
  readonly current?: () => unknown[];
  /**
   * For topics whose message needs I/O (an image or a scan read from the blob store): bus message
   * → the message to fan out, once per bus message whatever the number of clients; undefined
   * skips it. Used instead of `toRos` when present; at most one runs per topic at a time and only
   * the newest waiting bus message is kept (older ones are counted as skipped).
   */
  readonly load?: (msg: never) => Promise<OutgoingMessage | undefined>;
  /** Like `current`, for latched values that need I/O (the latest image). */
  readonly currentLater?: () => Promise<OutgoingMessage[]>;
}

/** Topics a client may publish to (`/<vehicle>/cmd`), with their type. */
export interface InboundTopicDef {
  readonly name: string;
  readonly type: string;
  readonly vehicle: string;
}

export interface TopicCatalog {
  readonly topics: ReadonlyMap<string, TopicDef>;
  readonly inbound: ReadonlyMap<string, InboundTopicDef>;
}

/** @param extra further topics (the sensors'), fixed with the rest. */
export function buildTopicCatalog(twin: Twin, extra: readonly TopicDef[] = []): TopicCatalog {
  const topics = new Map<string, TopicDef>();
  const add = (def: TopicDef) => topics.set(def.name, def);
  const inbound = new Map<string, InboundTopicDef>();
  for (const v of twin.vehicleIds) {
    add({ name: `/${v}/pose`, type: ROS_TYPES.pose, busTopic: `/${v}/pose`, toRos: poseStamped as TopicDef['toRos'] });
    add({ name: `/${v}/global_position`, type: ROS_TYPES.globalPosition, busTopic: `/${v}/telemetry`, toRos: navSatFix as TopicDef['toRos'] });
    add({ name: `/${v}/battery`, type: ROS_TYPES.battery, busTopic: `/${v}/battery`, toRos: batteryState as TopicDef['toRos'] });
    add({ name: `/${v}/telemetry`, type: ROS_TYPES.telemetry, busTopic: `/${v}/telemetry`, toRos: (m: unknown) => m });
    add({
      name: `/${v}/state`,
      type: ROS_TYPES.state,
      busTopic: `/${v}/state`,
      toRos: vehicleState as TopicDef['toRos'],
      current: () => {
        const s = currentVehicleState(twin, v);
        return s ? [vehicleState(s)] : [];
      },
    });
    inbound.set(`/${v}/cmd`, { name: `/${v}/cmd`, type: ROS_TYPES.command, vehicle: v });
  }
  add({
    name: '/mission/status',
    type: ROS_TYPES.missionStatus,
    busTopic: '/mission/status',
    toRos: missionStatusString as TopicDef['toRos'],
    current: () => twin.vehicleIds.flatMap((v) => {
      const m = currentMissionStatus(twin, v);
      return m ? [missionStatusString(m)] : [];
    }),
  });
  for (const def of extra) add(def);
  return { topics, inbound };
}

/** The vehicle's state as the twin would publish it now; undefined before the twin started. */
function currentVehicleState(twin: Twin, vehicle: string): VehicleStateMsg | undefined {
  try {
    const ctx = twin.vehicleContext(vehicle);
    const state = twin.vehicleState(vehicle);
    return {
      vehicle,
      t_ms: twin.clock.now(),
      link: state.startsWith('connected'),
      armed: ctx.armed,
      mode: ctx.mode,
      landed: ctx.landed,
      state,
    };
  } catch {
    return undefined;
  }
}

function currentMissionStatus(twin: Twin, vehicle: string): MissionStatusMsg | undefined {
  try {
    const ctx = twin.mission(vehicle).context();
    return { vehicle, t_ms: twin.clock.now(), ...missionStatusMessage(twin.missionStatus(vehicle), ctx) };
  } catch {
    return undefined;
  }
}
