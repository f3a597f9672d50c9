import { parseArgs } from 'node:util';
import { TroupeError } from '../runtime/index.ts';
import { ask, tell } from './commands/send.ts';
import { tree } from './commands/tree.ts';
import { up } from './commands/up.ts';

const USAGE = `usage: troupe <command> [options]

  up <module.ts> [--nats <url>] [--system <name>] [--once]
                         run the actors a module defines (embedded without --nats)
  tell <path> <type> <json> [--nats <url>] [--system <name>]
  ask <path> <type> <json> [--timeout <ms>] [--nats <url>] [--system <name>]
                         send to a running system over NATS (path: team/coder, or @type)
  tree [--watch] [--all] [--json] [--nats <url>] [--system <name>]
                         the live supervision tree: status, restarts, last failure, uptime
  bench [name-filter]    run the benchmarks and write bench/results/latest.json

common options: --config <file> --log-level <level>
environment: TROUPE_SYSTEM TROUPE_NATS_URL TROUPE_NATS_USER TROUPE_NATS_PASS TROUPE_NATS_TOKEN
             TROUPE_NATS_CREDS TROUPE_LOG_LEVEL TROUPE_CONFIG`;

class UsageError extends Error {}

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
      watch: { type: 'boolean' },
      all: { type: 'boolean' },
      json: { type: 'boolean' },
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
    case 'tree': {
      need(0, 'no positional arguments');
      return tree({ ...common, watch: values.watch, all: values.all, json: values.json }, out);
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
    const label = err instanceof TroupeError ? `${e.name}: ` : '';
    process.stderr.write(`troupe: ${label}${e.message}\n`);
    process.exitCode = 1;
  }
}
// Connections and timers of a failed start must not keep the CLI alive.
if (process.exitCode !== 0 && process.exitCode !== undefined)
  setTimeout(() => process.exit(), 100).unref();
