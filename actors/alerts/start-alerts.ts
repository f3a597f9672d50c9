import { z } from 'zod';
import {
  type ActorRef,
  type ActorSystem,
  InvalidArgument,
  type ProtocolOf,
  parseOptions,
} from '../../runtime/index.ts';
import type { Alert } from './alert.ts';
import { AlertsActor, type AlertsStatus } from './alerts-actor.ts';
import { DELIVERY_DEFAULTS, SinkQueue } from './delivery.ts';
import { AlertEngine } from './engine.ts';
import { type AlertRule, DEFAULT_RULES } from './rules.ts';
import type { Signal } from './signal.ts';
import { LogSink } from './sinks/log.ts';
import type { AlertSink } from './sinks/sink.ts';
import { SlackSink } from './sinks/slack.ts';
import { TelegramSink } from './sinks/telegram.ts';
import { WebhookSink } from './sinks/webhook.ts';
import { type AuditDecoder, SignalSources } from './sources.ts';

const Severity = z.enum(['critical', 'error', 'warning', 'info']);
const ms = z.number().int().nonnegative().max(86_400_000);

const RuleSettingsSchema = z
  .object({
    enabled: z.boolean(),
    severity: Severity,
    dedupeMs: ms,
    rateLimit: z.number().int().positive().max(10_000),
    rateWindowMs: ms.min(1),
    stormCount: z.number().int().min(1).max(100_000),
    stormWindowMs: ms.min(1),
    quietMs: ms,
  })
  .partial()
  .strict();

/** Where a secret comes from: the value, or the name of an environment variable holding it. */
const secret = (what: string, env: string) =>
  z
    .object({ value: z.string().min(1).optional(), env: z.string().min(1).optional() })
    .transform((o, ctx) => {
      const v = o.value ?? process.env[o.env ?? env];
      if (!v) {
        ctx.addIssue({ code: 'custom', message: `${what}: give it, or set ${o.env ?? env}` });
        return z.NEVER;
      }
      return v;
    });

/** Each sink's secret, by its place in the options: what it is and its default variable. */
const SECRETS = {
  'telegram.botToken': secret('the bot token', 'TROUPE_TELEGRAM_BOT_TOKEN'),
  'webhook.secret': secret('the HMAC secret', 'TROUPE_ALERTS_WEBHOOK_SECRET'),
  'slack.url': secret('the webhook URL', 'TROUPE_ALERTS_SLACK_URL'),
};

/** A sink's secret from its value or its environment variable, or an option error naming it. */
function readSecret(path: keyof typeof SECRETS, value?: string, env?: string): string {
  return parseOptions(SECRETS[path], { value, env }, `alerts options: ${path}`);
}

export const AlertsOptionsSchema = z
  .object({
    /** The alerts actor's name (default `alerts`). */
    name: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,128}$/, 'an actor name')
      .optional(),
    telegram: z
      .object({
        botToken: z.string().min(1).optional(),
        /** Environment variable with the bot token (default TROUPE_TELEGRAM_BOT_TOKEN). */
        botTokenEnv: z.string().min(1).optional(),
        chatId: z.union([z.string().min(1), z.number().int()]),
        baseUrl: z.string().url().optional(),
        messageThreadId: z.number().int().optional(),
      })
      .strict()
      .optional(),
    webhook: z
      .object({
        url: z.string().url(),
        secret: z.string().min(16, 'at least 16 characters').optional(),
        /** Environment variable with the HMAC secret (default TROUPE_ALERTS_WEBHOOK_SECRET). */
        secretEnv: z.string().min(1).optional(),
        headers: z.record(z.string(), z.string()).optional(),
      })
      .strict()
      .optional(),
    slack: z
      .object({
        url: z.string().url().optional(),
        /** Environment variable with the webhook URL (default TROUPE_ALERTS_SLACK_URL). */
        urlEnv: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    /** Alerts as log lines too (default true). */
    log: z.boolean().optional(),
    /** Per-rule overrides, by rule name (see DEFAULT_RULES). */
    rules: z.record(z.string(), RuleSettingsSchema).optional(),
    /** Rules of your own, checked after the built-in ones. */
    extraRules: z
      .array(
        z.custom<AlertRule>(
          (r) =>
            typeof r === 'object' &&
            r !== null &&
            typeof (r as AlertRule).name === 'string' &&
            typeof (r as AlertRule).match === 'function',
          'an AlertRule',
        ),
      )
      .optional(),
    delivery: z
      .object({
        capacity: z.number().int().min(1).max(1_000_000),
        initialMs: ms.min(1),
        maxMs: ms.min(1),
        timeoutMs: ms.min(1),
        maxRetryAfterMs: ms,
        maxAgeMs: ms.min(1),
      })
      .partial()
      .strict()
      .optional(),
    /** How often summaries and recoveries are checked (ms, default 1000). */
    tickMs: z.number().int().min(10).max(60_000).optional(),
    /** Read every node's audit subjects (mesh link events) with this decoder (decodeAuditBatch). */
    auditDecoder: z.custom<AuditDecoder>((v) => typeof v === 'function', 'a function').optional(),
  })
  .strict();

