/**
 * Evaluates a scenario's expectations on a finished run. Each result says whether the
 * condition held, whether that was what the file expected, and why, in words.
 */
import type { LogEntry } from '../event-log.js';
import type { HpcJobMsg } from '../bus.js';
import type { MissionContext, MissionStatus } from '../../machines/mission.machine.js';
import type { FailsafeRecord } from '../../machines/vehicle.machine.js';
import type { RunTrace } from './run-trace.js';
import type { CoverageStats, GeotagStats } from './sensor-judge.js';
import type { SlamDriftStats } from './slam-judge.js';
import type { ExpectationSpec } from './scenario.schema.js';

export interface ExpectationResult {
  /** An expectation kind, or `invariant:<name>` for an invariant the testing library checked. */
  readonly kind: ExpectationSpec['kind'] | `invariant:${string}`;
  readonly vehicle?: string;
  /** Did the condition hold? */
  readonly held: boolean;
  readonly expected_to_fail: boolean;
  /** held XOR expected_to_fail. */
  readonly passed: boolean;
  readonly reason: string;
}

export interface RunFacts {
  readonly vehicleIds: readonly string[];
  readonly trace: RunTrace;
  readonly log: readonly LogEntry[];
  readonly missions: ReadonlyMap<string, { status: MissionStatus; context: MissionContext; startedAt_ms?: number }>;
  readonly failsafes: ReadonlyMap<string, readonly FailsafeRecord[]>;
  readonly plannedCaptures: ReadonlyMap<string, number>;
  readonly end_ms: number;
  /** The vehicles' declared sensors and what they left (absent: no sensors in this run). */
  readonly sensors?: SensorFacts;
  /** The vehicles' SLAM estimates against truth (absent: no SLAM in this run). */
  readonly slam?: SlamFacts;
  /** The `after_mission.hpc` jobs (absent: none declared). */
  readonly hpc?: HpcFacts;
}

export interface HpcFacts {
  declared(vehicle: string): boolean;
  /** The vehicle's finished job (its last `/hpc/jobs` message), if one ran. */
  outcome(vehicle: string): HpcJobMsg | undefined;
}

export interface SlamFacts {
  /** Whether the simulator's truth was known (else nothing can be judged). */
  readonly hasTruth: boolean;
  /** Why a vehicle has no SLAM in this run although it declares it (e.g. no SLAM port for this backend). */
  unavailable(vehicle: string): string | undefined;
  drift(vehicle: string): SlamDriftStats | undefined;
}

export interface SensorFacts {
  /** Declared sensor ids of a vehicle, by kind. */
  ids(vehicle: string, kind: 'camera' | 'lidar'): readonly string[];
  geotag(vehicle: string, sensor: string): GeotagStats;
  coverage(vehicle: string, sensor: string, cell_m: number): CoverageStats | undefined;
  /** `simulator` (truth) or `telemetry` (a real vehicle's own position). */
  readonly truth: 'simulator' | 'telemetry';
}

type Verdict = { held: boolean; reason: string };

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function firstLog(log: readonly LogEntry[], source: string, pred: (e: LogEntry) => boolean): LogEntry | undefined {
  return log.find((e) => e.source === source && pred(e));
}

