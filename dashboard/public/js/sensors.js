// The sensors part of the page's state: which sensors the bridge offers (from its topic list),
// their health (diagnostic_msgs/DiagnosticStatus on /<vehicle>/<sensor>/status), the latest image
// of a camera (sensor_msgs/CompressedImage) and the capture markers (GET /captures). Pure (no DOM,
// no sockets), unit-tested in Node; every function tolerates any input.
import { toMap } from './plans.js';

const NAME = /^[A-Za-z0-9_.:-]{1,64}$/;
const STATUS = /^\/([^/]+)\/([^/]+)\/status$/;
/** DiagnosticStatus levels → our health states. */
const LEVELS = ['ok', 'degraded', 'failed', 'offline'];
/** Capture markers kept per camera (oldest dropped). */
export const MARKERS_MAX = 5000;

const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const obj = (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? v : null);

export function createSensors() {
  return { list: new Map(), selected: null };
}

export const sensorKey = (vehicle, id) => `${vehicle}/${id}`;

/**
 * Sensors named by the bridge's topic list: every `/<vehicle>/<sensor>/status`, a camera when it
 * has `image_raw/compressed`, a LiDAR when it has `points`. Returns the sensors added.
 */
export function discoverSensors(state, topics) {
  const all = new Set(Array.isArray(topics) ? topics.map(String) : []);
  const added = [];
  for (const t of all) {
    const m = STATUS.exec(t);
    if (!m || !NAME.test(m[1]) || !NAME.test(m[2])) continue;
    const [, vehicle, id] = m;
    const kind = all.has(`/${vehicle}/${id}/image_raw/compressed`) ? 'camera' : all.has(`/${vehicle}/${id}/points`) ? 'lidar' : null;
    if (!kind) continue;
    const key = sensorKey(vehicle, id);
    if (state.list.has(key)) continue;
    const s = { key, vehicle, id, kind, health: null, image: null, markers: [], cursor: null, loading: false };
    state.list.set(key, s);
    added.push(s);
  }
  if (state.selected === null) state.selected = [...state.list.values()].find((s) => s.kind === 'camera')?.key ?? null;
  return added;
}

/** The sensor and what kind of message a topic carries, or null. */
export function sensorTopic(state, topic) {
  const m = /^\/([^/]+)\/([^/]+)\/(status|image_raw\/compressed|camera_info|points)$/.exec(String(topic));
  if (!m) return null;
  const s = state.list.get(sensorKey(m[1], m[2]));
  return s ? { sensor: s, kind: m[3] } : null;
}

/** A DiagnosticStatus → the sensor's health; true when something changed. */
export function applySensorStatus(sensor, msg) {
  const m = obj(msg);
  if (!m) return false;
  const level = num(m.level);
  const values = Array.isArray(m.values) ? m.values : [];
  const kv = {};
  for (const v of values) if (obj(v) && typeof v.key === 'string') kv[v.key] = String(v.value ?? '');
  sensor.health = {
    state: LEVELS[level ?? 3] ?? 'offline',
    message: typeof m.message === 'string' ? m.message : '',
    machine: kv.machine_state ?? '',
    count: Number(kv.count ?? 0) || 0,
    lost: Number(kv.lost ?? 0) || 0,
  };
  return true;
}

/** A CompressedImage (base64 `data` in JSON) → a `data:` URL the page can show (CSP: img-src data:). */
export function imageUrl(msg) {
  const m = obj(msg);
  if (!m || typeof m.data !== 'string' || !/^[A-Za-z0-9+/=]*$/.test(m.data.slice(0, 256))) return null;
  const format = typeof m.format === 'string' && /^[a-z0-9.+-]{1,20}$/i.test(m.format.split(';')[0]) ? m.format.split(';')[0].toLowerCase() : 'jpeg';
  return `data:image/${format};base64,${m.data}`;
}

/** Stores the latest image of a camera (with its stamp); true when it changed. */
export function applyImage(sensor, msg) {
  const url = imageUrl(msg);
  if (!url) return false;
  const stamp = obj(obj(msg.header)?.stamp);
  const sec = num(stamp?.sec);
  sensor.image = { url, stamp_ms: sec === null ? null : sec * 1000 + (num(stamp?.nanosec) ?? 0) / 1e6, format: msg.format };
  return true;
}

/** Adds a page of `GET /captures` to the camera's markers; returns how many were new. */
export function addCaptures(sensor, page) {
  const items = Array.isArray(obj(page)?.items) ? page.items : [];
  const seen = new Set(sensor.markers.map((c) => c.id));
  let added = 0;
  for (const c of items) {
    const id = num(c?.id);
    const p = obj(obj(c?.pose)?.position);
    const lat = num(p?.lat_deg);
    const lon = num(p?.lon_deg);
    if (id === null || lat === null || lon === null || seen.has(id)) continue;
    sensor.markers.push({ id, index: num(c.index), lat_deg: lat, lon_deg: lon });
    seen.add(id);
    added++;
  }
  if (sensor.markers.length > MARKERS_MAX) sensor.markers.splice(0, sensor.markers.length - MARKERS_MAX);
  if (typeof page?.end_cursor === 'string') sensor.cursor = page.end_cursor;
  return added;
}

/** Every camera's markers in the map frame, once the frame's origin is known. */
export function markerPoints(state, origin) {
  if (!origin) return [];
  const out = [];
  for (const s of state.list.values()) for (const m of s.markers) out.push({ vehicle: s.vehicle, sensor: s.id, ...toMap(origin, m.lat_deg, m.lon_deg) });
  return out;
}
