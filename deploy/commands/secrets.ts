import {
  masterKeyFromEnv,
  newMasterKey,
  parseMasterKey,
  SecretStore,
  secretsDirFromEnv,
} from '../../actors/secrets/index.ts';
import { InvalidArgument } from '../../runtime/index.ts';

export const SECRETS_USAGE = `troupe secrets set <agent> <NAME>      the value is read from stdin (never from argv)
troupe secrets list [<agent>]           names only; without an agent, the agents with secrets
troupe secrets rm <agent> [<NAME>]      one secret, or all of the agent's
troupe secrets rotate <agent>           a fresh data key; with TROUPE_SECRETS_NEW_KEY(_FILE), re-wrap under it
troupe secrets keygen                   print a new master key
environment: TROUPE_SECRETS_KEY or TROUPE_SECRETS_KEY_FILE (master key), TROUPE_SECRETS_DIR`;

async function readStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stdin) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
  // One trailing newline is the shell's, not the secret's.
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

function newKeyFromEnv(env: NodeJS.ProcessEnv): Uint8Array | undefined {
  if (env.TROUPE_SECRETS_NEW_KEY)
    return parseMasterKey(env.TROUPE_SECRETS_NEW_KEY, 'TROUPE_SECRETS_NEW_KEY');
  if (env.TROUPE_SECRETS_NEW_KEY_FILE) {
    return masterKeyFromEnv({ TROUPE_SECRETS_KEY_FILE: env.TROUPE_SECRETS_NEW_KEY_FILE });
  }
  return undefined;
}

/** `troupe secrets …`: manage the per-agent encrypted secret store. */
export async function secrets(
  args: readonly string[],
  out: (line: string) => void,
  io: { stdin?: NodeJS.ReadableStream; env?: NodeJS.ProcessEnv } = {},
): Promise<number> {
  const env = io.env ?? process.env;
  const [sub, agent, name, ...extra] = args;
  const need = (ok: boolean, what: string): void => {
    if (!ok) throw new InvalidArgument(`secrets ${sub ?? ''} needs ${what}\n${SECRETS_USAGE}`);
  };
  if (sub === 'keygen') {
    need(agent === undefined, 'no arguments');
    out(newMasterKey());
    return 0;
  }
  const store = (): SecretStore => new SecretStore(secretsDirFromEnv(env), masterKeyFromEnv(env));
  switch (sub) {
    case 'set': {
      need(
        agent !== undefined && name !== undefined && extra.length === 0,
        '<agent> <NAME> (value on stdin)',
      );
      const value = await readStdin(io.stdin ?? process.stdin);
      if (value === '') throw new InvalidArgument(`secrets set: empty value on stdin for ${name}`);
      await store().set(agent!, name!, value);
      out(`set ${name} for ${agent}`);
      return 0;
    }
    case 'list': {
      need(name === undefined, 'at most <agent>');
      const s = store();
      const lines = agent === undefined ? await s.agents() : await s.list(agent);
      for (const l of lines) out(l);
      return 0;
    }
    case 'rm': {
      need(agent !== undefined && extra.length === 0, '<agent> [<NAME>]');
      const removed = await store().rm(agent!, name);
      out(
        removed ? `removed ${name ?? 'all secrets'} of ${agent}` : `nothing to remove for ${agent}`,
      );
      return removed ? 0 : 1;
    }
    case 'rotate': {
      need(agent !== undefined && name === undefined, '<agent>');
      const n = await store().rotate(agent!, newKeyFromEnv(env));
      out(`rotated ${agent}: ${n} secret${n === 1 ? '' : 's'} under a fresh data key`);
      return 0;
    }
    default:
      throw new InvalidArgument(
        `${sub === undefined ? 'secrets needs a subcommand' : `unknown secrets subcommand ${sub}`}\n${SECRETS_USAGE}`,
      );
  }
}
