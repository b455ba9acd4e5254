/**
 * Loads and validates a scenario file, with readable errors: file, line, path and reason.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { MissionItem } from '../../core/mission.js';
import { parseQgcPlan, parseQgcWpl, rawItemReasons, toMissionItems } from '../../core/mission-files/index.js';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { fail, ok, type Result } from '../../core/result.js';
import { ScenarioSchema, type Scenario } from './scenario.schema.js';

export interface ScenarioIssue {
  readonly file: string;
  readonly path: string;
  readonly line?: number;
  readonly column?: number;
  readonly message: string;
}

export type ScenarioErrorCode = 'SCENARIO.NOT_FOUND' | 'SCENARIO.YAML' | 'SCENARIO.INVALID';

export interface ScenarioError {
  readonly code: ScenarioErrorCode;
  readonly issues: readonly ScenarioIssue[];
}

/** Formats issues as `file:line:col: path: message`, one per line. */
export function formatIssues(issues: readonly ScenarioIssue[]): string {
  return issues
    .map((i) => `${i.file}${i.line ? `:${i.line}${i.column ? `:${i.column}` : ''}` : ''}: ${i.path}: ${i.message}`)
    .join('\n');
}

export async function loadScenarioFile(file: string): Promise<Result<Scenario, ScenarioErrorCode> & { issues?: ScenarioIssue[] }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    const issues = [{ file, path: '(file)', message: (cause as Error).message }];
    return { ...fail('SCENARIO.NOT_FOUND', formatIssues(issues), { cause }), issues };
  }
  const parsed = parseScenario(text, file);
  if (!parsed.ok) return parsed;
  return resolvePlanFiles(parsed.value, file);
}

/**
 * Replaces each `type: plan` mission with the items of its QGroundControl .plan (or QGC WPL)
 * file, read relative to the scenario file. Items the twin cannot fly are reported by path.
 */
const MAV_CMD_DO_SET_CAM_TRIGG_DIST = 206;

async function resolvePlanFiles(
  scenario: Scenario,
  file: string,
): Promise<Result<Scenario, ScenarioErrorCode> & { issues?: ScenarioIssue[] }> {
  const issues: ScenarioIssue[] = [];
  const vehicles = await Promise.all(
    scenario.vehicles.map(async (v, i) => {
      const m = v.mission;
      if (m?.type !== 'plan') return v;
      const path = `vehicles.${i}.mission.file`;
      const planPath = resolve(dirname(file), m.file);
      let text: string;
      try {
        text = await readFile(planPath, 'utf8');
      } catch (cause) {
        issues.push({ file, path, message: `cannot read ${planPath}: ${(cause as Error).message}` });
        return v;
      }
      const plan = /^\s*QGC WPL/.test(text) ? parseQgcWpl(text) : parseQgcPlan(text);
      if (!plan.ok) {
        issues.push({ file, path, message: `${m.file}: ${plan.error.message}` });
        return v;
      }
      const items: MissionItem[] = [];
      // QGC surveys trigger the camera by distance (DO_SET_CAM_TRIGG_DIST, 206) between their
      // first and last transect waypoints: the twin captures at each waypoint in that stretch.
      let triggering = false;
      let reasons: (string | undefined)[] | undefined;
      toMissionItems(plan.value).forEach((it, k) => {
        if (it.kind === 'raw' && it.item.command === MAV_CMD_DO_SET_CAM_TRIGG_DIST) triggering = (it.item.params[0] ?? 0) > 0;
        else if (it.kind === 'raw') {
          // Say why: an item the twin does not fly, or one it flies whose values are out of range.
          const why = (reasons ??= rawItemReasons(plan.value))[k];
          issues.push({ file, path, message: `${m.file}: item ${k} (MAV_CMD ${it.item.command}) ${why ? `cannot be flown: ${why}` : 'is not one the twin flies'}` });
        }
        else items.push(it.kind === 'waypoint' && triggering ? { ...it, capture: true } : it);
      });
      const home = plan.value.home;
      return {
        ...v,
        mission: {
          type: 'items' as const,
          items,
          start_at_s: m.start_at_s,
          name: m.name ?? basename(m.file),
          ...(home ? { home: { lat: home.lat_deg, lon: home.lon_deg, alt: home.alt_m } } : {}),
        },
      };
    }),
  );
  if (issues.length) return { ...fail('SCENARIO.INVALID', formatIssues(issues)), issues };
  return ok({ ...scenario, vehicles });
}

/** Parses YAML text (JSON is YAML too) into a validated scenario. */
export function parseScenario(text: string, file = '<scenario>'): Result<Scenario, ScenarioErrorCode> & { issues?: ScenarioIssue[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => {
      const pos = lineCounter.linePos(e.pos[0]);
      return { file, path: '(yaml)', line: pos.line, column: pos.col, message: e.message.split('\n')[0]! };
    });
    return { ...fail('SCENARIO.YAML', formatIssues(issues)), issues };
  }
  let data: unknown;
  try {
    // Unresolvable aliases (`*x` with no `&x`) and alias bombs surface only here.
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (cause) {
    const issues = [{ file, path: '(yaml)', message: (cause as Error).message }];
    return { ...fail('SCENARIO.YAML', formatIssues(issues), { cause }), issues };
  }
  const parsed = ScenarioSchema.superRefine(crossCheck).safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => locate(file, doc, lineCounter, i));
    return { ...fail('SCENARIO.INVALID', formatIssues(issues)), issues };
  }
  return ok(parsed.data);
}