export type AlertsOptions = z.input<typeof AlertsOptionsSchema>;

/** A running alerts actor. */
export interface Alerts {
  readonly ref: ActorRef<ProtocolOf<typeof AlertsActor>>;
  /** Sinks' delivery counts (undelivered, dropped…) and open incidents. */
  status(): Promise<AlertsStatus>;
  /** Resolves when every sink has delivered what it holds (or `timeoutMs` passed: false). */
  drained(timeoutMs?: number): Promise<boolean>;
  /** Feed a signal by hand (an integration that is not an event subject). */
  signal(s: Signal): void;
  /** Stop listening, stop the actor, drop what is still queued (status says how much). */
  close(): Promise<void>;
}

/**
 * Start the alerts actor on `system`: it hears every node's lifecycle events, the ledger's and
 * the mesh bridge's alarms, and sends what its rules make of them to Telegram, a webhook, Slack
 * and the log. Opt-in; see docs/operations.md for the rules and their settings.
 */
export async function startAlerts(
  system: ActorSystem,
  options: AlertsOptions = {},
): Promise<Alerts> {
  const o = parseOptions(AlertsOptionsSchema, options ?? {}, 'alerts options');
  const rules = [...DEFAULT_RULES, ...(o.extraRules ?? [])];
  const names = new Set<string>();
  for (const r of rules) {
    if (names.has(r.name))
      throw new InvalidArgument(`alerts options: extraRules: a rule named ${r.name} exists`);
    names.add(r.name);
  }
  for (const name of Object.keys(o.rules ?? {})) {
    if (!names.has(name))
      throw new InvalidArgument(
        `alerts options: rules.${name}: no such rule (${[...names].join(', ')})`,
      );
  }
  const sinks: AlertSink[] = [];
  if (o.telegram) {
    const t = o.telegram;
    const botToken = readSecret('telegram.botToken', t.botToken, t.botTokenEnv);
    sinks.push(
      new TelegramSink({
        botToken,
        chatId: t.chatId,
        ...(t.baseUrl ? { baseUrl: t.baseUrl } : {}),
        ...(t.messageThreadId !== undefined ? { messageThreadId: t.messageThreadId } : {}),
      }),
    );
  }
  if (o.webhook) {
    const w = o.webhook;
    const key = readSecret('webhook.secret', w.secret, w.secretEnv);
    sinks.push(
      new WebhookSink({ url: w.url, secret: key, ...(w.headers ? { headers: w.headers } : {}) }),
    );
  }
  if (o.slack) {
    const url = readSecret('slack.url', o.slack.url, o.slack.urlEnv);
    if (!z.string().url().safeParse(url).success)
      throw new InvalidArgument('alerts options: slack.url: not a URL');
    sinks.push(new SlackSink({ url }));
  }
  const log = system.log.child({ actor: `alerts` });
  if (o.log !== false) sinks.push(new LogSink(log));

  const delivery = { ...DELIVERY_DEFAULTS, ...o.delivery };
  const queues: SinkQueue[] = [];
  const onRecovered = (q: SinkQueue, downMs: number, dropped: number): void => {
    q.push({
      id: `${system.node}-sink-${Date.now()}`,
      rule: 'alert-delivery',
      severity: 'warning',
      state: 'summary',
      system: system.name,
      node: system.node,
      subject: q.sink.name,
      title: `${dropped} alerts lost`,
      text: `${dropped} alerts did not fit ${q.sink.name}'s backlog (${delivery.capacity})${downMs > 0 ? ` while it was unreachable for ${Math.round(downMs / 1000)} s` : ''} and were dropped`,
      count: dropped,
      at: Date.now(),
    });
  };
  for (const s of sinks) queues.push(new SinkQueue(s, delivery, log, onRecovered));
  const dispatch = (a: Alert): void => {
    for (const q of queues) q.push(a);
  };
  const engine = new AlertEngine(rules, AlertEngine.settingsFor(rules, o.rules ?? {}), dispatch);
  const ref = system.spawn(AlertsActor, {
    name: o.name ?? 'alerts',
    args: { engine, sinks: () => queues.map((q) => ({ ...q.stats })), tickMs: o.tickMs ?? 1000 },
  });
  const tell = (s: Signal): void => {
    try {
      system.tell(ref, 'signal', s as never);
    } catch {
      // The system is shutting down: nothing more to alert about here.
    }
  };
  const sources = new SignalSources(system, tell);
  sources.start(o.auditDecoder);
  let closed = false;
  return {
    ref,
    status: () => system.ask(ref, 'status', {}, { timeout: 5_000 }),
    async drained(timeoutMs = 30_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((res) => {
        timer = setTimeout(() => res(false), timeoutMs);
      });
      const all = Promise.all(queues.map((q) => q.drained())).then(() => true);
      const r = await Promise.race([all, timeout]);
      clearTimeout(timer);
      return r;
    },
    signal: tell,
    async close() {
      if (closed) return;
      closed = true;
      sources.stop();
      for (const q of queues) q.close();
      if (system.lookup(ref.path)) await system.stop(ref).catch(() => {});
    },
  };
}
