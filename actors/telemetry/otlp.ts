import type { TracerProvider } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/**
 * The only module that loads the OpenTelemetry SDK: a tracer provider that batches spans to an
 * OTLP/HTTP collector. Loaded lazily, only when `tracing.otlp` is configured. Sampling is
 * decided by troupe (tracing.ts) before a span exists, so the SDK samples everything it is given.
 */
export interface OtlpOptions {
  /** The collector's traces endpoint, e.g. `http://127.0.0.1:4318/v1/traces`. */
  url: string;
  headers?: Record<string, string>;
  serviceName: string;
  attributes?: Record<string, string>;
}

export interface OtlpProvider {
  readonly provider: TracerProvider;
  /** Export what is buffered, then stop. */
  shutdown(): Promise<void>;
}

export function otlpProvider(o: OtlpOptions): OtlpProvider {
  const exporter = new OTLPTraceExporter({ url: o.url, headers: o.headers ?? {} });
  const provider = new BasicTracerProvider({
    sampler: new AlwaysOnSampler(),
    resource: resourceFromAttributes({ 'service.name': o.serviceName, ...o.attributes }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  return { provider, shutdown: () => provider.shutdown() };
}
