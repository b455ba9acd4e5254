// The page: login, then one bridge connection feeding the model, a map and a card per vehicle.
// Rendering is batched to animation frames, so a burst of telemetry costs one redraw.
import { RosbridgeClient } from './rosbridge.js';
import * as auth from './auth.js';
import { allowedCommands, applyMessage, commandOutcome, createModel, topicVehicle, vehicle } from './model.js';
import { View, colorOf, drawMap } from './map.js';
import { ConfigRefused, apiBase, bridgeUrl, loadConfig } from './config.js';
import { planFromRecord } from './plans.js';
import { addCaptures, applyImage, applySensorStatus, createSensors, discoverSensors, markerPoints, sensorTopic } from './sensors.js';

const $ = (id) => document.getElementById(id);

/** Throttles asked of the bridge (ms between messages): enough for a smooth map, little traffic. */
const THROTTLE = { pose: 100, battery: 1000, state: 0, global_position: 1000 };
const VEHICLE_ID = /^[A-Za-z][\w-]{0,63}$/;
/** The selected camera's image: at most one a second (a browser need not decode more). */
const IMAGE_THROTTLE_MS = 1000;
/** After a capture (its camera_info), markers are fetched at most this often (ms). */
const CAPTURES_DEBOUNCE_MS = 500;

/** Operator buttons: label, and how each one reaches the bridge. */
const COMMANDS = [
  { cmd: 'start', label: 'Start', service: () => '/mission/start' },
  { cmd: 'pause', label: 'Pause', service: () => '/mission/pause' },
  { cmd: 'resume', label: 'Resume', service: () => '/mission/resume' },
  { cmd: 'abort', label: 'Abort', service: () => '/mission/abort' },
  { cmd: 'rtl', label: 'RTL', service: (v) => `/${v}/rtl` },
  { cmd: 'land', label: 'Land', service: (v) => `/${v}/land` },
];

let config = {};
/** What config.json says without a token; the page goes back to it at logout. */
let publicConfig = {};
let app = null; // the logged-in state: { session, client, model, view, cards, ... }

function showLogin(message = '') {
  $('app-view').hidden = true;
  $('login-view').hidden = false;
  $('login-error').textContent = message;
  $('login-password').value = '';
  $('login-user').focus();
}

/** Reads the whole config.json with the session's token (vehicles, plans, fence), then opens the app. */
async function enterApp(session) {
  try {
    config = { ...config, ...(await loadConfig(session.token)) };
  } catch (error) {
    if (error instanceof ConfigRefused) return logout(`the server refused the session: ${error.message}`);
  }
  openApp(session);
}

function openApp(session) {
  $('login-view').hidden = true;
  $('app-view').hidden = false;
  $('who').textContent = `${session.user} · ${session.role}`;
  document.body.dataset.role = session.role;
  const model = createModel();
  app = {
    session,
    model,
    view: new View(),
    cards: new Map(),
    colors: new Map(),
    tracked: new Set(),
    /** mission id → stored mission from the API (`null` while loading or when it has none). */
    records: new Map(),
    alertsSeq: -1,
    frame: 0,
    sensors: createSensors(),
    sensorCards: new Map(),
    expiry: setTimeout(() => logout('your session expired; log in again'), Math.min(2 ** 31 - 1, session.exp_ms - Date.now())),
  };
  $('vehicles').replaceChildren();
  $('sensors').replaceChildren();
  $('alerts').replaceChildren();
  $('camera-view').hidden = true;
  const client = new RosbridgeClient(bridgeUrl(config, window.location), session.token, {
    onStatus: onBridgeStatus,
    onMessage: onBridgeMessage,
    onAuthFailed: (reason) => logout(`the bridge refused the session: ${reason}`),
  });
  app.client = client;
  client.subscribe('/mission/status');
  for (const id of Array.isArray(config.vehicles) ? config.vehicles : []) track(id);
  client.connect();
  scheduleRender();
}

function logout(message = '') {
  if (app) {
    clearTimeout(app.expiry);
    cancelAnimationFrame(app.frame);
    app.client?.close();
    app = null;
  }
  auth.clearSession();
  config = publicConfig;
  delete document.body.dataset.role;
  showLogin(message);
}

function onBridgeStatus({ state, detail }) {
  if (!app) return;
  const el = $('bridge-status');
  el.dataset.state = state;
  el.textContent = state === 'connected' ? 'bridge connected' : `bridge ${state}${detail ? ` (${detail})` : ''}`;
  for (const card of app.cards.values()) card.el.classList.toggle('stale', state !== 'connected');
  if (state === 'connected') discoverVehicles();
}

