/**
 * Telemetry monitors: turn continuous telemetry into the discrete events the vehicle machine
 * reacts to (battery low/critical, geofence breach), once per episode, with hysteresis.
 *
 * @remarks
 * This is the per-sample work that must stay out of the statecharts (issue 2's performance
 * note): a comparison per sample, an actor event only when a threshold is crossed.
 */
import type { LocalFrame } from '../core/geo.js';
import type { VehicleTelemetry } from '../hardware/vehicle.port.js';
import type { VehicleMachineEvent } from '../machines/vehicle.machine.js';

/** Anything that can say why a world-frame position is outside the fence. */
export interface FenceCheck {
  violation(p: { north_m: number; east_m: number; alt_m: number }): string | undefined;
}

export interface MonitorConfig {
  /** Battery low threshold, % remaining (RTL). */
  readonly batteryLow_pct: number;
  /** Battery critical threshold, % remaining (land). */
  readonly batteryCritical_pct: number;
  /** Points of recovery needed before a threshold re-arms (a battery swap, a sensor glitch). */
  readonly hysteresis_pct?: number;
}

export const DEFAULT_MONITOR: MonitorConfig = { batteryLow_pct: 20, batteryCritical_pct: 10, hysteresis_pct: 5 };

export class VehicleMonitor {
  private lowLatched = false;
  private criticalLatched = false;
  private breached = false;
  /** World-frame position of the last sample (metres from the world origin). */
  north_m = 0;
  east_m = 0;
  alt_m = 0;

  constructor(
    private readonly config: MonitorConfig,
    private readonly frame: () => LocalFrame | undefined,
    private readonly fence: FenceCheck | undefined,
    private readonly send: (event: VehicleMachineEvent) => void,
  ) {}

  onTelemetry(t: VehicleTelemetry): void {
    const frame = this.frame();
    if (frame) {
      const p = frame.toLocal(t.position.lat_deg, t.position.lon_deg);
      this.north_m = p.north_m;
      this.east_m = p.east_m;
      this.alt_m = t.position.alt_m - frame.origin.alt_m;
    }
    // Only an airborne vehicle can act on a low battery; latching on the pad would swallow the
    // event and the vehicle would fly its mission on a low pack (found by twin fuzz).
    if (t.armed && (t.landed === 'in_air' || t.landed === 'taking_off')) this.checkBattery(t.battery.remaining_pct);
    if (this.fence && frame && t.armed) this.checkFence();
    else this.breached = false;
  }

  private checkBattery(pct: number): void {
    const h = this.config.hysteresis_pct ?? 5;
    if (!this.lowLatched && pct <= this.config.batteryLow_pct) {
      this.lowLatched = true;
      this.send({ type: 'MONITOR.BATTERY_LOW', remaining_pct: pct });
    } else if (this.lowLatched && pct > this.config.batteryLow_pct + h) this.lowLatched = false;
    if (!this.criticalLatched && pct <= this.config.batteryCritical_pct) {
      this.criticalLatched = true;
      this.send({ type: 'MONITOR.BATTERY_CRITICAL', remaining_pct: pct });
    } else if (this.criticalLatched && pct > this.config.batteryCritical_pct + h) this.criticalLatched = false;
  }

  private checkFence(): void {
    const reason = this.fence!.violation({ north_m: this.north_m, east_m: this.east_m, alt_m: this.alt_m });
    if (reason && !this.breached) {
      this.breached = true;
      this.send({ type: 'MONITOR.GEOFENCE_BREACH', reason });
    } else if (!reason) this.breached = false;
  }
}
