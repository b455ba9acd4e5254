// The live map: vehicles, trails, planned paths, current waypoints and the geofence, drawn on a
// <canvas> in the world frame's local metres (ENU: x east → right, y north → up). No tiles: the
// dashboard works offline, and a metre grid is what a survey operator reads distances from.

const PALETTE = ['#2f80ed', '#eb5757', '#27ae60', '#f2994a', '#9b51e0', '#00a3a3', '#c0a000', '#e056a0'];
const MIN_SPAN_M = 60;

export const colorOf = (index) => PALETTE[index % PALETTE.length];

/** World bounds that only grow, so the view does not jump as a vehicle moves. */
export class View {
  constructor() {
    this.box = null;
  }

  include(x, y) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) return;
    const b = this.box;
    if (!b) this.box = { minX: x, maxX: x, minY: y, maxY: y };
    else {
      b.minX = Math.min(b.minX, x);
      b.maxX = Math.max(b.maxX, x);
      b.minY = Math.min(b.minY, y);
      b.maxY = Math.max(b.maxY, y);
    }
  }

  /** World → canvas transform for a canvas of w × h pixels, same scale on both axes. */
  transform(w, h) {
    const b = this.box ?? { minX: -MIN_SPAN_M / 2, maxX: MIN_SPAN_M / 2, minY: -MIN_SPAN_M / 2, maxY: MIN_SPAN_M / 2 };
    const cx = (b.minX + b.maxX) / 2;
    const cy = (b.minY + b.maxY) / 2;
    const spanX = Math.max(MIN_SPAN_M, (b.maxX - b.minX) * 1.15);
    const spanY = Math.max(MIN_SPAN_M, (b.maxY - b.minY) * 1.15);
    const scale = Math.min(w / spanX, h / spanY);
    return { scale, toPx: (x, y) => [w / 2 + (x - cx) * scale, h / 2 - (y - cy) * scale] };
  }
}

/** A "nice" grid spacing (1, 2, 5 × 10^n metres) giving lines roughly `targetPx` apart. */
export function gridStep(scale, targetPx = 80) {
  const raw = targetPx / Math.max(scale, 1e-9);
  const pow = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * pow >= raw) return m * pow;
  return 10 * pow;
}

/**
 * Draws everything. `config` may carry `geofence` ({x,y}[]), `plans` ({vehicle: ({x,y}|null)[]},
 * indexed like mission items so `current_waypoint` picks the point) and `captures`
 * ({vehicle, x, y}[]: capture markers in the map frame).
 */
export function drawMap(canvas, model, config, view, colors) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth;
  const h = canvas.clientHeight;
  if (w === 0 || h === 0) return;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);

  const fence = Array.isArray(config.geofence) ? config.geofence : [];
  const plans = config.plans && typeof config.plans === 'object' ? config.plans : {};
  for (const p of fence) view.include(p.x, p.y);
  for (const plan of Object.values(plans)) for (const p of plan ?? []) if (p) view.include(p.x, p.y);
  for (const v of model.vehicles.values()) if (v.pose) view.include(v.pose.x, v.pose.y);
  const { scale, toPx } = view.transform(w, h);

  drawGrid(ctx, w, h, scale, toPx);
  if (fence.length >= 3) {
    ctx.beginPath();
    fence.forEach((p, i) => (i ? ctx.lineTo(...toPx(p.x, p.y)) : ctx.moveTo(...toPx(p.x, p.y))));
    ctx.closePath();
    ctx.fillStyle = 'rgba(39, 174, 96, 0.06)';
    ctx.fill();
    ctx.strokeStyle = '#27ae60';
    ctx.lineWidth = 2;
    ctx.setLineDash([8, 4]);
    ctx.stroke();
    ctx.setLineDash([]);
  }
  for (const v of model.vehicles.values()) {
    const color = colors(v.id);
    const plan = Array.isArray(plans[v.id]) ? plans[v.id] : [];
    drawPlan(ctx, plan, toPx, color, v.mission);
    drawTrail(ctx, v.trail, toPx, color);
  }
  drawCaptures(ctx, Array.isArray(config.captures) ? config.captures : [], toPx, colors);
  // Vehicles last so they sit on top of every path.
  for (const v of model.vehicles.values()) if (v.pose) drawVehicle(ctx, v, toPx, colors(v.id));
}

