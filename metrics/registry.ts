/**
 * The Prometheus registry every service shares (prom-client).
 *
 * @remarks
 * Hot paths pay almost nothing: bus totals and per-vehicle link/battery figures are read from
 * the bus's and the twin's own counters when Prometheus scrapes (`collect`), not counted per
 * message; the event-log observer does one map update per discrete event. The bridge owns its
 * gauges (`metrics.bridge.*`) and sets them itself.
 *
 * @example
 * const metrics = createMetrics();
 * metrics.observeBus(twin.bus);
 * metrics.observeTwin(twin);
 * twin.log.addSink((e) => metrics.observeEvent(e));
 * res.type(metrics.contentType).send(await metrics.text());
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Bus } from '../actors/bus.js';
import type { LogEntry } from '../actors/event-log.js';
import type { Twin } from '../actors/twin.js';

/** What the bridge sets (ws clients, messages, drops); plain prom-client metrics. */
export interface BridgeMetrics {
  /** Connected WebSocket clients. */
  readonly clients: Gauge;
  /** Outgoing messages dropped, by reason (`backpressure`, `throttle`, `closed`…). */
  readonly dropped: Counter<'reason'>;
  /** Messages through the bridge, by direction (`in` | `out`). */
  readonly messages: Counter<'direction'>;
}

export interface Metrics {
  readonly registry: Registry;
  readonly contentType: string;
  readonly bridge: BridgeMetrics;
  readonly http: { readonly duration: Histogram<'method' | 'route' | 'status'> };
  readonly storage: {
    readonly rows: Counter<'table'>;
    readonly batchSeconds: Histogram;
  };
  /** Counts bus messages at scrape time from the bus's own counters. */
  observeBus(bus: Bus): () => void;
  /** Per-vehicle link, telemetry age and battery, read from the twin at scrape time. */
  observeTwin(twin: Twin): () => void;
  /** Feed every event-log entry (an `EventLog` sink or the storage sink's `observe`). */
  observeEvent(entry: LogEntry): void;
  /** The exposition text for `GET /metrics`. */
  text(): Promise<string>;
}

export interface MetricsOptions {
  /** Process metrics (CPU, memory, event-loop lag, GC). Default true. */
  readonly defaults?: boolean;
  /** Prefix of every metric name. Default `twin_`. */
  readonly prefix?: string;
}

const RUNTIME_SOURCES = new Set(['fleet', 'twin', 'scenario']);
/** Bounded label for an event source: `vehicle`, `mission`, `fleet`… or `port` for a vehicle id. */
const sourceKind = (source: string): string => {
  const i = source.indexOf(':');
  if (i > 0) return source.slice(0, i);
  return RUNTIME_SOURCES.has(source) ? source : 'port';
};

