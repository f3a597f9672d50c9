import { fmt } from './format.ts';

/** One kind of subject as operators and the docs see it. */
export interface SubjectTableRow {
  /** A `Subject` kind, or a named event or reply subject (`ledgerEvent`, `replies`, …). */
  readonly kind: string;
  /** The subject with placeholders, formatted by the same code the builders use. */
  readonly pattern: string;
  readonly publishers: string;
  readonly subscribers: string;
  readonly description: string;
}

const SYS = '<sys>';
const NODE = '<node>';
const PATH = '<path…>';
const TYPE = '<type>';
const SITE = '<site>';
const INBOX = fmt.inbox('<prefix>', NODE);

/**
 * Every subject troupe uses, in one table: the docs' subject table is generated from it (a test
 * keeps docs/architecture.md equal to `subjectTableMarkdown()`), and per-agent NATS permissions
 * are built from the same builders.
 */
export const SUBJECT_TABLE: readonly SubjectTableRow[] = [
  {
    kind: 'actor',
    pattern: fmt.actor(SYS, PATH),
    publishers: 'any node of `<sys>`; the bridge, for other sites',
    subscribers: 'the node that hosts the actor',
    description: 'one actor instance, e.g. `troupe.dev.a.team.coder`',
  },
  {
    kind: 'shard',
    pattern: fmt.shard(SYS, TYPE),
    publishers: 'any node of `<sys>`; the bridge, for other sites',
    subscribers: 'every node hosting the type, queue group `<type>`',
    description: 'any one instance of a sharded type',
  },
  {
    kind: 'meshActor',
    pattern: fmt.meshActor(SYS, SITE, PATH),
    publishers: 'any node of `<sys>`',
    subscribers: 'the bridge of `<sys>` (`troupe.<sys>.mesh.>`)',
    description: 'an actor on site `<site>`, carried there over the encrypted link',
  },
  {
    kind: 'meshShard',
    pattern: fmt.meshShard(SYS, SITE, TYPE),
    publishers: 'any node of `<sys>`',
    subscribers: 'the bridge of `<sys>` (`troupe.<sys>.mesh.>`)',
    description: 'a sharded type on site `<site>`',
  },
  {
    kind: 'askBatchReply',
    pattern: fmt.askBatchReply(INBOX, '<seq>'),
    publishers: 'the broker (a no-responders status)',
    subscribers: 'the asking node (`<prefix>.<node>.>`)',
    description: 'reply subject of a batch of asks: a 503 fails them all with `NoSuchActor`',
  },
  {
    kind: 'replies',
    pattern: fmt.replies(INBOX),
    publishers: 'the nodes that answer',
    subscribers: 'the asking node (`<prefix>.<node>.>`)',
    description: 'answers to a node’s asks, batched, matched by correlation id',
  },
  {
    kind: 'control',
    pattern: fmt.control(SYS, NODE, '<verb>'),
    publishers: 'supervisors on other nodes; the CLI',
    subscribers: 'node `<node>` (not named `any` or `all`)',
    description: 'control plane of one node: `spawn`, `stop`, `restart`, `exit`',
  },
  {
    kind: 'anySpawn',
    pattern: fmt.anySpawn(SYS, TYPE),
    publishers: 'supervisors; the CLI',
    subscribers: 'nodes that host `<type>`, queue group `<type>`',
    description: 'spawn a child on any one node that hosts the type',
  },
  {
    kind: 'tree',
    pattern: fmt.tree(SYS),
    publishers: '`troupe tree`, `troupe ps`, the dashboard',
    subscribers: 'every node',
    description: 'each node answers with its rows of the supervision tree',
  },
  {
    kind: 'heartbeat',
    pattern: fmt.heartbeat(SYS, NODE),
    publishers: 'node `<node>`',
    subscribers: 'nodes supervising children hosted on `<node>` (`troupe.<sys>.hb.*`)',
    description: 'node heartbeats: a lost host fails its remote children',
  },
  {
    kind: 'event',
    pattern: fmt.event(SYS, NODE, '<event>'),
    publishers: 'node `<node>`',
    subscribers: '`troupe events`, the dashboard, the alerts actor (`troupe.<sys>.evt.>`)',
    description:
      'runtime events: `started`, `stopped`, `crashed`, `hung`, `restarted`, `gaveUp`, `deadLetter`, `transport`',
  },
  {
    kind: 'ledgerEvent',
    pattern: fmt.event(SYS, NODE, 'ledger'),
    publishers: 'the ledger actor on `<node>`',
    subscribers: '`troupe ledger tail` (`troupe.<sys>.evt.*.ledger`), the alerts actor',
    description: 'ledger checkpoints and alerts',
  },
  {
    kind: 'logEvent',
    pattern: fmt.event(SYS, NODE, 'log'),
    publishers: 'node `<node>` (`troupe up`)',
    subscribers: '`troupe logs -f`, the dashboard',
    description: 'the node’s log, one pino line per message',
  },
  {
    kind: 'alertEvent',
    pattern: fmt.event(SYS, NODE, 'alert'),
    publishers: 'the alerts actor on `<node>`',
    subscribers: 'the dashboard',
    description: 'one alert: rule, severity, actor, message',
  },
  {
    kind: 'audit',
    pattern: fmt.audit(SYS, NODE, PATH),
    publishers: 'the audit sink of node `<node>`',
    subscribers: 'stream `TROUPE_AUDIT_<sys>` (`troupe.<sys>.audit.>`), read by the ledger',
    description: 'audit events of one actor (see [audit.md](audit.md))',
  },
  {
    kind: 'room',
    pattern: fmt.room(SITE, '<room>'),
    publishers: 'the bridge of `<site>`',
    subscribers: '`troupe room watch`, this site’s listeners',
    description: 'opened messages of a mesh room on this site, as JSON',
  },
];

function cell(text: string): string {
  return text.replaceAll('|', '\\|');
}

/**
 * The table as Markdown, columns padded so a formatter leaves it as it is. What
 * docs/architecture.md carries between its `subjects:begin` and `subjects:end` markers.
 */
export function subjectTableMarkdown(rows: readonly SubjectTableRow[] = SUBJECT_TABLE): string {
  const head = ['subject', 'published by', 'subscribed by', 'meaning'];
  const body = rows.map((r) => [`\`${r.pattern}\``, r.publishers, r.subscribers, r.description]);
  const all = [head, ...body].map((cols) => cols.map(cell));
  const width = head.map((_, i) => Math.max(3, ...all.map((cols) => [...cols[i]!].length)));
  const line = (cols: readonly string[]) =>
    `| ${cols.map((c, i) => c + ' '.repeat(width[i]! - [...c].length)).join(' | ')} |`;
  const rule = `| ${width.map((w) => '-'.repeat(w)).join(' | ')} |`;
  return [line(all[0]!), rule, ...all.slice(1).map(line)].join('\n');
}