function drawGrid(ctx, w, h, scale, toPx) {
  const step = gridStep(scale);
  const [ox, oy] = toPx(0, 0);
  ctx.strokeStyle = '#e3e7ee';
  ctx.lineWidth = 1;
  ctx.beginPath();
  const px = step * scale;
  for (let x = ox % px; x < w; x += px) (ctx.moveTo(x, 0), ctx.lineTo(x, h));
  for (let y = oy % px; y < h; y += px) (ctx.moveTo(0, y), ctx.lineTo(w, y));
  ctx.stroke();
  // The origin (home) cross.
  ctx.strokeStyle = '#9aa5b5';
  ctx.beginPath();
  ctx.moveTo(ox - 8, oy);
  ctx.lineTo(ox + 8, oy);
  ctx.moveTo(ox, oy - 8);
  ctx.lineTo(ox, oy + 8);
  ctx.stroke();
  // Scale bar and north arrow.
  ctx.fillStyle = '#4a5568';
  ctx.strokeStyle = '#4a5568';
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.moveTo(12, h - 14);
  ctx.lineTo(12 + px, h - 14);
  ctx.stroke();
  ctx.font = '12px system-ui, sans-serif';
  ctx.fillText(`${step} m`, 12, h - 20);
  ctx.fillText('N ↑', w - 34, 20);
}

function drawPlan(ctx, plan, toPx, color, mission) {
  const pts = plan.map((p, i) => (p ? { ...p, i } : null)).filter(Boolean);
  if (pts.length === 0) return;
  ctx.strokeStyle = color;
  ctx.globalAlpha = 0.45;
  ctx.lineWidth = 1.5;
  ctx.setLineDash([5, 5]);
  ctx.beginPath();
  pts.forEach((p, k) => (k ? ctx.lineTo(...toPx(p.x, p.y)) : ctx.moveTo(...toPx(p.x, p.y))));
  ctx.stroke();
  ctx.setLineDash([]);
  for (const p of pts) {
    const [x, y] = toPx(p.x, p.y);
    ctx.beginPath();
    ctx.arc(x, y, 2.5, 0, 2 * Math.PI);
    ctx.fillStyle = color;
    ctx.fill();
  }
  ctx.globalAlpha = 1;
  // The waypoint being flown to: a ring, only while the mission is live.
  const live = mission && (mission.status === 'RUNNING' || mission.status === 'PAUSED');
  const current = live ? plan[mission.current] : null;
  if (current) {
    const [x, y] = toPx(current.x, current.y);
    ctx.beginPath();
    ctx.arc(x, y, 9, 0, 2 * Math.PI);
    ctx.strokeStyle = color;
    ctx.lineWidth = 2.5;
    ctx.stroke();
  }
}

/** Capture markers: a small square per image at its geotag, in the vehicle's colour. */
function drawCaptures(ctx, captures, toPx, colors) {
  ctx.lineWidth = 1;
  for (const c of captures) {
    if (!Number.isFinite(c.x) || !Number.isFinite(c.y)) continue;
    const [x, y] = toPx(c.x, c.y);
    ctx.fillStyle = colors(c.vehicle);
    ctx.strokeStyle = '#ffffff';
    ctx.fillRect(x - 3.5, y - 3.5, 7, 7);
    ctx.strokeRect(x - 3.5, y - 3.5, 7, 7);
  }
}

function drawTrail(ctx, trail, toPx, color) {
  if (trail.length < 2) return;
  ctx.strokeStyle = color;
  ctx.lineWidth = 2;
  ctx.globalAlpha = 0.8;
  ctx.beginPath();
  trail.forEach((p, i) => (i ? ctx.lineTo(...toPx(p.x, p.y)) : ctx.moveTo(...toPx(p.x, p.y))));
  ctx.stroke();
  ctx.globalAlpha = 1;
}

function drawVehicle(ctx, v, toPx, color) {
  const [x, y] = toPx(v.pose.x, v.pose.y);
  const lost = v.state && (!v.state.link || v.state.state.startsWith('linkLost'));
  // Heading is clockwise from north; canvas angles are clockwise from +x (east), y down.
  const a = ((v.pose.heading_deg - 90) * Math.PI) / 180;
  ctx.save();
  ctx.translate(x, y);
  ctx.rotate(a);
  ctx.beginPath();
  ctx.moveTo(11, 0);
  ctx.lineTo(-7, 7);
  ctx.lineTo(-3, 0);
  ctx.lineTo(-7, -7);
  ctx.closePath();
  ctx.fillStyle = lost ? '#a0a0a0' : color;
  ctx.fill();
  ctx.strokeStyle = '#ffffff';
  ctx.lineWidth = 1.5;
  ctx.stroke();
  ctx.restore();
  ctx.font = '12px system-ui, sans-serif';
  ctx.fillStyle = '#1a202c';
  ctx.fillText(`${v.id}${lost ? ' (link lost)' : ''} ${Math.round(v.pose.z)} m`, x + 12, y - 10);
}
