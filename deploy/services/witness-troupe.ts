// A witness as its own process (compose, Kubernetes and systemd run its compiled form):
//   troupe up deploy/services/witness-troupe.ts --nats <url> --system <sys>
// with its own key folder and state, on another host than the ledger it witnesses.
//   TROUPE_WITNESS_DIR   state and keys (required; keys in <dir>/keys unless TROUPE_WITNESS_KEYS_DIR)
//   TROUPE_WITNESS_NAME  its key name, e.g. witness.example.com/w1 (required)
//   TROUPE_WITNESS_LOGS  comma-separated paths of the vkeys files of the logs it follows (required;
//                        the origin is the keys' name)
//   TROUPE_WITNESS_PATH  the actor's name (default `witness`)
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { z } from 'zod';
import { WitnessActor } from '../../actors/ledger/index.ts';
import { parseVkey } from '../../protocols/checkpoint/index.ts';
import { type ActorSystem, InvalidArgument } from '../../runtime/index.ts';
import { list, parseEnv } from './process-env.ts';

const Env = z.object({
  TROUPE_WITNESS_DIR: z.string().min(1, 'the witness state folder'),
  TROUPE_WITNESS_NAME: z.string().min(1).default(`witness.${hostname()}/w1`),
  TROUPE_WITNESS_LOGS: z.string().min(1, 'vkeys files of the logs to witness'),
  TROUPE_WITNESS_KEYS_DIR: z.string().min(1).optional(),
  TROUPE_WITNESS_PATH: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,128}$/, 'an actor name')
    .default('witness'),
});

/** The logs a witness follows, from the logs' vkeys files. */
export function logsFromVkeyFiles(files: readonly string[]): { origin: string; vkeys: string[] }[] {
  return files.map((file) => {
    let vkeys: string[];
    try {
      vkeys = readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.length > 0);
    } catch (err) {
      throw new InvalidArgument(
        `TROUPE_WITNESS_LOGS: cannot read ${file}: ${(err as Error).message}`,
      );
    }
    if (vkeys.length === 0) throw new InvalidArgument(`TROUPE_WITNESS_LOGS: ${file} has no vkeys`);
    const origin = parseVkey(vkeys[0]!).name;
    return { origin, vkeys };
  });
}

export default {
  async setup(system: ActorSystem): Promise<void> {
    const e = parseEnv(Env, process.env);
    const logs = logsFromVkeyFiles(list(e.TROUPE_WITNESS_LOGS));
    const ref = system.spawn(WitnessActor, {
      name: e.TROUPE_WITNESS_PATH,
      args: {
        dir: e.TROUPE_WITNESS_DIR,
        name: e.TROUPE_WITNESS_NAME,
        logs,
        ...(e.TROUPE_WITNESS_KEYS_DIR ? { keysDir: e.TROUPE_WITNESS_KEYS_DIR } : {}),
      },
    });
    const info = await system.ask(ref, 'info', {}, { timeout: 10_000 });
    process.stdout.write(
      `witness ${info.name} at ${system.name}/${ref.path} follows ${logs.map((l) => l.origin).join(', ')}\n`,
    );
    for (const v of info.vkeys) process.stdout.write(`witness vkey ${v}\n`);
  },
};