/** Sensor event sources are `<vehicle>/<sensor>`; vehicles' are bare ids, runtime ones `kind:id`. */
const isSensorSource = (source: string): boolean => source.includes('/') && !source.includes(':');
const splitSensor = (source: string): [string, string] => {
  const i = source.indexOf('/');
  return [source.slice(0, i), source.slice(i + 1)];
};
/** The twin's sensors, or none for a twin without the sensor API (a replay). */
function sensorsOf(twin: Twin): ReturnType<Twin['sensors']> {
  try {
    return typeof twin.sensors === 'function' ? twin.sensors() : [];
  } catch {
    return [];
  }
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const p = options.prefix ?? 'twin_';
  const registry = new Registry();
  if (options.defaults ?? true) collectDefaultMetrics({ register: registry, prefix: p });
  const registers = [registry];

  const buses = new Set<Bus>();
  const twins = new Set<Twin>();
  /** Current state of each vehicle / mission actor, from the event log. */
  const vehicleState = new Map<string, string>();
  const missionState = new Map<string, string>();
  const linkUp = new Map<string, boolean>();

  new Counter({
    name: `${p}bus_messages_published_total`,
    help: 'Messages published on the topic bus (listened to or not)',
    registers,
    collect() {
      let n = 0;
      for (const b of buses) n += b.published;
      this.reset();
      this.inc(n);
    },
  });
  new Counter({
    name: `${p}bus_messages_delivered_total`,
    help: 'Messages published on topics with at least one subscriber, by topic',
    labelNames: ['topic'],
    registers,
    collect() {
      this.reset();
      for (const b of buses) for (const [topic, n] of Object.entries(b.stats())) this.inc({ topic }, n);
    },
  });
  const events = new Counter({
    name: `${p}actor_events_total`,
    help: 'Event-log entries, by source kind and type',
    labelNames: ['source', 'type'],
    registers,
  });
  new Gauge({
    name: `${p}vehicles_in_state`,
    help: 'Vehicles whose vehicle actor is in each state (occupancy)',
    labelNames: ['state'],
    registers,
    collect() {
      this.reset();
      for (const s of vehicleState.values()) this.inc({ state: s });
    },
  });
  new Gauge({
    name: `${p}missions_in_status`,
    help: 'Mission actors in each status (occupancy)',
    labelNames: ['status'],
    registers,
    collect() {
      this.reset();
      for (const s of missionState.values()) this.inc({ status: s });
    },
  });
  new Gauge({
    name: `${p}vehicle_link_up`,
    help: '1 while the datalink to the vehicle is up, from the port link events',
    labelNames: ['vehicle'],
    registers,
    collect() {
      this.reset();
      for (const [vehicle, up] of linkUp) this.set({ vehicle }, up ? 1 : 0);
    },
  });
  const linkLosses = new Counter({
    name: `${p}vehicle_link_losses_total`,
    help: 'Datalink losses per vehicle',
    labelNames: ['vehicle'],
    registers,
  });
  new Gauge({
    name: `${p}vehicle_telemetry_age_seconds`,
    help: 'Clock time since the last telemetry sample per vehicle (link quality)',
    labelNames: ['vehicle'],
    registers,
    collect() {
      this.reset();
      for (const t of twins)
        for (const v of t.vehicleIds) {
          const last = t.latest(v).telemetry;
          if (last) this.set({ vehicle: v }, Math.max(0, (t.clock.now() - last.t_ms) / 1000));
        }
    },
  });
  new Gauge({
    name: `${p}vehicle_battery_remaining_ratio`,
    help: 'Battery remaining (0..1) per vehicle',
    labelNames: ['vehicle'],
    registers,
    collect() {
      this.reset();
      for (const t of twins)
        for (const v of t.vehicleIds) {
          const last = t.latest(v).telemetry;
          if (last) this.set({ vehicle: v }, last.battery.remaining_pct / 100);
        }
    },
  });
  new Gauge({
    name: `${p}vehicle_gps_satellites`,
    help: 'Satellites used per vehicle',
    labelNames: ['vehicle'],
    registers,
    collect() {
      this.reset();
      for (const t of twins)
        for (const v of t.vehicleIds) {
          const last = t.latest(v).telemetry;
          if (last) this.set({ vehicle: v }, last.gps.satellites);
        }
    },
  });

  // Sensors: captures and losses from the event log, scans and points from the bus (scans are
  // continuous data and stay off the log), health from the twin at scrape time.
  const sensorCaptures = new Counter({ name: `${p}sensor_captures_total`, help: 'Images stored per camera (port.capture)', labelNames: ['vehicle', 'sensor'], registers });
  const sensorLost = new Counter({ name: `${p}sensor_captures_lost_total`, help: 'Images a camera reported lost (port.capture.lost)', labelNames: ['vehicle', 'sensor'], registers });
  const sensorScans = new Counter({ name: `${p}sensor_scans_total`, help: 'LiDAR frames completed', labelNames: ['vehicle', 'sensor'], registers });
  const sensorPoints = new Counter({ name: `${p}sensor_points_total`, help: 'LiDAR points with a return', labelNames: ['vehicle', 'sensor'], registers });
  const sensorMissing = new Counter({ name: `${p}sensor_missing_columns_total`, help: 'LiDAR columns expected but not received (packet loss)', labelNames: ['vehicle', 'sensor'], registers });
  const sensorLinkUp = new Map<string, boolean>();
  new Gauge({
    name: `${p}sensor_link_up`,
    help: '1 while the link to the sensor is up, from the port link events',
    labelNames: ['vehicle', 'sensor'],
    registers,
    collect() {
      this.reset();
      for (const [source, up] of sensorLinkUp) {
        const [vehicle, sensor] = splitSensor(source);
        this.set({ vehicle, sensor }, up ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: `${p}sensor_health`,
    help: "1 for each sensor's current health state (ok, degraded, failed, offline)",
    labelNames: ['vehicle', 'sensor', 'state'],
    registers,
    collect() {
      this.reset();
      for (const t of twins) for (const x of sensorsOf(t)) this.set({ vehicle: x.vehicle, sensor: x.sensor, state: x.health }, 1);
    },
  });
  const scanSubs = new Map<Twin, (() => void)[]>();

  const bridge: BridgeMetrics = {
    clients: new Gauge({ name: `${p}bridge_clients`, help: 'Connected bridge (rosbridge) WebSocket clients', registers }),
    dropped: new Counter({ name: `${p}bridge_dropped_messages_total`, help: 'Bridge messages dropped, by reason', labelNames: ['reason'], registers }),
    messages: new Counter({ name: `${p}bridge_messages_total`, help: 'Bridge messages, by direction', labelNames: ['direction'], registers }),
  };
  const http = {
    duration: new Histogram({
      name: `${p}http_request_duration_seconds`,
      help: 'REST API latency, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
  };
  const storage = {
    rows: new Counter({ name: `${p}storage_rows_written_total`, help: 'Rows committed by the batched writers, by table', labelNames: ['table'] as const, registers }),
    batchSeconds: new Histogram({
      name: `${p}storage_batch_seconds`,
      help: 'Time to commit one batch transaction',
      buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
      registers,
    }),
  };

  return {
    registry,
    contentType: registry.contentType,
    bridge,
    http,
    storage,
    observeBus(bus) {
      buses.add(bus);
      return () => buses.delete(bus);
    },
    observeTwin(twin) {
      twins.add(twin);
      if (!scanSubs.has(twin))
        scanSubs.set(
          twin,
          sensorsOf(twin)
            .filter((x) => x.kind === 'lidar')
            .map((x) =>
              twin.bus.subscribe(`/${x.vehicle}/${x.sensor}/scan`, (scan) => {
                const labels = { vehicle: x.vehicle, sensor: x.sensor };
                sensorScans.inc(labels);
                if (scan.points > 0) sensorPoints.inc(labels, scan.points);
                if (scan.missing_columns > 0) sensorMissing.inc(labels, scan.missing_columns);
              }),
            ),
        );
      return () => {
        twins.delete(twin);
        for (const u of scanSubs.get(twin) ?? []) u();
        scanSubs.delete(twin);
      };
    },
    observeEvent(e) {
      events.inc({ source: sourceKind(e.source), type: e.type });
      if (e.type === 'state') {
        const value = String(e.data?.value ?? '');
        if (e.source.startsWith('vehicle:')) vehicleState.set(e.source.slice(8), value.replace(/^flight\./, '').split('|')[0]!);
        else if (e.source.startsWith('mission:')) missionState.set(e.source.slice(8), value.split('.')[0]!);
      } else if (isSensorSource(e.source)) {
        // A sensor's port events (`<vehicle>/<sensor>`), not a vehicle's.
        const [vehicle, sensor] = splitSensor(e.source);
        if (e.type === 'port.capture') sensorCaptures.inc({ vehicle, sensor });
        else if (e.type === 'port.capture.lost') sensorLost.inc({ vehicle, sensor });
        else if (e.type === 'port.link') sensorLinkUp.set(e.source, e.data?.up === true);
      } else if (e.type === 'port.link') {
        const up = e.data?.up === true;
        if (!up && linkUp.get(e.source)) linkLosses.inc({ vehicle: e.source });
        linkUp.set(e.source, up);
      }
    },
    text: () => registry.metrics(),
  };
}
