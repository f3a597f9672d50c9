import { parseArgs } from 'node:util';
import { TroupeError } from '../runtime/index.ts';
import * as ledger from './commands/ledger.ts';
import { ask, tell } from './commands/send.ts';
import { up } from './commands/up.ts';

const USAGE = `usage: troupe <command> [options]

  up <module.ts> [--nats <url>] [--system <name>] [--once]
                         run the actors a module defines (embedded without --nats)
  tell <path> <type> <json> [--nats <url>] [--system <name>]
  ask <path> <type> <json> [--timeout <ms>] [--nats <url>] [--system <name>]
                         send to a running system over NATS (path: team/coder, or @type)
  ledger verify <dir> [--vkey <vkey>]... [--witness-vkey <vkey>]... [--json]
                         recompute a ledger's chain, tree and signatures; exit 1 at the first fault
  ledger prove <dir> <index> [--json]           inclusion proof of one entry
  ledger consistency <dir> <old-size> [--json]  consistency proof from an earlier size
  ledger tail [--nats <url>] [--system <name>] [--count <n>] [--json]
                         follow the checkpoints and alerts of a running system's ledger
  ledger demo <dir> [--events <n>] [--nats <url>] [--system <name>] [--json]
                         write a ledger of n synthetic audit events through the real path
  bench [name-filter]    run the benchmarks and write bench/results/latest.json

common options: --config <file> --log-level <level>
environment: TROUPE_SYSTEM TROUPE_NATS_URL TROUPE_NATS_USER TROUPE_NATS_PASS TROUPE_NATS_TOKEN
             TROUPE_NATS_CREDS TROUPE_LOG_LEVEL TROUPE_CONFIG`;

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
      json: { type: 'boolean' },
      vkey: { type: 'string', multiple: true },
      'witness-vkey': { type: 'string', multiple: true },
      events: { type: 'string' },
      count: { type: 'string' },
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
  switch (cmd) {
    case 'up': {
      const [module] = need(1, '<module.ts>');
      return up({ ...common, module: module!, once: values.once }, out);
    }
    case 'tell': {
      const [target, type, json] = need(3, '<path> <type> <json>');
      return tell({ ...common, target: target!, type: type!, json: json! }, out);
    }
    case 'ask': {
      const [target, type, json] = need(3, '<path> <type> <json>');
      const timeoutMs = values.timeout === undefined ? undefined : Number(values.timeout);
      return ask({ ...common, target: target!, type: type!, json: json!, timeoutMs }, out);
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
    // Typed errors keep their name (it says what kind of fault); a failed check is its message.
    const typed =
      err instanceof TroupeError ||
      (!(err instanceof ledger.LedgerCheckFailed) &&
        /^[A-Z]\w*Error$/.test(e.name ?? '') &&
        e.name !== 'Error');
    const label = typed ? `${e.name}: ` : '';
    process.stderr.write(`troupe: ${label}${String(e.message).replace(/\s*\n\s*/g, ' ')}\n`);
    process.exitCode = 1;
  }
}
// Connections and timers of a failed start must not keep the CLI alive.
if (process.exitCode !== 0 && process.exitCode !== undefined)
  setTimeout(() => process.exit(), 100).unref();
