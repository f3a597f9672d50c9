// The `troupe` commands, one entry each. Nothing here may import a command's code statically:
// `troupe --help` reads this table alone, and each command's module is loaded only when it runs.
//
// To add a command, add ONE entry to COMMANDS with `command({ ... })`:
//   name     'foo' or 'group sub' (a group gets a listing of its subcommands for free)
//   summary  one line for `troupe --help`
//   args     positionals as shown in usage: '<required> [optional] [rest...]' (the count is
//            checked from this string; '' for none)
//   flags    the command's own flags (FLAG.* has the shared ones: CONNECT for commands that talk
//            to a running system over NATS; --config, --log-level, --log-format, --help always apply)
//   help     optional extra lines for `troupe foo --help`
//   load     () => import('./commands/foo.ts')   (relative `.ts`: the build rewrites it to `.js`)
//   run      (module, { args, flags, common, out }) => the command's exit code
// `common` is what the shared flags said (nats, system, node, config, logLevel, logFormat);
// pass it to `loadConfig`/`startCliClient` so file, TROUPE_* env and flags resolve in one place.

import type { Overrides } from './config.ts';

export type Out = (line: string) => void;

export interface FlagSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  short?: string;
  /** The value's name in help, e.g. `url`. */
  value?: string;
  help: string;
}

export type FlagValues = Record<string, string | boolean | string[] | undefined>;

export interface Invocation {
  args: string[];
  flags: FlagValues;
  common: Overrides;
  out: Out;
}

export interface Command<M = unknown> {
  name: string;
  summary: string;
  args: string;
  flags: Record<string, FlagSpec>;
  help?: string;
  load: () => Promise<M>;
  run: (module: M, a: Invocation) => Promise<number>;
}

/** Typed entry: `run` sees the module `load` returns. */
export function command<M>(c: Command<M>): Command {
  return c as unknown as Command;
}

const str = (help: string, value: string): FlagSpec => ({ type: 'string', help, value });
const bool = (help: string): FlagSpec => ({ type: 'boolean', help });

/** Flags shared by many commands. */
export const FLAG = {
  nats: str('NATS server URL(s), comma-separated (config nats.servers, TROUPE_NATS_URL)', 'url'),
  system: str('system name (config system, TROUPE_SYSTEM)', 'name'),
  node: str('this node’s name (config node, TROUPE_NODE)', 'name'),
  json: bool('print JSON instead of text'),
  timeout: str('how long to wait for an answer, in ms', 'ms'),
  bridge: str('the bridge actor’s path, if it is not at mesh-bridge', 'path'),
} as const;

export const CONNECT = { nats: FLAG.nats, system: FLAG.system };

/** Flags every command takes. */
export const GLOBAL_FLAGS: Record<string, FlagSpec> = {
  config: str('config file (default troupe.config.ts or .json; TROUPE_CONFIG)', 'file'),
  'log-level': str('fatal|error|warn|info|debug|trace|silent (TROUPE_LOG_LEVEL)', 'level'),
  'log-format': str('pretty|json; default pretty on a terminal (TROUPE_LOG_FORMAT)', 'format'),
  help: { type: 'boolean', short: 'h', help: 'this help' },
};

const s = (v: string | boolean | string[] | undefined): string | undefined =>
  typeof v === 'string' ? v : undefined;
const b = (v: string | boolean | string[] | undefined): boolean | undefined =>
  typeof v === 'boolean' ? v : undefined;
const list = (v: string | boolean | string[] | undefined): string[] | undefined =>
  Array.isArray(v) ? v : undefined;
const ms = (v: string | boolean | string[] | undefined): number | undefined =>
  typeof v === 'string' ? Number(v) : undefined;
/** String flags passed on under their own names: `strings(a, 'host', 'port')` is `{ host, port }`. */
const strings = <K extends string>(a: Invocation, ...names: K[]) =>
  Object.fromEntries(names.map((n) => [n, s(a.flags[n])])) as { [P in K]: string | undefined };
/** Boolean flags passed on under their own names, as `strings` does. */
const booleans = <K extends string>(a: Invocation, ...names: K[]) =>
  Object.fromEntries(names.map((n) => [n, b(a.flags[n])])) as { [P in K]: boolean | undefined };

const bridgeClient = (a: Invocation) => ({
  ...a.common,
  ...(s(a.flags.bridge) === undefined ? {} : { bridge: s(a.flags.bridge) }),
  ...(ms(a.flags.timeout) === undefined ? {} : { timeoutMs: ms(a.flags.timeout) }),
});
const BRIDGE_FLAGS = { ...CONNECT, bridge: FLAG.bridge, timeout: FLAG.timeout };

