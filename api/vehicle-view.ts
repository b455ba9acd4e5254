/**
 * What `GET /vehicles` shows of one vehicle: state, mode, armed, battery, position, link and
 * mission status, read from the twin (never from the port directly).
 */
import type { Twin } from '../actors/twin.js';
import { missionStatusMessage } from '../machines/mission.machine.js';

export interface VehicleView {
  readonly id: string;
  readonly state: string;
  readonly mode: string;
  readonly armed: boolean;
  readonly landed: string;
  readonly link: boolean;
  readonly battery: { readonly remaining_pct: number; readonly voltage_v: number } | null;
  /** WGS84 (`alt` AMSL), altitude above home, and local NED metres from the world origin. */
  readonly position: { lat: number; lon: number; alt: number; alt_rel: number; north: number; east: number } | null;
  readonly mission: ReturnType<typeof missionStatusMessage>;
}

export function vehicleView(twin: Twin, id: string, link: boolean): VehicleView {
  const ctx = twin.vehicleContext(id);
  const latest = twin.latest(id);
  const t = latest.telemetry;
  const mission = twin.mission(id);
  return {
    id,
    state: twin.vehicleState(id),
    mode: ctx.mode,
    armed: ctx.armed,
    landed: ctx.landed,
    link,
    battery: t ? { remaining_pct: t.battery.remaining_pct, voltage_v: t.battery.voltage_v } : null,
    position: t
      ? { lat: t.position.lat_deg, lon: t.position.lon_deg, alt: t.position.alt_m, alt_rel: t.alt_rel_m, north: latest.north_m, east: latest.east_m }
      : null,
    mission: missionStatusMessage(mission.status(), mission.context()),
  };
}