function locate(file: string, doc: Document, lc: LineCounter, issue: z.core.$ZodIssue): ScenarioIssue {
  const path = issue.path.map(String);
  // Walk up to the nearest node that exists (a missing key reports at its parent).
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) {
      const pos = lc.linePos(node.range[0]);
      return { file, path: path.join('.') || '(root)', line: pos.line, column: pos.col, message: issue.message };
    }
  }
  return { file, path: path.join('.') || '(root)', message: issue.message };
}

/** Sensors: unique ids per vehicle; faults, actions and expectations name sensors that exist, of the right kind. */
function checkSensors(s: Scenario, ctx: z.RefinementCtx): void {
  const sensorsOf = new Map(s.vehicles.map((v) => [v.id, new Map(v.sensors.map((x) => [x.id, x.kind]))]));
  const list = (vehicle: string, kind?: 'camera' | 'lidar') =>
    [...(sensorsOf.get(vehicle) ?? new Map<string, string>())].filter(([, k]) => !kind || k === kind).map(([id]) => id).join(', ') || 'none';
  s.vehicles.forEach((v, i) => {
    const seen = new Set<string>();
    v.sensors.forEach((x, k) => {
      if (seen.has(x.id)) ctx.addIssue({ code: 'custom', path: ['vehicles', i, 'sensors', k, 'id'], message: `duplicate sensor id '${x.id}' on ${v.id}` });
      seen.add(x.id);
    });
  });
  // SLAM reads one of the vehicle's own LiDARs; its fault and expectation need a vehicle with SLAM.
  s.vehicles.forEach((v, i) => {
    if (!v.slam) return;
    const kind = sensorsOf.get(v.id)!.get(v.slam.lidar);
    if (kind === undefined)
      ctx.addIssue({ code: 'custom', path: ['vehicles', i, 'slam', 'lidar'], message: `unknown sensor '${v.slam.lidar}' on ${v.id} (LiDARs: ${list(v.id, 'lidar')})` });
    else if (kind !== 'lidar')
      ctx.addIssue({ code: 'custom', path: ['vehicles', i, 'slam', 'lidar'], message: `'${v.slam.lidar}' is a ${kind}, not a LiDAR of ${v.id} (LiDARs: ${list(v.id, 'lidar')})` });
  });
  const withSlam = new Set(s.vehicles.filter((v) => v.slam).map((v) => v.id));
  s.faults.forEach((f, i) => {
    if (f.fault.kind === 'slam_degraded' && sensorsOf.has(f.vehicle) && !withSlam.has(f.vehicle))
      ctx.addIssue({ code: 'custom', path: ['faults', i, 'fault'], message: `slam_degraded needs SLAM on ${f.vehicle} (declare vehicles[].slam)` });
  });
  // after_mission.hpc reads the vehicle's SLAM map or its LiDAR scans: it needs one of them.
  s.vehicles.forEach((v, i) => {
    const hpc = v.after_mission?.hpc;
    if (!hpc) return;
    if (hpc.source === 'slam_map' && !v.slam)
      ctx.addIssue({ code: 'custom', path: ['vehicles', i, 'after_mission', 'hpc', 'source'], message: `source slam_map needs SLAM on ${v.id} (declare vehicles[].slam, or use source: scans)` });
    if (hpc.source === 'scans' && !v.sensors.some((x) => x.kind === 'lidar'))
      ctx.addIssue({ code: 'custom', path: ['vehicles', i, 'after_mission', 'hpc', 'source'], message: `source scans needs a LiDAR on ${v.id} (vehicles[].sensors)` });
    if (!v.mission) ctx.addIssue({ code: 'custom', path: ['vehicles', i, 'after_mission'], message: `after_mission needs a mission on ${v.id}` });
  });
  const withHpc = new Set(s.vehicles.filter((v) => v.after_mission?.hpc).map((v) => v.id));
  s.expect.forEach((e, i) => {
    if (e.kind === 'hpc_job' && e.vehicle !== '*' && !withHpc.has(e.vehicle))
      ctx.addIssue({ code: 'custom', path: ['expect', i, 'vehicle'], message: `hpc_job needs after_mission.hpc on '${e.vehicle}' (vehicles with it: ${[...withHpc].join(', ') || 'none'})` });
  });
  s.expect.forEach((e, i) => {
    if (e.kind === 'slam_drift' && !withSlam.has(e.vehicle))
      ctx.addIssue({ code: 'custom', path: ['expect', i, 'vehicle'], message: `slam_drift needs SLAM on '${e.vehicle}' (vehicles with SLAM: ${[...withSlam].join(', ') || 'none'})` });
  });
  s.faults.forEach((f, i) => {
    if (f.fault.kind !== 'sensor_failure' && f.fault.kind !== 'sensor_restore') return;
    const declared = sensorsOf.get(f.vehicle);
    if (!declared) return;
    // A vehicle without declared sensors keeps the simulator's payload fault (sensor_failure only).
    if ((declared.size || f.fault.kind === 'sensor_restore') && !declared.has(f.fault.sensor))
      ctx.addIssue({ code: 'custom', path: ['faults', i, 'fault', 'sensor'], message: `unknown sensor '${f.fault.sensor}' on ${f.vehicle} (declared: ${list(f.vehicle)})` });
  });
  s.actions.forEach((a, i) => {
    if (a.action !== 'capture') {
      if (a.sensor !== undefined) ctx.addIssue({ code: 'custom', path: ['actions', i, 'sensor'], message: `only a capture action names a sensor` });
      return;
    }
    if (!sensorsOf.has(a.vehicle)) return;
    if (a.sensor === undefined) ctx.addIssue({ code: 'custom', path: ['actions', i], message: `capture needs a sensor: one of ${a.vehicle}'s cameras (${list(a.vehicle, 'camera')})` });
    else if (sensorsOf.get(a.vehicle)!.get(a.sensor) !== 'camera')
      ctx.addIssue({ code: 'custom', path: ['actions', i, 'sensor'], message: `'${a.sensor}' is not a camera of ${a.vehicle} (cameras: ${list(a.vehicle, 'camera')})` });
  });
  s.expect.forEach((e, i) => {
    if (e.kind !== 'captures' && e.kind !== 'capture_geotag' && e.kind !== 'lidar_coverage') return;
    const kind = e.kind === 'lidar_coverage' ? 'lidar' : 'camera';
    const targets = e.vehicle === '*' ? s.vehicles : s.vehicles.filter((v) => v.id === e.vehicle);
    for (const v of targets) {
      if (e.sensor !== undefined && sensorsOf.get(v.id)!.get(e.sensor) !== kind)
        ctx.addIssue({ code: 'custom', path: ['expect', i, 'sensor'], message: `'${e.sensor}' is not a ${kind} of ${v.id} (${kind}s: ${list(v.id, kind)})` });
      else if (e.kind !== 'captures' && e.sensor === undefined && list(v.id, kind) === 'none')
        ctx.addIssue({ code: 'custom', path: ['expect', i], message: `${e.kind} needs a ${kind} on ${v.id}, which declares none` });
      if (e.kind === 'lidar_coverage' && v.mission && v.mission.type !== 'survey')
        ctx.addIssue({ code: 'custom', path: ['expect', i], message: `lidar_coverage is judged over a survey polygon; ${v.id} flies a ${v.mission.type} mission` });
    }
  });
}

