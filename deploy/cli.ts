import { parseArgs } from 'node:util';
import { RemoteError, TroupeError } from '../runtime/index.ts';
import * as ledger from './commands/ledger.ts';
import {
  meshForget,
  meshInit,
  meshInvite,
  meshJoin,
  meshPeers,
  meshStatus,
  meshUp,
} from './commands/mesh.ts';
import { roomAdd, roomCreate, roomList, roomRemove, roomSend, roomWatch } from './commands/room.ts';
import { ask, tell } from './commands/send.ts';
import { tree } from './commands/tree.ts';
import { up } from './commands/up.ts';

const USAGE = `usage: troupe <command> [options]

  up <module.ts> [--nats <url>] [--system <name>] [--once]
     [--log-file <file>] [--dashboard [--host <addr>] [--port <n>] [--token <t>]]
                         run the actors a module defines (embedded without --nats)
  tell <path> <type> <json> [--nats <url>] [--system <name>]
  ask <path> <type> <json> [--timeout <ms>] [--nats <url>] [--system <name>]
                         send to a running system over NATS (path: team/coder, or @type)
  tree [--watch] [--all] [--json] [--nats <url>] [--system <name>]
                         the live supervision tree: status, restarts, last failure, uptime
  ps [--node <node>] [--all] [--json]
                         every actor and agent across nodes: status, restarts, uptime, mailbox,
                         last failure; pid, rss and cpu for agents running as their own process
  top [--sort rate|mailbox] [--interval <ms>] [--count <frames>] [--limit <n>] [--json]
                         the busiest actors, refreshed (messages a second or mailbox depth)
  logs <agent> [-f] [--log-file <node log>] [--lines <n>] [--json]
                         an agent process's log file, or the actor's lines in its node's log
                         (the file of troupe up --log-file; -f follows it live over NATS)
  events [-f] [--kind <k,...>] [--actor <path>] [--node <node>] [--count <n>] [--timeout <ms>]
                         the event stream troupe.<sys>.evt.> (without -f: listen --timeout ms)
  dashboard [--host <addr>] [--port <n>] [--token <t>] [--bridge <path>] --nats <url> --system <name>
                         serve the live web dashboard (127.0.0.1:7480; a token off loopback)
  ledger verify <dir> [--vkey <vkey>]... [--witness-vkey <vkey>]... [--json]
                         recompute a ledger's chain, tree and signatures; exit 1 at the first fault
  ledger prove <dir> <index> [--json]           inclusion proof of one entry
  ledger consistency <dir> <old-size> [--json]  consistency proof from an earlier size
  ledger tail [--nats <url>] [--system <name>] [--count <n>] [--json]
                         follow the checkpoints and alerts of a running system's ledger
  ledger demo <dir> [--events <n>] [--nats <url>] [--system <name>] [--json]
                         write a ledger of n synthetic audit events through the real path
  bench [name-filter]    run the benchmarks and write bench/results/latest.json

  mesh init [--dir <dir>] [--force]
                         create this site's identity (static key, mesh id); works offline
  mesh up [--listen <host:port>] [--advertise <host:port,...>] [--dir <dir>] --nats <url> --system <site>
                         run this site's mesh bridge (default listen 0.0.0.0:7422)
  mesh invite [--expires 24h] [--label <text>]
                         print a single-use invite token for another site
  mesh join <token>      pair with the site that issued the token
  mesh peers             paired sites and their links
  mesh status            this site's key, listener and peers
  mesh forget <site>     unpair a site
  room create <room>     create a room; this site is its admin
  room add <room> <site> / room remove <room> <site>
                         change members (a fresh room key each time)
  room send <room> <json|text>
  room list / room watch <room>
                         mesh and room commands talk to the site's running bridge over NATS
                         (--nats, --system; --bridge <path> if it is not at mesh-bridge)

common options: --config <file> --log-level <level>
environment: TROUPE_SYSTEM TROUPE_NATS_URL TROUPE_NATS_USER TROUPE_NATS_PASS TROUPE_NATS_TOKEN
             TROUPE_NATS_CREDS TROUPE_LOG_LEVEL TROUPE_CONFIG TROUPE_MESH_DIR
             TROUPE_DASHBOARD_TOKEN`;

class UsageError extends Error {}