/** The options `'<room> <site>'` names: `{ room: string; site: string }`. */
type Positionals<S extends string> = S extends `<${infer N}> ${infer Rest}`
  ? { [K in N]: string } & Positionals<Rest>
  : S extends `<${infer N}>`
    ? { [K in N]: string }
    : unknown;

const meshModule = () => import('./commands/mesh.ts');
const roomModule = () => import('./commands/room.ts');

/**
 * A command that asks the site's mesh bridge and nothing else (mesh join/peers/status/forget,
 * room …): the bridge flags, and each positional passed as the option its usage names, so
 * `<room> <site>` reaches the command as `{ room, site }` and the compiler checks those names.
 */
function bridgeCommand<M, S extends string>(
  name: string,
  summary: string,
  args: S,
  load: () => Promise<M>,
  pick: (
    m: M,
  ) => (o: ReturnType<typeof bridgeClient> & Positionals<S>, out: Out) => Promise<number>,
): Command {
  const names = [...args.matchAll(/<([^>]+)>/g)].map((n) => n[1]!);
  return command({
    name,
    summary,
    args,
    flags: BRIDGE_FLAGS,
    load,
    run: (m, a) => {
      const named = Object.fromEntries(names.map((n, i) => [n, a.args[i]!]));
      return pick(m)(
        { ...bridgeClient(a), ...named } as ReturnType<typeof bridgeClient> & Positionals<S>,
        a.out,
      );
    },
  });
}

const ledgerModule = () => import('./commands/ledger.ts');
const VKEY: FlagSpec = {
  type: 'string',
  multiple: true,
  value: 'vkey',
  help: 'the log’s verifier key(s)',
};
const ledgerOpts = (a: Invocation) => ({
  ...a.common,
  json: b(a.flags.json),
  vkeys: list(a.flags.vkey),
  witnessVkeys: list(a.flags['witness-vkey']),
  count: s(a.flags.count),
  full: b(a.flags.full),
});

const APPROVAL_FLAGS = {
  ...CONNECT,
  dir: str('the approvals folder of an embedded system', 'dir'),
  json: FLAG.json,
  by: str('who decides (recorded with the vote)', 'name'),
  note: str('a note kept with the vote', 'text'),
};
const approvalOpts = (a: Invocation) => ({
  ...a.common,
  ...strings(a, 'dir', 'by', 'note'),
  json: b(a.flags.json),
});
const approvalsModule = () => import('./commands/approvals.ts');
/** `troupe approve <id>` and `troupe reject <id>`: the same vote, the verb its decision. */
const vote = (verb: 'approve' | 'reject', summary: string) =>
  command({
    name: verb,
    summary,
    args: '<id>',
    flags: APPROVAL_FLAGS,
    load: approvalsModule,
    run: (m, a) => m[verb](approvalOpts(a), a.args[0]!, a.out),
  });

const SERVE_FLAGS = {
  ...CONNECT,
  host: str('address to listen on (default 127.0.0.1)', 'host'),
  port: str('port to listen on', 'port'),
};
const serveOpts = (a: Invocation) => ({
  ...a.common,
  target: a.args[0]!,
  ...strings(a, 'host', 'port'),
  stdio: b(a.flags.stdio),
});

/** ps, top and events look at every node's actors: one node, system actors too, JSON. */
const FLEET_FLAGS = {
  node: str('only this node', 'node'),
  all: bool('include system actors'),
  json: FLAG.json,
};
const fleetOpts = (a: Invocation) => ({
  ...a.common,
  on: s(a.flags.node),
  all: b(a.flags.all),
  json: b(a.flags.json),
});

