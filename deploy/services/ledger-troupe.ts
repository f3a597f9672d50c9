// The ledger as its own process (compose, Kubernetes and systemd run its compiled form):
//   troupe up deploy/services/ledger-troupe.ts --nats <url> --system <sys>
// follows the system's audit stream (JetStream with --nats, the local file stream without).
//   TROUPE_LEDGER_DIR        the ledger directory (required)
//   TROUPE_LEDGER_ORIGIN     the log's origin (default troupe/<system>)
//   TROUPE_LEDGER_KEYS_DIR   signing keys (default <dir>/keys)
//   TROUPE_LEDGER_WITNESSES  comma-separated witness actor paths in the same system
//   TROUPE_LEDGER_NAME       the actor's name (default `ledger`)
//   TROUPE_LEDGER_MAX_RECORDS  stream messages per group commit (default 256)
import { z } from 'zod';
import { startAuditLedger } from '../../actors/ledger/index.ts';
import type { ActorSystem } from '../../runtime/index.ts';
import { list, parseEnv } from './process-env.ts';

const Env = z.object({
  TROUPE_LEDGER_DIR: z.string().min(1, 'the ledger directory'),
  TROUPE_LEDGER_ORIGIN: z.string().min(1).optional(),
  TROUPE_LEDGER_KEYS_DIR: z.string().min(1).optional(),
  TROUPE_LEDGER_WITNESSES: z.string().optional(),
  TROUPE_LEDGER_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,128}$/, 'an actor name')
    .default('ledger'),
  TROUPE_LEDGER_MAX_RECORDS: z.coerce.number().int().min(1).max(8192).optional(),
});

export default {
  async setup(system: ActorSystem): Promise<void> {
    const e = parseEnv(Env, process.env);
    const ledger = await startAuditLedger(system, {
      dir: e.TROUPE_LEDGER_DIR,
      name: e.TROUPE_LEDGER_NAME,
      ...(e.TROUPE_LEDGER_ORIGIN ? { origin: e.TROUPE_LEDGER_ORIGIN } : {}),
      ...(e.TROUPE_LEDGER_KEYS_DIR ? { keysDir: e.TROUPE_LEDGER_KEYS_DIR } : {}),
      ...(e.TROUPE_LEDGER_MAX_RECORDS ? { maxRecords: e.TROUPE_LEDGER_MAX_RECORDS } : {}),
      witnesses: list(e.TROUPE_LEDGER_WITNESSES),
    });
    const st = await ledger.status();
    process.stdout.write(
      `ledger ${system.name}/${ledger.ref.path} on ${ledger.stream.name}: ${st.size} entries, stream cursor ${st.cursor}\n`,
    );
  },
};
