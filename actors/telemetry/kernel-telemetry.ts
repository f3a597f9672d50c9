import type { Span } from '@opentelemetry/api';
import type { Histogram } from 'prom-client';
import type {
  TelemetryActor,
  TelemetryMessage,
  TelemetryPort,
  TypeStats,
} from '../../runtime/index.ts';
import { childTraceparent } from '../../runtime/index.ts';
import type { Tracing } from './tracing.ts';

/** Counters of one actor type, bumped by the kernel, read when metrics are scraped. */
export class TypeRecord implements TypeStats {
  received = 0;
  sent = 0;
  constructor(
    readonly type: string,
    readonly latency: Histogram.Internal<string> | null,
  ) {}
}

/** What `handling` hands `handled` for a message that is timed or traced. */
class Token {
  constructor(
    readonly stats: TypeRecord,
    readonly gen: number,
    readonly t0: number,
    readonly span: Span | null,
  ) {}
}

/** How asks from this process ended, by outcome. */
export type AskOutcome =
  | 'ok'
  | 'timeout'
  | 'no_such_actor'
  | 'failed'
  | 'rejected'
  | 'hung'
  | 'stopped'
  | 'error';

const OUTCOME_BY_ERROR: Record<string, AskOutcome> = {
  Timeout: 'timeout',
  NoSuchActor: 'no_such_actor',
  ActorFailed: 'failed',
  RemoteError: 'failed',
  Rejected: 'rejected',
  Hung: 'hung',
  Stopped: 'stopped',
};

/**
 * The kernel side of telemetry: per-type counters on plain numbers (a scrape reads them), a
 * handler latency sample (an actor's first message, then one in `timeEvery` per actor, and
 * every traced one), the ask outcomes and the spans. Nothing here allocates for a message that
 * is neither timed nor traced.
 */
export class KernelTelemetry implements TelemetryPort {
  readonly types = new Map<string, TypeRecord>();
  readonly asks: Record<AskOutcome, number> = {
    ok: 0,
    timeout: 0,
    no_such_actor: 0,
    failed: 0,
    rejected: 0,
    hung: 0,
    stopped: 0,
    error: 0,
  };
  readonly timeMask: number;
  private readonly onOk = (): void => {
    this.asks.ok++;
  };
  private readonly onErr = (err: unknown): void => {
    // By the wire code: stable across versions and across the wire (class names are not).
    const code = (err as { code?: unknown } | null)?.code;
    this.asks[(typeof code === 'string' ? OUTCOME_BY_ERROR[code] : undefined) ?? 'error']++;
  };

  constructor(
    private readonly latency: Histogram<string> | null,
    private readonly tracing: Tracing | null,
    /** Time one handler in this many per type (a power of two). */
    timeEvery: number,
  ) {
    this.timeMask = timeEvery - 1;
  }

  statsFor(type: string): TypeRecord {
    let s = this.types.get(type);
    if (s === undefined) {
      s = new TypeRecord(type, this.latency === null ? null : this.latency.labels(type));
      this.types.set(type, s);
    }
    return s;
  }

  private stats(actor: TelemetryActor): TypeRecord {
    let s = actor.tstats as TypeRecord | null;
    if (s === null) {
      s = this.statsFor(actor.def.type);
      actor.tstats = s;
    }
    return s;
  }

  handling(actor: TelemetryActor, msg: TelemetryMessage, due: boolean): object | null {
    const s = this.stats(actor);
    const span = this.tracing === null ? null : this.tracing.begin(actor, msg);
    const timed = due && s.latency !== null;
    if (span === null && !timed) return null;
    return new Token(s, actor.gen, performance.now(), span);
  }

  received(actor: TelemetryActor, n: number): void {
    this.stats(actor).received += n;
  }

  handled(token: object, actor: TelemetryActor, pending: Promise<unknown> | undefined): void {
    const t = token as Token;
    if (pending === undefined) {
      this.finish(t, actor.gen !== t.gen);
      return;
    }
    pending.then(
      () => this.finish(t, actor.gen !== t.gen),
      () => this.finish(t, true),
    );
  }

  private finish(t: Token, failed: boolean): void {
    if (t.t0 !== 0 && t.stats.latency !== null) {
      t.stats.latency.observe((performance.now() - t.t0) / 1000);
    }
    if (t.span !== null) this.tracing!.end(t.span, failed);
  }

  sent(actor: TelemetryActor): void {
    this.stats(actor).sent++;
  }

  childTrace(parent: TelemetryMessage): string {
    return this.tracing === null
      ? childTraceparent(parent.trace!)
      : this.tracing.childTrace(parent);
  }

  asked(_type: string, reply: Promise<unknown>): void {
    reply.then(this.onOk, this.onErr);
  }
}
