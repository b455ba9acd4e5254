/**
 * The mission services a vehicle offers on the ROS graph: `<ns>/mission/load`
 * (`overwatch_msgs/LoadMission`), `<ns>/mission/start|pause|resume|abort` (`std_srvs/Trigger`).
 *
 * @remarks
 * As in ROS, a request the twin *refuses* (START while IDLE) is a successful call answering
 * `success: false` with the twin's dotted code and reason in `message`. `LoadMission` takes the
 * mission as JSON (`mission_json`: `{id, name, items}` as the REST API takes it; `vehicle` may be
 * left out and must match when given) or a file on the twin's machine (`plan_path`: a
 * QGroundControl `.plan`, a `QGC WPL 110` file, or a JSON/YAML mission). Requests are validated
 * with zod; every outcome carries a correlation id into the event log (`ros-<n>`).
 */
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseQgcPlan, parseQgcWpl, toMissionItems } from '../core/mission-files/index.js';
import { fail, ok, type Result } from '../core/result.js';
import type { MissionHandle } from '../actors/mission-handle.js';

/** What a mission service needs of the twin. */
export interface MissionTwin {
  readonly vehicleIds: readonly string[];
  mission(vehicle: string): MissionHandle;
}

export interface TriggerResponse {
  readonly success: boolean;
  readonly message: string;
}

const LoadRequest = z.object({
  mission_json: z.string().max(4_000_000).default(''),
  plan_path: z.string().max(4096).default(''),
});

const MAV_CMD_DO_SET_CAM_TRIGG_DIST = 206;

/** A mission file → the mission object the twin loads (validation is the mission actor's). */
export async function missionFromFile(path: string, vehicle: string): Promise<Result<Record<string, unknown>, 'ROS.SERVICE_ARGS'>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return fail('ROS.SERVICE_ARGS', `plan_path: ${(error as Error).message}`);
  }
  const ext = extname(path).toLowerCase();
  if (/^\s*QGC WPL/.test(text) || ext === '.plan' || ext === '.waypoints') {
    const plan = /^\s*QGC WPL/.test(text) ? parseQgcWpl(text) : parseQgcPlan(text);
    if (!plan.ok) return fail('ROS.SERVICE_ARGS', `plan_path: ${plan.error.message}`);
    const items: unknown[] = [];
    let triggering = false;
    for (const [k, it] of toMissionItems(plan.value).entries()) {
      if (it.kind === 'raw' && it.item.command === MAV_CMD_DO_SET_CAM_TRIGG_DIST) triggering = (it.item.params[0] ?? 0) > 0;
      else if (it.kind === 'raw') return fail('ROS.SERVICE_ARGS', `plan_path: item ${k} (MAV_CMD ${it.item.command}) is not one the twin flies`);
      else items.push(it.kind === 'waypoint' && triggering ? { ...it, capture: true } : it);
    }
    const name = basename(path);
    return ok({ id: name.replace(/\.[^.]+$/, ''), name, vehicle, items });
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    return fail('ROS.SERVICE_ARGS', `plan_path: not a .plan, WPL, JSON or YAML mission: ${(error as Error).message}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return fail('ROS.SERVICE_ARGS', 'plan_path: the file is not a mission object');
  return ok({ vehicle, ...(raw as Record<string, unknown>) });
}

let calls = 0;
const cid = (): string => `ros-${++calls}`;

/** `LoadMission` on `vehicle`. */
export async function loadMission(twin: MissionTwin, vehicle: string, request: Record<string, unknown>): Promise<TriggerResponse> {
  const r = LoadRequest.safeParse(request);
  if (!r.success) return { success: false, message: `ROS.SERVICE_ARGS: ${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message}` };
  let mission: Record<string, unknown>;
  if (r.data.mission_json.trim() !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(r.data.mission_json);
    } catch (error) {
      return { success: false, message: `ROS.SERVICE_ARGS: mission_json is not JSON: ${(error as Error).message}` };
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { success: false, message: 'ROS.SERVICE_ARGS: mission_json must be a mission object' };
    mission = { vehicle, ...(parsed as Record<string, unknown>) };
  } else if (r.data.plan_path.trim() !== '') {
    const m = await missionFromFile(r.data.plan_path.trim(), vehicle);
    if (!m.ok) return { success: false, message: `${m.error.code}: ${m.error.message}` };
    mission = m.value;
  } else return { success: false, message: 'ROS.SERVICE_ARGS: give mission_json or plan_path' };
  if (mission.vehicle !== vehicle) return { success: false, message: `ROS.SERVICE_ARGS: mission.vehicle ${JSON.stringify(mission.vehicle)} is not ${vehicle} (this service's vehicle)` };
  const h = twin.mission(vehicle);
  const res = h.load(mission, cid());
  if (!res.ok) {
    const fields = res.error.fields?.length ? ` (${res.error.fields.slice(0, 3).map((f) => `${f.path}: ${f.message}`).join('; ')})` : '';
    return { success: false, message: `${res.error.code}: ${res.error.message}${fields}` };
  }
  const ctx = h.context();
  return { success: true, message: `mission ${ctx.mission?.id} loaded on ${vehicle} (${ctx.progress.total_waypoints} items)` };
}

export type MissionVerb = 'start' | 'pause' | 'resume' | 'abort';

/** START / PAUSE / RESUME / ABORT on `vehicle`, answered from the mission actor's state right after. */
export function missionTrigger(twin: MissionTwin, vehicle: string, verb: MissionVerb): TriggerResponse {
  const h = twin.mission(vehicle);
  const id = cid();
  const res = verb === 'start' ? h.start(id) : verb === 'pause' ? h.pause(id) : verb === 'resume' ? h.resume(id) : h.abort(`aborted over ROS (${id})`, id);
  if (!res.ok) return { success: false, message: `${res.error.code}: ${res.error.message}` };
  const after = h.status();
  // START while the upload is in flight is remembered: the mission runs once it lands.
  const done = verb === 'start' ? after === 'RUNNING' || (after === 'LOADED' && h.context().startRequested) : verb === 'pause' ? after === 'PAUSED' : verb === 'resume' ? after === 'RUNNING' : after === 'ABORTED';
  const reason = h.context().reason;
  return { success: done, message: `${vehicle}: mission ${after}${!done && reason ? `: ${reason}` : ''}` };
}