function checkOne(spec: ExpectationSpec, vehicle: string, f: RunFacts): Verdict {
  const trace = f.trace.vehicles.get(vehicle)!;
  const mission = f.missions.get(vehicle);
  switch (spec.kind) {
    case 'mission_completed': {
      if (!mission?.context.mission) return { held: false, reason: 'no mission was flown' };
      const done = firstLog(f.log, `mission:${vehicle}`, (e) => e.type === 'state' && e.data?.value === 'COMPLETED');
      if (!done) return { held: false, reason: `mission ended ${mission.status}${mission.context.reason ? ` (${mission.context.reason})` : ''}` };
      const took = done.t_ms - (mission.startedAt_ms ?? 0);
      if (spec.within_s !== undefined && took > spec.within_s * 1000)
        return { held: false, reason: `completed after ${s(took)}, limit ${spec.within_s} s` };
      return { held: true, reason: `completed in ${s(took)}` };
    }
    case 'mission_status': {
      const status = mission?.status ?? 'IDLE';
      const reason = mission?.context.reason ?? '';
      if (status !== spec.status) return { held: false, reason: `status ${status}${reason ? ` (${reason})` : ''}, expected ${spec.status}` };
      if (spec.reason_includes && !reason.includes(spec.reason_includes))
        return { held: false, reason: `status ${status} but reason '${reason}' lacks '${spec.reason_includes}'` };
      return { held: true, reason: `status ${status}${reason ? ` (${reason})` : ''}` };
    }
    case 'inside_geofence':
      return trace.firstBreach
        ? { held: false, reason: `left the geofence at ${s(trace.firstBreach.t_ms)} (${trace.firstBreach.reason}), up to ${trace.worstOutside_m.toFixed(1)} m outside` }
        : { held: true, reason: `stayed inside over ${trace.samples} samples` };
    case 'battery_reserve': {
      const landing = trace.landings.at(-1);
      if (!landing) return { held: false, reason: 'never landed after flying' };
      return landing.battery_pct >= spec.min_pct
        ? { held: true, reason: `landed with ${landing.battery_pct.toFixed(1)} %` }
        : { held: false, reason: `landed with ${landing.battery_pct.toFixed(1)} %, below ${spec.min_pct} %` };
    }
    case 'landed': {
      const t = trace.last;
      if (!t) return { held: false, reason: 'no telemetry' };
      if (t.landed !== 'on_ground') return { held: false, reason: `not on the ground at the end (${t.landed}, ${trace.alt_m.toFixed(1)} m)` };
      if (spec.disarmed && t.armed) return { held: false, reason: 'on the ground but still armed' };
      if (spec.within_m_of_home !== undefined && trace.home) {
        const d = Math.hypot(trace.north_m - trace.home.north_m, trace.east_m - trace.home.east_m);
        if (d > spec.within_m_of_home) return { held: false, reason: `landed ${d.toFixed(1)} m from home, limit ${spec.within_m_of_home} m` };
        return { held: true, reason: `landed ${d.toFixed(1)} m from home` };
      }
      return { held: true, reason: 'on the ground' };
    }
    case 'failsafe': {
      const entry = firstLog(f.log, `vehicle:${vehicle}`, (e) => e.type === 'failsafe' && e.data?.kind === spec.failsafe);
      if (!entry) {
        const seen = (f.failsafes.get(vehicle) ?? []).map((x) => x.kind);
        return { held: false, reason: `no ${spec.failsafe} failsafe${seen.length ? ` (saw: ${seen.join(', ')})` : ''}` };
      }
      if (spec.within_s !== undefined && entry.t_ms > spec.within_s * 1000)
        return { held: false, reason: `${spec.failsafe} failsafe at ${s(entry.t_ms)}, after ${spec.within_s} s` };
      return { held: true, reason: `${spec.failsafe} failsafe at ${s(entry.t_ms)}: ${String(entry.data?.reason ?? '')}` };
    }
    case 'no_failsafe': {
      const seen = f.failsafes.get(vehicle) ?? [];
      return seen.length === 0
        ? { held: true, reason: 'no failsafe' }
        : { held: false, reason: `failsafes: ${seen.map((x) => `${x.kind} (${x.reason})`).join('; ')}` };
    }
    case 'captures': {
      const want = spec.min ?? f.plannedCaptures.get(vehicle) ?? 0;
      const cameras = spec.sensor ? [spec.sensor] : (f.sensors?.ids(vehicle, 'camera') ?? []);
      if (!cameras.length) {
        // No camera declared: the vehicle's own capture events (its autopilot's trigger).
        const n = f.log.filter((e) => e.source === vehicle && e.type === 'port.capture').length;
        return n >= want ? { held: true, reason: `${n} captures (wanted ${want})` } : { held: false, reason: `${n} captures, wanted ${want}` };
      }
      // Each camera on its own: images it stored (its port.capture entries), against the plan.
      // A camera may announce an image at trigger time and lose it when storing it (capture.lost
      // with the same index): only images announced and not lost count as taken.
      const per = cameras.map((cam) => {
        const source = `${vehicle}/${cam}`;
        const lostIdx = new Set(f.log.filter((e) => e.source === source && e.type === 'port.capture.lost').map((e) => e.data?.['index']));
        const announced = f.log.filter((e) => e.source === source && e.type === 'port.capture');
        const n = announced.filter((e) => !lostIdx.has(e.data?.['index'])).length;
        return { cam, n, lost: lostIdx.size, ok: n >= want };
      });
      const text = per.map((p) => `${p.cam}: ${p.n} taken${p.lost ? `, ${p.lost} lost` : ''}`).join('; ');
      return per.every((p) => p.ok) ? { held: true, reason: `${text} (planned ${want})` } : { held: false, reason: `${text}, planned ${want}` };
    }
    case 'capture_geotag': {
      const cameras = spec.sensor ? [spec.sensor] : (f.sensors?.ids(vehicle, 'camera') ?? []);
      if (!f.sensors || !cameras.length) return { held: false, reason: 'no camera declared on this vehicle' };
      const truth = f.sensors.truth === 'simulator' ? 'true position' : 'telemetry position';
      const bad: string[] = [];
      const good: string[] = [];
      for (const cam of cameras) {
        const g = f.sensors.geotag(vehicle, cam);
        if (g.captures === 0) bad.push(`${cam}: no captures`);
        else if (g.unjudged === g.captures) bad.push(`${cam}: no ${truth} known at any trigger time`);
        else if (g.max_m > spec.max_error_m)
          bad.push(`${cam}: image ${g.worst!.index} geotagged ${g.max_m.toFixed(2)} m from the ${truth} at ${s(g.worst!.t_ms)}, limit ${spec.max_error_m} m`);
        else good.push(`${cam}: ${g.captures - g.unjudged} geotags within ${g.max_m.toFixed(2)} m of the ${truth}${g.unjudged ? ` (${g.unjudged} not judged)` : ''}`);
      }
      return bad.length ? { held: false, reason: [...bad, ...good].join('; ') } : { held: true, reason: good.join('; ') };
    }
    case 'lidar_coverage': {
      const lidars = spec.sensor ? [spec.sensor] : (f.sensors?.ids(vehicle, 'lidar') ?? []);
      if (!f.sensors || !lidars.length) return { held: false, reason: 'no LiDAR declared on this vehicle' };
      const parts = lidars.map((id) => {
        const c = f.sensors!.coverage(vehicle, id, spec.cell_m);
        if (!c) return { ok: false, text: `${id}: no survey polygon to cover (the vehicle flies no survey)` };
        const pct = c.cells ? (100 * c.hit) / c.cells : 0;
        return {
          ok: pct >= spec.min_pct,
          text: `${id}: ${pct.toFixed(1)} % of ${c.cells} cells of ${c.cell_m} m hit by ${c.points} returns in ${c.scans} scans${c.skipped ? ` (${c.skipped} scans not placed)` : ''}${pct >= spec.min_pct ? '' : `, wanted ${spec.min_pct} %`}`,
        };
      });
      return { held: parts.every((p) => p.ok), reason: parts.map((p) => p.text).join('; ') };
    }
    case 'max_altitude':
      return trace.maxAlt_m <= spec.meters
        ? { held: true, reason: `max ${trace.maxAlt_m.toFixed(1)} m` }
        : { held: false, reason: `reached ${trace.maxAlt_m.toFixed(1)} m, limit ${spec.meters} m` };
    case 'hpc_job': {
      if (!f.hpc?.declared(vehicle)) return { held: false, reason: `${vehicle} declares no after_mission.hpc` };
      const o = f.hpc.outcome(vehicle);
      if (!o) return { held: false, reason: 'no HPC job ran (the mission did not complete)' };
      const what = o.result
        ? `${o.processing_type} of the ${o.source}: ${o.state}, ${o.result.output_points} points out, ${o.result.bytes} bytes stored at ${o.result.blob_key}`
        : `${o.processing_type} of the ${o.source}: ${o.state}${o.error ? ` (${o.error.code}: ${o.error.message})` : ''}`;
      if (o.state !== spec.state) return { held: false, reason: `${what}; expected ${spec.state}` };
      if (spec.min_output_points !== undefined && (o.result?.output_points ?? 0) < spec.min_output_points)
        return { held: false, reason: `${what}; expected at least ${spec.min_output_points} points` };
      return { held: true, reason: what };
    }
    case 'slam_drift': {
      if (!f.slam) return { held: false, reason: 'no SLAM ran in this run' };
      const why = f.slam.unavailable(vehicle);
      if (why) return { held: false, reason: `no SLAM on ${vehicle}: ${why}` };
      if (!f.slam.hasTruth) return { held: false, reason: 'no simulator truth to judge SLAM against (real vehicle)' };
      const d = f.slam.drift(vehicle);
      if (!d) return { held: false, reason: 'too few SLAM poses matched to truth' };
      if (!d.segments) return { held: false, reason: `${d.poses} poses over ${d.path_m.toFixed(1)} m: no ${d.delta_m} m RPE segment` };
      const text = `RPE ${d.rpe_pct.toFixed(2)} % over ${d.segments} segments of ${d.delta_m} m (path ${d.path_m.toFixed(1)} m, ${d.poses} poses), ATE RMSE ${d.ate_rmse_m.toFixed(2)} m`;
      const bad: string[] = [];
      if (d.rpe_pct > spec.max_rpe_pct) bad.push(`RPE limit ${spec.max_rpe_pct} %`);
      if (spec.max_ate_m !== undefined && d.ate_rmse_m > spec.max_ate_m) bad.push(`ATE limit ${spec.max_ate_m} m`);
      return { held: bad.length === 0, reason: bad.length ? `${text}; over ${bad.join(', ')}` : text };
    }
    case 'min_separation':
      throw new Error('unreachable: fleet-wide');
  }
}

