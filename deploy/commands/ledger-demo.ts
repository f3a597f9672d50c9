import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import {
  loadOrCreateLedgerKeys,
  startAuditLedger,
  WitnessActor,
} from '../../actors/ledger/index.ts';
import { ActorSystem, defineActor, InvalidArgument } from '../../runtime/index.ts';
import { loadConfig, type Overrides, systemOptions } from '../config.ts';

/**
 * `troupe ledger demo <dir> [--events N] [--nats url]`: a system with the ledger actor, a witness
 * (its own keys and state, in `<dir>/witness` for the demo; on another host in earnest) and a
 * synthetic agent that emits N audit events through the real path: the agent's ctx.audit, the
 * batching sink, the stream (the embedded file, or JetStream with --nats), the ledger actor's
 * group commit, a signed checkpoint, the witness's cosignature. Then it says what to run next.
 */

export interface DemoOptions extends Overrides {
  dir: string;
  events?: string;
  json?: boolean;
}

const KINDS = ['model.call', 'tool.call', 'decision', 'message.sent'] as const;
const TOOLS = ['grep', 'shell', 'http.get', 'fs.write'] as const;
/** The demo spreads its events over about this many ticks, so the ledger gets as many entries. */
const TICKS = 200;

const SyntheticAgent = defineActor({
  type: 'synthetic-agent',
  state: () => ({ emitted: 0 }),
  tells: { run: z.object({ total: z.number().int().nonnegative() }).strict() },
  handle: {
    run(s, m, ctx) {
      // Events of one tick share a stream message (one ledger entry): emit a slice per tick,
      // like an agent acting over time, so the demo ledger has entries to prove.
      const chunk = Math.max(10, Math.ceil(m.total / TICKS));
      const end = Math.min(m.total, s.emitted + chunk);
      for (let i = s.emitted; i < end; i++) {
        const kind = KINDS[i % KINDS.length]!;
        ctx.audit(kind, {
          step: i,
          ...(kind === 'tool.call' ? { tool: TOOLS[i % TOOLS.length], ok: i % 7 !== 0 } : {}),
          ...(kind === 'model.call'
            ? { model: 'demo-model', tokensIn: 100 + (i % 50), tokensOut: 20 + (i % 13) }
            : {}),
          ...(kind === 'decision' ? { choice: i % 3 === 0 ? 'retry' : 'continue' } : {}),
          ...(kind === 'message.sent' ? { to: 'team/reviewer', bytes: 200 + (i % 100) } : {}),
        });
      }
      if (end < m.total) ctx.timers.once('next', 0, 'run', m);
      return { emitted: end };
    },
  },
});

function existingOrigin(dir: string): string | undefined {
  const p = join(dir, 'LEDGER');
  if (!existsSync(p)) return undefined;
  return /\norigin ([^\n]+)\n/.exec(readFileSync(p, 'utf8'))?.[1];
}

export async function demo(o: DemoOptions, out: (line: string) => void): Promise<number> {
  const dir = resolve(o.dir);
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    throw new InvalidArgument(`${o.dir} exists and is not a directory`);
  }
  const eventsText = o.events ?? '1000';
  if (!/^[1-9][0-9]{0,7}$/.test(eventsText)) {
    throw new InvalidArgument(
      `--events must be a whole number from 1 to 99999999 (got ${eventsText})`,
    );
  }
  const total = Number(eventsText);
  const cfg = await loadConfig({ ...o, system: o.system ?? process.env.TROUPE_SYSTEM ?? 'demo' });
  const sys = await ActorSystem.start({
    ...systemOptions(cfg),
    logLevel: o.logLevel === undefined && !process.env.TROUPE_LOG_LEVEL ? 'warn' : cfg.logLevel,
  });
  const origin = existingOrigin(dir) ?? `troupe/${sys.name}/demo`;
  try {
    const keys = loadOrCreateLedgerKeys(join(dir, 'keys'), origin);
    const witnessName = `witness.${sys.name}.demo/w1`;
    sys.spawn(WitnessActor, {
      name: 'witness',
      args: {
        dir: join(dir, 'witness'),
        name: witnessName,
        logs: [{ origin, vkeys: [...keys.vkeys] }],
      },
    });
    const ledger = await startAuditLedger(sys, {
      dir,
      origin,
      keys,
      witnesses: ['witness'],
      auditAlerts: true,
    });
    const t0 = performance.now();
    try {
      const agent = sys.spawn(SyntheticAgent, { name: 'agent' });
      sys.tell(agent, 'run', { total });
      // Wait until the agent has emitted everything, then until the ledger has it signed.
      for (;;) {
        await sys.whenQuiescent();
        const st = ledger.sink!.stats();
        if (st.emitted >= total) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      const st = await ledger.settle({ checkpoint: true, timeoutMs: 120_000 });
      const ms = performance.now() - t0;
      // The witness answers on the next checkpoint tick.
      let cosigned = st.cosignedSize;
      for (let i = 0; i < 50 && cosigned < (st.checkpoint?.size ?? 0); i++) {
        await new Promise((r) => setTimeout(r, 100));
        cosigned = (await ledger.status()).cosignedSize;
      }
      const where = sys.nats
        ? `JetStream stream ${ledger.stream.name} on ${String(cfg.nats?.servers)}`
        : `the embedded stream in ${join(dir, 'stream')}`;
      const stats = ledger.sink!.stats();
      if (o.json) {
        out(
          JSON.stringify({
            dir,
            origin,
            events: total,
            streamMessages: stats.batches,
            size: st.size,
            root: st.root,
            cursor: st.cursor,
            checkpointSize: st.checkpoint?.size ?? 0,
            cosignedSize: cosigned,
            witness: witnessName,
            ms: Math.round(ms),
          }),
        );
      } else {
        out(`demo: ${total} audit events from ${sys.name}/agent through ${where}`);
        out(
          `  sink: ${stats.batches} stream messages (events are batched per actor and tick), ${stats.retries} retries`,
        );
        out(
          `  ledger ${dir}: ${st.size} entries, root ${st.root}, stream cursor ${st.cursor}, in ${Math.round(ms)} ms`,
        );
        out(
          `  checkpoint: size ${st.checkpoint?.size ?? 0} signed by ${origin} (Ed25519 + ML-DSA-44)${cosigned >= (st.checkpoint?.size ?? 1) ? `, cosigned by ${witnessName}` : ''}`,
        );
        out('next:');
        out(`  troupe ledger verify ${o.dir}`);
        out(`  troupe ledger prove ${o.dir} 0`);
        if (st.size > 1) out(`  troupe ledger consistency ${o.dir} 1`);
        out(`  then change a byte of ${join(o.dir, 'leaves.log')} and verify again`);
      }
    } finally {
      await ledger.close();
    }
  } finally {
    await sys.shutdown({ timeoutMs: 5_000 });
  }
  return 0;
}