export const COMMANDS: readonly Command[] = [
  command({
    name: 'up',
    summary: 'run the actors a module defines (embedded without --nats)',
    args: '<module.ts>',
    flags: {
      ...CONNECT,
      node: FLAG.node,
      once: bool('exit after the module’s run() finishes'),
      'log-file': str('also write the node’s JSON log to this file (read by troupe logs)', 'file'),
      dashboard: bool('serve the live web dashboard from this node'),
      host: str('dashboard address (default 127.0.0.1)', 'addr'),
      port: str('dashboard port (default 7480)', 'n'),
      token: str('dashboard token (required off loopback; TROUPE_DASHBOARD_TOKEN)', 't'),
      'serve-nats': bool(
        'start a nats-server for this host with a least-privilege user per process agent',
      ),
    },
    help: 'The module exports default defineTroupe({ setup(system) { … } }); TypeScript is loaded as is.',
    load: () => import('./commands/up.ts'),
    run: async (m, a) => {
      const port = s(a.flags.port);
      const dashboardPort =
        port === undefined
          ? undefined
          : (await import('./commands/fleet-table.ts')).wholeFlag(port, '--port', 0, 0);
      return m.up(
        {
          ...a.common,
          module: a.args[0]!,
          once: b(a.flags.once),
          serveNats: b(a.flags['serve-nats']),
          logFile: s(a.flags['log-file']),
          dashboard: b(a.flags.dashboard),
          dashboardHost: s(a.flags.host),
          dashboardPort,
          dashboardToken: s(a.flags.token) ?? process.env.TROUPE_DASHBOARD_TOKEN,
        },
        a.out,
      );
    },
  }),
  command({
    name: 'tell',
    summary: 'send a message to an actor of a running system (path: team/coder, or @type)',
    args: '<path> <type> <json>',
    flags: CONNECT,
    help: 'The body is checked against the target’s schema when the target answers; a body it\nrejects, or an unknown type, exits 1 with the reason.',
    load: () => import('./commands/send.ts'),
    run: (m, a) =>
      m.tell({ ...a.common, target: a.args[0]!, type: a.args[1]!, json: a.args[2]! }, a.out),
  }),
  command({
    name: 'ask',
    summary: 'ask an actor of a running system and print the reply as JSON',
    args: '<path> <type> <json>',
    flags: { ...CONNECT, timeout: FLAG.timeout },
    load: () => import('./commands/send.ts'),
    run: (m, a) =>
      m.ask(
        {
          ...a.common,
          target: a.args[0]!,
          type: a.args[1]!,
          json: a.args[2]!,
          timeoutMs: ms(a.flags.timeout),
        },
        a.out,
      ),
  }),
  command({
    name: 'tree',
    summary: 'the live supervision tree: status, restarts, last failure, uptime',
    args: '',
    flags: {
      ...CONNECT,
      watch: bool('redraw every second'),
      all: bool('include system actors (sys/…)'),
      json: FLAG.json,
    },
    load: () => import('./commands/tree.ts'),
    run: (m, a) => m.tree({ ...a.common, ...booleans(a, 'watch', 'all', 'json') }, a.out),
  }),
  command({
    name: 'ledger verify',
    summary: 'recompute a ledger’s chain, tree and signatures; exit 1 at the first fault',
    args: '<dir>',
    flags: {
      vkey: VKEY,
      'witness-vkey': {
        type: 'string',
        multiple: true,
        value: 'vkey',
        help: 'a witness whose cosignature must be present',
      },
      json: FLAG.json,
    },
    load: ledgerModule,
    run: (m, a) => m.verify(a.args[0]!, ledgerOpts(a), a.out),
  }),
  command({
    name: 'ledger prove',
    summary: 'inclusion proof of one entry, checked against the signed checkpoint',
    args: '<dir> <index>',
    flags: {
      json: FLAG.json,
      full: bool('also print the checkpoint’s signature lines'),
      vkey: VKEY,
    },
    load: ledgerModule,
    run: (m, a) => m.prove(a.args[0]!, a.args[1]!, ledgerOpts(a), a.out),
  }),
  command({
    name: 'ledger consistency',
    summary: 'consistency proof from an earlier tree size',
    args: '<dir> <old-size>',
    flags: {
      json: FLAG.json,
      vkey: VKEY,
    },
    load: ledgerModule,
    run: (m, a) => m.consistency(a.args[0]!, a.args[1]!, ledgerOpts(a), a.out),
  }),
  command({
    name: 'ledger tail',
    summary: 'follow the checkpoints and alerts of a running system’s ledger',
    args: '',
    flags: { ...CONNECT, count: str('stop after n lines', 'n'), json: FLAG.json },
    load: ledgerModule,
    run: (m, a) => m.tail(ledgerOpts(a), a.out),
  }),
  command({
    name: 'ledger demo',
    summary: 'write a ledger of n synthetic audit events through the real path',
    args: '<dir>',
    flags: { ...CONNECT, events: str('how many events (default 1000)', 'n'), json: FLAG.json },
    load: () => import('./commands/ledger-demo.ts'),
    run: (m, a) =>
      m.demo(
        { ...a.common, dir: a.args[0]!, events: s(a.flags.events), json: b(a.flags.json) },
        a.out,
      ),
  }),
  command({
    name: 'mesh init',
    summary: 'create this site’s identity (static key, mesh id); works offline',
    args: '',
    flags: {
      dir: str('identity directory (TROUPE_MESH_DIR)', 'dir'),
      force: bool('replace an identity'),
    },
    load: meshModule,
    run: (m, a) => m.meshInit({ dir: s(a.flags.dir), force: b(a.flags.force) }, a.out),
  }),
  command({
    name: 'mesh up',
    summary: 'run this site’s mesh bridge (default listen 0.0.0.0:7422)',
    args: '',
    flags: {
      ...CONNECT,
      node: FLAG.node,
      dir: str('identity directory (TROUPE_MESH_DIR)', 'dir'),
      listen: str('where to listen', 'host:port'),
      advertise: str('addresses other sites dial', 'host:port,...'),
    },
    load: meshModule,
    run: (m, a) =>
      m.meshUp(
        {
          ...a.common,
          ...strings(a, 'dir', 'listen', 'advertise'),
        },
        a.out,
      ),
  }),
  command({
    name: 'mesh invite',
    summary: 'print a single-use invite token for another site',
    args: '',
    flags: {
      ...BRIDGE_FLAGS,
      expires: str('lifetime, e.g. 30m, 24h (default 24h)', 'duration'),
      label: str('a note kept with the invite', 'text'),
    },
    load: meshModule,
    run: (m, a) => m.meshInvite({ ...bridgeClient(a), ...strings(a, 'expires', 'label') }, a.out),
  }),
  bridgeCommand(
    'mesh join',
    'pair with the site that issued the token',
    '<token>',
    meshModule,
    (m) => m.meshJoin,
  ),
  bridgeCommand('mesh peers', 'paired sites and their links', '', meshModule, (m) => m.meshPeers),
  bridgeCommand(
    'mesh status',
    'this site’s key, listener and peers',
    '',
    meshModule,
    (m) => m.meshStatus,
  ),
  bridgeCommand('mesh forget', 'unpair a site', '<site>', meshModule, (m) => m.meshForget),
  bridgeCommand(
    'room create',
    'create a room; this site is its admin',
    '<room>',
    roomModule,
    (m) => m.roomCreate,
  ),
  bridgeCommand(
    'room add',
    'add a site to a room (a fresh room key)',
    '<room> <site>',
    roomModule,
    (m) => m.roomAdd,
  ),
  bridgeCommand(
    'room remove',
    'remove a site from a room (a fresh room key)',
    '<room> <site>',
    roomModule,
    (m) => m.roomRemove,
  ),
  bridgeCommand(
    'room send',
    'send a message to a room',
    '<room> <message>',
    roomModule,
    (m) => m.roomSend,
  ),
  bridgeCommand('room list', 'the rooms this site is in', '', roomModule, (m) => m.roomList),
  bridgeCommand(
    'room watch',
    'print a room’s messages as they arrive',
    '<room>',
    roomModule,
    (m) => m.roomWatch,
  ),
  command({
    name: 'run',
    summary: 'run an agent module once: a line per step, the answer, the usage',
    args: '<agent.ts>',
    flags: {
      ...CONNECT,
      input: str('the run’s input: JSON, or text passed as a string', 'json|text'),
      timeout: FLAG.timeout,
    },
    help: 'The module exports default defineAgent({ … }). Embedded without --nats.',
    load: () => import('./commands/run.ts'),
    run: (m, a) =>
      m.run(
        {
          ...a.common,
          module: a.args[0]!,
          input: s(a.flags.input),
          timeoutMs: ms(a.flags.timeout),
        },
        a.out,
      ),
  }),
  command({
    name: 'nats-config',
    summary: 'print the nats-server config with a least-privilege user per process agent',
    args: '<module.ts>',
    flags: { system: FLAG.system, listen: str('client listen address', 'host:port') },
    load: () => import('./commands/nats-config.ts'),
    run: (m, a) =>
      m.natsConfig({ ...a.common, module: a.args[0]!, listen: s(a.flags.listen) }, a.out),
  }),
  command({
    name: 'secrets',
    summary: 'per-agent secrets, encrypted at rest (set reads the value on stdin)',
    args: '<set|list|rm|rotate|keygen> [agent] [name]',
    flags: {},
    load: () => import('./commands/secrets.ts'),
    run: (m, a) => m.secrets(a.args, a.out),
  }),
  command({
    name: 'approvals',
    summary: 'pending human approvals (the system’s KV bucket on NATS, else the folder)',
    args: '',
    flags: {
      ...CONNECT,
      dir: str('the approvals folder of an embedded system', 'dir'),
      all: bool('include decided approvals'),
      json: FLAG.json,
    },
    load: approvalsModule,
    run: (m, a) =>
      m.approvals({ ...a.common, dir: s(a.flags.dir), ...booleans(a, 'all', 'json') }, a.out),
  }),
  vote('approve', 'approve a pending request; the gate answers once its quorum decides'),
  vote('reject', 'reject a pending request'),
  command({
    name: 'serve a2a',
    summary:
      'serve an agent as an A2A agent (card, JSON-RPC, SSE); auth from TROUPE_A2A_TOKENS / TROUPE_A2A_API_KEYS',
    args: '<module|path>',
    flags: SERVE_FLAGS,
    load: () => import('./commands/serve.ts'),
    run: (m, a) => m.serveA2aCommand(serveOpts(a), a.out),
  }),
  command({
    name: 'serve mcp',
    summary: 'serve actors’ asks as MCP tools over stdio or Streamable HTTP',
    args: '<module|path>',
    flags: { ...SERVE_FLAGS, stdio: bool('speak MCP on stdin/stdout instead of HTTP') },
    load: () => import('./commands/serve.ts'),
    run: (m, a) => m.serveMcpCommand(serveOpts(a), a.out),
  }),
  command({
    name: 'ps',
    summary: 'every actor and agent across nodes: status, restarts, uptime, mailbox, last failure',
    args: '',
    flags: { ...CONNECT, ...FLEET_FLAGS },
    load: () => import('./commands/ps.ts'),
    run: (m, a) => m.ps(fleetOpts(a), a.out),
  }),
  command({
    name: 'top',
    summary: 'the busiest actors, refreshed (messages a second or mailbox depth)',
    args: '',
    flags: {
      ...CONNECT,
      ...FLEET_FLAGS,
      sort: str('rate|mailbox', 'key'),
      interval: str('refresh interval', 'ms'),
      count: str('frames to draw, then exit', 'n'),
      limit: str('rows to show', 'n'),
    },
    load: () => import('./commands/top.ts'),
    run: (m, a) =>
      m.top(
        {
          ...fleetOpts(a),
          ...strings(a, 'sort', 'interval', 'count', 'limit'),
        },
        a.out,
      ),
  }),
  command({
    name: 'logs',
    summary: 'an agent process’s log file, or the actor’s lines in its node’s log',
    args: '<agent>',
    flags: {
      ...CONNECT,
      follow: { type: 'boolean', short: 'f', help: 'follow live over NATS' },
      'log-file': str('the node’s log (troupe up --log-file)', 'file'),
      lines: str('how many lines', 'n'),
      json: FLAG.json,
    },
    load: () => import('./commands/logs.ts'),
    run: (m, a) =>
      m.logs(
        {
          ...a.common,
          ...booleans(a, 'follow', 'json'),
          logFile: s(a.flags['log-file']),
          lines: s(a.flags.lines),
          agent: a.args[0]!,
        },
        a.out,
      ),
  }),
  command({
    name: 'events',
    summary: 'the event stream of every node, filterable (-f to follow)',
    args: '',
    flags: {
      ...CONNECT,
      follow: { type: 'boolean', short: 'f', help: 'follow until interrupted' },
      kind: str('only these kinds, comma-separated', 'k,...'),
      actor: str('only this actor', 'path'),
      node: str('only this node', 'node'),
      count: str('stop after n events', 'n'),
      timeout: str('how long to listen without -f (default 2000)', 'ms'),
      all: bool('include system actors'),
      json: FLAG.json,
    },
    load: () => import('./commands/events.ts'),
    run: (m, a) =>
      m.events(
        {
          ...fleetOpts(a),
          follow: b(a.flags.follow),
          ...strings(a, 'kind', 'actor', 'count', 'timeout'),
        },
        a.out,
      ),
  }),
  command({
    name: 'dashboard',
    summary: 'serve the live web dashboard (127.0.0.1:7480; a token off loopback)',
    args: '',
    flags: {
      ...CONNECT,
      host: str('address to listen on', 'addr'),
      port: str('port', 'n'),
      token: str('access token (TROUPE_DASHBOARD_TOKEN)', 't'),
      bridge: FLAG.bridge,
    },
    load: () => import('./commands/dashboard.ts'),
    run: (m, a) =>
      m.dashboard(
        {
          ...a.common,
          ...strings(a, 'host', 'port', 'token', 'bridge'),
        },
        a.out,
      ),
  }),
];
