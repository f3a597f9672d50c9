import {
  type Context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import {
  childTraceparent,
  type TelemetryActor,
  type TelemetryMessage,
  type WorkSpan,
} from '../../runtime/index.ts';

/** LetterKind.ask in the kernel (runtime/letter.ts). */
const ASK = 1;
const TWO_32 = 0x1_0000_0000;

/**
 * Turns the W3C traceparent troupe already carries into OpenTelemetry spans, with the API only
 * (the SDK that exports them lives in otlp.ts, or the caller brings a provider).
 *
 * Sampling: a message that carries a trace is sampled when its flags say so and its trace id
 * falls under the ratio. The decision is a hash of the trace id, so every node of a trace
 * decides alike without a word exchanged. A message without a trace (a root tell inside one
 * process) gets no span: the kernel starts traces where messages cross a transport (every ask
 * that leaves the process) and for timers, and spans follow those.
 */
export class Tracing {
  private readonly tracer: Tracer;
  private readonly threshold: number;
  /** The span each traced message runs under, for the traceparent of what it sends. */
  private readonly spans = new WeakMap<TelemetryMessage, Span>();

  constructor(
    provider: TracerProvider,
    ratio: number,
    private readonly system: string,
    private readonly node: string,
  ) {
    this.tracer = provider.getTracer('troupe');
    this.threshold = Math.floor(Math.min(1, Math.max(0, ratio)) * TWO_32);
  }

  /** Whether a trace is recorded here: its sampled flag and a hash of its trace id. */
  sampled(traceparent: string): boolean {
    if (traceparent.charCodeAt(54) === 48 && traceparent.charCodeAt(53) === 48) return false; // -00
    if (this.threshold >= TWO_32) return true;
    const low = Number.parseInt(traceparent.slice(27, 35), 16);
    return Math.imul(low ^ (low >>> 16), 0x45d9f3b) >>> 0 < this.threshold;
  }

  /** Start the span a handler runs under, or null when this message is not sampled. */
  begin(actor: TelemetryActor, msg: TelemetryMessage): Span | null {
    const tp = msg.trace;
    if (tp === null || !this.sampled(tp)) return null;
    const parent = remoteParent(tp);
    const ask = msg.kind === ASK;
    const span = this.tracer.startSpan(
      `${actor.def.type} ${msg.type}`,
      {
        kind: ask ? SpanKind.SERVER : SpanKind.CONSUMER,
        attributes: {
          'troupe.system': this.system,
          'troupe.node': this.node,
          'troupe.actor': actor.path,
          'troupe.actor.type': actor.def.type,
          'troupe.message.type': msg.type,
          'troupe.message.kind': ask ? 'ask' : 'tell',
        },
      },
      parent,
    );
    const sc = span.spanContext();
    // What the handler sends carries this span as its parent (see childTrace).
    msg.trace = `00-${sc.traceId}-${sc.spanId}-01`;
    this.spans.set(msg, span);
    return span;
  }

  end(span: Span, failed: boolean): void {
    if (failed) span.setStatus({ code: SpanStatusCode.ERROR, message: 'handler failed' });
    span.end();
  }

  /** A message sent while handling `parent`: its span when it has one, else a fresh span id. */
  childTrace(parent: TelemetryMessage): string {
    const tp = parent.trace!;
    return this.spans.has(parent) ? tp : childTraceparent(tp);
  }

  /** A span for work inside a handler: a model call, a tool call. */
  work(
    name: string,
    traceparent: string | null,
    attributes?: Record<string, string | number | boolean>,
  ): WorkSpan {
    if (traceparent === null || !this.sampled(traceparent)) {
      return { traceparent, setAttribute() {}, end() {} };
    }
    const span = this.tracer.startSpan(
      name,
      {
        kind: SpanKind.CLIENT,
        attributes: { 'troupe.system': this.system, 'troupe.node': this.node, ...attributes },
      },
      remoteParent(traceparent),
    );
    const sc = span.spanContext();
    return {
      traceparent: `00-${sc.traceId}-${sc.spanId}-01`,
      setAttribute: (k, v) => {
        span.setAttribute(k, v);
      },
      end: (error?: unknown) => {
        if (error !== undefined) {
          span.setStatus({
            code: SpanStatusCode.ERROR,
            message: error instanceof Error ? error.message : String(error),
          });
        }
        span.end();
      },
    };
  }
}

/** The context of a span on another node (or in a handler here), from its traceparent. */
function remoteParent(tp: string): Context {
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: tp.slice(3, 35),
    spanId: tp.slice(36, 52),
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  });
}