/** Vehicles from the bridge's topic list (rosapi), else from the API's GET /vehicles. */
async function discoverVehicles() {
  const current = app;
  try {
    const r = await current.client.callService('/rosapi/topics', {});
    const topics = r.result && Array.isArray(r.values?.topics) ? r.values.topics : [];
    for (const t of topics) {
      const m = /^\/([^/]+)\/pose$/.exec(String(t));
      if (m) track(m[1]);
    }
    trackSensors(topics);
    if (topics.length) return;
  } catch {
    // an older bridge without rosapi: ask the API
  }
  try {
    const res = await fetch(`${apiBase(config)}/vehicles`, { headers: { Authorization: `Bearer ${current.session.token}` } });
    if (!res.ok || app !== current) return;
    const body = await res.json();
    const list = Array.isArray(body) ? body : Array.isArray(body?.vehicles) ? body.vehicles : [];
    for (const v of list) track(typeof v === 'string' ? v : v?.id);
  } catch {
    // vehicles still appear as their messages arrive
  }
}

function track(id) {
  if (!app || typeof id !== 'string' || !VEHICLE_ID.test(id) || app.tracked.has(id)) return;
  app.tracked.add(id);
  vehicle(app.model, id);
  for (const kind of ['pose', 'battery', 'state', 'global_position']) {
    const opts = THROTTLE[kind] ? { throttle_rate: THROTTLE[kind], queue_length: 1 } : {};
    app.client.subscribe(`/${id}/${kind}`, opts);
  }
  scheduleRender();
}

/** Sensors from the bridge's topic list: health for all, capture markers for cameras, the image of the selected one. */
function trackSensors(topics) {
  for (const s of discoverSensors(app.sensors, topics)) {
    app.client.subscribe(`/${s.vehicle}/${s.id}/status`);
    if (s.kind === 'camera') {
      // One small message per capture: the cue to fetch the new capture markers.
      app.client.subscribe(`/${s.vehicle}/${s.id}/camera_info`);
      fetchCaptures(s);
    }
  }
  selectCamera(app.sensors.selected);
  scheduleRender();
}

function selectCamera(key) {
  const s = app.sensors;
  const prev = s.subscribedImage;
  if (prev && prev !== key) {
    const p = s.list.get(prev);
    if (p) app.client.unsubscribe(`/${p.vehicle}/${p.id}/image_raw/compressed`);
  }
  s.selected = key;
  const cam = key ? s.list.get(key) : null;
  if (cam && prev !== key) app.client.subscribe(`/${cam.vehicle}/${cam.id}/image_raw/compressed`, { throttle_rate: IMAGE_THROTTLE_MS, queue_length: 1 });
  s.subscribedImage = cam ? key : null;
  scheduleRender();
}

/** New capture markers of a camera from the API, after the last page it has (debounced). */
function fetchCaptures(sensor) {
  if (sensor.loading) return void (sensor.again = true);
  sensor.loading = true;
  const current = app;
  const q = new URLSearchParams({ vehicle: sensor.vehicle, sensor: sensor.id, limit: '1000', ...(sensor.cursor ? { cursor: sensor.cursor } : {}) });
  fetch(`${apiBase(config)}/captures?${q}`, { headers: { Authorization: `Bearer ${current.session.token}` } })
    .then((res) => (res.ok ? res.json() : null))
    .then((page) => {
      if (app !== current || !page) return;
      addCaptures(sensor, page);
      scheduleRender();
      if (page.next_cursor) sensor.again = true;
    })
    .catch(() => {})
    .finally(() => {
      sensor.loading = false;
      if (sensor.again && app === current) {
        sensor.again = false;
        setTimeout(() => app === current && fetchCaptures(sensor), CAPTURES_DEBOUNCE_MS);
      }
    });
}

function onSensorMessage(hit, msg) {
  const { sensor, kind } = hit;
  if (kind === 'status') return applySensorStatus(sensor, msg);
  if (kind === 'image_raw/compressed') return applyImage(sensor, msg);
  if (kind === 'camera_info') fetchCaptures(sensor);
  return false;
}

function onBridgeMessage(topic, msg) {
  if (!app) return;
  const hit = sensorTopic(app.sensors, topic);
  if (hit) {
    if (onSensorMessage(hit, msg)) scheduleRender();
    return;
  }
  const id = topicVehicle(topic);
  if (id) track(id);
  if (applyMessage(app.model, topic, msg, Date.now())) {
    // Mission status names its vehicle; the first one we hear of gets tracked too.
    for (const vid of app.model.vehicles.keys()) track(vid);
    scheduleRender();
  }
}

function scheduleRender() {
  if (!app || app.frame) return;
  app.frame = requestAnimationFrame(() => {
    if (!app) return;
    app.frame = 0;
    try {
      render();
    } catch (error) {
      console.error('render', error);
    }
  });
}

