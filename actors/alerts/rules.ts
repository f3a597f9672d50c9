import type { Severity } from './alert.ts';
import type { Signal } from './signal.ts';

/** Per-rule behaviour; every field can be overridden per rule in the options. */
export interface RuleSettings {
  enabled: boolean;
  severity: Severity;
  /** Signals for one subject within this window make one message; the rest are summarised. */
  dedupeMs: number;
  /** At most `rateLimit` messages of this rule per `rateWindowMs`; the rest are summarised. */
  rateLimit: number;
  rateWindowMs: number;
  /** A storm rule fires once `stormCount` signals for one subject fall within `stormWindowMs`. */
  stormCount: number;
  stormWindowMs: number;
  /** After a recovery signal, this long without a new failure before "running again" is sent. */
  quietMs: number;
}

/** What a rule says about a signal it matches. */
export interface Match {
  title: string;
  text: string;
}

/**
 * One alert rule. To add one (say, for a new event kind), append an object to `DEFAULT_RULES`
 * or pass it in `rules` to startAlerts: a name, defaults, and `match`.
 */
export interface AlertRule {
  readonly name: string;
  readonly defaults: Partial<RuleSettings> & { severity: Severity };
  match(s: Signal): Match | null;
  /** Fires once per storm (stormCount within stormWindowMs), not per signal. */
  readonly storm?: boolean;
  /** Rules whose held-back signals this rule's message already tells of (a storm, a give-up). */
  readonly supersedes?: readonly string[];
  /** Ends open incidents of these rules for the subject: nothing will recover (a give-up). */
  readonly closes?: readonly string[];
  /** A signal showing the subject works again, and the message to send when it stays so. */
  readonly recovery?: {
    on(s: Signal): boolean;
    /** Send at once instead of after quietMs. */
    immediate?: boolean;
    text(
      subject: string,
      incident: { count: number; restarts: number; since: number; now: number },
    ): string;
  };
}

export const BASE_SETTINGS: RuleSettings = {
  enabled: true,
  severity: 'error',
  dedupeMs: 60_000,
  rateLimit: 10,
  rateWindowMs: 60_000,
  stormCount: 5,
  stormWindowMs: 60_000,
  quietMs: 30_000,
};

const isBudget = (reason: string) => reason.startsWith('budget:') || reason.includes(': budget:');
const at = (s: Signal) => `${s.subject} on ${s.node}`;
const seconds = (ms: number) => `${Math.max(1, Math.round(ms / 1000))} s`;
const restartedAgain = {
  on: (s: Signal) => s.source === 'runtime' && s.kind === 'restarted',
  text: (subject: string, i: { restarts: number }) =>
    `${subject} running again after ${i.restarts} restart${i.restarts === 1 ? '' : 's'}`,
};
/** A rule for alarms the audit ledger raises: it matches the ledger's signals of these kinds. */
const ledgerRule = (
  name: string,
  kinds: string[],
  defaults: AlertRule['defaults'],
  say: (s: Signal) => Match,
): AlertRule => ({
  name,
  defaults,
  match: (s) => (s.source === 'ledger' && kinds.includes(s.kind) ? say(s) : null),
});

