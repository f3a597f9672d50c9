// The `troupe` CLI: finds the command in the table, parses its flags, loads its module lazily.
// Keep this file's static imports to node: built-ins and the table, so `--help` stays fast.
import { parseArgs } from 'node:util';
import { COMMANDS, type Command, type FlagSpec, GLOBAL_FLAGS, type Out } from './command-table.ts';

/** A command line that does not parse: printed in at most three lines, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

// `troupe ledger prove … | head` closes the pipe early: that is not a failure.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

const out: Out = (line) => {
  process.stdout.write(`${line}\n`);
};

function flagLine(name: string, f: FlagSpec): string {
  const head = `${f.short ? `-${f.short}, ` : ''}--${name}${f.type === 'string' ? ` <${f.value ?? 'value'}>` : ''}${f.multiple ? '...' : ''}`;
  return `  ${head.padEnd(30)} ${f.help}`;
}

function globalUsage(version: string): string {
  const width = Math.max(...COMMANDS.map((c) => `${c.name} ${c.args}`.length)) + 2;
  const lines = COMMANDS.map((c) => `  ${`${c.name} ${c.args}`.padEnd(width)}${c.summary}`);
  return [
    `troupe ${version}: run teams of agents as supervised actors`,
    '',
    'usage: troupe <command> [options]        troupe <command> --help for its options',
    '',
    ...lines,
    '',
    'options for every command:',
    ...Object.entries(GLOBAL_FLAGS).map(([n, f]) => flagLine(n, f)),
    '',
    'Settings resolve in one order, each stronger than the one before: troupe.config.(ts|json),',
    'then TROUPE_* environment variables, then flags. Benchmarks: `npm run bench` in a checkout.',
  ].join('\n');
}

function commandUsage(c: Command): string {
  const own = Object.entries(c.flags);
  return [
    `usage: troupe ${c.name}${c.args ? ` ${c.args}` : ''} [options]`,
    '',
    `${c.summary}.`,
    ...(c.help ? ['', c.help] : []),
    ...(own.length > 0 ? ['', 'options:', ...own.map(([n, f]) => flagLine(n, f))] : []),
    '',
    'options for every command:',
    ...Object.entries(GLOBAL_FLAGS).map(([n, f]) => flagLine(n, f)),
  ].join('\n');
}

function groupUsage(group: string, cmds: Command[]): string {
  const width = Math.max(...cmds.map((c) => `${c.name} ${c.args}`.length)) + 2;
  return [
    `usage: troupe ${group} <subcommand> [options]        troupe ${group} <subcommand> --help`,
    '',
    ...cmds.map((c) => `  ${`${c.name} ${c.args}`.padEnd(width)}${c.summary}`),
  ].join('\n');
}

async function version(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  // dist/deploy/cli.js and deploy/cli.ts sit at different depths: the first package.json up.
  for (const up of ['../package.json', '../../package.json']) {
    try {
      const p = JSON.parse(await readFile(new URL(up, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (p.name === 'troupe' && p.version) return p.version;
    } catch {}
  }
  return 'unknown';
}

/** A numeric argument like `-1` is a (bad) positional, not an unknown flag: keep it as one. */
const NEGATIVE = /^-\d/;

async function main(argv: string[]): Promise<number> {
  const [first, second] = argv;
  if (first === '--version' || first === '-v' || first === 'version') {
    out(await version());
    return 0;
  }
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    out(globalUsage(await version()));
    return first === undefined ? 2 : 0;
  }
  const two = COMMANDS.find((c) => c.name === `${first} ${second}`);
  const one = COMMANDS.find((c) => c.name === first);
  const cmd = two ?? one;
  if (cmd === undefined) {
    const group = COMMANDS.filter((c) => c.name.startsWith(`${first} `));
    if (group.length > 0) {
      if (second === '--help' || second === '-h') {
        out(groupUsage(first, group));
        return 0;
      }
      const subs = group.map((c) => c.name.split(' ')[1]).join(', ');
      throw new UsageError(
        second === undefined ? `${first} needs a subcommand` : `unknown ${first} command ${second}`,
        `one of: ${subs}; troupe ${first} --help`,
      );
    }
    throw new UsageError(`unknown command ${first}`, 'troupe --help lists the commands');
  }
  const rest = argv.slice(cmd.name.split(' ').length);
  const negatives = new Map<string, string>();
  const masked = rest.map((a, i) => {
    if (!NEGATIVE.test(a)) return a;
    const key = `\u0000arg${i}`;
    negatives.set(key, a);
    return key;
  });
  const options = { ...GLOBAL_FLAGS, ...cmd.flags } as Record<string, FlagSpec>;
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: masked,
      allowPositionals: true,
      strict: true,
      options: Object.fromEntries(
        Object.entries(options).map(([n, f]) => [
          n,
          {
            type: f.type,
            ...(f.multiple ? { multiple: true } : {}),
            ...(f.short ? { short: f.short } : {}),
          },
        ]),
      ),
    });
  } catch (err) {
    const m = (err as Error).message.split('\n')[0]!.replace(/\. To specify .*$/, '');
    throw new UsageError(m, `troupe ${cmd.name} --help lists its options`);
  }
  const flags = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (flags.help) {
    out(commandUsage(cmd));
    return 0;
  }
  const args = parsed.positionals.map((p) => negatives.get(p) ?? p);
  const required = (cmd.args.match(/<[^>]+>/g) ?? []).length;
  const optional = (cmd.args.match(/\[[^\]]+\]/g) ?? []).length;
  const variadic = cmd.args.includes('...');
  if (args.length < required || (!variadic && args.length > required + optional)) {
    const want = cmd.args === '' ? 'no arguments' : cmd.args;
    throw new UsageError(
      `${cmd.name} takes ${want}, got ${args.length === 0 ? 'none' : args.map((a) => JSON.stringify(a)).join(' ')}`,
      `usage: troupe ${cmd.name}${cmd.args ? ` ${cmd.args}` : ''} [options]; troupe ${cmd.name} --help`,
    );
  }
  const str = (k: string): string | undefined =>
    typeof flags[k] === 'string' ? (flags[k] as string) : undefined;
  const common = {
    nats: str('nats'),
    system: str('system'),
    node: str('node'),
    config: str('config'),
    logLevel: str('log-level'),
    logFormat: str('log-format'),
  };
  const mod = await cmd.load();
  return cmd.run(mod, { args, flags, common, out });
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  if (err instanceof UsageError) {
    process.stderr.write(`troupe: ${err.message}\n${err.hint}\n`);
    process.exitCode = 2;
  } else {
    const { formatError } = await import('./cli-errors.ts');
    process.stderr.write(formatError(err));
    process.exitCode = 1;
  }
}
// Connections and timers of a failed start must not keep the CLI alive.
if (process.exitCode !== 0 && process.exitCode !== undefined)
  setTimeout(() => process.exit(), 100).unref();
