/**
 * `twin start`'s terminal view: shows the fleet live until Ctrl-C (the twin and the services are
 * composed in compose.ts).
 * On a terminal the status table redraws in place once a second; elsewhere (CI logs, pipes) a
 * compact line per vehicle is printed every 10 sim seconds.
 */
import Table from 'cli-table3';
import type { Twin } from '../actors/twin.js';
import { loadScenarioFile } from '../actors/scenario/scenario.loader.js';
import { createLogger } from '../core/logger.js';
import { summaryTable } from './report-format.js';
import { runTwinSession } from './compose.js';
import type { OperatorServices } from './operator-services.js';
import type { BackendFactory } from '../actors/scenario/backends.js';
import type { SensorPortFactory, SlamPortFactory } from '../actors/scenario/sensor-wiring.js';
import { renderMap, type MapPoint } from './ascii-map.js';
import { toLocal } from '../actors/scenario/mission-builder.js';
import type { Scenario } from '../actors/scenario/scenario.schema.js';
import type { RunnableClock } from '../core/clock.js';

const TRAIL = 60;

/** Map glyphs: first letters when they are unique, else 1-9 then a-z. */
function glyphs(ids: readonly string[]): Map<string, string> {
  const firsts = ids.map((id) => id[0]!.toUpperCase());
  const unique = new Set(firsts).size === ids.length;
  return new Map(ids.map((id, i) => [id, unique ? firsts[i]! : '123456789abcdefghijklmnopqrstuvwxyz'[i % 35]!]));
}

function mapView(twin: Twin, scenario: Scenario, trails: Map<string, MapPoint[]>, homes: Map<string, MapPoint>): string {
  let frame;
  try {
    frame = twin.frame();
  } catch {
    return '';
  }
  const g = glyphs(twin.vehicleIds);
  const fence = scenario.world.geofence?.polygon?.map((p) => toLocal(frame, p));
  const vehicles = twin.vehicleIds.map((id) => {
    const { north_m, east_m, telemetry } = twin.latest(id);
    const position = { north_m, east_m };
    if (telemetry) {
      if (!homes.has(id)) homes.set(id, position);
      const trail = trails.get(id) ?? [];
      trail.push(position);
      if (trail.length > TRAIL) trail.shift();
      trails.set(id, trail);
    }
    const items = twin.mission(id).context().mission?.items ?? [];
    const path = items.flatMap((it) => (it.kind === 'waypoint' ? [frame.toLocal(it.lat_deg, it.lon_deg)] : []));
    return { glyph: g.get(id)!, position, trail: trails.get(id) ?? [], path, home: homes.get(id) };
  });
  const width = Math.max(40, Math.min(process.stdout.columns ?? 100, 120) - 2);
  const height = Math.max(12, Math.min(Math.floor((process.stdout.rows ?? 40) / 2), 30));
  return renderMap({ width, height, fence, vehicles });
}

function statusLines(twin: Twin): { table: string; compact: string[] } {
  const table = new Table({ head: ['vehicle', 'state', 'mode', 'mission', 'progress', 'battery', 'alt', 'position (N, E)'] });
  const compact: string[] = [];
  for (const id of twin.vehicleIds) {
    const { telemetry: t, north_m, east_m, alt_m } = twin.latest(id);
    const m = twin.mission(id).context();
    const status = twin.missionStatus(id);
    const state = twin.vehicleState(id).replace('connected.', '');
    const row = [
      id,
      state,
      t?.mode ?? '-',
      status,
      `${m.progress.percent_complete.toFixed(0)} %`,
      t ? `${t.battery.remaining_pct.toFixed(1)} %` : '-',
      `${alt_m.toFixed(1)} m`,
      `${north_m.toFixed(0)}, ${east_m.toFixed(0)}`,
    ];
    table.push(row);
    compact.push(row.join('  '));
  }
  return { table: table.toString(), compact };
}