function colorFor(id) {
  if (!app.colors.has(id)) app.colors.set(id, colorOf(app.colors.size));
  return app.colors.get(id);
}

function render() {
  const plans = currentPlans();
  const captures = markerPoints(app.sensors, app.model.origin);
  drawMap($('map'), app.model, { geofence: config.geofence, plans, captures }, app.view, colorFor);
  $('map').dataset.captures = String(captures.length);
  for (const v of app.model.vehicles.values()) renderCard(v, plans[v.id]);
  renderSensors();
  renderAlerts();
}

/** Plans from config.json first; else the stored mission the API has under the mission's id. */
function currentPlans() {
  const fromConfig = config.plans && typeof config.plans === 'object' ? config.plans : {};
  const plans = {};
  for (const v of app.model.vehicles.values()) {
    if (Array.isArray(fromConfig[v.id])) plans[v.id] = fromConfig[v.id];
    else if (v.mission?.id) {
      const record = missionRecord(v.mission.id);
      const plan = record ? planFromRecord(record, app.model.origin) : null;
      if (plan) plans[v.id] = plan;
    }
  }
  return plans;
}

function missionRecord(id) {
  if (app.records.has(id)) return app.records.get(id);
  app.records.set(id, null);
  const current = app;
  fetch(`${apiBase(config)}/missions/${encodeURIComponent(id)}`, { headers: { Authorization: `Bearer ${current.session.token}` } })
    .then((res) => (res.ok ? res.json() : null))
    .then((record) => {
      // A mission loaded some other way (bridge, scenario) is not stored: no plan, no retry.
      if (app !== current || !record) return;
      current.records.set(id, record);
      scheduleRender();
    })
    .catch(() => {});
  return null;
}

function card(id) {
  let c = app.cards.get(id);
  if (c) return c;
  const el = $('vehicle-card').content.firstElementChild.cloneNode(true);
  el.dataset.vehicle = id;
  el.querySelector('.swatch').style.background = colorFor(id);
  const field = (name) => el.querySelector(`[data-field="${name}"]`);
  field('id').textContent = id;
  const buttons = new Map();
  if (auth.canCommand(app.session.role)) {
    for (const c of COMMANDS) {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = c.label;
      b.dataset.cmd = c.cmd;
      b.addEventListener('click', () => sendCommand(id, c));
      el.querySelector('.commands').append(b);
      buttons.set(c.cmd, b);
    }
  }
  if (app.client && !app.client.isOpen()) el.classList.add('stale');
  $('vehicles').append(el);
  c = { el, field, buttons, bar: el.querySelector('.bar'), progress: el.querySelector('.progress') };
  app.cards.set(id, c);
  return c;
}

const set = (el, text) => {
  if (el.textContent !== text) el.textContent = text;
};

function renderCard(v, plan) {
  const c = card(v.id);
  c.el.dataset.planPoints = String(Array.isArray(plan) ? plan.filter(Boolean).length : 0);
  const s = v.state;
  const lost = s ? !s.link || s.state.startsWith('linkLost') : false;
  const badge = c.field('link');
  set(badge, s ? (lost ? 'LINK LOST' : 'link ok') : 'no state');
  badge.classList.toggle('lost', lost);
  c.el.classList.toggle('link-lost', lost);
  set(c.field('mode'), s ? `${s.mode.toUpperCase()}${s.state ? ` · ${s.state.split('.').pop()}` : ''}` : '–');
  set(c.field('armed'), s ? (s.armed ? 'armed' : 'disarmed') : '–');
  set(c.field('battery'), v.battery === null ? '–' : `${Math.round(v.battery * 100)} %${v.voltage ? ` · ${v.voltage.toFixed(1)} V` : ''}`);
  if (v.pose) {
    set(c.field('position'), `E ${v.pose.x.toFixed(1)} m · N ${v.pose.y.toFixed(1)} m · ↑ ${v.pose.z.toFixed(1)} m`);
    // Machine-readable too (tests, and anyone scripting the page).
    c.el.dataset.east = v.pose.x.toFixed(2);
    c.el.dataset.north = v.pose.y.toFixed(2);
  }
  const m = v.mission;
  set(c.field('mission'), m ? `${m.name ?? m.id ?? '—'} · ${m.status}${m.total ? ` · wp ${m.current + 1}/${m.total}` : ''}${m.reason ? ` · ${m.reason}` : ''}` : 'none');
  const pct = m ? m.percent : 0;
  c.bar.style.width = `${pct}%`;
  c.progress.setAttribute('aria-valuenow', String(pct));
  c.el.dataset.missionStatus = m?.status ?? '';
  set(c.field('progress'), `${pct.toFixed(pct % 1 ? 1 : 0)} %`);
  const allowed = allowedCommands(v);
  for (const [cmd, b] of c.buttons) b.disabled = !allowed[cmd] || c.busy === true;
}