/** The built-in rules, in the order they are checked. */
export const DEFAULT_RULES: readonly AlertRule[] = [
  {
    name: 'crash',
    defaults: { severity: 'error' },
    match: (s) =>
      s.source === 'runtime' && s.kind === 'crashed' && !isBudget(s.reason)
        ? { title: `crash: ${s.subject}`, text: `${at(s)} crashed: ${s.reason}` }
        : null,
    recovery: restartedAgain,
  },
  {
    name: 'restart-storm',
    defaults: { severity: 'critical' },
    storm: true,
    supersedes: ['crash'],
    match: (s) =>
      s.source === 'runtime' && s.kind === 'restarted'
        ? { title: `restart storm: ${s.subject}`, text: `${at(s)} is restarting over and over` }
        : null,
    recovery: restartedAgain,
  },
  {
    name: 'gave-up',
    defaults: { severity: 'critical' },
    supersedes: ['crash', 'restart-storm'],
    closes: ['crash', 'restart-storm', 'hung'],
    match: (s) =>
      s.source === 'runtime' && s.kind === 'gaveUp'
        ? { title: `gave up: ${s.subject}`, text: `${at(s)} gave up: ${s.reason}` }
        : null,
  },
  {
    name: 'hung',
    defaults: { severity: 'error' },
    match: (s) =>
      s.source === 'runtime' && s.kind === 'hung'
        ? { title: `hung: ${s.subject}`, text: `${at(s)} hung: ${s.reason}` }
        : null,
    recovery: restartedAgain,
  },
  {
    name: 'budget-exhausted',
    defaults: { severity: 'warning' },
    match: (s) =>
      s.source === 'runtime' && (s.kind === 'crashed' || s.kind === 'gaveUp') && isBudget(s.reason)
        ? {
            title: `budget exhausted: ${s.subject}`,
            text: `${at(s)} ran out of budget: ${s.reason}`,
          }
        : null,
  },
  ledgerRule(
    'ledger-fork',
    ['fork', 'rollback'],
    { severity: 'critical', dedupeMs: 3_600_000 },
    (s) => ({
      title: `ledger ${s.kind}: ${s.subject}`,
      text: `the audit ledger ${s.subject} on ${s.node} stopped appending (${s.kind}): ${s.reason}`,
    }),
  ),
  ledgerRule('ledger-gap', ['gap'], { severity: 'warning' }, (s) => ({
    title: `ledger gap: ${s.subject}`,
    text: `the audit stream skipped sequences ${String(s.data.first)}..${String(s.data.last)} (recorded as a GAP leaf in ${s.subject} on ${s.node})`,
  })),
  ledgerRule(
    'ledger-verification',
    ['start-unverifiable', 'unverifiable-duplicate', 'verify-failed'],
    { severity: 'critical' },
    (s) => ({
      title: `ledger verification failed: ${s.subject}`,
      text: `${s.subject} on ${s.node}: ${s.kind}: ${s.reason}`,
    }),
  ),
  ledgerRule('witness-disagreement', ['witness-refused'], { severity: 'critical' }, (s) => ({
    title: `witness disagrees: ${String(s.data.witness ?? s.subject)}`,
    text: `witness ${String(s.data.witness)} refused checkpoint ${String(s.data.size)} of ${s.subject}: ${s.reason}`,
  })),
  {
    name: 'mesh-peer-lost',
    defaults: { severity: 'warning', dedupeMs: 300_000 },
    match: (s) =>
      s.source === 'mesh' && s.kind === 'mesh.peer_lost'
        ? {
            title: `mesh peer lost: ${s.subject}`,
            text: `the link from ${s.system} to site ${s.subject} is down${s.reason ? `: ${s.reason}` : ''}`,
          }
        : null,
    recovery: {
      on: (s) => s.source === 'mesh' && s.kind === 'mesh.peer_connected',
      immediate: true,
      text: (subject, i) =>
        `the link to site ${subject} is up again after ${seconds(i.now - i.since)}`,
    },
  },
  {
    name: 'slow-consumer',
    defaults: { severity: 'warning', dedupeMs: 300_000 },
    match: (s) =>
      (s.source === 'nats' || s.source === 'runtime') && s.kind === 'slowConsumer'
        ? {
            title: `slow consumer on ${s.node}`,
            text: `NATS reports a slow consumer on ${s.node}${s.reason ? `: ${s.reason}` : ''}: messages are being dropped`,
          }
        : null,
  },
  {
    name: 'message-loss',
    defaults: { severity: 'error', dedupeMs: 300_000 },
    // Loss counters and events come from the transport (hardening): any kind naming a loss.
    match: (s) =>
      (s.source === 'runtime' || s.source === 'nats') &&
      s.kind !== 'deadLetter' &&
      /loss|lost|dropped|overflow/i.test(s.kind)
        ? {
            title: `message loss on ${s.node}`,
            text: `${s.node}: ${s.kind}${s.reason ? `: ${s.reason}` : ''}`,
          }
        : null,
  },
];

/** Every runtime event kind some rule may want: the rest are not sent to the alerts actor. */
export function interesting(kind: string): boolean {
  return kind !== 'deadLetter' && kind !== 'started' && kind !== 'stopped';
}
