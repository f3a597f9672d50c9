import type { TracerProvider } from '@opentelemetry/api';
import { z } from 'zod';
import {
  type ActorRef,
  type ActorSystem,
  InvalidArgument,
  type ModelUsage,
  parseOptions,
  setTelemetryHooks,
  type TelemetryHooks,
} from '../../runtime/index.ts';
import type { LedgerSource, MeshSource } from './metrics.ts';
import type { MetricsServer } from './metrics-server.ts';

const isPowerOfTwo = (n: number) => Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;

export const TelemetryOptionsSchema = z
  .object({
    /** Prometheus metrics; `port` opens `/metrics` over HTTP (0: any free port). */
    metrics: z
      .object({
        port: z.number().int().min(0).max(65_535).optional(),
        host: z.string().min(1).optional(),
        /** Node process metrics (CPU, memory, event loop lag) beside troupe's. Default true. */
        defaultMetrics: z.boolean().optional(),
        /** Time an actor's first handler run, then one in this many (a power of two, default 256). */
        timeEvery: z.number().refine(isPowerOfTwo, 'a power of two from 1').optional(),
      })
      .strict()
      .optional(),
    /** OpenTelemetry spans: a span per sampled message, model call and tool call. */
    tracing: z
      .object({
        /** Share of traces recorded, 0..1 (default 0.01). */
        ratio: z.number().min(0).max(1).optional(),
        /** Export to an OTLP/HTTP collector (loads the SDK). */
        otlp: z
          .object({
            url: z.string().url(),
            headers: z.record(z.string(), z.string()).optional(),
            serviceName: z.string().min(1).optional(),
          })
          .strict()
          .optional(),
        /** Or bring a tracer provider (tests: an in-memory exporter). */
        provider: z
          .custom<TracerProvider>(
            (v) =>
              typeof v === 'object' &&
              v !== null &&
              typeof (v as TracerProvider).getTracer === 'function',
            'an OpenTelemetry TracerProvider',
          )
          .optional(),
      })
      .strict()
      .refine((t) => !(t.otlp && t.provider), 'give otlp or provider, not both')
      .optional(),
    /** The audit ledger, for its size and lag gauges (what startAuditLedger returns). */
    ledger: z
      .custom<LedgerSource>(
        (v) =>
          typeof v === 'object' &&
          v !== null &&
          typeof (v as LedgerSource).status === 'function' &&
          typeof (v as LedgerSource).stream?.lastSeq === 'function',
        'an AuditLedger',
      )
      .optional(),
    /** The mesh bridge's actor (what startBridge returns, or its ref), for link gauges. */
    bridge: z
      .custom<{ ref: ActorRef } | ActorRef>(
        (v) => typeof v === 'object' && v !== null && ('ref' in v || 'path' in v),
        'a BridgeHandle or the bridge actor ref',
      )
      .optional(),
  })
  .strict();

export type TelemetryOptions = z.input<typeof TelemetryOptionsSchema>;

/** One node's running telemetry. */
export interface Telemetry {
  /** `http://host:port/metrics`, when a port was given. */
  readonly metricsUrl: string | null;
  /** The metrics as Prometheus text (what `/metrics` serves); null when metrics are off. */
  scrape(): Promise<string | null>;
  /** What agents call: spans for model and tool calls, token and cost usage. */
  readonly hooks: TelemetryHooks;
  /** Detach from the system, close the HTTP port, flush and stop the OTLP exporter. */
  close(): Promise<void>;
}

/**
 * Attach metrics and tracing to a running system. Both are opt-in: with neither, the kernel
 * pays one null check per message. Metrics and the kernel counters cost a few increments per
 * message; tracing a sampled message costs a span.
 */
export async function startTelemetry(
  system: ActorSystem,
  options: TelemetryOptions,
): Promise<Telemetry> {
  const o = parseOptions(TelemetryOptionsSchema, options ?? {}, 'telemetry options');
  if (system.telemetry !== null) {
    throw new InvalidArgument(`system ${system.name} on ${system.node} already has telemetry`);
  }
  // prom-client, the OpenTelemetry API and the SDK load only when telemetry starts: importing
  // troupe (or running a CLI command) pays for none of them.
  const [{ KernelTelemetry }, { NodeMetrics }, { serveMetrics }, { Tracing }] = await Promise.all([
    import('./kernel-telemetry.ts'),
    import('./metrics.ts'),
    import('./metrics-server.ts'),
    import('./tracing.ts'),
  ]);
  let shutdownProvider: (() => Promise<void>) | null = null;
  let tracing: InstanceType<typeof Tracing> | null = null;
  if (o.tracing) {
    let provider = o.tracing.provider;
    if (o.tracing.otlp) {
      // The SDK is loaded only here, when an exporter is configured.
      const { otlpProvider } = await import('./otlp.ts');
      const p = otlpProvider({
        url: o.tracing.otlp.url,
        ...(o.tracing.otlp.headers ? { headers: o.tracing.otlp.headers } : {}),
        serviceName: o.tracing.otlp.serviceName ?? `troupe-${system.name}`,
        attributes: { 'troupe.node': system.node },
      });
      provider = p.provider;
      shutdownProvider = p.shutdown;
    }
    if (provider)
      tracing = new Tracing(provider, o.tracing.ratio ?? 0.01, system.name, system.node);
  }
  let mesh: MeshSource | undefined;
  if (o.bridge) {
    const ref = ('ref' in o.bridge ? o.bridge.ref : o.bridge) as ActorRef;
    mesh = {
      status: () =>
        system.ask(ref as ActorRef<never>, 'status' as never, {} as never, {
          timeout: 2_000,
        }) as unknown as ReturnType<MeshSource['status']>,
    };
  }
  const metrics = o.metrics
    ? new NodeMetrics(system, {
        defaultMetrics: o.metrics.defaultMetrics ?? true,
        ...(o.ledger ? { ledger: o.ledger } : {}),
        ...(mesh ? { mesh } : {}),
      })
    : null;
  const kernel = new KernelTelemetry(
    metrics?.latency ?? null,
    tracing,
    o.metrics?.timeEvery ?? 256,
  );
  metrics?.attach(kernel);
  let server: MetricsServer | null = null;
  if (metrics && o.metrics?.port !== undefined) {
    try {
      server = await serveMetrics(metrics, o.metrics.port, o.metrics.host ?? '127.0.0.1');
    } catch (err) {
      metrics.close();
      await shutdownProvider?.();
      throw err;
    }
  }
  const hooks: TelemetryHooks = {
    span: (name, traceparent, attributes) =>
      tracing
        ? tracing.work(name, traceparent, attributes)
        : { traceparent, setAttribute() {}, end() {} },
    modelUsage: (u: ModelUsage) => metrics?.modelUsage(u),
    toolCall: (agent, tool, outcome) => metrics?.toolCall(agent, tool, outcome),
  };
  system.setTelemetry(kernel);
  setTelemetryHooks(system.name, system.node, hooks);
  let closed = false;
  return {
    metricsUrl: server?.url ?? null,
    scrape: async () => (metrics ? metrics.text() : null),
    hooks,
    async close() {
      if (closed) return;
      closed = true;
      if (system.telemetry === kernel) system.setTelemetry(null);
      setTelemetryHooks(system.name, system.node, null);
      await server?.close();
      metrics?.close();
      await shutdownProvider?.();
    },
  };
}
