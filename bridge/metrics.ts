/**
 * What the bridge reports to a metrics sink (the Prometheus registry in metrics/, or a test).
 *
 * @remarks
 * Every method is optional and called synchronously on the hot path, so an implementation
 * should only bump a counter. Counts are also kept by the server itself (`stats()`), so the
 * bridge is observable without a sink.
 */
export interface BridgeMetrics {
  /** The number of connected clients, after each connect or disconnect. */
  clients?(connected: number): void;
  /** Topic messages written to client sockets. */
  messagesSent?(count: number): void;
  /** Topic messages dropped for a client (queue full while throttled or congested). */
  messagesDropped?(topic: string, count: number): void;
  /** Incoming messages refused, by dotted code (`BRIDGE.BAD_JSON`, `BRIDGE.UNAUTHENTICATED`…). */
  rejected?(code: string): void;
  /** One service call: `refused` is a call the twin answered with `success: false`. */
  serviceCall?(service: string, outcome: 'ok' | 'refused' | 'error', duration_ms: number): void;
}