export function evaluateExpectations(specs: readonly ExpectationSpec[], facts: RunFacts): ExpectationResult[] {
  const results: ExpectationResult[] = [];
  for (const spec of specs) {
    const push = (vehicle: string | undefined, v: Verdict) =>
      results.push({
        kind: spec.kind,
        ...(vehicle ? { vehicle } : {}),
        held: v.held,
        expected_to_fail: spec.expected_to_fail,
        passed: v.held !== spec.expected_to_fail,
        reason: v.reason,
      });
    if (spec.kind === 'min_separation') {
      const sep = facts.trace.separation;
      const v: Verdict =
        sep.min_m === Infinity
          ? { held: true, reason: 'never two vehicles airborne together' }
          : sep.min_m >= spec.meters
            ? { held: true, reason: `closest ${sep.min_m.toFixed(1)} m (${sep.pair!.join('–')} at ${s(sep.t_ms!)})` }
            : { held: false, reason: `${sep.pair!.join('–')} came within ${sep.min_m.toFixed(1)} m at ${s(sep.t_ms!)}, limit ${spec.meters} m` };
      push(undefined, v);
      continue;
    }
    // '*' for hpc_job: every vehicle that asks for a job.
    const all = spec.kind === 'hpc_job' && facts.hpc ? facts.vehicleIds.filter((id) => facts.hpc!.declared(id)) : facts.vehicleIds;
    const targets = spec.vehicle === '*' ? all : [spec.vehicle];
    if (spec.vehicle === '*' && spec.expected_to_fail) {
      // "Expected to fail" over all vehicles means: it fails for at least one of them.
      const verdicts = targets.map((id) => ({ id, ...checkOne(spec, id, facts) }));
      const failing = verdicts.filter((v) => !v.held);
      push(undefined, failing.length
        ? { held: false, reason: failing.map((v) => `${v.id}: ${v.reason}`).join('; ') }
        : { held: true, reason: 'held for every vehicle' });
      continue;
    }
    for (const id of targets) push(id, checkOne(spec, id, facts));
  }
  return results;
}
