/**
 * What every topic-fed sensor port keeps the same way: its event listeners, the link (up while
 * frames arrive, down after `staleAfter_ms` of clock time without one), injected failures, and
 * the periodic health event. Used by topic-camera.port.ts and topic-lidar.port.ts.
 */
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { SensorEvent, SensorFault, SensorHealth, Unsubscribe } from '../sensor.port.js';

export interface TopicLinkOptions {
  readonly id: string;
  readonly clock: Clock;
  /** No frame for this long (clock ms) → link down. */
  readonly staleAfter_ms: number;
  /** Health event period, clock ms. */
  readonly healthPeriod_ms: number;
  /** For the log line of a listener that throws (`topic camera`, `topic lidar`). */
  readonly label: string;
  readonly logger?: Logger;
}

export class TopicLink {
  private readonly listeners = new Set<(e: SensorEvent) => void>();
  private up = false;
  private lastAt = -Infinity;
  private failedUntil: number | undefined;
  private watch: TimerHandle | undefined;
  private healthTimer: TimerHandle | undefined;
  private closed = false;

  constructor(private readonly o: TopicLinkOptions) {}

  /** Whether frames are arriving (see {@link frame}). */
  get linkUp(): boolean {
    return this.up;
  }

  /** Sends an event to every listener; one that throws is logged and the others still get it. */
  emit(e: SensorEvent): void {
    for (const fn of this.listeners) {
      try {
        fn(e);
      } catch (error) {
        this.o.logger?.warn({ sensor: this.o.id, err: (error as Error).message }, `${this.o.label}: listener threw`);
      }
    }
  }

  subscribe(fn: (e: SensorEvent) => void): Unsubscribe {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** A frame arrived now: the link is up, and the watchdog will take it down if frames stop. */
  frame(): void {
    if (this.closed) return;
    this.lastAt = this.o.clock.now();
    this.setLink(true);
    this.watch ??= this.o.clock.setTimeout(this.watchdog, this.o.staleAfter_ms);
  }

  /** Whether an injected failure is in force now. */
  failed(): boolean {
    return this.failedUntil !== undefined && this.o.clock.now() < this.failedUntil;
  }

  /** Applies `sensor_failure` (for `duration_s`, or until restored) or `sensor_restore`. */
  fault(fault: SensorFault): void {
    if (fault.kind === 'sensor_restore') this.failedUntil = undefined;
    else this.failedUntil = this.o.clock.now() + (fault.duration_s !== undefined ? fault.duration_s * 1000 : Infinity);
  }

  /** Emits `health()` every period from now on. */
  startHealth(health: () => SensorHealth): void {
    const tick = () => {
      if (this.closed) return;
      const h = health();
      this.emit({ sensor: this.o.id, t_ms: h.t_ms, type: 'health', health: h });
      this.healthTimer = this.o.clock.setTimeout(tick, this.o.healthPeriod_ms);
    };
    this.healthTimer = this.o.clock.setTimeout(tick, this.o.healthPeriod_ms);
  }

  /** Stops the timers and forgets the listeners. */
  close(): void {
    this.closed = true;
    this.o.clock.clearTimeout(this.watch);
    this.o.clock.clearTimeout(this.healthTimer);
    this.listeners.clear();
  }

  private setLink(up: boolean): void {
    if (up === this.up) return;
    this.up = up;
    this.emit({ sensor: this.o.id, t_ms: this.o.clock.now(), type: 'link', up });
  }

  private readonly watchdog = (): void => {
    this.watch = undefined;
    if (this.closed) return;
    if (this.o.clock.now() - this.lastAt >= this.o.staleAfter_ms) this.setLink(false);
    else this.watch = this.o.clock.setTimeout(this.watchdog, this.o.staleAfter_ms);
  };
}
