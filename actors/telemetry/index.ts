// Metrics and traces for a node: Prometheus `/metrics` (prom-client) and OpenTelemetry spans
// from the traceparent troupe carries, exported by OTLP when configured. The kernel side is
// runtime/telemetry.ts; docs/operations.md lists every metric.
export { type AskOutcome, KernelTelemetry } from './kernel-telemetry.ts';
export { deadLetterCategory, type LedgerSource, type MeshSource, NodeMetrics } from './metrics.ts';
export { type MetricsServer, serveMetrics } from './metrics-server.ts';
export {
  startTelemetry,
  type Telemetry,
  type TelemetryOptions,
  TelemetryOptionsSchema,
} from './start-telemetry.ts';
export { Tracing } from './tracing.ts';
