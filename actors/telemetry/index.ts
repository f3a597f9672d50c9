// Metrics and traces for a node: Prometheus `/metrics` (prom-client) and OpenTelemetry spans
// from the traceparent troupe carries, exported by OTLP when configured. The kernel side is
// runtime/telemetry.ts; docs/operations.md lists every metric.
// Only types from the modules that load prom-client and OpenTelemetry: startTelemetry loads them.
export type { AskOutcome, KernelTelemetry } from './kernel-telemetry.ts';
export type { LedgerSource, MeshSource, NodeMetrics } from './metrics.ts';
export type { MetricsServer } from './metrics-server.ts';
export {
  startTelemetry,
  type Telemetry,
  type TelemetryOptions,
  TelemetryOptionsSchema,
} from './start-telemetry.ts';
export type { Tracing } from './tracing.ts';
