/**
 * The twin's face on a ROS graph: each vehicle's pose, fix, battery, odometry, TF, mission status
 * (and SLAM and sensor data when it has them) published as real ROS messages in the vehicle's
 * namespace, and its mission requests offered as ROS services — through any {@link RosNode}
 * (ROS 1 or ROS 2).
 *
 * @remarks
 * Reads the bus like the rosbridge face (bridge/) and uses the same pure message mapping
 * (hardware/real/ros/messages). Continuous topics are throttled to `rate_hz` in the twin's clock
 * (a run at `--speed max` does not flood the graph) and built only while someone subscribes;
 * mission status is latched. Images and point clouds are read from the blob store (the bus
 * carries references) only while subscribed, one at a time per topic, newest first.
 */
import type { Bus, Unsubscribe } from '../actors/bus.js';
import type { Logger } from '../core/logger.js';
import type { Result } from '../core/result.js';
import type { CaptureRef, ScanRef } from '../hardware/sensor.port.js';
import type { RosNode, RosPublisher } from '../hardware/real/ros/ros-node.port.js';
import {
  batteryState,
  clockMessage,
  compressedImage,
  missionStatusString,
  navSatFix,
  odometry,
  pointCloud2,
  poseStamped,
  tfMessage,
  TWIN_ROS_TYPES,
  type MissionStatusInput,
  type PoseInput,
} from '../hardware/real/ros/messages/twin-to-ros.mapper.js';
import { loadMission, missionTrigger, type MissionTwin, type MissionVerb } from './mission-services.js';
import { commandOf, VEHICLE_SERVICES, vehicleCommand, type CommandTwin } from './vehicle-services.js';
import { resolveName, vehicleNamespace, vehicleRosConfig, type RosConfig } from './ros-config.js';

/** What the face needs of the twin. */
export interface RosFaceTwin extends MissionTwin, CommandTwin {
  readonly bus: Pick<Bus, 'subscribe'>;
  readonly clock: { now(): number };
  missionStatus(vehicle: string): string;
  sensors?(vehicle?: string): readonly { readonly vehicle: string; readonly sensor: string; readonly kind: 'camera' | 'lidar' }[];
}

/** Reads image and scan bytes by blob key (the store's blob store). */
export interface RosBlobReader {
  get(key: string): Promise<Result<Uint8Array, string>>;
}

export interface RosFaceOptions {
  readonly logger?: Logger;
  readonly blobs?: RosBlobReader;
}

export interface RosFaceStats {
  /** Messages published per ROS topic. */
  readonly published: Record<string, number>;
  /** Service calls answered per service. */
  readonly calls: Record<string, number>;
}

export interface RosFace {
  /** Every topic the face advertised, with its type. */
  topics(): { readonly topic: string; readonly type: string }[];
  /** Every service it offers, with its type. */
  services(): { readonly service: string; readonly type: string }[];
  stats(): RosFaceStats;
  /** Unsubscribes from the bus and unadvertises everything (the node itself stays up). */
  stop(): Promise<void>;
}

interface Output {
  readonly topic: string;
  readonly type: string;
  pub?: RosPublisher;
  /** Clock ms of the last message sent (throttling). */
  last: number;
  /** Advertised on demand (the first bus message), for SLAM and sensor topics. */
  pending?: Promise<void>;
  busy?: boolean;
  next?: unknown;
}

/**
 * Starts publishing the twin on `node` and serving its mission services. Topics that always exist
 * (pose, fix, battery, odom, TF, mission status) are advertised before this resolves; SLAM and
 * sensor topics when their first message comes. A topic or service the graph refuses is logged
 * and left out; the rest go on.
 */
