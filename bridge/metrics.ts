/**
 * What the bridge reports to a metrics sink (the Prometheus registry in metrics/, or a test).
 *
 * @remarks
 * Every method is optional and called synchronously on the hot path, so an implementation
 * should only bump a counter. Counts are also kept by the server itself (`stats()`), so the
 * bridge is observable without a sink. {@link bridgeMetricsFrom} adapts prom-client metrics of
 * the shape metrics/ exposes as `metrics.bridge` (typed structurally: no import of metrics/).
 */
export type DropReason = 'backpressure' | 'throttle';

export interface BridgeMetrics {
  /** The number of connected clients, after each connect or disconnect. */
  clients?(connected: number): void;
  /** Frames received from clients. */
  messagesReceived?(count: number): void;
  /** Topic messages written to client sockets. */
  messagesSent?(count: number): void;
  /**
   * Messages dropped for a client: `backpressure` when its socket was congested, `throttle` when
   * its throttled queue overflowed.
   */
  messagesDropped?(topic: string, count: number, reason: DropReason): void;
  /** Incoming messages refused, by dotted code (`BRIDGE.BAD_JSON`, `BRIDGE.UNAUTHENTICATED`…). */
  rejected?(code: string): void;
  /** One service call: `refused` is a call the twin answered with `success: false`. */
  serviceCall?(service: string, outcome: 'ok' | 'refused' | 'error', duration_ms: number): void;
}

/** prom-client gauge and counters as metrics/ defines them for the bridge. */
export interface PromBridgeMetricsLike {
  readonly clients: { set(value: number): void };
  readonly dropped: { inc(labels: { reason: string }, value?: number): void };
  readonly messages: { inc(labels: { direction: string }, value?: number): void };
}

/** Adapts `metrics.bridge` (prom-client) to the bridge's sink. */
export function bridgeMetricsFrom(m: PromBridgeMetricsLike): BridgeMetrics {
  return {
    clients: (n) => m.clients.set(n),
    messagesReceived: (n) => m.messages.inc({ direction: 'in' }, n),
    messagesSent: (n) => m.messages.inc({ direction: 'out' }, n),
    messagesDropped: (_topic, n, reason) => m.dropped.inc({ reason }, n),
  };
}