/** Rules across fields: unique ids, references to vehicles that exist, threshold order. */
function crossCheck(s: Scenario, ctx: z.RefinementCtx): void {
  const ids = new Set<string>();
  s.vehicles.forEach((v, i) => {
    if (ids.has(v.id)) ctx.addIssue({ code: 'custom', path: ['vehicles', i, 'id'], message: `duplicate vehicle id '${v.id}'` });
    ids.add(v.id);
    if (v.failsafe.battery_critical_pct >= v.failsafe.battery_low_pct)
      ctx.addIssue({ code: 'custom', path: ['vehicles', i, 'failsafe', 'battery_critical_pct'], message: 'must be below battery_low_pct' });
  });
  const first = s.vehicles[0]?.spawn;
  if (s.world.origin === 'home' && first && (first.north !== 0 || first.east !== 0))
    ctx.addIssue({
      code: 'custom',
      path: ['vehicles', 0, 'spawn'],
      message: "with origin 'home', positions are relative to the first vehicle's home, so its spawn must be { north: 0, east: 0 }",
    });
  const known = (id: string) => id === '*' || ids.has(id);
  s.faults.forEach((f, i) => {
    if (!ids.has(f.vehicle)) ctx.addIssue({ code: 'custom', path: ['faults', i, 'vehicle'], message: `unknown vehicle '${f.vehicle}'` });
    if (f.at_s > s.duration_s) ctx.addIssue({ code: 'custom', path: ['faults', i, 'at_s'], message: `after the end of the run (${s.duration_s} s)` });
  });
  s.actions.forEach((a, i) => {
    if (!ids.has(a.vehicle)) ctx.addIssue({ code: 'custom', path: ['actions', i, 'vehicle'], message: `unknown vehicle '${a.vehicle}'` });
  });
  s.expect.forEach((e, i) => {
    if ('vehicle' in e && !known(e.vehicle)) ctx.addIssue({ code: 'custom', path: ['expect', i, 'vehicle'], message: `unknown vehicle '${e.vehicle}'` });
  });
  checkSensors(s, ctx);
  const needsFence = s.expect.some((e) => e.kind === 'inside_geofence');
  if (needsFence && !s.world.geofence) ctx.addIssue({ code: 'custom', path: ['world', 'geofence'], message: 'inside_geofence is expected but the world has no geofence' });
}
