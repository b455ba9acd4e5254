/** Metrics: the shared Prometheus registry (see registry.ts). */
export { createMetrics, type Metrics, type MetricsOptions, type BridgeMetrics } from './registry.js';