export async function startRosFace(twin: RosFaceTwin, node: RosNode, config: RosConfig, options: RosFaceOptions = {}): Promise<RosFace> {
  const log = options.logger;
  const dialect = node.dialect;
  const minInterval = 1000 / config.rate_hz;
  const outputs = new Map<string, Output>();
  const unsubs: Unsubscribe[] = [];
  const unservices: (() => void)[] = [];
  const services: { service: string; type: string }[] = [];
  const published: Record<string, number> = {};
  const calls: Record<string, number> = {};
  let stopped = false;

  const advertise = async (o: Output, latch = false): Promise<void> => {
    const r = await node.advertise(o.topic, o.type, { latch });
    if (!r.ok) {
      log?.warn({ topic: o.topic, code: r.error.code, err: r.error.message }, 'ros face: topic not advertised');
      return;
    }
    if (stopped) r.value.close();
    else o.pub = r.value;
  };
  const output = (topic: string, type: string): Output => {
    const o: Output = { topic, type, last: -Infinity };
    outputs.set(topic, o);
    return o;
  };
  const send = (o: Output, msg: unknown): void => {
    if (!o.pub) return;
    try {
      o.pub.publish(msg);
      published[o.topic] = (published[o.topic] ?? 0) + 1;
    } catch (error) {
      log?.warn({ topic: o.topic, err: (error as Error).message }, 'ros face: publish failed');
    }
  };
  /** Throttled in clock time; built only when someone listens. */
  const continuous = (o: Output, t_ms: number, build: () => unknown): void => {
    if (!o.pub || o.pub.subscribers() === 0) return;
    if (t_ms - o.last < minInterval && t_ms >= o.last) return;
    o.last = t_ms;
    send(o, build());
  };
  /** For topics advertised on their first message. */
  const lazily = (o: Output, go: () => void): void => {
    if (o.pub) return go();
    o.pending ??= advertise(o).then(() => {
      if (!stopped) go();
    });
  };

  const ready: Promise<void>[] = [];
  // /clock for use_sim_time nodes: a wall-time timer (the face is a service, not the runtime).
  let clockTimer: NodeJS.Timeout | undefined;
  if (config.clock_hz > 0) {
    const o = output('/clock', TWIN_ROS_TYPES.clock);
    ready.push(
      advertise(o).then(() => {
        if (stopped) return;
        clockTimer = setInterval(() => send(o, clockMessage(twin.clock.now(), dialect)), 1000 / config.clock_hz);
      }),
    );
  }
  const tf = config.tf === false ? undefined : output(config.tf, TWIN_ROS_TYPES.tf);
  if (tf) ready.push(advertise(tf));

  for (const v of twin.vehicleIds) {
    const ns = vehicleNamespace(config, v);
    const vc = vehicleRosConfig(config, v);
    const pub = vc.publish;
    const bus = twin.bus;
    if (pub.pose !== false) {
      const o = output(resolveName(ns, pub.pose), TWIN_ROS_TYPES.pose);
      ready.push(advertise(o));
      unsubs.push(bus.subscribe(`/${v}/pose`, (m) => continuous(o, m.t_ms, () => poseStamped(m, dialect))));
    }
    if (pub.odom !== false) {
      const o = output(resolveName(ns, pub.odom), TWIN_ROS_TYPES.odometry);
      ready.push(advertise(o));
      unsubs.push(bus.subscribe(`/${v}/pose`, (m) => continuous(o, m.t_ms, () => odometry(m, dialect))));
    }
    if (tf) {
      const last = { t: -Infinity };
      unsubs.push(
        bus.subscribe(`/${v}/pose`, (m) => {
          if (!tf.pub || tf.pub.subscribers() === 0) return;
          if (m.t_ms - last.t < minInterval && m.t_ms >= last.t) return;
          last.t = m.t_ms;
          send(tf, tfMessage(m, dialect));
        }),
      );
    }
    if (pub.fix !== false) {
      const o = output(resolveName(ns, pub.fix), TWIN_ROS_TYPES.fix);
      ready.push(advertise(o));
      unsubs.push(bus.subscribe(`/${v}/telemetry`, (m) => continuous(o, m.t_ms, () => navSatFix(m, dialect))));
    }
    if (pub.battery !== false) {
      const o = output(resolveName(ns, pub.battery), TWIN_ROS_TYPES.battery);
      ready.push(advertise(o));
      unsubs.push(bus.subscribe(`/${v}/battery`, (m) => continuous(o, m.t_ms, () => batteryState(m, dialect))));
    }
    if (pub.mission_status !== false) {
      const o = output(resolveName(ns, pub.mission_status), TWIN_ROS_TYPES.missionStatus);
      // Latched: a node that starts later hears the current status at once.
      ready.push(
        advertise(o, true).then(() => {
          const current = currentMissionStatus(twin, v);
          if (current) send(o, missionStatusString(current));
        }),
      );
      unsubs.push(bus.subscribe('/mission/status', (m) => {
        if (m.vehicle === v) send(o, missionStatusString(m));
      }));
    }
    if (pub.slam_pose !== false) {
      const o = output(resolveName(ns, pub.slam_pose), TWIN_ROS_TYPES.pose);
      unsubs.push(bus.subscribe(`/${v}/slam/pose`, (m) => lazily(o, () => continuous(o, m.t_ms, () => poseStamped(m, dialect)))));
    }
    if (pub.slam_odometry !== false) {
      const o = output(resolveName(ns, pub.slam_odometry), TWIN_ROS_TYPES.odometry);
      unsubs.push(bus.subscribe(`/${v}/slam/odometry`, (m) => lazily(o, () => continuous(o, m.t_ms, () => odometry(m, dialect, m)))));
    }
    if (pub.sensors) for (const s of safeSensors(twin, v)) unsubs.push(...sensorOutputs(s));

    // Mission services.
    const add = (name: string, type: string, handler: (req: Record<string, unknown>) => Promise<Record<string, unknown>> | Record<string, unknown>) => {
      const service = resolveName(ns, name);
      ready.push(
        node.advertiseService(service, type, async (req) => {
          calls[service] = (calls[service] ?? 0) + 1;
          return handler(req);
        }).then((r) => {
          if (!r.ok) return log?.warn({ service, code: r.error.code, err: r.error.message }, 'ros face: service not offered');
          if (stopped) r.value();
          else {
            unservices.push(r.value);
            services.push({ service, type });
          }
        }),
      );
    };
    add('mission/load', 'overwatch_msgs/LoadMission', (req) => loadMission(twin, v, req) as unknown as Promise<Record<string, unknown>>);
    for (const verb of ['start', 'pause', 'resume', 'abort'] as MissionVerb[])
      add(`mission/${verb}`, 'std_srvs/Trigger', () => missionTrigger(twin, v, verb) as unknown as Record<string, unknown>);
    // Vehicle commands, answered with their result from the event log.
    for (const service of VEHICLE_SERVICES)
      add(service, service === 'arm' ? 'std_srvs/SetBool' : 'std_srvs/Trigger', async (req) => (await vehicleCommand(twin, v, commandOf(service, req))) as unknown as Record<string, unknown>);
  }

  function sensorOutputs(s: { vehicle: string; sensor: string; kind: 'camera' | 'lidar' }): Unsubscribe[] {
    const blobs = options.blobs;
    if (!blobs) return [];
    const ns = vehicleNamespace(config, s.vehicle);
    const bus = twin.bus;
    if (s.kind === 'camera') {
      const o = output(resolveName(ns, `${s.sensor}/image/compressed`), TWIN_ROS_TYPES.compressedImage);
      return [
        bus.subscribe(`/${s.vehicle}/${s.sensor}/capture`, (ref: CaptureRef) =>
          lazily(o, () => heavy(o, async () => {
            if (!ref.blob_key) return undefined;
            const b = await blobs.get(ref.blob_key);
            return b.ok ? compressedImage(ref, b.value, dialect) : undefined;
          })),
        ),
      ];
    }
    const o = output(resolveName(ns, `${s.sensor}/points`), TWIN_ROS_TYPES.points);
    return [
      bus.subscribe(`/${s.vehicle}/${s.sensor}/scan`, (ref: ScanRef) =>
        lazily(o, () => heavy(o, async () => {
          if (!ref.blob_key) return undefined;
          const b = await blobs.get(ref.blob_key);
          if (!b.ok) return undefined;
          const n = Math.floor(b.value.byteLength / 16);
          return pointCloud2(ref, b.value.subarray(0, n * 16), n, dialect);
        })),
      ),
    ];
  }

  /** One blob read at a time per topic; a message arriving meanwhile replaces any waiting one. */
  function heavy(o: Output, load: () => Promise<unknown>): void {
    if (!o.pub || o.pub.subscribers() === 0) return;
    if (o.busy) {
      o.next = load;
      return;
    }
    o.busy = true;
    void (async () => {
      let job: (() => Promise<unknown>) | undefined = load;
      while (job && !stopped) {
        o.next = undefined;
        try {
          const msg = await job();
          if (msg !== undefined) send(o, msg);
        } catch (error) {
          log?.warn({ topic: o.topic, err: (error as Error).message }, 'ros face: sensor message not built');
        }
        job = o.next as (() => Promise<unknown>) | undefined;
      }
      o.busy = false;
    })();
  }

  await Promise.all(ready);
  log?.info({ node: node.name, topics: [...outputs.values()].filter((o) => o.pub).length, services: services.length }, 'ros face up');

  return {
    topics: () => [...outputs.values()].filter((o) => o.pub).map((o) => ({ topic: o.topic, type: o.type })),
    services: () => [...services],
    stats: () => ({ published: { ...published }, calls: { ...calls } }),
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(clockTimer);
      for (const u of unsubs) u();
      await Promise.all([...outputs.values()].map((o) => o.pending));
      for (const o of outputs.values()) o.pub?.close();
      for (const u of unservices) u();
    },
  };
}

function safeSensors(twin: RosFaceTwin, vehicle: string) {
  try {
    return twin.sensors?.(vehicle) ?? [];
  } catch {
    return [];
  }
}

/** The mission status of `vehicle` now, for the latched topic; undefined before the twin started. */
function currentMissionStatus(twin: RosFaceTwin, vehicle: string): MissionStatusInput | undefined {
  try {
    const ctx = twin.mission(vehicle).context();
    return {
      vehicle,
      mission_id: ctx.mission?.id ?? null,
      mission_name: ctx.mission?.name ?? null,
      status: twin.missionStatus(vehicle),
      progress: { ...ctx.progress },
      ...(ctx.reason ? { reason: ctx.reason } : {}),
    };
  } catch {
    return undefined;
  }
}

export type { PoseInput };