// `troupe ledger prove … | head` closes the pipe early: that is not a failure.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      nats: { type: 'string' },
      system: { type: 'string' },
      node: { type: 'string' },
      config: { type: 'string' },
      'log-level': { type: 'string' },
      timeout: { type: 'string' },
      once: { type: 'boolean' },
      dir: { type: 'string' },
      force: { type: 'boolean' },
      listen: { type: 'string' },
      advertise: { type: 'string' },
      expires: { type: 'string' },
      label: { type: 'string' },
      bridge: { type: 'string' },
      watch: { type: 'boolean' },
      all: { type: 'boolean' },
      json: { type: 'boolean' },
      vkey: { type: 'string', multiple: true },
      'witness-vkey': { type: 'string', multiple: true },
      events: { type: 'string' },
      count: { type: 'string' },
      follow: { type: 'boolean', short: 'f' },
      kind: { type: 'string' },
      actor: { type: 'string' },
      sort: { type: 'string' },
      interval: { type: 'string' },
      limit: { type: 'string' },
      lines: { type: 'string' },
      'log-file': { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      token: { type: 'string' },
      dashboard: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [cmd, ...rest] = positionals;
  if (values.help || cmd === undefined || cmd === 'help') {
    out(USAGE);
    return cmd === undefined && !values.help ? 2 : 0;
  }
  const common = {
    nats: values.nats,
    system: values.system,
    node: values.node,
    config: values.config,
    logLevel: values['log-level'],
  };
  const need = (n: number, what: string): string[] => {
    if (rest.length !== n) throw new UsageError(`${cmd} needs ${what}`);
    return rest;
  };
  const [sub, ...args] = rest;
  const needSub = (n: number, what: string): string[] => {
    if (args.length !== n) throw new UsageError(`${cmd} ${sub} needs ${what}`);
    return args;
  };
  const timeoutMs = values.timeout === undefined ? undefined : Number(values.timeout);
  const client = {
    ...common,
    ...(values.bridge === undefined ? {} : { bridge: values.bridge }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  };
  switch (cmd) {
    case 'up': {
      const [module] = need(1, '<module.ts>');
      const dashboardPort =
        values.port === undefined
          ? undefined
          : (await import('./commands/fleet-table.ts')).wholeFlag(values.port, '--port', 0, 0);
      return up(
        {
          ...common,
          module: module!,
          once: values.once,
          logFile: values['log-file'],
          dashboard: values.dashboard,
          dashboardHost: values.host,
          dashboardPort,
          dashboardToken: values.token ?? process.env.TROUPE_DASHBOARD_TOKEN,
        },
        out,
      );
    }
    case 'tell': {
      const [target, type, json] = need(3, '<path> <type> <json>');
      return tell({ ...common, target: target!, type: type!, json: json! }, out);
    }
    case 'ask': {
      const [target, type, json] = need(3, '<path> <type> <json>');
      return ask({ ...common, target: target!, type: type!, json: json!, timeoutMs }, out);
    }
    case 'mesh':
      switch (sub) {
        case 'init':
          needSub(0, 'no arguments');
          return meshInit({ dir: values.dir, force: values.force }, out);
        case 'up':
          needSub(0, 'no arguments');
          return meshUp(
            { ...common, dir: values.dir, listen: values.listen, advertise: values.advertise },
            out,
          );
        case 'invite':
          needSub(0, 'no arguments');
          return meshInvite({ ...client, expires: values.expires, label: values.label }, out);
        case 'join': {
          const [token] = needSub(1, '<token>');
          return meshJoin({ ...client, token: token! }, out);
        }
        case 'peers':
          needSub(0, 'no arguments');
          return meshPeers(client, out);
        case 'status':
          needSub(0, 'no arguments');
          return meshStatus(client, out);
        case 'forget': {
          const [site] = needSub(1, '<site>');
          return meshForget({ ...client, site: site! }, out);
        }
        default:
          throw new UsageError(`unknown mesh command ${sub ?? '(none)'}`);
      }
    case 'room':
      switch (sub) {
        case 'create': {
          const [room] = needSub(1, '<room>');
          return roomCreate({ ...client, room: room! }, out);
        }
        case 'add': {
          const [room, site] = needSub(2, '<room> <site>');
          return roomAdd({ ...client, room: room!, site: site! }, out);
        }
        case 'remove': {
          const [room, site] = needSub(2, '<room> <site>');
          return roomRemove({ ...client, room: room!, site: site! }, out);
        }
        case 'send': {
          const [room, message] = needSub(2, '<room> <json|text>');
          return roomSend({ ...client, room: room!, message: message! }, out);
        }
        case 'list':
          needSub(0, 'no arguments');
          return roomList(client, out);
        case 'watch': {
          const [room] = needSub(1, '<room>');
          return roomWatch({ ...client, room: room! }, out);
        }
        default:
          throw new UsageError(`unknown room command ${sub ?? '(none)'}`);
      }
    case 'tree': {
      need(0, 'no positional arguments');
      return tree({ ...common, watch: values.watch, all: values.all, json: values.json }, out);
    }
    case 'ledger': {
      const [sub, ...args] = rest;
      const lo = {
        ...common,
        json: values.json,
        vkeys: values.vkey,
        witnessVkeys: values['witness-vkey'],
        count: values.count,
      };
      const needArgs = (n: number, what: string): string[] => {
        if (args.length !== n) throw new UsageError(`ledger ${sub} needs ${what}`);
        return args;
      };
      switch (sub) {
        case 'verify': {
          const [dir] = needArgs(1, '<dir>');
          return ledger.verify(dir!, lo, out);
        }
        case 'prove': {
          const [dir, index] = needArgs(2, '<dir> <index>');
          return ledger.prove(dir!, index!, lo, out);
        }
        case 'consistency': {
          const [dir, oldSize] = needArgs(2, '<dir> <old-size>');
          return ledger.consistency(dir!, oldSize!, lo, out);
        }
        case 'tail':
          needArgs(0, 'no arguments (options only)');
          return ledger.tail(lo, out);
        case 'demo': {
          const [dir] = needArgs(1, '<dir>');
          const { demo } = await import('./commands/ledger-demo.ts');
          return demo({ ...common, dir: dir!, events: values.events, json: values.json }, out);
        }
        default:
          throw new UsageError(
            sub === undefined ? 'ledger needs a subcommand' : `unknown ledger subcommand ${sub}`,
          );
      }
    }
    case 'ps': {
      need(0, 'no positional arguments');
      const { ps } = await import('./commands/ps.ts');
      return ps({ ...common, on: values.node, all: values.all, json: values.json }, out);
    }
    case 'top': {
      need(0, 'no positional arguments');
      const { top } = await import('./commands/top.ts');
      const { sort, interval, count, limit } = values;
      const to = { on: values.node, all: values.all, json: values.json };
      return top({ ...common, ...to, sort, interval, count, limit }, out);
    }
    case 'logs': {
      const [agent] = need(1, '<agent>');
      const { logs } = await import('./commands/logs.ts');
      const lo = { follow: values.follow, logFile: values['log-file'], lines: values.lines };
      return logs({ ...common, ...lo, agent: agent!, json: values.json }, out);
    }
    case 'events': {
      need(0, 'no positional arguments');
      const { events } = await import('./commands/events.ts');
      const { follow, kind, actor, count, json } = values;
      const eo = { follow, kind, actor, count, json, all: values.all, on: values.node };
      return events({ ...common, ...eo, timeout: values.timeout }, out);
    }
    case 'dashboard': {
      need(0, 'no positional arguments');
      const { dashboard } = await import('./commands/dashboard.ts');
      const { host, port, token, bridge } = values;
      return dashboard({ ...common, host, port, token, bridge }, out);
    }
    case 'bench': {
      const { runBenchmarks } = await import('../bench/run.ts');
      return runBenchmarks(rest[0], out);
    }
    default:
      throw new UsageError(`unknown command ${cmd}`);
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`troupe: ${(err as Error).message}\n${USAGE}\n`);
    process.exitCode = 2;
  } else {
    const e = err as Error;
    // An error from another process keeps its code (e.g. UnknownPeer); typed errors keep their
    // name (it says what kind of fault); a failed check is its message alone.
    const typed =
      err instanceof TroupeError ||
      (!(err instanceof ledger.LedgerCheckFailed) &&
        /^[A-Z]\w*Error$/.test(e.name ?? '') &&
        e.name !== 'Error');
    const label = err instanceof RemoteError ? `${err.code}: ` : typed ? `${e.name}: ` : '';
    process.stderr.write(`troupe: ${label}${String(e.message).replace(/\s*\n\s*/g, ' ')}\n`);
    process.exitCode = 1;
  }
}
// Connections and timers of a failed start must not keep the CLI alive.
if (process.exitCode !== 0 && process.exitCode !== undefined)
  setTimeout(() => process.exit(), 100).unref();