export interface LiveViewOptions {
  readonly speed: number;
  /** Start the storage, REST API, dashboard and bridge (default true). */
  readonly services?: boolean;
  /** Stream actor events to a Stately inspector at this WebSocket URL. */
  readonly inspectUrl?: string;
  /** Where the vehicles come from (default: the simulator). */
  readonly backend?: BackendFactory;
  /** Restore the missions the last session left running (real vehicles fly on while the twin restarts). */
  readonly resume?: boolean;
  /** Seconds allowed for the vehicles to connect (default 60). */
  readonly connectTimeout_s?: number;
  /** Record the session to this MCAP file. */
  readonly record?: string;
  /** Called once the twin runs (e.g. `--gz` publishes its poses). */
  readonly onTwin?: (twin: Twin) => void;
  /** Port factories taking precedence over the defaults (`--ros`: ports fed by ROS topics). */
  readonly sensorFactory?: SensorPortFactory;
  readonly slamFactory?: SlamPortFactory;
  /** The session's clock instead of the backend's own (`--gz-world`: Gazebo's sim time). */
  readonly clock?: RunnableClock;
  /** Called once the operator services are up (e.g. `--ros` reads the store's blobs through them). */
  readonly onServices?: (services: OperatorServices) => void;
}

export async function startLiveView(file: string, options: LiveViewOptions): Promise<number> {
  const { speed } = options;
  const loaded = await loadScenarioFile(file);
  if (!loaded.ok) {
    process.stderr.write(`${loaded.error.message}\n`);
    return 2;
  }
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const tty = Boolean(process.stdout.isTTY);
  let timer: NodeJS.Timeout | undefined;
  let lastPrinted = -Infinity;
  const trails = new Map<string, MapPoint[]>();
  const homes = new Map<string, MapPoint>();
  process.stdout.write(`OverWatch Twin — ${loaded.value.name} at ${speed}x real time. Ctrl-C to stop.\n`);
  let banner = '';
  const wallStart = performance.now();
  const report = await runTwinSession({
    scenario: loaded.value,
    file,
    speed,
    logger: createLogger(),
    signal: ac.signal,
    ...(options.backend ? { backend: options.backend } : {}),
    ...(options.sensorFactory ? { sensorFactory: options.sensorFactory } : {}),
    ...(options.slamFactory ? { slamFactory: options.slamFactory } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.services !== undefined ? { services: options.services } : {}),
    ...(options.resume !== undefined ? { resume: options.resume } : {}),
    ...(options.inspectUrl ? { inspectUrl: options.inspectUrl } : {}),
    ...(options.connectTimeout_s !== undefined ? { connectTimeout_s: options.connectTimeout_s } : {}),
    ...(options.record ? { record: options.record, onRecorded: (line: string) => process.stderr.write(`${line}\n`) } : {}),
    onServices: (s) => {
      options.onServices?.(s);
      banner = `dashboard ${s.apiUrl}/  ·  REST ${s.apiUrl}/docs  ·  rosbridge ${s.bridgeUrl}`;
      process.stdout.write(`${banner}\n`);
    },
    onServicesFailed: (error) => process.stderr.write(`twin: operator services did not start: ${error.message}\n`),
    onResumed: ({ restored, skipped }) => {
      if (restored.length) process.stdout.write(`resumed the missions of ${restored.join(', ')}\n`);
      for (const s of skipped) process.stdout.write(`not resumed: ${s.vehicle}: ${s.reason}\n`);
    },
    onTwin: (twin) => {
      options.onTwin?.(twin);
      timer = setInterval(() => {
        const now_s = twin.clock.now() / 1000;
        const { table, compact } = statusLines(twin);
        const map = mapView(twin, loaded.value, trails, homes);
        if (tty) process.stdout.write(`\x1b[H\x1b[2J${loaded.value.name}  t = ${now_s.toFixed(0)} s   ${banner}\n${map}\n${table}\n`);
        else if (now_s - lastPrinted >= 10) {
          lastPrinted = now_s;
          process.stdout.write(compact.map((l) => `t=${now_s.toFixed(0)}s ${l}`).join('\n') + '\n');
        }
      }, 1000);
    },
  });
  clearInterval(timer);
  report.wallSeconds = (performance.now() - wallStart) / 1000;
  process.stdout.write(`\n${summaryTable(report, tty, ac.signal.aborted)}\n`);
  return report.errors.length > 0 ? 1 : 0;
}
