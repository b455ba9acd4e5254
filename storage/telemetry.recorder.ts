/**
 * Records each vehicle's telemetry from the bus, down-sampled to `hz` per vehicle (sim time),
 * in batched transactions. Subscribes per vehicle topic (not `subscribeAll`), so topics nobody
 * else listens to stay free for the publisher.
 */
import { topics, type Bus } from '../actors/bus.js';
import type { VehicleTelemetry } from '../hardware/vehicle.port.js';
import { BatchWriter } from './batch-writer.js';
import type { TelemetryRow } from './event-log.repository.js';
import type { Store } from './store.js';

export interface TelemetryRecorderOptions {
  readonly runId: string;
  readonly vehicles: readonly string[];
  /** Samples per second per vehicle kept (sim time). Default 10. */
  readonly hz?: number;
  readonly batchSize?: number;
  readonly onError?: (error: unknown) => void;
}

export interface TelemetryRecorder {
  readonly writer: BatchWriter<TelemetryRow>;
  close(): boolean;
}

export function recordTelemetry(store: Store, bus: Bus, options: TelemetryRecorderOptions): TelemetryRecorder {
  const period_ms = 1000 / (options.hz ?? 10);
  const writer = new BatchWriter<TelemetryRow>({
    write: (batch) => store.events.insertTelemetryBatch(options.runId, batch),
    batchSize: options.batchSize,
    onError: options.onError,
  });
  const unsubs = options.vehicles.map((id) => {
    let next = -Infinity;
    return bus.subscribe(topics.telemetry(id), (t: VehicleTelemetry) => {
      if (t.t_ms < next) return;
      next = t.t_ms + period_ms;
      writer.push({ vehicle: id, t_ms: t.t_ms, data: JSON.stringify(t) });
    });
  });
  return {
    writer,
    close: () => {
      for (const u of unsubs) u();
      return writer.close();
    },
  };
}
