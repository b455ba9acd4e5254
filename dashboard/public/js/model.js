// The dashboard's state: what the bridge told us about each vehicle, and the alerts derived from
// changes. Pure (no DOM, no sockets, no clock of its own) so it is unit-tested in Node; every
// function tolerates any input, because a bad message must never stop the page.
import { refineOrigin } from './plans.js';

/** How many trail points a vehicle keeps (oldest dropped first). */
export const TRAIL_MAX = 1500;
/** A new trail point only once the vehicle moved this far (m): a hovering drone adds nothing. */
export const TRAIL_STEP_M = 0.5;
/** Newest-first alerts kept. */
export const ALERTS_MAX = 100;
/** Battery fraction under which a one-off "battery low" warning is raised. */
export const BATTERY_WARN = 0.2;
/** Recent stamped poses and fixes kept per vehicle, to pair with each other (see plans.js). */
const RECENT_POSES = 30;
const RECENT_FIXES = 5;

const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v) => (typeof v === 'string' ? v : null);
const obj = (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? v : null);

export function createModel() {
  // `origin`: the map frame's WGS84 origin once worked out (places lat/lon plans on the map).
  return { vehicles: new Map(), alerts: [], seq: 0, origin: null };
}

/** The vehicle's record, created on first mention (topics, status or discovery). */
export function vehicle(model, id) {
  let v = model.vehicles.get(id);
  if (!v) {
    v = { id, pose: null, trail: [], recent: [], fixes: [], battery: null, voltage: null, state: null, mission: null, batteryWarned: false };
    model.vehicles.set(id, v);
  }
  return v;
}

/** The vehicle a topic belongs to: `/<vehicle>/<name>` → vehicle, or null. */
export function topicVehicle(topic) {
  const m = /^\/([A-Za-z][\w-]*)\/(pose|battery|state|global_position)$/.exec(String(topic));
  return m && m[1] !== 'mission' ? m[1] : null;
}

/** ENU orientation quaternion → compass heading (degrees clockwise from north). */
export function quaternionToHeading(q) {
  const z = num(q?.z);
  const w = num(q?.w);
  if (z === null || w === null) return null;
  const h = 90 - (2 * Math.atan2(z, w) * 180) / Math.PI;
  return ((h % 360) + 360) % 360;
}

function addAlert(model, t_ms, vehicleId, level, text) {
  model.alerts.unshift({ seq: ++model.seq, t_ms, vehicle: vehicleId, level, text });
  if (model.alerts.length > ALERTS_MAX) model.alerts.length = ALERTS_MAX;
}

/**
 * Applies one rosbridge `publish` to the model. Returns true when something changed (the page
 * redraws then). `now_ms` is the page's wall time, stamped on alerts.
 */
export function applyMessage(model, topic, msg, now_ms = 0) {
  try {
    if (topic === '/mission/status') return applyMissionStatus(model, msg, now_ms);
    const id = topicVehicle(topic);
    if (!id || !obj(msg)) return false;
    const kind = String(topic).slice(id.length + 2);
    if (kind === 'pose') return applyPose(model, vehicle(model, id), msg);
    if (kind === 'battery') return applyBattery(model, vehicle(model, id), msg, now_ms);
    if (kind === 'state') return applyState(model, vehicle(model, id), msg, now_ms);
    if (kind === 'global_position') return applyFix(model, vehicle(model, id), msg);
    return false;
  } catch {
    // A shape we did not foresee: ignore it rather than break the page.
    return false;
  }
}

/** `builtin_interfaces/Time` (`nanosec`, or ROS 1 `nsecs`/`secs`) → ms, or null. */
export function stampMs(header) {
  const t = obj(obj(header)?.stamp);
  const sec = num(t?.sec) ?? num(t?.secs);
  const ns = num(t?.nanosec) ?? num(t?.nsecs) ?? 0;
  return sec === null ? null : sec * 1000 + ns / 1e6;
}

function applyFix(model, v, msg) {
  const lat = num(msg.latitude);
  const lon = num(msg.longitude);
  const stamp_ms = stampMs(msg.header);
  if (lat === null || lon === null || stamp_ms === null || Math.abs(lat) > 90 || Math.abs(lon) > 180) return false;
  if (num(obj(msg.status)?.status) === -1) return false; // no fix
  v.fixes.push({ lat_deg: lat, lon_deg: lon, stamp_ms });
  if (v.fixes.length > RECENT_FIXES) v.fixes.shift();
  return updateOrigin(model, v);
}

/** A fix may wait for the pose after it: try again whenever either arrives. */
function updateOrigin(model, v) {
  const before = model.origin;
  model.origin = refineOrigin(model.origin, v.fixes, v.recent);
  return model.origin !== before;
}