function sensorCard(s) {
  let c = app.sensorCards.get(s.key);
  if (c) return c;
  const el = $('sensor-card').content.firstElementChild.cloneNode(true);
  el.dataset.sensor = s.key;
  el.dataset.kind = s.kind;
  el.querySelector('[data-field="name"]').textContent = `${s.vehicle} · ${s.id}`;
  el.querySelector('[data-field="kind"]').textContent = s.kind;
  el.querySelector('[data-field="count-label"]').textContent = s.kind === 'camera' ? 'Images' : 'Frames';
  if (s.kind === 'camera') {
    el.classList.add('selectable');
    el.tabIndex = 0;
    el.addEventListener('click', () => selectCamera(s.key));
    el.addEventListener('keydown', (ev) => (ev.key === 'Enter' || ev.key === ' ') && selectCamera(s.key));
  }
  $('sensors').append(el);
  c = { el, field: (name) => el.querySelector(`[data-field="${name}"]`) };
  app.sensorCards.set(s.key, c);
  return c;
}

function renderSensors() {
  for (const s of app.sensors.list.values()) {
    const c = sensorCard(s);
    const h = s.health;
    const badge = c.field('health');
    set(badge, h ? h.state : 'no status');
    badge.dataset.state = h?.state ?? 'unknown';
    c.el.dataset.health = h?.state ?? '';
    set(c.field('state'), h?.machine || '–');
    set(c.field('count'), h ? `${h.count}${h.lost ? ` · ${h.lost} lost` : ''}` : '–');
    set(c.field('message'), h && h.message !== h.state ? h.message : '');
    c.el.classList.toggle('selected', app.sensors.selected === s.key);
    if (s.kind === 'camera') c.el.dataset.captures = String(s.markers.length);
  }
  const cam = app.sensors.selected ? app.sensors.list.get(app.sensors.selected) : null;
  const view = $('camera-view');
  view.hidden = !cam;
  if (!cam) return;
  view.dataset.sensor = cam.key;
  const img = $('camera-image');
  if (cam.image && img.getAttribute('src') !== cam.image.url) img.src = cam.image.url;
  set($('camera-caption'), cam.image ? `${cam.vehicle} · ${cam.id}${cam.image.stamp_ms !== null ? ` · t ${(cam.image.stamp_ms / 1000).toFixed(1)} s` : ''}` : `${cam.vehicle} · ${cam.id}: no image yet`);
}

function renderAlerts() {
  const alerts = app.model.alerts;
  const newest = alerts[0]?.seq ?? 0;
  if (newest === app.alertsSeq) return;
  app.alertsSeq = newest;
  $('alerts').replaceChildren(
    ...alerts.map((a) => {
      const li = document.createElement('li');
      li.className = a.level;
      const time = document.createElement('time');
      time.textContent = new Date(a.t_ms).toLocaleTimeString();
      li.append(time, `${a.vehicle}: ${a.text}`);
      return li;
    }),
  );
}

async function sendCommand(id, c) {
  const current = app;
  const cardState = current.cards.get(id);
  cardState.busy = true;
  scheduleRender();
  let text;
  let ok = false;
  try {
    const r = await current.client.callService(c.service(id), { vehicle: id });
    // Trigger-shaped answer when the call was made; a plain error string when it was refused.
    if (r.result && r.values && typeof r.values === 'object') {
      ok = r.values.success === true;
      // The bridge's messages often start with the vehicle, which the alert already names.
      const message = String(r.values.message ?? (ok ? 'ok' : 'refused')).replace(new RegExp(`^${id}: `), '');
      text = `${c.label}: ${message}`;
    } else text = `${c.label} refused: ${typeof r.values === 'string' ? r.values : JSON.stringify(r.values ?? '')}`;
  } catch (error) {
    text = `${c.label} failed: ${error.message}`;
  }
  if (app !== current) return;
  cardState.busy = false;
  commandOutcome(current.model, Date.now(), id, text, ok);
  scheduleRender();
}

async function main() {
  publicConfig = config = await loadConfig().catch(() => ({}));
  window.addEventListener('resize', () => scheduleRender());
  $('logout').addEventListener('click', () => logout());
  $('login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const button = $('login-submit');
    button.disabled = true;
    $('login-error').textContent = '';
    try {
      const session = await auth.login(apiBase(config), $('login-user').value, $('login-password').value);
      auth.saveSession(session);
      await enterApp(session);
    } catch (error) {
      $('login-error').textContent = error.message;
    } finally {
      button.disabled = false;
    }
  });
  const session = auth.loadSession();
  if (session) await enterApp(session);
  else showLogin();
}

main();