function applyPose(model, v, msg) {
  const p = obj(obj(msg.pose)?.position);
  const x = num(p?.x);
  const y = num(p?.y);
  if (x === null || y === null) return false;
  const heading = quaternionToHeading(obj(msg.pose)?.orientation);
  v.pose = { x, y, z: num(p.z) ?? 0, heading_deg: heading ?? v.pose?.heading_deg ?? 0 };
  const stamp_ms = stampMs(msg.header);
  if (stamp_ms !== null) {
    v.recent.push({ x, y, stamp_ms });
    if (v.recent.length > RECENT_POSES) v.recent.shift();
  }
  if (v.fixes.length && (!model.origin || model.origin.gap > 0)) updateOrigin(model, v);
  const last = v.trail[v.trail.length - 1];
  if (!last || Math.hypot(x - last.x, y - last.y) >= TRAIL_STEP_M) {
    v.trail.push({ x, y });
    if (v.trail.length > TRAIL_MAX) v.trail.splice(0, v.trail.length - TRAIL_MAX);
  }
  return true;
}

function applyBattery(model, v, msg, now_ms) {
  const pct = num(msg.percentage);
  if (pct === null) return false;
  v.battery = Math.min(1, Math.max(0, pct));
  v.voltage = num(msg.voltage);
  if (v.battery < BATTERY_WARN && !v.batteryWarned) {
    v.batteryWarned = true;
    addAlert(model, now_ms, v.id, 'warning', `battery low (${Math.round(v.battery * 100)} %)`);
  } else if (v.battery >= BATTERY_WARN + 0.05) v.batteryWarned = false;
  return true;
}

function applyState(model, v, msg, now_ms) {
  const prev = v.state;
  const next = {
    mode: str(msg.mode) ?? 'unknown',
    armed: msg.armed === true,
    link: msg.link !== false,
    landed: str(msg.landed) ?? 'unknown',
    state: str(msg.state) ?? '',
  };
  v.state = next;
  const lost = !next.link || next.state.startsWith('linkLost');
  const wasLost = prev ? !prev.link || prev.state.startsWith('linkLost') : false;
  if (lost && !wasLost) addAlert(model, now_ms, v.id, 'error', 'link lost');
  else if (!lost && wasLost) addAlert(model, now_ms, v.id, 'info', 'link regained');
  // A switch to RTL/land while a mission runs was not asked for from here: most likely a failsafe.
  if (prev && prev.mode !== next.mode && (next.mode === 'rtl' || next.mode === 'land') && v.mission?.status === 'RUNNING')
    addAlert(model, now_ms, v.id, 'warning', `mode ${next.mode.toUpperCase()} during the mission (failsafe?)`);
  return true;
}

/** `std_msgs/String` whose `data` is the status JSON (an already-parsed object is accepted too). */
export function parseMissionStatus(msg) {
  let data = obj(msg)?.data ?? msg;
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data);
    } catch {
      return null;
    }
  }
  const d = obj(data);
  if (!d || !str(d.vehicle) || !str(d.status)) return null;
  const p = obj(d.progress) ?? {};
  return {
    vehicle: d.vehicle,
    id: str(d.mission_id),
    name: str(d.mission_name),
    status: d.status,
    reason: str(d.reason),
    current: num(p.current_waypoint) ?? 0,
    total: num(p.total_waypoints) ?? 0,
    percent: Math.min(100, Math.max(0, num(p.percent_complete) ?? 0)),
  };
}

function applyMissionStatus(model, msg, now_ms) {
  const m = parseMissionStatus(msg);
  if (!m) return false;
  const v = vehicle(model, m.vehicle);
  const before = v.mission?.status;
  v.mission = m;
  if (before !== undefined && before !== m.status) {
    if (m.status === 'FAILED') {
      const reason = m.reason ?? 'no reason given';
      const failsafe = /battery|geofence|link|failsafe|vehicle:/i.test(reason);
      addAlert(model, now_ms, v.id, 'error', `${failsafe ? 'failsafe' : 'mission failed'}: ${reason}`);
    } else if (m.status === 'ABORTED') addAlert(model, now_ms, v.id, 'warning', `mission aborted${m.reason ? `: ${m.reason}` : ''}`);
    else if (m.status === 'COMPLETED') addAlert(model, now_ms, v.id, 'info', 'mission completed');
  }
  return true;
}

/** Records the outcome of an operator command (shown in the alerts list). */
export function commandOutcome(model, now_ms, vehicleId, text, ok) {
  addAlert(model, now_ms, vehicleId, ok ? 'info' : 'error', text);
}

/** Which mission commands make sense now (the server decides anyway). */
export function allowedCommands(v) {
  const s = v?.mission?.status;
  const airborne = v?.state?.armed === true;
  return {
    start: s === 'LOADED',
    pause: s === 'RUNNING',
    resume: s === 'PAUSED',
    abort: s === 'LOADED' || s === 'RUNNING' || s === 'PAUSED',
    rtl: airborne,
    land: airborne,
  };
}
